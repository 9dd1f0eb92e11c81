import { BYTES, rowBuffer, scratchCopy, type Shard } from './shard.js';
import { SegkitError } from '../util/errors.js';

/** Writes each row's distance to every centre (k float32 per row) into the per-row buffer `out` (width k). */
export function distancesShard(sh: Shard, cent: Float32Array, k: number, squared: boolean, out: string): void {
  const b = rowBuffer(sh, out);
  if (!b || b.type !== 'f32' || b.width !== k) throw new SegkitError('E_EXECUTOR', `distances need a float32 per-row buffer "${out}" of width ${k}`);
  const c = scratchCopy(sh, cent);
  sh.mem.kernels.distances(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, k, squared ? 1 : 0, b.ptr + BYTES.f32 * sh.row0 * k);
}
