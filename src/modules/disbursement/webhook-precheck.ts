/**
 * A byte-level recogniser for the one large webhook: `disbursement.result` with up to 1000 results
 * (~150 KB). On this hardware turning such a body into a string and JSON.parse-ing it costs ~2–3 ms
 * (a >128 KB string lands in V8's large-object space; 5,000 small strings follow), more than
 * everything else on the accept path; the parsed object is thrown away anyway (the inbox stores the
 * raw bytes and the processor parses them later).
 *
 * The recogniser accepts a STRICT SUBSET of the bodies the WebhookBody schema accepts: the
 * canonical shape banks send (keys `type`, `data`, `results` and the known result fields, each at
 * most once; strings without escapes; plain non-negative integers). Whatever it does not recognise,
 * valid or not (escapes, extra keys, exponents, duplicates…), returns false and takes the normal
 * path (JSON.parse + schema validation with its usual 400s), so accepting here never changes what
 * is accepted. It needs the whole buffer to be valid UTF-8 (checked by the caller).
 */
const Q = 0x22, BS = 0x5c, COMMA = 0x2c, COLON = 0x3a, LBRACE = 0x7b, RBRACE = 0x7d, LBRACK = 0x5b, RBRACK = 0x5d;
const MAX_RESULTS = 1000;
// Result fields by bit; strings are compared as bytes so the hot loop allocates nothing.
const FIELDS = ['endToEndId', 'status', 'amountFen', 'valueDate', 'creditorCardNumber', 'reasonCode'].map((k) => Buffer.from(k));
const [E2E, STATUS, AMOUNT, VALUE_DATE, CARD, REASON] = [0, 1, 2, 3, 4, 5];
const REQUIRED_MASK = 0b011111; // all but reasonCode
/** Max length in code points of the free-text fields (all have minLength 1). */
const MAX_CPS: Record<number, number> = { [E2E]: 35, [REASON]: 35, [CARD]: 40 };
const STATUSES = ['ACSC', 'ACCC', 'ACSP', 'PDNG', 'RJCT'].map((k) => Buffer.from(k));

class Fail extends Error {}
const fail = (): never => {
  throw new Fail();
};

class Cursor {
  i = 0;
  /** The last string read by str(): byte range [ss, se) and length in code points (no object per string: 5,000+ per event). */
  ss = 0;
  se = 0;
  cps = 0;
  constructor(readonly b: Buffer) {}
  ws() {
    const b = this.b;
    let c = b[this.i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++this.i];
  }
  /** Next non-space byte must be `ch`. */
  expect(ch: number) {
    this.ws();
    if (this.b[this.i] !== ch) fail();
    this.i++;
  }
  /** `,` → true, `close` → false (consumed), anything else fails. */
  more(close: number): boolean {
    this.ws();
    const c = this.b[this.i++];
    if (c === COMMA) return true;
    if (c === close) return false;
    return fail();
  }
  /** A string without escapes or control bytes: sets ss, se and cps. */
  str(): void {
    this.expect(Q);
    const b = this.b;
    const s = this.i;
    let i = s;
    let cps = 0;
    for (;;) {
      const c = b[i];
      if (c === undefined || c < 0x20 || c === BS) fail();
      if (c === Q) break;
      if ((c! & 0xc0) !== 0x80) cps++; // not a UTF-8 continuation byte: a new code point
      i++;
    }
    this.ss = s;
    this.se = i;
    this.cps = cps;
    this.i = i + 1;
  }
  /** Index in `list` of the byte string equal to the last string read, or −1. */
  which(list: Buffer[]): number {
    const n = this.se - this.ss;
    for (let k = 0; k < list.length; k++) {
      const w = list[k]!;
      if (w.length !== n) continue;
      let j = 0;
      while (j < n && this.b[this.ss + j] === w[j]) j++;
      if (j === n) return k;
    }
    return -1;
  }
  /** The last string is a calendar date YYYY-MM-DD, as the schema's pattern and `format: 'date'` require. */
  isDate(): boolean {
    if (this.se - this.ss !== 10) return false;
    for (let j = 0; j < 10; j++) {
      const c = this.b[this.ss + j]!;
      if (j === 4 || j === 7 ? c !== 0x2d : c < 0x30 || c > 0x39) return false;
    }
    const n = (at: number, len: number) => {
      let v = 0;
      for (let j = 0; j < len; j++) v = v * 10 + this.b[this.ss + at + j]! - 0x30;
      return v;
    };
    const y = n(0, 4), m = n(5, 2), d = n(8, 2);
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    return m >= 1 && m <= 12 && d >= 1 && d <= (m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);
  }
  /** The last string as text: only used on short ASCII tokens (keys, literals). */
  text() {
    return this.b.toString('latin1', this.ss, this.se);
  }
  /** A non-negative JSON integer without sign, fraction or exponent, ≤ 2^53 − 1. */
  int() {
    this.ws();
    const b = this.b;
    const s = this.i;
    while (b[this.i]! >= 0x30 && b[this.i]! <= 0x39) this.i++;
    const n = this.i - s;
    if (n === 0 || n > 16 || (n > 1 && b[s] === 0x30)) fail();
    const c = b[this.i];
    if (c === 0x2e || c === 0x65 || c === 0x45) fail(); // '.', 'e', 'E': let JSON.parse decide
    if (n === 16 && Number(this.b.toString('latin1', s, this.i)) > Number.MAX_SAFE_INTEGER) fail();
  }
}

function result(c: Cursor) {
  c.expect(LBRACE);
  let seen = 0;
  do {
    c.str();
    const key = c.which(FIELDS);
    if (key < 0 || seen & (1 << key)) fail(); // unknown or repeated key: the normal path decides
    seen |= 1 << key;
    c.expect(COLON);
    if (key === AMOUNT) c.int();
    else {
      c.str();
      if (key === STATUS) {
        if (c.which(STATUSES) < 0) fail();
      } else if (key === VALUE_DATE) {
        if (!c.isDate()) fail();
      } else if (c.cps < 1 || c.cps > MAX_CPS[key]!) fail();
    }
  } while (c.more(RBRACE));
  if ((seen & REQUIRED_MASK) !== REQUIRED_MASK) fail();
}

function results(c: Cursor) {
  c.expect(LBRACK);
  let n = 0;
  do {
    if (++n > MAX_RESULTS) fail();
    result(c);
  } while (c.more(RBRACK));
}

function data(c: Cursor) {
  c.expect(LBRACE);
  c.str();
  if (c.text() !== 'results') fail();
  c.expect(COLON);
  results(c);
  c.expect(RBRACE);
}

/** True when `body` is certainly a schema-valid `disbursement.result` event (see above). */
export function isPlainResultEvent(body: Buffer): boolean {
  const c = new Cursor(body);
  try {
    c.expect(LBRACE);
    let type = false;
    let dat = false;
    do {
      c.str();
      const key = c.text();
      c.expect(COLON);
      if (key === 'type' && !type) {
        c.str();
        if (c.text() !== 'disbursement.result') fail();
        type = true;
      } else if (key === 'data' && !dat) {
        data(c);
        dat = true;
      } else fail();
    } while (c.more(RBRACE));
    c.ws();
    return type && dat && c.i === body.length;
  } catch (e) {
    if (e instanceof Fail || e instanceof RangeError) return false;
    throw e;
  }
}

/**
 * The parsed body of a recognised event: it carries only what the route needs. Not constructible
 * from JSON, so the route's validator can trust it (see fastBodyValidator's `trusted`).
 */
export class PrecheckedEvent {
  constructor(readonly type: 'disbursement.result', readonly bodySha256: string) {}
}
