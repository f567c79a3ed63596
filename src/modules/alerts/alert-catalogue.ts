import { EVENTS } from '../../jobs/event-types.js';

/**
 * The alert catalogue: which outbox events are worth an inspector's attention, how urgent they are and
 * what to tell them. Pure data + one pure function (`classifyEvent`), unit-tested as a table.
 * red = wages are (or are about to be) unpaid or money was taken; orange = a rule is broken and will turn
 * red if nobody acts; yellow = worth a look. docs/alerts.md lists the same table for readers.
 */
export type Severity = 'red' | 'orange' | 'yellow';
export const SEVERITIES: Severity[] = ['red', 'orange', 'yellow'];

/**
 * state: the alert is about a condition that lasts (raised on begin, escalation and resolve; summed up
 * in the daily digest while it persists); event: a fact, one alert each (line-level facts grouped per
 * payroll batch and kind); digest: the daily summary of persisting states of one county.
 */
export type AlertKind = 'state' | 'event' | 'digest';

export interface AlertType {
  type: string;
  severity: Severity;
  kind: AlertKind;
  /** Message templates; `{name}` is replaced from the event payload / context (missing → '?'). */
  zh: string;
  en: string;
  /** Which resource the alert links to. */
  link: 'project' | 'payroll' | 'deposit' | 'case' | 'credit' | 'subscription' | 'workers' | 'none';
  /**
   * Who hears it besides inspectors (their counties), regulators (their industries) and admins (all):
   * `project` — the project's general contractor, the company the alert names (its `companyId`: the
   *   employer, the construction unit, the GC) and the employer named in its data;
   * `company` — only the company the alert names (a blacklist proposal goes to the company concerned);
   * `none` — no contractor (platform and bank matters). Alerts addressed to one key go to that key.
   */
  contractors: ContractorAudience;
}


/** An event as the state rules see it. */
export interface RaisedEvent { projectId: string | null; companyId: string | null; payload: Record<string, unknown> }

/**
 * The state alert types: which subject a raise is about (`subject`, unique per type; null = treat this
 * raise as a plain event) and how severe the state is now (`severity`, default: the type's severity;
 * a change is an escalation). Add a state type here and let its observer emit `alerts.states_observed`.
 */
export interface StateSpec {
  subject: (e: RaisedEvent) => string | null;
  severity?: (payload: Record<string, unknown>) => Severity | undefined;
}
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bySubject = (...parts: ((e: RaisedEvent) => unknown)[]) => (e: RaisedEvent): string | null =>
  e.projectId ? [e.projectId, ...parts.map((f) => String(f(e) ?? ''))].join(':') : null;
export const STATE_SPECS: Record<string, StateSpec> = {
  // Nothing at all in the wage account while a payroll is due is worse than "not enough".
  wage_balance_low: { subject: bySubject(), severity: (p) => (num(p.availableFen) === 0 && (num(p.payrollFen) ?? 0) > 0 ? 'red' : undefined) },
  payroll_not_submitted: { subject: bySubject((e) => e.payload.employerId ?? e.companyId, (e) => e.payload.month) },
  allocation_missed: { subject: bySubject((e) => e.payload.cycleFrom) },
  no_labor_manager: { subject: bySubject() },
  // The deposit-notice path raises deposit.short for a case (a fact of that notice): an event, not the state.
  deposit_short: {
    subject: (e) => (e.payload.caseId ? null : bySubject()(e)),
    severity: (p) => ((num(p.shortfallFen) ?? 0) * 2 >= (num(p.requiredFen) ?? Infinity) ? 'red' : undefined),
  },
  guarantee_expiring: { subject: bySubject((e) => e.payload.guaranteeId) },
  dispatched_over_cap: { subject: bySubject() },
};

/** Line-level event types: grouped into one alert per payroll batch and type within a relay batch. */
export const GROUPED_TYPES = new Set(['line_paid_late', 'line_underpaid', 'line_overpaid', 'line_rejected', 'line_funding_failed', 'line_wrong_account', 'line_missing', 'line_duplicate']);

export const RESOLVED_SUFFIX = '_resolved';
export const DIGEST_TYPE = 'state_digest';

export type ContractorAudience = 'project' | 'company' | 'none';

/** Platform and bank matters no contractor hears; company-only matters; the rest goes to the project's parties. */
const NO_CONTRACTOR = new Set(['bank_result_contradiction', 'bank_record_orphan', 'calendar_year_uncovered', 'subscription_paused', 'job_failed_for_good', 'state_digest']);
const COMPANY_ONLY = new Set(['credit_downgraded', 'blacklist_proposed', 'blacklist_objection_filed', 'blacklist_objection_decided', 'blacklist_listed', 'blacklist_removed']);

const t = (type: string, severity: Severity, zh: string, en: string, link: AlertType['link'] = 'project'): AlertType => ({
  type, severity, kind: STATE_SPECS[type] ? 'state' : 'event', zh, en, link, contractors: NO_CONTRACTOR.has(type) ? 'none' : COMPANY_ONLY.has(type) ? 'company' : 'project',
});

/** Keyed by alert type. */
export const ALERT_TYPES: Record<string, AlertType> = Object.fromEntries(
  [
    // roster
    t('card_shared', 'orange', '项目「{project}」一张银行卡登记给多名工人（疑似代领工资）', 'Project "{project}": one bank card registered for several workers (wages may be collected by a foreman)', 'workers'),
    t('worker.identity_mismatch', 'orange', '项目「{project}」登记的身份证号与已登记姓名不符（已拒绝）', 'Project "{project}": a resident ID was registered under a name that does not match its holder (refused)', 'workers'),
    t('worker.card_changed', 'orange', '项目「{project}」工人工资卡变更（{action}，{cardMasked}）', 'Project "{project}": a worker\'s payout card changed ({action}, {cardMasked})', 'workers'),
    t('worker.card_change_refused', 'red', '项目「{project}」非用工单位试图变更工人工资卡（已拒绝）', 'Project "{project}": a company that does not employ the worker tried to change their card (refused)', 'workers'),
    t('worker.card_fix_opened', 'orange', '项目「{project}」工人工资卡被银行退回（{reasonCode}），需更换银行卡', 'Project "{project}": the bank rejected a worker\'s card ({reasonCode}); a new card is needed', 'workers'),
    t('dispatched_over_cap', 'yellow', '项目「{project}」劳务派遣人员超过用工总量上限', 'Project "{project}": dispatched workers exceed the cap of the workforce', 'workers'),
    // payroll findings
    t('payroll_no_attendance', 'orange', '项目「{project}」{month} 工资表有无考勤记录的工资行', 'Project "{project}" {month}: wage lines for workers with no attendance', 'payroll'),
    t('payroll_days_over_present', 'orange', '项目「{project}」{month} 计薪天数超过出勤天数', 'Project "{project}" {month}: days paid exceed days present', 'payroll'),
    // Red everywhere (the payroll rule says red): pay under the legal minimum is wages unpaid.
    t('payroll_below_minimum_wage', 'red', '项目「{project}」{month} 工人工资低于当地最低工资标准（月 {minimumYuan} 元）', 'Project "{project}" {month}: pay below the local minimum wage (CNY {minimumYuan} a month)', 'payroll'),
    t('payroll_equal_pay', 'yellow', '项目「{project}」{month} 同工种工人工资明显偏低（同工同酬）', 'Project "{project}" {month}: a worker paid clearly less than others in the same trade', 'payroll'),
    // The county's own thresholds (policy payroll.monthlyCapFen / yearlyCapFen), from the finding.
    t('payroll_monthly_cap', 'orange', '项目「{project}」{month} 工人月工资超过 {capYuan} 元（可疑）', 'Project "{project}" {month}: a worker paid more than CNY {capYuan} in a month (suspicious)', 'payroll'),
    t('payroll_yearly_cap', 'orange', '项目「{project}」{month} 工人年度工资超过 {capYuan} 元（可疑）', 'Project "{project}" {month}: a worker paid more than CNY {capYuan} in a year (suspicious)', 'payroll'),
    t('payroll_attended_missing', 'red', '项目「{project}」{month} 有出勤工人未列入工资表', 'Project "{project}" {month}: attended workers have no wage line', 'payroll'),
    t('payroll_finding', 'yellow', '项目「{project}」{month} 工资表校验发现问题（{code}）', 'Project "{project}" {month}: wage sheet finding ({code})', 'payroll'),
    t('allocation_shortfall', 'red', '项目「{project}」工资专用账户余额不足以支付 {month} 工资', 'Project "{project}": wage-account balance below the {month} payroll', 'project'),
    // bank and reconciliation
    t('bank_result_contradiction', 'yellow', '项目「{project}」银行回执前后矛盾，需人工核对', 'Project "{project}": contradictory bank results need a manual check', 'payroll'),
    t('line_paid_late', 'yellow', '项目「{project}」{month} 工资逾期支付', 'Project "{project}" {month}: wages paid late', 'payroll'),
    t('line_underpaid', 'orange', '项目「{project}」{month} 工资少付', 'Project "{project}" {month}: wages underpaid', 'payroll'),
    t('line_overpaid', 'yellow', '项目「{project}」{month} 工资多付', 'Project "{project}" {month}: wages overpaid', 'payroll'),
    t('line_rejected', 'orange', '项目「{project}」{month} 工资被银行退回（{reasonCode}）', 'Project "{project}" {month}: wage payment rejected by the bank ({reasonCode})', 'payroll'),
    t('line_funding_failed', 'red', '项目「{project}」{month} 工资专用账户余额不足，代发失败', 'Project "{project}" {month}: payment failed for insufficient funds in the wage account', 'payroll'),
    t('line_wrong_account', 'red', '项目「{project}」{month} 工资付至非本人登记银行卡', 'Project "{project}" {month}: wages paid to a card that is not the worker\'s own', 'payroll'),
    t('line_missing', 'red', '项目「{project}」{month} 工资到期未付', 'Project "{project}" {month}: wages unpaid after pay day', 'payroll'),
    t('line_duplicate', 'yellow', '项目「{project}」{month} 工资重复支付', 'Project "{project}" {month}: duplicate wage payment', 'payroll'),
    t('line.disputed', 'orange', '项目「{project}」{month} 工人对工资发放提出异议（{answer}）', 'Project "{project}" {month}: a worker disputes a wage payment ({answer})', 'payroll'),
    t('complaint.received', 'orange', '项目「{project}」收到欠薪线索（{workersAffected} 人，{amountYuan} 元），请于 {dueOn} 前答复', 'Project "{project}": arrears complaint received ({workersAffected} workers, CNY {amountYuan}); answer by {dueOn}', 'project'),
    t('complaint.overdue', 'orange', '项目「{project}」欠薪线索 {ref} 逾期未答复（应于 {dueOn} 前答复）', 'Project "{project}": arrears complaint {ref} unanswered past {dueOn}', 'project'),
    t('bank_record_orphan', 'yellow', '银行流水无法匹配到工资行', 'A bank record matches no wage line', 'project'),
    // sweeps (early warning)
    t('payroll_not_submitted', 'orange', '项目「{project}」{month} 工资表发薪日前未提交', 'Project "{project}" {month}: wage sheet not submitted by pay day', 'project'),
    t('approval_missing', 'orange', '项目「{project}」{month} 工资表未经总包审核，发薪日 {payDate} 将至或已过', 'Project "{project}" {month}: wage sheet not approved by the general contractor; pay day {payDate}', 'payroll'),
    t('allocation_missed', 'red', '项目「{project}」建设单位未按期拨付人工费用', 'Project "{project}": labour-cost allocation missed for a cycle', 'project'),
    t('wage_balance_low', 'orange', '项目「{project}」工资专用账户余额低于当月工资', 'Project "{project}": wage-account balance below the month\'s payroll', 'project'),
    t('no_labor_manager', 'yellow', '项目「{project}」未设劳资专管员', 'Project "{project}": no labour-wage officer appointed', 'project'),
    // deposits
    t('deposit_short', 'orange', '项目「{project}」工资保证金不足（差额 {shortfallYuan} 元）', 'Project "{project}": wage-guarantee deposit short by CNY {shortfallYuan}', 'deposit'),
    t('guarantee_expiring', 'yellow', '项目「{project}」保函将于 {validTo} 到期', 'Project "{project}": guarantee letter expires on {validTo}', 'deposit'),
    t('deposit_drawn', 'red', '项目「{project}」已动用工资保证金支付工资', 'Project "{project}": the wage deposit was drawn to pay wages', 'deposit'),
    t('deposit_replenishment_due', 'orange', '项目「{project}」工资保证金需在期限内补足', 'Project "{project}": the deposit must be replenished', 'deposit'),
    t('deposit_replenishment_overdue', 'red', '项目「{project}」工资保证金逾期未补足', 'Project "{project}": deposit replenishment overdue', 'deposit'),
    t('deposit_payment_overdue', 'red', '项目「{project}」银行未在期限（{deadline}）内执行保证金支付通知', 'Project "{project}": the bank did not pay the deposit payment notice by {deadline}', 'case'),
    t('deposit_return_blocked', 'orange', '项目「{project}」工资保证金返还暂停：{reason}', 'Project "{project}": deposit return on hold: {reason}', 'deposit'),
    t('deposit_return_requested', 'yellow', '项目「{project}」申请返还工资保证金，待审核', 'Project "{project}": deposit return requested, awaiting review', 'deposit'),
    // arrears cases
    t('case_opened', 'red', '项目「{project}」立案：拖欠工资', 'Project "{project}": wage-arrears case opened', 'case'),
    t('case_overdue_notice', 'orange', '项目「{project}」欠薪案件：已发逾期通知', 'Project "{project}": arrears case — overdue notice issued', 'case'),
    t('case_gc_order', 'red', '项目「{project}」欠薪案件：责令总包先行清偿', 'Project "{project}": arrears case — general contractor ordered to pay first', 'case'),
    t('case_deposit_notice', 'red', '项目「{project}」欠薪案件：动用保证金支付通知', 'Project "{project}": arrears case — deposit payment notice', 'case'),
    t('case_replenishment_due', 'orange', '项目「{project}」欠薪案件：保证金待补足', 'Project "{project}": arrears case — deposit replenishment due', 'case'),
    t('case_replenishment_overdue', 'red', '项目「{project}」欠薪案件：保证金逾期未补足', 'Project "{project}": arrears case — deposit replenishment overdue', 'case'),
    t('case_escalated', 'orange', '项目「{project}」欠薪案件升级（{stage}）', 'Project "{project}": arrears case escalated ({stage})', 'case'),
    t('case_order_ignored', 'red', '项目「{project}」欠薪案件：总包逾期未先行清偿，保证金不足以支付（差额 {shortfallYuan} 元）', 'Project "{project}": arrears case — the general contractor ignored the pay-first order and the deposit cannot pay (short by CNY {shortfallYuan})', 'case'),
    t('case_mass_incident', 'red', '项目「{project}」欠薪引发群体性或极端事件', 'Project "{project}": wage arrears caused a mass or extreme incident', 'case'),
    t('lines_overdue', 'red', '项目「{project}」{month} 有 {lines} 笔工资逾期未付', 'Project "{project}" {month}: {lines} wage lines overdue', 'payroll'),
    // project life
    t('completion_overdue', 'orange', '项目「{project}」已过计划竣工日期（{plannedEndDate}）仍未申报竣工', 'Project "{project}": past its planned end ({plannedEndDate}) with no completion declared', 'project'),
    t('final_line_missing', 'orange', '项目「{project}」工人离场（{exitDate}）后未结清工资', 'Project "{project}": a worker exited on {exitDate} without a final wage line', 'workers'),
    t('case_closed', 'yellow', '项目「{project}」欠薪案件已结案', 'Project "{project}": arrears case closed', 'case'),
    // credit and blacklist
    t('credit_downgraded', 'yellow', '企业「{company}」信用等级由 {from} 降为 {to}', 'Company "{company}": credit grade lowered from {from} to {to}', 'credit'),
    t('blacklist_proposed', 'orange', '企业「{company}」拟列入拖欠农民工工资失信联合惩戒对象名单', 'Company "{company}": proposed for the wage-arrears blacklist', 'credit'),
    t('blacklist_objection_filed', 'yellow', '企业「{company}」对拟列入拖欠农民工工资失信联合惩戒对象名单提出陈述申辩', 'Company "{company}": objection to blacklisting filed', 'credit'),
    t('blacklist_objection_decided', 'yellow', '企业「{company}」陈述申辩已处理（{decision}）', 'Company "{company}": objection decided ({decision})', 'credit'),
    t('blacklist_listed', 'red', '企业「{company}」已列入拖欠农民工工资失信联合惩戒对象名单', 'Company "{company}": listed on the wage-arrears blacklist', 'credit'),
    t('blacklist_removed', 'yellow', '企业「{company}」已移出拖欠农民工工资失信联合惩戒对象名单', 'Company "{company}": removed from the blacklist', 'credit'),
    // platform
    t('calendar_year_uncovered', 'orange', '{year} 年节假日安排尚未录入：工作日暂按周末计算', 'No holiday schedule for {year}: working days count weekends only until it is entered', 'none'),
    // alert delivery
    t('subscription_paused', 'orange', '告警推送订阅 {subscriptionId} 连续失败 {failures} 次，已暂停', 'Alert subscription {subscriptionId} paused after {failures} consecutive failures', 'subscription'),
    // platform operations (no county or industry: admins only)
    t('job_failed_for_good', 'orange', '后台任务 {queue}/{jobId} 已彻底失败（第 {failures} 次：{reason}），将于 {retryAt} 自动重试', 'Background job {queue}/{jobId} failed for good (time {failures}: {reason}); retried automatically at {retryAt}', 'none'),
  ].map((x) => [x.type, x]),
);
// One `…_resolved` type per state type (its severity is the state's last one) and the county digest.
for (const st of Object.keys(STATE_SPECS)) {
  const base = ALERT_TYPES[st]!;
  ALERT_TYPES[st + RESOLVED_SUFFIX] = {
    type: st + RESOLVED_SUFFIX, severity: base.severity, kind: 'state', link: base.link, contractors: base.contractors,
    zh: '项目「{project}」已解除：{label}（自 {openedOn} 起）', en: 'Project "{project}": resolved — {label} (since {openedOn})',
  };
}
ALERT_TYPES[DIGEST_TYPE] = {
  type: DIGEST_TYPE, severity: 'yellow', kind: 'digest', link: 'none', contractors: 'none',
  zh: '{county} {on} 持续中的预警 {total} 项：{summaryZh}', en: '{county} {on}: {total} states still open: {summaryEn}',
};
/** Grouped line alerts with more than one line use these instead of the single-line message. */
export const GROUP_TEMPLATES = {
  zh: '项目「{project}」{month}：{count} 笔{label}，共 {amountYuan} 元',
  en: 'Project "{project}" {month}: {count} lines — {label}, CNY {amountYuan} in total',
};

/** The state type a type belongs to (itself, or the base of a `…_resolved` type), or null for events. */
export function stateTypeOf(type: string): string | null {
  if (STATE_SPECS[type]) return type;
  if (type.endsWith(RESOLVED_SUFFIX) && STATE_SPECS[type.slice(0, -RESOLVED_SUFFIX.length)]) return type.slice(0, -RESOLVED_SUFFIX.length);
  return null;
}

/** Outbox event types that raise each state type (the observer names these in `eventTypes`). */
export function stateTypesOfEvents(eventTypes: string[]): string[] {
  const out = new Set<string>();
  for (const et of eventTypes) {
    const d = DIRECT[et];
    if (d && STATE_SPECS[d]) out.add(d);
  }
  return [...out];
}

/** Alert types a contractor may hear at all, and those it hears as a party of the project. */
export const CONTRACTOR_TYPES: string[] = Object.values(ALERT_TYPES).filter((a) => a.contractors !== 'none').map((a) => a.type);
export const CONTRACTOR_PROJECT_TYPES: string[] = Object.values(ALERT_TYPES).filter((a) => a.contractors === 'project').map((a) => a.type);

/** payroll.finding payload.code → alert type (unknown codes fall back to `payroll_finding`). */
const FINDING_TYPES: Record<string, string> = {
  no_attendance: 'payroll_no_attendance',
  days_over_present: 'payroll_days_over_present',
  below_minimum_wage: 'payroll_below_minimum_wage',
  equal_pay: 'payroll_equal_pay',
  monthly_cap: 'payroll_monthly_cap',
  yearly_cap: 'payroll_yearly_cap',
  attended_missing: 'payroll_attended_missing',
};

/** line.status_changed payload.to → alert type; `paid` and `pending` are not alert-worthy. */
const LINE_TYPES: Record<string, string> = {
  paid_late: 'line_paid_late',
  underpaid: 'line_underpaid',
  overpaid: 'line_overpaid',
  rejected: 'line_rejected',
  wrong_account: 'line_wrong_account',
  missing: 'line_missing',
  duplicate: 'line_duplicate',
};

const CASE_STAGES = ['overdue_notice', 'gc_order', 'deposit_notice', 'replenishment_due', 'replenishment_overdue'];

/** Event types mapped one-to-one. Events absent here and below produce no alert. */
const DIRECT: Record<string, string> = {
  [EVENTS.cardShared]: 'card_shared',
  [EVENTS.dispatchedOverCap]: 'dispatched_over_cap',
  [EVENTS.identityMismatch]: 'worker.identity_mismatch',
  [EVENTS.cardChanged]: 'worker.card_changed',
  [EVENTS.cardChangeRefused]: 'worker.card_change_refused',
  [EVENTS.cardFixOpened]: 'worker.card_fix_opened',
  [EVENTS.allocationShortfall]: 'allocation_shortfall',
  [EVENTS.bankResultContradiction]: 'bank_result_contradiction',
  [EVENTS.bankRecordOrphan]: 'bank_record_orphan',
  [EVENTS.payrollNotSubmitted]: 'payroll_not_submitted',
  [EVENTS.allocationMissed]: 'allocation_missed',
  [EVENTS.wageBalanceLow]: 'wage_balance_low',
  [EVENTS.noLaborManager]: 'no_labor_manager',
  [EVENTS.approvalMissing]: 'approval_missing',
  [EVENTS.depositShort]: 'deposit_short',
  [EVENTS.guaranteeExpiring]: 'guarantee_expiring',
  [EVENTS.depositDrawn]: 'deposit_drawn',
  [EVENTS.replenishmentDue]: 'deposit_replenishment_due',
  [EVENTS.replenishmentOverdue]: 'deposit_replenishment_overdue',
  [EVENTS.depositReturnRequested]: 'deposit_return_requested',
  [EVENTS.depositReturnBlocked]: 'deposit_return_blocked',
  [EVENTS.depositPaymentOverdue]: 'deposit_payment_overdue',
  [EVENTS.caseOpened]: 'case_opened',
  [EVENTS.caseClosed]: 'case_closed',
  [EVENTS.caseMassIncident]: 'case_mass_incident',
  [EVENTS.caseOrderIgnored]: 'case_order_ignored',
  [EVENTS.linesOverdue]: 'lines_overdue',
  [EVENTS.blacklistProposed]: 'blacklist_proposed',
  [EVENTS.blacklistObjectionFiled]: 'blacklist_objection_filed',
  [EVENTS.blacklistObjectionDecided]: 'blacklist_objection_decided',
  [EVENTS.blacklistListed]: 'blacklist_listed',
  [EVENTS.blacklistRemoved]: 'blacklist_removed',
  [EVENTS.subscriptionPaused]: 'subscription_paused',
  [EVENTS.jobFailedForGood]: 'job_failed_for_good',
  [EVENTS.completionOverdue]: 'completion_overdue',
  [EVENTS.finalLineMissing]: 'final_line_missing',
  [EVENTS.calendarYearUncovered]: 'calendar_year_uncovered',
};

/** Events deliberately silent (facts of normal operation); listed so the docs and tests can show them. */
export const SILENT_EVENTS: string[] = [
  EVENTS.projectCreated, EVENTS.projectPayMonthChanged, EVENTS.payrollSubmitted, EVENTS.payrollApproved, EVENTS.batchCreated, EVENTS.batchLinesWithdrawn,
  EVENTS.wageAccountCredited, EVENTS.wageAccountDebited, EVENTS.depositCredited, EVENTS.depositReturned,
  EVENTS.projectCompleting, EVENTS.projectCompleted, EVENTS.projectClosed, EVENTS.wageAccountClosed, EVENTS.retentionErased, EVENTS.countyReportGenerated,
];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const GRADES = ['A', 'B', 'C', 'D'];

/** Map an event (type + payload) to an alert type, or null when it is not alert-worthy. */
export function classifyEvent(type: string, payload: Record<string, unknown>): AlertType | null {
  let alertType: string | undefined = DIRECT[type];
  if (type === EVENTS.payrollFinding) alertType = FINDING_TYPES[str(payload.code) ?? ''] ?? 'payroll_finding';
  if (type === EVENTS.lineStatusChanged) {
    const to = str(payload.to) ?? '';
    // AM04 = insufficient funds: the employer failed to fund the account, not a worker's card problem.
    alertType = to === 'rejected' && payload.reasonCode === 'AM04' ? 'line_funding_failed' : LINE_TYPES[to];
  }
  if (type === EVENTS.lineDisputed) {
    const def = ALERT_TYPES['line.disputed']!;
    // The bank said paid, the worker says not received: the strongest sign of a card that is not theirs.
    return payload.bankPaid === true ? { ...def, severity: 'red', zh: '项目「{project}」{month} 银行报告已付，工人称未收到（疑似非本人银行卡），已提交劳动监察', en: 'Project "{project}" {month}: the bank reports paid but the worker says not received (card may not be theirs); raised to inspectors' } : def;
  }
  if (type === EVENTS.complaintReceived || type === EVENTS.complaintOverdue) {
    const def = ALERT_TYPES[type]!;
    return payload.severity === 'red' ? { ...def, severity: 'red' } : def;
  }
  if (type === EVENTS.caseEscalated) {
    const stage = str(payload.stage) ?? '';
    alertType = CASE_STAGES.includes(stage) ? `case_${stage}` : 'case_escalated';
  }
  if (type === EVENTS.creditGradeChanged) {
    const from = GRADES.indexOf(str(payload.from) ?? '');
    const to = GRADES.indexOf(str(payload.to) ?? '');
    alertType = from >= 0 && to > from ? 'credit_downgraded' : undefined;
  }
  return alertType ? (ALERT_TYPES[alertType] ?? null) : null;
}

/** Fill `{name}` placeholders; values come from the payload and the context (project/company names). */
export function renderTemplate(tpl: string, vars: Record<string, unknown>): string {
  return tpl.replace(/\{(\w+)\}/g, (_m, k: string) => {
    const v = vars[k];
    return v === undefined || v === null || v === '' ? '?' : String(v);
  });
}

/** Where an alert points in the API. */
export function alertLink(kind: AlertType['link'], e: { projectId: string | null; companyId: string | null; payload: Record<string, unknown> }): string | null {
  const p = e.payload;
  switch (kind) {
    case 'payroll':
      return str(p.payrollId) ? `/v1/payrolls/${p.payrollId}` : e.projectId ? `/v1/projects/${e.projectId}` : null;
    case 'deposit':
      return e.projectId ? `/v1/projects/${e.projectId}/deposit` : null;
    case 'case':
      return str(p.caseId) ? `/v1/cases/${p.caseId}` : e.projectId ? `/v1/cases?projectId=${e.projectId}` : null;
    case 'credit':
      return e.companyId ? `/v1/companies/${e.companyId}/credit` : '/v1/blacklist';
    case 'workers':
      return e.projectId ? `/v1/projects/${e.projectId}/workers` : null;
    case 'subscription':
      return str(p.subscriptionId) ? `/v1/alert-subscriptions/${p.subscriptionId}/deliveries` : null;
    case 'project':
      return e.projectId ? `/v1/projects/${e.projectId}` : null;
    default:
      return null;
  }
}
