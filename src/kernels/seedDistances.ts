import { rowPtr, rowRegion, scratchCopy, scratchF64, view, type Shard } from './shard.js';
import { SegkitError } from '../util/errors.js';
import { indexUniformKeys } from '../util/random.js';

/**
 * For each of m candidate centres (m x d float32), the shard's potential sum_i w_i * min(closest_i, |x_i - c|^2).
 * With `dist` (a per-row float32 buffer of m values a row), each candidate's squared distances are kept there for
 * `takeClosestShard`.
 */
export function candidatePotentialsShard(sh: Shard, cand: Float32Array, m: number, closest: string, dist?: string): Float64Array {
  const c = scratchCopy(sh, cand);
  const out = scratchF64(sh, m);
  // the kept distances are m columns of the shard's rows (column t at 4 t rows bytes)
  const kept = dist === undefined ? 0 : rowRegion(sh, dist, 'f32', m);
  sh.mem.kernels.candidatePotentials(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, m, rowPtr(sh, closest), rowPtr(sh, 'weights'), out.ptr, kept);
  return out.read();
}

/**
 * `updateClosestShard` for candidate `trial` of the last `candidatePotentialsShard` that kept its distances in `dist`
 * (m values a row): the same closest values and potential, without reading the rows.
 */
export function takeClosestShard(sh: Shard, dist: string, m: number, trial: number, closest: string): number {
  if (!(Number.isInteger(trial) && trial >= 0 && trial < m)) throw new SegkitError('E_EXECUTOR', `candidate ${trial} of ${m} kept: out of range`);
  const col = rowRegion(sh, dist, 'f32', m) + 4 * trial * sh.rows;
  return sh.mem.kernels.takeClosest(sh.row0, sh.row0 + sh.rows, col, rowPtr(sh, closest), rowPtr(sh, 'weights'));
}

/** closest_i = min(closest_i, |x_i - c|^2) (overwritten when `first`); returns the shard's potential sum_i w_i * closest_i. */
export function updateClosestShard(sh: Shard, centre: Float32Array, closest: string, first: boolean): number {
  const c = scratchCopy(sh, centre);
  return sh.mem.kernels.updateClosest(sh.x, sh.stride, sh.d, sh.row0, sh.row0 + sh.rows, c, rowPtr(sh, closest), rowPtr(sh, 'weights'), first ? 1 : 0);
}

/**
 * Where the per-row `dist` is below `closest`, closest takes it and `owner` becomes base + `cand`; returns the shard's
 * sum of closest (unweighted), added in row order.
 */
export function mergeClosestShard(sh: Shard, closest: string, owner: string, cand: string, dist: string, base: number): number {
  return sh.mem.kernels.mergeClosest(rowPtr(sh, closest), rowPtr(sh, owner), rowPtr(sh, cand), rowPtr(sh, dist), sh.row0, sh.row0 + sh.rows, base);
}

/** Scratch bytes `preselectShard` needs per row of the shard. */
export const PRESELECT_BYTES_PER_ROW = 4;

/**
 * The shard's rows (0-based) with w closest > 0 whose uniform `indexUniforms(seed, stream)(start + i)` is below
 * l w closest / pot, in row order. Global row numbers must stay below 2^31.
 */
export function preselectShard(sh: Shard, closest: string, seed: number, stream: number, l: number, pot: number): Int32Array {
  const { base, salt } = indexUniformKeys(seed, stream);
  const out = sh.scratch.alloc(PRESELECT_BYTES_PER_ROW * Math.max(1, sh.rows));
  const n = sh.mem.kernels.preselect(rowPtr(sh, closest), rowPtr(sh, 'weights'), sh.row0, sh.row0 + sh.rows, sh.start, base, salt, l, pot, out);
  return Int32Array.from(view(sh.mem, 'i32', out, n));
}

/**
 * The k-means++ draws of one shard (the `walkPotential` kernel): for each target, ascending, the first row (0-based in
 * the shard) where the running potential from `start` (w * closest added row by row in float64) reaches it, or -1.
 */
export function walkPotentialShard(sh: Shard, closest: string, start: number, targets: Float64Array): Int32Array {
  const t = scratchCopy(sh, targets);
  const out = sh.scratch.alloc(4 * Math.max(1, targets.length));
  const reached = sh.mem.kernels.walkPotential(rowPtr(sh, closest), rowPtr(sh, 'weights'), sh.row0, sh.row0 + sh.rows, start, t, targets.length, out);
  const rows = new Int32Array(targets.length).fill(-1);
  const got = view(sh.mem, 'i32', out, reached);
  for (let p = 0; p < reached; p++) rows[p] = got[p] - sh.row0;
  return rows;
}
