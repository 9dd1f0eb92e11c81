import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { whitespaceTwins } from '../util/labels.js';
import { inspectTable, readColumn, type TableInput } from '../prep/frame.js';
import { isArrowTable, type Spread } from '../data/dataset.js';
import { holm } from '../metrics/holm.js';
import { newcombeInterval } from '../metrics/newcombeInterval.js';
import { twoProportionZTest } from '../metrics/twoProportionZTest.js';
import { momentScale, welchFromMoments } from '../metrics/welchTTest.js';
import { ldexp } from '../util/detMath.js';
import { fixedOrTwoDigits } from '../util/shareText.js';
import { isolate } from '../util/bidiText.js';

export interface AbTestOptions {
  /** Column naming each customer's segment. */
  segment: string;
  /** Column naming each customer's arm (control or a variant). */
  group: string;
  /** Column of the outcome: 0/1 (conversion; proportions) or a number (revenue; means). */
  outcome: string;
  /**
   * The control arm's value in `group`; required with more than two arms, or with two of which not exactly one is
   * named like a control (control, ctrl, A, baseline, holdout).
   */
  control?: string;
  /** 'auto' (0/1 outcomes are proportions, other numbers means), 'proportion' or 'mean'. */
  metric?: 'auto' | 'proportion' | 'mean';
  /** Confidence of the intervals (default 0.95); alpha = 1 - confidence for the Holm decisions. */
  confidence?: number;
}

export interface AbComparison {
  /** The segment, or null for the overall effect (every segment pooled). */
  segment: string | null;
  treatment: string;
  nControl: number;
  nTreatment: number;
  /** Conversion rate (proportions) or mean (means) per arm. */
  controlValue: number;
  treatmentValue: number;
  /** treatment - control in the outcome's units; for proportions a difference of rates (0.05 is 5 percentage points). */
  uplift: number;
  /** uplift / control (NaN when the control is 0). */
  relativeUplift: number;
  /** Confidence interval of the uplift: Newcombe's hybrid score interval (proportions) or Welch's (means). */
  ci: [number, number];
  /** Two-sided p-value: pooled two-proportion z-test, or Welch's t-test. */
  pvalue: number;
  /** Holm-adjusted across every segment and treatment (null for the overall effect, which is one pre-planned test). */
  adjustedPValue: number | null;
  /** adjusted p-value (or, overall, the p-value) <= 1 - confidence. */
  significant: boolean;
}

export interface AbTestResult {
  metric: 'proportion' | 'mean';
  control: string;
  treatments: string[];
  confidence: number;
  segments: AbComparison[];
  overall: AbComparison[];
  /** What the numbers assume, in words: print them with the results. */
  assumptions: string[];
  /** The readout in words. */
  summary: string;
}

const OPTIONS = ['segment', 'group', 'outcome', 'control', 'metric', 'confidence'];
const CONTROL_NAMES = /^(control|ctrl|a|baseline|holdout)$/i;

function labels(table: TableInput, name: string, role: string): string[] {
  const col = readColumn(table, name, 'categorical');
  return (col.values as (string | null)[]).map((v, i) => {
    if (v === null) throw new SegkitError('E_NAN_INPUT', `row ${i}: the ${role} column "${name}" is empty`, `every row needs a ${role}`);
    return v;
  });
}

const emptyOutcome = (row: number, name: string) =>
  new SegkitError('E_NAN_INPUT', `row ${row}: the outcome column "${name}" is empty`, 'every row needs an outcome (0 for no conversion)');

function outcomes(table: TableInput, name: string): Float64Array {
  const field = inspectTable(table).fields.find((f) => f.name === name)!;
  if (field.type !== 'numeric') {
    const seen = new Set<string>();
    const col = readColumn(table, name, 'categorical').values as (string | null)[];
    // no value at all (every row null) is an empty column, as in a numeric one: there is no text to name
    if (col.every((v) => v === null)) throw emptyOutcome(0, name);
    // the row of the first value named
    let first = -1;
    col.forEach((v, i) => { if (seen.size < 5 && v !== null && Number.isNaN(Number(v))) { if (first < 0) first = i; seen.add(v); } });
    // every value reads as a number one by one ("1" in JSON, "01" kept as text by the reader): name them as text,
    // in records the values held as strings (a 1 beside a "1" is a number, and its row is not the one to name)
    const asText = seen.size === 0;
    const held = Array.isArray(table) ? (i: number) => typeof (table as readonly Record<string, unknown>[])[i]?.[name] === 'string' : () => true;
    if (asText) col.forEach((v, i) => { if (seen.size < 5 && v !== null && held(i)) { if (first < 0) first = i; seen.add(v); } });
    throw new SegkitError('E_NON_NUMERIC', `row ${first}: the outcome column "${name}" holds ${asText ? 'text: ' : ''}${[...seen].map((v) => JSON.stringify(v)).join(', ')}: an outcome must be 0/1 (converted or not) or a number (revenue, orders)`, asText ? 'store the outcome as numbers (not quoted strings, no leading zeros)' : 'recode it, e.g. yes -> 1, no -> 0');
  }
  const wide: Spread[] = [];
  const values = readColumn(table, name, 'numeric', wide).values as Float64Array;
  values.forEach((v, i) => {
    if (v !== v) throw emptyOutcome(i, name);
  });
  // 64-bit integers float64 does not hold (past 2^53) would shift the means and their difference
  if (wide.some((s) => s.moved > 0)) {
    const column = isArrowTable(table) ? table.getChild(name)! : undefined;
    const at = column ? (i: number) => column.get(i) : (i: number) => (table as readonly Record<string, unknown>[])[i][name];
    const row = Math.max(0, values.findIndex((v, i) => { const x = at(i); return typeof x == 'bigint' && BigInt(v) !== x; }));
    throw new SegkitError('E_PRECISION', `row ${row}: the outcome column "${name}" holds ${String(at(row))}, an integer beyond 2^53 that float64 does not hold exactly (it reads as ${BigInt(values[row])})`, 'rescale the outcome (divide by a power of ten) and test again');
  }
  return values;
}

/** An arm's moments; `sum`, `m2` and `ds` are of the outcomes times f = 2^-scale (momentScale), `mean` is not. */
interface Arm { n: number; max: number; scale: number; f: number; sum: number; mean: number; m2: number; ds: number }
const emptyArm = (): Arm => ({ n: 0, max: 0, scale: 0, f: 1, sum: 0, mean: 0, m2: 0, ds: 0 });
/** Second pass of the corrected two-pass moments: deviations from the first pass's mean (sum / n). */
function addDeviation(a: Arm, v: number): void {
  const d = v * a.f - a.sum / a.n;
  a.ds += d;
  a.m2 += d * d;
}
/** Mean and sum of squared deviations, the first mean corrected by the deviations' sum (Chan, Golub & LeVeque 1983). */
function finish(a: Arm): void {
  a.mean = ldexp(a.sum / a.n + a.ds / a.n, a.scale);
  a.m2 = Math.max(0, a.m2 - (a.ds * a.ds) / a.n);
}

function compare(segment: string | null, treatment: string, c: Arm, t: Arm, metric: 'proportion' | 'mean', confidence: number, names: { outcome: string; control: string }): AbComparison {
  const base = { segment, treatment, nControl: c.n, nTreatment: t.n };
  if (c.n === 0 || t.n === 0) {
    return { ...base, controlValue: c.n ? ldexp(c.sum / c.n, c.scale) : NaN, treatmentValue: t.n ? ldexp(t.sum / t.n, t.scale) : NaN, uplift: NaN, relativeUplift: NaN, ci: [NaN, NaN], pvalue: NaN, adjustedPValue: null, significant: false };
  }
  if (metric === 'proportion') {
    const pc = c.sum / c.n, pt = t.sum / t.n;
    const ci = newcombeInterval(t.sum, t.n, c.sum, c.n, confidence);
    const { pvalue } = twoProportionZTest(t.sum, t.n, c.sum, c.n);
    return { ...base, controlValue: pc, treatmentValue: pt, uplift: pt - pc, relativeUplift: pc ? (pt - pc) / pc : NaN, ci, pvalue, adjustedPValue: null, significant: false };
  }
  const what = `the outcome column "${names.outcome}" in arms "${treatment}" and "${names.control}"${segment === null ? '' : ` of segment "${segment}"`}`;
  if (c.n < 2 || t.n < 2) {
    if (!Number.isFinite(t.mean - c.mean)) throw new SegkitError('E_PRECISION', `the means of ${what} (${t.mean} and ${c.mean}) differ by more than the float64 range`, 'rescale the outcome (divide by a power of ten) and test again');
    return { ...base, controlValue: c.mean, treatmentValue: t.mean, uplift: t.mean - c.mean, relativeUplift: c.mean ? (t.mean - c.mean) / c.mean : NaN, ci: [NaN, NaN], pvalue: NaN, adjustedPValue: null, significant: false };
  }
  const w = welchFromMoments({ n: t.n, mean: t.mean, variance: t.m2 / (t.n - 1), scale: t.scale }, { n: c.n, mean: c.mean, variance: c.m2 / (c.n - 1), scale: c.scale }, confidence, what);
  return { ...base, controlValue: c.mean, treatmentValue: t.mean, uplift: w.diff, relativeUplift: c.mean ? w.diff / c.mean : NaN, ci: w.ci, pvalue: w.pvalue, adjustedPValue: null, significant: false };
}

// percentage points in two decimals (a rare conversion's in two significant digits: never "0.00 pp")
const fmt = (x: number, metric: 'proportion' | 'mean') => (metric === 'proportion' ? `${fixedOrTwoDigits(100 * x, 2)} pp` : x.toPrecision(4));
/** An interval bound; one beyond the float64 range (the WelchResult's Infinity) reads as past the largest double. */
const bound = (x: number, metric: 'proportion' | 'mean') => (Number.isFinite(x) ? fmt(x, metric) : `${x < 0 ? 'below -' : 'above '}${fmt(Number.MAX_VALUE, metric)}`);

/**
 * Reads an A/B test segment by segment: per segment and variant the uplift over the control with a confidence
 * interval (Newcombe's hybrid score interval for conversion rates, Welch's for means), p-values adjusted by Holm's
 * step-down method across the segments, the overall effect, and the assumptions behind the numbers.
 * @example
 * const r = abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted' });
 * r.segments[0].uplift; r.segments[0].ci; r.segments[0].adjustedPValue; r.assumptions;
 */
export function abTest(rows: TableInput, options: AbTestOptions): AbTestResult {
  if (!options || typeof options !== 'object') throw badOption('options', options, 'an object { segment, group, outcome }');
  checkOptions(options, OPTIONS, 'abTest');
  for (const key of ['segment', 'group', 'outcome'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') throw badOption(key, options[key], 'a column name');
  }
  // one column in two roles reads nonsense as a result: the arms as outcomes (a 100 pp uplift), or a segment per arm
  for (const [a, b] of [['segment', 'group'], ['segment', 'outcome'], ['group', 'outcome']] as const) {
    if (options[a] === options[b]) throw new SegkitError('E_BAD_OPTION', `options "${a}" and "${b}" both name the column ${JSON.stringify(options[a])}`, `the ${a}, the group and the outcome are three different columns`);
  }
  const confidence = orDefault(options.confidence, 0.95);
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) throw badOption('confidence', confidence, 'a number between 0 and 1');
  // Holm's decisions are taken at alpha = 1 - confidence, which must stay below 1
  if (!(1 - confidence < 1)) throw badOption('confidence', confidence, 'a number between 0 and 1 large enough that 1 - confidence (the level of the Holm decisions) is below 1, e.g. 0.95');
  const metricOpt = orDefault(options.metric, 'auto');
  if (!['auto', 'proportion', 'mean'].includes(metricOpt)) throw badOption('metric', metricOpt, '"auto", "proportion" or "mean"');
  const schema = inspectTable(rows);
  for (const key of ['segment', 'group', 'outcome'] as const) {
    if (!schema.fields.some((f) => f.name === options[key])) {
      throw new SegkitError('E_MISSING_COLUMN', `the ${key} column "${options[key]}" is not in the table`, `it has: ${schema.fields.map((f) => f.name).join(', ')}`);
    }
  }
  if (schema.n === 0) throw new SegkitError('E_EMPTY_DATA', 'the table has no rows');
  const seg = labels(rows, options.segment, 'segment');
  const grp = labels(rows, options.group, 'group');
  const y = outcomes(rows, options.outcome);
  const binary = y.every((v) => v === 0 || v === 1);
  if (metricOpt === 'proportion' && !binary) {
    const odd = y.find((v) => v !== 0 && v !== 1);
    throw new SegkitError('E_BAD_OPTION', `metric "proportion" needs 0/1 outcomes, but "${options.outcome}" holds ${odd}`);
  }
  const metric = metricOpt === 'auto' ? (binary ? 'proportion' : 'mean') : metricOpt;

  for (const [values, role] of [[grp, 'group'], [seg, 'segment']] as const) {
    const twins = whitespaceTwins(values);
    if (twins) {
      throw new SegkitError('E_BAD_LABELS', `the ${role} column "${options[role]}" holds ${JSON.stringify(twins[0])} and ${JSON.stringify(twins[1])}, which differ only by surrounding spaces`, 'trim the values, or make them differ in more than spaces');
    }
  }
  const arms = [...new Set(grp)].sort();
  if (arms.length < 2) throw new SegkitError('E_BAD_OPTION', `the group column "${options.group}" has only ${describe(arms[0])}; an A/B test needs a control and at least one variant`);
  let control = options.control;
  if (control !== undefined) {
    if (!arms.includes(String(control))) throw new SegkitError('E_BAD_OPTION', `option "control" is ${describe(control)}, which is not a value of "${options.group}" (${arms.map((a) => JSON.stringify(a)).join(', ')})`);
    control = String(control);
  } else if (arms.length > 2) {
    throw new SegkitError('E_BAD_OPTION', `the group column "${options.group}" has ${arms.length} values (${arms.map((a) => JSON.stringify(a)).join(', ')}); name the control arm`, 'pass control (--control NAME): every other arm is compared with it');
  } else {
    // two arms: the control is the one named like a control, never a guess
    const named = arms.filter((a) => CONTROL_NAMES.test(a));
    if (named.length !== 1) {
      throw new SegkitError('E_BAD_OPTION', `the group column "${options.group}" holds ${arms.map((a) => JSON.stringify(a)).join(' and ')}, ${named.length === 0 ? 'neither named like a control (control, ctrl, A, baseline, holdout)' : 'both named like a control'}; name the control arm`, 'pass control (--control NAME): the other arm is compared with it');
    }
    control = named[0];
  }
  const treatments = arms.filter((a) => a !== control);
  const segments = [...new Set(seg)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const stats = new Map<string, Arm>();
  // the segment's length first: a segment or arm holding U+0000 cannot make two pairs one key ("a\0b" + "c", "a" + "b\0c")
  const key = (s: string | null, g: string) => `${s === null ? '-' : `${s.length}:${s}`}\u0000${g}`;
  // two passes: a running mean of a million values near 1e9 drifts by 1e-5, which a small uplift cannot afford
  const armOf: Arm[] = new Array(2 * y.length);
  for (let i = 0; i < y.length; i++) {
    for (let q = 0; q < 2; q++) {
      const k = key(q ? null : seg[i], grp[i]);
      let a = stats.get(k);
      if (!a) { a = emptyArm(); stats.set(k, a); }
      a.n++;
      a.max = Math.max(a.max, Math.abs(y[i]));
      armOf[2 * i + q] = a;
    }
  }
  // outcomes near 1e308 are summed divided by a power of two (exactly), so the sums stay in range
  for (const a of stats.values()) {
    a.scale = momentScale(a.max);
    a.f = ldexp(1, -a.scale);
  }
  for (let i = 0; i < y.length; i++) {
    armOf[2 * i].sum += y[i] * armOf[2 * i].f;
    armOf[2 * i + 1].sum += y[i] * armOf[2 * i + 1].f;
  }
  for (let i = 0; i < y.length; i++) {
    addDeviation(armOf[2 * i], y[i]);
    addDeviation(armOf[2 * i + 1], y[i]);
  }
  for (const a of stats.values()) finish(a);
  const names = { outcome: options.outcome, control: control! };
  const arm = (s: string | null, g: string) => stats.get(key(s, g)) ?? emptyArm();
  const perSegment = segments.flatMap((s) => treatments.map((t) => compare(s, t, arm(s, control!), arm(s, t), metric, confidence, names)));
  const alpha = 1 - confidence;
  // comparisons without a p-value are no hypotheses Holm's family counts (holm leaves them out of m)
  const untested = perSegment.filter((c) => Number.isNaN(c.pvalue)).length;
  const { adjusted } = holm(perSegment.map((c) => c.pvalue), alpha);
  perSegment.forEach((c, i) => {
    c.adjustedPValue = Number.isNaN(adjusted[i]) ? null : adjusted[i];
    c.significant = c.adjustedPValue !== null && c.adjustedPValue <= alpha;
  });
  const overall = treatments.map((t) => {
    const c = compare(null, t, arm(null, control!), arm(null, t), metric, confidence, names);
    c.significant = c.pvalue <= alpha;
    return c;
  });
  const why = metric === 'proportion' ? 'an empty arm, or both arms at 0% or both at 100%' : 'an empty arm, an arm of one customer, or both arms constant at the same value';
  const family = untested
    ? `the ${perSegment.length - untested} of ${perSegment.length} segment-by-variant comparisons that have a p-value (the ${untested} without one, for ${why}, are not counted)`
    : `all ${perSegment.length} segment-by-variant comparisons`;
  // 97.5% and 99.5% as they are: rounded to whole percents they read as 98% and 100% intervals
  const pct = `${+(confidence * 100).toPrecision(10)}%`;
  const assumptions = [
    'Customers were assigned to the arms at random and independently, and each customer appears once.',
    'The sample size was fixed in advance and the results are read once: these p-values carry no correction for peeking or sequential looks; stopping when a result looks significant inflates false positives.',
    metric === 'proportion'
      ? `Conversion rates: ${pct} intervals are Newcombe's hybrid score intervals for the difference (method 10, no continuity correction); p-values are two-sided pooled two-proportion z-tests (normal approximation).`
      : `Means: ${pct} intervals and two-sided p-values are Welch's unequal-variance t-test (approximately normal means: fine for large arms, doubtful for small arms with skewed outcomes).`,
    `Segment p-values are adjusted with Holm's step-down method across ${family} (family-wise error rate ${+alpha.toPrecision(10)}); the overall effect is one pre-planned test and is not adjusted.`,
    'Segments were defined before the test (not from its outcomes); uplifts of small segments are uncertain, as their intervals show.',
  ];
  const sig = perSegment.filter((c) => c.significant);
  const summary = [
    // an interval or p-value that is not defined is said so, with why, rather than printed as NaN
    // the data's names stand isolated: one with right-to-left text or an override cannot reorder the figures after it
    ...overall.map((o) => `Overall, ${isolate(o.treatment)} vs ${isolate(control!)}: ${fmt(o.uplift, metric)} (${Number.isNaN(o.ci[0]) ? 'no interval' : `${pct} CI ${bound(o.ci[0], metric)} to ${bound(o.ci[1], metric)}${Number.isFinite(o.ci[0] + o.ci[1]) ? '' : ', beyond the float64 range: rescale the outcome for a finite interval'}`}, `
      + `${Number.isNaN(o.pvalue) ? `no p-value, as with ${why}` : `p = ${o.pvalue.toPrecision(3)}`}).`),
    sig.length
      ? `Significant after Holm's correction: ${sig.map((c) => `${isolate(c.segment!)} (${isolate(c.treatment)}: ${fmt(c.uplift, metric)}, adjusted p = ${c.adjustedPValue!.toPrecision(3)})`).join('; ')}.`
      : 'No segment shows an uplift that survives Holm\'s correction.',
  ].join(' ');
  return { metric, control: control!, treatments, confidence, segments: perSegment, overall, assumptions, summary };
}
