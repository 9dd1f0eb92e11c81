// What a tree and a forest share: segments from summed leaf probabilities, on any executor; probabilities,
// importances, rules in words and the same assignment as SQL.
import { SegkitError, badOption, describe } from '../util/errors.js';
import { badModel, modelValue, readArray, readObject, readStrings } from '../util/modelJson.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';
import { SPARSE_IDS } from './classTarget.js';
import { assertFinite, type DataInput, type Dataset } from '../data/dataset.js';
import { datasetFor } from './modelData.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor, Handle } from '../engine/executor.js';
import { predictOp, treeShardRows, type PredictState } from './treeOps.js';
import {
  argmax, leafOf, leafRules, nodeCount, nodeProba, selectWith, sqlIdent, thresholdText, sqlNumber, treeCase, treeImportances,
  type TreeNodes,
} from './tree.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';
import { isolate } from '../util/bidiText.js';

export interface TreeEnsembleParts {
  readonly k: number;
  readonly featureNames: readonly string[];
  /** Segment id of each internal class (column of the trees' values). */
  readonly classes: Int32Array;
  readonly classNames?: readonly string[];
  readonly trees: readonly TreeNodes[];
  readonly labels: Int32Array;
  readonly nSamples: number;
}

/** One rule of a tree: the conditions that lead to a leaf and the segment it assigns. */
export interface TreeRule {
  readonly segment: number;
  /** The segment's class name, for text targets. */
  readonly segmentName?: string;
  readonly conditions: readonly { readonly feature: string; readonly op: '<=' | '>'; readonly threshold: number }[];
  /** Share of the leaf's training customers in that segment (class-weighted). */
  readonly confidence: number;
  /** Training customers that reached the leaf (bootstrap-weighted in a forest). */
  readonly count: number;
  /** The tree it comes from (0 for a single tree). */
  readonly tree: number;
  /** "income > 70.2 and spending <= 40 -> segment 2: 96% of 180 customers" */
  readonly text: string;
}

export interface ToSqlOptions {
  /** Return a whole statement over this table (a forest always needs one; default "customers" for a forest). */
  readonly table?: string;
  /** Name of the segment column in a statement (default "segment"). */
  readonly as?: string;
  /** SQL column name per feature name, where they differ. */
  readonly columns?: Readonly<Record<string, string>>;
}

/** Conditions for people: a feature bounded both ways reads as one range. */
export function conditionText(conditions: TreeRule['conditions']): string {
  const parts: string[] = [];
  for (let q = 0; q < conditions.length; q++) {
    const c = conditions[q], next = conditions[q + 1];
    // "x <= t" reads "x < shown" where the shown number is the first float32 above t (see thresholdText)
    const bound = (t: number, op: '<=' | '>') => {
      const b = thresholdText(t);
      return { text: b.text, op: b.above ? (op === '<=' ? '<' : '>=') : op };
    };
    if (c.op === '>' && next && next.feature === c.feature && next.op === '<=') {
      const lo = bound(c.threshold, '>'), hi = bound(next.threshold, '<=');
      parts.push(`${lo.text} ${lo.op === '>=' ? '<=' : '<'} ${isolate(c.feature)} ${hi.op} ${hi.text}`);
      q++;
    } else {
      const b = bound(c.threshold, c.op as '<=' | '>');
      parts.push(`${isolate(c.feature)} ${b.op} ${b.text}`);
    }
  }
  return parts.length ? parts.join(' and ') : 'every customer';
}

/** A rule's confidence in whole percent: below 1, at most 99 (299 of 300 customers are not "100%"). */
export const rulePercent = (confidence: number): number => (confidence < 1 ? Math.min(99, Math.round(confidence * 100)) : 100);

/** "income > 70.2 -> Loyal: 96% of 180 customers" (`count` to two decimals, as a forest's bootstrap weights give it; "1 customer"). */
export const ruleText = (conditions: TreeRule['conditions'], segment: string, confidence: number, count: number): string =>
  `${conditionText(conditions)} -> ${isolate(segment)}: ${rulePercent(confidence)}% of ${(count = Math.round(count * 100) / 100).toLocaleString('en-US')} customer${count === 1 ? '' : 's'}`;

export abstract class TreeEnsemble implements SegmentationModel {
  abstract readonly kind: string;
  readonly k: number;
  readonly featureNames: readonly string[];
  readonly classes: Int32Array;
  readonly classNames?: readonly string[];
  readonly trees: readonly TreeNodes[];
  readonly labels: Int32Array;
  readonly nSamples: number;

  constructor(p: TreeEnsembleParts) {
    this.k = p.k;
    this.featureNames = Object.freeze([...p.featureNames]);
    this.classes = p.classes;
    if (p.classNames) this.classNames = Object.freeze([...p.classNames]);
    this.trees = Object.freeze([...p.trees]);
    this.labels = p.labels;
    this.nSamples = p.nSamples;
  }

  /** Internal classes (the trees' value columns). */
  get nClasses(): number {
    return this.classes.length;
  }

  // Arrow tables and named datasets are matched by column name; rows and unnamed datasets by position.
  protected dataset(data: DataInput): Dataset {
    return datasetFor(data, this.featureNames);
  }

  /** The trees as one flat prediction state, each split's children side by side. */
  predictState(keepProba: boolean): PredictState {
    const C = this.nClasses;
    const total = this.trees.reduce((a, t) => a + nodeCount(t), 0);
    const feature = new Int32Array(total), child = new Int32Array(total), leafAt = new Int32Array(total).fill(-1);
    const threshold = new Float64Array(total), roots = new Int32Array(this.trees.length);
    let leaves = 0;
    for (const t of this.trees) for (let i = 0; i < nodeCount(t); i++) if (t.feature[i] < 0) leaves++;
    const proba = new Float64Array(leaves * C);
    let next = 0, lp = 0;
    this.trees.forEach((t, ti) => {
      roots[ti] = next;
      // breadth first: a split's two children get consecutive places (node v of the tree goes to place next0 + q
      // where q is its position in the queue)
      const queue = new Int32Array(nodeCount(t));
      const next0 = next++;
      let tail = 1;
      for (let q = 0; q < tail; q++) {
        const v = queue[q], p = next0 + q;
        feature[p] = t.feature[v];
        if (t.feature[v] >= 0) {
          threshold[p] = t.threshold[v];
          child[p] = next;
          queue[tail++] = t.left[v];
          queue[tail++] = t.right[v];
          next += 2;
        } else {
          // a leaf leads to itself: a walk that reached it stays there
          child[p] = p;
          threshold[p] = Infinity;
          leafAt[p] = lp;
          nodeProba(t, v, C, proba, lp);
          lp += C;
        }
      }
    });
    return { feature, threshold, child, roots, leafAt, proba, classes: C, keepProba };
  }

  /** Runs the prediction pass on data already loaded (raw float32 columns); internal classes, and sums when asked. */
  async predictLoaded(ex: Executor, h: Handle, keepProba: boolean, signal?: AbortSignal): Promise<{ codes: Int32Array; sums?: Float64Array }> {
    await ex.map(predictOp, h, this.predictState(keepProba), { signal });
    const codes = (await ex.readRows(h, 'labels')) as Int32Array;
    return keepProba ? { codes, sums: (await ex.readRows(h, 'proba')) as Float64Array } : { codes };
  }

  private async run(data: DataInput, options: RunOptions, fn: string, keepProba: boolean): Promise<{ codes: Int32Array; sums?: Float64Array }> {
    checkOptions(options, RUN_OPTIONS, fn);
    const ds = this.dataset(data);
    // a Dataset is checked when made: a value changed since would walk the trees as if it were below every threshold
    assertFinite(ds);
    const ex = resolveExecutor(options);
    const h = await ex.load({ columns: ds.columns }, { shardRows: treeShardRows(ds.n), signal: options.signal });
    try {
      return await this.predictLoaded(ex, h, keepProba, options.signal);
    } finally {
      await ex.release(h);
    }
  }

  /** Segment of each row: the class whose leaf probabilities, summed over the trees, are largest (first on ties). */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    const { codes } = await this.run(data, options, 'predict', false);
    for (let i = 0; i < codes.length; i++) codes[i] = this.classes[codes[i]];
    return codes;
  }

  /**
   * Probability of each segment per row: row-major n x k, columns by segment id (0 for segments never seen). Ids may
   * skip below SPARSE_IDS (256); a model whose ids skip beyond it is E_BAD_LABELS rather than n x k mostly empty columns.
   */
  async predictProba(data: DataInput, options: RunOptions = {}): Promise<Float64Array> {
    const C = this.nClasses, k = this.k, T = this.trees.length;
    // a column per segment id: ids that skip past SPARSE_IDS (segments 0 and 200000 of a 200001-row fit) would be
    // columns no class fills, n x k of them, before a row is read
    if (k > SPARSE_IDS && C < k) {
      throw new SegkitError('E_BAD_LABELS', `segment ids up to ${k - 1}: probabilities take a column per id, ${k} for ${C} segments`, `renumber them 0..${C - 1}`);
    }
    const { sums } = await this.run(data, options, 'predictProba', true);
    const n = sums!.length / C;
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) out[i * k + this.classes[c]] = sums![i * C + c] / T;
    return out;
  }

  /** Mean decrease in impurity per feature, summing to 1 (a forest averages its trees', as scikit-learn); all 0 when no tree splits, as scikit-learn gives them. */
  get featureImportances(): Float64Array {
    const d = this.featureNames.length, C = this.nClasses;
    const grown = this.trees.filter((t) => nodeCount(t) > 1);
    const out = new Float64Array(d);
    if (grown.length === 0) return out;
    for (const t of grown) {
      const imp = treeImportances(t, d, C);
      for (let j = 0; j < d; j++) out[j] += imp[j];
    }
    let sum = 0;
    for (let j = 0; j < d; j++) sum += out[j] /= grown.length;
    if (sum > 0) for (let j = 0; j < d; j++) out[j] /= sum;
    return out;
  }

  protected segmentLabel(segment: number): string {
    return this.classNames ? this.classNames[segment] : `segment ${segment}`;
  }

  /** Every leaf as a rule in words, tree by tree, in preorder. */
  rules(): TreeRule[] {
    const C = this.nClasses;
    return this.trees.flatMap((t, ti) =>
      leafRules(t, C).map((r) => {
        const segment = this.classes[r.cls];
        const conditions = r.conditions.map((c) => ({ feature: this.featureNames[c.feature], op: c.op, threshold: c.threshold }));
        const text = ruleText(conditions, this.segmentLabel(segment), r.confidence, r.count);
        return { segment, ...(this.classNames ? { segmentName: this.classNames[segment] } : {}), conditions, confidence: r.confidence, count: r.count, tree: ti, text };
      }),
    );
  }

  protected sqlColumns(o: ToSqlOptions): string[] {
    const map = o.columns ?? {};
    for (const key of Object.keys(map)) {
      if (!this.featureNames.includes(key)) throw new SegkitError('E_BAD_OPTION', `option "columns" names ${JSON.stringify(key)}, which is not a feature of the model`, `its features: ${this.featureNames.join(', ')}`);
      if (typeof map[key] !== 'string' || map[key] === '') throw badOption(`columns.${key}`, map[key], 'a non-empty string');
    }
    // own keys only: a feature named "constructor" or "toString" would otherwise take Object's method as its column
    return this.featureNames.map((f) => (Object.hasOwn(map, f) ? map[f] : f));
  }

  /**
   * The same assignment as SQL a warehouse or CRM runs: for one tree a `CASE WHEN` expression (one WHEN per
   * leaf); for a forest, or with `table`, a statement adding the segment column. Thresholds are printed with
   * float64 round-trip digits and the features compared as the model does (a row's value as float32 widened
   * to float64), so float32 data gets the same segments as `predict`. A row with a NULL where its path compares
   * a feature gets NULL (no segment), as `predict` refuses a missing value rather than guess a segment.
   */
  toSQL(options: ToSqlOptions = {}): string {
    checkOptions(options, ['table', 'as', 'columns'], 'toSQL');
    for (const key of ['table', 'as'] as const) {
      const v = options[key];
      if (v !== undefined && (typeof v !== 'string' || v === '')) throw badOption(key, v, 'a non-empty string');
    }
    const cols = this.sqlColumns(options);
    const C = this.nClasses;
    const as = orDefault(options.as, 'segment');
    if (this.trees.length === 1) {
      const expr = treeCase(this.trees[0], C, cols, (_leaf, cls) => String(this.classes[cls]));
      return options.table === undefined ? expr : selectWith(expr, options.table, as);
    }
    const table = orDefault(options.table, 'customers');
    const proba = new Float64Array(C);
    const p = (c: number) => sqlIdent(`__segkit_p${c}`);
    const sums = Array.from({ length: C }, (_, c) =>
      this.trees.map((t) => `(${treeCase(t, C, cols, (leaf) => sqlNumber(nodeProba(t, leaf, C, proba)[c]))})`).join(' + '),
    );
    const inner = `SELECT *, ${sums.map((s, c) => `${s} AS ${p(c)}`).join(', ')} FROM ${sqlIdent(table)}`;
    const whens = Array.from({ length: C }, (_, c) => {
      const cond = Array.from({ length: C - c - 1 }, (_, q) => `${p(c)} >= ${p(c + q + 1)}`).join(' AND ');
      // a tree's NULL (a missing value on a row's path) makes every sum NULL: no segment, not the last one
      return c === C - 1 ? `WHEN ${p(c)} IS NOT NULL THEN ${this.classes[c]}` : `WHEN ${cond} THEN ${this.classes[c]}`;
    });
    return `SELECT *, CASE ${whens.join(' ')} END AS ${sqlIdent(as)} FROM (${inner})`;
  }

  /** Leaf reached by one row in each tree (for explanations). */
  leaves(x: (j: number) => number): number[] {
    return this.trees.map((t) => leafOf(t, x));
  }

  /** Summed leaf probabilities of one row (internal classes) and its internal class. */
  scoreRow(x: (j: number) => number): { sums: Float64Array; cls: number } {
    const C = this.nClasses;
    const sums = new Float64Array(C), p = new Float64Array(C);
    this.leaves(x).forEach((leaf, t) => {
      nodeProba(this.trees[t], leaf, C, p);
      for (let c = 0; c < C; c++) sums[c] += p[c];
    });
    return { sums, cls: argmax(sums, 0, C) };
  }

  protected baseJSON(): ModelJSON & Record<string, unknown> {
    return {
      kind: this.kind,
      version: 1,
      k: this.k,
      featureNames: [...this.featureNames],
      classes: Array.from(this.classes),
      classNames: this.classNames ? [...this.classNames] : null,
      nSamples: this.nSamples,
    };
  }

  abstract toJSON(): ModelJSON;
}

/** Reads the fields a tree and a forest share (after `kind` and `version` were checked); `extra` are the model's own. */
export function readEnsembleHeader(json: unknown, kind: string, extra: readonly string[]): {
  r: Record<string, unknown>; k: number; featureNames: string[]; classes: Int32Array; classNames?: string[]; nSamples: number;
} {
  const r = readObject(modelValue(json), '', ['kind', 'version', 'k', 'featureNames', 'classes', 'classNames', 'nSamples', ...extra]);
  if (r.kind !== kind) throw badModel('kind', `must be ${JSON.stringify(kind)}, got ${describe(r.kind)}`);
  if (r.version !== 1) throw badModel('version', `must be 1 (the version this segkit reads), got ${describe(r.version)}`);
  const k = r.k;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 2) throw badModel('k', `must be an integer >= 2, got ${describe(k)}`);
  const featureNames = readStrings(r.featureNames, 'featureNames', undefined, true);
  if (featureNames.length === 0) throw badModel('featureNames', 'must name at least one feature');
  const classes = Int32Array.from(readArray(r.classes, 'classes'), (c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= k) throw badModel(`classes[${i}]`, `must be a segment id from 0 to ${k - 1}, got ${describe(c)}`);
    return c;
  });
  if (classes.length < 2) throw badModel('classes', 'must list at least two classes');
  for (let i = 1; i < classes.length; i++) if (classes[i] <= classes[i - 1]) throw badModel(`classes[${i}]`, 'must be larger than the one before');
  // a fit's segments run to its largest class: a larger k would add probability columns no tree fills
  if (k !== classes[classes.length - 1] + 1) throw badModel('k', `must be the largest class + 1 (${classes[classes.length - 1] + 1}), got ${k}`);
  let classNames: string[] | undefined;
  if (r.classNames !== null) {
    classNames = readStrings(r.classNames, 'classNames', k, true);
    // text targets are numbered in sorted order, every name a class of the trees: names out of order would relabel segments
    if (classes.length !== k) throw badModel('classes', `must be every segment id from 0 to ${k - 1} with classNames (each name is a class), got ${classes.length} classes`);
    for (let i = 1; i < k; i++) if (!(classNames[i - 1] < classNames[i])) throw badModel(`classNames[${i}]`, `must sort after ${JSON.stringify(classNames[i - 1])} (names are numbered in sorted order), got ${JSON.stringify(classNames[i])}`);
  }
  const nSamples = r.nSamples;
  if (typeof nSamples !== 'number' || !Number.isSafeInteger(nSamples) || nSamples < 0) throw badModel('nSamples', `must be an integer >= 0 of at most 2^53, got ${describe(nSamples)}`);
  // a fit refuses segment ids past its rows (ids below SPARSE_IDS excepted): a larger k is a tampered file, and scoring
  // would allocate a row per segment
  if (k > Math.max(nSamples, SPARSE_IDS)) throw badModel('k', `must be at most nSamples (${nSamples}), got ${k}`);
  return { r, k, featureNames, classes, ...(classNames ? { classNames } : {}), nSamples };
}
