import { DataType, type Table } from '#arrow';
import { SegkitError } from '../util/errors.js';
import { type Command, Option } from 'commander';
import { UsageError } from './exitCodes.js';
import { columnList, decimalValue } from './optionParsers.js';
import { requireColumn, requireColumns } from './readInput.js';
import { binaryKey, valueReader } from '../data/utf8Text.js';
import { looksLikeId } from '../prep/pipeline.js';
import { timeValues } from '../data/tableCells.js';

/** The report flags shared by segment and explain. */
export interface ReportFlags {
  readonly title: string;
  readonly value?: string;
  readonly audit?: string[];
  readonly auditThreshold: number;
}

const threshold = (v: string): number => {
  const n = decimalValue(v);
  if (!(n > 0 && n < 1)) throw new UsageError('--audit-threshold must be a share between 0 and 1, e.g. 0.1');
  return n;
};

export function addReportOptions(cmd: Command, withTitle = true): Command {
  if (withTitle) cmd.option('--title <text>', 'report title', 'Customer segments');
  return cmd
    .option('--value <column>', 'a money column (e.g. amount): the report shows each segment\'s share of customers against its share of it')
    .addOption(new Option('--audit <columns>', 'columns to check each segment\'s mix of against all customers (gender, age band, region)').argParser(columnList))
    .addOption(new Option('--audit-threshold <share>', 'flag a group whose share in a segment differs by more than this').argParser(threshold).default(0.1));
}

/**
 * Usage errors for report flags that would change nothing: --title and --value without --report, and --audit (with
 * --audit-threshold) without the mix it shows (printed by explain, `auditWithoutReport`; only in segment's report).
 */
export function checkReportFlags(cmd: Command, f: ReportFlags & { readonly report?: string }, auditWithoutReport: boolean): void {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (given('title') && f.report === undefined) throw new UsageError('--title applies only with --report');
  if (given('auditThreshold')) {
    if (f.audit === undefined) throw new UsageError('--audit-threshold applies only with --audit');
    if (!auditWithoutReport && f.report === undefined) throw new UsageError('--audit-threshold applies only with --report');
  }
  // shown only in the report, and otherwise only taken out of the features
  if (f.value !== undefined && f.report === undefined) throw new UsageError('--value applies only with --report');
  if (!auditWithoutReport && f.audit !== undefined && f.report === undefined) throw new UsageError('--audit applies only with --report');
}

/** Columns the report flags name (never features), after checking they exist. */
export function reportColumns(f: ReportFlags & { readonly id?: string }, table: Table, input: string, note: (message: string) => void): string[] {
  // the customer id (--id, or the column named like one) summed per segment as money: a slip
  if (f.value !== undefined && f.value === (f.id ?? table.schema.fields.map((x) => x.name).find(looksLikeId))) {
    throw new UsageError(`--value: column "${f.value}" is the customer id${f.id !== undefined ? ' (--id)' : ''}, not an amount; give a money column (amount, revenue)`);
  }
  if (f.value !== undefined) requireNumberColumn(table, f.value, '--value', input);
  requireColumns(table, f.audit ?? [], '--audit', input);
  const columns = [...(f.value !== undefined ? [f.value] : []), ...(f.audit ?? [])];
  // a number column would otherwise have been a feature: say so
  const numeric = columns.filter((name) => isNumber(table, name));
  if (numeric.length > 0) note(`left out of the features: ${numeric.map((c) => `"${c}"`).join(', ')}, named by --value or --audit (shown in the report, never a feature)`);
  return columns;
}

/** A column a flag names that must exist and hold numbers (an amount): refused otherwise, naming a value it holds. */
export function requireNumberColumn(table: Table, column: string, flag: string, input: string): void {
  requireColumn(table, column, flag, input);
  if (isNumber(table, column)) return;
  const col = table.getChild(column)!;
  let first: unknown = null;
  for (let row = 0; row < table.numRows && first === null; row++) first = col.get(row);
  const shown = first === null ? 'no value at all' : `values such as ${JSON.stringify(typeof first === 'bigint' ? String(first) : first)}`;
  throw new SegkitError('E_NON_NUMERIC', `"${input}": the ${flag} column "${column}" holds ${shown}, not numbers`, 'write amounts as plain numbers (no currency sign or thousands separator)');
}

const isNumber = (table: Table, name: string) => {
  const type = table.schema.fields.find((x) => x.name === name)?.type as DataType | undefined;
  return type !== undefined && (DataType.isInt(type) || DataType.isFloat(type));
};

const isText = (table: Table, name: string) => {
  const t = String(table.schema.fields.find((x) => x.name === name)?.type ?? '');
  return t === 'Utf8' || t === 'LargeUtf8' || t.startsWith('Dictionary');
};

/** Values of a column for the kept rows. */
function valuesOf(table: Table, name: string, rows: Int32Array): (string | number | null)[] {
  // times floored to their millisecond from the stored counts: a float64 reading of nanoseconds rounds
  // 23:59:59.999999999 into the next day, merging two groups
  if (isDate(table, name)) {
    const times = timeValues(table.getChild(name)!);
    return Array.from(rows, (r) => times[r]);
  }
  // text keeps a U+FEFF that begins it ("\uFEFFwomen" and "women" are two groups)
  const at = valueReader(table.getChild(name)!);
  return Array.from(rows, (r) => {
    const v = at(r);
    // bytes (a dictionary of Binary values, an audit column) as binaryKey reads them, not their byte values
    return v === undefined ? null : typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? binaryKey(v) : (v as string | number | null);
  });
}

/** The --value column's values at `rows`, a value that is missing or not a finite number counted as 0. */
export const valueValues = (table: Table, name: string, rows: Int32Array): Float64Array =>
  Float64Array.from(valuesOf(table, name, rows), (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0));

const isDate = (table: Table, name: string) => {
  const type = table.schema.fields.find((x) => x.name === name)?.type;
  return DataType.isDate(type) || DataType.isTimestamp(type);
};

/** A date (epoch milliseconds) as ISO 8601 text, its day alone at midnight UTC; one no Date holds as its number. */
const dateLabel = (ms: number): string => {
  if (!Number.isFinite(new Date(ms).getTime())) return String(ms);
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
};

/** Distinct numbers above which an --audit column of numbers is shown in bands. */
const AUDIT_GROUPS = 12;
const AUDIT_BANDS = 5;

/**
 * An --audit column as its groups: text as it is, and numbers of more than AUDIT_GROUPS values (age, income) in
 * AUDIT_BANDS bands of about equal size, lowest first ("18–29"): a group per value would make the mix a table of
 * thousands of columns. A band never splits equal values, so a value's rows share its band; missing values keep their group.
 * `label` writes a value in a group's name (dates as ISO 8601 text).
 */
export function auditColumn(name: string, values: (string | number | null)[], label: (v: number) => string = String): { name: string; values: (string | number | null)[]; order?: string[] } {
  const present: number[] = [];
  for (const v of values) {
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) continue;
    if (typeof v !== 'number') return { name, values };
    present.push(v);
  }
  const sorted = Float64Array.from(present).sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length && distinct <= AUDIT_GROUPS; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= AUDIT_GROUPS) return label === String ? { name, values } : { name, values: values.map((v) => (typeof v === 'number' && !Number.isNaN(v) ? label(v) : v)) };
  // each band's highest value: the band ends at its share of the rows, moved past the equals of the value there, down
  // before them where that is nearer (so many rows of one value high in the column do not take the values below it
  // into their band, as many rows of one value low in it do not), else up
  const tops: number[] = [];
  const order: string[] = [];
  for (let b = 1, end = -1; b <= AUDIT_BANDS; b++) {
    const at = Math.ceil((b * sorted.length) / AUDIT_BANDS) - 1;
    if (at <= end) continue;
    let lo = at, hi = at;
    while (lo > end + 1 && sorted[lo - 1] === sorted[at]) lo--;
    while (hi + 1 < sorted.length && sorted[hi + 1] === sorted[at]) hi++;
    // the band runs from the row after the band before to its own end
    const low = sorted[end + 1];
    end = lo > end + 1 && at - (lo - 1) < hi - at ? lo - 1 : hi;
    tops.push(sorted[end]);
    order.push(low === sorted[end] ? label(low) : `${label(low)}–${label(sorted[end])}`);
  }
  const bandOf = (v: number) => {
    let b = 0;
    while (v > tops[b]) b++;
    return order[b];
  };
  return { name, values: values.map((v) => (v === null || (typeof v === 'number' && Number.isNaN(v)) ? v : bandOf(v as number))), order };
}

/**
 * What the report shows beyond the features: the --value column, the mix of every text column with few values
 * (not the id or the labels), and the --audit columns; each aligned with the rows kept (`rows`).
 */
export function reportExtras(f: ReportFlags, table: Table, rows: Int32Array, skip: readonly string[] = []) {
  const value = f.value !== undefined ? { name: f.value, values: valueValues(table, f.value, rows) } : undefined;
  const textColumns = table.schema.fields
    .map((x) => x.name)
    .filter((name) => isText(table, name) && !skip.includes(name) && !/(^|_)(id|name)$/i.test(name))
    .map((name) => ({ name, values: valuesOf(table, name, rows).map((v) => (v === null ? null : String(v))) }))
    .filter((c) => new Set(c.values).size <= 12);
  const audit = (f.audit ?? []).map((name) => auditColumn(name, valuesOf(table, name, rows), isDate(table, name) ? dateLabel : undefined));
  return { ...(value ? { value } : {}), textColumns, audit, auditThreshold: f.auditThreshold };
}
