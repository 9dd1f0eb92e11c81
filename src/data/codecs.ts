// The decompressors for Arrow IPC and Parquet data that other writers compressed: Arrow's LZ4 frames (the default of
// pyarrow's and pandas' Feather files) and Zstandard, and Parquet's GZIP, ZSTD (Polars' default), LZ4 and LZ4_RAW
// (SNAPPY, the most common, is hyparquet's own). Each is a maintained package's: lz4js for LZ4 frames, fzstd for
// Zstandard, hyparquet-compressors (hyparquet's companion) for gzip and Parquet's LZ4 blocks. The readers import this
// module when they first decode such data, so bundles that read neither format leave these out.
import { CompressionType, compressionRegistry } from '#arrow';
import { decompress as zstd } from 'fzstd';
import { gunzip } from 'hyparquet-compressors/src/gzip.js';
import { decompressLz4, decompressLz4Raw } from 'hyparquet-compressors/src/lz4.js';
import { decompress as lz4Frame } from 'lz4js';

/** Parquet codecs beyond hyparquet's own SNAPPY, as hyparquet's `compressors` (each page's length is checked by it). */
export const PARQUET_DECOMPRESSORS = Object.freeze({
  GZIP: (input: Uint8Array, length: number): Uint8Array => gunzip(input, new Uint8Array(length)),
  ZSTD: (input: Uint8Array): Uint8Array => zstd(input),
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
});

/**
 * Gives apache-arrow's IPC readers a decoder for LZ4 frames and for Zstandard, where none is registered yet (a
 * caller's own codec is kept). Arrow views each decoded buffer as its type's array, so one that a decoder returns at
 * an offset that is not a multiple of 8 (fzstd's, for frames without their size) is copied to the start of its own.
 */
export function registerArrowDecoders(): void {
  for (const [type, decode] of [[CompressionType.LZ4_FRAME, lz4Frame], [CompressionType.ZSTD, zstd]] as const) {
    const had = compressionRegistry.get(type);
    if (typeof had?.decode === 'function') continue;
    compressionRegistry.set(type, {
      ...had,
      decode: (data: Uint8Array) => {
        const out = decode(data);
        return out.byteOffset % 8 === 0 ? out : out.slice();
      },
    });
  }
}
