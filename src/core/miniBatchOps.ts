// The shard ops of mini-batch k-means: gathering drawn rows from the shards that hold them, and running a run of
// mini-batch steps over consecutive batches of one shard (scikit-learn's `_mini_batch_step` and
// `_mini_batch_convergence`, plus Spark StreamingKMeans's decay). Steps are sequential: one shard, one holder.
import { batchAssigner } from '../kernels/batchAssign.js';
import { GATHER_ROWS, writeRowMajor } from '../kernels/rowMajor.js';
import { rowValues, shardColumn } from '../kernels/shard.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import { createRandom, hashUniform } from '../util/random.js';
import { log, powInt } from '../util/detMath.js';

/**
 * The values (column-major: feature j's at [j * count, (j + 1) * count)) and weights of this shard's rows among the
 * asked ones: `rows` holds every shard's rows, grouped by shard, and shard s's are rows[from[s]] to rows[from[s + 1]].
 */
export const gatherOp = defineOp<{ rows: Int32Array; from: Int32Array }, { values: Float32Array; weights?: Float32Array }>({
  name: 'miniBatch.gather',
  run(sh, s) {
    const mine = s.rows.subarray(s.from[sh.index], s.from[sh.index + 1]);
    const count = mine.length;
    // read the columns in row order (a counting sort of the rows), write each value to its place in the partial
    const tally = new Int32Array(sh.rows + 1);
    for (let q = 0; q < count; q++) tally[mine[q] - sh.start + 1]++;
    for (let i = 0; i < sh.rows; i++) tally[i + 1] += tally[i];
    const order = new Int32Array(count);
    for (let q = 0; q < count; q++) order[tally[mine[q] - sh.start]++] = q;
    const values = new Float32Array(count * sh.d);
    for (let j = 0; j < sh.d; j++) {
      const c = shardColumn(sh, j), base = j * count;
      for (let t = 0; t < count; t++) {
        const q = order[t];
        values[base + q] = c[mine[q] - sh.start];
      }
    }
    if (!sh.buffers.has('weights')) return { values };
    const w = rowValues(sh, 'weights', 'f32');
    return { values, weights: Float32Array.from(mine, (r) => w[r - sh.start]) };
  },
}, import.meta.url);

/**
 * Writes a row-major copy of the rows (a float32 row of d values each), which `Executor.gather` then reads drawn rows
 * from; true where the shard got one (the buffer is optional: without room the gathers read the columns).
 */
export const rowMajorOp = defineOp<{ d: number }, boolean>({
  name: 'miniBatch.rowMajor',
  extraKernels: true,
  rows: (s) => ({ [GATHER_ROWS]: { type: 'f32', width: s.d, unfilled: true, optional: true } }),
  run: (sh) => writeRowMajor(sh),
}, import.meta.url);

export interface StepsState {
  k: number;
  /** k x d centres (stored coordinates) and the weight each has absorbed (scikit-learn's _counts). */
  cent: Float64Array;
  counts: Float64Array;
  /** Rows per step; the last step of the shard may be shorter. */
  batch: number;
  /** Steps to run (at most the shard's rows / batch, rounded up). */
  steps: number;
  /** Seed and number of the first step: each step's reassignment draws from (seed, step number). */
  seed: number;
  step0: number;
  reassignmentRatio: number;
  /** scikit-learn's _n_since_last_reassign and the batch size it counts in. */
  nSince: number;
  batchSize: number;
  /** Counts are multiplied by decay (per step) or decay^rows (per row) before each update; 1: no forgetting. */
  decay: number;
  decayPerRow: boolean;
  /** Early stopping (fit only): scikit-learn's EWA of the batch inertia, NaN before the first. */
  convergence: boolean;
  nSamples: number;
  maxNoImprovement: number;
  tolAbs: number;
  ewa: number;
  ewaMin: number;
  noImprovement: number;
}

export interface StepsResult {
  cent: Float64Array;
  counts: Float64Array;
  nSince: number;
  /** Steps taken. */
  done: number;
  stopped: boolean;
  ewa: number;
  ewaMin: number;
  noImprovement: number;
  /** Each step's batch inertia (before its update). */
  inertia: Float64Array;
}

const LABELS: RowSpec = { type: 'i32', fill: -1 };
const DIST: RowSpec = { type: 'f32' };

/** A per-step seed: the same for a step whether it runs in a fit, a partialFit or after a reload. */
export const stepSeed = (seed: number, step: number): number => Math.floor(hashUniform(seed, 0x5eed, step) * 0x7fffffff);

export const stepsOp = defineOp<StepsState, StepsResult>({
  name: 'miniBatch.steps',
  rows: () => ({ labels: LABELS, dist: DIST }),
  scratchBytes: (s, d) => 4 * (s.k * d + s.k) + 8 * (s.k * d + s.k) + 256,
  run(sh, s) {
    const { k } = s;
    const d = sh.d;
    const cent = Float64Array.from(s.cent), counts = Float64Array.from(s.counts);
    const assigner = batchAssigner(sh, k, 'labels', 'dist');
    const dist = rowValues(sh, 'dist', 'f32');
    const w = sh.buffers.has('weights') ? rowValues(sh, 'weights', 'f32') : undefined;
    const cols = Array.from({ length: d }, (_, j) => shardColumn(sh, j));
    const inertia = new Float64Array(s.steps);
    let { nSince, ewa, ewaMin, noImprovement } = s;
    let done = 0, stopped = false;
    for (let t = 0; t < s.steps && !stopped; t++) {
      const r0 = t * s.batch, r1 = Math.min(sh.rows, r0 + s.batch);
      if (r0 >= r1) break;
      const step = s.step0 + t;
      // scikit-learn's _random_reassign, decided before the step: an empty centre, or 10 k rows since the last
      nSince += s.batchSize;
      let reassign = false;
      if (counts.some((c) => c === 0) || nSince >= 10 * k) {
        nSince = 0;
        reassign = true;
      }
      const sums = assigner.run(cent, r0, r1);
      const bi = batchInertia(dist, w, r0, r1);
      inertia[t] = bi;
      const old = s.convergence && s.tolAbs > 0 ? Float64Array.from(cent) : undefined;
      if (s.decay !== 1) {
        const f = s.decayPerRow ? powInt(s.decay, r1 - r0) : s.decay;
        for (let c = 0; c < k; c++) counts[c] *= f;
      }
      moveCentres(cent, counts, sums, k, d);
      if (reassign && s.reassignmentRatio > 0) reassignSmall(cent, counts, k, d, cols, w, r0, r1, s.reassignmentRatio, stepSeed(s.seed, step));
      done++;
      if (s.convergence) {
        // scikit-learn's _mini_batch_convergence: the first step's inertia belongs to the initialisation
        if (step === 0) continue;
        const b = bi / s.batchSize;
        if (Number.isNaN(ewa)) ewa = b;
        else {
          const alpha = Math.min(1, (s.batchSize * 2) / (s.nSamples + 1));
          ewa = ewa * (1 - alpha) + b * alpha;
        }
        if (old) {
          let diff = 0;
          for (let q = 0; q < cent.length; q++) diff += (cent[q] - old[q]) ** 2;
          if (diff <= s.tolAbs) { stopped = true; continue; }
        }
        if (Number.isNaN(ewaMin) || ewa < ewaMin) {
          noImprovement = 0;
          ewaMin = ewa;
        } else noImprovement++;
        if (s.maxNoImprovement > 0 && noImprovement >= s.maxNoImprovement) stopped = true;
      }
    }
    return { cent, counts, nSince, done, stopped, ewa, ewaMin, noImprovement, inertia: inertia.subarray(0, done).slice() };
  },
}, import.meta.url);

// The loops of a step live in small functions of their own: called once a step, they are optimised within the first
// steps of a fit, where the same loops inside the long-running step function ran unoptimised for over a thousand.

/** The batch's inertia: its rows' (weighted) squared distances summed in row order. */
function batchInertia(dist: Float32Array, w: Float32Array | undefined, r0: number, r1: number): number {
  let bi = 0;
  if (w) for (let i = r0; i < r1; i++) bi += w[i] * dist[i];
  else for (let i = r0; i < r1; i++) bi += dist[i];
  return bi;
}

/** c <- (c * count + sum) / (count + batch weight), as scikit-learn's _minibatch_update_dense. */
function moveCentres(cent: Float64Array, counts: Float64Array, sums: Float64Array, k: number, d: number): void {
  for (let c = 0; c < k; c++) {
    const ws = sums[k * d + c];
    if (!(ws > 0)) continue;
    const total = counts[c] + ws;
    const alpha = 1 / total;
    for (let j = 0; j < d; j++) cent[c * d + j] = (cent[c * d + j] * counts[c] + sums[c * d + j]) * alpha;
    counts[c] = total;
  }
}

/**
 * Centres whose count fell below ratio x the largest move to rows of the batch (at most half the batch, the smallest
 * counts first), and take the smallest remaining count. Rows are drawn as scikit-learn draws them, with probability
 * proportional to their sample weight (a row of weight 0 never becomes a centre). Unlike scikit-learn, the rows are
 * distinct from each other and from every centre, so the k centres stay distinct.
 */
function reassignSmall(cent: Float64Array, counts: Float64Array, k: number, d: number, cols: (Float32Array | Float64Array)[], w: Float32Array | undefined, r0: number, r1: number, ratio: number, seed: number): void {
  let max = 0;
  for (let c = 0; c < k; c++) max = Math.max(max, counts[c]);
  let small: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] < ratio * max) small.push(c);
  if (small.length === 0) return;
  const limit = Math.floor(0.5 * (r1 - r0));
  if (small.length > limit) small = small.sort((a, b) => counts[a] - counts[b] || a - b).slice(0, limit);
  const keep: number[] = [];
  for (let c = 0; c < k; c++) if (!small.includes(c)) keep.push(c);
  const key = (vals: ArrayLike<number>) => Array.prototype.join.call(vals, ',');
  // the kernels see float32 centres: new ones must differ from every current one there
  const taken = new Set<string>();
  for (let c = 0; c < k; c++) taken.add(key(Array.from({ length: d }, (_, j) => Math.fround(cent[c * d + j]))));
  // a seeded shuffle of the batch rows; the first distinct ones become the new centres. With weights, a weighted one
  // (Efraimidis and Spirakis 2006: each row's key ln(u) / w, largest first, draws rows in turn with probability
  // proportional to their weight, without replacement); rows of weight 0 are left out
  const rng = createRandom(seed);
  let order = Array.from({ length: r1 - r0 }, (_, q) => r0 + q);
  if (w) {
    const keys = new Float64Array(r1 - r0);
    for (let q = 0; q < keys.length; q++) keys[q] = log(1 - rng.next()) / w[r0 + q];
    order = order.filter((i) => w[i] > 0).sort((a, b) => keys[b - r0] - keys[a - r0] || a - b);
  }
  const moved: number[] = [];
  for (let q = 0; q < order.length && moved.length < small.length; q++) {
    if (!w) {
      const pick = q + rng.int(order.length - q);
      [order[q], order[pick]] = [order[pick], order[q]];
    }
    const row = Array.from({ length: d }, (_, j) => cols[j][order[q]]);
    const kk = key(row);
    if (taken.has(kk)) continue;
    taken.add(kk);
    const c = small[moved.length];
    for (let j = 0; j < d; j++) cent[c * d + j] = row[j];
    moved.push(c);
  }
  if (keep.length === 0) return;
  let least = Infinity;
  for (const c of keep) least = Math.min(least, counts[c]);
  for (const c of moved) counts[c] = least;
}
