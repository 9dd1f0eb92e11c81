import type { KernelCall } from '../parallel/executor.js';
import { shardRanges, type HeapMatrix } from './layout.js';

/** One `accumulate` call per shard into partials of k*d sums + k weights (float64), `stride` values apart, zeroed by the caller. */
export function accumulateCalls(m: HeapMatrix, labels: number, k: number, partials: number, stride = k * m.d + k): KernelCall[] {
  const ps = stride * 8;
  return shardRanges(m.n).map(([r0, r1], s) => ({
    kernel: 'accumulate',
    args: [m.ptr, m.stride, m.d, r0, r1, labels, m.weights, k, partials + s * ps],
  }));
}
