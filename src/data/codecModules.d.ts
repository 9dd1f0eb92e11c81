// Types for the decompressors' modules that ship none: lz4js (CommonJS), and the single codec modules of
// hyparquet-compressors (its package types only its index, which also loads its Brotli and Snappy code).
declare module 'lz4js' {
  /** Decompresses one LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}
declare module 'lz4js/xxh32.js' {
  /** The 32-bit xxHash of `len` bytes of `src` from `index` (signed: take it >>> 0). */
  export function hash(seed: number, src: Uint8Array, index: number, len: number): number;
}
declare module 'hyparquet-compressors/src/gzip.js' {
  /** Inflates gzip data into `output` (sized to the uncompressed length), returning it. */
  export function gunzip(input: Uint8Array, output: Uint8Array): Uint8Array;
}
declare module 'hyparquet-compressors/src/lz4.js' {
  /** Parquet's LZ4: Hadoop-framed blocks, or one bare block. */
  export function decompressLz4(input: Uint8Array, outputLength: number): Uint8Array;
  /** Parquet's LZ4_RAW: one bare block. */
  export function decompressLz4Raw(input: Uint8Array, outputLength: number): Uint8Array;
}
