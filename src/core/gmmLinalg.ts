// Small dense float64 linear algebra for mixture parameters (d x d, row-major): what scikit-learn asks of LAPACK's
// potrf and trtrs for `_compute_precision_cholesky`. O(d^3) per matrix, on the caller, once per EM iteration.

/** Lower Cholesky factor L of a symmetric matrix (A = L L^T), or the first pivot that is not positive. */
export function cholesky(a: Float64Array, d: number): { L: Float64Array } | { pivot: number } {
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let t = 0; t < j; t++) s -= L[j * d + t] * L[j * d + t];
    if (!(s > 0) || !Number.isFinite(s)) return { pivot: j };
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let v = a[i * d + j];
      for (let t = 0; t < j; t++) v -= L[i * d + t] * L[j * d + t];
      L[i * d + j] = v / ljj;
    }
  }
  return { L };
}

/** (L^-1)^T for a lower-triangular L: the upper-triangular P with P P^T = (L L^T)^-1 (scikit-learn's precisions_cholesky_). */
export function inverseTransposeLower(L: Float64Array, d: number): Float64Array {
  // forward substitution for each column of the identity: L X = I, X lower triangular
  const X = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let t = c; t < i; t++) s -= L[i * d + t] * X[t * d + c];
      X[i * d + c] = s / L[i * d + i];
    }
  }
  const P = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) P[i * d + j] = X[j * d + i];
  return P;
}

/** The inverse of a symmetric positive definite matrix through its Cholesky factor, or null when it has none. */
export function inverseSpd(a: Float64Array, d: number): Float64Array | null {
  const c = cholesky(a, d);
  if (!('L' in c)) return null;
  const P = inverseTransposeLower(c.L, d);
  // A^-1 = P P^T
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += P[i * d + t] * P[j * d + t];
      out[i * d + j] = s;
    }
  }
  return out;
}

/**
 * Whether a square matrix is symmetric as scikit-learn's `_check_precision_matrix` asks: np.allclose(a, a.T) with its
 * default tolerances, |a_ij - a_ji| <= 1e-8 + 1e-5 |a_ji| for every i, j (an absolute tolerance, as numpy's).
 */
export function allcloseToTranspose(a: Float64Array | readonly number[], d: number): boolean {
  return a.every((x: number, q: number) => Math.abs(x - a[(q % d) * d + ((q / d) | 0)]) <= 1e-8 + 1e-5 * Math.abs(a[(q % d) * d + ((q / d) | 0)]));
}

/**
 * The largest relative asymmetry |a_ij - a_ji| / max(|a_ij|, |a_ji|, sqrt|a_ii| sqrt|a_jj|, tiny) of a square matrix: an
 * entry near zero is measured against its diagonal, so an inverse's rounding there (a few units in the last place of
 * the diagonal, not mirrored) is no asymmetry.
 */
export function asymmetry(a: Float64Array | readonly number[], d: number): number {
  let worst = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const x = a[i * d + j], y = a[j * d + i];
      worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), Math.sqrt(Math.abs(a[i * d + i])) * Math.sqrt(Math.abs(a[j * d + j])), 1e-300));
    }
  }
  return worst;
}
