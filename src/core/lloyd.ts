import { throwIfAborted } from '../util/errors.js';
import type { Executor } from '../parallel/executor.js';
import { assignCalls, partialSize, type AssignBuffers } from '../kernels/assign.js';
import { shardRanges, writeCentroids, type HeapMatrix } from '../kernels/layout.js';

export interface LloydOptions {
  maxIter: number;
  /** Absolute tolerance on the summed squared centre shift (scikit-learn's tol times the mean variance). */
  tolAbs: number;
  signal?: AbortSignal;
  onIteration?: (info: { iteration: number; inertia: number; shift: number; changed: number }) => void;
}

export interface LloydResult {
  centers: Float64Array;
  /** Labels are left in the heap at `labels`; the caller copies them out. */
  inertia: number;
  iterations: number;
  converged: boolean;
}

const f32 = Math.fround;

/** Centre drift, largest two drifts and half-separations for Hamerly's test, from the float32 centres the kernel sees. */
function hamerlyInputs(oldC: Float64Array, newC: Float64Array, k: number, d: number) {
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
  const half = new Float32Array(k);
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
    half[t] = k === 1 ? Infinity : 0.5 * Math.sqrt(best) * (1 - 1e-6);
  }
  return { drift, half, pmax: f32(pmax * (1 + 1e-6)), pmax2: f32(pmax2 * (1 + 1e-6)), pmaxIdx };
}

/**
 * Lloyd's algorithm with Hamerly's (2010) bounds: the same labels as plain Lloyd on the same kernel, but settled blocks
 * of rows skip the distance work. Cluster sums are updated with the deltas of changed labels, merged in shard order.
 * Mirrors scikit-learn's `_kmeans_single_lloyd`: strict convergence when no label changes, else centre shift <= tol,
 * and a final assignment with the final centres when it stopped for another reason.
 */
export async function lloyd(ex: Executor, m: HeapMatrix, init: Float64Array, k: number, labelsPtr: number, opt: LloydOptions): Promise<LloydResult> {
  const { heap } = ex;
  const d = m.d;
  const nShards = shardRanges(m.n).length;
  const ps = partialSize(k, d);
  const bytesK = Math.max(64, 4 * k);
  const cent = heap.alloc(4 * k * d), cnorm = heap.alloc(bytesK), drift = heap.alloc(bytesK), halfSep = heap.alloc(bytesK);
  const upper = heap.alloc(4 * m.stride), lower = heap.alloc(4 * m.stride);
  const partials = heap.alloc(8 * ps * nShards);
  try {
    heap.i32(labelsPtr, m.n).fill(-1);
    const sums = new Float64Array(k * d);
    const weight = new Float64Array(k);
    let centers = Float64Array.from(init);
    let full = true;
    let forced = false;
    let converged = false, strict = false;
    let iterations = 0;
    let bounds: ReturnType<typeof hamerlyInputs> | undefined;

    const pass = async (useBounds: boolean, dist = 0): Promise<number> => {
      writeCentroids(heap, cent, cnorm, centers, k, d);
      const b: AssignBuffers = { cent, cnorm, k, labels: labelsPtr, partials, upper, lower, dist };
      if (useBounds && bounds) {
        heap.f32(drift, k).set(bounds.drift);
        heap.f32(halfSep, k).set(bounds.half);
        Object.assign(b, { drift, halfSep, pmax: bounds.pmax, pmax2: bounds.pmax2, pmaxIdx: bounds.pmaxIdx });
      }
      heap.f64(partials, ps * nShards).fill(0);
      const changed = (await ex.run(assignCalls(m, b), opt.signal)).reduce((a, c) => a + c, 0);
      const p = heap.f64(partials, ps * nShards);
      for (let s = 0; s < nShards; s++) {
        const o = s * ps;
        for (let q = 0; q < k * d; q++) sums[q] += p[o + q];
        for (let t = 0; t < k; t++) weight[t] += p[o + k * d + t];
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
        await relocateEmpty(ex, m, k, labelsPtr, sums, weight, async (distPtr) => { await pass(false, distPtr); });
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
  } finally {
    for (const p of [partials, lower, upper, halfSep, drift, cnorm, cent]) heap.release(p);
  }
}

/** Sum of w |x - c_label|^2 from the sufficient statistics: sum w|x|^2 - 2 sum_j c_j . S_j + sum_j W_j |c_j|^2. */
function inertiaOf(m: HeapMatrix, centers: Float64Array, sums: Float64Array, weight: Float64Array, k: number, d: number): number {
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
  ex: Executor, m: HeapMatrix, k: number, labelsPtr: number,
  sums: Float64Array, weight: Float64Array, distancePass: (distPtr: number) => Promise<void>,
): Promise<void> {
  const { heap } = ex;
  const d = m.d;
  const empty: number[] = [];
  for (let t = 0; t < k; t++) if (weight[t] <= 0) empty.push(t);
  const distPtr = heap.alloc(4 * m.stride);
  try {
    // a full pass with the same centres reproduces the labels and writes each row's squared distance
    const saveSums = Float64Array.from(sums), saveWeight = Float64Array.from(weight);
    await distancePass(distPtr);
    sums.set(saveSums);
    weight.set(saveWeight);
    const dist = heap.f32(distPtr, m.n);
    const taken = new Set<number>();
    const labels = heap.i32(labelsPtr, m.n);
    const w = m.weights ? heap.f32(m.weights, m.n) : undefined;
    const x = heap.f32(m.ptr, m.stride * d);
    for (const to of empty) {
      let id = -1;
      for (let i = 0; i < m.n; i++) {
        if (taken.has(i) || (w && w[i] === 0)) continue;
        if (id < 0 || dist[i] > dist[id]) id = i;
      }
      taken.add(id);
      const from = labels[id];
      const wi = w ? w[id] : 1;
      for (let j = 0; j < d; j++) {
        const v = wi * x[j * m.stride + id];
        sums[from * d + j] -= v;
        sums[to * d + j] = v;
      }
      weight[from] -= wi;
      weight[to] = wi;
      labels[id] = to;
    }
  } finally {
    heap.release(distPtr);
  }
}
