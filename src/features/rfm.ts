import { type Data, Uint8, makeData, makeVector, type Table } from '#arrow';
import { singleChunk, tableFromColumns, utf8Data } from '../data/arrowTable.js';
import { SegkitError, badOption } from '../util/errors.js';
import { checkOptions as checkKnown, orDefault } from '../util/options.js';
import {
  columnOption,
  dateOption,
  distinctRoles,
  floatBits,
  keyVector,
  logLength,
  readCustomerKeys,
  readKeys,
  readNumbers,
  readTimes,
  sortedKeyOrder,
  utcDay,
  DAY_MS,
  type Key,
  type LogInput,
} from '../data/logInput.js';
import { CANCELLED_SEGMENT, RFM_SEGMENT_RULES, rfmSegmentIndex } from './rfmSegment.js';
import { float32Text } from '../data/tableCells.js';

/**
 * Schema metadata key of an `rfm` table made with `asOf`: JSON `{ rows, customers }`, the log rows after the as-of
 * day that were left out, and the customers absent from the table (no purchase on or before that day) who had such
 * rows.
 */
export const RFM_AFTER_AS_OF = 'segkit.rfm.afterAsOf';

/**
 * Schema metadata key of every `rfm` table: JSON `{ customers }`, the customers of the log left out because they
 * have no purchase row at all (only returns, or cancellations of orders outside the log), so a caller can say so.
 */
export const RFM_NO_PURCHASE = 'segkit.rfm.noPurchase';

/** A UTC day as `YYYY-MM-DD` (years past 9999 signed, as ISO 8601 writes them; beyond JavaScript's dates, the day number). */
function isoDay(day: number): string {
  const date = new Date(day * DAY_MS);
  return Number.isNaN(date.getTime()) ? `day ${day} after 1970-01-01` : date.toISOString().split('T')[0];
}

/**
 * Schema metadata key of every `rfm` table: JSON `{ asOf, last }`, the day recency counts to (ISO `YYYY-MM-DD`, UTC) and
 * the log row (0-based) of the latest transaction counted, so a caller can tell a default as-of day set by a date
 * typed years ahead.
 */
export const RFM_AS_OF = 'segkit.rfm.asOf';

export interface RfmOptions {
  /** Column holding the customer id. */
  readonly customer: string;
  /** Column holding the transaction date: Date, epoch ms, ISO 8601 string (no offset = UTC), or Arrow Timestamp/Date. */
  readonly date: string;
  /** Column holding the money value of the row: the line total, or the unit price when `amountPer` is 'unit'. */
  readonly amount: string;
  /** Column holding the order (invoice) id; without it, frequency counts distinct purchase days. */
  readonly invoice?: string;
  /** Column holding the quantity; a negative quantity marks a return. */
  readonly quantity?: string;
  /** 'line' (default): `amount` is the row's total. 'unit': the row's total is quantity x amount (needs `quantity`). */
  readonly amountPer?: 'line' | 'unit';
  /**
   * The analysis date: rows after its UTC day are left out (a purchase on that day has recency 0), and counted in
   * the table's schema metadata (RFM_AFTER_AS_OF). Default: the UTC day after the last transaction in the log.
   */
  readonly asOf?: Date | string | number;
  /**
   * Which invoice ids are cancellations. Default: ids starting with "C", as in the UCI Online Retail data.
   * A cancellation whose id is "C" followed by the id of one of the customer's orders cancels that order.
   */
  readonly cancelled?: (invoice: Key) => boolean;
  /** 'error' (default) or 'skip' rows whose customer id is missing. */
  readonly missingCustomer?: 'error' | 'skip';
  /**
   * Decimal places of the currency (default 2): each line is rounded to them and sums are kept in whole minor units, so
   * totals are exact. A line or total of 2^(53 - ceil(log2 10^d)) currency units or more (2^46, 7.0e13, with 2), where
   * float64 no longer holds every minor unit, is E_PRECISION; in an Arrow float32 column, an amount of 2^(24 - ceil(log2 10^d))
   * units or more (131,072 with 2), and each amount is read as the shortest decimal that gives its float32 (0.285).
   */
  readonly currencyDecimals?: number;
}

const OPTIONS = ['customer', 'date', 'amount', 'invoice', 'quantity', 'amountPer', 'asOf', 'cancelled', 'missingCustomer', 'currencyDecimals'];

const DEFAULTS = Object.freeze({
  amountPer: 'line' as const,
  missingCustomer: 'error' as const,
  cancelled: (invoice: Key): boolean => typeof invoice === 'string' && invoice.startsWith('C'),
  currencyDecimals: 2,
});

/**
 * RFM scores as 1-5 quantile bins that ignore row order and give equal values equal scores: a value with
 * `below` customers strictly under it scores 1 + floor(5 * below / n), i.e. its percentile rank with ties
 * at their lowest rank (pandas rank(method='min', pct=True)). Without ties and with n divisible by 5 this is
 * exactly pandas.qcut(rank(method='first'), 5); with ties a group is never split, and the lowest value
 * always scores 1 (one-order customers get F = 1 however many there are).
 */
function quintileScores(values: Float64Array): Uint8Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    // Integer arithmetic keeps the bin edges exact.
    out[i] = 1 + Math.floor((5 * lo) / n);
  }
  return out;
}

const OUTPUT_COLUMNS = ['recency', 'frequency', 'monetary', 'r_score', 'f_score', 'm_score', 'rfm_code', 'segment'];

function checkOptions(options: RfmOptions) {
  if (options === null || typeof options !== 'object') throw badOption('options', options, 'an object');
  // a misspelt option ("invoce") would otherwise be ignored and its default used in silence
  checkKnown(options, OPTIONS, 'rfm');
  const o = options as unknown as Record<string, unknown>;
  const customer = columnOption(o, 'customer', true)!;
  const date = columnOption(o, 'date', true)!;
  const amount = columnOption(o, 'amount', true)!;
  const invoice = columnOption(o, 'invoice', false);
  const quantity = columnOption(o, 'quantity', false);
  // undefined is the default; null is checked as any value is (cancelled: null is no way to say "none")
  const amountPer = orDefault(options.amountPer, DEFAULTS.amountPer);
  if (amountPer !== 'line' && amountPer !== 'unit') throw badOption('amountPer', amountPer, '"line" or "unit"');
  if (amountPer === 'unit' && !quantity) throw badOption('quantity', quantity, 'a column name when amountPer is "unit"');
  const missingCustomer = orDefault(options.missingCustomer, DEFAULTS.missingCustomer);
  if (missingCustomer !== 'error' && missingCustomer !== 'skip') throw badOption('missingCustomer', missingCustomer, '"error" or "skip"');
  const cancelled = orDefault(options.cancelled, DEFAULTS.cancelled);
  if (typeof cancelled !== 'function') throw badOption('cancelled', cancelled, 'a function (invoice id) => boolean');
  const asOf = options.asOf === undefined ? undefined : dateOption('asOf', options.asOf);
  const currencyDecimals = orDefault(options.currencyDecimals, DEFAULTS.currencyDecimals);
  if (!Number.isInteger(currencyDecimals) || currencyDecimals < 0 || currencyDecimals > 6) throw badOption('currencyDecimals', currencyDecimals, 'an integer from 0 to 6');
  if (OUTPUT_COLUMNS.includes(customer)) throw badOption('customer', customer, `a name other than the output columns ${OUTPUT_COLUMNS.join(', ')}`);
  distinctRoles([['customer', customer], ['date', date], ['amount', amount], ['invoice', invoice], ['quantity', quantity]]);
  return { customer, date, amount, invoice, quantity, amountPer, missingCustomer, cancelled, asOf, currencyDecimals };
}

/** A money value in whole minor units (cents for 2 decimals), half away from zero. */
function toMinorUnits(value: number, scale: number): number {
  const a = Math.abs(value), y = a * scale;
  let r = Math.round(y);
  // From 10^15 minor units up, a * scale is itself rounded (to halves, then to whole units), so the half is taken
  // from the fraction alone, which a - trunc(a) keeps exactly.
  if (y >= 1e15) r = Math.trunc(a) * scale + Math.round((a - Math.trunc(a)) * scale);
  // 0.285 is stored a hair below its decimal, so a half-way case is decided on 15 significant digits
  else if (Math.abs(y - Math.floor(y) - 0.5) < 1e-6) r = Math.round(Number(y.toPrecision(15)));
  return value < 0 ? -r : r;
}

/**
 * Money read from a float32 (or float16) column: each value as the shortest decimal that reads back as the same float32
 * (0.285, stored as 0.284999996..., is the 0.285 it was written as, rounded to the cent as a float64 0.285 is), and
 * refused from where the type no longer holds every minor unit (2^(24 - ceil(log2 10^d)) units: 131,072 with 2
 * decimals, where float32 steps by 1/64 and 200000.01 is stored as 200000.015625, read as 200000.02).
 */
function narrowMoney(values: Float64Array, bits: number, scale: number, customers: Int32Array, column: string): void {
  const limit = 2 ** (bits - Math.ceil(Math.log2(scale)));
  for (let i = 0; bits < 53 && i < values.length; i++) {
    const v = values[i];
    if (customers[i] < 0) continue;
    if (!(Math.abs(v) < limit)) throw new SegkitError('E_PRECISION', `row ${i}, column "${column}" holds ${v}: float${bits > 11 ? 32 : 16} holds the minor unit only below ${limit}`);
    if (bits > 11) values[i] = +float32Text(v);
  }
}

/** Uint8 scores with nulls where `valid` is 0. */
function scoreData(values: Uint8Array, valid: Uint8Array, nullCount: number): Data {
  if (nullCount === 0) return makeData({ type: new Uint8(), length: values.length, nullCount: 0, data: values });
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  for (let i = 0; i < values.length; i++) if (valid[i]) nullBitmap[i >> 3] |= 1 << (i & 7);
  return makeData({ type: new Uint8(), length: values.length, nullCount, nullBitmap, data: values });
}

/**
 * Recency, frequency and monetary value per customer from a transaction log, with 1-5 scores, the RFM code
 * and the named segment (see RFM_SEGMENT_RULES).
 *
 * - recency: whole UTC days from the customer's last purchase to `asOf` (default: the day after the log's
 *   last transaction, so a purchase on the last day has recency 1).
 * - frequency: distinct purchase orders not fully cancelled, i.e. distinct invoice ids among purchase rows, or
 *   distinct UTC purchase days when there is no invoice column. A cancellation whose id is "C" + an order's id
 *   cancels that order; once its cancellations cover the order's total, the order no longer counts.
 * - monetary: net spend, purchases minus returns. A row is a return when its quantity or amount is negative
 *   or its invoice is a cancellation; its absolute value is subtracted. Each line is rounded to the cent
 *   (`currencyDecimals`) and totals are summed in whole cents, so they are exact (never 588.4699999999999); a
 *   line or total past 2^46 currency units (with 2 decimals), where float64 steps by more than a cent, is E_PRECISION.
 * - r_score, f_score, m_score: 1-5 quantile bins (see quintileScores); R scores the negated recency, so the
 *   most recent customers get 5. rfm_code is the three digits, e.g. "545".
 *
 * A customer whose every order was cancelled is in the segment "Cancelled" (CANCELLED_SEGMENT) with frequency 0,
 * no scores and no code, recency counted from the last cancelled order; the others are scored among themselves.
 * Customers with no purchase row at all (only returns, or cancellations of orders outside the log) have no
 * recency and are left out. Rows are sorted by customer id (numbers numerically, strings by code unit).
 *
 * @example
 * const table = rfm(transactions, { customer: 'CustomerID', date: 'InvoiceDate', invoice: 'InvoiceNo',
 *   quantity: 'Quantity', amount: 'UnitPrice', amountPer: 'unit' });
 * table.getChild('segment')?.get(0); // e.g. 'Champions'
 */
export function rfm(transactions: LogInput, options: RfmOptions): Table {
  const o = checkOptions(options);
  const n = logLength(transactions);
  const { codes: cust, keys } = readCustomerKeys(transactions, o.customer, o.missingCustomer);
  // a row skipped for want of a customer id is not read further
  const ms = readTimes(transactions, o.date, cust);
  const amount = readNumbers(transactions, o.amount, undefined, cust);
  const quantity = o.quantity ? readNumbers(transactions, o.quantity, undefined, cust) : undefined;
  const scale = 10 ** o.currencyDecimals;
  narrowMoney(amount, floatBits(transactions, o.amount), scale, cust, o.amount);
  // a float32 quantity (a weight) alike: 2.675 kg, stored as 2.67499995..., times 1.00 is 2.68 as a float64 2.675 gives
  if (quantity && floatBits(transactions, o.quantity!) === 24) for (let i = 0; i < n; i++) if (cust[i] >= 0) quantity[i] = +float32Text(quantity[i]);

  let invoice: Int32Array | undefined;
  let invoiceCount = 0;
  let isCancelled: Uint8Array | undefined;
  // the order each cancellation cancels ("C" + its id), or -1; undefined when no cancellation names an order
  let cancels: Int32Array | undefined;
  if (o.invoice) {
    const inv = readKeys(transactions, o.invoice, (row) => {
      if (cust[row] >= 0) throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${o.invoice}" has no invoice id`);
    }, cust);
    invoice = inv.codes;
    invoiceCount = inv.keys.length;
    // The predicate runs once per distinct invoice, not once per row.
    isCancelled = new Uint8Array(invoiceCount);
    for (let k = 0; k < invoiceCount; k++) isCancelled[k] = o.cancelled(inv.keys[k]) ? 1 : 0;
    const byId = new Map<string, number>();
    for (let k = 0; k < invoiceCount; k++) if (!isCancelled[k]) byId.set(String(inv.keys[k]), k);
    for (let k = 0; k < invoiceCount; k++) {
      const id = String(inv.keys[k]);
      const target = isCancelled[k] && id.startsWith('C') ? byId.get(id.slice(1)) : undefined;
      if (target === undefined) continue;
      cancels ??= new Int32Array(invoiceCount).fill(-1);
      cancels[k] = target;
    }
  }

  // the whole as-of day counts: recency is in whole UTC days, so a purchase at 00:00:01 is the day's as one at 00:00
  const asOfEnd = o.asOf === undefined ? Infinity : (utcDay(o.asOf) + 1) * DAY_MS;
  let minMs = Infinity, maxMs = -Infinity, afterRows = 0, lastRow = -1;
  const after = new Uint8Array(keys.length);
  for (let i = 0; i < n; i++) {
    if (cust[i] < 0) continue;
    if (ms[i] >= asOfEnd) {
      afterRows++;
      after[cust[i]] = 1;
      continue;
    }
    if (ms[i] < minMs) minMs = ms[i];
    if (ms[i] > maxMs) { maxMs = ms[i]; lastRow = i; }
  }
  if (minMs === Infinity) throw new SegkitError('E_EMPTY_DATA', 'the log has no rows with a customer id on or before asOf');
  const asOfDay = o.asOf === undefined ? utcDay(maxMs) + 1 : utcDay(o.asOf);

  const k = keys.length;
  // Distinct (customer, order) pairs packed into one float64 and sorted: no per-row objects, no Set of pairs.
  const firstDay = utcDay(minMs);
  const orderRange = invoice ? invoiceCount : asOfDay - firstDay + 1;
  if (k * orderRange > Number.MAX_SAFE_INTEGER) {
    throw new SegkitError('E_MEMORY', `${k} customers x ${orderRange} orders is too many distinct pairs to count`);
  }
  const perUnit = o.amountPer === 'unit';
  // Below `exact` currency units float64 steps by at most 1 / 2^ceil(log2 scale), finer than a minor unit, so every
  // amount there (2^46, 7.0e13, with 2 decimals) is read to its minor unit and every total written as its decimal; at
  // 2^46 + 0.01 it steps by 0.015625, and a line or total would come out a cent off.
  const exact = 2 ** (53 - Math.ceil(Math.log2(scale)));
  // a unit price times a quantity is rounded once more, and the factors' own rounding grows with it: a quarter of that
  const lineLimit = perUnit ? exact / 4 : exact;
  const lineValue = (i: number): number => toMinorUnits(perUnit ? (quantity ? quantity[i] : 1) * amount[i] : amount[i], scale);
  const isReturn = (i: number): boolean =>
    (quantity !== undefined && quantity[i] < 0) || amount[i] < 0 || (invoice !== undefined && isCancelled![invoice[i]] === 1);

  // Orders whose cancellations cover their whole value; only orders some cancellation names are summed.
  let fullyCancelled: Set<number> | undefined;
  if (cancels) {
    const named = new Uint8Array(invoiceCount);
    for (const target of cancels) if (target >= 0) named[target] = 1;
    const bought = new Map<number, number>();
    const undone = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const c = cust[i];
      if (c < 0 || ms[i] >= asOfEnd) continue;
      const inv = invoice![i];
      if (named[inv] && !isReturn(i)) bought.set(c * orderRange + inv, (bought.get(c * orderRange + inv) ?? 0) + lineValue(i));
      else if (cancels[inv] >= 0) {
        const pair = c * orderRange + cancels[inv];
        undone.set(pair, (undone.get(pair) ?? 0) + Math.abs(lineValue(i)));
      }
    }
    fullyCancelled = new Set();
    for (const [pair, value] of undone) {
      const total = bought.get(pair);
      if (total !== undefined && value >= total) fullyCancelled.add(pair);
    }
  }

  const lastDay = new Float64Array(k).fill(-Infinity);
  // the last day of any order, cancelled or not: the recency of a customer whose every order was cancelled
  const lastOrderDay = new Float64Array(k).fill(-Infinity);
  const net = new Float64Array(k);
  const pairs = new Float64Array(n);
  let np = 0;
  for (let i = 0; i < n; i++) {
    const c = cust[i];
    if (c < 0 || ms[i] >= asOfEnd) continue;
    const value = lineValue(i);
    const ret = isReturn(i);
    net[c] += ret ? -Math.abs(value) : value;
    // a line or running total at `exact` currency units or past is no longer read, or written, to the minor unit
    if (!(Math.abs(value) < lineLimit * scale && Math.abs(net[c]) < exact * scale)) {
      throw new SegkitError('E_PRECISION', `row ${i}, column "${o.amount}": the line or the net spend of customer ${String(keys[c])} is beyond what float64 holds to the minor unit`);
    }
    if (ret) continue;
    const day = utcDay(ms[i]);
    if (day > lastOrderDay[c]) lastOrderDay[c] = day;
    const pair = c * orderRange + (invoice ? invoice[i] : day - firstDay);
    if (fullyCancelled?.has(pair)) continue;
    if (day > lastDay[c]) lastDay[c] = day;
    pairs[np++] = pair;
  }
  const sortedPairs = pairs.subarray(0, np).sort();
  const frequency = new Int32Array(k);
  for (let j = 0; j < np; j++) {
    if (j === 0 || sortedPairs[j] !== sortedPairs[j - 1]) frequency[Math.floor(sortedPairs[j] / orderRange)]++;
  }

  // customers left out of the table (no purchase on or before the as-of day) who bought after it
  let afterOnly = 0;
  for (let c = 0; c < k; c++) if (after[c] && lastOrderDay[c] === -Infinity) afterOnly++;
  const order = sortedKeyOrder(keys, (c) => lastOrderDay[c] !== -Infinity);
  const m = order.length;
  if (m === 0) {
    throw new SegkitError('E_EMPTY_DATA', 'the log has no purchases (every row is a return, a cancellation or after asOf)');
  }
  const recency = new Int32Array(m);
  const freq = new Int32Array(m);
  const monetary = new Float64Array(m);
  const scored = new Uint8Array(m);
  let nScored = 0;
  for (let j = 0; j < m; j++) {
    const c = order[j];
    scored[j] = frequency[c] > 0 ? 1 : 0;
    nScored += scored[j];
    recency[j] = asOfDay - (scored[j] ? lastDay[c] : lastOrderDay[c]);
    freq[j] = frequency[c];
    monetary[j] = net[c] / scale + 0; // + 0 turns -0 into 0 so it ties with 0
  }
  // Scores rank the customers with a kept order among themselves.
  const at = new Int32Array(nScored);
  for (let j = 0, s = 0; j < m; j++) if (scored[j]) at[s++] = j;
  const r = new Uint8Array(m), f = new Uint8Array(m), mScore = new Uint8Array(m);
  const rs = quintileScores(Float64Array.from(at, (j) => -recency[j]));
  const fs = quintileScores(Float64Array.from(at, (j) => freq[j]));
  const ms2 = quintileScores(Float64Array.from(at, (j) => monetary[j]));
  at.forEach((j, s) => {
    r[j] = rs[s];
    f[j] = fs[s];
    mScore[j] = ms2[s];
  });
  const codes = new Array<string | null>(m);
  const segments = new Array<string>(m);
  for (let j = 0; j < m; j++) {
    codes[j] = scored[j] ? `${r[j]}${f[j]}${mScore[j]}` : null;
    segments[j] = scored[j] ? RFM_SEGMENT_RULES[rfmSegmentIndex(r[j], f[j], mScore[j])].segment : CANCELLED_SEGMENT;
  }
  const unscored = m - nScored;
  const columns = [
    singleChunk(keyVector(keys, order)),
    singleChunk(makeVector(recency)),
    singleChunk(makeVector(freq)),
    singleChunk(makeVector(monetary)),
    scoreData(r, scored, unscored),
    scoreData(f, scored, unscored),
    scoreData(mScore, scored, unscored),
    utf8Data(codes),
    utf8Data(segments),
  ];
  const metadata = new Map([[RFM_NO_PURCHASE, JSON.stringify({ customers: k - m - afterOnly })]]);
  if (o.asOf !== undefined) metadata.set(RFM_AFTER_AS_OF, JSON.stringify({ rows: afterRows, customers: afterOnly }));
  metadata.set(RFM_AS_OF, JSON.stringify({ asOf: isoDay(asOfDay), last: lastRow }));
  return tableFromColumns([o.customer, ...OUTPUT_COLUMNS], columns, metadata);
}
