import type { Table } from '#arrow';
import { SegkitError } from '../util/errors.js';
import { type ByteSource, collectBytes } from './byteSource.js';
import { checkBatchRows, checkColumnNames, decimalsAsNumbers } from './arrowTable.js';

/**
 * Reads Arrow IPC data, in the file format (.arrow, .feather v2) or the stream format, into an Arrow table; record
 * batches compressed with LZ4 frames (pandas' and pyarrow's Feather default) or Zstandard are decompressed. The IPC
 * codec and the decompressors are imported on first use, so bundles that never read or write IPC bytes leave them out.
 * @example
 * const table = await readArrow(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 */
export async function readArrow(input: ByteSource): Promise<Table> {
  if (typeof input === 'string') {
    throw new SegkitError('E_BAD_OPTION', 'Arrow IPC is binary: pass a Uint8Array, an ArrayBuffer or a byte stream, not a string');
  }
  const bytes = await collectBytes(input, 'the Arrow input');
  if (bytes.length === 0) throw new SegkitError('E_EMPTY_DATA', 'the Arrow input is empty');
  const [{ tableFromIPC }, { registerArrowDecoders, checkedReader, checkUtf8Columns }] = await Promise.all([import('#arrow/ipc'), import('./codecs.js')]);
  registerArrowDecoders();
  let table: Table;
  try {
    // the file format's footer checked before apache-arrow's file reader follows it
    table = await tableFromIPC(await checkedReader(bytes));
  } catch (error) {
    throw new SegkitError('E_PARSE', `the input is not valid Arrow IPC data: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (table.schema.fields.length === 0) {
    throw new SegkitError('E_PARSE', 'the input is not valid Arrow IPC data: no schema was found', 'expected an Arrow IPC file or stream');
  }
  checkColumnNames(table.schema.fields.map((f) => f.name), 'the Arrow input');
  checkBatchRows(table, 'the Arrow input');
  checkUtf8Columns(table, 'the Arrow input');
  return decimalsAsNumbers(table, true);
}
