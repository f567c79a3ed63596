import { describe, expect, it } from 'vitest';
import { normalizeDate } from '../../src/modules/roster/import.service.js';
import { canonicalField } from '../../src/modules/roster/import.parsers.js';

describe('roster import: entry dates as people write them', () => {
  it.each([
    ['2026-04-01', '2026-04-01'], ['2026/4/1', '2026-04-01'], ['2026.4.1', '2026-04-01'], ['2026年4月1日', '2026-04-01'],
    ['20260401', '2026-04-01'], ['２０２６年４月１日', '2026-04-01'], ['２０２６０４０１', '2026-04-01'],
    [46113, '2026-04-01'], // an Excel serial day (the streaming reader skips styles)
  ])('%s → %s', (v, want) => expect(normalizeDate(v)).toBe(want));

  it('anything else is left for the validator to reject', () => {
    expect(normalizeDate('2026-4')).toBe('2026-4');
    expect(normalizeDate('202604011')).toBe('202604011');
    expect(normalizeDate('next monday')).toBe('next monday');
  });
});

describe('roster import: column headers as templates write them', () => {
  it.each([
    ['银行卡号（工资卡）', 'bankCardNumber'], ['身份证号码【必填】', 'idNumber'], ['进场日期(yyyy-mm-dd)', 'entryDate'], ['是否签订劳动合同（是/否）', 'contractSigned'],
    ['*姓名', 'name'], ['用工单位(ID)', 'employerId'], ['用工单位ID', 'employerId'], ['银行账号', 'bankCardNumber'], ['联系方式', 'phone'], ['ＩＤ Ｎｕｍｂｅｒ', 'idNumber'],
    ['\uFEFFname', 'name'], ['Bank Card Number', 'bankCardNumber'],
  ])('%s → %s', (h, want) => expect(canonicalField(h)).toBe(want));

  it('unknown columns stay unknown (序号, 性别, 民族)', () => {
    for (const h of ['序号', '性别', '民族', '备注', '']) expect(canonicalField(h)).toBeNull();
  });
});
