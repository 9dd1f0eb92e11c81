// The shard ops of k-means: assignment (plain, or skipping what bounds prove, with cluster-sum deltas), the
// k-means++ steps, the farthest rows for empty clusters, and distances to every centre. Per-row state (labels,
// bounds, closest distances) stays with whoever holds each shard.
import { assignShard, centreAssignCopyShard, copyBlockStride } from '../kernels/assign.js';
import { centerShard } from '../kernels/center.js';
import { assignBoundedShard, boundedScratch, ROW_MAJOR_ROWS, type BoundedArgs } from '../kernels/assignBounded.js';
import { distancesShard } from '../kernels/distances.js';
import { candidatePotentialsShard, takeClosestShard, updateClosestShard, walkPotentialShard } from '../kernels/seedDistances.js';
import { rowValues, shardColumn } from '../kernels/shard.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import { SegkitError } from '../util/errors.js';

export interface AssignState {
  cent: Float32Array;
  norms: Float32Array;
  k: number;
  /** Start over: every label -1 (a new run on the same data). */
  reset: boolean;
  /** Return the cluster-sum deltas of rows whose label changed. */
  sums: boolean;
  /** Write each row's squared distance to its centre (per-row `dist`). */
  dist: boolean;
}

export interface AssignPartial {
  changed: number;
  deltas?: Float64Array;
}

const LABELS: RowSpec = { type: 'i32', fill: -1 };
const F32: RowSpec = { type: 'f32' };
// the bounded pass that starts the bounds writes these for every row before any pass reads them
const WRITTEN_I32: RowSpec = { type: 'i32', unfilled: true };
const WRITTEN_F32: RowSpec = { type: 'f32', unfilled: true };
/** The per-row buffer of k-means++'s kept candidate distances. */
export const TRIAL_DISTANCES = 'trialDistances';

/** Every row measured against every centre: the plain Lloyd pass. */
export const assignOp = defineOp<AssignState, AssignPartial>({
  name: 'kmeans.assign',
  rows: (s) => ({ labels: LABELS, ...(s.dist ? { dist: F32 } : {}) }),
  scratchBytes: (s, d) => 8 * (s.k * d + s.k) + 64,
  run(sh, s) {
    if (s.reset) rowValues(sh, 'labels', 'i32').fill(-1);
    const r = assignShard(sh, { cent: s.cent, norms: s.norms, k: s.k, labels: 'labels', dist: s.dist ? 'dist' : undefined, sums: s.sums });
    return r.deltas ? { changed: r.changed, deltas: r.deltas } : { changed: r.changed };
  },
}, import.meta.url);

/**
 * Rows just loaded for predict: each shard centred by the model's offset (the sum of squares after, as `centreOp`
 * returns it, for the range and finiteness checks) and then labelled while its values are still in cache.
 */
export const centreAssignOp = defineOp<{ offset: Float32Array; then: AssignState }, { sumSquares: number; then: AssignPartial }>({
  name: 'kmeans.centreAssign',
  rows: (s, d) => assignOp.rows!(s.then, d),
  scratchBytes: (s, d, shardRows) => assignOp.scratchBytes!(s.then, d, shardRows),
  run(sh, s) {
    const sumSquares = centerShard(sh, s.offset);
    return { sumSquares, then: assignOp.run(sh, s.then) };
  },
}, import.meta.url);

/**
 * Labels rows loaded as they are (float32, not centred, to be read again as they are): each block is copied to
 * scratch, centred by the model's offset and labelled there, giving predict's labels without a second load. Returns
 * the shard's sum of squares after centring, as `centreOp` does (summed in another order), for the range and
 * finiteness checks.
 */
export const labelUncentredOp = defineOp<{ offset: Float32Array; cent: Float32Array; norms: Float32Array; k: number }, number>({
  name: 'kmeans.labelUncentred',
  rows: () => ({ labels: LABELS }),
  // the block the rows are centred in (the state's arrays have their own room)
  scratchBytes: (_s, d) => 4 * d * copyBlockStride(d) + 64,
  run(sh, s) {
    if (sh.dtype !== 'f32') throw new SegkitError('E_EXECUTOR', 'kmeans.labelUncentred needs rows loaded as float32');
    rowValues(sh, 'labels', 'i32').fill(-1);
    return centreAssignCopyShard(sh, { cent: s.cent, norms: s.norms, k: s.k, labels: 'labels' }, s.offset);
  },
  // each block's values from the source columns, as a load would have copied them
  runFrom(sh, s, columns) {
    if (sh.dtype !== 'f32') throw new SegkitError('E_EXECUTOR', 'kmeans.labelUncentred needs rows loaded as float32');
    rowValues(sh, 'labels', 'i32').fill(-1);
    return centreAssignCopyShard(sh, { cent: s.cent, norms: s.norms, k: s.k, labels: 'labels' }, s.offset, (mem, at, j, r, b) => {
      mem.set(columns[j].subarray(sh.start + r, sh.start + r + b), at);
      return true;
    });
  },
}, import.meta.url);

export interface BoundedState extends BoundedArgs {
  /** Start over: every label -1 (a new run on the same data); only with `force`. */
  reset: boolean;
}

export interface BoundedPartial extends AssignPartial {
  /** Rows that computed distances, and units of 4 centres computed (for pruning reports). */
  touched: number;
  units: number;
}

/** The Lloyd pass with bounds: the same labels as `assignOp`, computing only what the bounds cannot settle. */
export const boundedAssignOp = defineOp<BoundedState, BoundedPartial>({
  name: 'kmeans.assignBounded',
  rows: (s): Record<string, RowSpec> => ({
    labels: LABELS, tau: WRITTEN_I32, upper: WRITTEN_F32, lower: WRITTEN_F32, bounds: { type: 'f32', width: s.sets, unfilled: true },
    // the copy is made only by a pass that writes it whole (one that starts the bounds); without room for it the
    // kernel reads the columns
    ...(s.rowMajor && s.force ? { [ROW_MAJOR_ROWS]: { type: 'f32', width: s.d, unfilled: true, optional: true } } : {}),
  }),
  scratchBytes: (s, d) => boundedScratch(s.k, d, s.units, s.sets),
  run(sh, s) {
    if (s.reset) rowValues(sh, 'labels', 'i32').fill(-1);
    const r = assignBoundedShard(sh, s);
    const out: BoundedPartial = { changed: r.changed, touched: r.touched, units: r.units };
    if (r.deltas) out.deltas = r.deltas;
    return out;
  },
}, import.meta.url);

/**
 * The m rows farthest from their centre (by per-row `dist`), ties to the lower row, skipping zero-weight rows:
 * [distance, row, label, then d values] per row, at most m rows.
 */
export const farthestOp = defineOp<{ m: number }, Float64Array>({
  name: 'kmeans.farthest',
  run(sh, s) {
    const dist = rowValues(sh, 'dist', 'f32'), labels = rowValues(sh, 'labels', 'i32');
    const w = sh.buffers.has('weights') ? rowValues(sh, 'weights', 'f32') : undefined;
    const top: number[] = [];
    for (let i = 0; i < sh.rows; i++) {
      if (w && w[i] === 0) continue;
      // insertion into a short list sorted by distance (desc), then row (asc): earlier rows win ties
      let at = top.length;
      while (at > 0 && dist[top[at - 1]] < dist[i]) at--;
      if (at < s.m) {
        top.splice(at, 0, i);
        if (top.length > s.m) top.pop();
      }
    }
    const width = 3 + sh.d;
    const out = new Float64Array(top.length * width);
    const cols = Array.from({ length: sh.d }, (_, j) => shardColumn(sh, j));
    top.forEach((i, q) => {
      out[q * width] = dist[i];
      out[q * width + 1] = sh.start + i;
      out[q * width + 2] = labels[i];
      for (let j = 0; j < sh.d; j++) out[q * width + 3 + j] = cols[j][i];
    });
    return out;
  },
}, import.meta.url);

/**
 * The shard's sum of w |x - c_label|^2 row by row in float64 (stored values, centres in stored coordinates): the
 * inertia when the sufficient-statistics formula would cancel away its digits (weights of 1e16, or clusters far
 * tighter than the data's spread).
 */
export const labelledSquaresOp = defineOp<{ centres: Float64Array }, number>({
  name: 'kmeans.labelledSquares',
  run(sh, s) {
    const labels = rowValues(sh, 'labels', 'i32');
    const w = sh.buffers.has('weights') ? rowValues(sh, 'weights', 'f32') : undefined;
    const d = sh.d, c = s.centres;
    const cols = Array.from({ length: d }, (_, j) => shardColumn(sh, j));
    let total = 0;
    for (let i = 0; i < sh.rows; i++) {
      const l = labels[i];
      if (l < 0 || (w && w[i] === 0)) continue;
      let r = 0;
      for (let j = 0; j < d; j++) {
        const v = cols[j][i] - c[l * d + j];
        r += v * v;
      }
      total += w ? w[i] * r : r;
    }
    return total;
  },
}, import.meta.url);

/** Sets the labels of the given rows (dataset row numbers) that fall in this shard. */
export const setLabelsOp = defineOp<{ rows: Int32Array; labels: Int32Array }, null>({
  name: 'kmeans.setLabels',
  run(sh, s) {
    const labels = rowValues(sh, 'labels', 'i32');
    s.rows.forEach((r, q) => {
      if (r >= sh.start && r < sh.start + sh.rows) labels[r - sh.start] = s.labels[q];
    });
    return null;
  },
}, import.meta.url);

/** k-means++: closest = min(closest, |x - centre|^2) (overwritten when `first`); the shard's weighted potential. */
export const updateClosestOp = defineOp<{ centre: Float32Array; first: boolean }, number>({
  name: 'kmeans.updateClosest',
  rows: () => ({ closest: F32 }),
  run: (sh, s) => updateClosestShard(sh, s.centre, 'closest', s.first),
}, import.meta.url);

/**
 * k-means++: each candidate's potential sum_i w_i min(closest_i, |x_i - cand|^2) over the shard; with `keep`, the
 * candidates' squared distances stay in the per-row buffer `trialDistances` (m columns of each shard's rows) for
 * `takeClosestOp`.
 */
export const candidatesOp = defineOp<{ cand: Float32Array; m: number; keep?: boolean }, Float64Array>({
  name: 'kmeans.candidates',
  // the kept distances are written whole, every row and candidate, before `takeClosestOp` reads them
  rows: (s): Record<string, RowSpec> => (s.keep ? { closest: F32, [TRIAL_DISTANCES]: { type: 'f32', width: s.m, unfilled: true } } : { closest: F32 }),
  scratchBytes: (s) => 8 * s.m + 64,
  run: (sh, s) => candidatePotentialsShard(sh, s.cand, s.m, 'closest', s.keep ? TRIAL_DISTANCES : undefined),
}, import.meta.url);

/**
 * k-means++: `updateClosestOp` for candidate `trial` of the last `candidatesOp` of `m` that kept its distances (an
 * E_EXECUTOR error when none of that width is there).
 */
export const takeClosestOp = defineOp<{ trial: number; m: number }, number>({
  name: 'kmeans.takeClosest',
  // the kept distances are not declared: a missing buffer must fail, not come in as zeros
  rows: () => ({ closest: F32 }),
  run: (sh, s) => takeClosestShard(sh, TRIAL_DISTANCES, s.m, s.trial, 'closest'),
}, import.meta.url);

/**
 * k-means++: for each target r in this shard, the first row where the running weighted potential (from `starts`,
 * the potential of the shards before) reaches r (numpy's searchsorted on a cumsum, side 'left'); else the last row.
 */
export const pickOp = defineOp<{ shardsOf: Int32Array; starts: Float64Array; targets: Float64Array }, Int32Array>({
  name: 'kmeans.pick',
  // the targets in walking order and the rows found (the state's own arrays have their room)
  scratchBytes: (s) => 12 * s.targets.length + 128,
  run(sh, s) {
    if (sh.buffers.get('closest')?.type !== 'f32') throw new SegkitError('E_EXECUTOR', 'kmeans.pick needs the per-row buffer "closest" (f32)');
    const mine: number[] = [];
    s.shardsOf.forEach((shard, q) => { if (shard === sh.index) mine.push(q); });
    const rows = new Int32Array(mine.length).fill(sh.start + sh.rows - 1);
    if (mine.length === 0) return rows;
    // one walk for all targets in ascending order: the running potential is the same sequence for each (they share
    // the shard's start), so each finds the row its own walk would
    const start = s.starts[mine[0]];
    if (mine.some((q) => s.starts[q] !== start)) throw new SegkitError('E_EXECUTOR', 'kmeans.pick: targets of one shard must share its start');
    // targets that are not numbers are never reached, as in a walk of their own
    const order = mine.map((_, t) => t).filter((t) => s.targets[mine[t]] === s.targets[mine[t]])
      .sort((a, b) => s.targets[mine[a]] - s.targets[mine[b]] || a - b);
    // the running potential's walk in the kernel: float64, row by row, as acc += w_i * closest_i
    const at = walkPotentialShard(sh, 'closest', start, Float64Array.from(order, (t) => s.targets[mine[t]]));
    order.forEach((t, p) => { if (at[p] >= 0) rows[t] = sh.start + at[p]; });
    return rows;
  },
}, import.meta.url);

/** Distances (or squared distances) from each row to every centre, into the per-row buffer `distances` (width k). */
export const distancesOp = defineOp<{ cent: Float32Array; k: number; squared: boolean }, null>({
  name: 'kmeans.distances',
  rows: (s) => ({ distances: { type: 'f32', width: s.k } }),
  run(sh, s) {
    distancesShard(sh, s.cent, s.k, s.squared, 'distances');
    return null;
  },
}, import.meta.url);
