/** Chinese by default; English on request, remembered per browser. */
export type Lang = 'zh' | 'en';

const ZH = {
  appName: '农民工工资监管控制台', overview: '县区总览', alerts: '实时预警', cases: '欠薪案件', blacklist: '失信名单', signOut: '退出登录',
  switchLang: 'English', signIn: '登录', signInTitle: '监察人员登录', apiKey: 'API 密钥', signInHint: '仅限劳动监察（inspector）与管理员（admin）密钥。密钥只用于换取会话，不会保存在浏览器中。',
  badKey: '密钥无效或已吊销', wrongRole: '该密钥的角色不能使用控制台', county: '县区', month: '月份', show: '查看',
  clearance: '欠薪清偿率', target: '目标', owedVsCleared: '逐月欠薪金额与已清偿金额', owed: '欠薪金额', cleared: '已清偿金额',
  openCases: '在办案件（按阶段）', onTime: '按时发放率', contractSigning: '劳动合同签订率', dispatched: '劳务派遣占比', cap: '上限',
  depositCoverage: '工资保证金覆盖率', rowsBehind: '查看明细', noData: '暂无数据', overCap: '超过上限', meets: '达标', below: '未达标',
  severity: '等级', type: '类型', project: '项目', company: '企业', all: '全部', time: '时间', message: '内容', live: '实时连接中', offline: '连接中断，正在重连',
  red: '红色', orange: '橙色', yellow: '黄色', filter: '筛选',
  caseTitle: '欠薪案件', stage: '阶段', deadline: '期限', workersOwed: '被欠薪人数', amountOwed: '欠薪金额', employer: '用工单位', status: '状态',
  timeline: '处置进程', date: '日期', actor: '处理人', worker: '工人', idNumber: '身份证号（脱敏）', amount: '金额', payments: '清偿记录',
  actions: '处置操作', gcOrder: '责令总包先行清偿', depositNotice: '下达保证金支付通知', massIncident: '标记群体性事件', proposeBlacklist: '提议列入失信名单',
  reason: '理由', confirm: '确认', done: '已完成', failed: '操作失败', notFound: '未找到（或不在您的辖区内）', back: '返回总览',
  parties: '参建各方', noticeBoard: '维权信息告示牌', roster: '实名制用工', wageSheets: '工资表（按月）', reconciliation: '对账状态', balances: '账户余额',
  deposit: '工资保证金', wageAccount: '工资专用账户', required: '应缴', cash: '现金余额', guarantee: '保函', shortfall: '缺口', balance: '余额',
  workers: '工人', active: '在岗', contractSigned: '已签合同', entries: '名单', proposals: '待决提议', objections: '异议（陈述申辩）',
  approve: '批准', reject: '驳回', decision: '决定', listedOn: '列入日期', expiresOn: '到期', creditCode: '统一社会信用代码', none: '无',
  loading: '加载中…', error: '出错了', minimumWage: '最低工资', payday: '发薪日', hotlines: '投诉电话', legalRep: '法定代表人', contact: '劳资专管员',
  lines: '行数', total: '合计', count: '数量', newAlert: '新预警',
  projects: '县区项目', generalContractor: '施工总承包单位',
  upholdObjection: '采纳异议（撤销提议）', dismissObjection: '驳回异议', listNow: '决定列入',
  kind: '性质', kindState: '状态', kindEvent: '事件', kindDigest: '日报', trBegin: '出现', trEscalate: '变化', trResolve: '已解除', stillOpen: '持续中',
  countyWide: '全县', loadMore: '加载更多', showAll: '显示全部', showFewer: '收起', moreProjects: '更多项目', alertsIn30Days: '条预警（近 30 天）',
  groups: '个项目', openStates: '项持续中', showing: '显示', latestWithData: '（最近有数据的月份）', noDataThisMonth: '本月暂无数据',
  outstanding: '未清偿金额', staff: '监察人员/企业', systemSweep: '系统巡查', sortBy: '排序', overdue: '已逾期', allStages: '全部阶段', county2: '县区',
  lifeStage: '项目阶段', blockers: '竣工结算待办', completedOn: '竣工日期', closedOn: '关闭日期', retainUntil: '资料保存至', wageAccountClosedOn: '工资专用账户销户',
  wageLedger: '工资支付台账', monthlyReports: '月度报表', download: '下载', generatedOn: '生成日期', thisMonth: '本月（即时生成）',
  stageActive: '在建', stageCompleting: '竣工结算中', stageCompleted: '已竣工', stageClosed: '已关闭（只读）',
};
type Key = keyof typeof ZH;
const EN: Record<Key, string> = {
  appName: 'Wage Supervision Console', overview: 'County overview', alerts: 'Live alerts', cases: 'Arrears cases', blacklist: 'Blacklist', signOut: 'Sign out',
  switchLang: '中文', signIn: 'Sign in', signInTitle: 'Inspector sign-in', apiKey: 'API key', signInHint: 'Inspector and admin keys only. The key is exchanged for a session and is not kept in the browser.',
  badKey: 'Unknown or revoked key', wrongRole: 'This key’s role may not use the console', county: 'County', month: 'Month', show: 'Show',
  clearance: 'Arrears clearance rate', target: 'target', owedVsCleared: 'Owed vs cleared, month by month', owed: 'Owed', cleared: 'Cleared',
  openCases: 'Open cases by stage', onTime: 'On-time payment rate', contractSigning: 'Contract signing rate', dispatched: 'Dispatched share', cap: 'cap',
  depositCoverage: 'Deposit coverage', rowsBehind: 'Rows behind', noData: 'No data', overCap: 'over the cap', meets: 'meets target', below: 'below target',
  severity: 'Severity', type: 'Type', project: 'Project', company: 'Company', all: 'All', time: 'Time', message: 'Message', live: 'Live', offline: 'Disconnected, retrying',
  red: 'Red', orange: 'Orange', yellow: 'Yellow', filter: 'Filter',
  caseTitle: 'Arrears case', stage: 'Stage', deadline: 'Deadline', workersOwed: 'Workers owed', amountOwed: 'Amount owed', employer: 'Employer', status: 'Status',
  timeline: 'Escalation timeline', date: 'Date', actor: 'Acted by', worker: 'Worker', idNumber: 'ID number (masked)', amount: 'Amount', payments: 'Payments that cleared it',
  actions: 'Actions', gcOrder: 'Order the GC to pay first', depositNotice: 'Issue deposit payment notice', massIncident: 'Mark as mass incident', proposeBlacklist: 'Propose blacklisting',
  reason: 'Reason', confirm: 'Confirm', done: 'Done', failed: 'Action failed', notFound: 'Not found (or outside your counties)', back: 'Back to overview',
  parties: 'Parties', noticeBoard: 'Notice board', roster: 'Roster compliance', wageSheets: 'Wage sheets by month', reconciliation: 'Reconciliation', balances: 'Balances',
  deposit: 'Wage deposit', wageAccount: 'Wage account', required: 'Required', cash: 'Cash', guarantee: 'Guarantees', shortfall: 'Shortfall', balance: 'Balance',
  workers: 'Workers', active: 'Active', contractSigned: 'Contract signed', entries: 'Entries', proposals: 'Pending proposals', objections: 'Objections',
  approve: 'Approve', reject: 'Reject', decision: 'Decision', listedOn: 'Listed on', expiresOn: 'Expires', creditCode: 'Credit code', none: 'None',
  loading: 'Loading…', error: 'Something went wrong', minimumWage: 'Minimum wage', payday: 'Pay day', hotlines: 'Hotlines', legalRep: 'Legal representative', contact: 'Labour-wage officer',
  lines: 'Lines', total: 'Total', count: 'Count', newAlert: 'New alert',
  projects: 'County projects', generalContractor: 'General contractor',
  upholdObjection: 'Uphold objection (drop)', dismissObjection: 'Dismiss objection', listNow: 'List now',
  kind: 'Kind', kindState: 'State', kindEvent: 'Event', kindDigest: 'Digest', trBegin: 'began', trEscalate: 'changed', trResolve: 'resolved', stillOpen: 'open',
  countyWide: 'county-wide', loadMore: 'Load more', showAll: 'Show all', showFewer: 'Show fewer', moreProjects: 'More projects', alertsIn30Days: 'alerts (last 30 days)',
  groups: 'projects', openStates: 'open states', showing: 'Showing', latestWithData: '(latest month with data)', noDataThisMonth: 'No data for this month',
  outstanding: 'Outstanding', staff: 'staff', systemSweep: 'daily sweep', sortBy: 'Sort by', overdue: 'overdue', allStages: 'All stages', county2: 'County',
  lifeStage: 'Life stage', blockers: 'Left before completion', completedOn: 'Completed on', closedOn: 'Closed on', retainUntil: 'Records kept until', wageAccountClosedOn: 'Wage account closed',
  wageLedger: 'Wage ledger', monthlyReports: 'Monthly reports', download: 'Download', generatedOn: 'Generated on', thisMonth: 'Selected month (generated now)',
  stageActive: 'Active', stageCompleting: 'Completing', stageCompleted: 'Completed', stageClosed: 'Closed (read-only)',
};

let lang: Lang = (localStorage.getItem('wg.lang') as Lang | null) === 'en' ? 'en' : 'zh';
export const getLang = (): Lang => lang;
export function setLang(l: Lang): void {
  lang = l;
  localStorage.setItem('wg.lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}
export function t(k: Key): string {
  return (lang === 'zh' ? ZH : EN)[k];
}
/** Labels for API enum values (stages, statuses); unknown values are shown as they are. */
const ENUMS: Record<string, [string, string]> = {
  overdue_notice: ['逾期催告', 'Overdue notice'], replenishment_due: ['待补足保证金', 'Replenishment due'],
  replenishment_overdue: ['保证金补足逾期', 'Replenishment overdue'], lines: ['工资未到账', 'Unpaid lines'], not_submitted: ['未报工资表', 'No wage sheet'],
  opened: ['已立案', 'Opened'], open: ['已立案', 'Open'], notified: ['已通知', 'Notified'], reminded: ['已催告', 'Reminded'],
  gc_order: ['责令总包清偿', 'GC ordered to pay'], gc_ordered: ['责令总包清偿', 'GC ordered to pay'], deposit_notice: ['保证金支付通知', 'Deposit notice'],
  inspection: ['立案查处', 'Inspection'], blacklist: ['失信惩戒', 'Blacklisting'], blacklist_proposed: ['提议失信', 'Blacklist proposed'],
  cleared: ['已清偿', 'Cleared'], closed: ['已结案', 'Closed'], mass_incident: ['群体性事件', 'Mass incident'],
  paid: ['已支付', 'Paid'], paid_late: ['逾期支付', 'Paid late'], underpaid: ['少付', 'Underpaid'], rejected: ['银行退回', 'Rejected'],
  wrong_account: ['非本人账户', 'Wrong account'], missing: ['缺失', 'Missing'], duplicate: ['重复', 'Duplicate'], pending: ['处理中', 'Pending'],
  proposed: ['已提议', 'Proposed'], objected: ['已提出异议', 'Objected'], listed: ['已列入', 'Listed'], removed: ['已移出', 'Removed'], expired: ['已到期', 'Expired'],
  overpaid: ['多付', 'Overpaid'], housing: ['房屋建筑', 'Housing'], transport: ['交通', 'Transport'], water: ['水利', 'Water'], power: ['电力', 'Power'],
  municipal: ['市政', 'Municipal'],
  due: ['待缴纳', 'Due'], covered: ['已足额', 'Covered'], short: ['不足', 'Short'], drawn: ['已动用', 'Drawn'], replenish_overdue: ['补足逾期', 'Replenishment overdue'],
  returning: ['退还中', 'Returning'], returned: ['已退还', 'Returned'], active: ['在建', 'Active'], completed: ['已完工', 'Completed'], completing: ['竣工结算中', 'Completing'],
  approved: ['已批准', 'Approved'], dismissed: ['已撤销', 'Dismissed'], arrears_threshold: ['达到拒不支付劳动报酬罪数额标准', 'Arrears at the criminal threshold'],
  uphold_objection: ['采纳异议', 'Objection upheld'], dismiss_objection: ['驳回异议', 'Objection dismissed'], construction_unit: ['建设单位', 'Construction unit'],
  general_contractor: ['施工总承包', 'General contractor'], employer: ['用工单位', 'Employer'], gc: ['总包', 'GC'], deposit: ['保证金', 'Deposit'],
  gc_advance: ['总包垫付', 'GC advance'], deposit_draw: ['保证金支付', 'Deposit draw'], settled: ['已到账', 'Settled'], subcontractor: ['分包', 'Subcontractor'],
  submitted: ['已提交', 'Submitted'], red: ['红色', 'Red'], orange: ['橙色', 'Orange'], yellow: ['黄色', 'Yellow'],
};
export function label(v: string | null | undefined): string {
  if (!v) return '—';
  const e = ENUMS[v];
  return e ? e[lang === 'zh' ? 0 : 1] : v;
}
