import { DataType, RecordBatch, Schema, Table } from '#arrow';
import { badOption } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import { tableWithColumns } from './arrowTable.js';
import { arrowTableArg } from './dataset.js';

export interface WriteArrowOptions {
  /** "file" (random access; .arrow/.feather) or "stream" (default "file"). */
  readonly format?: 'file' | 'stream';
}

export const WRITE_ARROW_DEFAULTS = Object.freeze({ format: 'file' as const });

/**
 * Writes an Arrow table as Arrow IPC bytes, the file format by default. Asynchronous as `writeParquet` is: the IPC
 * codec is imported on first use, so bundles that never read or write IPC bytes leave it out. A dictionary column
 * whose record batches carry dictionaries of their own (a stream may replace them; an Arrow file holds one per column)
 * is written to a file with one dictionary of all its values.
 * @example
 * const bytes = await writeArrow(segments);
 */
export async function writeArrow(table: Table, options: WriteArrowOptions = {}): Promise<Uint8Array> {
  arrowTableArg(table, 'writeArrow');
  checkOptions(options, ['format'], 'writeArrow');
  const format = options.format ?? WRITE_ARROW_DEFAULTS.format;
  if (format !== 'file' && format !== 'stream') throw badOption('format', format, '"file" or "stream"');
  const { tableToIPC } = await import('#arrow/ipc');
  const replaced = format === 'file' && table.schema.fields.some((f, j) => DataType.isDictionary(f.type) && new Set(table.getChildAt(j)!.data.map((d) => d.dictionary)).size > 1);
  if (!replaced) return tableToIPC(table, format);
  // tableWithColumns gives each such column one dictionary, cut at the batches' edges; the fields keep their
  // nullability and metadata, with the type (index width) that dictionary takes
  const whole = tableWithColumns(table, table.schema.fields.map((_, j) => j), table.schema.fields.map((f) => f.name), []);
  const schema = new Schema(table.schema.fields.map((f, j) => f.clone({ type: whole.schema.fields[j].type })), table.schema.metadata);
  return tableToIPC(new Table(schema, whole.batches.map((b) => new RecordBatch(schema, b.data))), format);
}
