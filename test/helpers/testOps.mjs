// Shard ops defined outside segkit, as a user would: plain JavaScript over the built package, so pool workers,
// which load op modules by URL, can import this file too.
import { defineOp } from '../../dist/engine/shardOp.js';
import { rowValues, shardColumn } from '../../dist/kernels/shard.js';

/** Per-cluster maxima of every feature: k x d, -Infinity for a cluster with no rows in the shard. */
export const clusterMaxOp = defineOp({
  name: 'test.clusterMax',
  run(shard, state) {
    const { k } = state;
    const labels = rowValues(shard, 'labels', 'i32');
    const out = new Float64Array(k * shard.d).fill(-Infinity);
    for (let j = 0; j < shard.d; j++) {
      const col = shardColumn(shard, j);
      for (let i = 0; i < shard.rows; i++) {
        const at = labels[i] * shard.d + j;
        if (col[i] > out[at]) out[at] = col[i];
      }
    }
    return out;
  },
}, import.meta.url);

/** Calls a kernel with pointers far outside the memory: the first load traps. */
export const trapOp = defineOp({
  name: 'test.trap',
  run(shard) {
    const BAD = 0xfffffff0;
    shard.mem.kernels.accumulate(BAD, 16, 1, 0, 1, BAD, 0, 1, BAD);
    return null;
  },
}, import.meta.url);

/** Sleeps (busy) on every shard, so a pass is long enough to be interrupted. */
export const busyOp = defineOp({
  name: 'test.busy',
  run(shard, state) {
    const end = performance.now() + state.ms;
    let x = 0;
    while (performance.now() < end) x++;
    return shard.index + (x > 0 ? 0 : 1);
  },
}, import.meta.url);

/** Whether the shard's last row (first column) is not (row mod 1000) + 1, as a load of that pattern writes it: a
 * check cheap enough that a worker running it outpaces the copy of the rows. */
export const patternMissOp = defineOp({
  name: 'test.patternMiss',
  run(shard) {
    const last = shard.start + shard.rows - 1;
    return shardColumn(shard, 0)[shard.rows - 1] === (last % 1000) + 1 ? 0 : 1;
  },
}, import.meta.url);

/** The shard's columns as stored (bits included), one Int32Array per feature. */
export const columnBitsOp = defineOp({
  name: 'test.columnBits',
  run(shard) {
    return Array.from({ length: shard.d }, (_, j) => {
      const col = shardColumn(shard, j);
      return new Int32Array(col.buffer, col.byteOffset, col.byteLength / 4).slice();
    });
  },
}, import.meta.url);

/** The last shard's padding (the stored rows after the data's last row, up to the stride), as 32-bit words per column. */
export const paddingBitsOp = defineOp({
  name: 'test.paddingBits',
  run(shard) {
    if (shard.start + shard.rows !== shard.n) return null;
    const words = shard.dtype === 'f64' ? 2 : 1;
    const from = shard.row0 + shard.rows;
    return Array.from({ length: shard.d }, (_, j) => {
      const at = shard.x + 4 * words * (j * shard.stride + from);
      return new Int32Array(shard.mem.memory.buffer, at, words * (shard.stride - from)).slice();
    });
  },
}, import.meta.url);

/** Counts the non-zero values of per-row buffer `mark` (made on first use, zero-filled), then sets them all to v. */
export const markRowsOp = defineOp({
  name: 'test.markRows',
  rows: () => ({ mark: { type: 'f64' } }),
  run(shard, state) {
    const mark = rowValues(shard, 'mark', 'f64');
    let nonZero = 0;
    for (let i = 0; i < shard.rows; i++) if (mark[i] !== 0) nonZero++;
    mark.fill(state.v);
    return nonZero;
  },
}, import.meta.url);

/** Sleeps (busy) on every shard, then returns a partial too large for the job's return value (it goes to the store). */
export const bigBusyOp = defineOp({
  name: 'test.bigBusy',
  run(shard, state) {
    const end = performance.now() + state.ms;
    while (performance.now() < end);
    return new Float64Array(10_000).fill(shard.index);
  },
}, import.meta.url);

/**
 * Where each shard ran: [shard, 0, first value] from the shard's memory (busy for `ms` first, as a slow worker would
 * be), or [shard, 1, first value] straight from the source's columns (`runFrom`, on the calling thread of a scan;
 * busy for `fromMs` first).
 */
export const whereRanOp = defineOp({
  name: 'test.whereRan',
  run(shard, state) {
    const end = performance.now() + state.ms;
    while (performance.now() < end);
    return [shard.index, 0, shardColumn(shard, 0)[0]];
  },
  runFrom(shard, state, columns) {
    const end = performance.now() + (state.fromMs ?? 0);
    while (performance.now() < end);
    return [shard.index, 1, columns[0][shard.start]];
  },
}, import.meta.url);

/** Returns views of the shard's memory as they are (a column, a per-row buffer), in an object and an array. */
export const viewsOp = defineOp({
  name: 'test.views',
  rows: () => ({ twice: { type: 'f64', fill: 0 } }),
  run(shard) {
    const col = shardColumn(shard, 0);
    const twice = rowValues(shard, 'twice', 'f64');
    for (let i = 0; i < shard.rows; i++) twice[i] = 2 * col[i];
    return { col, rows: [twice, shard.index] };
  },
}, import.meta.url);

/** A view of the shard's first column, made before the op grows the kernels' memory (shared memory keeps the view). */
export const growViewsOp = defineOp({
  name: 'test.growViews',
  run(shard) {
    const col = shardColumn(shard, 0);
    if (shard.mem.memory.buffer instanceof SharedArrayBuffer) shard.mem.memory.grow(1);
    return { col };
  },
}, import.meta.url);

/** The sum of column 0 over every row the shard sees in `shard.all` (a replicated handle), and how it ran. */
export const allSumOp = defineOp({
  name: 'test.allSum',
  run(shard) {
    const { x, rows } = shard.all;
    return [0, new Float32Array(shard.mem.memory.buffer, x, rows).reduce((a, v) => a + v, 0)];
  },
  runFrom(shard, _state, columns) {
    const { x, rows } = shard.all;
    return [1, new Float32Array(shard.mem.memory.buffer, x, rows).reduce((a, v) => a + v, 0), columns[0].length];
  },
}, import.meta.url);
