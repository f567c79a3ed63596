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
  // Exactly-once keys of the month-partitioned outbox and alerts (an id is unique for ever, in any month).
  // With the sharded relay at national scale they split with it: one key table per relay shard.
  'outbox_ids', 'alert_ids',
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
 * Tables whose keys other changes of this round own: they keep keys without project_id until those
 * changes land (each such key below names the table it waits for).
 */
export const KEYS_OWNED_ELSEWHERE: Record<string, string> = {
  payroll_lines: 'wage lines are being partitioned by month and their reconciliation state narrowed (issues 22, 24): their keys, and their foreign key to payrolls, change there',
  recon_line_history: 'reconciliation history storage (issue 24)',
  recon_routine_history: 'reconciliation history storage (issue 24)',
  recon_inferred_matches: 'reconciliation storage (issue 24); keyed by the bank record, which has no project until matched',
  wage_allocations: 'its bank-record key follows bank_records (bank results, issue 24); its primary key does include project_id',
};

/**
 * Keys of project-owned tables without project_id, reviewed; every other key includes it (migration 0075).
 * `blockedBy` is the reason: a table of NULLABLE_PROJECT (a primary key cannot contain a nullable column,
 * and a unique key over project-less rows could not be per project) or of KEYS_OWNED_ELSEWHERE.
 * `premise`, checked against the catalog: `uuid-id` — one application-generated uuid column, no database
 * sequence (unique by construction, widened to (id, project_id) when distributed); `seq` — a global
 * sequence, one of the serialisation points of docs/scaling.md; `key` — explained in `note`.
 */
export interface KeyException { premise: 'uuid-id' | 'seq' | 'key'; blockedBy: string; note?: string }
export const KEY_EXCEPTIONS: Record<string, KeyException> = {
  // Nullable project: rows that belong to no project.
  alerts_pkey: { premise: 'seq', blockedBy: 'alerts' },
  alert_states_pkey: { premise: 'key', blockedBy: 'alert_states', note: 'the state key embeds the project id for project states; county digests have none' },
  audit_log_pkey: { premise: 'seq', blockedBy: 'audit_log' },
  bank_records_pkey: { premise: 'key', blockedBy: 'bank_records', note: '(id, received_at): a uuid-id plus the month partition key (0090); the dedupe (bank_id, dedupe_key) lives in bank_record_keys' },
  ledger_accounts_pkey: { premise: 'uuid-id', blockedBy: 'ledger_accounts' },
  ledger_accounts_code_unique: { premise: 'key', blockedBy: 'ledger_accounts', note: 'the code embeds the project id for project accounts (wage:<projectId>); world accounts have none' },
  ledger_entries_pkey: { premise: 'seq', blockedBy: 'ledger_entries', note: 'bigserial: per-shard sequences under Citus (entries are reached by their transaction)' },
  ledger_transactions_pkey: { premise: 'uuid-id', blockedBy: 'ledger_transactions' },
  outbox_pkey: { premise: 'seq', blockedBy: 'outbox' },
  recon_orphans_pkey: { premise: 'uuid-id', blockedBy: 'recon_orphans', note: 'the bank record id: one orphan row per record' },
  sms_messages_pkey: { premise: 'uuid-id', blockedBy: 'sms_messages' },
  sms_messages_event_key_uq: { premise: 'key', blockedBy: 'sms_messages', note: 'the business event key embeds its subject (line, complaint) id: exactly once per event' },
  // Owned by another change this round.
  payroll_lines_pkey: { premise: 'uuid-id', blockedBy: 'payroll_lines' },
  payroll_lines_e2e_uq: { premise: 'key', blockedBy: 'payroll_lines', note: 'the EndToEndId is the line id without hyphens (UUIDv7): unique by construction' },
  payrolls_pkey: { premise: 'uuid-id', blockedBy: 'payroll_lines', note: 'payroll_lines references payrolls(id); payrolls_id_project_uq (id, project_id) serves the project-scoped children, and the (id) key goes when that foreign key gains project_id' },
  recon_line_history_line_id_version_pk: { premise: 'key', blockedBy: 'recon_line_history', note: '(line_id, version): the line id is a uuid-id of the same project' },
  recon_routine_history_pkey: { premise: 'uuid-id', blockedBy: 'recon_routine_history' },
  recon_inferred_matches_pkey: { premise: 'uuid-id', blockedBy: 'recon_inferred_matches', note: 'the bank record id: one inferred match per record' },
  wage_allocations_bank_record_uq: { premise: 'key', blockedBy: 'wage_allocations', note: 'one allocation per bank record (a uuid-id of bank_records)' },
};

/** Foreign keys between project-owned tables without project_id on both sides, reviewed (`blockedBy` as for keys). */
export const FK_EXCEPTIONS: Record<string, { blockedBy: string; note: string }> = {
  payroll_lines_payroll_id_payrolls_id_fk: { blockedBy: 'payroll_lines', note: 'a line belongs to its payroll\'s project; becomes (project_id, payroll_id) -> payrolls (project_id, id) with the wage-line change' },
  ledger_entries_transaction_id_ledger_transactions_id_fk: { blockedBy: 'ledger_entries', note: 'an entry may cross a company and a project; colocated on the project shard, the company side through reference data' },
  ledger_entries_account_id_ledger_accounts_id_fk: { blockedBy: 'ledger_entries', note: 'as above' },
};

/**
 * Joins of the hot paths (citus-joins.test.ts) between two project-owned relations without project_id
 * equality, reviewed. An exception excuses a join when one of its sides is made only of what `side`
 * names (a table, `cte:<name>` / `subquery:<alias>`, or `aggregate` for rows folded across projects)
 * and the join's condition matches `on`; `phases` narrows it to some hot paths.
 */
export const JOIN_EXCEPTIONS: Record<string, { side: string[]; on: RegExp; phases?: ('reconciliation' | 'import' | 'sweep')[]; why: string }> = {
  bankRecordIdentity: {
    side: ['bank_records', 'recon_inferred_matches', 'recon_orphans'],
    on: /end_to_end_id|bank_record_id|card_bidx/,
    // The sweep's step 0 runs reconciliation's catch-up (batches with unreconciled bank results) first.
    phases: ['reconciliation', 'sweep'],
    why: 'A bank record belongs to no project until it is matched (nullable project_id, see NULLABLE_PROJECT): reconciliation '
      + 'matches it by EndToEndId (the line or instruction id, unique by construction) or, for a statement row without one, by '
      + 'card + amount + date; claims and orphans are keyed by the record. These tables\' keys belong to other changes this round '
      + '(bank results #24, recon history). Under Citus the record is routed to its line\'s shard by an end_to_end_id -> project map '
      + '(docs/scaling.md).',
  },
  ledger: {
    side: ['ledger_accounts', 'ledger_entries', 'ledger_transactions'],
    on: /account_id|transaction_id|\.code = /,
    phases: ['sweep'],
    why: 'Ledger rows of world and company accounts have no project (NULLABLE_PROJECT); a project account is found by its code, '
      + 'which embeds the project id (wage:<projectId>). Ledger keys belong to another change this round; the ledger stays on the '
      + 'coordinator until it is split (docs/scaling.md).',
  },
  companyAggregates: {
    side: ['aggregate', 'cte:w', 'subquery:lines', 'subquery:eng', 'subquery:cases'],
    on: /company_id/,
    phases: ['sweep'],
    why: 'Credit grades and the blacklist are per company, over all its projects, by design (their results are reference tables): '
      + 'per-company aggregates of lines, engagements, cases and owed workers are joined on the company. Under Citus each '
      + 'aggregate runs on every shard and is merged on the coordinator, which then joins the few per-company rows.',
  },
};
