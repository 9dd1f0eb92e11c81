import { rowPtr, scratchCopy, scratchF64, type Shard } from './shard.js';

/** Per cluster, the weighted sums of squared and of plain distances to the own centre (float64 k x d centres): 2k float64. */
export function labelDistancesShard(sh: Shard, centres: Float64Array, k: number, labels: string): Float64Array {
  const cent = scratchCopy(sh, centres);
  const out = scratchF64(sh, 2 * k);
  sh.mem.kernels.labelDistances(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, cent, k, rowPtr(sh, labels), rowPtr(sh, 'weights'), out.ptr);
  return out.read();
}
