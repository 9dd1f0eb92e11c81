import type { Table } from '#arrow';
import { SegkitError, describe, throwIfAborted } from '../util/errors.js';
import { type ByteSource, UTF16_HINT, collectText, isByteSource } from './byteSource.js';
import { type ReadJsonOptions, RecordColumns, jsonSettings, tableFromColumnMap } from './recordColumns.js';

export type { ReadJsonOptions } from './recordColumns.js';

/** Records or columns already parsed, as readJson accepts them. */
export type JsonTable = readonly unknown[] | { readonly columns: Readonly<Record<string, ArrayLike<unknown>>> };

/** Where in the text JSON.parse stopped, as "line L, column C", when the engine says. */
export function jsonErrorPlace(error: unknown, text: string): string | undefined {
  const m = /position (\d+)/.exec(error instanceof Error ? error.message : '');
  if (!m) return undefined;
  const at = Math.min(+m[1], text.length);
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return `line ${line}, column ${at - start + 1}`;
}

function fromParsed(value: unknown, options: ReadJsonOptions, source?: string): Table {
  const settings = jsonSettings(options);
  if (Array.isArray(value)) {
    if (value.length === 0) throw new SegkitError('E_EMPTY_DATA', 'the JSON array holds no records');
    const columns = new RecordColumns(settings);
    for (let i = 0; i < value.length; i++) {
      if ((i & 0xffff) === 0) throwIfAborted(settings.signal);
      columns.add(value[i], `row ${i}`, source);
    }
    return columns.finish();
  }
  const columns = (value as { columns?: unknown } | null)?.columns;
  if (columns && typeof columns === 'object' && !Array.isArray(columns)) {
    return tableFromColumnMap(columns as Record<string, unknown>, settings, source);
  }
  throw new SegkitError('E_PARSE', `the JSON holds ${describe(value)}; expected an array of records or { "columns": { "name": [values] } }`);
}

/**
 * Reads JSON holding an array of records (`[{ "id": 1, ... }]`) or columns (`{ "columns": { "id": [1, 2] } }`)
 * into an Arrow table. The input is JSON text (string, bytes or a stream), or the already parsed value.
 * JSON numbers stay numbers (whole numbers fitting 32 bits -> Int32, others -> Float64), strings stay text
 * unless they are ISO 8601 dates, and a key missing from a record is null there. Columns are in the order their keys
 * first appear in JSON text, keys named like integers ("2024") included.
 * @example
 * const table = await readJson('[{"id": "a", "spend": 12.5}, {"id": "b", "spend": null}]');
 */
export async function readJson(input: ByteSource | JsonTable, options: ReadJsonOptions = {}): Promise<Table> {
  if (!isByteSource(input) || Array.isArray(input)) return fromParsed(input, options);
  const settings = jsonSettings(options);
  // a byte order mark names the encoding, and UTF-32 is refused, as in CSV input (judged by the CSV reader, loaded here)
  const [source, encoding] = typeof input === 'string' ? [input, settings.encoding] : await (await import('./csvCore.js')).withEncoding(input, settings.encoding, 'the JSON input');
  const text = await collectText(source, 'the JSON input', encoding);
  throwIfAborted(options.signal);
  if (text.trim() === '') throw new SegkitError('E_EMPTY_DATA', 'the JSON input is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const place = jsonErrorPlace(error, text);
    throw new SegkitError('E_PARSE', `invalid JSON${place ? ` at ${place}` : ''}: ${(error as Error).message}`, text.includes('\0') ? UTF16_HINT : undefined, { cause: error });
  }
  const table = fromParsed(value, options, text);
  // JSON.parse puts keys like "2024" first: the file's order is restored (loaded only then)
  return indexNamed(table) ? (await import('./jsonKeyOrder.js')).inTextOrder(table, [text], 2, Array.isArray(value) ? undefined : 'columns') : table;
}

/** Whether a column is named like an array index, a key JSON.parse moves before the others. */
export const indexNamed = (table: Table): boolean => table.schema.fields.some((f) => /^(?:0|[1-9]\d*)$/.test(f.name));
