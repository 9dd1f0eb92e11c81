import type { KernelCall } from '../parallel/executor.js';
import { shardRanges, type HeapMatrix } from './layout.js';

/** Per shard: per-cluster sums of squared and plain distances to the own centroid (float64 k x d at cent; 2k float64 per shard). */
export function labelDistanceCalls(m: HeapMatrix, cent: number, k: number, labels: number, partials: number): KernelCall[] {
  return shardRanges(m.n).map(([r0, r1], s) => ({
    kernel: 'labelDistances',
    args: [m.ptr, m.stride, m.d, r0, r1, cent, k, labels, m.weights, partials + s * 2 * k * 8],
  }));
}
