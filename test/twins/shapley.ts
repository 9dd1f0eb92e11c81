// Brute-force Shapley values of a tree's class probabilities, the scalar twin of TreeSHAP: every subset S of the
// features, with E[f(x) | x_S] from the tree's covers (Lundberg et al. 2020, Algorithm 1, EXPVALUE), weighted by
// |S|! (d - |S| - 1)! / d!. Exponential in d: for tiny trees only.
import type { TreeNodes } from '../../src/core/tree.js';

function expValue(t: TreeNodes, C: number, x: ArrayLike<number>, inS: (j: number) => boolean, node: number, out: Float64Array, scale: number): void {
  const f = t.feature[node];
  const cover = (v: number) => {
    let w = 0;
    for (let c = 0; c < C; c++) w += t.value[v * C + c];
    return w;
  };
  if (f < 0) {
    const w = cover(node);
    for (let c = 0; c < C; c++) out[c] += (scale * t.value[node * C + c]) / w;
    return;
  }
  if (inS(f)) {
    expValue(t, C, x, inS, x[f] <= t.threshold[node] ? t.left[node] : t.right[node], out, scale);
    return;
  }
  const w = cover(node);
  expValue(t, C, x, inS, t.left[node], out, (scale * cover(t.left[node])) / w);
  expValue(t, C, x, inS, t.right[node], out, (scale * cover(t.right[node])) / w);
}

const factorial = (m: number): number => (m <= 1 ? 1 : m * factorial(m - 1));

/** phi as d x C, row-major. */
export function bruteShapley(t: TreeNodes, C: number, d: number, x: ArrayLike<number>): Float64Array {
  const phi = new Float64Array(d * C);
  const v = (mask: number) => {
    const out = new Float64Array(C);
    expValue(t, C, x, (j) => ((mask >> j) & 1) === 1, 0, out, 1);
    return out;
  };
  for (let j = 0; j < d; j++) {
    for (let mask = 0; mask < 1 << d; mask++) {
      if ((mask >> j) & 1) continue;
      let size = 0;
      for (let q = 0; q < d; q++) size += (mask >> q) & 1;
      const weight = (factorial(size) * factorial(d - size - 1)) / factorial(d);
      const a = v(mask | (1 << j)), b = v(mask);
      for (let c = 0; c < C; c++) phi[j * C + c] += weight * (a[c] - b[c]);
    }
  }
  return phi;
}
