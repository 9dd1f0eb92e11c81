import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import { fromColumns } from '../data/dataset.js';
import type { RunOptions, SegmentationModel } from '../core/model.js';
import { argmax, nodeProba, pathOf } from '../core/tree.js';
import { TreeEnsemble } from '../core/treeEnsemble.js';
import { readRows, type RowsInput } from './readRows.js';
import { forestExpected, treeShapRow } from './treeShap.js';

/** Why one customer is in its segment rather than the next best one. */
export interface Assignment {
  readonly segment: number;
  /** The segment the customer came closest to joining instead. */
  readonly runnerUp: number;
  /**
   * How far ahead the segment is: for centroid models ||x - c_runnerUp||^2 - ||x - c_segment||^2; for trees and
   * forests p(segment) - p(runnerUp). Always `base` plus the sum of `contributions`.
   */
  readonly gap: number;
  /** The gap before looking at this customer: 0 for centroids; the training rows' (expected) gap for trees. */
  readonly base: number;
  /** One number per feature, in `featureNames` order. */
  readonly contributions: Float64Array;
  readonly featureNames: readonly string[];
  /** 'centroid distance' | 'decision path' | 'tree SHAP' */
  readonly method: string;
  /** Trees: the splits the customer passed, in words. */
  readonly path?: readonly { readonly feature: string; readonly op: '<=' | '>'; readonly threshold: number; readonly value: number }[];
}

interface CentroidModel extends SegmentationModel {
  readonly centroids: number[][];
}

const isCentroidModel = (m: SegmentationModel): m is CentroidModel =>
  /kmeans/i.test(m.kind) && Array.isArray((m as CentroidModel).centroids);

/** Whether explainAssignment explains the model's assignments: a centroid model (k-means), a tree or a forest. */
export const explainsAssignments = (model: SegmentationModel): boolean => model instanceof TreeEnsemble || isCentroidModel(model);

/**
 * Explains each row's segment. Centroid models (k-means): the exact split, feature by feature, of the squared-
 * distance gap between the assigned and the runner-up centroid, (x_j - b_j)^2 - (x_j - a_j)^2, summed in feature
 * order into `gap`. A tree: the decision path, each split's change in p(segment) - p(runnerUp) credited to its
 * feature (Saabas). A forest: TreeSHAP values of p(segment) - p(runnerUp) (Lundberg et al. 2020).
 * @example
 * const [why] = await explainAssignment(model, [{ income: 72, spend: 18 }]);
 * why.segment; why.runnerUp; why.contributions; // in why.featureNames order
 */
export async function explainAssignment(model: SegmentationModel, rows: RowsInput, options: RunOptions = {}): Promise<Assignment[]> {
  checkOptions(options, RUN_OPTIONS, 'explainAssignment');
  if (!Array.isArray(model?.featureNames)) throw badOption('model', model, 'a fitted model');
  const names = model.featureNames;
  const X = readRows(names, rows, 'explainAssignment');
  if (X.length === 0) return [];
  if (model instanceof TreeEnsemble) {
    // a forest of one tree is still explained by its SHAP values, as treeShap gives them
    if (model.kind === 'tree') return X.map((x) => decisionPath(model, x));
    const expected = forestExpected(model);
    return X.map((x) => shapGap(model, x, expected));
  }
  if (!isCentroidModel(model)) {
    throw new SegkitError('E_BAD_OPTION', `explainAssignment explains centroid models (k-means), trees and forests; this model is of kind ${describe(model.kind)}`);
  }
  // one centroid: no other segment a customer came close to joining
  if (model.centroids.length < 2) throw new SegkitError('E_BAD_OPTION', 'explainAssignment explains a customer\'s segment against the runner-up; this model has one segment, so there is none', 'fit two segments or more');
  const d = names.length;
  const data = fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from(X, (x) => x[j])), names });
  const assigned = await model.predict(data, options);
  const C = model.centroids;
  return X.map((x, i) => {
    const a = assigned[i];
    let b = -1, best = Infinity;
    C.forEach((c, t) => {
      if (t === a) return;
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[j] - c[j]) ** 2;
      if (s < best) { best = s; b = t; }
    });
    const contributions = new Float64Array(d);
    let gap = 0;
    for (let j = 0; j < d; j++) {
      contributions[j] = (x[j] - C[b][j]) ** 2 - (x[j] - C[a][j]) ** 2;
      gap += contributions[j];
    }
    return { segment: a, runnerUp: b, gap, base: 0, contributions, featureNames: names, method: 'centroid distance' };
  });
}

/** The segment and runner-up (internal classes) of summed probabilities. */
function topTwo(sums: Float64Array): [number, number] {
  const a = argmax(sums, 0, sums.length);
  let b = a === 0 ? 1 : 0;
  for (let c = 0; c < sums.length; c++) if (c !== a && sums[c] > sums[b]) b = c;
  return [a, b];
}

function decisionPath(model: TreeEnsemble, x: Float64Array): Assignment {
  const t = model.trees[0], C = model.nClasses, d = model.featureNames.length;
  const nodes = pathOf(t, (j) => x[j]);
  const leafP = nodeProba(t, nodes[nodes.length - 1], C, new Float64Array(C));
  const [a, b] = topTwo(leafP);
  const p = new Float64Array(C);
  const diff = (node: number) => {
    nodeProba(t, node, C, p);
    return p[a] - p[b];
  };
  const contributions = new Float64Array(d);
  const path = [];
  let prev = diff(0);
  const base = prev;
  for (let q = 1; q < nodes.length; q++) {
    const parent = nodes[q - 1], f = t.feature[parent];
    const now = diff(nodes[q]);
    contributions[f] += now - prev;
    prev = now;
    path.push({ feature: model.featureNames[f], op: (nodes[q] === t.left[parent] ? '<=' : '>') as '<=' | '>', threshold: t.threshold[parent], value: x[f] });
  }
  return { segment: model.classes[a], runnerUp: model.classes[b], gap: leafP[a] - leafP[b], base, contributions, featureNames: model.featureNames, method: 'decision path', path };
}

function shapGap(model: TreeEnsemble, x: Float64Array, expected: Float64Array): Assignment {
  const C = model.nClasses, d = model.featureNames.length, T = model.trees.length;
  const { sums } = model.scoreRow((j) => x[j]);
  const [a, b] = topTwo(sums);
  const phi = new Float64Array(d * C);
  for (const t of model.trees) treeShapRow(t, C, x, phi, 1 / T);
  const contributions = Float64Array.from({ length: d }, (_, j) => phi[j * C + a] - phi[j * C + b]);
  return { segment: model.classes[a], runnerUp: model.classes[b], gap: (sums[a] - sums[b]) / T, base: expected[a] - expected[b], contributions, featureNames: model.featureNames, method: 'tree SHAP' };
}
