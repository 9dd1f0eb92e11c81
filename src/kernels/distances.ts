import type { KernelCall } from '../parallel/executor.js';
import { shardRanges, type HeapMatrix } from './layout.js';

/** Per shard: distances from each row to every centroid, row-major n x k float32 at out. */
export function distanceCalls(m: HeapMatrix, cent: number, k: number, squared: boolean, out: number): KernelCall[] {
  return shardRanges(m.n).map(([r0, r1]) => ({
    kernel: 'distances',
    args: [m.ptr, m.stride, m.d, r0, r1, cent, k, squared ? 1 : 0, out + r0 * k * 4],
  }));
}
