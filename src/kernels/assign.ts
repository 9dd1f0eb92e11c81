import { rowPtr, scratchCopy, scratchF64, type Shard } from './shard.js';

export interface AssignArgs {
  /** k x d float32 centres in the shard's coordinates, and their squared norms. */
  cent: Float32Array;
  norms: Float32Array;
  k: number;
  /** Per-row buffer names: labels (i32, required); squared distances (f32) are written when `dist` is given. */
  labels: string;
  dist?: string;
  /** Return the changed rows' moves between cluster sums: k*d sums + k weights, float64. */
  sums?: boolean;
}

/** Labels the shard's rows with their nearest centre (every centre measured); returns how many labels changed and the sum deltas. */
export function assignShard(sh: Shard, a: AssignArgs): { changed: number; deltas?: Float64Array } {
  const k = a.k, d = sh.d;
  const cent = scratchCopy(sh, a.cent), cnorm = scratchCopy(sh, a.norms);
  const sums = a.sums ? scratchF64(sh, k * d + k) : undefined;
  const changed = sh.mem.kernels.assign(
    sh.x, sh.stride, d, sh.row0, sh.row0 + sh.rows, cent, cnorm, k,
    rowPtr(sh, a.labels), a.dist ? rowPtr(sh, a.dist) : 0, rowPtr(sh, 'weights'), sums ? sums.ptr : 0,
  );
  return { changed, deltas: sums?.read() };
}
