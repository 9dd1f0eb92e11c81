import { SegkitError, badOption, describe } from '../util/errors.js';
import { whitespaceTwins } from '../util/labels.js';

/** Class labels, one per row: segment ids (integers >= 0) or text. */
export type Target = ArrayLike<number> | readonly string[];

/** A checked target: rows coded 0..C-1 over the classes present, and what each code stands for. */
export interface EncodedTarget {
  /** Internal class code of each row. */
  readonly codes: Int32Array;
  /** Segment id of each internal class (the integer label, or the index of the text in `classNames`). */
  readonly classes: Int32Array;
  /** For text targets: the text of each segment id, sorted. */
  readonly classNames?: readonly string[];
  /** Segments: the largest segment id + 1. */
  readonly k: number;
  /** Rows of each internal class. */
  readonly counts: Float64Array;
  /** Class labels of the whole target this one is a part of (WHOLE_CLASSES), if it is one. */
  readonly wholeLabels?: readonly string[];
}

const MAX_LABEL = 2 ** 31 - 2;

/**
 * The rows of the whole target, set by crossValidate on each fold's target: a fold's fit takes the segment ids and
 * classes the whole target's fit takes (segment 300 of 350 customers, in a fold of 233 training rows).
 */
export const WHOLE_ROWS = Symbol();

/**
 * The class labels of the whole target (segment ids as text, or names), set beside WHOLE_ROWS: a fold's `classWeight`
 * may name a class of the whole target that none of the fold's training rows holds (it weighs no row there).
 */
export const WHOLE_CLASSES = Symbol();

type Marked = { [WHOLE_ROWS]?: number; [WHOLE_CLASSES]?: readonly string[] };

/**
 * The marks a part of `target` (n rows, these class labels) carries: the outermost target's, when it is a part itself;
 * `renumbered` (text passed on as segment ids) takes these labels, which name the classes as the part does.
 */
export const wholeMarks = (target: unknown, n: number, labels: readonly string[], renumbered = false): Marked => ({
  [WHOLE_ROWS]: Math.max(n, (target as Marked)[WHOLE_ROWS] || 0),
  [WHOLE_CLASSES]: (!renumbered && (target as Marked)[WHOLE_CLASSES]) || labels,
});

/**
 * Segment ids a target may reach whatever its rows: a small filtered file (five customers of segments 7 and 9) is
 * described under its own ids. Beyond it, and beyond the rows, the ids are refused: segments are counted in arrays of
 * the largest id + 1, which an id column taken for the target would make huge.
 */
export const SPARSE_IDS = 256;

/**
 * Checks a target and codes it. Integer targets keep their values as segment ids; text targets are numbered in
 * sorted order. A target needs two classes and more rows than classes (an id column given as the target has as
 * many classes as rows), and every value must be a label: NaN, null, a fraction or a negative number names its row.
 */
export function encodeTarget(target: unknown, n: number, option = 'target'): EncodedTarget {
  if (!target || typeof (target as ArrayLike<unknown>).length !== 'number' || typeof target === 'string') {
    throw new SegkitError('E_BAD_LABELS', `${option} must be an array of segment ids or class names, got ${describe(target)}`);
  }
  const t = target as ArrayLike<unknown>;
  if (t.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `${option} has ${t.length} values for ${n} rows`);
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', `${option} is empty`);
  const text = typeof t[0] === 'string';
  const raw = new Int32Array(n);
  let classNames: string[] | undefined;
  if (text) {
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const v = t[i];
      if (typeof v !== 'string') throw new SegkitError('E_BAD_LABELS', `${option} row ${i} holds ${describe(v)}; the first row holds text, so every row needs a text label`);
      if (!seen.has(v)) seen.set(v, seen.size);
    }
    const twins = whitespaceTwins(seen.keys());
    if (twins) {
      throw new SegkitError('E_BAD_LABELS', `${option} holds ${JSON.stringify(twins[0])} and ${JSON.stringify(twins[1])}, which differ only by surrounding spaces`, 'trim the labels, or make them differ in more than spaces');
    }
    classNames = [...seen.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const code = new Map(classNames.map((s, c) => [s, c]));
    for (let i = 0; i < n; i++) raw[i] = code.get(t[i] as string)!;
  } else {
    for (let i = 0; i < n; i++) {
      const v = t[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_LABEL) {
        throw new SegkitError('E_BAD_LABELS', `${option} row ${i} holds ${describe(v)}; labels must be segment ids (integers >= 0) or text`, v !== v ? 'drop or label the rows without a segment first' : undefined);
      }
      raw[i] = v;
    }
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (raw[i] + 1 > k) k = raw[i] + 1;
  // a fold's target: the whole target's rows, never fewer than the fold's
  const rows = (t as { [WHOLE_ROWS]?: number })[WHOLE_ROWS] || n;
  if (!text && k > Math.max(rows, SPARSE_IDS)) {
    throw new SegkitError('E_BAD_LABELS', `${option} holds segment id ${k - 1}, which means ${k} segments, but there are only ${n} rows`, 'segment ids are 0..k-1; renumber the labels');
  }
  const present = new Uint8Array(k);
  for (let i = 0; i < n; i++) present[raw[i]] = 1;
  const classes: number[] = [];
  const codeOf = new Int32Array(k).fill(-1);
  for (let s = 0; s < k; s++) if (present[s]) { codeOf[s] = classes.length; classes.push(s); }
  const C = classes.length;
  if (C < 2) throw new SegkitError('E_BAD_LABELS', `${option} has one class (${text ? JSON.stringify(classNames![0]) : classes[0]}) in all ${n} rows; a classifier needs at least two`);
  if (C >= rows) throw new SegkitError('E_BAD_LABELS', `${option} has ${C} classes in ${n} rows; a classifier needs more rows than classes`, 'is the target an id column?');
  const codes = new Int32Array(n);
  const counts = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    codes[i] = codeOf[raw[i]];
    counts[codes[i]]++;
  }
  const wholeLabels = (t as Marked)[WHOLE_CLASSES];
  return { codes, classes: Int32Array.from(classes), ...(classNames ? { classNames } : {}), k, counts, ...(wholeLabels ? { wholeLabels } : {}) };
}

/** Class weights: 'balanced' (n / (C * count), as scikit-learn) or a weight per class label; 1 for classes not named. */
export type ClassWeight = 'balanced' | Readonly<Record<string, number>>;

/** The weight of each internal class. */
export function classWeights(cw: ClassWeight | undefined, t: EncodedTarget): Float64Array {
  const C = t.classes.length;
  const out = new Float64Array(C).fill(1);
  if (cw === undefined) return out;
  if (cw === 'balanced') {
    const n = t.codes.length;
    for (let c = 0; c < C; c++) out[c] = n / (C * t.counts[c]);
    return out;
  }
  if (!cw || typeof cw !== 'object' || Array.isArray(cw)) throw badOption('classWeight', cw, '"balanced" or an object of weights by class label');
  const labelOf = (c: number) => (t.classNames ? t.classNames[t.classes[c]] : String(t.classes[c]));
  const known = new Set(Array.from({ length: C }, (_, c) => labelOf(c)));
  for (const [key, w] of Object.entries(cw)) {
    if (!known.has(key) && !t.wholeLabels?.includes(key)) throw new SegkitError('E_BAD_OPTION', `option "classWeight" names class ${JSON.stringify(key)}, which is not in the target`, `its classes: ${[...known].join(', ')}`);
    // the Gini impurity squares weights: below 1e-150 the squares underflow and a node's impurity is 0 / 0
    if (typeof w !== 'number' || !Number.isFinite(w) || !(w >= 1e-150)) throw badOption(`classWeight.${key}`, w, 'a finite number >= 1e-150');
  }
  for (let c = 0; c < C; c++) {
    // own keys only: a class named "constructor" or "toString" would otherwise read Object's method as its weight
    if (Object.hasOwn(cw, labelOf(c))) out[c] = (cw as Record<string, number>)[labelOf(c)];
  }
  // a node's class weights are weight x rows (bootstrap draws repeat rows): their total squared (the Gini impurity's
  // denominator) must stay a finite number, with room to spare, or the impurities are Infinity / Infinity
  let total = 0, largest = 0, most = 0;
  for (let c = 0; c < C; c++) {
    const rows = out[c] * t.counts[c];
    total += rows;
    if (rows > most) { most = rows; largest = c; }
  }
  if (!Number.isFinite(total * total * 1024)) {
    throw badOption(`classWeight.${labelOf(largest)}`, out[largest], `small enough that weight x rows (${t.counts[largest]} rows) stays far within float64: the weighted rows of every class add up to at most 1e152`);
  }
  return out;
}
