import type { Table } from '#arrow';
import { SegkitError } from '../util/errors.js';
import { type ByteSource, collectBytes } from './byteSource.js';

/**
 * Reads a Parquet file (all of it in memory, as Parquet needs random access) into an Arrow table with hyparquet.
 * Flat columns of the common types are read; nested (struct or list) columns are an E_PARSE error naming them.
 * Columns may be uncompressed or compressed with SNAPPY, GZIP, ZSTD, LZ4 or LZ4_RAW; BROTLI and LZO are an E_PARSE
 * error naming the column.
 * A footer whose row counts disagree with each other or with the pages is an E_PARSE error (a corrupt file), raised
 * before any column is allocated at the claimed size.
 * @example
 * const table = await readParquet(new Uint8Array(await file.arrayBuffer()));
 */
export async function readParquet(input: ByteSource): Promise<Table> {
  if (typeof input === 'string') {
    throw new SegkitError('E_BAD_OPTION', 'Parquet is binary: pass a Uint8Array, an ArrayBuffer or a byte stream, not a string');
  }
  const bytes = await collectBytes(input, 'the Parquet input');
  if (bytes.length === 0) throw new SegkitError('E_EMPTY_DATA', 'the Parquet input is empty');
  const file =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : // a copy of the view's bytes alone (Buffer's slice is a view: a small file's Buffer sits in Node's shared pool)
        (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  // the decoder and hyparquet are loaded on first use: bundles that read no Parquet leave them out
  const { decodeParquet } = await import('./parquetDecode.js');
  return decodeParquet(file);
}
