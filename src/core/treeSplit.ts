// Best-split search of CART on binned features (Breiman et al. 1984; scikit-learn's BestSplitter and Gini
// criterion): one scan per feature over its non-empty bins in ascending order, the first best threshold kept.
// Pass-built and caller-built nodes run this same code on the same integer counts, so they agree bit for bit.

export const EPSILON = 2.220446049250313e-16;

export interface SplitParams {
  readonly C: number;
  readonly classWeight: Float64Array;
  readonly minSamplesLeaf: number;
}

/** The best split of one node found so far. */
export interface Split {
  feature: number;
  /** Last non-empty bin going left, first non-empty bin going right. */
  binLeft: number;
  binRight: number;
  proxy: number;
  /** Raw (bootstrap-weighted) class counts of the left side. */
  left: Float64Array;
  /** Distinct rows of the left side (each counted once, whatever its bootstrap weight). */
  leftRows: number;
}

/**
 * Scans one feature's non-empty bins (`ids` ascending, `counts` m x C raw class counts; with `byBin`, bin ids[q]'s
 * counts are at ids[q] * C rather than q * C) of a node whose raw class totals are `totals`; replaces `best` when a split's proxy (-W_r * gini_r - W_l * gini_l, as scikit-learn's
 * proxy_impurity_improvement) is strictly larger. Returns the best after this feature.
 * With bootstrap weights, `binRows` holds each bin's distinct rows (at q, or ids[q] with `byBin`) and `nodeRows` the
 * node's: minSamplesLeaf counts rows, not weights, as scikit-learn compares n_node_samples (a row drawn three times
 * is one sample of weight 3). Without them every weight is 1 and the counts are the rows.
 */
export function scanFeature(
  p: SplitParams, feature: number, ids: Int32Array, counts: Float64Array, m: number, totals: Float64Array, best: Split | null,
  leftScratch: Float64Array, present?: Int32Array, byBin = false, binRows?: ArrayLike<number>, nodeRows = 0,
): Split | null {
  const { C, classWeight: cw, minSamplesLeaf } = p;
  // classes absent from the node add exact zeros: leaving them out changes no sum
  const cls = present ?? Int32Array.from({ length: C }, (_, c) => c);
  const nc = cls.length;
  let N = 0;
  for (let c = 0; c < C; c++) N += totals[c];
  const L = leftScratch;
  L.fill(0);
  let nl = 0, rl = 0, bestQ = -1, bestProxy = best === null ? -Infinity : best.proxy;
  const R = binRows ? nodeRows : N;
  let unit = N < 2 ** 26;
  for (let t = 0; t < nc; t++) if (cw[cls[t]] !== 1) unit = false;
  if (unit) {
    // unweighted classes and integer counts below 2^26: each side's weight is its count and its sum of squared
    // class counts an integer below 2^53, so both are kept exactly as counts move left, with the same values (and
    // so the same proxies) as summing over the classes at every threshold
    let sql = 0, sqr = 0;
    for (let t = 0; t < nc; t++) sqr += totals[cls[t]] * totals[cls[t]];
    for (let q = 0; q < m; q++) {
      if (q > 0) {
        const nr = N - nl, rowsL = binRows ? rl : nl;
        if (rowsL >= minSamplesLeaf && R - rowsL >= minSamplesLeaf) {
          const impL = 1 - sql / (nl * nl), impR = 1 - sqr / (nr * nr);
          const proxy = -nr * impR - nl * impL;
          if ((best === null && bestQ < 0) || proxy > bestProxy) {
            bestProxy = proxy;
            bestQ = q;
          }
        }
      }
      const at = (byBin ? ids[q] : q) * C;
      for (let t = 0; t < nc; t++) {
        const c = cls[t], v = counts[at + c];
        if (v === 0) continue;
        const l = L[c], r = totals[c] - l;
        sql += v * (2 * l + v);
        sqr -= v * (2 * r - v);
        L[c] = l + v;
        nl += v;
      }
      if (binRows) rl += binRows[byBin ? ids[q] : q];
    }
  } else for (let q = 0; q < m; q++) {
    if (q > 0) {
      const rowsL = binRows ? rl : nl;
      if (rowsL >= minSamplesLeaf && R - rowsL >= minSamplesLeaf) {
        let wl = 0, wr = 0, sql = 0, sqr = 0;
        for (let t = 0; t < nc; t++) {
          const c = cls[t];
          const a = L[c] * cw[c], b = (totals[c] - L[c]) * cw[c];
          wl += a; wr += b; sql += a * a; sqr += b * b;
        }
        const impL = 1 - sql / (wl * wl), impR = 1 - sqr / (wr * wr);
        const proxy = -wr * impR - wl * impL;
        if ((best === null && bestQ < 0) || proxy > bestProxy) {
          bestProxy = proxy;
          bestQ = q;
        }
      }
    }
    const at = (byBin ? ids[q] : q) * C;
    for (let t = 0; t < nc; t++) {
      const c = cls[t];
      L[c] += counts[at + c];
      nl += counts[at + c];
    }
    if (binRows) rl += binRows[byBin ? ids[q] : q];
  }
  if (bestQ < 0) return best;
  const left = new Float64Array(C);
  let leftRows = 0;
  for (let q = 0; q < bestQ; q++) {
    const at = (byBin ? ids[q] : q) * C;
    for (let t = 0; t < nc; t++) left[cls[t]] += counts[at + cls[t]];
    leftRows += binRows ? binRows[byBin ? ids[q] : q] : 0;
  }
  if (!binRows) for (let t = 0; t < nc; t++) leftRows += left[cls[t]];
  return { feature, binLeft: ids[bestQ - 1], binRight: ids[bestQ], proxy: bestProxy, left, leftRows };
}

/** The non-empty bins of a dense histogram slice (nb x C) as ids and counts; returns how many. */
export function sparseBins(hist: ArrayLike<number>, at0: number, nb: number, C: number, ids: Int32Array, counts: Float64Array): number {
  let m = 0;
  for (let b = 0; b < nb; b++) {
    let any = 0;
    for (let c = 0; c < C; c++) any += hist[at0 + b * C + c];
    if (any === 0) continue;
    ids[m] = b;
    for (let c = 0; c < C; c++) counts[m * C + c] = hist[at0 + b * C + c];
    m++;
  }
  return m;
}
