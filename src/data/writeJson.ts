import type { Table } from '#arrow';
import { SegkitError, badOption } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import { type CellKind, cellKind, float32Text, isoText, otherText, timeValues } from './tableCells.js';
import { decimalsAsNumbers } from './arrowTable.js';
import { valueReader } from './utf8Text.js';
import { arrowTableArg } from './dataset.js';

export interface WriteJsonOptions {
  /** "records" (an array of objects), "columns" ({ "columns": { name: values } }) or "ndjson" (one object per line); default "records". */
  readonly format?: 'records' | 'columns' | 'ndjson';
}

export const WRITE_JSON_DEFAULTS = Object.freeze({ format: 'records' as const });

function jsonValue(v: unknown, kind: CellKind): unknown {
  if (v == null) return null;
  if (kind === 'date' || kind === 'dateOnly') return isoText(v as number, kind);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
  // JSON has no NaN or Infinity; a float32 as its shortest decimal (0.1, not 0.10000000149011612), as writeCsv writes it
  if (typeof v === 'number') return !Number.isFinite(v) ? null : kind === 'float32' ? Number(float32Text(v)) || v : v;
  if (kind === 'other' && typeof v === 'object') return otherText(v);
  return v;
}

/**
 * Writes an Arrow table as JSON text that readJson (or readNdjson) reads back: timestamps as ISO 8601 strings,
 * 64-bit integers as numbers when exact, otherwise as strings, floats of 2^53 and more with an exponent, -0 as -0.0,
 * Float32 values as the shortest decimals that read back as them (0.1, as writeCsv writes them),
 * and non-finite numbers as null. A table naming a column twice is refused (E_BAD_OPTION): a record holds one of them.
 * @example
 * const text = writeJson(profiles, { format: 'ndjson' });
 */
export function writeJson(input: Table, options: WriteJsonOptions = {}): string {
  arrowTableArg(input, 'writeJson');
  checkOptions(options, ['format'], 'writeJson');
  const table = decimalsAsNumbers(input);
  const format = options.format ?? WRITE_JSON_DEFAULTS.format;
  if (format !== 'records' && format !== 'columns' && format !== 'ndjson') {
    throw badOption('format', format, '"records", "columns" or "ndjson"');
  }
  const fields = table.schema.fields;
  // a JSON object keeps one value of a key written twice: readJson (and pandas) would read one column of the two
  const names = fields.map((f) => f.name);
  const twice = names.findIndex((name, j) => names.indexOf(name) !== j);
  if (twice >= 0) throw new SegkitError('E_BAD_OPTION', `column name "${names[twice]}" appears twice (columns ${names.indexOf(names[twice]) + 1} and ${twice + 1})`, 'rename one of them');
  const vectors = fields.map((_, j) => table.getChildAt(j)!);
  const kinds = fields.map((f, j) => cellKind(f, vectors[j]));
  // text read from its bytes, keeping a U+FEFF that begins it; other columns through Vector.get
  // times floored to their milliseconds from the stored counts (see timeValues)
  const getters = vectors.map((v, j) => (kinds[j].startsWith('date') ? ((t) => (row: number) => t[row])(timeValues(v)) : valueReader(v)));
  const n = table.numRows;
  // objects are spelled out by hand: it keeps the schema's column order (object keys that look like integers would move first)
  const keys = fields.map((f) => JSON.stringify(f.name));
  const cell = (i: number, j: number) => {
    const v = jsonValue(getters[j](i), kinds[j]);
    // from 2^53 a float's digits written out are not its value (123456789012345680000), which readJson refuses as a rounded id
    // -0: JSON.stringify writes 0, losing the sign
    return typeof v === 'number' && Math.abs(v) >= 2 ** 53 ? v.toExponential() : Object.is(v, -0) ? '-0.0' : JSON.stringify(v);
  };
  if (format === 'columns') {
    const columns = keys.map((key, j) => {
      const values = new Array<string>(n);
      for (let i = 0; i < n; i++) values[i] = cell(i, j);
      return `${key}:[${values.join(',')}]`;
    });
    return `{"columns":{${columns.join(',')}}}`;
  }
  const lines = new Array<string>(n);
  for (let i = 0; i < n; i++) lines[i] = `{${keys.map((key, j) => `${key}:${cell(i, j)}`).join(',')}}`;
  return format === 'ndjson' ? (n > 0 ? lines.join('\n') + '\n' : '') : `[${lines.join(',\n')}]`;
}
