// Scalar twin of the mixture kernel: plain float64 loops in scikit-learn's formulas, for awkward shapes.
// Agreement is to float64 rounding (the kernel sums in a different order), not bit for bit.

export interface GmmTwinParams {
  type: 'full' | 'tied' | 'diag' | 'spherical';
  k: number;
  weights: Float64Array;
  /** k x d */
  means: Float64Array;
  /** scikit-learn's precisions_cholesky_ shapes, flat */
  precChol: Float64Array;
}

/** Weighted log-densities of every row under every component: n x k. */
export function logProbTwin(cols: Float32Array[], n: number, p: GmmTwinParams): Float64Array {
  const d = cols.length, { k } = p;
  const out = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    let logDet = 0;
    const P = (i: number, j: number): number => (p.type === 'full' ? p.precChol[c * d * d + i * d + j] : p.precChol[i * d + j]);
    if (p.type === 'full' || p.type === 'tied') for (let j = 0; j < d; j++) logDet += Math.log(P(j, j));
    else if (p.type === 'diag') for (let j = 0; j < d; j++) logDet += Math.log(p.precChol[c * d + j]);
    else logDet = d * Math.log(p.precChol[c]);
    for (let i = 0; i < n; i++) {
      let q = 0;
      if (p.type === 'full' || p.type === 'tied') {
        for (let j = 0; j < d; j++) {
          let y = 0;
          for (let t = 0; t < d; t++) y += (cols[t][i] - p.means[c * d + t]) * P(t, j);
          q += y * y;
        }
      } else {
        for (let j = 0; j < d; j++) {
          const w = p.type === 'diag' ? p.precChol[c * d + j] : p.precChol[c];
          q += (w * (cols[j][i] - p.means[c * d + j])) ** 2;
        }
      }
      out[i * k + c] = -0.5 * (d * Math.log(2 * Math.PI) + q) + logDet + Math.log(p.weights[c]);
    }
  }
  return out;
}

/** log-sum-exp per row, responsibilities (n x k) and argmax labels. */
export function eStepTwin(cols: Float32Array[], n: number, p: GmmTwinParams) {
  const { k } = p;
  const lp = logProbTwin(cols, n, p);
  const score = new Float64Array(n), resp = new Float64Array(n * k), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity, arg = 0;
    for (let c = 0; c < k; c++) if (lp[i * k + c] > best) { best = lp[i * k + c]; arg = c; }
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(lp[i * k + c] - best);
    score[i] = best + Math.log(s);
    labels[i] = arg;
    for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(lp[i * k + c] - score[i]);
  }
  return { score, resp, labels };
}

/** N, sum r (x - shift) and the second moments around shift (packed rows j, entries t <= j for full; diagonal for diag). */
export function statsTwin(cols: Float32Array[], n: number, resp: Float64Array, k: number, shift: Float64Array, layout: 'full' | 'tied' | 'diag'): Float64Array {
  const d = cols.length;
  const m = layout === 'full' ? (d * (d + 1)) / 2 : layout === 'tied' ? 0 : d;
  const w = 1 + d + m;
  const out = new Float64Array(k * w);
  const z = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      const r = resp[i * k + c];
      out[c * w] += r;
      for (let j = 0; j < d; j++) z[j] = cols[j][i] - shift[c * d + j];
      for (let j = 0; j < d; j++) out[c * w + 1 + j] += r * z[j];
      if (layout === 'full') {
        let q = c * w + 1 + d;
        for (let j = 0; j < d; j++) for (let t = 0; t <= j; t++) out[q++] += r * z[t] * z[j];
      } else if (layout === 'diag') {
        for (let j = 0; j < d; j++) out[c * w + 1 + d + j] += r * z[j] * z[j];
      }
    }
  }
  return out;
}
