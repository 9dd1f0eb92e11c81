import { Float64, TimestampMillisecond, Utf8, makeVector, type Table } from '#arrow';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom, type Random } from '../util/random.js';
import { SegkitError } from '../util/errors.js';
import { dateOption, readKeys, readNumbers, type LogInput } from '../data/logInput.js';
import { dataFromValues, singleChunk, tableFromColumns } from '../data/arrowTable.js';
import { DAY_MS, SAMPLE_END, checkSeed, clamp, logNormal, round } from './sampleHelpers.js';

export interface SampleTransactionsOptions {
  /** Integer seed. */
  readonly seed?: number;
  /** The 365-day purchase window ends at the start of this UTC day. */
  readonly end?: Date | string | number;
}

const DEFAULTS = Object.freeze({ seed: 42, end: SAMPLE_END });

const WINDOW_DAYS = 365;
const CANCEL_RATE = 0.03;
const RETURN_RATE = 0.03;
// The first invoice number of the UCI Online Retail data, so the ids look familiar.
const FIRST_INVOICE = 536365;

interface Buying {
  /** Number of orders in the window. */
  readonly orders: (rng: Random) => number;
  /** Days before the window's end of each order, most recent first. */
  readonly daysAgo: (rng: Random, orders: number) => number[];
  readonly price: number;
  readonly maxQuantity: number;
  readonly maxLines: number;
}

const uniformDays = (lo: number, hi: number) => (rng: Random, orders: number) => Array.from({ length: orders }, () => lo + rng.int(hi - lo));

const BUYING: Readonly<Record<string, Buying>> = Object.freeze({
  'Power users': {
    orders: (rng) => clamp(Math.round(logNormal(rng, 9, 0.45)), 3, 40),
    daysAgo: (rng, orders) => [rng.int(30), ...uniformDays(0, WINDOW_DAYS)(rng, orders - 1)],
    price: 22,
    maxQuantity: 8,
    maxLines: 6,
  },
  'Content researchers': {
    orders: (rng) => 1 + (rng.next() < 0.45 ? 1 : 0) + (rng.next() < 0.2 ? 1 : 0) + (rng.next() < 0.08 ? 1 : 0),
    daysAgo: uniformDays(0, WINDOW_DAYS),
    price: 15,
    maxQuantity: 4,
    maxLines: 4,
  },
  'Bargain one-timers': { orders: () => 1, daysAgo: uniformDays(0, WINDOW_DAYS), price: 4, maxQuantity: 3, maxLines: 3 },
  Dormant: {
    orders: (rng) => 1 + (rng.next() < 0.4 ? 1 : 0) + (rng.next() < 0.15 ? 1 : 0),
    daysAgo: uniformDays(200, WINDOW_DAYS),
    price: 12,
    maxQuantity: 4,
    maxLines: 3,
  },
  'New trials': { orders: (rng) => 1 + (rng.next() < 0.15 ? 1 : 0), daysAgo: uniformDays(0, 21), price: 18, maxQuantity: 3, maxLines: 3 },
});
const OTHER: Buying = BUYING['Content researchers'];

interface Line {
  readonly quantity: number;
  readonly amount: number;
}

interface Invoice {
  readonly ms: number;
  readonly customer: number;
  readonly cancellation: boolean;
  readonly lines: Line[];
}

/**
 * A purchase log for the converted customers of a `sampleCustomers` table: one row per invoice line
 * (customer_id, invoice, date, quantity, amount = line total), over the 365 days before `end`. About 3% of
 * orders are later cancelled in part by a "C" invoice and about 3% of lines are returned under a new
 * invoice, both with negative quantity and amount, as in the UCI Online Retail data. Power users buy often
 * and recently, Dormant customers only more than 200 days ago, New trials only in the last 3 weeks.
 *
 * @example
 * const log = sampleTransactions(sampleCustomers({ n: 500, seed: 3 }), { seed: 3 });
 */
export function sampleTransactions(customers: LogInput, options: SampleTransactionsOptions = {}): Table {
  checkOptions(options, ['seed', 'end'], 'sampleTransactions');
  const seed = checkSeed(orDefault(options.seed, DEFAULTS.seed));
  const endDay = Math.floor(dateOption('end', orDefault(options.end, DEFAULTS.end)) / DAY_MS);
  const endMs = endDay * DAY_MS;
  const rng = createRandom(seed);
  const id = readKeys(customers, 'customer_id', (row) => {
    throw new SegkitError('E_NAN_INPUT', `row ${row}, column "customer_id" is empty`);
  });
  const segment = readKeys(customers, 'segment_truth', () => {});
  const converted = readNumbers(customers, 'converted');

  const invoices: Invoice[] = [];
  for (let row = 0; row < converted.length; row++) {
    if (converted[row] !== 1) continue;
    const buying = BUYING[String(segment.keys[segment.codes[row]])] ?? OTHER;
    const price = () => Math.max(0.5, round(logNormal(rng, buying.price, 0.6), 2));
    for (const ago of buying.daysAgo(rng, buying.orders(rng))) {
      // Shop hours, 08:00 to 20:00 UTC.
      const ms = (endDay - 1 - ago) * DAY_MS + (8 * 3600 + rng.int(12 * 3600)) * 1000;
      const lines: (Line & { price: number })[] = [];
      const nLines = 1 + rng.int(buying.maxLines);
      for (let l = 0; l < nLines; l++) {
        const p = price();
        const quantity = 1 + rng.int(buying.maxQuantity);
        lines.push({ quantity, amount: round(quantity * p, 2), price: p });
      }
      invoices.push({ ms, customer: row, cancellation: false, lines: lines.map(({ quantity, amount }) => ({ quantity, amount })) });
      if (rng.next() < CANCEL_RATE) {
        const line = lines[rng.int(nLines)];
        const at = ms + rng.int(10 * 86_400) * 1000;
        if (at < endMs) invoices.push({ ms: at, customer: row, cancellation: true, lines: [{ quantity: -line.quantity, amount: -line.amount }] });
      }
      for (const line of lines) {
        if (rng.next() >= RETURN_RATE) continue;
        const back = 1 + rng.int(line.quantity);
        const at = ms + (3 + rng.int(18)) * DAY_MS;
        if (at < endMs) invoices.push({ ms: at, customer: row, cancellation: false, lines: [{ quantity: -back, amount: -round(back * line.price, 2) }] });
      }
    }
  }
  // Invoice numbers follow time, as a till would issue them.
  invoices.sort((a, b) => a.ms - b.ms || a.customer - b.customer || Number(a.cancellation) - Number(b.cancellation));
  const customer: string[] = [];
  const invoice: string[] = [];
  const date: number[] = [];
  const quantity: number[] = [];
  const amount: number[] = [];
  invoices.forEach((inv, j) => {
    const number = `${inv.cancellation ? 'C' : ''}${FIRST_INVOICE + j}`;
    for (const line of inv.lines) {
      customer.push(String(id.keys[id.codes[inv.customer]]));
      invoice.push(number);
      date.push(inv.ms);
      quantity.push(line.quantity);
      amount.push(line.amount);
    }
  });
  const columns = [
    makeVector(dataFromValues(customer, new Utf8())),
    makeVector(dataFromValues(invoice, new Utf8())),
    makeVector(dataFromValues(date, new TimestampMillisecond('UTC'))),
    makeVector(Int32Array.from(quantity)),
    makeVector(dataFromValues(amount, new Float64())),
  ];
  return tableFromColumns(['customer_id', 'invoice', 'date', 'quantity', 'amount'], columns.map(singleChunk));
}
