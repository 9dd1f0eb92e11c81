import type { KernelCall } from '../parallel/executor.js';
import { shardRanges, type HeapMatrix } from './layout.js';

/** Per shard: the potential sum w * min(closest, |x - cand_t|^2) for each of m candidates, into partials (m float64 per shard). */
export function candidatePotentialCalls(mat: HeapMatrix, cand: number, m: number, closest: number, partials: number): KernelCall[] {
  return shardRanges(mat.n).map(([r0, r1], s) => ({
    kernel: 'candidatePotentials',
    args: [mat.ptr, mat.stride, mat.d, r0, r1, cand, m, closest, mat.weights, partials + s * m * 8],
  }));
}

/** Per shard: closest = min(closest, |x - c|^2); each call returns its shard's potential. */
export function updateClosestCalls(mat: HeapMatrix, center: number, closest: number, first: boolean): KernelCall[] {
  return shardRanges(mat.n).map(([r0, r1]) => ({
    kernel: 'updateClosest',
    args: [mat.ptr, mat.stride, mat.d, r0, r1, center, closest, mat.weights, first ? 1 : 0],
  }));
}
