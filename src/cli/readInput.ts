import type { Table } from '#arrow';
import { closeSync, createReadStream, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { csvInfo, csvRecordsWith } from '../data/csvCore.js';
import { readCsvFile } from '../data/readCsvFile.node.js';
import type { RecordsRead } from '../data/recordTexts.js';
import { readNdjson } from '../data/readNdjson.js';
import { ioError, readTable, type ReadTableOptions } from '../data/readTable.node.js';
import { tableFormat, type TableFormat } from '../data/tableFormat.js';
import type { ColumnType } from '../data/columnBuilder.js';
import { SegkitError, baseMessage, restate, throwIfAborted } from '../util/errors.js';
import { UsageError } from './exitCodes.js';
import { listArg, listName, quotedName } from './optionParsers.js';
import type { ReadSettings, RunContext } from './runContext.js';

/** How messages name an input: its path in quotes, or standard input. */
export function inputName(path: string): string {
  return path === '-' ? 'standard input' : `"${path}"`;
}

/** A library error about the contents of a file, restated with the file's name in front. */
export function inFile(error: unknown, what: string): unknown {
  if (!(error instanceof SegkitError) || error.message.includes(what)) return error;
  return restate(error, (message) => `${what}: ${message}`);
}

/**
 * A classifier's error about its target ("target has one class ..."), restated naming the column and the flag that
 * gave it (`--target`, `--labels`).
 */
export function targetError(error: unknown, option: string, column: string): unknown {
  if (!(error instanceof SegkitError) || !/^target\b/.test(baseMessage(error))) return error;
  return restate(error, (message) => message.replace(/^target\b/, `the ${option} column "${column}"`), (hint) => hint?.replace(/\bthe target\b/, `the ${option} column`));
}

/** How a person finds row `row` (0-based) of a table: its file line for CSV (header = line 1), else its 1-based row. */
export function rowName(table: Table | undefined, row: number, before = 0): string {
  const info = table && csvInfo(table);
  return info ? `line ${info.line(row)}` : `row ${before + row + 1}`;
}

/**
 * A library error that names a row of `table` ("row 4, column ..."), restated with the row as a person finds it
 * in the file (line 6), then with the file's name in front. `prepared`: the error is about the features as the
 * model's preparation made them (scaled, centred), so a number it names is given beside the file's own; their rows
 * are the table's `rowIndex[r]` when given.
 */
export function atRow(error: unknown, table: Table | undefined, what: string, before = 0, prepared = false, rowIndex?: Int32Array): unknown {
  if (error instanceof SegkitError) {
    const m = /^row (\d+)\b/.exec(baseMessage(error));
    // `rowIndex`: the error numbers the prepared rows, each the table row rowIndex[r]
    const row = m ? (rowIndex ? rowIndex[Number(m[1])] : Number(m[1])) : undefined;
    if (row !== undefined) {
      error = restate(error, (message) => {
        const rest = message.slice(m![0].length);
        return `${rowName(table, row, before)}${prepared ? fileValue(rest, table, row) : rest}`;
      });
    }
  }
  return inFile(error, what);
}

/**
 * `, column "c" holds <number>...` about a prepared value names the file's own value first, when the file has that
 * column and its value there is another number: the prepared value alone is nowhere in the file.
 */
function fileValue(rest: string, table: Table | undefined, row: number): string {
  // a name may hold quotes itself (a "x"): it runs to the last '" holds '
  const m = /^, column "(.*)" holds ((?:latitude |longitude )?)(-?Infinity|NaN|-?\d[\d.]*(?:e[+-]?\d+)?)(?=[:;,]? |[:;,]?$)/.exec(rest);
  if (!m || !table) return rest;
  const raw: unknown = table.getChild(m[1])?.get(row);
  if ((typeof raw !== 'number' && typeof raw !== 'bigint') || String(raw) === m[3]) return rest;
  return `, column "${m[1]}" holds ${m[2]}${raw} (${m[3]} once prepared for the model)${rest.slice(m[0].length)}`;
}

/** Counts the bytes flowing from a file into a reader, for a progress bar. */
export async function* counted(stream: AsyncIterable<Buffer>, onBytes: (total: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}

const EXTENSIONS = '.csv, .tsv, .json, .ndjson, .jsonl, .arrow, .feather, .ipc or .parquet';

/** The format of an input path, an unknown extension being a usage error. */
export function inputFormat(path: string, format: TableFormat | undefined): TableFormat {
  try {
    return tableFormat(path, format);
  } catch {
    throw new UsageError(`cannot tell the format of "${path}" from its extension; use ${EXTENSIONS}, or pass --format`);
  }
}

/** The format of an output path given to `option` ("-" is CSV on stdout), an unknown extension being a usage error. */
export function outputFormat(path: string, option: string): TableFormat {
  try {
    return tableFormat(path, undefined);
  } catch {
    throw new UsageError(`${option}: cannot tell the format of "${path}" from its extension; use ${EXTENSIONS}`);
  }
}

/**
 * A usage error when a reading option was given for an input of a format it does not apply to (--na for Parquet):
 * it would be ignored. --encoding applies to CSV, TSV, JSON and NDJSON; the others to CSV and TSV. `others`: the
 * formats of the command's other inputs, for which an option may be given (compare's CSV snapshot beside a Parquet one).
 */
export function checkReadOptions(fmt: TableFormat, read: ReadSettings, path: string, others: readonly TableFormat[] = []): void {
  const applies = (o: string, f: TableFormat) => f === 'csv' || f === 'tsv' || (o === '--encoding' && (f === 'json' || f === 'ndjson'));
  const unused = read.given.filter((o) => !applies(o, fmt) && !others.some((f) => applies(o, f)));
  if (unused.length === 0) return;
  const also = unused.includes('--encoding') && fmt !== 'json' && fmt !== 'ndjson' ? ' (--encoding also to JSON and NDJSON)' : '';
  throw new UsageError(`${unused.join(' and ')} ${unused.length > 1 ? 'apply' : 'applies'} to CSV and TSV input${also}, not to ${inputName(path)} (${fmt}); leave ${unused.length > 1 ? 'them' : 'it'} out`);
}

/** Reader options for a text format from --delimiter, --decimal, --encoding and --na. */
export function readerOptions(fmt: TableFormat, read: ReadSettings): Pick<ReadTableOptions, 'delimiter' | 'decimal' | 'encoding' | 'nullValues'> {
  const encoding = read.encoding !== undefined ? { encoding: read.encoding } : {};
  if (fmt === 'json' || fmt === 'ndjson') return encoding;
  if (fmt !== 'csv' && fmt !== 'tsv') return {};
  // said in the flags' words (the reader's error names its option "decimal")
  if (read.delimiter === read.decimal) {
    throw new UsageError(`--delimiter ${read.delimiter} is also the decimal mark (${read.given.includes('--decimal') ? '--decimal' : 'the default of --decimal'}): a file separated by "${read.delimiter}" cannot use it as its decimal mark; give --decimal ${read.decimal === ',' ? '.' : ','}`);
  }
  return { delimiter: read.delimiter ?? (fmt === 'tsv' ? '\t' : 'auto'), decimal: read.decimal, nullValues: read.nullValues, ...encoding };
}

/** A note when the delimiter of a CSV input was detected as something other than a comma. */
export function noteDelimiter(table: Table, path: string, ctx: RunContext): void {
  const info = csvInfo(table);
  if (!info?.detected || info.delimiter === ',') return;
  const name = info.delimiter === '\t' ? 'tab' : `"${info.delimiter}"`;
  ctx.note(`reading ${inputName(path)} with the delimiter ${name}, detected from its header (--delimiter to choose another)`);
}

/**
 * Reads a whole table file (or standard input for "-") by its extension or `format`. With progress on, text formats
 * show a bar of bytes read; otherwise readTable does the work. `types` fix column types where the format infers them.
 */
export async function readInput(
  path: string, ctx: RunContext, format?: TableFormat, label = 'reading', types?: Readonly<Record<string, ColumnType>>, records?: RecordsRead, others: readonly TableFormat[] = [],
): Promise<Table> {
  const fmt = inputFormat(path, format);
  checkReadOptions(fmt, ctx.read, path, others);
  const what = inputName(path);
  const textual = fmt === 'csv' || fmt === 'tsv' || fmt === 'ndjson';
  const inferred = textual || fmt === 'json';
  const options = { signal: ctx.signal, ...readerOptions(fmt, ctx.read), ...(types && inferred ? { types } : {}) };
  let size = -1;
  if (ctx.progress.enabled && path !== '-' && textual) size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
  ctx.step(`reading ${what}`);
  let table: Table;
  try {
    // a CSV file's records as read are kept when asked for (readCsvFile)
    const keep = records && (fmt === 'csv' || fmt === 'tsv') && path !== '-' ? records : undefined;
    if (size < 0) {
      table = keep
        ? await readCsvFile(path, { ...options, threads: ctx.threads }, keep).catch((error: unknown) => { throw ioError(path, error); })
        : await readTable(path, { format: fmt, ...options, threads: ctx.threads });
    } else {
      const bar = ctx.progress.start(label, size, 'bytes');
      try {
        if (fmt === 'ndjson') table = await readNdjson(counted(createReadStream(path, { highWaterMark: 1 << 20 }), (n) => bar.update(n)), options);
        else table = await readCsvFile(path, { ...options, threads: ctx.threads, onBytes: (n) => bar.update(n) }, keep);
        throwIfAborted(ctx.signal);
      } finally {
        bar.stop();
      }
    }
  } catch (error) {
    // a JSON array's reader counts records from 0; people count them from 1 (CSV and NDJSON errors name lines)
    if (error instanceof SegkitError && fmt === 'json') {
      error = restate(error, (m) => m.replace(/^((?:"[^"]*": )?)row (\d+)\b/, (_, at: string, r: string) => `${at}${rowName(undefined, Number(r))}`));
    }
    if (error instanceof SegkitError) throw inFile(error, what);
    throw new SegkitError('E_IO', `cannot read ${what}: ${(error as Error)?.message ?? String(error)}`, undefined, { cause: error });
  }
  noteDelimiter(table, path, ctx);
  return table;
}

export function columnNames(table: Table): string[] {
  return table.schema.fields.map((f) => f.name);
}

// characters a terminal shows as nothing: a name holding one looks like the name without it
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g;

/** A column name in a list of names: as a list option takes it, its invisible characters written as \uXXXX. */
function shownName(name: string): string {
  return listName(name).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A usage error unless the table has the column named by `option`. */
export function requireColumn(table: Table, name: string, option: string, path: string): void {
  const names = columnNames(table);
  if (names.includes(name)) return;
  const shown = names.length > 20 ? [...names.slice(0, 20).map(shownName), '…'] : names.map(shownName);
  throw new UsageError(`${option}: column "${name}" is not in ${inputName(path)} (it has: ${shown.join(', ')})`);
}

/**
 * requireColumn for each name of a list option (`columnList`), first refusing a list whose names, split at commas,
 * also spell a column whose name holds commas ("a,b" naming columns a and b, or the column "a,b"): it must be quoted.
 */
export function requireColumns(table: Table, names: readonly string[], option: string, path: string): void {
  for (const column of columnNames(table)) {
    if (!column.includes(',') || names.includes(column)) continue;
    const parts = column.split(',').map((s) => s.trim());
    for (let i = 0; i + parts.length <= names.length; i++) {
      if (!parts.every((p, q) => names[i + q] === p && !quotedName(names, i + q))) continue;
      const listed = parts.map((p) => `"${p}"`);
      throw new UsageError(
        `${option} ${parts.join(',')}: ${inputName(path)} has a column named "${column}"; put a name holding a comma in double quotes: ${option} ${listArg(column)} for that column, or ${option} '${listed.join(',')}' for ${listed.length === 2 ? 'both' : 'each'} of ${listed.join(' and ')}`,
      );
    }
  }
  for (const name of names) requireColumn(table, name, option, path);
}

/**
 * readInput with the named columns read as written (an id: 007, 1E5, +4915112345 stay text; a category: 1.50 and
 * TRUE stay "1.50" and "TRUE", as `score` reads them). A file without one of them is read as it is, so that the
 * option naming it gives its own error.
 */
export function readInputWithText(path: string, ctx: RunContext, format: TableFormat | undefined, columns: string | readonly string[], records?: RecordsRead): Promise<Table> {
  const names = typeof columns === 'string' ? [columns] : columns;
  if (names.length === 0) return readInput(path, ctx, format, 'reading', undefined, records);
  return readInput(path, ctx, format, 'reading', Object.fromEntries(names.map((c) => [c, 'string' as const])), records).catch((error: unknown) => {
    if (error instanceof SegkitError && names.some((c) => error.message.includes(`names column "${c}", which`))) return readInput(path, ctx, format, 'reading', undefined, records);
    throw error;
  });
}

/**
 * The column names of a CSV or TSV file's header, as the readers read them (encoding, delimiter, quotes); undefined
 * for standard input, another format, or a file the reader refuses (the full read then says why).
 */
export async function csvHeader(path: string, fmt: TableFormat, ctx: RunContext): Promise<string[] | undefined> {
  if (fmt !== 'csv' && fmt !== 'tsv') return undefined;
  let source: Buffer | ReturnType<typeof createReadStream> | undefined;
  if (path === '-') {
    // standard input: its first line, read ahead and put back for the reader (twice: a header and a row to yield)
    const line = /^utf-?16/i.test(ctx.read.encoding ?? '') ? undefined : await firstStdinLine();
    source = line && Buffer.concat([line, line]);
  } else {
    // a path that is no file is the full read's to name
    try {
      if (!statSync(path).isFile()) return undefined;
    } catch {
      return undefined;
    }
    // its first line twice (a header and a row to yield) where the first 64 KiB hold it: read as one batch of every
    // record of the first chunk, a record a table, the header cost a fifth of a second
    const line = /^utf-?16/i.test(ctx.read.encoding ?? '') ? undefined : firstFileLine(path);
    source = line ? Buffer.concat([line, line]) : createReadStream(path, { highWaterMark: 1 << 16 }).on('error', () => undefined);
  }
  if (!source) return undefined;
  try {
    const options = { batchSize: 1, defaultType: 'string' as const, signal: ctx.signal, ...readerOptions(fmt, ctx.read) };
    for await (const batch of csvRecordsWith(source, options)) return columnNames(batch);
  } catch {
    // the full read names the problem
  } finally {
    if (!Buffer.isBuffer(source)) source.destroy();
  }
  return undefined;
}

/** A file's first line, newline included (one inside quotes does not end it); undefined when its first 64 KiB hold none. */
function firstFileLine(path: string): Buffer | undefined {
  const chunk = Buffer.alloc(1 << 16);
  let got = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      got = readSync(fd, chunk, 0, chunk.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  let inQuotes = false;
  for (let i = 0; i < got; i++) {
    const c = chunk[i];
    if (c === 0x22) inQuotes = !inQuotes;
    else if (c === 0x0a && !inQuotes) return Buffer.from(chunk.subarray(0, i + 1));
  }
  return undefined;
}

/** The first line of standard input, newline included, left unread; undefined when its first chunk holds none. */
async function firstStdinLine(): Promise<Buffer | undefined> {
  const stdin = process.stdin;
  if (stdin.readableEnded) return undefined;
  let chunk = stdin.read() as Buffer | null;
  if (chunk === null) {
    const more = await new Promise<boolean>((resolve) => {
      const done = (value: boolean) => (): void => {
        stdin.off('readable', readable).off('end', ended).off('error', ended);
        resolve(value);
      };
      const readable = done(true), ended = done(false);
      stdin.on('readable', readable).on('end', ended).on('error', ended);
    });
    chunk = more ? (stdin.read() as Buffer | null) : null;
  }
  if (chunk === null) return undefined;
  // one read only: a second could end the stream, which nothing can be put back into then
  stdin.unshift(chunk);
  const end = chunk.indexOf(0x0a);
  return end < 0 ? undefined : Buffer.from(chunk.subarray(0, end + 1));
}

/**
 * The file a path names: its device and inode when it exists (links of either kind, `..` through a link), else its
 * folder's real path and its name.
 */
function fileOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/**
 * A usage error when two outputs name one file (the second would replace the first) or an output names an input
 * (it would be replaced before or while it is read); `-` (standard input or output) and absent options are skipped.
 * `mayReplace` lists inputs an output may replace on purpose (`update` saving over its model).
 */
export function checkPaths(inputs: readonly [string, string | undefined][], outputs: readonly [string, string | undefined][], mayReplace: readonly string[] = []): void {
  const given = (list: readonly [string, string | undefined][]) => list.filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '-').map(([what, path]) => ({ what, path, file: fileOf(path) }));
  const ins = given(inputs), outs = given(outputs);
  outs.forEach((o, q) => {
    const other = outs.slice(0, q).find((e) => e.file === o.file);
    if (other) throw new UsageError(`${other.what} and ${o.what} name the same file ("${o.path}"); give each output its own path`);
    const input = ins.find((e) => e.file === o.file && !mayReplace.includes(e.what));
    if (input) throw new UsageError(`${o.what} "${o.path}" would replace ${input.what} ("${input.path}"); write it somewhere else`);
  });
}
