/**
 * Short names of alert types for lists, filters and digests, in both page languages (the long message
 * templates live in alert-catalogue.ts). A `…_resolved` type is labelled from its state's label.
 */
export const ALERT_LABELS: Record<string, { zh: string; en: string }> = {
  card_shared: { zh: '一卡多人', en: 'Card shared' },
  dispatched_over_cap: { zh: '派遣人员超比例', en: 'Dispatched share over cap' },
  payroll_no_attendance: { zh: '无考勤工资行', en: 'Pay without attendance' },
  payroll_days_over_present: { zh: '计薪天数超出勤', en: 'Days paid over present' },
  payroll_below_minimum_wage: { zh: '低于最低工资', en: 'Below minimum wage' },
  payroll_equal_pay: { zh: '同工不同酬', en: 'Unequal pay' },
  payroll_monthly_cap: { zh: '月工资超上限', en: 'Monthly pay over cap' },
  payroll_yearly_cap: { zh: '年工资超上限', en: 'Yearly pay over cap' },
  payroll_attended_missing: { zh: '出勤工人未列入工资表', en: 'Attended worker not on sheet' },
  payroll_finding: { zh: '工资表问题', en: 'Wage sheet finding' },
  allocation_shortfall: { zh: '审批时余额不足', en: 'Balance short at approval' },
  bank_result_contradiction: { zh: '银行回执矛盾', en: 'Contradictory bank results' },
  line_paid_late: { zh: '工资逾期支付', en: 'Wages paid late' },
  line_underpaid: { zh: '工资少付', en: 'Wages underpaid' },
  line_overpaid: { zh: '工资多付', en: 'Wages overpaid' },
  line_rejected: { zh: '银行退回', en: 'Rejected by bank' },
  line_funding_failed: { zh: '余额不足代发失败', en: 'Payment failed: no funds' },
  line_wrong_account: { zh: '付至非本人卡', en: 'Paid to wrong card' },
  line_missing: { zh: '到期未付', en: 'Unpaid after pay day' },
  line_duplicate: { zh: '重复支付', en: 'Duplicate payment' },
  bank_record_orphan: { zh: '无法匹配的银行流水', en: 'Unmatched bank record' },
  payroll_not_submitted: { zh: '工资表未提交', en: 'Wage sheet not submitted' },
  allocation_missed: { zh: '人工费用未按期拨付', en: 'Labour-cost allocation missed' },
  wage_balance_low: { zh: '专户余额低于当月工资', en: 'Wage balance below payroll' },
  no_labor_manager: { zh: '未设劳资专管员', en: 'No labour-wage officer' },
  deposit_short: { zh: '保证金不足', en: 'Deposit short' },
  guarantee_expiring: { zh: '保函即将到期', en: 'Guarantee expiring' },
  deposit_drawn: { zh: '动用保证金', en: 'Deposit drawn' },
  deposit_replenishment_due: { zh: '保证金待补足', en: 'Deposit replenishment due' },
  deposit_replenishment_overdue: { zh: '保证金逾期未补足', en: 'Deposit replenishment overdue' },
  deposit_return_requested: { zh: '申请返还保证金', en: 'Deposit return requested' },
  case_opened: { zh: '欠薪立案', en: 'Arrears case opened' },
  case_overdue_notice: { zh: '逾期通知', en: 'Overdue notice' },
  case_gc_order: { zh: '责令总包先行清偿', en: 'GC ordered to pay first' },
  case_deposit_notice: { zh: '动用保证金通知', en: 'Deposit payment notice' },
  case_replenishment_due: { zh: '案件：保证金待补足', en: 'Case: replenishment due' },
  case_replenishment_overdue: { zh: '案件：保证金逾期未补足', en: 'Case: replenishment overdue' },
  case_escalated: { zh: '案件升级', en: 'Case escalated' },
  case_mass_incident: { zh: '群体性事件', en: 'Mass incident' },
  lines_overdue: { zh: '工资逾期未付', en: 'Wage lines overdue' },
  case_closed: { zh: '案件结案', en: 'Case closed' },
  credit_downgraded: { zh: '信用降级', en: 'Credit downgraded' },
  blacklist_proposed: { zh: '拟列入失信名单', en: 'Blacklisting proposed' },
  blacklist_objection_filed: { zh: '陈述申辩', en: 'Objection filed' },
  blacklist_objection_decided: { zh: '陈述申辩已处理', en: 'Objection decided' },
  blacklist_listed: { zh: '列入失信名单', en: 'Blacklisted' },
  blacklist_removed: { zh: '移出失信名单', en: 'Removed from blacklist' },
  subscription_paused: { zh: '推送订阅已暂停', en: 'Subscription paused' },
  // second round: card custody, the worker's door, duties that now run, project life, liveness
  'worker.identity_mismatch': { zh: '身份证姓名不符', en: 'ID and name mismatch' },
  'worker.card_changed': { zh: '工资卡变更', en: 'Payout card changed' },
  'worker.card_change_refused': { zh: '非用工单位改卡被拒', en: 'Card change refused' },
  'worker.card_fix_opened': { zh: '工资卡需更换', en: 'Card needs replacing' },
  'line.disputed': { zh: '工人对工资有异议', en: 'Wage payment disputed' },
  'complaint.received': { zh: '收到欠薪线索', en: 'Arrears complaint received' },
  'complaint.overdue': { zh: '欠薪线索逾期未答复', en: 'Complaint answer overdue' },
  approval_missing: { zh: '工资表未审核', en: 'Wage sheet not approved' },
  deposit_payment_overdue: { zh: '保证金逾期未支付', en: 'Deposit payment overdue' },
  deposit_return_blocked: { zh: '保证金返还暂停', en: 'Deposit return blocked' },
  case_order_ignored: { zh: '总包未执行先行清偿', en: 'Pay-first order ignored' },
  completion_overdue: { zh: '逾期未申报竣工', en: 'Completion not declared' },
  final_line_missing: { zh: '离场工人无结算工资', en: 'No final wage line on exit' },
  calendar_year_uncovered: { zh: '节假日安排缺失', en: 'Holiday calendar missing' },
  job_failed_for_good: { zh: '后台任务彻底失败', en: 'Background job failed for good' },
  state_digest: { zh: '持续预警日报', en: 'Daily digest of open states' },
};

const RESOLVED = '_resolved';

/** The label of a type in a language; unknown types (added by other modules later) show their code. */
export function alertLabel(type: string, lang: 'zh' | 'en'): string {
  if (type.endsWith(RESOLVED)) {
    const base = ALERT_LABELS[type.slice(0, -RESOLVED.length)];
    if (base) return lang === 'zh' ? `已解除：${base.zh}` : `Resolved: ${base.en}`;
  }
  return ALERT_LABELS[type]?.[lang] ?? type;
}
