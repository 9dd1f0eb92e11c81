// Scalar TypeScript twins of the wasm kernels: plain loops, float32 rounding where the kernel rounds,
// the same operation order, so results can be compared bit for bit (or to float64 rounding where noted).
const f = Math.fround;

/** Twin of assign (full pass): nearest centroid and squared distance via ||c||^2 - 2 x.c in float32. */
export function assignTwin(cols: Float32Array[], n: number, cent: Float32Array, k: number) {
  const d = cols.length;
  const cnorm = new Float32Array(k);
  for (let t = 0; t < k; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s = f(s + f(cent[t * d + j] * cent[t * d + j]));
    cnorm[t] = s;
  }
  const labels = new Int32Array(n), dist = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let b1 = Infinity, lab = 0;
    for (let t = 0; t < k; t++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc = f(acc + f(cols[j][i] * cent[t * d + j]));
      const dd = f(cnorm[t] - f(acc + acc));
      if (dd < b1) { b1 = dd; lab = t; }
    }
    let xn = 0;
    for (let j = 0; j < d; j++) xn = f(xn + f(cols[j][i] * cols[j][i]));
    labels[i] = lab;
    dist[i] = Math.max(f(xn + b1), 0);
  }
  return { labels, dist };
}

/** Twin of accumulate: per-cluster weighted sums (k*d) and weights (k), float64. */
export function accumulateTwin(cols: Float32Array[], n: number, labels: Int32Array, k: number, w?: Float32Array) {
  const d = cols.length;
  const out = new Float64Array(k * d + k);
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    for (let j = 0; j < d; j++) out[labels[i] * d + j] += wi * cols[j][i];
    out[k * d + labels[i]] += wi;
  }
  return out;
}

/** Squared distance in the direct (x - c)^2 form, float32 as the kernels compute it. */
export function sqDistTwin(cols: Float32Array[], i: number, c: ArrayLike<number>): number {
  let acc = 0;
  for (let j = 0; j < cols.length; j++) {
    const t = f(cols[j][i] - c[j]);
    acc = f(acc + f(t * t));
  }
  return acc;
}

/** Twin of updateClosest: new closest array and potential. */
export function updateClosestTwin(cols: Float32Array[], n: number, c: Float32Array, closest: Float32Array | null, w?: Float32Array) {
  const out = new Float32Array(n);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    const v = sqDistTwin(cols, i, c);
    out[i] = closest ? Math.min(v, closest[i]) : v;
    pot += (w ? w[i] : 1) * out[i];
  }
  return { closest: out, pot };
}

/** Twin of candidatePotentials. */
export function candidatePotentialsTwin(cols: Float32Array[], n: number, cand: Float32Array, m: number, closest: Float32Array, w?: Float32Array) {
  const d = cols.length;
  return Array.from({ length: m }, (_, t) => {
    let pot = 0;
    for (let i = 0; i < n; i++) pot += (w ? w[i] : 1) * Math.min(sqDistTwin(cols, i, cand.subarray(t * d, (t + 1) * d)), closest[i]);
    return pot;
  });
}

/** Twin of labelDistances: per cluster sum of w*d^2 and w*d, in float64 against float64 centroids. */
export function labelDistancesTwin(cols: Float32Array[], n: number, cent: Float64Array, k: number, labels: Int32Array, w?: Float32Array) {
  const d = cols.length;
  const out = new Float64Array(2 * k);
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let j = 0; j < d; j++) sq += (cols[j][i] - cent[labels[i] * d + j]) ** 2;
    const wi = w ? w[i] : 1;
    out[labels[i]] += wi * sq;
    out[k + labels[i]] += wi * Math.sqrt(sq);
  }
  return out;
}

/** Twin of distances: row-major n x k. */
export function distancesTwin(cols: Float32Array[], n: number, cent: Float32Array, k: number, squared: boolean) {
  const d = cols.length;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const sq = sqDistTwin(cols, i, cent.subarray(t * d, (t + 1) * d));
      out[i * k + t] = squared ? sq : f(Math.sqrt(sq));
    }
  }
  return out;
}

/** Twin of the silhouette's distance sums over all rows: for each row, the sum of its distances to the rows of each cluster (float64). */
export function silhouetteSumsTwin(cols: Float32Array[], n: number, labels: Int32Array, k: number) {
  const out = new Float64Array(n * k);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      let acc = 0;
      for (let j = 0; j < cols.length; j++) acc += (cols[j][a] - cols[j][b]) ** 2;
      out[a * k + labels[b]] += Math.sqrt(acc);
    }
  }
  return out;
}

/**
 * The k-means++ draw walk, one target at a time: the first row where start + sum_{j <= i} (w_j * closest_j) (float64,
 * row by row) reaches the target, or -1.
 */
export function walkPotentialTwin(closest: Float32Array, w: Float32Array | undefined, start: number, target: number): number {
  let acc = start;
  for (let i = 0; i < closest.length; i++) {
    acc += w ? w[i] * closest[i] : closest[i];
    if (acc >= target) return i;
  }
  return -1;
}
