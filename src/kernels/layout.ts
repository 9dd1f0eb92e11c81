/** Rows per shard: fixed, so partials (merged in shard order) never depend on the executor or its thread count. */
export const SHARD_ROWS = 65536;

/** [start, end) of each shard of n rows. */
export function shardRanges(n: number, rows = SHARD_ROWS): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += rows) out.push([s, Math.min(n, s + rows)]);
  return out;
}

/**
 * n rounded up to 16, the fewest rows a column is allocated (see `columnStride`) and the unit of shard sizes: 8-row SIMD
 * blocks and 64-byte column starts never straddle columns.
 */
export const padRows = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * Rows allocated per column of a column-major block of n rows of `bytes`-byte values: at least `padRows(n)`, chosen
 * so that consecutive columns start 1 KiB apart modulo 4 KiB, and, for columns of 512 KiB or more, modulo 32 KiB (at
 * most 32 KiB more per column, under 6.25%). The kernels read a run of rows from every column at once; columns a
 * multiple of 4 KiB apart share cache sets, and the assignment kernel ran up to 2.9 times slower on such columns, and
 * 1.4 times slower at 576 bytes, than at 1 KiB. Among large columns 1 KiB apart modulo 4 KiB, some spacings were
 * slower again, by up to 3.6 times (250,000 rows x 64 features: columns 244 pages and 1 KiB apart, against 248 pages
 * and 1 KiB), and 1 KiB modulo 32 KiB was as fast or faster at every shape measured (bench/layout.bench.mjs).
 */
export function columnStride(n: number, bytes: number): number {
  const want = 1024 / bytes;
  const p = padRows(n);
  const period = (p * bytes >= WIDE_COLUMN ? 32768 : 4096) / bytes;
  return p + ((want - (p % period) + period) % period);
}

/** Column bytes from which columns start 1 KiB apart modulo 32 KiB rather than 4 KiB. */
const WIDE_COLUMN = 512 * 1024;
