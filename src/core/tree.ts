// A fitted classification tree as flat arrays (scikit-learn's `tree_` layout, nodes in depth-first preorder), and
// what every tree model does with one: leaf lookup, probabilities, impurity-based importances, rules, SQL, JSON.
import { badModel, at, readArray, readObject } from '../util/modelJson.js';
import { nextDown32, nextUp32 } from '../util/float32.js';

export interface TreeNodes {
  /** Split feature per node; -1 at a leaf. */
  readonly feature: Int32Array;
  /** A row goes left when its value <= threshold (float64; rows are float32). */
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** nodes x C class weights reaching each node (counts times class and bootstrap weights). */
  readonly value: Float64Array;
  /** Rows reaching each node (bootstrap-weighted in a forest). */
  readonly count: Float64Array;
  /** Gini impurity of each node's `value`. */
  readonly impurity: Float64Array;
}

export const nodeCount = (t: TreeNodes): number => t.feature.length;

/** Gini impurity as scikit-learn computes it: 1 - sum(v^2) / W^2. */
export function gini(value: ArrayLike<number>, at0: number, C: number): number {
  let w = 0, sq = 0;
  for (let c = 0; c < C; c++) {
    const v = value[at0 + c];
    w += v;
    sq += v * v;
  }
  return w > 0 ? 1 - sq / (w * w) : 0;
}

/** The leaf a row reaches; `x(j)` gives its value of feature j. */
export function leafOf(t: TreeNodes, x: (j: number) => number): number {
  let node = 0;
  while (t.feature[node] >= 0) node = x(t.feature[node]) <= t.threshold[node] ? t.left[node] : t.right[node];
  return node;
}

/** The nodes a row passes through, root to leaf. */
export function pathOf(t: TreeNodes, x: (j: number) => number): number[] {
  const path = [0];
  let node = 0;
  while (t.feature[node] >= 0) {
    node = x(t.feature[node]) <= t.threshold[node] ? t.left[node] : t.right[node];
    path.push(node);
  }
  return path;
}

/** Class probabilities of a node: its value normalised (C entries written at `into[at0..]`). */
export function nodeProba(t: TreeNodes, node: number, C: number, into: Float64Array, at0 = 0): Float64Array {
  let w = 0;
  for (let c = 0; c < C; c++) w += t.value[node * C + c];
  for (let c = 0; c < C; c++) into[at0 + c] = w > 0 ? t.value[node * C + c] / w : 0;
  return into;
}

/** Index of the largest entry, the first on ties (numpy's argmax). */
export function argmax(v: ArrayLike<number>, at0: number, C: number): number {
  let best = 0;
  for (let c = 1; c < C; c++) if (v[at0 + c] > v[at0 + best]) best = c;
  return best;
}

/**
 * Mean decrease in impurity per feature (Breiman), as scikit-learn's `feature_importances_`: each split adds
 * W_node * imp_node - W_left * imp_left - W_right * imp_right to its feature; normalised to sum 1.
 */
export function treeImportances(t: TreeNodes, d: number, C: number): Float64Array {
  const out = new Float64Array(d);
  const weight = (node: number) => {
    let w = 0;
    for (let c = 0; c < C; c++) w += t.value[node * C + c];
    return w;
  };
  for (let node = 0; node < nodeCount(t); node++) {
    const f = t.feature[node];
    if (f < 0) continue;
    const l = t.left[node], r = t.right[node];
    out[f] += weight(node) * t.impurity[node] - weight(l) * t.impurity[l] - weight(r) * t.impurity[r];
  }
  const root = weight(0);
  let sum = 0;
  for (let j = 0; j < d; j++) {
    out[j] /= root;
    sum += out[j];
  }
  if (sum > 0) for (let j = 0; j < d; j++) out[j] /= sum;
  return out;
}

export function treeToJSON(t: TreeNodes, C: number): Record<string, unknown> {
  const n = nodeCount(t);
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold, (v, i) => (t.feature[i] < 0 ? null : v)),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from({ length: n }, (_, i) => Array.from(t.value.subarray(i * C, (i + 1) * C))),
    count: Array.from(t.count),
  };
}

const TREE_KEYS = ['feature', 'threshold', 'left', 'right', 'value', 'count'];

/**
 * Reads a tree saved by `treeToJSON`, checking that it is one: every split names a feature below d with a finite
 * threshold, every node but the root is the child of exactly one earlier node (preorder, so no cycle), leaves
 * have no children, every value and count is finite and >= 0, and a split's value and count are its children's summed.
 */
export function readTree(v: unknown, path: string, C: number, d: number): TreeNodes {
  const r = readObject(v, path, TREE_KEYS);
  const feat = readArray(r.feature, at(path, 'feature'));
  const n = feat.length;
  if (n === 0) throw badModel(at(path, 'feature'), 'must have at least one node');
  const ints = (key: string, lo: number, hi: number) =>
    Int32Array.from(readArray(r[key], at(path, key), n), (x, i) => {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x >= hi) throw badModel(at(at(path, key), i), `must be an integer from ${lo} to ${hi - 1}, got ${JSON.stringify(x)}`);
      return x;
    });
  const feature = ints('feature', -1, d);
  const left = ints('left', -1, n);
  const right = ints('right', -1, n);
  const threshold = Float64Array.from(readArray(r.threshold, at(path, 'threshold'), n), (x, i) => {
    if (feature[i] < 0) {
      if (x !== null) throw badModel(at(at(path, 'threshold'), i), 'must be null at a leaf');
      return Number.NaN;
    }
    if (typeof x !== 'number' || !Number.isFinite(x)) throw badModel(at(at(path, 'threshold'), i), `must be a finite number, got ${JSON.stringify(x)}`);
    return x;
  });
  const value = new Float64Array(n * C);
  // Array.from visits an array's holes too (as undefined), where forEach would skip them and leave their weights 0
  Array.from(readArray(r.value, at(path, 'value'), n), (row, i) => {
    Array.from(readArray(row, at(at(path, 'value'), i), C), (x, c) => {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw badModel(at(at(at(path, 'value'), i), c), `must be a finite number >= 0, got ${JSON.stringify(x)}`);
      value[i * C + c] = x;
    });
    // every node holds the weight of the rows that reach it (class weights are >= 1e-150): its probabilities divide
    // by it, and its Gini impurity by its square, which must be a normal, finite float64
    let total = 0;
    for (let c = 0; c < C; c++) total += value[i * C + c];
    if (!(total >= 1e-150 && Number.isFinite(total * total))) throw badModel(at(at(path, 'value'), i), `must hold a total class weight from 1e-150 to 1e154, got ${total}`);
  });
  const count = Float64Array.from(readArray(r.count, at(path, 'count'), n), (x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw badModel(at(at(path, 'count'), i), `must be a finite number >= 0, got ${JSON.stringify(x)}`);
    return x;
  });
  const parents = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const leaf = feature[i] < 0;
    if (leaf !== (left[i] < 0) || leaf !== (right[i] < 0)) throw badModel(at(path, `nodes[${i}]`), 'must have two children at a split and none at a leaf');
    if (leaf) continue;
    for (const child of [left[i], right[i]]) {
      if (child <= i || parents[child] >= 0) throw badModel(at(path, `nodes[${i}]`), `has child ${child}, which is not a new node after it (the tree is malformed)`);
      parents[child] = i;
    }
  }
  for (let i = 1; i < n; i++) if (parents[i] < 0) throw badModel(at(path, `nodes[${i}]`), 'is not reached from the root');
  // a split sends each of its rows to one child: its class weights and rows are its children's added up (to rounding)
  const adds = (a: Float64Array, p: number, l: number, r: number) => Math.abs(a[p] - (a[l] + a[r])) <= 1e-9 * a[p];
  for (let i = 0; i < n; i++) {
    const l = left[i], r = right[i];
    if (feature[i] < 0) continue;
    for (let c = 0; c < C; c++) {
      if (!adds(value, i * C + c, l * C + c, r * C + c)) {
        throw badModel(at(at(at(path, 'value'), i), c), `must be the sum of its children's (nodes ${l} and ${r}: ${value[l * C + c]} + ${value[r * C + c]}), got ${value[i * C + c]}`);
      }
    }
    if (!adds(count, i, l, r)) throw badModel(at(at(path, 'count'), i), `must be the sum of its children's (nodes ${l} and ${r}: ${count[l]} + ${count[r]}), got ${count[i]}`);
  }
  const impurity = new Float64Array(n);
  for (let i = 0; i < n; i++) impurity[i] = gini(value, i * C, C);
  return { feature, threshold, left, right, value, count, impurity };
}

/** One condition on a path: `feature <= threshold` or `feature > threshold`. */
export interface Condition {
  readonly feature: number;
  readonly op: '<=' | '>';
  readonly threshold: number;
}

/** A leaf as a rule: the conditions that lead to it (one range per feature), and what it holds. */
export interface LeafRule {
  readonly leaf: number;
  readonly conditions: readonly Condition[];
  /** Internal class with the largest weight at the leaf. */
  readonly cls: number;
  /** Share of the leaf's weight in that class. */
  readonly confidence: number;
  /** Rows that reached the leaf in training. */
  readonly count: number;
}

/** Every leaf with its conditions, merged per feature (a > b and a > c keep the tighter one), in preorder. */
export function leafRules(t: TreeNodes, C: number): LeafRule[] {
  const out: LeafRule[] = [];
  const proba = new Float64Array(C);
  // an explicit stack, right child pushed first: a tree from a file may be deeper than the call stack allows
  const stack: { node: number; lo: Map<number, number>; hi: Map<number, number> }[] = [{ node: 0, lo: new Map(), hi: new Map() }];
  while (stack.length) {
    const { node, lo, hi } = stack.pop()!;
    const f = t.feature[node];
    if (f < 0) {
      nodeProba(t, node, C, proba);
      const cls = argmax(proba, 0, C);
      const features = [...new Set([...lo.keys(), ...hi.keys()])].sort((a, b) => a - b);
      const conditions: Condition[] = [];
      for (const j of features) {
        if (lo.has(j)) conditions.push({ feature: j, op: '>', threshold: lo.get(j)! });
        if (hi.has(j)) conditions.push({ feature: j, op: '<=', threshold: hi.get(j)! });
      }
      out.push({ leaf: node, conditions, cls, confidence: proba[cls], count: t.count[node] });
      continue;
    }
    const thr = t.threshold[node];
    const l = new Map(lo);
    l.set(f, Math.max(lo.get(f) ?? -Infinity, thr));
    stack.push({ node: t.right[node], lo: l, hi });
    const h = new Map(hi);
    h.set(f, Math.min(hi.get(f) ?? Infinity, thr));
    stack.push({ node: t.left[node], lo, hi: h });
  }
  return out;
}

/**
 * A threshold for people: the fewest significant digits whose float32 is the largest float32 at or below the
 * threshold. The trees compare float32 features, so a customer's value goes left exactly when its float32 is at most
 * the shown number's. A fixed relative precision did not hold that: between 1234567 and 1234568 the split 1234567.5
 * read as 1234600, on the wrong side of every value in between.
 */
export function shortNumber(v: number): string {
  return shortestAs(v, below32(v));
}

/** The largest float32 at or below v. */
function below32(v: number): number {
  const f = Math.fround(v);
  return f > v ? nextDown32(f) : f;
}

/** The fewest significant digits, near v, of a number whose float32 is `target` (9 digits of it always are). */
function shortestAs(v: number, target: number): string {
  for (let p = 1; p <= 9; p++) {
    for (const s of [Number(v.toPrecision(p)), Number(target.toPrecision(p))]) if (Math.fround(s) === target) return String(s);
  }
  return String(target);
}

/**
 * A threshold for people as a bound that is exact for float32 features: `x <= shown`, or, when it takes fewer
 * digits, `x < shown` with the shown number's float32 the first above the threshold (iris's petal length split,
 * 2.449999988, reads "< 2.45" rather than "<= 2.4499998").
 */
export function thresholdText(v: number): { text: string; above: boolean } {
  const lo = below32(v);
  const atOrBelow = shortestAs(v, lo);
  const above = shortestAs(v, nextUp32(lo));
  const digits = (t: string) => t.replace(/^-|\.|e.*$/g, '').length;
  return digits(above) < digits(atOrBelow) ? { text: above, above: true } : { text: atOrBelow, above: false };
}

/** A SQL identifier in double quotes (standard SQL; embedded quotes doubled). */
export const sqlIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A float64 as SQL text that parses back to the same double (shortest round-trip digits). */
export function sqlNumber(v: number): string {
  const s = String(v);
  return /e/i.test(s) ? v.toExponential() : s;
}

/** SELECT wrapper shared by the models' toSQL: the table's rows with one more column. */
export function selectWith(expr: string, table: string, as: string): string {
  return `SELECT *, ${expr} AS ${sqlIdent(as)} FROM ${sqlIdent(table)}`;
}

/**
 * `CASE WHEN <path> THEN <leaf value> ... END`, one WHEN per leaf, conditions joined by AND. The last leaf has its
 * WHEN too, no ELSE: a row whose path meets a NULL matches no leaf and gets NULL, not the last leaf's value.
 */
export function treeCase(t: TreeNodes, C: number, columns: readonly string[], leafValue: (leaf: number, cls: number) => string): string {
  const rules = leafRules(t, C);
  if (rules.length === 1) return leafValue(rules[0].leaf, rules[0].cls);
  const whens = rules.map((r) => `WHEN ${r.conditions.map((c) => `${sqlIdent(columns[c.feature])} ${c.op} ${sqlNumber(c.threshold)}`).join(' AND ')} THEN ${leafValue(r.leaf, r.cls)}`);
  return `CASE ${whens.join(' ')} END`;
}
