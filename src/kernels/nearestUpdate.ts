import { rowPtr, scratchCopy, type Shard } from './shard.js';

/**
 * closest = min(closest, squared distance to the nearest of m candidates (m x d float32, squared norms given)),
 * owner = base + that candidate where it wins, for the shard's rows; returns the shard's potential sum w * closest.
 */
export function nearestUpdateShard(sh: Shard, cent: Float32Array, norms: Float32Array, m: number, base: number, closest: string, owner: string): number {
  const c = scratchCopy(sh, cent), n = scratchCopy(sh, norms);
  return sh.mem.kernels.nearestUpdate(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, n, m, base, rowPtr(sh, closest), rowPtr(sh, owner), rowPtr(sh, 'weights'));
}
