import { segkitColumns as writtenBySegkit } from '../prep/segkitColumns.js';
import { DataType, type Table, type Vector } from '#arrow';
import { type Command, Option } from 'commander';
import { MISSING_TOKENS, csvInfo } from '../data/csvCore.js';
import { TABLE_FORMATS, tableFormat, type TableFormat } from '../data/tableFormat.js';
import { baseMessage, restate, SegkitError } from '../util/errors.js';
import { inspectTable } from '../prep/frame.js';
import type { ImputerReport } from '../prep/imputer.js';
import { OneHotEncoder } from '../prep/oneHotEncoder.js';
import { looksLikeId, pipeline, type Pipeline, type PipelineOptions, type PipelineResult } from '../prep/pipeline.js';
import { UsageError } from './exitCodes.js';
import { IMPUTE_CHOICES, SCALE_CHOICES, columnList, encodeValue, fillValue, listArg, listName } from './optionParsers.js';
import { atRow, inputName, requireColumn, requireColumns } from './readInput.js';
import type { RunContext } from './runContext.js';

/** The feature-preparation flags shared by segment, evaluate and choose-k. */
export interface PrepFlags {
  readonly columns?: string[];
  readonly exclude?: string[];
  readonly id?: string;
  readonly scale: string;
  readonly impute: string;
  readonly fillValue?: number;
  readonly encode: 'auto' | false | string[];
}


export function addFormatOption(cmd: Command): Command {
  return cmd.addOption(new Option('--format <format>', 'input format when the extension does not tell (stdin "-" is CSV)').choices(TABLE_FORMATS));
}

export function formatFlag(flags: { format?: string }): TableFormat | undefined {
  return flags.format as TableFormat | undefined;
}

/** The preparation flags; `unscaled`: the command leaves features unscaled unless --scale is given (trees). */
export function addPrepOptions(cmd: Command, unscaled = false): Command {
  return cmd
    .addOption(new Option('--columns <list>', 'feature columns, comma-separated (default: every numeric column but the id)').argParser(columnList))
    .addOption(new Option('--exclude <list>', 'columns never used as features, comma-separated').argParser(columnList))
    .option('--id <column>', 'customer id column, never a feature (default: the first column named like id, customer_id, customerId)')
    .addOption(new Option('--scale <method>', 'feature scaling').choices(Object.keys(SCALE_CHOICES)).default('standard', unscaled ? 'none: trees split on the values as they are' : undefined))
    .addOption(new Option('--impute <strategy>', 'fill missing values').choices(Object.keys(IMPUTE_CHOICES)).default('median'))
    .addOption(new Option('--fill-value <number>', 'the value --impute constant fills in').argParser(fillValue))
    .addOption(new Option('--encode <auto|none|list>', 'one-hot encode text columns: auto (text columns with few values), none, or a list').argParser(encodeValue).default(false, 'none'));
}

/** What the preparation did with the table's columns, for notes on stderr and the --json summary. */
export interface FeatureReport {
  /** Missing values filled per feature column (none listed when there were none). */
  readonly missing: { column: string; count: number }[];
  /** Columns of the table that are not features, and why (labels and --exclude not listed). */
  readonly leftOut: { column: string; reason: 'id' | 'text' | 'segkit output' | 'neither numbers nor text' }[];
  /** Encoded columns with more values than columns: what went into "other". */
  readonly encoded: { column: string; values: number; other: string[] }[];
}

export interface PreparedFeatures {
  readonly prep: Pipeline;
  readonly options: PipelineOptions;
  readonly result: PipelineResult;
  readonly report: FeatureReport;
}

// Most values a note lists before "…".
const SHOWN = 10;

function list(names: readonly string[]): string {
  return names.length > SHOWN ? `${names.slice(0, SHOWN).join(', ')}, … (${names.length} in all)` : names.join(', ');
}

/**
 * A numeric column with a stray word reads as text, and would be left out: an error naming the word's line and
 * column instead, unless the column is left out or encoded on purpose.
 */
function checkNumericText(table: Table, path: string, skip: ReadonlySet<string>): void {
  const info = csvInfo(table);
  if (!info) {
    // JSON types each value as it is written; Arrow and Parquet columns are typed by their writer, on purpose
    let fmt: TableFormat | undefined;
    try {
      fmt = tableFormat(path, undefined);
    } catch {
      fmt = undefined;
    }
    if (fmt === 'json' || fmt === 'ndjson') typedStrays(table, path, skip);
    return;
  }
  for (const [column, stats] of info.textStats) {
    if (skip.has(column) || stats.numbers <= stats.texts) continue;
    // "5,5" among whole numbers: a decimal comma, where the delimiter lets --decimal , read it; not "1,250" (thousands?),
    // nor a column that --decimal , would not read whole (one holding 1.5)
    const cell = stats.text.trim();
    const comma = DECIMAL_COMMA.test(cell) && !/,\d{3}$/.test(cell) && decimalCommaColumns(table, [column]).has(column) ? 'read decimal commas with --decimal ,; or ' : '';
    throw new SegkitError(
      'E_PARSE',
      `${inputName(path)}: line ${info.line(stats.row)}, column "${column}": ${JSON.stringify(stats.text)} is not a number, though ${stats.numbers} of the column's ${stats.numbers + stats.texts} values are`,
      // --na trims its tokens: one with spaces at its ends is given in double quotes
      `${comma}correct it, add it to the missing-value tokens with --na${stats.text !== stats.text.trim() ? ` (in double quotes: --na '${JSON.stringify(stats.text)}')` : ''}, or leave the column out with --exclude ${listArg(column)}`,
    );
  }
}

// a number written with a decimal comma ("68,32"), and a whole number, as --decimal , reads them
const DECIMAL_COMMA = /^[+-]?(?:\d+,\d*|,\d+)$/;
const WHOLE_NUMBER = /^[+-]?\d+$/;

/**
 * The text columns of a CSV file not separated by commas whose every value is a number written with a decimal comma
 * (or a whole number beside such numbers), which --decimal , reads as numbers: left out as text, they are features
 * lost, and encoding them is no remedy. Commas that are all followed by three digits could be thousands separators
 * ("1,250"): those columns are not named.
 */
function decimalCommaColumns(table: Table, names: readonly string[]): Set<string> {
  const found = new Set<string>();
  const info = csvInfo(table);
  if (!info || info.delimiter === ',') return found;
  for (const name of names) {
    let decimal = false, ok = true;
    for (const v of table.getChild(name) ?? []) {
      if (v === null || v === undefined) continue;
      const text = String(v).trim();
      if (DECIMAL_COMMA.test(text)) decimal ||= !/,\d{3}$/.test(text);
      else if (!WHOLE_NUMBER.test(text)) { ok = false; break; }
    }
    if (ok && decimal) found.add(name);
  }
  return found;
}

/**
 * checkNumericText for JSON and NDJSON: a text column whose values are mostly numbers, written as numbers or as
 * numeric strings, with a few words among them (missing-value tokens aside) is an error naming the first word's
 * record, as in CSV, rather than a feature left out.
 */
function typedStrays(table: Table, path: string, skip: ReadonlySet<string>): void {
  for (const field of table.schema.fields) {
    if (skip.has(field.name)) continue;
    const type = field.type as DataType;
    if (!DataType.isUtf8(type) && !(DataType.isDictionary(type) && DataType.isUtf8(type.dictionary))) continue;
    let numbers = 0, texts = 0, first = -1, firstText = '';
    let row = 0;
    for (const v of table.getChild(field.name)!) {
      if (typeof v === 'string' && v.trim() !== '' && !MISSING_TOKENS.includes(v.trim())) {
        if (Number.isFinite(Number(v))) numbers++;
        else {
          if (texts++ === 0) { first = row; firstText = v; }
        }
      }
      row++;
    }
    if (texts === 0 || numbers <= texts) continue;
    throw new SegkitError(
      'E_PARSE',
      `${inputName(path)}: record ${first + 1}, column "${field.name}": ${JSON.stringify(firstText)} is not a number, though ${numbers} of the column's ${numbers + texts} values are`,
      `correct it, or leave the column out with --exclude ${listArg(field.name)}`,
    );
  }
}

/**
 * Whether a column holds no value in any row: nulls alone, or in a float column nulls and NaN (the missing value of
 * float columns pyarrow and Polars write), which the pipeline reads as missing too.
 */
export function noValues(vec: Vector | null | undefined, n: number): boolean {
  if (!vec || n === 0) return false;
  if (vec.nullCount === n) return true;
  if (!DataType.isFloat(vec.type)) return false;
  for (const v of vec) if (v !== null && v === v) return false;
  return true;
}

/**
 * A text column with a different value in every row (an email, an id) describes no segment; a column of lists,
 * records or bytes none either (their values, objects, all differed, which read as such a column).
 */
function checkUniquePerRow(table: Table, names: readonly string[], path: string): void {
  for (const name of names) {
    const field = table.schema.fields.find((f) => f.name === name)!.type as DataType;
    // a dictionary's values are what the column holds (bytes a Parquet or Arrow writer dictionary-encoded)
    const type = DataType.isDictionary(field) ? (field.dictionary as DataType) : field;
    const bytes = DataType.isBinary(type) || DataType.isLargeBinary(type) || DataType.isFixedSizeBinary(type) || DataType.isBinaryView(type);
    if (bytes || DataType.isList(type) || DataType.isLargeList(type) || DataType.isFixedSizeList(type) || DataType.isStruct(type) || DataType.isMap(type) || DataType.isUnion(type)) {
      throw new UsageError(`--encode: column "${name}" in ${inputName(path)} holds ${bytes ? 'bytes' : 'lists or records'} (Arrow type ${String(field)}), neither numbers nor text; leave it out of --encode`);
    }
    const seen = new Set<unknown>();
    let present = 0;
    for (const v of table.getChild(name)!) {
      if (v === null || v === undefined) continue;
      present++;
      seen.add(v);
    }
    if (present >= 3 && seen.size === present) {
      throw new UsageError(`--encode: column "${name}" in ${inputName(path)} has a different value in every row (${present.toLocaleString('en-US')} values), like an id or an email, so it cannot describe a segment; leave it out of --encode`);
    }
  }
}

/** Why a column the command keeps out of the features (`alsoExclude`) is kept out, in the words of the flag naming it. */
function keptOutBy(flags: PrepFlags, table: Table, name: string): string {
  const f = flags as PrepFlags & { value?: string; audit?: readonly string[]; truth?: string; labels?: string; target?: string };
  if (f.value === name) return 'is the --value column';
  if (f.audit?.includes(name)) return 'is an --audit column';
  if (f.truth === name) return 'holds the known classes (--truth)';
  const labels = f.labels ?? f.target;
  if (labels !== undefined && name !== labels && `${name}_name` !== labels && name !== `${labels}_name`) {
    if (noValues(table.getChild(name), table.numRows)) return 'has no value in any row';
  }
  return 'holds the labels';
}

/**
 * Pipeline options from the flags, after checking that every column they name is in the table, so a typo is a
 * usage error naming the flag and the file rather than a failure deep in the fit. `alsoExclude` keeps label
 * columns out of the features; segkit's own output columns stay out unless --columns names them.
 */
export function pipelineOptions(flags: PrepFlags, table: Table, path: string, alsoExclude: readonly string[] = [], own: readonly string[] = []): PipelineOptions {
  // the columns segkit wrote into the table and the command's own (another --segment-column's): never features
  // unless --columns or --encode names them
  own = [...own, ...writtenBySegkit(table)];
  requireColumns(table, flags.columns ?? [], '--columns', path);
  requireColumns(table, flags.exclude ?? [], '--exclude', path);
  if (flags.id !== undefined) requireColumn(table, flags.id, '--id', path);
  const encodeList = Array.isArray(flags.encode) ? flags.encode : [];
  requireColumns(table, encodeList, '--encode', path);
  if (flags.fillValue !== undefined && flags.impute !== 'constant') throw new UsageError(`--fill-value only applies with --impute constant (got --impute ${flags.impute})`);
  // a fill value log1p cannot take would fail on the first missing cell, blaming its line for a value it never held
  if (flags.fillValue !== undefined && flags.fillValue <= -1 && SCALE_CHOICES[flags.scale] === 'log1p') {
    throw new UsageError(`--fill-value ${flags.fillValue}: --scale ${flags.scale} takes values greater than -1 only, and --impute constant puts the fill value in every missing cell; give a --fill-value greater than -1, or another --scale`);
  }
  // one of two flags would win silently: the column left out, or the id made a feature
  for (const [flag, list] of [['--columns', flags.columns ?? []], ['--encode', encodeList]] as const) {
    const both = list.find((name) => (flags.exclude ?? []).includes(name));
    if (both !== undefined) throw new UsageError(`${flag} and --exclude both name column "${both}": give it in one of them`);
    if (flags.id !== undefined && list.includes(flags.id)) throw new UsageError(`${flag}: column "${flags.id}" is the customer id (--id), never a feature`);
    const kept = list.find((name) => alsoExclude.includes(name));
    if (kept !== undefined) throw new UsageError(`${flag}: column "${kept}" ${keptOutBy(flags, table, kept)} and cannot also be a feature`);
  }
  const names = table.schema.fields.map((f) => f.name);
  const segkitColumns = names.filter((n) => own.includes(n) && !(flags.columns ?? []).includes(n) && !encodeList.includes(n));
  const id = flags.id ?? names.find(looksLikeId);
  const chosen = flags.columns ? new Set(flags.columns) : undefined;
  // columns left out on purpose are not checked for stray words
  const skip = new Set([...(flags.exclude ?? []), ...alsoExclude, ...segkitColumns, ...encodeList, ...(id !== undefined ? [id] : [])]);
  if (chosen) for (const name of names) if (!chosen.has(name)) skip.add(name);
  checkNumericText(table, path, skip);
  checkUniquePerRow(table, encodeList, path);
  const types = new Map(inspectTable(table).fields.map((f) => [f.name, f.type]));
  // a column of nulls alone has no values to fit: left out and noted, whatever its type, rather than failing the
  // imputer's fit (numbers in Arrow or Parquet) or giving --encode auto one constant column (text)
  const empty = names.filter((n) => types.get(n) !== 'other' && !encodeList.includes(n) && noValues(table.getChild(n), table.numRows));
  for (const name of empty) types.set(name, 'other');
  for (const name of flags.columns ?? []) {
    const type = types.get(name);
    if (type === 'categorical' && flags.encode !== 'auto' && !encodeList.includes(name)) {
      throw new UsageError(`--columns: column "${name}" in ${inputName(path)} holds text; list it in --encode to one-hot encode it`);
    }
    if (type === 'other') throw new UsageError(`--columns: column "${name}" in ${inputName(path)} holds neither numbers nor text (dates, or only empty cells)`);
  }
  const scale = SCALE_CHOICES[flags.scale];
  const impute = IMPUTE_CHOICES[flags.impute];
  const exclude = [...new Set([...(flags.exclude ?? []), ...alsoExclude, ...segkitColumns, ...empty.filter((n) => !chosen?.has(n))])];
  const encoded = flags.encode === 'auto' ? names.filter((n) => types.get(n) === 'categorical' && !exclude.includes(n) && n !== id && (!chosen || chosen.has(n))) : encodeList;
  return {
    ...(flags.columns ? { columns: flags.columns } : {}),
    ...(exclude.length > 0 ? { exclude } : {}),
    ...(flags.id !== undefined ? { id: flags.id } : {}),
    scale: scale === false ? false : { method: scale },
    impute: impute === false ? false : { strategy: impute, ...(flags.fillValue !== undefined ? { fillValue: flags.fillValue } : {}) },
    encode: flags.encode === false ? false : encodeOption(table, encoded, flags.encode),
  };
}

/**
 * --encode as encoder options: the label of the column rare categories share ("other") and of the missing values'
 * column ("(missing)") each put in one more pair of parentheses while a column to encode holds it as a category
 * ("(other)", "((missing))"), so that category keeps a column of its own and its name; the labels alone where no
 * category is named so.
 */
function encodeOption(table: Table, columns: readonly string[], encode: 'auto' | string[]): PipelineOptions['encode'] {
  const values = new Set<unknown>();
  for (const name of columns) for (const v of table.getChild(name) ?? []) values.add(v);
  let otherLabel = 'other', missingLabel = '(missing)';
  while (values.has(otherLabel)) otherLabel = `(${otherLabel})`;
  while (values.has(missingLabel)) missingLabel = `(${missingLabel})`;
  return otherLabel === 'other' && missingLabel === '(missing)' ? encode : { columns: encode, otherLabel, missingLabel };
}

/** What the fitted preparation did with the table's columns. */
function featureReport(table: Table, prep: Pipeline, result: PipelineResult, flags: PrepFlags, alsoExclude: readonly string[], own: readonly string[]): FeatureReport {
  own = [...own, ...writtenBySegkit(table)];
  const imputer = result.report.steps.find((s): s is ImputerReport => s.kind === 'imputer');
  const missing = (imputer?.columns ?? []).filter((c) => c.filled > 0).map((c) => ({ column: c.column, count: c.filled }));
  const inputs = new Set(prep.inputs.map((c) => c.name));
  const quiet = new Set([...(flags.exclude ?? []), ...alsoExclude]);
  const types = new Map(inspectTable(table).fields.map((f) => [f.name, f.type]));
  const leftOut: FeatureReport['leftOut'] = [];
  if (!flags.columns) {
    for (const f of table.schema.fields) {
      const name = f.name;
      if (inputs.has(name) || quiet.has(name)) continue;
      // a column of only empty cells reads as text, but encoding it would give nothing
      const empty = noValues(table.getChild(name), table.numRows);
      const type = empty ? 'other' : types.get(name);
      const reason = name === prep.id ? 'id' : own.includes(name) ? 'segkit output' : type === 'categorical' ? 'text' : 'neither numbers nor text';
      leftOut.push({ column: name, reason });
    }
  }
  const encoded: FeatureReport['encoded'] = [];
  for (const step of prep.steps) {
    if (!(step instanceof OneHotEncoder)) continue;
    for (const c of step.categories) {
      if (c.infrequent.length > 0) encoded.push({ column: c.column, values: c.categories.length + c.infrequent.length, other: [...c.infrequent] });
    }
  }
  return { missing, leftOut, encoded };
}

/** Notes on stderr for what the preparation left out, filled in or bucketed: no column changes silently. */
function noteFeatures(report: FeatureReport, flags: PrepFlags, ctx: RunContext, table: Table, prep: Pipeline): void {
  if (report.missing.length > 0) {
    const how = flags.impute === 'constant' ? `the constant ${flags.fillValue ?? 0}` : `the column's ${flags.impute.replace('-', ' ')}`;
    ctx.note(`filled missing values with ${how}: ${report.missing.map((m) => `${m.column} ${m.count.toLocaleString('en-US')}`).join(', ')}`);
  }
  const by = (reason: FeatureReport['leftOut'][number]['reason']) => report.leftOut.filter((c) => c.reason === reason).map((c) => c.column);
  const parts: string[] = [];
  const id = by('id');
  if (id.length > 0) parts.push(`${id.join(', ')} (the id)`);
  const comma = decimalCommaColumns(table, by('text'));
  if (comma.size > 0) parts.push(`${list([...comma])} (numbers written with a decimal comma, read as text: --decimal , reads them as numbers)`);
  const text = by('text').filter((name) => !comma.has(name));
  if (text.length > 0) parts.push(`${list(text)} (text: --encode ${text.slice(0, 3).map(listName).join(',')}${text.length > 3 ? ',…' : ''} to one-hot encode)`);
  const own = by('segkit output');
  if (own.length > 0) parts.push(`${own.join(', ')} (segkit's own output: name them in --columns to use them)`);
  const other = by('neither numbers nor text');
  if (other.length > 0) parts.push(`${list(other)} (neither numbers nor text: dates, or only empty cells)`);
  if (parts.length > 0) ctx.note(`left out of the features: ${parts.join('; ')}`);
  // numbers in a column named like an id beside the id (store_id, a second customer_id): features, as every numeric
  // column is, which the printed summary does not list; said, so a code is not segmented on unseen
  const idLike = flags.columns ? [] : prep.inputs.filter((c) => c.kind === 'numeric' && c.name !== prep.id && looksLikeId(c.name)).map((c) => c.name);
  if (idLike.length > 0) {
    const one = idLike.length === 1;
    ctx.note(`${list(idLike)} ${one ? 'is' : 'are'} named like an id but ${one ? 'is a feature' : 'are features'} (numbers; ${prep.id === null ? 'no column is the id' : `the id is "${prep.id}"`}): --exclude ${idLike.slice(0, 3).map(listName).join(',')}${idLike.length > 3 ? ',…' : ''} leaves ${one ? 'it' : 'them'} out`);
  }
  const otherLabel = prep.steps.find((s): s is OneHotEncoder => s instanceof OneHotEncoder)?.otherLabel;
  for (const e of report.encoded) {
    ctx.note(`--encode ${e.column}: ${e.values} values; the ${e.values - e.other.length} most frequent have their own columns and ${e.other.length} go into "${e.column}=${otherLabel}": ${list(e.other)}`);
  }
}

/**
 * The table prepared for trees and rules (explain, train): every feature but `notFeatures`, unscaled unless --scale
 * was given, so thresholds read in the customers' units.
 */
export async function prepareUnscaled(
  cmd: Command, flags: PrepFlags, table: Table, input: string, ctx: RunContext, notFeatures: readonly string[], own: readonly string[] = [],
): Promise<{ options: PipelineOptions; prep: Pipeline; prepared: PipelineResult }> {
  const unscaled = cmd.getOptionValueSource('scale') === 'default' ? { ...flags, scale: 'none' } : flags;
  const options = pipelineOptions(unscaled, table, input, notFeatures, own);
  const prep = pipeline(options);
  let prepared: PipelineResult;
  try {
    prepared = await prep.fitTransform(table, { threads: ctx.threads, signal: ctx.signal });
  } catch (error) {
    // a bad row is named by its file line, as segment names it
    throw atRow(missingHint(error, unscaled), table, inputName(input));
  }
  noteFeatures(featureReport(table, prep, prepared, unscaled, notFeatures, own), unscaled, ctx, table, prep);
  return { options, prep, prepared };
}

/**
 * A value left missing by a preparation that fills none: the hint in the command line's terms (the library's names
 * its `impute` option). Coordinates (--lat, --lon) are never filled in; other columns are with --impute.
 */
function missingHint(error: unknown, flags: PrepFlags & { lat?: string; lon?: string }): unknown {
  // log scaling refuses values of -1 and below: the library's hint names its per-column option, which --scale has not
  const log = error instanceof SegkitError && error.code === 'E_NAN_INPUT' ? /^row \d+, column "(.*)" holds [^"]*; log1p needs values greater than -1$/.exec(baseMessage(error)) : null;
  if (log) return restate(error as SegkitError, (message) => message, () => `--scale ${flags.scale} scales every feature alike: choose another --scale, or leave the column out with --exclude ${listArg(log[1])}`);
  const m = error instanceof SegkitError && error.code === 'E_NAN_INPUT' ? /^row \d+, column "(.*)" is missing$/.exec(baseMessage(error)) : null;
  // text in --lat or --lon: --encode, which the library's hint names, does not apply with --metric haversine
  const text = error instanceof SegkitError && error.code === 'E_NON_NUMERIC' ? /^column "(.*)" is categorical and no encoder took it$/.exec(baseMessage(error)) : null;
  if (text && (text[1] === flags.lat || text[1] === flags.lon)) return restate(error as SegkitError, (message) => message, () => '--lat and --lon name columns of numbers: latitude and longitude in degrees');
  // a hint naming the library's encode option ("categorical ones when listed in `encode`") names --encode
  if (!m) return error instanceof SegkitError && error.hint?.includes('`encode`') ? restate(error, (message) => message, (hint) => hint!.replaceAll('`encode`', '--encode')) : error;
  const coordinates = m[1] === flags.lat || m[1] === flags.lon;
  return restate(error as SegkitError, (message) => message, () => (coordinates ? 'leave out the rows without coordinates: they are never filled in' : '--impute median, mean, most-frequent or constant fills missing values'));
}

/**
 * Fits the preparation the flags describe and tells what it did; errors name the file line of a bad row.
 * `alsoExclude` (label columns) are left out silently; `own` are more columns segkit wrote (a renamed segment column).
 */
export async function prepareFeatures(
  flags: PrepFlags, table: Table, path: string, ctx: RunContext, alsoExclude: readonly string[] = [], own: readonly string[] = [],
  adjust: (o: PipelineOptions) => PipelineOptions = (o) => o,
): Promise<PreparedFeatures> {
  // `adjust`: an algorithm's own choice of features (dbscan's --lat/--lon)
  const base = pipelineOptions(flags, table, path, alsoExclude, own);
  const options = adjust(base);
  // features an algorithm names are told as --columns are: the other columns are not left out for their type
  const told = options.columns !== undefined && options.columns !== base.columns ? { ...flags, columns: [...options.columns] } : flags;
  const prep = pipeline(options);
  let result: PipelineResult;
  try {
    result = await prep.fitTransform(table, { threads: ctx.threads, signal: ctx.signal });
  } catch (error) {
    throw atRow(missingHint(error, flags), table, inputName(path));
  }
  const report = featureReport(table, prep, result, told, alsoExclude, own);
  noteFeatures(report, told, ctx, table, prep);
  return { prep, options, result, report };
}
