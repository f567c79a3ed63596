/**
 * ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiation) for one disbursement batch: one
 * PmtInf from the project's wage (or deposit) account, category purpose SALA, group and
 * payment-level NbOfTxs/CtrlSum, one CdtTrfTxInf per instruction with EndToEndId = our 32-hex id.
 * Pure function: the route decides who may see full card numbers.
 */
export interface Pain001Batch {
  id: string;
  createdAt: Date;
  executionDate: string;
  debtorName: string;
  debtorAccount: string;
  bankCode: string;
  kind: string;
}
export interface Pain001Line {
  endToEndId: string;
  instructionId: string;
  creditorName: string;
  cardNumber: string;
  amountFen: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
/** Max35Text/Max140Text fields: truncate rather than emit an invalid message. */
const txt = (s: string, max: number) => esc([...s].slice(0, max).join(''));
export const fenToDecimal = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
const compact = (uuid: string) => uuid.replace(/-/g, '');

export function buildPain001(b: Pain001Batch, lines: Pain001Line[]): string {
  const n = lines.length;
  const sum = fenToDecimal(lines.reduce((s, l) => s + l.amountFen, 0));
  const created = b.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Deposit draw-downs and GC advances are wages too: every batch is category purpose SALA.
  const purpose = 'SALA';
  const tx = lines.map((l) => `
      <CdtTrfTxInf>
        <PmtId><InstrId>${compact(l.instructionId).slice(0, 35)}</InstrId><EndToEndId>${txt(l.endToEndId, 35)}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="CNY">${fenToDecimal(l.amountFen)}</InstdAmt></Amt>
        <Cdtr><Nm>${txt(l.creditorName, 140)}</Nm></Cdtr>
        <CdtrAcct><Id><Othr><Id>${txt(l.cardNumber, 34)}</Id></Othr></Id></CdtrAcct>
        <Purp><Cd>SALA</Cd></Purp>
      </CdtTrfTxInf>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>${compact(b.id)}</MsgId>
      <CreDtTm>${created}</CreDtTm>
      <NbOfTxs>${n}</NbOfTxs>
      <CtrlSum>${sum}</CtrlSum>
      <InitgPty><Nm>${txt(b.debtorName, 140)}</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>${compact(b.id)}</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <BtchBookg>false</BtchBookg>
      <NbOfTxs>${n}</NbOfTxs>
      <CtrlSum>${sum}</CtrlSum>
      <PmtTpInf><CtgyPurp><Cd>${purpose}</Cd></CtgyPurp></PmtTpInf>
      <ReqdExctnDt><Dt>${b.executionDate}</Dt></ReqdExctnDt>
      <Dbtr><Nm>${txt(b.debtorName, 140)}</Nm></Dbtr>
      <DbtrAcct><Id><Othr><Id>${txt(b.debtorAccount, 34)}</Id></Othr></Id><Ccy>CNY</Ccy></DbtrAcct>
      <DbtrAgt><FinInstnId><Othr><Id>${txt(b.bankCode, 35)}</Id></Othr></FinInstnId></DbtrAgt>
      <ChrgBr>DEBT</ChrgBr>${tx}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
`;
}
