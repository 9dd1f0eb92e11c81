import type { Table } from '#arrow';
import type { ByteSource } from './byteSource.js';
import type { CsvRecordsOptions } from './csvCore.js';

export type { CsvRecordsOptions } from './csvCore.js';

/**
 * Streams a CSV source as Arrow tables of at most `batchSize` rows, for scoring files larger than memory.
 * Column types come from `types`, or are inferred from the first batch and then fixed, so all batches share one schema;
 * a later value that does not fit is an E_PARSE error naming its line and column, as is a number, boolean or date that
 * is the first value of a column the first batch held no value of (read as text there). Numeric columns are Float64 in every batch.
 * @example
 * for await (const batch of csvRecords(stream, { batchSize: 50_000 })) score(batch);
 */
export async function* csvRecords(input: ByteSource, options: CsvRecordsOptions = {}): AsyncGenerator<Table> {
  // loaded where CSV is first read, as readCsv loads it
  const { csvRecordsWith } = await import('./csvCore.js');
  yield* csvRecordsWith(input, options);
}
