import type { Table } from '#arrow';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { type ByteSource, UTF16_HINT, textChunks } from './byteSource.js';
import { type ReadJsonOptions, RecordColumns, jsonSettings } from './recordColumns.js';
import { indexNamed } from './readJson.js';

export type { ReadJsonOptions } from './recordColumns.js';

/**
 * Reads newline-delimited JSON (one record object per line; blank lines skipped) into an Arrow table, streaming:
 * only the current line is held as text, and errors name the line.
 * Types are inferred as in readJson; `types` overrides them.
 * @example
 * const events = await readNdjson(response.body!, { types: { customer: 'string' } });
 */
export async function readNdjson(input: ByteSource, options: ReadJsonOptions = {}): Promise<Table> {
  const settings = jsonSettings(options, 'readNdjson');
  const columns = new RecordColumns(settings);
  let line = 0;
  let pending = '';
  const firsts: string[] = [];
  const take = (text: string) => {
    line++;
    const body = (line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).trim();
    if (body === '') return;
    let record: unknown;
    try {
      record = JSON.parse(body);
    } catch (error) {
      throw new SegkitError('E_PARSE', `line ${line}: invalid JSON: ${(error as Error).message}`, body.includes('\0') ? UTF16_HINT : undefined, { cause: error });
    }
    const width = columns.width;
    columns.add(record, `line ${line}`, body);
    // the lines that bring new columns, whose order JSON.parse may have changed (see readJson)
    if (columns.width > width) firsts.push(body);
  };
  // a byte order mark names the encoding, and UTF-32 is refused, as in CSV input (judged by the CSV reader, loaded here)
  const [source, encoding] = typeof input === 'string' ? [input, settings.encoding] : await (await import('./csvCore.js')).withEncoding(input, settings.encoding, 'the NDJSON input');
  for await (const chunk of textChunks(source, 'the NDJSON input', encoding)) {
    throwIfAborted(settings.signal);
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl >= 0) {
      take(pending + chunk.slice(0, nl));
      pending = '';
      start = nl + 1;
      while ((nl = chunk.indexOf('\n', start)) >= 0) {
        take(chunk.slice(start, nl));
        start = nl + 1;
      }
    }
    pending += chunk.slice(start);
  }
  if (pending !== '') take(pending);
  if (columns.rows === 0) throw new SegkitError('E_EMPTY_DATA', 'the NDJSON input holds no records');
  const table = columns.finish();
  return indexNamed(table) ? (await import('./jsonKeyOrder.js')).inTextOrder(table, firsts, 1) : table;
}
