import type { Table } from 'apache-arrow';
import type { Options as CsvParseOptions, Parser } from 'csv-parse/browser/esm';
import { SegkitError, badOption, describe, throwIfAborted } from '../errors.js';
import { tableFromColumns } from './arrowTable.js';
import { type ByteSource, textChunks } from './byteSource.js';
import { COLUMN_TYPES, ColumnBuilder, type ColumnType, typeOf } from './columnBuilder.js';

export interface ReadCsvOptions {
  /** Field separator (default ","; "\t" for TSV). */
  readonly delimiter?: string;
  /** Quote character (default '"'). */
  readonly quote?: string;
  /** Column types that override inference; a value that does not fit is an E_PARSE error naming its line and column. */
  readonly types?: Readonly<Record<string, ColumnType>>;
  /** Infer ISO 8601 dates and timestamps as Timestamp columns (default true); false keeps them as text. */
  readonly parseDates?: boolean;
  /** Store non-integer numeric columns as Float32 instead of Float64 (default false: full fidelity; Datasets convert to Float32 anyway). */
  readonly float32?: boolean;
  /** Cell texts read as null (default: the empty cell only). */
  readonly nullValues?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface CsvRecordsOptions extends ReadCsvOptions {
  /** Rows per yielded table (default 65536). */
  readonly batchSize?: number;
}

export const READ_CSV_DEFAULTS = Object.freeze({
  delimiter: ',',
  quote: '"',
  parseDates: true,
  float32: false,
  nullValues: Object.freeze(['']) as readonly string[],
  batchSize: 65536,
});

interface CsvSettings {
  delimiter: string;
  quote: string;
  types: Readonly<Record<string, ColumnType>>;
  parseDates: boolean;
  float32: boolean;
  nullValues: ReadonlySet<string>;
  batchSize: number;
  signal: AbortSignal | undefined;
}

/** The csv-parse factory: its browser build in neutral code, its Node build in Node (three times faster there). */
export type CsvParse = (options: CsvParseOptions) => Parser;

export function csvSettings(options: CsvRecordsOptions): CsvSettings {
  if (options === null || typeof options !== 'object') throw badOption('options', options, 'an object');
  const d = READ_CSV_DEFAULTS;
  const delimiter = options.delimiter ?? d.delimiter;
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /[\r\n]/.test(delimiter)) {
    throw badOption('delimiter', delimiter, 'a non-empty string without line breaks');
  }
  const quote = options.quote ?? d.quote;
  if (typeof quote !== 'string' || quote.length > 1) throw badOption('quote', quote, 'one character, or "" for none');
  const types = options.types ?? {};
  if (types === null || typeof types !== 'object' || Array.isArray(types)) throw badOption('types', types, 'an object of column name to type');
  for (const [name, type] of Object.entries(types)) {
    if (!COLUMN_TYPES.includes(type)) throw badOption(`types.${name}`, type, `one of ${COLUMN_TYPES.join(', ')}`);
  }
  const parseDates = options.parseDates ?? d.parseDates;
  if (typeof parseDates !== 'boolean') throw badOption('parseDates', parseDates, 'a boolean');
  const float32 = options.float32 ?? d.float32;
  if (typeof float32 !== 'boolean') throw badOption('float32', float32, 'a boolean');
  const nullValues = options.nullValues ?? d.nullValues;
  if (!Array.isArray(nullValues) || nullValues.some((v) => typeof v !== 'string')) {
    throw badOption('nullValues', nullValues, 'an array of strings');
  }
  const batchSize = options.batchSize ?? d.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw badOption('batchSize', batchSize, 'a positive integer');
  const signal = options.signal;
  return { delimiter, quote, types, parseDates, float32, nullValues: new Set(nullValues), batchSize, signal };
}

interface CsvParseFailure {
  code?: string;
  message?: string;
  lines?: number;
  column?: number | string;
  record?: unknown[];
}

function columnLabel(header: readonly string[] | undefined, j: number): string {
  return header && header[j] !== undefined ? `column ${j + 1} ("${header[j]}")` : `column ${j + 1}`;
}

/** csv-parse's errors restated with the line and column a person needs. */
function parseFailure(error: unknown, header: readonly string[] | undefined, lastLine: number): SegkitError {
  const e = (error ?? {}) as CsvParseFailure;
  const column = typeof e.column === 'number' ? e.column : 0;
  let message: string;
  let hint: string | undefined;
  switch (e.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = Array.isArray(e.record) ? e.record.length : Number.NaN;
      const want = header?.length ?? Number.NaN;
      message = `line ${e.lines} has ${got} fields but the header has ${want}: ${
        got > want ? `column ${want + 1} is unexpected` : `${columnLabel(header, got)} is missing`
      }`;
      hint = 'quote fields that contain the delimiter, or check the delimiter option';
      break;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      message = `line ${lastLine + 1}, ${columnLabel(header, column)}: a quoted field is never closed`;
      hint = 'a field that starts with a quote must end with one; double quotes inside it ("")';
      break;
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_CLOSING_QUOTE':
      message = `line ${e.lines}, ${columnLabel(header, column)}: ${e.message}`;
      hint = 'double the quotes inside a quoted field ("")';
      break;
    default:
      message = e.lines ? `line ${e.lines}: ${e.message ?? String(error)}` : `CSV parsing failed: ${e.message ?? String(error)}`;
  }
  return new SegkitError('E_PARSE', message, hint, { cause: error });
}

function checkHeader(record: string[], settings: CsvSettings): string[] {
  const seen = new Map<string, number>();
  const names = record.map((raw, j) => {
    const name = raw.trim() === '' ? `column${j + 1}` : raw;
    const before = seen.get(name);
    if (before !== undefined) {
      throw new SegkitError('E_PARSE', `line 1: column name "${name}" appears twice (columns ${before + 1} and ${j + 1})`);
    }
    seen.set(name, j);
    return name;
  });
  for (const name of Object.keys(settings.types)) {
    if (!seen.has(name)) {
      throw new SegkitError('E_MISSING_COLUMN', `option "types" names column "${name}", which the CSV header does not have`, `it has: ${names.join(', ')}`);
    }
  }
  return names;
}

interface CsvSink {
  header(names: string[]): void;
  record(fields: string[], line: number): void;
}

/**
 * Streams a CSV source through csv-parse into a sink, record by record; yields after each input slice
 * so a caller can hand out finished batches. Never holds more than one slice of text and the parser's small buffers.
 */
async function* parseCsv(parse: CsvParse, source: ByteSource, settings: CsvSettings, sink: CsvSink): AsyncGenerator<void> {
  const parser = parse({
    delimiter: settings.delimiter,
    quote: settings.quote === '' ? false : settings.quote,
    bom: true,
    info: true,
    skip_empty_lines: true,
  });
  let failure: unknown;
  let header: string[] | undefined;
  let lastLine = 0;
  let ended = false;
  let closed = false;
  let notify: (() => void) | undefined;
  const wake = () => {
    const fn = notify;
    notify = undefined;
    fn?.();
  };
  const wait = () => new Promise<void>((resolve) => (notify = resolve));

  parser.on('data', (item: { record: string[]; info: { lines: number } }) => {
    if (failure !== undefined) return;
    try {
      if (!header) {
        header = checkHeader(item.record, settings);
        sink.header(header);
      } else {
        sink.record(item.record, item.info.lines);
      }
      lastLine = item.info.lines;
    } catch (error) {
      failure = error;
      wake();
    }
  });
  parser.on('error', (error: unknown) => {
    if (failure === undefined) failure = parseFailure(error, header, lastLine);
    wake();
  });
  parser.on('end', () => {
    ended = true;
    wake();
  });
  parser.on('close', () => {
    closed = true;
    wake();
  });
  parser.on('drain', wake);

  let wrote = false;
  try {
    for await (const text of textChunks(source, 'the CSV input')) {
      throwIfAborted(settings.signal);
      if (failure !== undefined) break;
      wrote = true;
      if (!parser.write(text)) {
        let drained = false;
        parser.once('drain', () => (drained = true));
        while (!drained && failure === undefined && !closed && !ended) await wait();
      }
      if (failure !== undefined) break;
      yield;
    }
    // csv-parse's browser build throws when ended without any input (it calls a destroy() its stream polyfill lacks)
    if (!wrote) throw new SegkitError('E_EMPTY_DATA', 'the CSV input is empty', 'a CSV file needs a header row');
    if (failure === undefined) {
      parser.end();
      while (!ended && failure === undefined && !closed) await wait();
    }
    if (failure !== undefined) throw failure;
    if (!header) throw new SegkitError('E_EMPTY_DATA', 'the CSV input is empty', 'a CSV file needs a header row');
  } finally {
    if (!ended) abandon(parser);
  }
}

/** Stops listening to an unfinished parser; the browser build's stream polyfill has no destroy(). */
function abandon(parser: Parser): void {
  parser.removeAllListeners('data');
  parser.on('error', () => undefined);
  if (typeof parser.destroy === 'function') parser.destroy();
}

function cellError(line: number, name: string, text: string, reason: string, hint?: string): SegkitError {
  return new SegkitError('E_PARSE', `line ${line}, column "${name}": ${describe(text)} ${reason}`, hint);
}

/** Fills builders from records; `frozen` types (inferred from an earlier batch) get a hint that names the fix. */
class RecordFiller {
  builders: ColumnBuilder[] = [];
  constructor(
    private readonly names: readonly string[],
    private readonly settings: CsvSettings,
    readonly frozen?: Readonly<Record<string, ColumnType>>,
  ) {
    this.reset();
  }

  reset(): void {
    const types = this.frozen ?? this.settings.types;
    this.builders = this.names.map((name) => new ColumnBuilder(name, typeOf(types, name), this.settings.parseDates));
  }

  get rows(): number {
    return this.builders.length > 0 ? this.builders[0].length : 0;
  }

  add(fields: string[], line: number): void {
    const nulls = this.settings.nullValues;
    const onlyEmpty = nulls.size === 1 && nulls.has('');
    const builders = this.builders;
    for (let j = 0; j < builders.length; j++) {
      const text = fields[j];
      if (onlyEmpty ? text === '' : nulls.has(text)) {
        builders[j].pushNull();
        continue;
      }
      const reason = builders[j].pushText(text);
      if (reason !== undefined) {
        const name = this.names[j];
        const given = typeOf(this.settings.types, name) !== undefined;
        const hint = given
          ? undefined
          : `the type was inferred as ${typeOf(this.frozen, name)} from the first ${this.settings.batchSize} rows; pass types: { "${name}": "string" } (or the right type)`;
        throw cellError(line, name, text, reason, hint);
      }
    }
  }

  finish(integers: boolean): Table {
    const columns = this.builders.map((b) => b.finish({ float32: this.settings.float32, integers }));
    return tableFromColumns(this.names, columns);
  }
}

/** Reads a whole CSV source into one Arrow table. */
export async function readCsvWith(parse: CsvParse, source: ByteSource, options: ReadCsvOptions): Promise<Table> {
  const settings = csvSettings(options);
  let filler: RecordFiller | undefined;
  const sink: CsvSink = {
    header: (names) => (filler = new RecordFiller(names, settings)),
    record: (fields, line) => filler!.add(fields, line),
  };
  for await (const _ of parseCsv(parse, source, settings, sink)) {
    // the whole input goes into one table
  }
  return filler!.finish(true);
}

/**
 * Yields Arrow tables of at most `batchSize` rows. Types come from `types` or from the first batch, then stay fixed
 * so every batch has one schema (whole-number columns are Float64 here, not Int32).
 */
export async function* csvRecordsWith(parse: CsvParse, source: ByteSource, options: CsvRecordsOptions): AsyncGenerator<Table> {
  const settings = csvSettings(options);
  let names: string[] = [];
  let filler: RecordFiller | undefined;
  const ready: Table[] = [];
  const flush = () => {
    if (!filler || filler.rows === 0) return;
    const first = filler;
    ready.push(first.finish(false));
    if (!first.frozen) {
      const frozen: Record<string, ColumnType> = Object.create(null);
      first.builders.forEach((b, j) => {
        const type = b.inferredType();
        frozen[names[j]] = type === 'integer' && typeOf(settings.types, names[j]) !== 'integer' ? 'number' : type;
      });
      filler = new RecordFiller(names, settings, frozen);
    } else {
      first.reset();
    }
  };
  const sink: CsvSink = {
    header: (header) => {
      names = header;
      filler = new RecordFiller(names, settings);
    },
    record: (fields, line) => {
      filler!.add(fields, line);
      if (filler!.rows >= settings.batchSize) flush();
    },
  };
  for await (const _ of parseCsv(parse, source, settings, sink)) {
    while (ready.length > 0) yield ready.shift()!;
  }
  flush();
  while (ready.length > 0) yield ready.shift()!;
}
