import type { KernelCall } from '../parallel/executor.js';
import type { HeapMatrix } from './layout.js';

/** Rows of A per call, and rows of B per cache tile. */
export const SILHOUETTE_BLOCK = 512;
export const SILHOUETTE_TILE = 1024;

/**
 * Calls over blocks of A rows; each sums distances to every cluster segment of the (cluster-grouped) matrix into
 * out[(a) * k + c] (float64, zeroed by the caller). seg = k int32 starts then k int32 ends.
 */
export function silhouetteCalls(m: HeapMatrix, rows: number, segStart: number, segEnd: number, k: number, out: number): KernelCall[] {
  const calls: KernelCall[] = [];
  for (let a0 = 0; a0 < rows; a0 += SILHOUETTE_BLOCK) {
    const a1 = Math.min(rows, a0 + SILHOUETTE_BLOCK);
    calls.push({ kernel: 'silhouetteSums', args: [m.ptr, m.stride, m.d, a0, a1, rows, SILHOUETTE_TILE, segStart, segEnd, k, out + a0 * k * 8] });
  }
  return calls;
}
