import { throwIfAborted } from '../util/errors.js';
import { centresF32 } from '../kernels/shard.js';
import type { HamerlyBounds } from '../kernels/assign.js';
import type { Matrix } from '../engine/matrix.js';
import { assignOp, farthestOp, setLabelsOp, type AssignState } from './kmeansOps.js';

export interface LloydOptions {
  maxIter: number;
  /** Absolute tolerance on the summed squared centre shift (scikit-learn's tol times the mean variance). */
  tolAbs: number;
  signal?: AbortSignal;
  onIteration?: (info: { iteration: number; inertia: number; shift: number; changed: number }) => void;
}

export interface LloydResult {
  centers: Float64Array;
  /** Labels stay with the shards (per-row `labels`); the caller reads them when it keeps this run. */
  inertia: number;
  iterations: number;
  converged: boolean;
}

const f32 = Math.fround;

/** Centre drift, largest two drifts and half-separations for Hamerly's test, from the float32 centres the kernel sees. */
function hamerlyInputs(oldC: Float64Array, newC: Float64Array, k: number, d: number): HamerlyBounds {
  const drift = new Float32Array(k);
  let pmax = 0, pmax2 = 0, pmaxIdx = -1;
  for (let t = 0; t < k; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = f32(newC[t * d + j]) - f32(oldC[t * d + j]);
      s += v * v;
    }
    const p = Math.sqrt(s) * (1 + 1e-6) + 1e-30;
    drift[t] = p;
    if (p > pmax) { pmax2 = pmax; pmax = p; pmaxIdx = t; } else if (p > pmax2) pmax2 = p;
  }
  const halfSep = new Float32Array(k);
  for (let t = 0; t < k; t++) {
    let best = Infinity;
    for (let u = 0; u < k; u++) {
      if (u === t) continue;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = f32(newC[t * d + j]) - f32(newC[u * d + j]);
        s += v * v;
      }
      best = Math.min(best, s);
    }
    halfSep[t] = k === 1 ? Infinity : 0.5 * Math.sqrt(best) * (1 - 1e-6);
  }
  return { drift, halfSep, pmax: f32(pmax * (1 + 1e-6)), pmax2: f32(pmax2 * (1 + 1e-6)), pmaxIdx };
}

/**
 * Lloyd's algorithm with Hamerly's (2010) bounds: the same labels as plain Lloyd on the same kernel, but settled blocks
 * of rows skip the distance work. Cluster sums are updated with the deltas of changed labels, merged in shard order.
 * Mirrors scikit-learn's `_kmeans_single_lloyd`: strict convergence when no label changes, else centre shift <= tol,
 * and a final assignment with the final centres when it stopped for another reason.
 */
export async function lloyd(m: Matrix, init: Float64Array, k: number, opt: LloydOptions): Promise<LloydResult> {
  const { ex, handle, d } = m;
  const sums = new Float64Array(k * d);
  const weight = new Float64Array(k);
  let centers = Float64Array.from(init);
  let full = true;
  let forced = false;
  let converged = false, strict = false;
  let iterations = 0;
  let bounds: HamerlyBounds | undefined;
  let reset = true;

  const pass = async (useBounds: boolean, dist = false): Promise<number> => {
    const { cent, norms } = centresF32(centers, k, d);
    const state: AssignState = { cent, norms, k, reset, sums: true, track: true, dist, bounds: useBounds ? bounds : undefined };
    reset = false;
    const parts = await ex.map(assignOp, handle, state, { signal: opt.signal });
    let changed = 0;
    for (const p of parts) {
      changed += p.changed;
      const q = p.deltas!;
      for (let i = 0; i < k * d; i++) sums[i] += q[i];
      for (let t = 0; t < k; t++) weight[t] += q[k * d + t];
    }
    return changed;
  };

  for (let it = 1; it <= opt.maxIter; it++) {
    throwIfAborted(opt.signal);
    iterations = it;
    const changed = await pass(!full);
    full = false;
    const inertia = inertiaOf(m, centers, sums, weight, k, d);
    if (weight.some((w) => w <= 0)) {
      await relocateEmpty(m, k, sums, weight, async () => { await pass(false, true); }, opt.signal);
      full = true;
      forced = true;
    } else if (forced) {
      forced = false;
    }
    const next = new Float64Array(k * d);
    for (let t = 0; t < k; t++) for (let j = 0; j < d; j++) next[t * d + j] = sums[t * d + j] / weight[t];
    let shift = 0;
    for (let q = 0; q < k * d; q++) shift += (next[q] - centers[q]) ** 2;
    bounds = full ? undefined : hamerlyInputs(centers, next, k, d);
    centers = next;
    opt.onIteration?.({ iteration: it, inertia, shift, changed });
    if (changed === 0 && !forced) { strict = true; converged = true; break; }
    if (shift <= opt.tolAbs) { converged = true; break; }
  }
  if (!strict) await pass(!full && !!bounds);
  return { centers, inertia: inertiaOf(m, centers, sums, weight, k, d), iterations, converged };
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
