import { rowPtr, scratchCopy, scratchF64, type Shard } from './shard.js';

/** Hamerly's inputs after the centres moved: per-centre drift and half-separation, the two largest drifts. */
export interface HamerlyBounds {
  drift: Float32Array;
  halfSep: Float32Array;
  pmax: number;
  pmax2: number;
  pmaxIdx: number;
}

export interface AssignArgs {
  /** k x d float32 centres in the shard's coordinates, and their squared norms. */
  cent: Float32Array;
  norms: Float32Array;
  k: number;
  /** Per-row buffer names: labels (i32, required); distances and bounds (f32) are written when the buffers exist. */
  labels: string;
  dist?: string;
  upper?: string;
  lower?: string;
  /** Return the changed rows' moves between cluster sums: k*d sums + k weights, float64. */
  sums?: boolean;
  /** Skip rows whose bounds prove their label cannot change. */
  bounds?: HamerlyBounds;
}

/** Labels the shard's rows with their nearest centre; returns how many labels changed and the sum deltas. */
export function assignShard(sh: Shard, a: AssignArgs): { changed: number; deltas?: Float64Array } {
  const k = a.k, d = sh.d;
  const cent = scratchCopy(sh, a.cent), cnorm = scratchCopy(sh, a.norms);
  const sums = a.sums ? scratchF64(sh, k * d + k) : undefined;
  const b = a.bounds;
  const drift = b ? scratchCopy(sh, b.drift) : 0, half = b ? scratchCopy(sh, b.halfSep) : 0;
  const changed = sh.mem.kernels.assign(
    sh.x, sh.stride, d, sh.row0, sh.row0 + sh.rows, cent, cnorm, k,
    rowPtr(sh, a.labels), a.dist ? rowPtr(sh, a.dist) : 0, rowPtr(sh, 'weights'), sums ? sums.ptr : 0,
    a.upper ? rowPtr(sh, a.upper) : 0, a.lower ? rowPtr(sh, a.lower) : 0, drift, half,
    b ? b.pmax : 0, b ? b.pmax2 : 0, b ? b.pmaxIdx : -1,
  );
  return { changed, deltas: sums?.read() };
}
