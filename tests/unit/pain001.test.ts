import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { buildPain001, fenToDecimal } from '../../src/modules/disbursement/pain001.js';
import { validateXml as validatePain001 } from '../helpers/xsd.js';

describe('pain.001.001.09', () => {
  const lines = [
    { endToEndId: '0190a1b2c3d4e5f60718293a4b5c6d7e', instructionId: '0190a1b2-c3d4-7e5f-8071-8293a4b5c6d7', creditorName: '张三 & <李四>', cardNumber: '6222020000000000011', amountFen: 600_000 },
    { endToEndId: '0190a1b2c3d4e5f60718293a4b5c6d7f', instructionId: '0190a1b2-c3d4-7e5f-8071-8293a4b5c6d8', creditorName: '王五', cardNumber: '6222020000000000029', amountFen: 12_345 },
  ];
  const xml = buildPain001({ id: '0190a1b2-0000-7000-8000-000000000001', createdAt: new Date('2026-11-10T08:00:00.123Z'), executionDate: '2026-11-10', debtorName: '总包公司', debtorAccount: '620000000101', bankCode: 'B1', kind: 'payroll' }, lines);

  it('validates against the official XSD', async () => {
    await expect(validatePain001(xml)).resolves.toBeUndefined();
  });

  it('the validator does refuse an invalid message (so the check above could fail)', async () => {
    await expect(validatePain001(xml.replace('<NbOfTxs>', '<NbOfTxz>').replace('</NbOfTxs>', '</NbOfTxz>'))).rejects.toThrow(/XSD validation failed/);
  });

  it('carries SALA, NbOfTxs, CtrlSum and our EndToEndIds', () => {
    const d = new XMLParser({ parseTagValue: false, ignoreAttributes: false }).parse(xml).Document.CstmrCdtTrfInitn;
    expect(d.GrpHdr.NbOfTxs).toBe('2');
    expect(d.GrpHdr.CtrlSum).toBe('6123.45');
    expect(d.PmtInf.CtrlSum).toBe('6123.45');
    expect(d.PmtInf.PmtTpInf.CtgyPurp.Cd).toBe('SALA');
    expect(d.PmtInf.CdtTrfTxInf.map((t: { PmtId: { EndToEndId: string } }) => t.PmtId.EndToEndId)).toEqual(lines.map((l) => l.endToEndId));
    expect(d.PmtInf.CdtTrfTxInf[0].Cdtr.Nm).toBe('张三 & <李四>');
  });

  it('formats fen as a two-decimal amount', () => {
    expect([0, 5, 100, 123_456].map(fenToDecimal)).toEqual(['0.00', '0.05', '1.00', '1234.56']);
  });
});
