import { rowPtr, scratchCopy, scratchF64, type Shard } from './shard.js';

/** Unweighted float64 sums of each column over the shard's rows. */
export function columnSumsShard(sh: Shard): Float64Array {
  const out = scratchF64(sh, sh.d);
  sh.mem.kernels.columnSums(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, out.ptr);
  return out.read();
}

/** x = x - offset (float32) in place; returns the shard's sum of w * x^2 after centring (float64; not finite if any value is not). */
export function centerShard(sh: Shard, offset: Float32Array): number {
  const o = scratchCopy(sh, offset);
  return sh.mem.kernels.centerColumns(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, o, rowPtr(sh, 'weights'));
}
