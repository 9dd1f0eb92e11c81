// Shard ops that fail or outlast a release, for the executor fault tests: plain JavaScript over the built
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

/** Busy for `state.ms` on every shard, then adds 1 to every value of its per-row buffer `hits`; returns the shard's first value before. */
export const slowBumpOp = defineOp({
  name: 'test.slowBump',
  rows: () => ({ hits: { type: 'f64' } }),
  run(shard, state) {
    const end = performance.now() + state.ms;
    while (performance.now() < end);
    const b = shard.buffers.get('hits');
    const hits = new Float64Array(shard.mem.memory.buffer, b.ptr + 8 * shard.row0, shard.rows);
    const before = hits[0];
    for (let i = 0; i < hits.length; i++) hits[i] += 1;
    return before;
  },
}, import.meta.url);

/** Busy for `state.ms` on every shard, then throws an I/O error (which BullMQ retries) on shard `state.bad`; others return their index. */
export const slowIoFailOp = defineOp({
  name: 'test.slowIoFail',
  run(shard, state) {
    const end = performance.now() + state.ms;
    while (performance.now() < end);
    if (shard.index === state.bad) throw new SegkitError('E_IO', `cannot read shard ${shard.index}: connection reset`);
    return shard.index;
  },
}, import.meta.url);

/** SegkitError as another copy of segkit defines it (an op module bundling its own): not this copy's class. */
class OtherSegkitError extends Error {
  constructor(message) {
    super(`${message} (drop the row)`);
    this.name = 'SegkitError';
    this.code = 'E_NAN_INPUT';
    this.hint = 'drop the row';
  }
}

/** Names the per-row buffer `seen`, unless `state.how` says its `rows` fails: 'plain' (a TypeError) or 'other' (OtherSegkitError). */
export const rowsFailOp = defineOp({
  name: 'test.rowsFail',
  rows(state) {
    if (state.how === 'plain') throw new TypeError('no buffer for this state');
    if (state.how === 'other') throw new OtherSegkitError('row 7 is NaN');
    return { seen: { type: 'i32' } };
  },
  run: (shard) => shard.index,
}, import.meta.url);
