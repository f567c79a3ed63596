/**
 * The outbox event vocabulary: one name per business fact. Producers emit these through
 * `emit()` (src/modules/alerts/outbox.service.ts) with countyCode/projectId/companyId set whenever
 * they apply; the alerts catalogue maps them to inspector alerts. Add new names here, never rename.
 */
export const EVENTS = {
  // registry / roster
  projectCreated: 'project.created',
  projectPayMonthChanged: 'project.pay_month_changed', // the GC changed which month the pay day pays, from a wage month not yet begun
  cardShared: 'roster.card_shared', // a card registered for a second worker
  dispatchedOverCap: 'roster.dispatched_over_cap',
  // card custody (issue 17)
  identityMismatch: 'worker.identity_mismatch', // a known resident ID registered under another name (refused)
  cardChanged: 'worker.card_changed', // payload.action: proposed | verified | activated | invalidated | refused
  cardChangeRefused: 'worker.card_change_refused', // a company that does not employ the worker tried to change the card
  cardFixOpened: 'worker.card_fix_opened', // the bank rejected the active card (AC01/AC04/BE01); the employer must fix it
  // payroll
  payrollSubmitted: 'payroll.submitted',
  payrollFinding: 'payroll.finding', // payload.code: no_attendance | days_over_present | below_minimum_wage | equal_pay | monthly_cap | yearly_cap | attended_missing
  payrollApproved: 'payroll.approved',
  allocationShortfall: 'payroll.allocation_shortfall',
  // disbursement / bank
  batchCreated: 'batch.created',
  batchLinesWithdrawn: 'batch.lines_withdrawn', // a waiting batch lost lines an arrears case paid meanwhile (payload.status cancelled: nothing left)
  bankResultContradiction: 'bank.result_contradiction',
  wageAccountCredited: 'wage_account.credited',
  wageAccountDebited: 'wage_account.debited',
  depositCredited: 'deposit.credited',
  // reconciliation
  lineStatusChanged: 'line.status_changed', // payload: { lineId, from, to, reasonCode? }
  bankRecordOrphan: 'bank_record.orphan',
  // worker door (#18)
  lineDisputed: 'line.disputed', // payload: { lineId, month, answer, bankStatus, bankPaid }
  complaintReceived: 'complaint.received', // payload: { complaintId, ref, severity, workersAffected, amountClaimedFen, caseId } (never the complainant)
  complaintOverdue: 'complaint.overdue', // payload: { complaintId, ref, dueOn, asOf }: once per working day until answered
  // enforcement sweeps
  payrollNotSubmitted: 'sweep.payroll_not_submitted',
  allocationMissed: 'sweep.allocation_missed',
  wageBalanceLow: 'sweep.wage_balance_low',
  noLaborManager: 'sweep.no_labor_manager',
  approvalMissing: 'sweep.approval_missing', // a submitted sheet the GC has not approved, from pay day − 2 working days
  depositShort: 'deposit.short',
  guaranteeExpiring: 'guarantee.expiring',
  depositDrawn: 'deposit.drawn',
  replenishmentDue: 'deposit.replenishment_due',
  replenishmentOverdue: 'deposit.replenishment_overdue',
  depositReturnRequested: 'deposit.return_requested',
  depositReturned: 'deposit.returned',
  depositPaymentOverdue: 'deposit.payment_overdue', // the bank did not pay a deposit payment notice by its deadline (once per case)
  depositReturnBlocked: 'deposit.return_blocked', // a pending return held up (open case, complaint, draw, project not completed)
  // arrears cases
  caseOpened: 'case.opened',
  caseEscalated: 'case.escalated', // payload.stage: overdue_notice | gc_order | deposit_notice | replenishment_due | replenishment_overdue
  caseClosed: 'case.closed',
  caseOrderIgnored: 'case.order_ignored', // the GC's pay-first order expired unpaid and the deposit could not pay (shortfall in payload)
  caseMassIncident: 'case.mass_incident', // an inspector flagged a mass or extreme incident (credit reads it)
  linesOverdue: 'sweep.lines_overdue', // payload: { month, lines, amountFen } per project/employer/month
  // credit / blacklist
  creditGradeChanged: 'credit.grade_changed',
  blacklistProposed: 'blacklist.proposed',
  blacklistObjectionFiled: 'blacklist.objection_filed',
  blacklistObjectionDecided: 'blacklist.objection_decided',
  blacklistListed: 'blacklist.listed',
  blacklistRemoved: 'blacklist.removed',
  // project life (lifecycle module)
  projectCompleting: 'project.completing',
  projectCompleted: 'project.completed',
  projectClosed: 'project.closed',
  wageAccountClosed: 'wage_account.closed', // payload.beforeCompletion / balanceFen flag an early or non-empty closing
  completionOverdue: 'project.completion_overdue', // past the planned end with no completion declared
  finalLineMissing: 'roster.final_line_missing', // a worker exited without a final wage line in time
  retentionErased: 'retention.erased',
  countyReportGenerated: 'report.county_monthly',
  // platform
  calendarYearUncovered: 'calendar.year_uncovered', // a deadline falls in a year without a holiday schedule (once per year, to admins)
  // alerts
  subscriptionPaused: 'alerts.subscription_paused',
  // An observer (the sweep, the dispatched-cap check) looked at some state-raising event types as of a
  // date: payload { asOf, eventTypes, projectId? }. States of those types it did not raise have ended.
  statesObserved: 'alerts.states_observed',
  // platform operations
  jobFailedForGood: 'platform.job_failed_for_good', // payload: { queue, jobId, name, reason, failures, retryAt } (admins only)
} as const;
export type EventType = (typeof EVENTS)[keyof typeof EVENTS];
