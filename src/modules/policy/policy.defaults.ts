/**
 * Every number of the domain is a policy setting; these are the national defaults from
 * shared/domain.md. Provinces (2-digit scope) and counties (6-digit scope) override any key.
 */
export const POLICY_DEFAULTS = {
  deposit: {
    ratioBp: 200, // 2% of the contract price (band 1%–3%)
    minRatioBp: 100,
    maxRatioBp: 300,
    multiProjectRatioBp: 50, // ≥0.5% when the GC has several live projects in the province
    floorRatioBp: 50, // all reductions combined never go under 0.5% (人社部发〔2021〕65号), unless exempt
    capFen: null as number | null, // some provinces cap at CNY 5M or 10M
    waiverBelowFen: 300_000_000, // CNY 3,000,000
    cleanYearsHalve: 2, // −50% after 2 consecutive clean years
    cleanYearsExempt: 3, // exempt after 3 clean years with real-name + wage account
    arrearsIncreaseBp: 5000, // +50% if arrears in the previous 2 years
    blacklistIncreaseBp: 10000, // +100% if blacklisted
    dueWorkingDays: 20,
    guaranteeMinDays: 365, // counted inclusively: 2026-01-01 to 2026-12-31 is 365 days
    guaranteeReminderDays: 30,
    drawPayWorkingDays: 5,
    replenishWorkingDays: 10,
    returnNoticeDays: 30,
    returnReviewWorkingDays: 5,
    returnConfirmWorkingDays: 3,
  },
  wageAccount: {
    openWithinDays: 30,
    allocationCycleMonths: 1,
  },
  enforcement: {
    graceDays: 3, // after the pay day before a line counts as missing
    overdueNoticeWorkingDays: 3,
    gcPayFirstWorkingDays: 5,
    depositNoticeWorkingDays: 5,
  },
  complaints: {
    answerWorkingDays: 5, // 劳动保障监察条例: decide within 5 working days whether to open a case
    redWorkers: 10, // a complaint for ≥ 10 workers or ≥ CNY 30,000 is a red alert
    redAmountFen: 3_000_000,
  },
  payroll: {
    monthlyCapFen: 5_000_000, // CNY 50,000 in a month (vendor rule: suspicious)
    yearlyCapFen: 30_000_000, // CNY 300,000 in a year
    equalPayRatioBp: 5000, // flagged when below 50% of the trade's median daily pay
  },
  roster: {
    minAge: 16, // the legal floor (禁止使用童工规定); below it a registration is refused whatever this says
    maxAge: 60, // kept for settings written before retirementAgeMale/Female existed; not read by the roster
    retirementAgeMale: 60, // at or above: a warning (county settings may differ)
    retirementAgeFemale: 50,
    dispatchedCapBp: 1000, // 10% of the workforce
    noWageLineShareBp: 1000, // ≥10% of attended workers with no wage line
  },
  credit: {
    objectionWorkingDays: 5,
    listingYears: 3,
    earlyRemovalMonths: 6,
    singleWorkerThresholdFen: 500_000, // CNY 5,000 (band 5k–20k)
    singleWorkerMonths: 3,
    multiWorkerCount: 10,
    multiWorkerThresholdFen: 3_000_000, // CNY 30,000 (band 30k–100k)
  },
  clearance: { targetBp: 9900 },
  /** Project life (issue 20): signals after the planned end, final wage line on exit, retention. */
  lifecycle: {
    completionOverdueDays: 30, // past the planned end with no completion declared for this many days
    finalLineDays: 3, // 工资支付暂行规定 Art. 9: wages settled on exit; a final line expected within this many days
    retentionYears: 3, // 条例 Art. 15/28: records kept ≥ 3 years after closing
  },
  /** Monthly minimum wage in fen and the notice-board channels. Songyuan (Jilin) class-2 as default. */
  local: {
    minimumWageMonthlyFen: 188_000,
    minimumWageHourlyFen: 1_800,
    workingDaysPerMonth: 21.75,
    complaintHotline: '12333',
    arbitration: '松原市劳动人事争议仲裁院', // each county has its own committee: see COUNTY_DEFAULTS
    legalAid: '12348',
    mediation: '松原市劳动争议调解中心',
  },
  /**
   * The industry regulator named on the notice board (条例 Art. 34 and 40: the competent department of
   * the project's industry), "name phone" per industry; counties set their own departments and numbers.
   */
  regulators: {
    housing: '住房和城乡建设主管部门',
    transport: '交通运输主管部门',
    water: '水利主管部门',
    power: '电力主管部门',
    utilities: '公用事业主管部门',
    land: '自然资源主管部门',
  },
} as const;

/**
 * Shipped county values, applied above the national defaults and province rows and below a county's
 * own rows: each Songyuan county's labour-dispute arbitration committee (劳动人事争议仲裁委员会,
 * 劳动争议调解仲裁法 Art. 17: set up by counties, cities and districts).
 */
export const COUNTY_DEFAULTS: Record<string, Record<string, Record<string, unknown>>> = {
  '220702': { local: { arbitration: '松原市宁江区劳动人事争议仲裁委员会' } },
  '220721': { local: { arbitration: '前郭尔罗斯蒙古族自治县劳动人事争议仲裁委员会' } },
  '220722': { local: { arbitration: '长岭县劳动人事争议仲裁委员会' } },
  '220723': { local: { arbitration: '乾安县劳动人事争议仲裁委员会' } },
  '220781': { local: { arbitration: '扶余市劳动人事争议仲裁委员会' } },
};

type Widen<T> = T extends number ? number : T extends string ? string : T extends null ? number | null : T extends object ? { -readonly [K in keyof T]: Widen<T[K]> } : T;
export type Policy = Widen<typeof POLICY_DEFAULTS>;
