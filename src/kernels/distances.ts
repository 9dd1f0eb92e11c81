import { rowRegion, scratchCopy, type Shard } from './shard.js';

/** Writes each row's distance to every centre (k float32 per row) into the per-row buffer `out` (width k). */
export function distancesShard(sh: Shard, cent: Float32Array, k: number, squared: boolean, out: string): void {
  const o = rowRegion(sh, out, 'f32', k);
  const c = scratchCopy(sh, cent);
  sh.mem.kernels.distances(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, k, squared ? 1 : 0, o);
}
