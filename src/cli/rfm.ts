import type { Table } from '#arrow';
import { type Command, Option } from 'commander';
import { writeTable } from '../data/writeTable.node.js';
import { SegkitError, restate, throwIfAborted } from '../util/errors.js';
import { RFM_AFTER_AS_OF, RFM_AS_OF, RFM_NO_PURCHASE, rfm, type RfmOptions } from '../features/rfm.js';
import { UsageError } from './exitCodes.js';
import { formatNumber, formatShare, formatTable } from './formatTable.js';
import { isoDate } from './optionParsers.js';
import { addFormatOption, formatFlag } from './prepOptions.js';
import { atRow, checkPaths, inputName, outputFormat, readInputWithText, requireColumn, rowName } from './readInput.js';
import { DAY_MS } from '../data/logInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { checkParent } from '../data/writeFileAtomic.node.js';
import { CANCELLED_SEGMENT } from '../features/rfmSegment.js';

interface RfmFlags extends CommonFlags {
  readonly customer: string;
  readonly date: string;
  readonly amount: string;
  readonly invoice?: string;
  readonly quantity?: string;
  readonly amountPer: 'line' | 'unit';
  readonly asOf?: string;
  readonly skipMissingCustomers?: boolean;
  readonly out?: string;
  readonly format?: string;
}

export interface RfmSegmentRow {
  segment: string;
  customers: number;
  share: number;
  recency: number;
  frequency: number;
  monetary: number;
}

const EXAMPLES = `
Examples:
  $ segkit rfm transactions.csv --customer customer_id --date date --amount amount --out rfm.csv
  $ segkit rfm orders.parquet --customer CustomerID --date InvoiceDate --invoice InvoiceNo \\
      --quantity Quantity --amount UnitPrice --amount-per unit --as-of 2011-12-10 --json

Output: one row per customer with recency (days), frequency (orders), monetary (net spend), 1-5 scores,
the three-digit RFM code and the RFM segment (Champions, Loyal, At Risk, ...). A cancellation invoice "C" + an
order's number cancels that order; a customer whose every order was cancelled is "${CANCELLED_SEGMENT}", unscored.
Money is rounded to the cent per line and summed in whole cents, so totals are exact.`;

export function registerRfm(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('rfm')
    .description('recency, frequency and monetary scores and segments from a transaction log')
    .argument('<transactions>', 'transaction log (.csv .tsv .json .ndjson .arrow .parquet), or - for CSV on stdin')
    .requiredOption('--customer <column>', 'customer id column')
    .requiredOption('--date <column>', 'transaction date column (ISO 8601 dates or timestamps)')
    .requiredOption('--amount <column>', 'money column: the line total, or the unit price with --amount-per unit')
    .option('--invoice <column>', 'order id column; without it, frequency counts distinct purchase days')
    .option('--quantity <column>', 'quantity column; a negative quantity marks a return')
    .addOption(new Option('--amount-per <line|unit>', 'whether --amount is the line total or the unit price').choices(['line', 'unit']).default('line'))
    .addOption(new Option('--as-of <date>', 'analysis date, e.g. 2024-01-31 (default: the day after the last transaction)').argParser(isoDate))
    .option('--skip-missing-customers', 'skip rows without a customer id instead of failing')
    .option('--out <file>', 'write the per-customer table (format by extension; - for CSV on stdout)');
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((input: string, flags: RfmFlags) => runRfm(input, flags, new RunContext(signal, flags)));
}

/** Customers, share and mean R, F and M per RFM segment, largest segment first. */
export function rfmSummary(table: Table): RfmSegmentRow[] {
  const seg = table.getChild('segment')!;
  const rec = table.getChild('recency')!;
  const freq = table.getChild('frequency')!;
  const mon = table.getChild('monetary')!;
  const groups = new Map<string, { n: number; r: number; f: number; m: number }>();
  for (let i = 0; i < table.numRows; i++) {
    const name = String(seg.get(i));
    const g = groups.get(name) ?? { n: 0, r: 0, f: 0, m: 0 };
    g.n++;
    g.r += Number(rec.get(i));
    g.f += Number(freq.get(i));
    g.m += Number(mon.get(i));
    groups.set(name, g);
  }
  return [...groups]
    .map(([segment, g]) => ({ segment, customers: g.n, share: g.n / table.numRows, recency: g.r / g.n, frequency: g.f / g.n, monetary: g.m / g.n }))
    .sort((a, b) => b.customers - a.customers || (a.segment < b.segment ? -1 : 1));
}

/** rfm's words for its options (asOf, option "customer", missingCustomer), as the flags that set them. */
function flagNames(error: unknown, f: RfmFlags): unknown {
  if (!(error instanceof SegkitError)) return error;
  return restate(error, (message) => message
    .replace(/\basOf\b/, f.asOf !== undefined ? `--as-of ${f.asOf}` : '--as-of')
    .replace(/^option "customer" must be a name other than the output columns (.*), got "[^"]*"$/, (_, names: string) => `--customer: column "${f.customer}" has the name of an output column (${names}); rename the column`),
  (hint) => hint?.replace('pass missingCustomer: "skip"', 'pass --skip-missing-customers'));
}

async function runRfm(input: string, f: RfmFlags, ctx: RunContext): Promise<void> {
  if (f.out === '-' && ctx.json) throw new UsageError('--out - and --json both write to stdout; write the table to a file or drop --json');
  if (f.out !== undefined) outputFormat(f.out, '--out');
  if (f.amountPer === 'unit' && f.quantity === undefined) throw new UsageError('--amount-per unit needs --quantity');
  checkPaths([['the input', input]], [['--out', f.out]]);
  if (f.out !== undefined) await checkParent(f.out, '--out');
  const what = inputName(input);
  // customer and invoice ids are keys, read as written: "007" and "7", "1E5" and "100000", or invoices "1.10" and
  // "1.1", are different customers and orders
  const log = await readInputWithText(input, ctx, formatFlag(f), f.invoice !== undefined ? [f.customer, f.invoice] : f.customer);
  const named: [string, string | undefined][] = [['--customer', f.customer], ['--date', f.date], ['--amount', f.amount], ['--invoice', f.invoice], ['--quantity', f.quantity]];
  for (const [option, column] of named) if (column !== undefined) requireColumn(log, column, option, input);
  // one column in two roles is a slip (a unit price taken as the quantity too would square the spend)
  named.forEach(([option, column], i) => {
    const earlier = named.slice(0, i).find(([, c]) => c !== undefined && c === column);
    if (earlier) throw new UsageError(`${earlier[0]} and ${option} both name column "${column}": give each its own column`);
  });
  const options: RfmOptions = {
    customer: f.customer,
    date: f.date,
    amount: f.amount,
    amountPer: f.amountPer,
    ...(f.invoice !== undefined ? { invoice: f.invoice } : {}),
    ...(f.quantity !== undefined ? { quantity: f.quantity } : {}),
    ...(f.asOf !== undefined ? { asOf: f.asOf } : {}),
    ...(f.skipMissingCustomers ? { missingCustomer: 'skip' as const } : {}),
  };
  let table: Table;
  try {
    table = rfm(log, options);
  } catch (error) {
    throw atRow(flagNames(error, f), log, what);
  }
  const after = table.schema.metadata.get(RFM_AFTER_AS_OF);
  if (after) {
    const { rows, customers } = JSON.parse(after) as { rows: number; customers: number };
    if (rows > 0) {
      // (a customer whose rows on or before it are all returns counts as one who bought only after it)
      ctx.note(`${rows.toLocaleString('en-US')} transaction${rows > 1 ? 's' : ''} after --as-of ${f.asOf} ${rows > 1 ? 'were' : 'was'} left out` +
        (customers > 0 ? `, and with ${rows > 1 ? 'them' : 'it'} ${customers.toLocaleString('en-US')} customer${customers > 1 ? 's' : ''} who bought only after it` : ''));
    }
  }
  if (f.asOf === undefined) {
    // the default as-of day follows the log's latest date: one typed years ahead moves every customer's recency
    const { asOf, last } = JSON.parse(table.schema.metadata.get(RFM_AS_OF)!) as { asOf: string; last: number };
    const now = Date.now(), today = new Date(now).toISOString().split('T')[0];
    // a day of slack: a log stamped in a time zone ahead of UTC
    if (last >= 0 && !(Date.parse(asOf) <= (Math.floor(now / DAY_MS) + 2) * DAY_MS)) {
      ctx.note(`recency counts to ${asOf}, the day after the log's latest transaction (${rowName(log, last)}), which is after today (${today}): ` +
        'check that date, or give --as-of');
    }
  }
  const none = JSON.parse(table.schema.metadata.get(RFM_NO_PURCHASE) ?? '{"customers":0}') as { customers: number };
  if (none.customers > 0) {
    ctx.note(`${none.customers.toLocaleString('en-US')} customer${none.customers > 1 ? 's have' : ' has'} no purchase in the log (only returns, or cancellations of orders outside it) and ${none.customers > 1 ? 'are' : 'is'} left out`);
  }
  const segments = rfmSummary(table);
  const cancelled = segments.find((s) => s.segment === CANCELLED_SEGMENT)?.customers ?? 0;
  if (cancelled > 0) ctx.note(`${cancelled.toLocaleString('en-US')} customer${cancelled > 1 ? 's' : ''} cancelled every order: segment "${CANCELLED_SEGMENT}", frequency 0, no scores`);
  if (f.out !== undefined) {
    throwIfAborted(ctx.signal);
    await writeTable(f.out, table, { signal: ctx.signal });
  }
  if (ctx.json) {
    ctx.printJson({ customers: table.numRows, transactions: log.numRows, ...(f.asOf ? { asOf: f.asOf } : {}), segments, cancelledCustomers: cancelled, ...(f.out ? { out: f.out } : {}), notices: ctx.notices });
    return;
  }
  const text = [
    `${table.numRows.toLocaleString('en-US')} customers from ${log.numRows.toLocaleString('en-US')} transactions`,
    '',
    formatTable(
      ['RFM segment', 'customers', 'share', 'recency (days)', 'frequency', 'monetary'],
      segments.map((s) => [s.segment, s.customers.toLocaleString('en-US'), formatShare(s.share), formatNumber(s.recency), formatNumber(s.frequency), formatNumber(s.monetary)]),
      [false, true, true, true, true, true],
    ),
    ...(f.out !== undefined && f.out !== '-' ? ['', `wrote ${f.out}`] : []),
  ].join('\n');
  if (f.out === '-') ctx.note(text);
  else ctx.print(text);
}
