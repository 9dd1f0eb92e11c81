import type { Table } from '#arrow';
import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import { tableFromColumns } from './arrowTable.js';
import { encodingOption } from './byteSource.js';
import { COLUMN_TYPES, ColumnBuilder, type ColumnType, LONE_SURROGATE, typeOf, wellFormed } from './columnBuilder.js';

export interface ReadJsonOptions {
  /** Column types that override inference; a value that does not fit is an E_PARSE error naming its row (or line) and column. */
  readonly types?: Readonly<Record<string, ColumnType>>;
  /** Infer strings holding ISO 8601 dates as Timestamp columns (default true). */
  readonly parseDates?: boolean;
  /** Store numeric columns holding a fraction as Float32 instead of Float64 (default false); whole-number columns stay exact. */
  readonly float32?: boolean;
  /** Text encoding of byte input (default "utf-8"); invalid bytes are an E_PARSE error naming the line. */
  readonly encoding?: string;
  readonly signal?: AbortSignal;
}

export const READ_JSON_DEFAULTS = Object.freeze({ parseDates: true, float32: false });

export interface JsonSettings {
  types: Readonly<Record<string, ColumnType>>;
  parseDates: boolean;
  float32: boolean;
  encoding: string;
  signal: AbortSignal | undefined;
}

export function jsonSettings(options: ReadJsonOptions, fn = 'readJson'): JsonSettings {
  if (options === null || typeof options !== 'object') throw badOption('options', options, 'an object');
  // a misspelt option ("type") would be ignored and its default used in silence
  checkOptions(options, ['types', 'parseDates', 'float32', 'encoding', 'signal'], fn);
  const types = options.types ?? {};
  if (types === null || typeof types !== 'object' || Array.isArray(types)) throw badOption('types', types, 'an object of column name to type');
  for (const [name, type] of Object.entries(types)) {
    if (!COLUMN_TYPES.includes(type)) throw badOption(`types.${name}`, type, `one of ${COLUMN_TYPES.join(', ')}`);
  }
  const parseDates = options.parseDates ?? READ_JSON_DEFAULTS.parseDates;
  if (typeof parseDates !== 'boolean') throw badOption('parseDates', parseDates, 'a boolean');
  const float32 = options.float32 ?? READ_JSON_DEFAULTS.float32;
  if (typeof float32 !== 'boolean') throw badOption('float32', float32, 'a boolean');
  return { types, parseDates, float32, encoding: encodingOption(options.encoding), signal: options.signal };
}

/**
 * The integer literals of JSON text (outside its strings) that a float64 does not hold exactly, by the value JSON.parse
 * gave them: an id of 17 digits is rounded to another customer's.
 */
export function inexactIntegers(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: to its closing quote, past escaped characters
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      continue;
    }
    if (c !== 45 && (c < 48 || c > 57)) continue;
    const start = i;
    let integer = true;
    for (i++; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 46 || d === 101 || d === 69 || d === 43 || (d === 45 && i > start)) integer = false;
      else if (d < 48 || d > 57) break;
    }
    const token = text.slice(start, i);
    i--;
    // "12345678901234567.0" is an integer too
    const digits = integer ? token : /^-?\d+\.0*$/.test(token) ? token.slice(0, token.indexOf('.')) : '';
    if (digits.length >= 16 && !Number.isSafeInteger(Number(digits)) && BigInt(digits) !== BigInt(Number(digits)) && !out.has(Number(digits))) out.set(Number(digits), token);
  }
  return out;
}

interface Scanned {
  source: string | undefined;
  inexact: Map<number, string>;
}

/**
 * Throws when `value` is an integer beyond 2^53 that JSON.parse rounded from a literal of `source` (the record's
 * JSON text, if known; `scanned`: the last scan of it, reused).
 */
function checkExact(value: unknown, key: string, where: string, source: string | undefined, scanned: Scanned): void {
  if (source === undefined || typeof value !== 'number' || !Number.isInteger(value) || Number.isSafeInteger(value)) return;
  if (scanned.source !== source) {
    scanned.source = source;
    scanned.inexact = inexactIntegers(source);
  }
  const literal = scanned.inexact.get(value);
  if (literal === undefined) return;
  // keyed by the value the parse made: the record may hold that very integer while another one rounds to it
  throw new SegkitError(
    'E_PARSE',
    `${where}, column "${key}": ${BigInt(value)} is what JSON numbers make of ${literal} in the input, an integer they do not hold exactly`,
    'write ids and account numbers as strings ("12345678901234567")',
  );
}

/**
 * Collects records (plain objects) into typed columns; a key first seen in a later record
 * gets nulls for the rows before it, and a key a record lacks is null in that row.
 */
export class RecordColumns {
  private readonly builders = new Map<string, ColumnBuilder>();
  private readonly order: ColumnBuilder[] = [];
  rows = 0;

  /** The columns so far. */
  get width(): number {
    return this.order.length;
  }

  private readonly scanned: Scanned = { source: undefined, inexact: new Map() };

  constructor(private readonly settings: JsonSettings) {}

  /**
   * `where` names the record in errors: "row 3" or "line 7". `source`: the JSON text the record was parsed from (its
   * line, or the whole document, scanned once), for integers JSON.parse rounded.
   */
  add(record: unknown, where: string, source?: string): void {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new SegkitError('E_PARSE', `${where} is ${describe(record)}, not an object of column values`);
    }
    const row = this.rows;
    for (const key of Object.keys(record)) {
      let builder = this.builders.get(key);
      if (!builder) {
        // a name "a\ud800" would be written "a\uFFFD", as "a\ud801" would: two columns of one name
        if (!wellFormed(key)) throw new SegkitError('E_PARSE', `${where}: the key ${JSON.stringify(key)} ${LONE_SURROGATE}`);
        builder = new ColumnBuilder(key, typeOf(this.settings.types, key), this.settings.parseDates);
        builder.pushNulls(row);
        this.builders.set(key, builder);
        this.order.push(builder);
      }
      const value = (record as Record<string, unknown>)[key];
      checkExact(value, key, where, source, this.scanned);
      const reason = builder.pushValue(value);
      if (reason !== undefined) throw new SegkitError('E_PARSE', `${where}, column "${key}": ${describe(value)} ${reason}`);
    }
    this.rows = row + 1;
    for (const builder of this.order) if (builder.length === row) builder.pushNull();
  }

  finish(): Table {
    for (const name of Object.keys(this.settings.types)) {
      if (!this.builders.has(name)) {
        throw new SegkitError('E_MISSING_COLUMN', `option "types" names column "${name}", which no record has`, `columns: ${[...this.builders.keys()].join(', ')}`);
      }
    }
    // records of no field would make a table of no rows: their number would be lost
    if (!this.order.length) throw new SegkitError('E_EMPTY_DATA', 'the records have no fields');
    const columns = this.order.map((b) => b.finish({ float32: this.settings.float32, integers: true }));
    return tableFromColumns(
      this.order.map((b) => b.name),
      columns,
    );
  }
}

/** Columns given as `{ name: values[] }` into a table; all arrays must have one length. */
export function tableFromColumnMap(columns: Readonly<Record<string, unknown>>, settings: JsonSettings, source?: string): Table {
  const scanned: Scanned = { source: undefined, inexact: new Map() };
  const names = Object.keys(columns);
  if (names.length === 0) throw new SegkitError('E_EMPTY_DATA', 'the "columns" object has no columns');
  let length = -1;
  const builders = names.map((name) => {
    if (!wellFormed(name)) throw new SegkitError('E_PARSE', `the column name ${JSON.stringify(name)} ${LONE_SURROGATE}`);
    const values = columns[name] as ArrayLike<unknown>;
    // JSON text holds columns as arrays: an object's "length" is a claim, and a few bytes could claim a trillion rows
    const listed = Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView)) || (source === undefined && Number.isSafeInteger(values?.length) && values.length >= 0);
    if (!values || typeof values !== 'object' || !listed) {
      throw new SegkitError('E_PARSE', `column "${name}" is ${describe(values)}, not an array of values`);
    }
    if (length < 0) length = values.length;
    else if (values.length !== length) {
      throw new SegkitError('E_RAGGED_ROWS', `column "${name}" has ${values.length} values, column "${names[0]}" has ${length}`);
    }
    const builder = new ColumnBuilder(name, typeOf(settings.types, name), settings.parseDates);
    for (let i = 0; i < values.length; i++) {
      checkExact(values[i], name, `row ${i}`, source, scanned);
      const reason = builder.pushValue(values[i]);
      if (reason !== undefined) throw new SegkitError('E_PARSE', `row ${i}, column "${name}": ${describe(values[i])} ${reason}`);
    }
    return builder;
  });
  for (const name of Object.keys(settings.types)) {
    if (!names.includes(name)) throw new SegkitError('E_MISSING_COLUMN', `option "types" names column "${name}", which the data does not have`, `columns: ${names.join(', ')}`);
  }
  return tableFromColumns(
    names,
    builders.map((b) => b.finish({ float32: settings.float32, integers: true })),
  );
}
