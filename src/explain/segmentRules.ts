import { badOption, SegkitError } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';
import { toDataset, type DataInput } from '../data/dataset.js';
import type { RunOptions } from '../core/model.js';
import { decisionTree, type TreeModel } from '../core/treeModel.js';
import type { Target } from '../core/classTarget.js';
import { ruleText, type TreeRule } from '../core/treeEnsemble.js';

export interface SegmentRulesOptions extends RunOptions {
  /** Conditions per rule, at most (default 3). */
  maxDepth?: number;
  /** Customers a rule covers, at least (default 1% of the rows, at least 1). */
  minSamplesLeaf?: number;
  /** The segments' names, by segment id (e.g. text labels numbered in sorted order): the rules name them. Text labels name themselves. */
  names?: readonly string[];
}

export interface SegmentRuleSet {
  readonly segment: number;
  /** The segment's name, when `names` or text labels were given. */
  readonly name?: string;
  /** Customers in the segment. */
  readonly size: number;
  /** The rules that assign it, most customers first. */
  readonly rules: TreeRule[];
  /** Share of the segment's customers its rules find. */
  readonly recall: number;
  /** Share of the customers its rules find that are in the segment. */
  readonly precision: number;
}

export interface SegmentRules {
  /** Every rule, by segment, then most customers first. */
  readonly rules: TreeRule[];
  /** Share of customers the rules put in their own segment. */
  readonly fidelity: number;
  readonly segments: SegmentRuleSet[];
  /** The surrogate tree the rules come from (it scores new customers too, and has toSQL()). */
  readonly tree: TreeModel;
}

/**
 * How to find each segment with a few thresholds: a surrogate CART tree fitted to the segment labels (segment ids, or
 * text numbered in sorted order as a classifier numbers it; at most
 * `maxDepth` conditions per rule), its leaves as rules in words, and its fidelity: the share of customers its rules
 * put in their own segment.
 * @example
 * const { rules, fidelity } = await segmentRules(customers, model.labels, { maxDepth: 3 });
 * rules[0].text; // "income > 70.2 and spending <= 40 -> segment 2: 96% of 180 customers"
 * // with names: "income > 70.2 and spending <= 40 -> Loyal: 96% of 180 customers"
 */
export async function segmentRules(data: DataInput, labels: Target, options: SegmentRulesOptions = {}): Promise<SegmentRules> {
  checkOptions(options, [...RUN_OPTIONS, 'maxDepth', 'minSamplesLeaf', 'names'], 'segmentRules');
  const ds = toDataset(data);
  const maxDepth = orDefault(options.maxDepth, 3);
  if (!Number.isInteger(maxDepth) || maxDepth < 1) throw badOption('maxDepth', maxDepth, 'a positive integer');
  const minSamplesLeaf = orDefault(options.minSamplesLeaf, Math.max(1, Math.round(ds.n / 100)));
  const text = labels?.length > 0 && typeof labels[0] === 'string';
  if (text && options.names !== undefined) throw badOption('names', options.names, 'absent with text labels');
  const names = options.names;
  // no labels at all (null) are the classifier's to refuse, as without names
  if (names !== undefined && labels) {
    labels = labels as ArrayLike<number>;
    let k = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] + 1 > k) k = labels[i] + 1;
    if (!Array.isArray(names) || names.length < k || [...names].some((x) => typeof x !== 'string')) throw badOption('names', names, `a name (text) for each of the ${k} segment ids`);
    // one segment: named by its name, as a classifier given the names as its target names it
    let one = labels.length > 0;
    for (let i = 1; i < labels.length && one; i++) one = labels[i] === labels[0];
    if (one) throw new SegkitError('E_BAD_LABELS', `target has one class (${JSON.stringify(names[labels[0]])}) in all ${labels.length} rows; a classifier needs at least two`);
  }
  const tree = await decisionTree(ds, labels, { maxDepth, minSamplesLeaf, executor: options.executor, threads: options.threads, signal: options.signal });
  const pred = tree.labels;
  // each row's segment id, as the tree numbers it (text labels by their place in the sorted class names)
  const ids = tree.classNames ? new Map(tree.classNames.map((name, s) => [name, s])) : null;
  const truth = Int32Array.from({ length: ds.n }, (_, i) => (ids ? ids.get(labels[i] as string)! : (labels[i] as number)));
  let hit = 0;
  for (let i = 0; i < ds.n; i++) if (pred[i] === truth[i]) hit++;
  // named segments: the rule's text names the segment as a classifier trained on names does ("... -> Loyal: ...")
  const named = (r: TreeRule): TreeRule => (names ? { ...r, segmentName: names[r.segment], text: ruleText(r.conditions, names[r.segment], r.confidence, r.count) } : r);
  const all = tree.rules().map(named).sort((a, b) => a.segment - b.segment || b.count - a.count);
  const segments: SegmentRuleSet[] = [];
  for (let s = 0; s < tree.k; s++) {
    let size = 0, found = 0, right = 0;
    for (let i = 0; i < ds.n; i++) {
      if (truth[i] === s) size++;
      if (pred[i] === s) {
        found++;
        if (truth[i] === s) right++;
      }
    }
    if (size === 0) continue;
    const name = names ? names[s] : tree.classNames?.[s];
    segments.push({ segment: s, ...(name !== undefined ? { name } : {}), size, rules: all.filter((r) => r.segment === s), recall: right / size, precision: found > 0 ? right / found : 0 });
  }
  return { rules: all, fidelity: hit / ds.n, segments, tree };
}
