import { scratchCopy, view, type Shard } from './shard.js';

/** Count tables for the keyCount kernel (see assembly/keyCount.ts): 2,048 blocks, their entries and counters. */
export interface KeyTables {
  blk: Int32Array;
  gsh: Int32Array;
  sub: Int32Array;
  /** Counters named by the entries (one more, the last, may serve as a trash counter). */
  counters: number;
}

/** Scratch bytes `keyCountShard` needs for tables of `entries` entries and `counters` counters on shards of `rows` rows. */
export function keyCountBytes(entries: number, counters: number, rows: number): number {
  return 4 * (2 * 2048 + entries + counters + rows) + 8 + 6 * 64;
}

/**
 * Counts column j of a float32 shard through the tables in the wasm kernel: the counters, the rows whose entry is
 * negative (in row order) and, with `sum`, the sum of the present values in row order.
 */
export function keyCountShard(sh: Shard, j: number, t: KeyTables, sum: boolean): { counts: Int32Array; slow: Int32Array; sum: number } {
  sh.scratch.reset();
  const blk = scratchCopy(sh, t.blk), gsh = scratchCopy(sh, t.gsh), sub = scratchCopy(sh, t.sub);
  const cnt = sh.scratch.alloc(4 * t.counters);
  view(sh.mem, 'i32', cnt, t.counters).fill(0);
  const slow = sh.scratch.alloc(4 * sh.rows), out = sh.scratch.alloc(8);
  const n = sh.mem.kernels.keyCount(sh.x + 4 * (j * sh.stride + sh.row0), sh.rows, blk, gsh, sub, cnt, slow, sum ? out : 0);
  return {
    counts: view(sh.mem, 'i32', cnt, t.counters).slice(),
    slow: view(sh.mem, 'i32', slow, n).slice(),
    sum: sum ? view(sh.mem, 'f64', out, 1)[0] : 0,
  };
}
