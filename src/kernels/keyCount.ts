import { scratchCopy, view, type Shard } from './shard.js';

/**
 * Count tables for the keyCount kernel (see assembly/keyCount.ts): per block of 2,048 its first entry and entry size
 * (`bg`), the entries (a counted one holds its first key's counter, less that key's shifted offset, plus KEY_BIAS,
 * above 5 bits of shift) and the counters; empty `bg` and `sub` count each value in the counter of its block (the
 * first histogram).
 */
export interface KeyTables {
  /** Per block: its first entry in `sub` << 5 | log2 of the keys per entry. */
  bg: Int32Array;
  sub: Int32Array;
  /** Counters named by the entries. */
  counters: number;
}

/** What a counted entry adds to its counter index (so that it is >= 0 whatever the key offset it takes away). */
export const KEY_BIAS = 2 ** 21;

/** Blocks of the top 11 key bits: the length of `bg` and, without tables, the kernel's counters (one a block). */
const BLOCKS = 2048;

/** Values whose keys the kernel computes at once, into room after the counters (assembly/keyCount.ts). */
const KEY_CHUNK = 1024;

/**
 * 4-byte words the kernel has room for at `cnt`: without tables, 4 copies of the block counters; with tables, the
 * counters, then (16-byte aligned) one chunk's keys.
 */
const counterRoom = (t: KeyTables): number => (t.bg.length === 0 ? 4 * BLOCKS : t.counters + 3 + KEY_CHUNK);

/** Scratch bytes `keyCounter` needs for these tables on shards of `rows` rows. */
export function keyCountBytes(t: KeyTables, rows: number): number {
  return 4 * (BLOCKS + t.sub.length + counterRoom(t) + rows) + 8 + 6 * 64;
}

/**
 * Puts the tables in the shard's scratch (once) and returns a function counting column j through them in the wasm
 * kernel: the counters, the rows whose entry is -1 (in row order) and, with `sum`, the sum of the present values in
 * row order. The counters and rows are views of the shard's scratch, valid until the next call, the scratch's next
 * reset, or the end of the shard's run.
 */
export function keyCounter(sh: Shard, t: KeyTables): (j: number, sum: boolean) => { counts: Int32Array; slow: Int32Array; sum: number } {
  const direct = t.bg.length === 0;
  const bg = direct ? 0 : scratchCopy(sh, t.bg), sub = direct ? 0 : scratchCopy(sh, t.sub);
  const counters = direct ? BLOCKS : t.counters;
  const cnt = sh.scratch.alloc(4 * counterRoom(t)), slow = sh.scratch.alloc(4 * sh.rows), out = sh.scratch.alloc(8);
  return (j, sum) => {
    // the kernel zeroes the counters
    const n = sh.mem.kernels.keyCount(sh.x + 4 * (j * sh.stride + sh.row0), sh.rows, bg, sub, cnt, slow, sum ? out : 0, counters);
    return {
      counts: view(sh.mem, 'i32', cnt, counters),
      slow: view(sh.mem, 'i32', slow, n),
      sum: sum ? view(sh.mem, 'f64', out, 1)[0] : 0,
    };
  };
}
