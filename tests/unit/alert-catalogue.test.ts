import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../src/jobs/event-types.js';
import { ALERT_TYPES, DIGEST_TYPE, RESOLVED_SUFFIX, SILENT_EVENTS, STATE_SPECS, alertLink, classifyEvent, renderTemplate, stateTypeOf } from '../../src/modules/alerts/alert-catalogue.js';
import { alertLabel } from '../../src/modules/alerts/alert-labels.js';
import { isPrivateAddress } from '../../src/modules/alerts/webhook-target.js';

const CASES: [string, Record<string, unknown>, string | null, string | null][] = [
  [EVENTS.cardShared, {}, 'card_shared', 'orange'],
  [EVENTS.completionOverdue, {}, 'completion_overdue', 'orange'],
  [EVENTS.finalLineMissing, {}, 'final_line_missing', 'orange'],
  [EVENTS.dispatchedOverCap, {}, 'dispatched_over_cap', 'yellow'],
  [EVENTS.identityMismatch, {}, 'worker.identity_mismatch', 'orange'],
  [EVENTS.cardChanged, { action: 'proposed' }, 'worker.card_changed', 'orange'],
  [EVENTS.cardChangeRefused, {}, 'worker.card_change_refused', 'red'],
  [EVENTS.cardFixOpened, { reasonCode: 'AC04' }, 'worker.card_fix_opened', 'orange'],
  [EVENTS.payrollFinding, { code: 'no_attendance' }, 'payroll_no_attendance', 'orange'],
  [EVENTS.payrollFinding, { code: 'days_over_present' }, 'payroll_days_over_present', 'orange'],
  [EVENTS.payrollFinding, { code: 'below_minimum_wage' }, 'payroll_below_minimum_wage', 'red'],
  [EVENTS.payrollFinding, { code: 'equal_pay' }, 'payroll_equal_pay', 'yellow'],
  [EVENTS.payrollFinding, { code: 'monthly_cap' }, 'payroll_monthly_cap', 'orange'],
  [EVENTS.payrollFinding, { code: 'yearly_cap' }, 'payroll_yearly_cap', 'orange'],
  [EVENTS.payrollFinding, { code: 'attended_missing' }, 'payroll_attended_missing', 'red'],
  [EVENTS.payrollFinding, { code: 'something_new' }, 'payroll_finding', 'yellow'],
  [EVENTS.allocationShortfall, {}, 'allocation_shortfall', 'red'],
  [EVENTS.bankResultContradiction, {}, 'bank_result_contradiction', 'yellow'],
  [EVENTS.lineStatusChanged, { to: 'paid' }, null, null],
  [EVENTS.lineStatusChanged, { to: 'pending' }, null, null],
  [EVENTS.lineStatusChanged, { to: 'paid_late' }, 'line_paid_late', 'yellow'],
  [EVENTS.lineStatusChanged, { to: 'underpaid' }, 'line_underpaid', 'orange'],
  [EVENTS.lineStatusChanged, { to: 'overpaid' }, 'line_overpaid', 'yellow'],
  [EVENTS.lineStatusChanged, { to: 'rejected', reasonCode: 'AC04' }, 'line_rejected', 'orange'],
  [EVENTS.lineStatusChanged, { to: 'rejected', reasonCode: 'AM04' }, 'line_funding_failed', 'red'],
  [EVENTS.lineStatusChanged, { to: 'wrong_account' }, 'line_wrong_account', 'red'],
  [EVENTS.lineStatusChanged, { to: 'missing' }, 'line_missing', 'red'],
  [EVENTS.lineStatusChanged, { to: 'duplicate' }, 'line_duplicate', 'yellow'],
  [EVENTS.bankRecordOrphan, {}, 'bank_record_orphan', 'yellow'],
  [EVENTS.lineDisputed, { bankPaid: false }, 'line.disputed', 'orange'],
  [EVENTS.lineDisputed, { bankPaid: true }, 'line.disputed', 'red'],
  [EVENTS.complaintReceived, { severity: 'orange' }, 'complaint.received', 'orange'],
  [EVENTS.complaintReceived, { severity: 'red' }, 'complaint.received', 'red'],
  [EVENTS.complaintOverdue, {}, 'complaint.overdue', 'orange'],
  [EVENTS.payrollNotSubmitted, {}, 'payroll_not_submitted', 'orange'],
  [EVENTS.allocationMissed, {}, 'allocation_missed', 'red'],
  [EVENTS.wageBalanceLow, {}, 'wage_balance_low', 'orange'],
  [EVENTS.noLaborManager, {}, 'no_labor_manager', 'yellow'],
  [EVENTS.approvalMissing, {}, 'approval_missing', 'orange'],
  [EVENTS.depositShort, { shortfallFen: 12345 }, 'deposit_short', 'orange'],
  [EVENTS.guaranteeExpiring, {}, 'guarantee_expiring', 'yellow'],
  [EVENTS.depositDrawn, {}, 'deposit_drawn', 'red'],
  [EVENTS.replenishmentDue, {}, 'deposit_replenishment_due', 'orange'],
  [EVENTS.replenishmentOverdue, {}, 'deposit_replenishment_overdue', 'red'],
  [EVENTS.depositReturnRequested, {}, 'deposit_return_requested', 'yellow'],
  [EVENTS.caseOpened, {}, 'case_opened', 'red'],
  [EVENTS.caseEscalated, { stage: 'overdue_notice' }, 'case_overdue_notice', 'orange'],
  [EVENTS.caseEscalated, { stage: 'gc_order' }, 'case_gc_order', 'red'],
  [EVENTS.caseEscalated, { stage: 'deposit_notice' }, 'case_deposit_notice', 'red'],
  [EVENTS.caseEscalated, { stage: 'replenishment_due' }, 'case_replenishment_due', 'orange'],
  [EVENTS.caseEscalated, { stage: 'replenishment_overdue' }, 'case_replenishment_overdue', 'red'],
  [EVENTS.caseEscalated, { stage: 'new_stage' }, 'case_escalated', 'orange'],
  [EVENTS.caseMassIncident, {}, 'case_mass_incident', 'red'],
  [EVENTS.depositPaymentOverdue, { deadline: '2026-12-08' }, 'deposit_payment_overdue', 'red'],
  [EVENTS.calendarYearUncovered, { year: 2027 }, 'calendar_year_uncovered', 'orange'],
  [EVENTS.depositReturnBlocked, { reason: 'x' }, 'deposit_return_blocked', 'orange'],
  [EVENTS.caseOrderIgnored, { shortfallFen: 100 }, 'case_order_ignored', 'red'],
  [EVENTS.linesOverdue, { lines: 3 }, 'lines_overdue', 'red'],
  [EVENTS.caseClosed, {}, 'case_closed', 'yellow'],
  [EVENTS.creditGradeChanged, { from: 'A', to: 'C' }, 'credit_downgraded', 'yellow'],
  [EVENTS.creditGradeChanged, { from: 'C', to: 'B' }, null, null],
  [EVENTS.blacklistProposed, {}, 'blacklist_proposed', 'orange'],
  [EVENTS.blacklistObjectionFiled, {}, 'blacklist_objection_filed', 'yellow'],
  [EVENTS.blacklistObjectionDecided, {}, 'blacklist_objection_decided', 'yellow'],
  [EVENTS.blacklistListed, {}, 'blacklist_listed', 'red'],
  [EVENTS.blacklistRemoved, {}, 'blacklist_removed', 'yellow'],
  [EVENTS.subscriptionPaused, { subscriptionId: 'x', failures: 5 }, 'subscription_paused', 'orange'],
  [EVENTS.jobFailedForGood, { queue: 'reconcile', jobId: 'j', failures: 1 }, 'job_failed_for_good', 'orange'],
  ['something.unknown', {}, null, null],
];

describe('alert catalogue', () => {
  it.each(CASES)('%s %j → %s (%s)', (type, payload, alertType, severity) => {
    const d = classifyEvent(type, payload);
    expect(d?.type ?? null).toBe(alertType);
    expect(d?.severity ?? null).toBe(severity);
  });

  it('silent events produce no alert', () => {
    for (const e of SILENT_EVENTS) expect(classifyEvent(e, {})).toBeNull();
  });

  it('every event of the vocabulary is either mapped or deliberately silent', () => {
    const mapped = new Set(CASES.filter((c) => c[2] !== null).map((c) => c[0]));
    // states_observed yields resolves and digests through the emission model, not through classifyEvent
    const silent = new Set([...SILENT_EVENTS, EVENTS.lineStatusChanged, EVENTS.creditGradeChanged, EVENTS.statesObserved]);
    for (const e of Object.values(EVENTS)) expect(mapped.has(e) || silent.has(e), e).toBe(true);
  });

  it('every catalogue type is reachable from some event (resolves and digests from an observation) and has both languages and a label', () => {
    const reached = new Set(CASES.map((c) => c[2]).filter(Boolean));
    for (const st of Object.keys(STATE_SPECS)) reached.add(st + RESOLVED_SUFFIX);
    reached.add(DIGEST_TYPE);
    for (const [k, v] of Object.entries(ALERT_TYPES)) {
      expect(reached.has(k), k).toBe(true);
      expect(alertLabel(k, 'zh'), k).not.toBe(k);
      expect(alertLabel(k, 'en'), k).not.toBe(k);
      expect(v.kind).toBe(k === DIGEST_TYPE ? 'digest' : stateTypeOf(k) ? 'state' : 'event');
      expect(v.zh.length).toBeGreaterThan(4);
      expect(v.en.length).toBeGreaterThan(4);
      expect(['red', 'orange', 'yellow']).toContain(v.severity);
    }
  });

  it('documents which types are states: the sweep\'s lasting conditions and the dispatched cap; facts are events', () => {
    expect(Object.keys(STATE_SPECS).sort()).toEqual(['allocation_missed', 'deposit_short', 'dispatched_over_cap', 'guarantee_expiring', 'no_labor_manager', 'payroll_not_submitted', 'wage_balance_low']);
    expect(ALERT_TYPES.deposit_drawn!.kind).toBe('event');
    expect(ALERT_TYPES.wage_balance_low_resolved!.kind).toBe('state');
    // the case-notice deposit.short is a fact of that notice, not the lasting state
    expect(STATE_SPECS.deposit_short!.subject({ projectId: 'p', companyId: null, payload: { caseId: 'c' } })).toBeNull();
    expect(STATE_SPECS.deposit_short!.subject({ projectId: 'p', companyId: null, payload: {} })).toBe('p');
    expect(STATE_SPECS.wage_balance_low!.severity!({ availableFen: 0, payrollFen: 100 })).toBe('red');
  });

  it('renders templates and links', () => {
    expect(renderTemplate('项目「{project}」{month}', { project: '松原', month: '2026-10' })).toBe('项目「松原」2026-10');
    expect(renderTemplate('{a} {b}', { a: 0 })).toBe('0 ?');
    expect(alertLink('payroll', { projectId: 'p', companyId: null, payload: { payrollId: 'x' } })).toBe('/v1/payrolls/x');
    expect(alertLink('deposit', { projectId: 'p', companyId: null, payload: {} })).toBe('/v1/projects/p/deposit');
    expect(alertLink('credit', { projectId: null, companyId: 'c', payload: {} })).toBe('/v1/companies/c/credit');
    expect(alertLink('case', { projectId: null, companyId: null, payload: { caseId: 'k' } })).toBe('/v1/cases/k');
  });
});

describe('webhook target guard', () => {
  it.each([
    ['127.0.0.1', true], ['10.1.2.3', true], ['172.16.0.1', true], ['172.32.0.1', false], ['192.168.1.1', true], ['169.254.169.254', true],
    ['100.64.0.1', true], ['0.0.0.0', true], ['224.0.0.1', true], ['8.8.8.8', false], ['::1', true], ['fd00::1', true], ['fe80::1', true],
    ['::ffff:127.0.0.1', true], ['::ffff:8.8.8.8', false], ['2606:4700::1111', false], ['not-an-ip', true],
  ])('%s private=%s', (ip, priv) => {
    expect(isPrivateAddress(ip)).toBe(priv);
  });
});
