/** Rows per shard: fixed, so partials (merged in shard order) never depend on the executor or its thread count. */
export const SHARD_ROWS = 65536;

/** [start, end) of each shard of n rows. */
export function shardRanges(n: number, rows = SHARD_ROWS): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += rows) out.push([s, Math.min(n, s + rows)]);
  return out;
}

/** Rows allocated per column: a multiple of 16, so 8-row SIMD blocks and 64-byte column starts never straddle columns. */
export const padRows = (n: number): number => Math.ceil(n / 16) * 16;
