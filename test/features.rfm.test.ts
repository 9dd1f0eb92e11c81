import { describe, expect, it } from 'vitest';
import { expectError } from './helpers.js';
import { Binary, type DataType, DateDay, TimestampNanosecond, TimestampMicrosecond, Decimal, Dictionary, Float32, Float64, Int32, Int64, TimestampMillisecond, Uint64, Utf8, makeData, makeVector, Table, vectorFromArray } from 'apache-arrow';
import { RFM_AFTER_AS_OF, RFM_AS_OF, RFM_NO_PURCHASE, rfm } from '../src/features/rfm.js';
import { RFM_SEGMENT_RULES, rfmSegment } from '../src/features/rfmSegment.js';
import { behaviourFeatures } from '../src/features/behaviourFeatures.js';
import { createRandom } from '../src/util/random.js';
import { SegkitError } from '../src/util/errors.js';

type Row = { customer: string; invoice: string; date: string | number | Date; qty: number; amount: number };

/*
 * A hand-checkable log, amount = line total. The last transaction is 2024-03-30, so asOf = 2024-03-31.
 *
 *   A: orders 1001 (two lines, 25), 1010 (30), 1020 (15); C1021 cancels 15   -> F 3, M 55,  last 03-28, R 3
 *   B: one order 1002 (40)                                                   -> F 1, M 40,  last 01-06, R 85
 *   C: 1003 (50), 1011 (24), 1012 returns 2 units with a positive amount 10  -> F 2, M 64,  last 03-01, R 30
 *      (the return on 03-15 is not a purchase, so it does not move recency)
 *   D: one order 1004 (40) late on B's day: ties B on every measure          -> F 1, M 40,  last 01-06, R 85
 *   E: 1005 (100) and 1006 (12.50), both on 03-30                            -> F 2, M 112.5, last 03-30, R 1
 *   F: only a cancellation                                                   -> not in the output
 * 2024 is a leap year: 01-06 -> 03-31 is 25 + 29 + 31 = 85 days.
 */
const LOG: Row[] = [
  { customer: 'A', invoice: '1001', date: '2024-01-05', qty: 2, amount: 20 },
  { customer: 'A', invoice: '1001', date: '2024-01-05', qty: 1, amount: 5 },
  { customer: 'B', invoice: '1002', date: '2024-01-06T09:00:00Z', qty: 4, amount: 40 },
  { customer: 'D', invoice: '1004', date: '2024-01-06T23:59:59Z', qty: 1, amount: 40 },
  { customer: 'C', invoice: '1003', date: '2024-02-01', qty: 5, amount: 50 },
  { customer: 'A', invoice: '1010', date: '2024-02-10', qty: 3, amount: 30 },
  { customer: 'F', invoice: 'C1007', date: '2024-02-20', qty: -1, amount: -8 },
  { customer: 'C', invoice: '1011', date: '2024-03-01', qty: 2, amount: 24 },
  { customer: 'C', invoice: '1012', date: '2024-03-15', qty: -2, amount: 10 },
  { customer: 'A', invoice: '1020', date: '2024-03-28', qty: 1, amount: 15 },
  { customer: 'A', invoice: 'C1021', date: '2024-03-29', qty: -1, amount: -15 },
  { customer: 'E', invoice: '1005', date: '2024-03-30T10:00:00Z', qty: 10, amount: 100 },
  { customer: 'E', invoice: '1006', date: '2024-03-30T11:00:00Z', qty: 1, amount: 12.5 },
];
const OPTS = { customer: 'customer', date: 'date', amount: 'amount', invoice: 'invoice', quantity: 'qty' } as const;

function columns(t: Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of t.schema.fields) out[f.name] = [...t.getChild(f.name)!];
  return out;
}

/** Independent score: count the values strictly below, by brute force. */
function bruteScore(values: number[]): number[] {
  const n = values.length;
  return values.map((v) => 1 + Math.floor((5 * values.filter((x) => x < v).length) / n));
}

/** pandas.qcut(s.rank(method='first'), 5, labels=[1..5]): linear-interpolated rank quantiles as bin edges. */
function pandasQcutFirst(values: number[]): number[] {
  const n = values.length;
  const rank = new Array<number>(n);
  values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .forEach(([, i], r) => (rank[i] = r + 1));
  const edges = [0, 1, 2, 3, 4, 5].map((k) => 1 + (k * (n - 1)) / 5);
  return rank.map((r) => Math.max(1, edges.findIndex((e, k) => k > 0 && r <= e)));
}

/** The Kaggle/Putler regex map, applied to "R" + "FM" with FM = half-up mean of F and M. */
function gridSegment(r: number, f: number, m: number): string {
  const key = `${r}${Math.floor((f + m) / 2 + 0.5)}`;
  const map: [RegExp, string][] = [
    [/^[1-2][1-2]$/, 'Hibernating'],
    [/^[1-2][3-4]$/, 'At Risk'],
    [/^[1-2]5$/, "Can't Lose Them"],
    [/^3[1-2]$/, 'About to Sleep'],
    [/^33$/, 'Need Attention'],
    [/^[3-4][4-5]$/, 'Loyal'],
    [/^41$/, 'Promising'],
    [/^51$/, 'New Customers'],
    [/^[4-5][2-3]$/, 'Potential Loyalist'],
    [/^5[4-5]$/, 'Champions'],
  ];
  return map.find(([re]) => re.test(key))![1];
}

describe('rfm', () => {
  it('orders ids mixing numbers and text as the text they are written as, whatever the log order', () => {
    // compared number to number and text to text, 10 < "5" < 9 < 10: the order followed the log's
    const ids = [10, 9, '5', 'a', 2, '30'];
    const rng = createRandom(3);
    for (let trial = 0; trial < 20; trial++) {
      const order = ids.map((id) => ({ id, r: rng.next() })).sort((x, y) => x.r - y.r).map((x) => x.id);
      const t = rfm(order.map((c) => ({ c, d: '2024-01-01', a: 1 })), { customer: 'c', date: 'd', amount: 'a' });
      expect(columns(t).c).toEqual(['10', '2', '30', '5', '9', 'a']);
      expect(columns(behaviourFeatures(order.map((c) => ({ c, at: '2024-01-01T00:00:00Z', kind: 'page_view' })), { customer: 'c', timestamp: 'at', type: 'kind' })).c).toEqual(['10', '2', '30', '5', '9', 'a']);
    }
  });

  it('reads a customer or invoice id written as a number in some rows and as text in others as one id', () => {
    // records from JSON may hold the id 7 in one row and "7" in another: one customer (not two rows both "7") whose
    // two lines of order 1 are one order
    const log = [
      { c: 7, d: '2024-01-01', a: 10, inv: 1 },
      { c: '7', d: '2024-01-01', a: 15, inv: '1' },
      { c: 7, d: '2024-01-03', a: 5, inv: 2 },
      { c: 8, d: '2024-01-03', a: 4, inv: 3 },
    ];
    const t = columns(rfm(log, { customer: 'c', date: 'd', amount: 'a', invoice: 'inv' }));
    expect(t.c).toEqual([7, 8]);
    expect(t.frequency).toEqual([2, 1]);
    expect(t.monetary).toEqual([30, 4]);
    expect(t.recency).toEqual([1, 1]);
  });

  it('computes the hand-checked recency, frequency and net monetary value', () => {
    const t = columns(rfm(LOG, OPTS));
    expect(t.customer).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(t.recency).toEqual([3, 85, 30, 85, 1]);
    expect(t.frequency).toEqual([3, 1, 2, 1, 2]);
    expect(t.monetary).toEqual([55, 40, 64, 40, 112.5]);
  });

  it('scores by min-rank quintiles: ties share a score, R favours recent customers', () => {
    // n = 5, score = 1 + floor(5 * (customers strictly below) / 5) = 1 + below:
    //   -recency  -3 -85 -30 -85 -1   : B, D (0 below) 1; C (2 below) 3; A 4; E 5
    //   frequency  3   1   2   1  2    : B, D 1; C, E (2 below) 3; A (4 below) 5
    //   monetary  55  40  64  40 112.5 : B, D 1; A 3; C 4; E 5
    // FM = half-up mean of F and M: A (5,3) 4, B (1,1) 1, C (3,4) 4, E (3,5) 4.
    const t = columns(rfm(LOG, OPTS));
    expect(t.r_score).toEqual([4, 1, 3, 1, 5]);
    expect(t.f_score).toEqual([5, 1, 3, 1, 3]);
    expect(t.m_score).toEqual([3, 1, 4, 1, 5]);
    expect(t.rfm_code).toEqual(['453', '111', '334', '111', '535']);
    expect(t.segment).toEqual(['Loyal', 'Hibernating', 'Loyal', 'Hibernating', 'Champions']);
  });

  it('says how many customers it left out for having no purchase row (F: only a cancellation)', () => {
    expect(JSON.parse(rfm(LOG, OPTS).schema.metadata.get(RFM_NO_PURCHASE)!)).toEqual({ customers: 1 });
    const more = [...LOG, { customer: 'G', invoice: '1030', date: '2024-03-02', qty: -1, amount: -4 }];
    expect(JSON.parse(rfm(more, OPTS).schema.metadata.get(RFM_NO_PURCHASE)!)).toEqual({ customers: 2 });
  });

  it('counts distinct purchase days when there is no invoice column', () => {
    // E's two invoices fall on one day; A's two lines of 1001 too. Negative amounts still mark returns.
    const { invoice: _, ...noInvoice } = OPTS;
    const t = columns(rfm(LOG, noInvoice));
    expect(t.customer).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(t.frequency).toEqual([3, 1, 2, 1, 1]);
    expect(t.monetary).toEqual([55, 40, 64, 40, 112.5]);
  });

  it('uses a caller predicate for cancelled invoices', () => {
    // Here cancellations carry positive quantities and amounts; only the predicate can spot them.
    const log = [
      { c: 1, inv: 'S1', d: '2024-01-01', a: 10 },
      { c: 1, inv: 'X1', d: '2024-01-02', a: 4 },
      { c: 2, inv: 'S2', d: '2024-01-02', a: 7 },
    ];
    const opts = { customer: 'c', date: 'd', amount: 'a', invoice: 'inv' };
    expect(columns(rfm(log, opts)).monetary).toEqual([14, 7]);
    const t = columns(rfm(log, { ...opts, cancelled: (id) => String(id).startsWith('X') }));
    expect(t.c).toEqual([1, 2]);
    expect(t.frequency).toEqual([1, 1]);
    expect(t.monetary).toEqual([6, 7]);
    expect(t.recency).toEqual([2, 1]); // the cancellation on 01-02 is not a purchase
  });

  it('multiplies quantity by unit price when amountPer is "unit"', () => {
    const log = [
      { c: 'x', d: '2024-05-01', q: 3, p: 2.5 },
      { c: 'x', d: '2024-05-02', q: -1, p: 2.5 },
    ];
    const t = columns(rfm(log, { customer: 'c', date: 'd', quantity: 'q', amount: 'p', amountPer: 'unit' }));
    expect(t.monetary).toEqual([5]); // 7.5 - 2.5
    expect(t.recency).toEqual([2]); // last purchase 05-01, asOf 05-03
  });

  it('ignores rows after asOf and measures recency from it', () => {
    const t = columns(rfm(LOG, { ...OPTS, asOf: '2024-03-29' }));
    // E (03-30) drops out; the cancellation C1021 at 03-29 00:00 is on or before asOf and still counts.
    expect(t.customer).toEqual(['A', 'B', 'C', 'D']);
    expect(t.recency).toEqual([1, 83, 28, 83]);
    expect(t.monetary).toEqual([55, 40, 64, 40]);
    const u = columns(rfm(LOG, { ...OPTS, asOf: new Date(Date.UTC(2024, 3, 30)) }));
    expect(u.recency).toEqual([33, 115, 60, 115, 31]);
  });

  it('counts the whole as-of day, and reports the rows and customers after it in the schema metadata', () => {
    const log = [
      { customer: 'A', date: '2024-01-01', amount: 10 },
      { customer: 'B', date: '2024-01-02T00:00:00Z', amount: 20 },
      { customer: 'C', date: '2024-01-02T23:59:59.999Z', amount: 30 },
      { customer: 'D', date: '2024-01-03T00:00:00Z', amount: 5 },
      { customer: 'A', date: '2024-02-01', amount: 1 },
      // a return before the as-of day, a purchase after it: absent from the table, and counted so
      { customer: 'F', date: '2024-01-01', amount: -3 },
      { customer: 'F', date: '2024-01-05', amount: 9 },
    ];
    const table = rfm(log, { customer: 'customer', date: 'date', amount: 'amount', asOf: '2024-01-02' });
    const t = columns(table);
    expect(t.customer).toEqual(['A', 'B', 'C']);
    expect(t.recency).toEqual([1, 0, 0]);
    expect(t.monetary).toEqual([10, 20, 30]);
    expect(JSON.parse(table.schema.metadata.get(RFM_AFTER_AS_OF)!)).toEqual({ rows: 3, customers: 2 });
    // D and F bought only after the as-of day: counted there, not as customers without any purchase
    expect(JSON.parse(table.schema.metadata.get(RFM_NO_PURCHASE)!)).toEqual({ customers: 0 });
    // a time of day on the as-of date changes nothing; without asOf there is no such entry
    expect(columns(rfm(log, { customer: 'customer', date: 'date', amount: 'amount', asOf: '2024-01-02T06:00:00Z' }))).toEqual(t);
    expect(rfm(log, { customer: 'customer', date: 'date', amount: 'amount' }).schema.metadata.has(RFM_AFTER_AS_OF)).toBe(false);
    // the day recency counts to, and the latest transaction counted (row 2 on or before the as-of day; row 4 in all)
    expect(JSON.parse(table.schema.metadata.get(RFM_AS_OF)!)).toEqual({ asOf: '2024-01-02', last: 2 });
    expect(JSON.parse(rfm(log, { customer: 'customer', date: 'date', amount: 'amount' }).schema.metadata.get(RFM_AS_OF)!)).toEqual({ asOf: '2024-02-02', last: 4 });
    // a date typed years ahead sets the default day: the metadata says which, and where
    const typo = log.map((r, i) => (i === 1 ? { ...r, date: '2204-01-02T00:00:00Z' } : r));
    expect(JSON.parse(rfm(typo, { customer: 'customer', date: 'date', amount: 'amount' }).schema.metadata.get(RFM_AS_OF)!)).toEqual({ asOf: '2204-01-03', last: 1 });
    // the last day a JavaScript date holds (+275760-09-13): the day after it is named by its number
    const edge = log.map((r, i) => (i === 1 ? { ...r, date: new Date(8.64e15) } : r));
    const far = rfm(edge, { customer: 'customer', date: 'date', amount: 'amount' });
    expect(JSON.parse(far.schema.metadata.get(RFM_AS_OF)!)).toEqual({ asOf: 'day 100000001 after 1970-01-01', last: 1 });
    expect(columns(far).recency.slice(0, 3)).toEqual([100000001 - 19754, 1, 100000001 - 19724]);
  });

  it('reads Date objects, epoch ms and offsets the same as ISO strings', () => {
    const mixed = LOG.map((r, i) => {
      const ms = Date.parse(r.date as string);
      return { ...r, date: i % 3 === 0 ? new Date(ms) : i % 3 === 1 ? ms : r.date };
    });
    expect(columns(rfm(mixed, OPTS))).toEqual(columns(rfm(LOG, OPTS)));
    // 2024-03-31T01:00+02:00 is 03-30 23:00 UTC: it extends E's last day, it does not add one.
    const withOffset = [...LOG, { customer: 'E', invoice: '1099', date: '2024-03-31T01:00:00+02:00', qty: 1, amount: 0 }];
    expect(columns(rfm(withOffset, OPTS)).recency).toEqual([3, 85, 30, 85, 1]);
  });

  it('accepts an Arrow table with dictionary ids and Timestamp or Date columns', () => {
    const ids = LOG.map((r) => r.customer);
    const dictValues = [...new Set(ids)];
    const customer = makeVector(
      makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        length: ids.length,
        nullCount: 0,
        data: Int32Array.from(ids, (c) => dictValues.indexOf(c)),
        dictionary: vectorFromArray(dictValues, new Utf8()),
      }),
    );
    const ms = LOG.map((r) => Date.parse(r.date as string));
    const base = {
      customer,
      invoice: vectorFromArray(LOG.map((r) => r.invoice), new Utf8()),
      qty: makeVector(Int32Array.from(LOG, (r) => r.qty)),
      amount: vectorFromArray(LOG.map((r) => r.amount), new Float64()),
    };
    const expected = columns(rfm(LOG, OPTS));
    const ts = new Table({ ...base, date: vectorFromArray(ms, new TimestampMillisecond()) });
    expect(columns(rfm(ts, OPTS))).toEqual(expected);
    // Days only: the same calendar days, so the same result.
    const days = new Table({ ...base, date: vectorFromArray(ms.map((t) => new Date(t)), new DateDay()) });
    expect(columns(rfm(days, OPTS))).toEqual(expected);
    // A table split in record batches and sliced gives the same as the whole.
    const two = new Table([...ts.slice(0, 5).batches, ...ts.slice(5).batches]);
    expect(two.getChild('date')!.data.length).toBe(2);
    expect(columns(rfm(two, OPTS))).toEqual(expected);
  });

  it('reads amounts of an Arrow Decimal column (decimal(10, 2) and Spark\'s decimal(38, 2)) as the numbers they hold', () => {
    /** A Decimal128 column of unscaled values (null for null), in two chunks as a database reader may give them. */
    const decimals = (precision: number, scale: number, unscaled: (bigint | null)[]) => {
      const chunk = (part: (bigint | null)[]) => {
        const words = new Uint32Array(part.length * 4);
        const valid = new Uint8Array((part.length + 7) >> 3);
        part.forEach((v, i) => {
          let u = BigInt.asUintN(128, v ?? 0n);
          for (let w = 0; w < 4; w++, u >>= 32n) words[i * 4 + w] = Number(u & 0xffffffffn);
          if (v !== null) valid[i >> 3] |= 1 << (i & 7);
        });
        const nullCount = part.filter((v) => v === null).length;
        return makeVector(makeData({ type: new Decimal(scale, precision, 128), length: part.length, nullCount, nullBitmap: valid, data: words }));
      };
      return chunk(unscaled.slice(0, 5)).concat(chunk(unscaled.slice(5)));
    };
    const base = {
      customer: vectorFromArray(LOG.map((r) => r.customer), new Utf8()),
      invoice: vectorFromArray(LOG.map((r) => r.invoice), new Utf8()),
      date: vectorFromArray(LOG.map((r) => r.date as string), new Utf8()),
      qty: makeVector(Int32Array.from(LOG, (r) => r.qty)),
    };
    const cents = LOG.map((r) => BigInt(Math.round(r.amount * 100)));
    const expected = columns(rfm(LOG, OPTS));
    expect(expected.monetary).toEqual([55, 40, 64, 40, 112.5]);
    for (const precision of [10, 38]) {
      const table = new Table({ ...base, amount: decimals(precision, 2, cents) });
      expect(columns(rfm(table, OPTS))).toEqual(expected);
    }
    // a missing amount is named as one; a value a float64 cannot hold is refused, not rounded
    const gap = new Table({ ...base, amount: decimals(38, 2, cents.map((c, i) => (i === 6 ? null : c))) });
    expectError(() => rfm(gap, OPTS), 'E_NAN_INPUT', 'row 6, column "amount" holds null');
    const wide = new Table({ ...base, amount: decimals(38, 2, cents.map((c, i) => (i === 2 ? 1234567890123456789n : c))) });
    expectError(() => rfm(wide, OPTS), 'E_PARSE', 'column "amount" holds 12345678901234567.89');
  });

  it('keys an Arrow Decimal customer column by its value: decimal(18, 2) ids come out as 4.07, not their unscaled digits', () => {
    const ids = { A: -101n, B: 250n, C: 300n, D: 407n, E: 500100n, F: 99n } as Record<string, bigint>;
    const words = new Uint32Array(LOG.length * 4);
    LOG.forEach((r, i) => {
      let u = BigInt.asUintN(128, ids[r.customer as string]);
      for (let w = 0; w < 4; w++, u >>= 32n) words[i * 4 + w] = Number(u & 0xffffffffn);
    });
    const table = new Table({
      customer: makeVector(makeData({ type: new Decimal(2, 18, 128), length: LOG.length, nullCount: 0, data: words })),
      invoice: vectorFromArray(LOG.map((r) => r.invoice), new Utf8()),
      date: vectorFromArray(LOG.map((r) => r.date as string), new Utf8()),
      qty: makeVector(Int32Array.from(LOG, (r) => r.qty)),
      amount: makeVector(Float64Array.from(LOG, (r) => r.amount)),
    });
    const want = columns(rfm(LOG, OPTS));
    const got = columns(rfm(table, OPTS));
    // as joinCustomers keys the same column: 3.00 as 3
    expect(got.customer).toEqual(['-1.01', '2.5', '3', '4.07', '5001']);
    expect({ ...got, customer: want.customer }).toEqual(want);
  });

  it('keys ids met in a Dictionary chunk and then in a Utf8 chunk of one column as the records give them', () => {
    // two tables joined: the first's ids dictionary-encoded, the second's plain text, its ids in another order
    const part = (rows: Row[], dict: boolean) => new Table({
      customer: vectorFromArray(rows.map((r) => r.customer), dict ? new Dictionary(new Utf8(), new Int32()) : new Utf8()),
      invoice: vectorFromArray(rows.map((r) => r.invoice), new Utf8()),
      date: vectorFromArray(rows.map((r) => r.date as string), new Utf8()),
      qty: makeVector(Int32Array.from(rows, (r) => r.qty)),
      amount: makeVector(Float64Array.from(rows, (r) => r.amount)),
    });
    const later = LOG.slice(6).reverse();
    const table = part(LOG.slice(0, 6), true).concat(part(later, false));
    expect(table.getChild('customer')!.data.map((d) => String(d.type))).toEqual(['Dictionary<Int32, Utf8>', 'Utf8']);
    expect(columns(rfm(table, OPTS))).toEqual(columns(rfm([...LOG.slice(0, 6), ...later], OPTS)));
  });

  it('reads Arrow Utf8 and integer id columns (thousands of distinct ids) as the records give them', () => {
    const rng = createRandom(17);
    const n = 3000;
    const log = Array.from({ length: n }, (_, i) => ({
      customer: `cust-${rng.int(800)}`,
      invoice: i % 40 === 0 ? `C${i}` : `${100000 + i}`,
      date: Date.UTC(2023, 5, 1) + rng.int(200 * 86_400) * 1000,
      qty: 1 + rng.int(3),
      amount: 1 + rng.int(100),
    }));
    const expected = columns(rfm(log, OPTS));
    expect((expected.customer as string[]).length).toBeGreaterThan(700);
    const table = new Table({
      customer: vectorFromArray(log.map((r) => r.customer), new Utf8()),
      invoice: vectorFromArray(log.map((r) => r.invoice), new Utf8()),
      date: vectorFromArray(log.map((r) => r.date), new TimestampMillisecond()),
      qty: makeVector(Int32Array.from(log, (r) => r.qty)),
      amount: makeVector(Float64Array.from(log, (r) => r.amount)),
    });
    expect(columns(rfm(table, OPTS))).toEqual(expected);
    // Integer customer ids: numbers in, numbers out, sorted numerically.
    const numeric = log.map((r) => ({ ...r, customer: Number(r.customer.slice(5)) * 3 }));
    const numericTable = new Table({
      customer: makeVector(Int32Array.from(numeric, (r) => r.customer)),
      invoice: table.getChild('invoice')!,
      date: table.getChild('date')!,
      qty: table.getChild('qty')!,
      amount: table.getChild('amount')!,
    });
    const t = columns(rfm(numericTable, OPTS));
    expect(t).toEqual(columns(rfm(numeric, OPTS)));
    const ids = t.customer as number[];
    expect(ids).toHaveLength((expected.customer as string[]).length);
    expect(ids.every((id, j) => typeof id === 'number' && (j === 0 || id > ids[j - 1]))).toBe(true);
  });

  it('keeps unsigned 64-bit ids of 2^63 and more as they are, sorted numerically', () => {
    const top = 2n ** 64n - 1n, half = 2n ** 63n;
    const table = new Table({
      customer: vectorFromArray([top, top, half, 5n], new Uint64()),
      date: vectorFromArray([Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 2)], new TimestampMillisecond()),
      amount: makeVector(Float64Array.of(10, 20, 30, 40)),
    });
    const out = rfm(table, { customer: 'customer', date: 'date', amount: 'amount', asOf: '2024-04-01' });
    expect(String(out.schema.fields[0].type)).toBe('Uint64');
    expect([...out.getChild('customer')!]).toEqual([5n, half, top]);
    expect([...out.getChild('frequency')!]).toEqual([1, 1, 2]);
    // a negative id beside one of 2^63 fits neither 64-bit type: the ids are written as text, never wrapped
    const records = [-3n, half].map((customer, i) => ({ customer, date: Date.UTC(2024, 0, 1 + i), amount: 1 }));
    const mixed = rfm(records, { customer: 'customer', date: 'date', amount: 'amount', asOf: '2024-04-01' });
    expect([...mixed.getChild('customer')!]).toEqual(['-3', String(half)]);
  });

  it('sorts 64-bit ids numerically when some are past 2^53 and others are not', () => {
    // 2^60 is read as a bigint, 7 and 20 as numbers: compared as text, "1152921504606846976" came first
    const big = 2n ** 60n;
    const table = new Table({
      customer: vectorFromArray([20n, big, 7n], new Int64()),
      date: vectorFromArray([Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)], new TimestampMillisecond()),
      amount: makeVector(Float64Array.of(10, 20, 30)),
    });
    const out = rfm(table, { customer: 'customer', date: 'date', amount: 'amount', asOf: '2024-04-01' });
    expect([...out.getChild('customer')!]).toEqual([7n, 20n, big]);
    expect([...out.getChild('monetary')!]).toEqual([30, 10, 20]);
    const events = [20n, big, 7n].map((c, i) => ({ c, t: Date.UTC(2024, 0, 1 + i), type: 'page_view' }));
    expect([...behaviourFeatures(events, { customer: 'c', timestamp: 't', type: 'type' }).getChild('c')!]).toEqual([7n, 20n, big]);
  });

  it('does not depend on row order and does not touch the input', () => {
    const rng = createRandom(3);
    const shuffled = [...LOG];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const snapshot = JSON.stringify(shuffled);
    expect(columns(rfm(shuffled, OPTS))).toEqual(columns(rfm(LOG, OPTS)));
    expect(JSON.stringify(shuffled)).toBe(snapshot);
  });

  it('matches an independent brute-force scoring on a random log', () => {
    const rng = createRandom(42);
    const log = Array.from({ length: 600 }, (_, i) => ({
      customer: 100 + rng.int(88),
      invoice: `${5000 + (i >> 1)}`,
      date: Date.UTC(2023, 0, 1) + rng.int(120) * 86_400_000 + rng.int(86_400_000),
      qty: rng.next() < 0.05 ? -1 : 1 + rng.int(5),
      amount: rng.int(40) * 2.5,
    }));
    const t = columns(rfm(log, OPTS));
    const recency = t.recency as number[];
    expect(t.r_score).toEqual(bruteScore(recency.map((r) => -r)));
    expect(t.f_score).toEqual(bruteScore(t.frequency as number[]));
    expect(t.m_score).toEqual(bruteScore(t.monetary as number[]));
    const n = recency.length;
    expect(n % 5).not.toBe(0); // bins of unequal size, where off-by-one edges would show
    for (let j = 0; j < n; j++) {
      const [r, f, m] = [t.r_score[j], t.f_score[j], t.m_score[j]] as number[];
      expect(t.rfm_code[j]).toBe(`${r}${f}${m}`);
      expect(t.segment[j]).toBe(gridSegment(r, f, m));
    }
    // Equal values, equal scores; a larger value never scores lower.
    const pairs = recency.map((v, j) => [t.monetary[j] as number, t.m_score[j] as number]).sort((a, b) => a[0] - b[0]);
    for (let j = 1; j < n; j++) expect(pairs[j][1]).toBeGreaterThanOrEqual(pairs[j - 1][1]);
  });

  it('equals pandas qcut(rank(method="first"), 5) when values are distinct and n is a multiple of 5', () => {
    // Twenty one-order customers with distinct spends and distinct days.
    const rng = createRandom(9);
    const spends = Array.from({ length: 20 }, (_, i) => 10 + i * 3 + rng.next());
    const log = spends.map((s, i) => ({ customer: `c${i}`, invoice: `${i}`, date: Date.UTC(2024, 0, 1 + ((i * 7) % 20)), qty: 1, amount: s }));
    const t = columns(rfm(log, OPTS));
    const monetary = t.monetary as number[];
    expect(t.m_score).toEqual(pandasQcutFirst(monetary));
    expect(t.r_score).toEqual(pandasQcutFirst((t.recency as number[]).map((r) => -r)));
    for (let s = 1; s <= 5; s++) expect((t.m_score as number[]).filter((x) => x === s)).toHaveLength(4);
  });

  it('a cancellation "C" + an order id cancels that order: frequency and recency count only orders not fully cancelled', () => {
    const log: Row[] = [
      // G: 2001 cancelled in full, 2002 kept -> F 1, recency from 2002 (03-01), M 20
      { customer: 'G', invoice: '2001', date: '2024-03-20', qty: 1, amount: 15.1 },
      { customer: 'G', invoice: '2002', date: '2024-03-01', qty: 2, amount: 20 },
      { customer: 'G', invoice: 'C2001', date: '2024-03-21', qty: -1, amount: -15.1 },
      // H: 3001 cancelled in part, so still an order -> F 1, recency from 03-10, M 20
      { customer: 'H', invoice: '3001', date: '2024-03-10', qty: 3, amount: 30 },
      { customer: 'H', invoice: 'C3001', date: '2024-03-11', qty: -1, amount: -10 },
      // K: every order cancelled -> "Cancelled", F 0, M 0, no scores (it was "New Customers" with spend 0)
      { customer: 'K', invoice: '4001', date: '2024-03-28', qty: 1, amount: 12.3 },
      { customer: 'K', invoice: 'C4001', date: '2024-03-29', qty: -1, amount: -12.3 },
      // L: one order of two lines, 1.1 + 2.2 (3.3000000000000003 in floating point)
      { customer: 'L', invoice: '5001', date: '2024-03-27', qty: 1, amount: 1.1 },
      { customer: 'L', invoice: '5001', date: '2024-03-27', qty: 1, amount: 2.2 },
    ];
    const t = columns(rfm(log, OPTS));
    expect(t.customer).toEqual(['G', 'H', 'K', 'L']);
    // asOf is 03-30, the day after the last row
    expect(t.recency).toEqual([29, 20, 2, 3]);
    expect(t.frequency).toEqual([1, 1, 0, 1]);
    expect(t.monetary).toEqual([20, 20, 0, 3.3]);
    // scored among G, H and L only: R from -29, -20, -3; F all 1; M 20, 20, 3.3
    expect(t.r_score).toEqual([1, 2, null, 4]);
    expect(t.f_score).toEqual([1, 1, null, 1]);
    expect(t.m_score).toEqual([2, 2, null, 1]);
    expect(t.rfm_code).toEqual(['112', '212', null, '411']);
    expect(t.segment).toEqual(['Hibernating', 'Hibernating', 'Cancelled', 'Promising']);
  });

  it('sums money in whole cents, so totals are exact to the cent', () => {
    const log: Row[] = [
      // N: 10.1 + 20.2 bought, 30.3 returned: -3.552713678800501e-15 in floating point
      { customer: 'N', invoice: '6001', date: '2024-03-01', qty: 1, amount: 10.1 },
      { customer: 'N', invoice: '6002', date: '2024-03-02', qty: 1, amount: 20.2 },
      { customer: 'N', invoice: '6003', date: '2024-03-03', qty: -1, amount: -30.3 },
      // P: 100.23 + 488.24 and a line of 0.285 (stored as 0.28499999999999998), which is half a cent up
      { customer: 'P', invoice: '7001', date: '2024-03-01', qty: 1, amount: 100.23 },
      { customer: 'P', invoice: '7001', date: '2024-03-01', qty: 1, amount: 488.24 },
      { customer: 'P', invoice: '7002', date: '2024-03-04', qty: 1, amount: 0.285 },
    ];
    expect(columns(rfm(log, OPTS)).monetary).toEqual([0, 588.76]);
    // unit prices: 3 x 19.99 is 59.97, not 59.970000000000006
    const units = columns(rfm([{ customer: 'Q', invoice: '1', date: '2024-01-01', qty: 3, amount: 19.99 }], { ...OPTS, amountPer: 'unit' }));
    expect(units.monetary).toEqual([59.97]);
    // a currency without minor units: each line is rounded (100 + 488 + 0)
    const yen = columns(rfm(log, { ...OPTS, currencyDecimals: 0 }));
    expect(yen.monetary).toEqual([0, 588]);
    expectError(() => rfm(log, { ...OPTS, currencyDecimals: 1.5 }), 'E_BAD_OPTION', '"currencyDecimals"');
  });

  it('gives money totals exactly to the cent up to 2^46 currency units, as exact BigInt cents do, and refuses a line or total past it', () => {
    // the decimal text of a whole number of cents, as a file holds it, and its float64 as a reader gives it
    // (JavaScript's shortest form: no trailing zeros)
    const text = (cents: bigint) => `${cents < 0n ? '-' : ''}${(cents < 0n ? -cents : cents) / 100n}.${String((cents < 0n ? -cents : cents) % 100n).padStart(2, '0')}`.replace(/\.?0+$/, '');
    const limit = 2n ** 46n * 100n;
    const rng = createRandom(7);
    const big = (bound: bigint) => (BigInt(Math.floor(rng.next() * 2 ** 26)) * 2n ** 26n + BigInt(Math.floor(rng.next() * 2 ** 26))) % bound;
    // customers of 1 to 40 lines each, totals up to just under 2^46 units; and one of many lines of a few cents
    const log: Row[] = [];
    const exact: string[] = [];
    for (let c = 0; c < 30; c++) {
      const lines = 1 + rng.int(40);
      let total = 0n;
      for (let j = 0; j < lines; j++) {
        const cents = c === 0 ? limit - 1n - total : big((limit - 1n - total) / BigInt(lines - j)) + 1n;
        total += cents;
        log.push({ customer: `c${String(c).padStart(2, '0')}`, invoice: `${c}-${j}`, date: '2024-01-01', qty: 1, amount: Number(text(cents)) });
      }
      exact.push(text(total));
    }
    for (let j = 0; j < 5000; j++) log.push({ customer: 'c99', invoice: `99-${j}`, date: '2024-01-02', qty: 1, amount: Number(text(BigInt(1 + (j % 97)))) });
    exact.push(text(Array.from({ length: 5000 }, (_, j) => BigInt(1 + (j % 97))).reduce((a, b) => a + b)));
    expect(exact[0]).toBe('70368744177663.99');
    expect(columns(rfm(log, OPTS)).monetary.map(String)).toEqual(exact);
    // past it float64 steps by 1/64: a line of 2^46 + 0.01 was read as 2^46 + 0.02, four lines of 2^44 + 0.01 summed
    // to 2^46 + 0.05, never the 0.04 they make
    const at = (amounts: number[], qty = 1) => amounts.map((amount, i) => ({ customer: 'a', invoice: String(i), date: '2024-01-01', qty, amount }));
    const beyond = 'is beyond what float64 holds to the minor unit';
    expectError(() => rfm(at([70368744177664.01]), OPTS), 'E_PRECISION', 'row 0, column "amount": the line or the net spend of customer a ', beyond);
    // just under it, the line is read
    expect(columns(rfm(at([70368744177663.99]), OPTS)).monetary).toEqual([70368744177663.99]);
    expectError(() => rfm(at([1, 17592186044416.01, 17592186044416.01, 17592186044416.01, 17592186044416.01]), OPTS), 'E_PRECISION', 'row 4, column "amount": ', beyond);
    // returns count by their size as well; a unit price times a quantity, to a quarter of the bound
    expectError(() => rfm(at([-70368744177664]), OPTS), 'E_PRECISION', 'row 0');
    expectError(() => rfm(at([17592186044416], 1), { ...OPTS, amountPer: 'unit' }), 'E_PRECISION', 'row 0', beyond);
    expect(columns(rfm(at([1759218604441.61], 9), { ...OPTS, amountPer: 'unit' })).monetary).toEqual([15832967439974.49]);
    // whole units past 2^46 are exact with no decimals, up to 2^53
    expect(columns(rfm(at([2 ** 52, 2 ** 52 - 1]), { ...OPTS, currencyDecimals: 0 })).monetary).toEqual([2 ** 53 - 1]);
    expectError(() => rfm(at([2 ** 52, 2 ** 52]), { ...OPTS, currencyDecimals: 0 }), 'E_PRECISION', 'row 1', beyond);
  });

  it('reads float32 money as the decimals it was written as, and refuses it where float32 no longer holds the cent', () => {
    const amounts = [0.285, 1.005, 10.005, 131071.99, 2.675];
    const log = (type: DataType, values: number[]) => new Table({
      customer: vectorFromArray(values.map((_, i) => `c${i}`), new Utf8()),
      date: vectorFromArray(values.map(() => Date.UTC(2024, 0, 1)), new TimestampMillisecond()),
      amount: vectorFromArray(values, type),
    });
    const options = { customer: 'customer', date: 'date', amount: 'amount' } as const;
    // as float64 records and columns give them: halves of a cent decided on the decimal written (0.285 -> 0.29)
    const want = [0.29, 1.01, 10.01, 131071.99, 2.68];
    expect(columns(rfm(amounts.map((amount, i) => ({ customer: `c${i}`, date: '2024-01-01', amount })), options)).monetary).toEqual(want);
    expect(columns(rfm(log(new Float64(), amounts), options)).monetary).toEqual(want);
    // float32 stores 0.285 as 0.28499999642372131, 1.005 as 1.0049999952316284: they were 0.28 and 1, a cent off
    expect(columns(rfm(log(new Float32(), amounts), options)).monetary).toEqual(want);
    // from 2^17 units float32 steps by 1/64: 200000.01 is stored as 200000.015625 and was read as 200000.02
    expect(Math.fround(200000.01)).toBe(200000.015625);
    expectError(() => rfm(log(new Float32(), [5, 200000.01]), options), 'E_PRECISION', 'row 1, column "amount" holds 200000.015625: float32 holds the minor unit only below 131072');
    expectError(() => rfm(log(new Float32(), [-131072]), options), 'E_PRECISION', 'row 0');
    // whole units (no decimals) are exact in float32 up to 2^24
    expect(columns(rfm(log(new Float32(), [16777215, 3]), { ...options, currencyDecimals: 0 })).monetary).toEqual([16777215, 3]);
    expectError(() => rfm(log(new Float32(), [16777216]), { ...options, currencyDecimals: 0 }), 'E_PRECISION', 'row 0');
  });

  it('reads a float32 quantity as the decimal it was written as, so a unit price times it is the line a float64 one gives', () => {
    // weights in kg times a unit price of 1: Python Decimal('2.675') * 1 and Decimal('0.285') * 1, rounded half up to the
    // cent, are 2.68 and 0.29; float32 stores 2.675 as 2.6749999523162842 and 0.285 as 0.28499999642372131
    const quantities = [2.675, 0.285, 1.5];
    const log = (type: DataType) => new Table({
      customer: vectorFromArray(['a', 'b', 'c'], new Utf8()),
      date: vectorFromArray(quantities.map(() => Date.UTC(2024, 0, 1)), new TimestampMillisecond()),
      quantity: vectorFromArray(quantities, type),
      price: vectorFromArray([1, 1, 3.33], new Float64()),
    });
    const options = { customer: 'customer', date: 'date', amount: 'price', quantity: 'quantity', amountPer: 'unit' } as const;
    const want = [2.68, 0.29, 5];
    expect(columns(rfm(log(new Float64()), options)).monetary).toEqual(want);
    // they were 2.67 and 0.28, a cent off, with the same values in a float32 column
    expect(columns(rfm(log(new Float32()), options)).monetary).toEqual(want);
  });

  it('reads a microsecond or nanosecond time on its own day, never rounded into the next (pandas writes nanoseconds)', () => {
    // a: 2023-12-31T23:59:59.999999999Z, b: 2023-12-31T00:00Z. The first was read as float64 milliseconds times 1e-6,
    // 2024-01-01T00:00:00Z: the as-of day 2024-01-02, and b's recency 2 where it is 1
    for (const [type, counts] of [[new TimestampNanosecond(), [1704067199999999999n, 1703980800000000000n]], [new TimestampMicrosecond(), [1704067199999999n, 1703980800000000n]]] as const) {
      const log = new Table({
        customer: vectorFromArray(['a', 'b'], new Utf8()),
        date: makeVector(makeData({ type, length: 2, nullCount: 0, data: BigInt64Array.from(counts) } as never)),
        amount: vectorFromArray([1, 2], new Float64()),
      });
      const t = rfm(log, { customer: 'customer', date: 'date', amount: 'amount' });
      expect(columns(t).recency).toEqual([1, 1]);
      expect(JSON.parse(t.schema.metadata.get(RFM_AS_OF)!)).toEqual({ asOf: '2024-01-01', last: 0 });
      // as the same instants in milliseconds read
      const ms = columns(rfm([{ customer: 'a', date: '2023-12-31T23:59:59.999Z', amount: 1 }, { customer: 'b', date: '2023-12-31', amount: 2 }], { customer: 'customer', date: 'date', amount: 'amount' }));
      expect(columns(t)).toEqual(ms);
      const b = behaviourFeatures(log.assign(new Table({ type: vectorFromArray(['page_view', 'page_view'], new Utf8()) })), { customer: 'customer', timestamp: 'date', type: 'type', asOf: '2024-01-01' });
      expect(columns(b).days_since_last_activity).toEqual([1, 1]);
    }
  });

  it('refuses a date outside the calendar (1e20 ms) naming its row, instead of giving others a recency of billions of days', () => {
    const log = LOG.map((r, i) => (i === 2 ? { ...r, date: 1e20 } : r));
    expectError(() => rfm(log, OPTS), 'E_PARSE', 'row 2, column "date" holds 100000000000000000000, outside the dates a calendar can hold');
    const arrow = new Table({
      customer: vectorFromArray(['a', 'b'], new Utf8()),
      date: vectorFromArray([Date.UTC(2024, 0, 1), 1e17], new TimestampMillisecond()),
      amount: vectorFromArray([1, 2], new Float64()),
    });
    expectError(() => rfm(arrow, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_PARSE', 'row 1, column "date"', 'outside the dates');
    expectError(() => rfm(LOG, { ...OPTS, asOf: 1e20 }), 'E_BAD_OPTION', '"asOf"');
  });

  it('refuses numbers that read as January 1970 (digits YYYYMMDD, epoch seconds) naming the row; epoch milliseconds pass', () => {
    const digits = LOG.map((r, i) => (i === 1 ? { ...r, date: 20240101 } : r));
    expectError(() => rfm(digits, OPTS), 'E_PARSE', 'row 1, column "date" holds the number 20240101', 'YYYYMMDD');
    const seconds = LOG.map((r, i) => (i === 3 ? { ...r, date: 1704067200 } : r));
    expectError(() => rfm(seconds, OPTS), 'E_PARSE', 'row 3, column "date" holds the number 1704067200', 'epoch seconds');
    const micro = LOG.map((r, i) => (i === 4 ? { ...r, date: 1704067200000000 } : r));
    expectError(() => rfm(micro, OPTS), 'E_PARSE', 'row 4, column "date" holds the number 1704067200000000', 'epoch microseconds');
    // microseconds before 1970 are negative: -220924800000000 (1963-01-01) as milliseconds is the year -5031
    const before = LOG.map((r, i) => (i === 4 ? { ...r, date: -220924800000000 } : r));
    expectError(() => rfm(before, OPTS), 'E_PARSE', 'row 4, column "date" holds the number -220924800000000', 'epoch microseconds');
    expectError(() => rfm(LOG, { ...OPTS, asOf: -220924800000000 }), 'E_BAD_OPTION', '"asOf"', 'epoch microseconds');
    // milliseconds before 1970 (1963-01-01) are dates: a log of then reads as one
    const sixties = columns(rfm(LOG.map((r) => ({ ...r, date: Date.parse(r.date as string) - Date.UTC(2024, 0, 1) + Date.UTC(1963, 0, 1) })), OPTS));
    expect(sixties.frequency).toEqual(columns(rfm(LOG, OPTS)).frequency);
    // the as-of date too, which would otherwise give every customer a recency of millions of days
    expectError(() => rfm(LOG, { ...OPTS, asOf: 1704067200000000 }), 'E_BAD_OPTION', '"asOf"', 'epoch microseconds');
    expectError(() => rfm(LOG, { ...OPTS, asOf: 1704067200 }), 'E_BAD_OPTION', '"asOf"', 'epoch seconds');
    // an Arrow integer column of seconds, too; a Date32 column (days) is a date type and reads as before
    const arrowSeconds = new Table({
      customer: vectorFromArray(['a', 'b'], new Utf8()),
      date: vectorFromArray([1704067200, 1704153600], new Float64()),
      amount: vectorFromArray([1, 2], new Float64()),
    });
    expectError(() => rfm(arrowSeconds, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_PARSE', 'row 0, column "date"', 'epoch seconds');
    // float32 epoch milliseconds are already rounded (to 131,072 ms at today's dates): refused, not read as given
    const arrowFloat32 = new Table({
      customer: vectorFromArray(['a', 'b'], new Utf8()),
      date: vectorFromArray([1704067200000, 1704153600000], new Float32()),
      amount: vectorFromArray([1, 2], new Float64()),
    });
    expectError(() => rfm(arrowFloat32, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_PARSE', 'column "date" is float32', 'int64 or float64');
    const ms = LOG.map((r) => ({ ...r, date: typeof r.date === 'string' ? Date.parse(r.date.length === 10 ? `${r.date}T00:00:00Z` : r.date) : r.date }));
    expect(columns(rfm(ms, OPTS))).toEqual(columns(rfm(LOG, OPTS)));
  });

  it('drops customers without a purchase or skips missing ids on request', () => {
    const log = [...LOG, { customer: null, invoice: '2000', date: '2024-01-01', qty: 1, amount: 1 }];
    expectError(() => rfm(log as never, OPTS), 'E_NAN_INPUT', 'row 13', '"customer"');
    const t = columns(rfm(log as never, { ...OPTS, missingCustomer: 'skip' }));
    expect(t.customer).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('reads an empty id as missing in every format, not as one customer "" that merges every row without an id', async () => {
    const { readCsv } = await import('../src/data/readCsv.js');
    const { readJson } = await import('../src/data/readJson.js');
    // two unattributed purchases: as a customer "" they would be one made-up buyer of 2 orders and 1,300
    const blank = [...LOG, { customer: '', invoice: '2000', date: '2024-01-01', qty: 1, amount: 500 }, { customer: '', invoice: '2001', date: '2024-02-01', qty: 1, amount: 800 }];
    const header = 'customer,invoice,date,qty,amount';
    const csv = [header, ...blank.map((r) => [r.customer, r.invoice, r.date, r.qty, r.amount].join(','))].join('\n');
    const enc = (t: string) => new TextEncoder().encode(t);
    const logs = {
      records: blank,
      csv: await readCsv(csv),
      json: await readJson(JSON.stringify(blank)),
      utf8: new Table({ ...Object.fromEntries(['invoice', 'date'].map((c) => [c, vectorFromArray(blank.map((r) => String(r[c as keyof Row])), new Utf8())])),
        customer: vectorFromArray(blank.map((r) => r.customer), new Utf8()), qty: vectorFromArray(blank.map((r) => r.qty), new Float64()), amount: vectorFromArray(blank.map((r) => r.amount), new Float64()) }),
      binary: new Table({ ...Object.fromEntries(['invoice', 'date'].map((c) => [c, vectorFromArray(blank.map((r) => String(r[c as keyof Row])), new Utf8())])),
        customer: vectorFromArray(blank.map((r) => enc(r.customer)), new Binary()), qty: vectorFromArray(blank.map((r) => r.qty), new Float64()), amount: vectorFromArray(blank.map((r) => r.amount), new Float64()) }),
    };
    const expected = columns(rfm(LOG, OPTS));
    for (const [name, log] of Object.entries(logs)) {
      expectError(() => rfm(log as never, OPTS), 'E_NAN_INPUT', 'row 13', 'has no customer id');
      expect(columns(rfm(log as never, { ...OPTS, missingCustomer: 'skip' })), name).toEqual(expected);
    }
    // an empty invoice or event type is missing too, named by its row
    expectError(() => rfm(LOG.map((r, i) => (i === 3 ? { ...r, invoice: '' } : r)), OPTS), 'E_NAN_INPUT', 'row 3, column "invoice" has no invoice id');
    const events = [{ c: 'a', t: '2024-01-01', type: 'page_view' }, { c: 'a', t: '2024-01-02', type: '' }];
    expectError(() => behaviourFeatures(events, { customer: 'c', timestamp: 't', type: 'type' }), 'E_NAN_INPUT', 'row 1, column "type" has no event type');
  });

  it('skips a first record that leaves the customer key out, as any record without an id', () => {
    // records omit the keys they have no value for: the column is in the log though row 0 lacks it
    const noId = { invoice: '2000', date: '2024-01-01', qty: 1, amount: 1 };
    const t = columns(rfm([noId, ...LOG] as never, { ...OPTS, missingCustomer: 'skip' }));
    expect(t.customer).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(t.frequency).toEqual([3, 1, 2, 1, 2]);
    expect(t.monetary).toEqual([55, 40, 64, 40, 112.5]);
    expect(t.recency).toEqual([3, 85, 30, 85, 1]);
    expectError(() => rfm([noId, ...LOG] as never, OPTS), 'E_NAN_INPUT', 'row 0', 'has no customer id');
    // an invoice column a first record leaves out: that row has no invoice id
    const noInvoice = LOG.map((r, i) => (i === 0 ? { customer: r.customer, date: r.date, qty: r.qty, amount: r.amount } : r));
    expectError(() => rfm(noInvoice as never, OPTS), 'E_NAN_INPUT', 'row 0', 'has no invoice id');
  });

  it('does not read the other cells of a row skipped for want of a customer id', () => {
    // an export's rows without a customer (totals, footers, junk) often lack the rest too: skipped, not refused
    const junk = [
      { customer: null, invoice: null, date: null, qty: NaN, amount: null },
      { customer: null, invoice: '2001', date: 'n/a', qty: 1, amount: Infinity },
    ];
    const t = columns(rfm([...LOG, ...junk] as never, { ...OPTS, missingCustomer: 'skip' }));
    expect(t).toEqual(columns(rfm(LOG, OPTS)));
    expect(t.monetary).toEqual([55, 40, 64, 40, 112.5]);
    expect(t.recency).toEqual([3, 85, 30, 85, 1]);
    // Arrow columns alike: a null date in a skipped row
    const arrow = new Table({
      customer: vectorFromArray(['a', null, 'b'], new Utf8()),
      date: vectorFromArray([Date.UTC(2024, 0, 1), null, Date.UTC(2024, 0, 3)], new TimestampMillisecond()),
      amount: vectorFromArray([5, null, 7], new Float64()),
    });
    expect(columns(rfm(arrow, { customer: 'customer', date: 'date', amount: 'amount', missingCustomer: 'skip' }))).toMatchObject({ customer: ['a', 'b'], recency: [3, 1], monetary: [5, 7] });
    // without skip the row is an error for its missing customer id
    expectError(() => rfm([...LOG, ...junk] as never, OPTS), 'E_NAN_INPUT', 'row 13', 'has no customer id');
  });

  it('does not read the invoice of a row skipped for want of a customer id, whatever a footer record holds there', () => {
    const footers = [
      { customer: null, invoice: { orders: 12 }, date: null, qty: null, amount: 372.5 },
      { customer: null, invoice: ['1001', '1002'], date: null, qty: null, amount: null },
    ];
    const t = columns(rfm([...footers, ...LOG] as never, { ...OPTS, missingCustomer: 'skip' }));
    expect(t).toEqual(columns(rfm(LOG, OPTS)));
    expect(t.frequency).toEqual([3, 1, 2, 1, 2]);
    // a customer's row holding a record there is still refused
    expectError(() => rfm([{ ...LOG[0], invoice: { orders: 12 } }, ...LOG] as never, OPTS), 'E_PARSE', 'row 0, column "invoice"');
  });

  it('refuses ids that are records or lists rather than merging them as "[object Object]"', () => {
    // MongoDB's extended JSON writes ids as {"$oid": ...}: two customers, each with one order
    const oid = [
      { customer: { $oid: '5f1' }, invoice: { $oid: 'o1' }, date: '2024-01-01', amount: 10 },
      { customer: { $oid: '5f2' }, invoice: { $oid: 'o2' }, date: '2024-01-02', amount: 20 },
    ];
    expectError(() => rfm(oid as never, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_PARSE', 'row 0, column "customer"', 'not an id');
    const ids = oid.map((r, i) => ({ ...r, customer: `c${i}` }));
    expectError(() => rfm(ids as never, { customer: 'customer', date: 'date', amount: 'amount', invoice: 'invoice' }), 'E_PARSE', 'row 0, column "invoice"', 'not an id');
    // a list is no id either (["x", 1] read as text was the id "x,1")
    expectError(() => rfm([{ ...ids[1], customer: ['x', 1] }, { ...ids[0], customer: 'x,1' }] as never, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_PARSE', 'row 0');
    // an invalid Date is a missing id, as NaN is, rather than a RangeError
    const bad = [{ ...ids[0], customer: new Date(NaN) }, ids[1]];
    expectError(() => rfm(bad as never, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_NAN_INPUT', 'row 0', 'has no customer id');
    expect(columns(rfm(bad as never, { customer: 'customer', date: 'date', amount: 'amount', missingCustomer: 'skip' }))).toMatchObject({ customer: ['c1'], recency: [1], monetary: [20] });
    // an event log's ids too
    expectError(() => behaviourFeatures([{ user: { id: 1 }, at: '2024-01-01', kind: 'page_view' }] as never, { customer: 'user', timestamp: 'at', type: 'kind' }), 'E_PARSE', 'not an id');
  });

  it('reads the ids of a Binary column as their UTF-8 text, as the same ids in a Utf8 column', () => {
    // Parquet files whose writers left strings without the UTF8 annotation are read as Binary
    const enc = (s: string) => new TextEncoder().encode(s);
    const date = () => vectorFromArray([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)], new TimestampMillisecond());
    const amount = () => vectorFromArray([1, 2, 3], new Float64());
    const binary = new Table({ c: vectorFromArray([enc('cust-1'), enc('cust-2'), enc('cust-1')], new Binary()), d: date(), a: amount() });
    const text = new Table({ c: vectorFromArray(['cust-1', 'cust-2', 'cust-1'], new Utf8()), d: date(), a: amount() });
    const o = { customer: 'c', date: 'd', amount: 'a' };
    const t = columns(rfm(binary, o));
    expect(t.c).toEqual(['cust-1', 'cust-2']);
    expect(t.monetary).toEqual([4, 2]);
    expect(t.frequency).toEqual([2, 1]);
    expect(t).toEqual(columns(rfm(text, o)));
    // bytes that are not UTF-8 stay apart, each its own customer
    const raw = new Table({ c: vectorFromArray([new Uint8Array([0xff]), new Uint8Array([0xfe]), new Uint8Array([0xff])], new Binary()), d: date(), a: amount() });
    expect(columns(rfm(raw, o)).frequency).toEqual([1, 2]);
    // text that holds U+FFFD is text; bytes that are not UTF-8 are their hexadecimal
    const mixed = [enc('a\uFFFDb'), enc('c1'), new Uint8Array([0xff, 1]), enc('a\uFFFDb'), new Uint8Array([0xfe, 1])];
    const five = new Table({
      c: vectorFromArray(mixed, new Binary()),
      d: vectorFromArray(mixed.map((_, i) => Date.UTC(2024, 0, 1 + i)), new TimestampMillisecond()),
      a: vectorFromArray([1, 2, 3, 4, 5], new Float64()),
    });
    expect(columns(rfm(five, o))).toMatchObject({ c: ['a\uFFFDb', 'c1', 'fe01', 'ff01'], monetary: [5, 2, 5, 3] });
    expect(columns(rfm(five.slice(1).concat(five.slice(0, 1)), o)).c).toEqual(['a\uFFFDb', 'c1', 'fe01', 'ff01']);
    // bytes ff 01 read as "ff01", which is also the text of other bytes: two customers with one key are refused, in
    // whichever order and batch they come, never added up as one
    const twins = [new Uint8Array([0xff, 1]), enc('c1'), enc('ff01')];
    const log = (ids: Uint8Array[]) => new Table({
      c: vectorFromArray(ids, new Binary()),
      d: vectorFromArray(ids.map((_, i) => Date.UTC(2024, 0, 1 + i)), new TimestampMillisecond()),
      a: vectorFromArray(ids.map((_, i) => i + 1), new Float64()),
    });
    expectError(() => rfm(log(twins), o), 'E_DUPLICATE_ID', 'two ids read as "ff01"');
    expectError(() => rfm(log(twins.slice(1)).concat(log(twins.slice(0, 1))), o), 'E_DUPLICATE_ID', 'two ids read as "ff01"');
    expectError(() => rfm(log([enc('ff01'), new Uint8Array([0xff, 1])]), o), 'E_DUPLICATE_ID', 'two ids read as "ff01"');
    expectError(() => behaviourFeatures(new Table({ c: vectorFromArray(twins, new Binary()), t: vectorFromArray(twins.map((_, i) => Date.UTC(2024, 0, 1 + i)), new TimestampMillisecond()), e: vectorFromArray(['a', 'b', 'c'], new Utf8()) }), { customer: 'c', timestamp: 't', type: 'e' }), 'E_DUPLICATE_ID', 'two ids read as "ff01"');
  });

  it('keys Binary ids by their bytes across dictionaries and chunk types: equal bytes one customer, distinct bytes never one', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const ff = Uint8Array.of(0xff, 1), fe = Uint8Array.of(0xfe, 1);
    const o = { customer: 'c', date: 'd', amount: 'a' };
    // one batch of a log; `first` numbers its days and amounts on from the batches before it
    const part = (ids: unknown[], type: DataType, first = 0) => new Table({
      c: vectorFromArray(ids as never, type),
      d: vectorFromArray(ids.map((_, i) => Date.UTC(2024, 0, 1 + first + i)), new TimestampMillisecond()),
      a: vectorFromArray(ids.map((_, i) => 10 ** (first + i)), new Float64()),
    });
    const dict = () => new Dictionary(new Binary(), new Int32());
    const joined = (a: unknown[], ta: DataType, b: unknown[], tb: DataType) => part(a, ta).concat(part(b, tb, a.length));
    // the same bytes in two dictionaries, and in a dictionary and a plain Binary chunk, are one customer
    for (const [ta, tb] of [[dict(), dict()], [dict(), new Binary()], [new Binary(), dict()]]) {
      const t = joined([ff, enc('c1')], ta, [enc('c1'), ff], tb);
      expect(t.getChild('c')!.data.map((d) => String(d.type))).toEqual([String(ta), String(tb)]);
      expect(columns(rfm(t, o))).toMatchObject({ c: ['c1', 'ff01'], frequency: [2, 2], monetary: [110, 1001] });
      expect(columns(rfm(t, o))).toEqual(columns(rfm(part([ff, enc('c1'), enc('c1'), ff], new Binary()), o)));
    }
    // bytes ff 01 and the text "ff01" (Binary or Utf8, plain or dictionary-encoded) both read as "ff01": refused,
    // naming the row where the second comes, in either order, never added up as one customer
    const textDict = () => new Dictionary(new Utf8(), new Int32());
    const twins: [unknown[], DataType][] = [[[enc('ff01')], dict()], [[enc('ff01')], new Binary()], [['ff01'], textDict()], [['ff01'], new Utf8()]];
    for (const [bytes, tb] of [[[ff], dict()], [[ff], new Binary()]] as [unknown[], DataType][]) {
      for (const [text, tt] of twins) {
        expectError(() => rfm(joined([enc('c1'), ...bytes], tb, text, tt), o), 'E_DUPLICATE_ID', 'row 2, column "c": two ids read as "ff01"');
        expectError(() => rfm(joined(text, tt, [enc('c1'), ...bytes], tb), o), 'E_DUPLICATE_ID', 'row 2, column "c": two ids read as "ff01"');
      }
    }
    // within one dictionary too
    expectError(() => rfm(part([enc('c1'), ff, enc('ff01')], dict()), o), 'E_DUPLICATE_ID', 'row 2, column "c"');
    // and in records: bytes ff 01 beside the text "ff01", bytes 80 beside the number 80
    const records = (ids: unknown[]) => ids.map((c, i) => ({ c, d: `2024-01-0${i + 1}`, a: 1 }));
    expectError(() => rfm(records(['c1', ff, 'ff01']) as never, o), 'E_DUPLICATE_ID', 'row 2, column "c": two ids read as "ff01"');
    expectError(() => rfm(records(['c1', 'ff01', ff]) as never, o), 'E_DUPLICATE_ID', 'row 2, column "c": two ids read as "ff01"');
    expectError(() => rfm(records([Uint8Array.of(0x80), 'c1', 80]) as never, o), 'E_DUPLICATE_ID', 'row 2, column "c": two ids read as "80"');
    expect(columns(rfm(records([enc('80'), 'c1', 80]) as never, o))).toMatchObject({ c: ['80', 'c1'], frequency: [2, 1] });
    // bytes that are not UTF-8 after a Utf8 chunk read as their hexadecimal, as in a Binary column alone: two such ids
    // are two customers, not refused as one text of U+FFFD
    const afterText = joined(['c1'], new Utf8(), [ff, fe, ff], new Binary());
    expect(columns(rfm(afterText, o))).toMatchObject({ c: ['c1', 'fe01', 'ff01'], frequency: [1, 1, 2], monetary: [1, 100, 1010] });
    expect(columns(behaviourFeatures(new Table({ c: afterText.getChild('c')!, t: afterText.getChild('d')!, e: vectorFromArray(['view', 'buy', 'view', 'buy'], new Utf8()) }), { customer: 'c', timestamp: 't', type: 'e' })).c).toEqual(['c1', 'fe01', 'ff01']);
  });

  it('names the row and column of bad input', () => {
    expectError(() => rfm(LOG, { ...OPTS, amount: 'price' }), 'E_MISSING_COLUMN', '"price"');
    const badDate = LOG.map((r, i) => (i === 3 ? { ...r, date: '2024-02-30' } : r));
    expectError(() => rfm(badDate, OPTS), 'E_PARSE', 'row 3', '"date"', '2024-02-30');
    const notIso = LOG.map((r, i) => (i === 4 ? { ...r, date: '1/2/2024' } : r));
    expectError(() => rfm(notIso, OPTS), 'E_PARSE', 'row 4');
    const badAmount = LOG.map((r, i) => (i === 2 ? { ...r, amount: '40.00' } : r));
    expectError(() => rfm(badAmount as never, OPTS), 'E_NON_NUMERIC', 'row 2', '"amount"');
    const nanQty = LOG.map((r, i) => (i === 5 ? { ...r, qty: NaN } : r));
    expectError(() => rfm(nanQty, OPTS), 'E_NAN_INPUT', 'row 5', '"qty"');
    const arrowText = new Table({ customer: vectorFromArray(['a'], new Utf8()), date: vectorFromArray(['2024-01-01'], new Utf8()), amount: vectorFromArray(['1'], new Utf8()) });
    expectError(() => rfm(arrowText, { customer: 'customer', date: 'date', amount: 'amount' }), 'E_NON_NUMERIC', '"amount"', 'Utf8');
    expectError(() => rfm([], OPTS), 'E_EMPTY_DATA');
  });

  it('columns named like Object methods are read from the records\' own keys', () => {
    // not in the log: refused, not read as Object's method (every row one customer "constructor", one invoice "toString")
    expectError(() => rfm(LOG, { ...OPTS, customer: 'constructor' }), 'E_MISSING_COLUMN', 'column "constructor" is not in the log');
    expectError(() => rfm(LOG, { ...OPTS, invoice: 'toString' }), 'E_MISSING_COLUMN', 'column "toString" is not in the log');
    // a record without the column has no value there: a missing customer id, named by its row
    const named = LOG.map((r) => ({ ...r, constructor: r.customer }));
    expect(columns(rfm(named, { ...OPTS, customer: 'constructor' })).constructor).toEqual(['A', 'B', 'C', 'D', 'E']);
    const gap = named.map((r, i) => (i === 4 ? { invoice: r.invoice, date: r.date, qty: r.qty, amount: r.amount } : r));
    expectError(() => rfm(gap as never, { ...OPTS, customer: 'constructor' }), 'E_NAN_INPUT', 'row 4', '"constructor"');
  });

  it('rejects bad options by name', () => {
    expectError(() => rfm(LOG, { ...OPTS, customer: '' }), 'E_BAD_OPTION', '"customer"');
    expectError(() => rfm(LOG, { ...OPTS, amountPer: 'each' as never }), 'E_BAD_OPTION', '"amountPer"', 'each');
    expectError(() => rfm(LOG, { customer: 'customer', date: 'date', amount: 'amount', amountPer: 'unit' }), 'E_BAD_OPTION', '"quantity"');
    expectError(() => rfm(LOG, { ...OPTS, asOf: 'yesterday' }), 'E_BAD_OPTION', '"asOf"', 'yesterday');
    expectError(() => rfm(LOG, { ...OPTS, cancelled: /C/ as never }), 'E_BAD_OPTION', '"cancelled"');
    // one column in two roles: a unit price taken as the quantity too would square the spend
    expectError(() => rfm(LOG, { ...OPTS, quantity: 'amount', amountPer: 'unit' }), 'E_BAD_OPTION', '"quantity"', '"amount"');
    expectError(() => rfm(LOG, { ...OPTS, invoice: 'customer' }), 'E_BAD_OPTION', '"invoice"', '"customer"');
    // a misspelt option was ignored: frequency fell back to distinct purchase days
    expectError(() => rfm(LOG, { ...OPTS, invoce: 'invoice' } as never), 'E_BAD_OPTION', 'unknown option "invoce"', 'did you mean "invoice"');
    // null is refused, as the pipeline's options refuse it: it took the default in silence, so cancelled: null (meant as
    // "no invoice is a cancellation") still read every invoice starting with "C" as one, and currencyDecimals: null
    // rounded to the cent
    for (const key of ['cancelled', 'currencyDecimals', 'amountPer', 'missingCustomer']) {
      expectError(() => rfm(LOG, { ...OPTS, [key]: null } as never), 'E_BAD_OPTION', `option "${key}"`, 'got null');
    }
  });
});

describe('RFM_SEGMENT_RULES', () => {
  it('tiles the 5x5 R-by-FM grid exactly once and agrees with the regex map', () => {
    const cover = new Array(25).fill(0);
    for (const rule of RFM_SEGMENT_RULES) {
      for (let r = rule.r[0]; r <= rule.r[1]; r++) for (let fm = rule.fm[0]; fm <= rule.fm[1]; fm++) cover[(r - 1) * 5 + fm - 1]++;
    }
    expect(cover).toEqual(new Array(25).fill(1));
    expect(new Set(RFM_SEGMENT_RULES.map((r) => r.segment)).size).toBe(10);
    for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) expect(rfmSegment(r, f, m)).toBe(gridSegment(r, f, m));
    expect(Object.isFrozen(RFM_SEGMENT_RULES) && Object.isFrozen(RFM_SEGMENT_RULES[0])).toBe(true);
    expectError(() => rfmSegment(6, 1, 1), 'E_BAD_OPTION', '"r"');
  });
});
