import type { Table } from '#arrow';
import type { ByteSource } from './byteSource.js';
import type { ReadCsvOptions } from './csvCore.js';

export type { ReadCsvOptions } from './csvCore.js';
export { MISSING_TOKENS } from './missingTokens.js';
export type { ColumnType } from './columnBuilder.js';

/**
 * Reads CSV text (a string, bytes, a web ReadableStream or any async iterable of chunks) into an Arrow table,
 * streaming: columns grow in typed arrays and no row objects are kept, so memory stays near the size of the columns.
 * Types are inferred per column (integers fitting 32 bits -> Int32, other numbers -> Float64, true/false -> Bool,
 * ISO 8601 dates -> Timestamp in UTC milliseconds, anything else -> Utf8; empty cells and MISSING_TOKENS -> null) unless
 * `types` says otherwise. `delimiter: 'auto'`, `decimal: ','` and `encoding` read files from other systems.
 * Numbers with leading zeros ("007") are read as text, since they are identifiers.
 * @example
 * const table = await readCsv('id,spend\n1,12.5\n2,3\n', { types: { id: 'string' } });
 */
export async function readCsv(input: ByteSource, options: ReadCsvOptions = {}): Promise<Table> {
  // the CSV reader is loaded where CSV is first read, as papaparse is: bundles that never read CSV leave both out
  const { readCsvWith } = await import('./csvCore.js');
  return readCsvWith(input, options);
}
