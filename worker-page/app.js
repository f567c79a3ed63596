// The worker's page (/w/): plain JavaScript, no framework, no build step, small enough for a slow phone
// connection. Every value reaches the DOM as text (never HTML). Chinese by default, English on request.
'use strict';
(function () {
  var T = {
    zh: {
      title: '工资查询', other: 'English', foot: '有困难请拨打 12333', signin: '登录', id: '身份证号', phone: '手机号',
      getCode: '获取验证码', code: '短信验证码（6位）', codeSent: '如果该手机号已登记在此身份证下，验证码已发送，5分钟内有效。',
      enter: '登录', wait: '请求太频繁，请 {s} 秒后再试。', wrongCode: '验证码不对或已过期。', noLogin: '没有登记？不用登录也能反映欠薪',
      hello: '你好，{name}', slips: '我的工资', projects: '我的项目', complaints: '我的投诉', complain: '反映欠薪', signout: '退出',
      none: '暂无记录', month: '月份', days: '出勤天数', gross: '应发', deductions: '扣除', net: '实发', paid: '实际到账', paidOn: '到账日期',
      card: '银行卡', employer: '用工单位', gc: '总包单位', project: '项目', status: '状态', pdf: '下载工资单（PDF）', back: '返回',
      q: '这笔工资你收到了吗？', received: '收到了', notReceived: '没收到', amountWrong: '金额不对', note: '说明（可不填）',
      answered: '已记录。', yourAnswer: '你的回答：{a}', board: '查看项目告示牌', reason: '原因',
      st: { pending: '待发放', paid: '已到账', paid_late: '已到账（晚了）', underpaid: '少付', overpaid: '多付', rejected: '银行退回', wrong_account: '付到了别人的卡', missing: '没到账', duplicate: '重复支付', disputed: '你已提出异议', received: '已收到', accepted: '已受理', merged: '已并案', resolved: '已办结' },
      ans: { received: '收到了', not_received: '没收到', amount_wrong: '金额不对' },
      fileTitle: '反映欠薪', pickProject: '项目', county: '所在县区', search: '按项目名称搜索', find: '搜索', employerName: '欠薪单位（知道就填）',
      months: '欠薪月份（如 2026-09, 2026-10）', amount: '欠薪金额（元）', workers: '涉及人数', desc: '情况说明', yourName: '你的姓名（可不填）',
      submit: '提交', filed: '已提交，编号 {ref}。劳动监察将在 {due} 前答复。', replies: '答复', identity: '你的身份只对劳动监察部门公开，不会告诉用工单位。',
      err: '出错了，请稍后再试。', badInput: '请检查：{f}', pickFirst: '请先选择项目',
    },
    en: {
      title: 'My wages', other: '中文', foot: 'Need help? Call 12333', signin: 'Sign in', id: 'Resident ID number', phone: 'Mobile phone',
      getCode: 'Send me a code', code: 'SMS code (6 digits)', codeSent: 'If this phone is on file for this ID, a code has been sent. It is valid for 5 minutes.',
      enter: 'Sign in', wait: 'Too many requests. Try again in {s} seconds.', wrongCode: 'Wrong or expired code.', noLogin: 'Not registered? Report unpaid wages without signing in',
      hello: 'Hello, {name}', slips: 'My pay', projects: 'My projects', complaints: 'My complaints', complain: 'Report unpaid wages', signout: 'Sign out',
      none: 'Nothing yet', month: 'Month', days: 'Days worked', gross: 'Gross', deductions: 'Deductions', net: 'Net', paid: 'Received', paidOn: 'Paid on',
      card: 'Card', employer: 'Employer', gc: 'General contractor', project: 'Project', status: 'Status', pdf: 'Download pay slip (PDF)', back: 'Back',
      q: 'Did you receive this pay?', received: 'Yes, received', notReceived: 'Not received', amountWrong: 'Wrong amount', note: 'Note (optional)',
      answered: 'Recorded.', yourAnswer: 'Your answer: {a}', board: 'Project notice board', reason: 'Reason',
      st: { pending: 'Pending', paid: 'Paid', paid_late: 'Paid late', underpaid: 'Underpaid', overpaid: 'Overpaid', rejected: 'Returned by the bank', wrong_account: 'Paid to another card', missing: 'Not arrived', duplicate: 'Paid twice', disputed: 'You disputed it', received: 'Received', accepted: 'Accepted', merged: 'Merged', resolved: 'Resolved' },
      ans: { received: 'received', not_received: 'not received', amount_wrong: 'wrong amount' },
      fileTitle: 'Report unpaid wages', pickProject: 'Project', county: 'County', search: 'Search projects by name', find: 'Search', employerName: 'Employer (if you know it)',
      months: 'Months unpaid (e.g. 2026-09, 2026-10)', amount: 'Amount owed (yuan)', workers: 'Number of workers', desc: 'What happened', yourName: 'Your name (optional)',
      submit: 'Submit', filed: 'Submitted, reference {ref}. Labour inspection will answer by {due}.', replies: 'Replies', identity: 'Only labour inspectors see who you are; your employer never does.',
      err: 'Something went wrong. Please try again.', badInput: 'Please check: {f}', pickFirst: 'Choose a project first',
    },
  };
  var lang = localStorage.getItem('wg_lang') === 'en' ? 'en' : 'zh';
  var t = function (k, v) { var s = T[lang][k] || k; Object.keys(v || {}).forEach(function (x) { s = s.replace('{' + x + '}', v[x]); }); return s; };
  var me = null;
  var main = document.getElementById('main');

  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'on') Object.keys(attrs.on).forEach(function (e) { el.addEventListener(e, attrs.on[e]); });
      else if (k === 'text') el.textContent = attrs.text;
      else el.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) { var c = arguments[i]; if (c != null) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); }
    return el;
  }
  function show() { main.textContent = ''; for (var i = 0; i < arguments.length; i++) if (arguments[i]) main.appendChild(arguments[i]); main.focus(); }
  function yuan(fen) { var s = String(Math.abs(fen) % 100); return '¥' + Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + (s.length < 2 ? '0' + s : s); }
  function msg(text, bad) { return h('p', { 'class': 'msg' + (bad ? ' err' : ''), role: bad ? 'alert' : 'status', text: text }); }
  function field(id, label, attrs) { var a = attrs || {}; a.id = id; a.name = id; return [h('label', { 'for': id, text: label }), h(a.tag || 'input', a)]; }
  function val(id) { var e = document.getElementById(id); return e ? e.value.trim() : ''; }

  function api(method, url, body, headers) {
    var hd = Object.assign({ accept: 'application/json' }, headers || {});
    if (method !== 'GET') hd['x-wg-worker'] = '1';
    if (body) hd['content-type'] = 'application/json';
    return fetch(url, { method: method, headers: hd, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' }).then(function (r) {
      return r.text().then(function (txt) { var j = null; try { j = txt ? JSON.parse(txt) : null; } catch (e) { j = null; } return { status: r.status, body: j, retry: r.headers.get('retry-after') }; });
    });
  }
  function problem(r) {
    if (r.status === 429) return t('wait', { s: r.retry || '60' });
    if (r.body && r.body.errors && r.body.errors.length) return t('badInput', { f: r.body.errors.map(function (e) { return e.path.replace('body.', ''); }).join(', ') });
    return t('err');
  }

  function signIn() {
    var box = h('div');
    var form = h('form', { on: { submit: function (e) { e.preventDefault(); } } });
    field('idNumber', t('id'), { autocomplete: 'off', inputmode: 'text', maxlength: '40' }).concat(field('phone', t('phone'), { type: 'tel', autocomplete: 'tel', inputmode: 'tel', maxlength: '20' })).forEach(function (x) { form.appendChild(x); });
    form.appendChild(h('button', { type: 'button', id: 'getCode', on: { click: function () {
      api('POST', '/v1/worker-auth/codes', { idNumber: val('idNumber'), phone: val('phone') }).then(function (r) {
        box.textContent = '';
        box.appendChild(msg(r.status === 202 ? t('codeSent') : problem(r), r.status !== 202));
      });
    } } }, t('getCode')));
    field('code', t('code'), { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6' }).forEach(function (x) { form.appendChild(x); });
    form.appendChild(h('button', { type: 'submit', id: 'enter', on: { click: function () {
      api('POST', '/v1/worker-auth/sessions', { idNumber: val('idNumber'), phone: val('phone'), code: val('code') }).then(function (r) {
        if (r.status === 201) { location.hash = '#home'; return boot(); }
        box.textContent = '';
        box.appendChild(msg(r.status === 401 ? t('wrongCode') : problem(r), true));
      });
    } } }, t('enter')));
    show(h('h1', { text: t('signin') }), form, box, h('a', { href: '#complain', 'class': 'button secondary', text: t('noLogin') }));
  }

  function home() {
    show(h('h1', { text: t('hello', { name: me.name }) }),
      h('nav', {}, h('a', { href: '#slips', 'class': 'button', text: t('slips') }), h('a', { href: '#projects', 'class': 'button', text: t('projects') }),
        h('a', { href: '#complaints', 'class': 'button secondary', text: t('complaints') }), h('a', { href: '#complain', 'class': 'button secondary', text: t('complain') })),
      h('button', { type: 'button', 'class': 'secondary', on: { click: function () { api('DELETE', '/v1/worker-auth/sessions/current').then(function () { me = null; location.hash = ''; boot(); }); } } }, t('signout')));
  }

  function slips() {
    api('GET', '/v1/me/payslips').then(function (r) {
      var items = (r.body && r.body.items) || [];
      show(h('h1', { text: t('slips') }), items.length ? null : h('p', { text: t('none') }),
        h('div', {}, ...items.map(function (s) {
          return h('div', { 'class': 'card' }, h('div', { 'class': 'row' }, h('a', { href: '#slip/' + s.lineId, text: s.month + ' ' + s.projectName }), h('span', { 'class': 'status ' + s.status, text: T[lang].st[s.status] || s.status })),
            h('div', { 'class': 'muted', text: t('net') + ' ' + yuan(s.netFen) + ' · ' + t('paid') + ' ' + yuan(s.paidFen) }));
        })), h('a', { href: '#home', 'class': 'button secondary', text: t('back') }));
    });
  }

  function slip(id) {
    api('GET', '/v1/me/payslips/' + encodeURIComponent(id)).then(function (r) {
      if (r.status !== 200) return show(msg(problem(r), true));
      var s = r.body;
      // Itemised sheets list their pay and deduction items under the totals (labels are the printed slip's).
      var items = function (kind) { return (s.items || []).filter(function (i) { return i.kind === kind; }).map(function (i) { return ['· ' + i.label, yuan(i.amountFen)]; }); };
      var rows = [[t('project'), s.projectName], [t('employer'), s.employerName], [t('gc'), s.generalContractorName], [t('month'), s.month], [t('days'), String(s.daysWorked)]]
        .concat(s.hours !== null && s.hours !== undefined ? [['⏱', s.hours + ' h']] : [])
        .concat([[t('gross'), yuan(s.grossFen)]], items('pay'), [[t('deductions'), yuan(s.deductionsFen)]], items('deduction'),
          [[t('net'), yuan(s.netFen)], [t('paid'), yuan(s.paidFen)], [t('paidOn'), s.paidOn || '—'],
          [t('card'), s.cardMasked || '—'], [t('status'), T[lang].st[s.status] || s.status]]);
      if (s.reasonText) rows.push([t('reason'), s.reasonText]);
      var dl = h('dl');
      rows.forEach(function (x) { dl.appendChild(h('dt', { text: x[0] })); dl.appendChild(h('dd', { text: x[1] })); });
      var box = h('div');
      var answer = function (a) { return function () {
        api('POST', '/v1/me/payslips/' + encodeURIComponent(id) + '/answer', { answer: a, note: val('note') || undefined }).then(function (x) {
          if (x.status === 201) { box.textContent = ''; box.appendChild(msg(t('answered'))); setTimeout(function () { slip(id); }, 600); } else { box.appendChild(msg(problem(x), true)); }
        });
      }; };
      show(h('h1', { text: s.month + ' ' + t('slips') }), dl,
        h('a', { href: '/v1/me/payslips/' + encodeURIComponent(id) + '?format=pdf', 'class': 'button secondary', id: 'pdf', download: 'payslip-' + s.month + '.pdf', text: t('pdf') }),
        s.answer ? h('p', { 'class': 'msg', text: t('yourAnswer', { a: T[lang].ans[s.answer] || s.answer }) }) : null,
        h('h2', { text: t('q') }), ...field('note', t('note'), { tag: 'textarea', maxlength: '500' }),
        h('button', { type: 'button', id: 'ans-received', on: { click: answer('received') } }, t('received')),
        h('button', { type: 'button', 'class': 'danger', id: 'ans-not-received', on: { click: answer('not_received') } }, t('notReceived')),
        h('button', { type: 'button', 'class': 'danger', id: 'ans-amount-wrong', on: { click: answer('amount_wrong') } }, t('amountWrong')),
        box, h('a', { href: '#slips', 'class': 'button secondary', text: t('back') }));
    });
  }

  function projects() {
    api('GET', '/v1/me/engagements').then(function (r) {
      var items = (r.body && r.body.items) || [];
      show(h('h1', { text: t('projects') }), ...items.map(function (e) {
        return h('div', { 'class': 'card' }, h('div', { text: e.projectName }), h('div', { 'class': 'muted', text: e.employerName + ' · ' + e.entryDate + (e.exitDate ? ' – ' + e.exitDate : '') }),
          h('a', { href: '/v1/projects/' + e.projectId + '/notice-board.html', text: t('board') }), ' · ', h('a', { href: '#complain/' + e.projectId, text: t('complain') }));
      }), h('a', { href: '#home', 'class': 'button secondary', text: t('back') }));
    });
  }

  var tokens = function () { try { return JSON.parse(localStorage.getItem('wg_complaint_tokens') || '[]'); } catch (e) { return []; } };

  function complaints() {
    var reqs = me ? [api('GET', '/v1/me/complaints')] : tokens().slice(-5).map(function (tk) { return api('GET', '/v1/me/complaints', null, { 'x-complaint-token': tk }); });
    Promise.all(reqs).then(function (rs) {
      var seen = {};
      var items = [];
      rs.forEach(function (r) { ((r.body && r.body.items) || []).forEach(function (c) { if (!seen[c.id]) { seen[c.id] = 1; items.push(c); } }); });
      show(h('h1', { text: t('complaints') }), items.length ? null : h('p', { text: t('none') }), ...items.map(function (c) {
        return h('div', { 'class': 'card complaint' }, h('div', { 'class': 'row' }, h('span', { text: c.ref + ' ' + c.projectName }), h('span', { 'class': 'status', text: T[lang].st[c.status] || c.status })),
          h('div', { 'class': 'muted', text: c.months.join(', ') + ' · ' + yuan(c.amountClaimedFen) }),
          c.replies.length ? h('h2', { text: t('replies') }) : null, ...c.replies.map(function (d) { return h('p', { 'class': 'reply', text: d.at.slice(0, 10) + ' ' + d.reply }); }));
      }), h('a', { href: me ? '#home' : '#complain', 'class': 'button secondary', text: t('back') }));
    });
  }

  function complain(projectId) {
    var box = h('div');
    var form = h('form', { on: { submit: function (e) { e.preventDefault(); } } });
    var add = function (xs) { xs.forEach(function (x) { form.appendChild(x); }); };
    var chosen = projectId || '';
    var pick = h('select', { id: 'project', name: 'project' });
    var setOptions = function (list) {
      pick.textContent = '';
      list.forEach(function (p) { var o = h('option', { value: p.projectId, text: p.projectName }); if (p.projectId === chosen) o.selected = true; pick.appendChild(o); });
    };
    form.appendChild(h('label', { 'for': 'project', text: t('pickProject') }));
    form.appendChild(pick);
    if (me) api('GET', '/v1/me/engagements').then(function (r) { setOptions(((r.body && r.body.items) || []).concat(chosen && !((r.body && r.body.items) || []).some(function (e) { return e.projectId === chosen; }) ? [{ projectId: chosen, projectName: chosen }] : [])); });
    else if (chosen) setOptions([{ projectId: chosen, projectName: '…' }]);
    add(field('q', t('search'), { maxlength: '50' }));
    form.appendChild(h('button', { type: 'button', 'class': 'secondary', on: { click: function () {
      api('GET', '/v1/projects/search?q=' + encodeURIComponent(val('q'))).then(function (r) { setOptions((r.body && r.body.items) || []); });
    } } }, t('find')));
    if (!me) {
      add(field('cphone', t('phone'), { type: 'tel', inputmode: 'tel', maxlength: '20' }));
      form.appendChild(h('button', { type: 'button', 'class': 'secondary', id: 'getCode', on: { click: function () {
        api('POST', '/v1/complaint-codes', { phone: val('cphone') }).then(function (r) { box.textContent = ''; box.appendChild(msg(r.status === 202 ? t('codeSent') : problem(r), r.status !== 202)); });
      } } }, t('getCode')));
      add(field('ccode', t('code'), { inputmode: 'numeric', maxlength: '6' }));
      add(field('cname', t('yourName'), { maxlength: '50' }));
    }
    add(field('employerName', t('employerName'), { maxlength: '100' }));
    add(field('months', t('months'), { maxlength: '200', placeholder: '2026-10' }));
    add(field('amount', t('amount'), { inputmode: 'decimal', maxlength: '12' }));
    add(field('workers', t('workers'), { inputmode: 'numeric', maxlength: '6', value: '1' }));
    add(field('desc', t('desc'), { tag: 'textarea', maxlength: '2000' }));
    form.appendChild(h('p', { 'class': 'muted', text: t('identity') }));
    form.appendChild(h('button', { type: 'submit', id: 'submitComplaint', on: { click: function () {
      if (!pick.value) { box.textContent = ''; box.appendChild(msg(t('pickFirst'), true)); return; }
      var yuanAmount = val('amount').replace(/[,，\s]/g, '');
      var body = {
        projectId: pick.value, months: val('months').split(/[,，\s]+/).filter(Boolean), amountClaimedFen: Math.round(Number(yuanAmount) * 100),
        workersAffected: Number(val('workers')), description: val('desc'), employerName: val('employerName') || undefined,
      };
      if (!me) { body.phone = val('cphone'); body.code = val('ccode'); body.complainantName = val('cname') || undefined; }
      api('POST', '/v1/complaints', body).then(function (r) {
        box.textContent = '';
        if (r.status !== 201) return box.appendChild(msg(r.status === 401 ? t('wrongCode') : problem(r), true));
        if (r.body.token) localStorage.setItem('wg_complaint_tokens', JSON.stringify(tokens().concat([r.body.token])));
        show(msg(t('filed', { ref: r.body.ref, due: r.body.dueOn })), h('a', { href: '#complaints', 'class': 'button', text: t('complaints') }));
      });
    } } }, t('submit')));
    show(h('h1', { text: t('fileTitle') }), form, box, h('a', { href: me ? '#home' : '#complaints', 'class': 'button secondary', text: me ? t('back') : t('complaints') }));
  }

  function route() {
    var hash = location.hash.replace(/^#/, '');
    var parts = hash.split('/');
    if (parts[0] === 'complain') return complain(parts[1]);
    if (parts[0] === 'complaints') return complaints();
    if (!me) return signIn();
    if (parts[0] === 'slips') return slips();
    if (parts[0] === 'slip' && parts[1]) return slip(parts[1]);
    if (parts[0] === 'projects') return projects();
    return home();
  }
  function boot() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.getElementById('title').textContent = t('title');
    document.getElementById('lang').textContent = t('other');
    document.getElementById('foot').textContent = t('foot');
    document.title = t('title') + ' · WageGuard';
    return api('GET', '/v1/me').then(function (r) { me = r.status === 200 ? r.body : null; route(); });
  }
  document.getElementById('lang').addEventListener('click', function () { lang = lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('wg_lang', lang); boot(); });
  window.addEventListener('hashchange', route);
  boot();
})();
