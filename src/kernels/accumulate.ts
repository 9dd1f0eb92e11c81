import { rowPtr, scratchF64, type Shard } from './shard.js';

/** Per-cluster weighted sums of the shard's rows given their labels: k*d sums then k weights, float64. */
export function accumulateShard(sh: Shard, labels: string, k: number): Float64Array {
  const out = scratchF64(sh, k * sh.d + k);
  sh.mem.kernels.accumulate(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, rowPtr(sh, labels), rowPtr(sh, 'weights'), k, out.ptr);
  return out.read();
}
