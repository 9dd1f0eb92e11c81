import { SegkitError } from '../util/errors.js';
import { scratchCopy, scratchF64, type Shard } from './shard.js';

/** Rows of B per cache tile: a tile stays in cache while the shard's rows sweep it. */
export const SILHOUETTE_TILE = 1024;

/**
 * For each row a of the shard, the sum of its distances to every row of each cluster segment of the whole
 * (cluster-grouped, replicated) matrix: rows * k float64, row-major. seg holds k int32 starts then k int32 ends.
 */
export function silhouetteSumsShard(sh: Shard, seg: Int32Array, k: number): Float64Array {
  if (!sh.all) throw new SegkitError('E_EXECUTOR', 'the silhouette needs a replicated handle (every row beside every shard)');
  const s = scratchCopy(sh, seg);
  const out = scratchF64(sh, sh.rows * k);
  sh.mem.kernels.silhouetteSums(sh.all.x, sh.all.stride, sh.d, sh.start, sh.start + sh.rows, sh.all.rows, SILHOUETTE_TILE, s, s + 4 * k, k, out.ptr);
  return out.read();
}
