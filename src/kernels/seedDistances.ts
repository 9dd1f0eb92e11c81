import { rowPtr, scratchCopy, scratchF64, type Shard } from './shard.js';

/** For each of m candidate centres (m x d float32), the shard's potential sum_i w_i * min(closest_i, |x_i - c|^2). */
export function candidatePotentialsShard(sh: Shard, cand: Float32Array, m: number, closest: string): Float64Array {
  const c = scratchCopy(sh, cand);
  const out = scratchF64(sh, m);
  sh.mem.kernels.candidatePotentials(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, m, rowPtr(sh, closest), rowPtr(sh, 'weights'), out.ptr);
  return out.read();
}

/** closest_i = min(closest_i, |x_i - c|^2) (overwritten when `first`); returns the shard's potential sum_i w_i * closest_i. */
export function updateClosestShard(sh: Shard, centre: Float32Array, closest: string, first: boolean): number {
  const c = scratchCopy(sh, centre);
  return sh.mem.kernels.updateClosest(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, rowPtr(sh, closest), rowPtr(sh, 'weights'), first ? 1 : 0);
}
