// TreeSHAP, path-dependent (Lundberg et al. 2020, "From local explanations to global understanding with
// explainable AI for trees", Algorithm 2; the shap package's tree_shap_recursive): exact Shapley values of a
// tree's class probabilities in O(leaves x depth^2) per row, with each node's training weight as its cover.
import type { TreeNodes } from '../core/tree.js';
import { nodeProba } from '../core/tree.js';
import { TreeEnsemble } from '../core/treeEnsemble.js';
import { badOption } from '../util/errors.js';
import { readRows, type RowsInput } from './readRows.js';

interface PathElement {
  feature: number;
  zero: number;
  one: number;
  w: number;
}

function extend(path: PathElement[], depth: number, zero: number, one: number, feature: number): void {
  path[depth] = { feature, zero, one, w: depth === 0 ? 1 : 0 };
  for (let i = depth - 1; i >= 0; i--) {
    path[i + 1].w += (one * path[i].w * (i + 1)) / (depth + 1);
    path[i].w = (zero * path[i].w * (depth - i)) / (depth + 1);
  }
}

function unwind(path: PathElement[], depth: number, at: number): void {
  const { one, zero } = path[at];
  let next = path[depth].w;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = path[i].w;
      path[i].w = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (path[i].w * zero * (depth - i)) / (depth + 1);
    } else {
      path[i].w = (path[i].w * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = at; i < depth; i++) {
    path[i].feature = path[i + 1].feature;
    path[i].zero = path[i + 1].zero;
    path[i].one = path[i + 1].one;
  }
}

function unwoundSum(path: PathElement[], depth: number, at: number): number {
  const { one, zero } = path[at];
  let next = path[depth].w, total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = path[i].w - tmp * zero * ((depth - i) / (depth + 1));
    } else if (zero !== 0) {
      total += path[i].w / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

const cover = (t: TreeNodes, node: number, C: number) => {
  let w = 0;
  for (let c = 0; c < C; c++) w += t.value[node * C + c];
  return w;
};

/** Adds one tree's SHAP values of its C class probabilities for row x to phi (d x C, row-major), times `scale`. */
export function treeShapRow(t: TreeNodes, C: number, x: ArrayLike<number>, phi: Float64Array, scale: number): void {
  const leaf = new Float64Array(C);
  // the recursion of Algorithm 2 on a stack of its own (a loaded tree may be thousands of splits deep): each entry
  // is a call, the hot child popped before the cold one, so phi takes its terms in the recursion's order
  const stack: { node: number; parent: PathElement[]; depth: number; zero: number; one: number; feature: number }[] = [
    { node: 0, parent: [], depth: 0, zero: 1, one: 1, feature: -1 },
  ];
  while (stack.length > 0) {
    const { node, parent, depth, zero, one, feature } = stack.pop()!;
    const path = parent.slice(0, depth).map((e) => ({ ...e }));
    extend(path, depth, zero, one, feature);
    const f = t.feature[node];
    if (f < 0) {
      nodeProba(t, node, C, leaf);
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(path, depth, i);
        const e = path[i];
        for (let c = 0; c < C; c++) phi[e.feature * C + c] += scale * w * (e.one - e.zero) * leaf[c];
      }
      continue;
    }
    const hot = x[f] <= t.threshold[node] ? t.left[node] : t.right[node];
    const cold = hot === t.left[node] ? t.right[node] : t.left[node];
    const w = cover(t, node, C);
    let inZero = 1, inOne = 1, d = depth;
    let at = 0;
    for (; at <= d; at++) if (path[at].feature === f) break;
    if (at !== d + 1) {
      inZero = path[at].zero;
      inOne = path[at].one;
      unwind(path, d, at);
      d -= 1;
    }
    // children copy `path` before changing it, so both may share it
    stack.push({ node: cold, parent: path, depth: d + 1, zero: (cover(t, cold, C) / w) * inZero, one: 0, feature: f });
    stack.push({ node: hot, parent: path, depth: d + 1, zero: (cover(t, hot, C) / w) * inZero, one: inOne, feature: f });
  }
}

/** A forest's expected segment probabilities (internal classes): its trees' averaged, added in tree order. */
export function forestExpected(model: TreeEnsemble): Float64Array {
  const C = model.nClasses, T = model.trees.length;
  const expected = new Float64Array(C);
  for (const t of model.trees) {
    const e = treeExpected(t, C);
    for (let c = 0; c < C; c++) expected[c] += e[c] / T;
  }
  return expected;
}

/** A tree's expected class probabilities over its training rows (the leaves weighted by cover). */
function treeExpected(t: TreeNodes, C: number): Float64Array {
  const out = new Float64Array(C), p = new Float64Array(C);
  const root = cover(t, 0, C);
  for (let node = 0; node < t.feature.length; node++) {
    if (t.feature[node] >= 0) continue;
    nodeProba(t, node, C, p);
    const share = cover(t, node, C) / root;
    for (let c = 0; c < C; c++) out[c] += share * p[c];
  }
  return out;
}

export interface TreeShapResult {
  readonly featureNames: readonly string[];
  /** Expected probability of each segment (by segment id, k entries): the mean over the trees. */
  readonly expectedValue: Float64Array;
  /** Per row: d x k SHAP values, row-major (feature j, segment s at j * k + s). */
  readonly values: Float64Array[];
}

/**
 * SHAP values of a tree or forest's segment probabilities: for each row, feature and segment, that feature's
 * share of the difference between the row's probability and the expected one (their sum over features is that
 * difference). A forest's are its trees' averaged.
 * @example
 * const { values, expectedValue } = treeShap(forest, [{ income: 70, spend: 12 }]);
 */
export function treeShap(model: TreeEnsemble, rows: RowsInput): TreeShapResult {
  if (!(model instanceof TreeEnsemble)) throw badOption('model', (model as { kind?: unknown } | null)?.kind ?? model, 'a tree or forest');
  const X = readRows(model.featureNames, rows, 'treeShap');
  const C = model.nClasses, k = model.k, d = model.featureNames.length, T = model.trees.length;
  const expected = new Float64Array(k);
  const e = forestExpected(model);
  for (let c = 0; c < C; c++) expected[model.classes[c]] = e[c];
  const values = X.map((x) => {
    const phi = new Float64Array(d * C);
    for (const t of model.trees) treeShapRow(t, C, x, phi, 1 / T);
    const out = new Float64Array(d * k);
    for (let j = 0; j < d; j++) for (let c = 0; c < C; c++) out[j * k + model.classes[c]] = phi[j * C + c];
    return out;
  });
  return { featureNames: model.featureNames, expectedValue: expected, values };
}
