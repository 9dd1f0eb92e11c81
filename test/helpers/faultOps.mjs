// Shard ops that fail, crash or return awkward values, for the executor fault tests: plain JavaScript over the built
// package, so pool workers can import this file by URL.
import { defineOp } from '../../dist/engine/shardOp.js';
import { SegkitError } from '../../dist/util/errors.js';
import { isMainThread } from 'node:worker_threads';

/** Throws a SegkitError (E_NAN_INPUT) on shard `state.bad`; every other shard returns its index. */
export const failOnShardOp = defineOp({
  name: 'test.failOnShard',
  run(shard, state) {
    if (shard.index === state.bad) throw new SegkitError('E_NAN_INPUT', `bad value on shard ${shard.index}`, 'drop the row');
    return shard.index;
  },
}, import.meta.url);

/** Ends the thread it runs in on shard `state.bad` (a pool worker dies); elsewhere returns the shard's index. */
export const exitOnShardOp = defineOp({
  name: 'test.exitOnShard',
  run(shard, state) {
    if (shard.index === state.bad) process.exit(3);
    const end = performance.now() + (state.ms ?? 0);
    while (performance.now() < end);
    return shard.index;
  },
}, import.meta.url);

/** Awkward values as a partial: subarrays with offsets, -0, NaN, large integers, nested objects. */
export const awkwardOp = defineOp({
  name: 'test.awkward',
  run(shard) {
    const big = new Float64Array(16).map((_, i) => i + shard.index * 0.5);
    const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    return {
      sub: big.subarray(3, 7),
      odd: bytes.subarray(1, 8),
      i32: new Int32Array(big.length).fill(-7).subarray(5),
      negZero: -0,
      nan: NaN,
      big: 2 ** 53 + 2,
      neg: -(2 ** 60),
      tiny: 5e-324,
      inf: -Infinity,
      nested: { a: [1, [2, { b: Float32Array.of(-0, NaN, 3.5) }]], s: 'ü', u: undefined, n: null },
      index: shard.index,
    };
  },
}, import.meta.url);

/**
 * Busy for `state.ms` on every shard (`state.mainMs` on the calling thread), then sets every value of its per-row
 * buffer `mark` to `state.v`.
 */
export const slowMarkOp = defineOp({
  name: 'test.slowMark',
  rows: () => ({ mark: { type: 'f64' } }),
  run(shard, state) {
    const end = performance.now() + (isMainThread ? state.mainMs ?? state.ms : state.ms);
    while (performance.now() < end);
    const b = shard.buffers.get('mark');
    new Float64Array(shard.mem.memory.buffer, b.ptr + 8 * shard.row0, shard.rows).fill(state.v);
    return shard.index;
  },
}, import.meta.url);
