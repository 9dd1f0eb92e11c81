import { throwIfAborted } from '../util/errors.js';
import { centresF32 } from '../kernels/shard.js';
import { ROW_MAJOR_ROWS } from '../kernels/assignBounded.js';
import type { Matrix } from '../engine/matrix.js';
import { sumNumbers } from '../engine/merge.js';
import { assignOp, boundedAssignOp, farthestOp, labelledSquaresOp, setLabelsOp, type AssignPartial, type BoundedState } from './kmeansOps.js';

export interface LloydOptions {
  maxIter: number;
  /** Absolute tolerance on the summed squared centre shift (scikit-learn's tol times the mean variance). */
  tolAbs: number;
  /**
   * Skip what bounds prove: by default from PLAIN_BELOW products per pass; true at any size; false measures every
   * centre for every row in every pass.
   */
  bounds?: boolean;
  /**
   * Bounded passes start after the first pass that changed at most this share of the labels (default 0.005; 1 starts
   * them at the second pass). Until the centres settle the bounds prune little, and the pass that starts them computes
   * every distance and writes every bound: plain passes are cheaper there.
   */
  boundsAfter?: number;
  /**
   * A bounded pass (not the one that starts the bounds) that computes more than this share of the distances ends the
   * bounded passes for the rest of the fit (default 0.3; 1 keeps them). Given, it is the only rule that ends them;
   * by default DEARER_PASSES dear bounded passes in a row end them too (see BOUNDS_WORTH).
   */
  boundsGiveUp?: number;
  /**
   * The partials of the first pass (`assignOp` from `init`'s float32 centres, reset, with sums, no distances), where
   * it already ran (fused with the load): the fit takes them in place of running it.
   */
  first?: AssignPartial[];
  signal?: AbortSignal;
  /**
   * Milliseconds, for deciding whether bounded passes pay (default performance.now, else Date.now). The fit never
   * depends on it; which passes are bounded (onIteration's `computed` and `touched`) does.
   */
  clock?: () => number;
  /** `computed`: share of row-centre distances computed (in units of 4 centres); `touched`: share of rows the bounds did not settle. */
  onIteration?: (info: { iteration: number; inertia: number; shift: number; changed: number; computed: number; touched: number }) => void;
}

export interface LloydResult {
  centers: Float64Array;
  /** Labels stay with the shards (per-row `labels`); the caller reads them when it keeps this run. */
  inertia: number;
  iterations: number;
  converged: boolean;
  /** Weight of each cluster's final labels. */
  weight: Float64Array;
}

/**
 * Share of changed labels at or below which bounded passes start. Measured with bench/engine.bench.mjs on 1M x 16
 * blobs at k = 8 and 32, 250k x 64 and the skewed set: starting at the second pass made short fits slower than plain
 * Lloyd (173 against 103 ms for a 7-iteration fit), starting once at most 0.4 to 1% of the labels change was fastest
 * on all four.
 */
const BOUNDS_AFTER = 0.005;

/**
 * Share of distances computed above which the bounds are given up for the rest of the fit. A bounded pass costs about
 * the data's scan plus the computed share's distances at several times a plain pass's cost each (measured on
 * bench/blobs.mjs's 1M x 16, k = 8, from centres that move far late in the fit: 5 ms at 1%, 13 ms at 10%, 29-41 ms at
 * 50%, against 8-10 ms plain);
 * once centres move far enough to leave this share open, the passes that follow prune little too.
 */
const BOUNDS_GIVE_UP = 0.3;

/**
 * When bounded passes stop paying: DEARER_PASSES in a row, each computing more than k d / BOUNDS_WORTH of the distances
 * and taking longer than a plain pass (the lower median of the last three before the bounds started, the first pass
 * left out), end them. A plain pass costs in proportion to k d a row, a bounded one a scan of the bounds plus its
 * computed share at a few times a plain distance's cost, but where they meet depends on the data too. Per-iteration
 * times of fits from fixed centres (2 threads), plain against bounded by share computed: skewed 1M x 16, k = 8, 6 to 7
 * ms plain, bounded mostly 5.2 to 6.2 ms at 2-3%, 9.5 to 13.4 ms at 5-10%; k = 16, 10.5 ms plain, bounded 9.5 ms at 2%,
 * 13.6 at 5%, 15 to 21 at 7-10%; blobs 1M x 16, k = 32, 20 ms plain, bounded 6 to 11 ms at 1%, 18 at 6%, 24 to 36 at
 * 12-22%; blobs 500k x 24, k = 8, 5.6 to 7 ms plain, bounded 3.8 to 6.1 ms at 3-6%. On the skewed sets the bounded
 * passes stay dear pass after pass; on blobs they pass through a dear pass or two and drop back. Either test alone gave
 * up too soon: the share on blobs 500k x 24, the time on skewed 1M x 16, k = 12 (bounded passes at 2%, as long as plain
 * ones before they fell to 4 ms). Only the way is timed: a bounded pass gives the labels and sums a plain one gives,
 * bit for bit, so the fit is the same whichever way it goes.
 */
const BOUNDS_WORTH = 5000;
const DEARER_PASSES = 3;

/**
 * Features from which the bounded passes keep a row-major copy of the rows (written by the pass that starts the
 * bounds, a batch at a time as it reads them), so a row the bounds leave open is read from a few adjacent cache lines
 * instead of one line per feature, and one bound per unit of 4 centres. It costs the data's size again, the bounds
 * little. Measured with `node bench/fitAB.mjs` (2 threads, the same fits, against the build with neither): 250k x 64,
 * k = 8, the fit 306 -> 242 ms (bounded passes 152 -> 94); k = 32, 697 -> 487 ms; 500k x 32, k = 8, 375 -> 289 ms;
 * k = 32, 837 -> 666 ms. With the copy, a bound per centre (Elkan) kept the bounded passes at 94 to 107 ms at
 * 250k x 64, k = 8 and 242 to 334 ms at k = 32. At 1M x 16 the copy gained 2% or less (skewed set, and blobs at
 * k = 32), so it starts at 32 features.
 */
const ROW_MAJOR_FROM = 32;

/**
 * Row-centre-feature products per pass below which every pass is plain: there a pass costs about 0.1 ms, and the
 * pass that starts the bounds, with the bookkeeping of the bounded ones, costs more than they save. Measured
 * (bench/blobs.mjs, seeds 0-59, k-means++, 2 threads): 20k x 8, k = 5, 2.90 -> 2.41 ms a fit; 30k x 8, k = 5,
 * 3.91 -> 3.26; 20k x 8, k = 8, 4.49 -> 4.05; but 10k x 8, k = 10 (15 iterations) 3.32 -> 3.56, and from 2M
 * products (50k x 8, k = 5) the bounds win (6.02 against 6.57).
 */
const PLAIN_BELOW = 1.5e6;

/** Stamps the bounds' tables cover; a settled row older than half of it takes the current stamp. */
const WINDOW = 32;

/**
 * How the bounded kernel holds k centres of d features: units of 4 slots (each centre with its nearest unplaced
 * centres, so a unit's centres are cleared or computed together), and centres per lower bound. Measured on blobs and
 * on skewed customer-like data (bench/pruning.mjs), one bound per centre (Elkan) computes the fewest units, but each
 * row a bounded pass opens then moves and rewrites a bound per centre: a bound per 2 centres was faster wherever the
 * planner had chosen one per centre (bench/fitAB.mjs, 2 threads, medians of 5 to 7 rounds, bounded passes: skewed
 * 1M x 16, k = 8, 430 -> 362 ms, the whole fit 632 -> 565; blobs 500k x 24, k = 8, 138 -> 114; skewed 1M x 16,
 * k = 4, 16.9 -> 15.0). Sets of 2, 4, ... centres (Yinyang) keep the bounds within half the data's size. From
 * ROW_MAJOR_FROM features, with the row-major copy, one bound per unit. Undefined (plain passes) below d = 6, where
 * the bounds would outweigh the data and a distance costs little.
 */
export function planBounds(
  init: Float64Array, k: number, d: number, setSize?: number,
): { units: number; setSize: number; sets: number; orig: Int32Array; slotOf: Int32Array; rowMajor: boolean } | undefined {
  const units = Math.ceil(k / 4);
  const rowMajor = d >= ROW_MAJOR_FROM;
  if (setSize === undefined) {
    if (d < 6) return undefined;
    if (rowMajor) {
      // with the copy an open unit costs little to compute: one bound per unit of 4 centres, far fewer bounds to move
      setSize = 4;
    } else {
      const maxSets = Math.max(1, Math.floor(d / 2));
      setSize = 2;
      while (Math.ceil((units * 4) / setSize) > maxSets && setSize < units * 4) setSize *= 2;
    }
  }
  const orig = new Int32Array(units * 4).fill(0x7fffffff);
  const slotOf = new Int32Array(k);
  const placed = new Uint8Array(k);
  const dist2 = (a: number, b: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (init[a * d + j] - init[b * d + j]) ** 2;
    return s;
  };
  let slot = 0;
  for (let c = 0; c < k; c++) {
    if (placed[c]) continue;
    const rest: number[] = [];
    for (let o = 0; o < k; o++) if (!placed[o] && o !== c) rest.push(o);
    rest.sort((a, b) => dist2(c, a) - dist2(c, b) || a - b);
    for (const o of [c, ...rest.slice(0, 3)]) {
      placed[o] = 1;
      orig[slot] = o;
      slotOf[o] = slot++;
    }
    slot = Math.ceil(slot / 4) * 4;
  }
  return { units, setSize, sets: Math.ceil((units * 4) / setSize), orig, slotOf, rowMajor };
}

/** Euclidean distance between rows a of A and b of B (k x d, float64 arithmetic on float32 values). */
function gap(A: Float32Array, a: number, B: Float32Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const v = A[a * d + j] - B[b * d + j];
    s += v * v;
  }
  return Math.sqrt(s);
}

// Inflation of distances between float32 centres computed in float64, beyond the float32 rounding of the result.
const UP = 1 + 1e-6, DOWN = 1 - 1e-6;

export type BoundsPlan = NonNullable<ReturnType<typeof planBounds>>;

/**
 * The bounded kernel's input for one pass: centres in units, and the tables that move each row's bounds from the
 * pass that stamped them (`history`: float32 centres by stamp, from `base` on) to this pass (`now`).
 */
export function boundedState(
  p: BoundsPlan, k: number, d: number, cent: Float32Array, norms: Float32Array, history: ReadonlyMap<number, Float32Array>,
  at: { now: number; base: number; force: boolean; reset: boolean },
): BoundedState {
  const { now, base } = at;
  const span = now - base;
  const pr = new Float32Array(Math.max(1, span * k * 2)), qt = new Float32Array(Math.max(1, span * p.sets));
  const disp = new Float64Array(k);
  for (let tau = base; tau < now; tau++) {
    const old = history.get(tau)!;
    let m1 = 0, m2 = 0, top = -1;
    for (let c = 0; c < k; c++) {
      disp[c] = gap(cent, c, old, c, d) * UP;
      if (disp[c] > m1) { m2 = m1; m1 = disp[c]; top = c; } else if (disp[c] > m2) m2 = disp[c];
    }
    const row = (tau - base) * k;
    for (let c = 0; c < k; c++) {
      pr[2 * (row + c)] = disp[c];
      pr[2 * (row + c) + 1] = c === top ? m2 : m1;
    }
    for (let slot = 0; slot < p.units * 4; slot++) {
      const c = p.orig[slot];
      if (c >= k) continue;
      const q = (tau - base) * p.sets + Math.floor(slot / p.setSize);
      qt[q] = Math.max(qt[q], disp[c]);
    }
  }
  const half = new Float32Array(k).fill(Infinity);
  for (let c = 0; c < k; c++) for (let o = 0; o < k; o++) if (o !== c) half[c] = Math.min(half[c], 0.5 * gap(cent, c, cent, o, d) * DOWN);
  const cu = new Float32Array(p.units * 4 * d), slotNorms = new Float32Array(p.units * 4).fill(Infinity);
  for (let slot = 0; slot < p.units * 4; slot++) {
    const c = p.orig[slot];
    if (c >= k) continue;
    const g = slot >> 2, lane = slot & 3;
    for (let j = 0; j < d; j++) cu[(g * d + j) * 4 + lane] = cent[c * d + j];
    slotNorms[slot] = norms[c];
  }
  return {
    k, d, rowMajor: p.rowMajor, units: p.units, setSize: p.setSize, sets: p.sets, cu, norms: slotNorms, orig: p.orig, slotOf: p.slotOf,
    pr, qt, half, base, now, refresh: now - WINDOW / 2, force: at.force, slack: slackOf(d), sums: true, reset: at.reset,
  };
}

/** Rounding slack of the kernels' squared distances, relative to ||x||^2 + max ||c||^2: a few times d float32 roundings. */
export const slackOf = (d: number): number => (8 * d + 32) * 2 ** -24;

/**
 * Lloyd's algorithm, skipping with bounds what cannot change (see `assembly/assignBounded.ts`): the same labels as
 * plain Lloyd on the same kernel, bit for bit. Cluster sums are updated with the deltas of changed labels, merged in
 * shard order. Mirrors scikit-learn's `_kmeans_single_lloyd`: strict convergence when no label changes, else centre
 * shift <= tol, and a final assignment with the final centres when it stopped for another reason.
 */
export async function lloyd(m: Matrix, init: Float64Array, k: number, opt: LloydOptions): Promise<LloydResult> {
  const { ex, handle, d } = m;
  const sums = new Float64Array(k * d);
  const weight = new Float64Array(k);
  let centers = Float64Array.from(init);
  let forced = false;
  let converged = false, strict = false;
  let iterations = 0;
  const plan = opt.bounds === false || (opt.bounds === undefined && m.n * k * d < PLAIN_BELOW) ? undefined : planBounds(init, k, d);
  // the float32 centres of recent passes, by stamp: bounds computed at a stamp move by the displacement since
  const history = new Map<number, Float32Array>();
  let now = 0, forceAt = 0;
  let force = true, reset = true;
  let first = opt.first;
  // plain passes until the labels settle (a deterministic rule: the changed count is the same on every executor)
  const boundsAfter = opt.boundsAfter ?? BOUNDS_AFTER;
  let bounded = false;

  // one assignment pass with the current centres: the labels' changes go into sums and weight. The last pass is
  // plain when the bounds would have to start there (starting them costs about three plain passes; nothing follows)
  const pass = async (dist = false, last = false): Promise<{ changed: number; computed: number; touched: number }> => {
    const { cent, norms } = centresF32(centers, k, d);
    let changed = 0, computed = 1, touched = 1;
    const fold = (q: Float64Array): void => {
      for (let i = 0; i < k * d; i++) sums[i] += q[i];
      for (let t = 0; t < k; t++) weight[t] += q[k * d + t];
    };
    if (!plan || dist || !bounded || (last && force)) {
      const parts = reset && !dist && first ? first : await ex.map(assignOp, handle, { cent, norms, k, reset, sums: true, dist }, { signal: opt.signal });
      first = undefined;
      for (const p of parts) { changed += p.changed; fold(p.deltas!); }
      // the labels are right but no bound was kept: the next bounded pass starts the bounds over
      force = true;
    } else {
      const base = force ? now : Math.max(forceAt, now - WINDOW);
      const state = boundedState(plan, k, d, cent, norms, history, { now, base, force, reset });
      const parts = await ex.map(boundedAssignOp, handle, state, { signal: opt.signal });
      let units = 0, rows = 0;
      for (const p of parts) { changed += p.changed; units += p.units; rows += p.touched; fold(p.deltas!); }
      computed = units / (m.n * plan.units);
      touched = rows / m.n;
      history.set(now, cent);
      history.delete(now - WINDOW);
      if (force) { forceAt = now; force = false; }
      now++;
    }
    reset = false;
    return { changed, computed, touched };
  };

  try {
    let givenUp = false;
    // the last plain passes' times, and dear bounded passes in a row (see BOUNDS_WORTH)
    const plainMs: number[] = [];
    const worth = (k * d) / BOUNDS_WORTH;
    const clock = opt.clock ?? wallClock;
    let dearer = 0;
    for (let it = 1; it <= opt.maxIter; it++) {
      throwIfAborted(opt.signal);
      iterations = it;
      const starting = bounded && force;
      // only a fit that can bound its passes reads the clock
      const started = plan ? clock() : 0;
      const { changed, computed, touched } = await pass();
      const ms = plan ? clock() - started : 0;
      // plain passes until the labels settle; bounded ones until a pass (not the one that starts them) computes too much
      // the first pass (every row's values into the sums, first use of the label columns) is no plain pass's measure
      if (!bounded) {
        if (it > 1) plainMs.push(ms);
        if (plainMs.length > 3) plainMs.shift();
      } else if (starting) dearer = 0;
      else if (opt.boundsGiveUp === undefined) dearer = plainMs.length > 0 && computed > worth && ms > lowerMedian(plainMs) ? dearer + 1 : 0;
      if (bounded && !starting && (computed > (opt.boundsGiveUp ?? BOUNDS_GIVE_UP) || dearer >= DEARER_PASSES)) {
        bounded = false;
        givenUp = true;
        // plain passes read the columns: the row-major copy can go now
        if (plan?.rowMajor && ex.dropRows) await ex.dropRows(handle, ROW_MAJOR_ROWS).catch(() => undefined);
      }
      else if (plan && !bounded && !givenUp && changed <= boundsAfter * m.n) bounded = true;
      const inertia = inertiaOf(m, centers, sums, weight, k, d);
      if (weight.some((w) => w <= 0)) {
        await relocateEmpty(m, k, sums, weight, async () => { await pass(true); }, opt.signal);
        force = true;
        forced = true;
      } else if (forced) {
        forced = false;
      }
      const next = new Float64Array(k * d);
      // a cluster that gave its only row to an empty one has no weight: its centre is its remaining sums (about the
      // column means), as scikit-learn's _average_centers leaves it, never 0 / 0
      for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) next[t * d + j] = weight[t] > 0 ? sums[t * d + j] / weight[t] : sums[t * d + j];
      let shift = 0;
      for (let q = 0; q < k * d; q++) shift += (next[q] - centers[q]) ** 2;
      centers = next;
      opt.onIteration?.({ iteration: it, inertia, shift, changed, computed, touched });
      if (changed === 0 && !forced) { strict = true; converged = true; break; }
      if (shift <= opt.tolAbs) { converged = true; break; }
    }
    if (!strict) await pass(false, true);
  } finally {
    // the row-major copy is the data's size again: it goes with the fit (executors without dropRows keep it until
    // the data is released)
    if (plan?.rowMajor && ex.dropRows) await ex.dropRows(handle, ROW_MAJOR_ROWS).catch(() => undefined);
  }
  return { centers, inertia: await exactInertia(m, centers, inertiaOf(m, centers, sums, weight, k, d), opt.signal), iterations, converged, weight };
}

/** The middle value (the lower one of an even count). */
function lowerMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1];
}

/** Milliseconds, where the realm has a clock (a bare ECMAScript realm has no `performance`). */
const wallClock = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * The inertia from the sufficient statistics keeps about 16 - log10(sum w|x|^2 / inertia) digits: when that leaves
 * fewer than 10 (clusters a million times tighter than the data's spread, or a row weighing 1e16), a pass sums it row
 * by row instead (float64 from the stored values). Labels must be those of `centers`.
 */
export async function exactInertia(m: Matrix, centers: Float64Array, fromSums: number, signal?: AbortSignal): Promise<number> {
  if (fromSums * 1e6 >= m.sumSquares) return fromSums;
  return sumNumbers(await m.ex.map(labelledSquaresOp, m.handle, { centres: centers }, { signal }));
}

/** Sum of w |x - c_label|^2 from the sufficient statistics: sum w|x|^2 - 2 sum_j c_j . S_j + sum_j W_j |c_j|^2. */
function inertiaOf(m: Matrix, centers: Float64Array, sums: Float64Array, weight: Float64Array, k: number, d: number): number {
  let s = m.sumSquares;
  for (let t = 0; t < k; t++) {
    let dot = 0, nrm = 0;
    for (let j = 0; j < d; j++) {
      const c = centers[t * d + j];
      dot += c * sums[t * d + j];
      nrm += c * c;
    }
    s += weight[t] * nrm - 2 * dot;
  }
  return Math.max(0, s);
}

/**
 * Empty clusters take the rows farthest from their centres (scikit-learn's `_relocate_empty_clusters_dense`);
 * ties go to the lower row index, so the choice is deterministic. The moved rows' labels follow their sums.
 */
async function relocateEmpty(
  m: Matrix, k: number, sums: Float64Array, weight: Float64Array, distancePass: () => Promise<void>, signal?: AbortSignal,
): Promise<void> {
  const { ex, handle, d } = m;
  const empty: number[] = [];
  for (let t = 0; t < k; t++) if (weight[t] <= 0) empty.push(t);
  // a full pass with the same centres reproduces the labels and writes each row's squared distance
  const saveSums = Float64Array.from(sums), saveWeight = Float64Array.from(weight);
  await distancePass();
  sums.set(saveSums);
  weight.set(saveWeight);
  const width = 3 + d;
  const found = (await ex.map(farthestOp, handle, { m: empty.length }, { signal })).flatMap((p) =>
    Array.from({ length: p.length / width }, (_, q) => p.subarray(q * width, (q + 1) * width)));
  // the shards' own top lists, merged: farthest first, then lower row
  found.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const rows = new Int32Array(empty.length), labels = new Int32Array(empty.length);
  empty.forEach((to, q) => {
    const r = found[q];
    const id = r[1], from = r[2];
    const wi = m.weights ? m.weights[id] : 1;
    for (let j = 0; j < d; j++) {
      const v = wi * r[3 + j];
      sums[from * d + j] -= v;
      sums[to * d + j] = v;
    }
    weight[from] -= wi;
    weight[to] = wi;
    rows[q] = id;
    labels[q] = to;
  });
  await ex.map(setLabelsOp, handle, { rows, labels }, { signal });
}
