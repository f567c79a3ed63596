/**
 * The Citus plan for every table, checked against the catalog by citus-readiness.test.ts (docs/scaling.md
 * explains it). Distribution key: `project_id`. A new table, or a new key that does not include
 * project_id, fails the test until it is classified here — that is the review.
 */

/** Small, read-mostly, joined from every shard: `create_reference_table`. */
export const REFERENCE_TABLES = [
  'banks', 'bank_secrets', 'companies', 'workers', 'policy_settings', 'calendar_days', 'api_keys',
  'credit_grades', 'company_credit', 'blacklist_entries', 'blacklist_objections', 'blacklist_removal_requests',
  // projects is the distribution root; as a reference table every shard can join it (a few 100k rows nationally).
  'projects', 'platform_identity',
  // Policy data by county and date (second round).
  'minimum_wages',
];

/**
 * Stay on the coordinator (local tables): per-request or operational state that never joins project rows in
 * a hot path, or that is keyed by something other than a project.
 */
export const LOCAL_TABLES = [
  'idempotency_keys', 'console_sessions', 'job_runs', 'dead_jobs',
  // The bank inbox is keyed by the bank's webhook id; a row is routed to projects only when applied.
  'webhook_inbox', 'webhook_inbox_keys',
  // The dedupe of bank facts (bank, key), unpartitioned beside the month-partitioned bank_records (0090): a fact
  // is deduped by the bank that reports it before it is tied to any project.
  'bank_record_keys',
  // Subscriptions are per API key (county/industry scope); deliveries follow them (partitioned by month, #22).
  'alert_subscriptions', 'alert_deliveries',
  // A person's or a phone's sign-in state, keyed by blind indexes, not by project (worker door).
  'worker_auth_requests', 'worker_auth_codes', 'worker_auth_locks', 'worker_sessions', 'complaint_codes', 'payslip_sms_skips',
  // Kept county reports (per county and month) and the audit chain's own metadata (a global chain today).
  'county_reports', 'audit_checkpoints', 'audit_chain_meta',
];

/**
 * Project-owned tables whose project_id may be NULL: rows that belong to no project (platform events, world
 * accounts, unmatched bank records). Plan per table in docs/scaling.md ("Tables that are not per project").
 */
export const NULLABLE_PROJECT: Record<string, string> = {
  outbox: 'company/platform events have no project; relay sharded by hash(project_id), NULL → shard 0',
  alerts: 'company/platform alerts have no project; feed is per county/industry, not per project',
  audit_log: 'global hash chain today; per-project chains at national scale (docs/scaling.md)',
  bank_records: 'a statement line may match no project until reconciliation (orphans)',
  recon_orphans: 'an orphan is by definition not yet tied to a project',
  ledger_accounts: 'world/bank/company accounts have no project',
  ledger_entries: 'entries of world/company accounts have no project',
  ledger_transactions: 'a deposit draw or GC payment moves money between a company and a project',
  alert_states: 'county digests and company-wide states have no project; state rows follow their alerts',
  sms_messages: 'an SMS may concern a complainant before any project is known (complaint codes); routed by project when it has one',
};

/**
 * Keys of project-owned tables that do not include project_id, reviewed. `uuid-id`: a single application-
 * generated UUIDv7 column (globally unique by construction), widened to (project_id, id) when the table is
 * distributed — the test checks the column really is a uuid without a database default sequence.
 * `seq`: a global sequence, one of the serialisation points documented in docs/scaling.md.
 */
export const KEY_EXCEPTIONS: Record<string, 'uuid-id' | 'seq' | string> = {
  arrears_case_events_pkey: 'uuid-id',
  arrears_cases_pkey: 'uuid-id',
  batches_pkey: 'uuid-id',
  deposit_draws_pkey: 'uuid-id',
  deposit_guarantees_pkey: 'uuid-id',
  deposit_returns_pkey: 'uuid-id',
  engagements_pkey: 'uuid-id',
  instructions_pkey: 'uuid-id',
  ledger_accounts_pkey: 'uuid-id',
  ledger_entries_pkey: 'seq', // bigserial: per-shard sequences under Citus (ids need not be global; entries are reached by transaction)
  ledger_transactions_pkey: 'uuid-id',
  payroll_findings_pkey: 'uuid-id',
  payroll_lines_pkey: 'uuid-id',
  payrolls_pkey: 'uuid-id',
  recon_routine_history_pkey: 'uuid-id',
  subcontracts_pkey: 'uuid-id',
  wage_allocations_pkey: 'uuid-id',
  bank_records_pkey: '(id, received_at): a uuid-id plus the month partition key (0090); widened to (project_id, id, received_at) once project_id is set on every record',
  alerts_id_unique: 'uuid-id',
  outbox_id_unique: 'uuid-id',
  recon_inferred_matches_pkey: 'uuid-id', // the bank record id (a uuid): one inferred match per record
  recon_orphans_pkey: 'uuid-id',
  alerts_pkey: 'seq',
  outbox_pkey: 'seq',
  audit_log_pkey: 'seq',
  arrears_case_workers_case_id_worker_id_pk: '(case_id, worker_id): case_id is a uuid-id of the same project; widened to (project_id, case_id, worker_id)',
  recon_line_history_line_id_version_pk: '(line_id, version): line_id is a uuid-id of the same project; widened to (project_id, line_id, version)',
  // Global uniqueness of end-to-end ids: the EndToEndId is the line id without hyphens (a UUIDv7), so it is
  // unique by construction; under Citus the index becomes (project_id, end_to_end_id) and the bank's
  // lookup by EndToEndId goes through the line id (which carries no project) → see docs/scaling.md.
  instructions_e2e_uq: 'e2e: UUIDv7 hex, unique by construction',
  payroll_lines_e2e_uq: 'e2e: UUIDv7 hex, unique by construction',
  wage_allocations_bank_record_uq: 'one allocation per bank record (uuid-id of bank_records)',
  ledger_accounts_code_unique: 'the code embeds the project id for project accounts (wage:<projectId>); world accounts are not per project',
  // Second round: application-generated UUIDv7 ids, widened to (project_id, id) when distributed.
  card_fixes_pkey: 'uuid-id',
  complaint_decisions_pkey: 'uuid-id',
  complaints_pkey: 'uuid-id',
  legal_holds_pkey: 'uuid-id',
  payslip_answers_pkey: 'uuid-id',
  sms_messages_pkey: 'uuid-id',
  worker_cards_pkey: 'uuid-id',
  alert_states_pkey: 'state key: embeds the project id for project states; county digests have none (see NULLABLE_PROJECT)',
  card_fixes_instruction_uq: 'one fix per rejected instruction (a uuid-id of the same project)',
  complaints_ref_uq: 'a human reference (county + date + sequence) unique nationally; becomes (project_id, ref) with a reference lookup table',
  sms_messages_event_key_uq: 'the business event key embeds its subject (line, complaint) id; exactly-once per event, routed by project',
  worker_cards_one_paying_uq: 'one paying card per engagement (engagement_id is a uuid-id of the same project); widened to (project_id, engagement_id)',
};

/** Foreign keys between project-owned tables without project_id, reviewed: both rows always share the project. */
export const FK_EXCEPTIONS: Record<string, string> = {
  instructions_batch_id_batches_id_fk: 'an instruction and its batch belong to one project (batches are per project)',
  payroll_findings_payroll_id_payrolls_id_fk: 'a finding belongs to its payroll\'s project',
  payroll_lines_payroll_id_payrolls_id_fk: 'a line belongs to its payroll\'s project',
  ledger_entries_transaction_id_ledger_transactions_id_fk: 'ledger: may cross a company and a project (see NULLABLE_PROJECT); colocated on the project shard, company side via reference data',
  ledger_entries_account_id_ledger_accounts_id_fk: 'ledger: as above',
  card_fixes_card_id_fkey: 'a card fix and its card belong to one engagement, so one project',
  card_fixes_engagement_id_fkey: 'a card fix belongs to its engagement\'s project',
  worker_cards_engagement_id_fkey: 'a card belongs to its engagement\'s project',
};
