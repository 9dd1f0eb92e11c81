import { SegkitError, badOption } from '../util/errors.js';
import { frameColumn, replaceColumns, type ColumnMeta, type Frame, type FrameColumn } from './frame.js';
import { at, badModel, readBoolean, readEach, readEnum, readObject, readString, readStrings } from '../util/modelJson.js';
import { cannotRefit, checkFrame, checkModelColumns, knownOptions, notFitted, optionsObject, type PrepStep } from './step.js';
import type { RunOptions } from '../engine/executor.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';

export type HandleUnknown = 'ignore' | 'error';
export type HandleMissing = 'category' | 'mostFrequent';

export interface OneHotEncoderOptions {
  /** Categorical columns to encode; 'auto': every categorical column with at most `maxCategories` distinct values. */
  readonly columns?: readonly string[] | 'auto';
  /** A category not seen at fit time: 'ignore' gives all zeros, 'error' throws. */
  readonly handleUnknown?: HandleUnknown;
  /**
   * At most this many output columns per input column, the `other` bucket included (missing values not counted):
   * the most frequent categories keep their own column, the rest share `col=other` (scikit-learn's max_categories).
   * Among categories tied on count, the earlier in sorted order keeps its column; scikit-learn 1.2 keeps the later one.
   * A column of exactly `maxCategories` categories keeps a column for each, where scikit-learn 1.2 moves the rarest
   * alone into its infrequent column. Infinity for no limit (scikit-learn's None; null is refused).
   */
  readonly maxCategories?: number;
  /** 'category': missing is a category of its own (`col=(missing)`); 'mostFrequent': it takes the most frequent category. */
  readonly missing?: HandleMissing;
  /** Label of the bucket of infrequent categories. */
  readonly otherLabel?: string;
  /** Label of the missing-value category. */
  readonly missingLabel?: string;
}

export interface OneHotEncoderReport {
  readonly kind: 'oneHotEncoder';
  /**
   * Per column: values not seen at fit time, encoded as all zeros (a missing value too, when the column had none at
   * fit time and takes no category in their place), and missing values.
   */
  readonly columns: readonly { readonly column: string; readonly unknown: number; readonly missing: number }[];
}

export interface EncodedColumnJSON {
  readonly name: string;
  /** Categories with a column of their own, in output order. */
  readonly categories: string[];
  /** Categories seen at fit time that share the `other` column. */
  readonly infrequent: string[];
  /** Whether a `(missing)` column exists. */
  readonly missingColumn: boolean;
  /** The category missing values take ('mostFrequent'), or null. */
  readonly fill: string | null;
}

export interface OneHotEncoderJSON {
  readonly kind: 'oneHotEncoder';
  readonly handleUnknown: HandleUnknown;
  readonly otherLabel: string;
  readonly missingLabel: string;
  readonly columns: EncodedColumnJSON[];
}

const DEFAULTS = Object.freeze({
  columns: 'auto' as const,
  handleUnknown: 'ignore' as HandleUnknown,
  maxCategories: 20,
  missing: 'category' as HandleMissing,
  otherLabel: 'other',
  missingLabel: '(missing)',
});

// Code-unit order, the same in every locale and runtime.
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Encoded {
  readonly name: string;
  readonly categories: readonly string[];
  readonly infrequent: readonly string[];
  readonly missingColumn: boolean;
  readonly fill: string | null;
}

/** Output column names of one encoded column, in output order. */
function outputNames(e: Encoded, otherLabel: string, missingLabel: string): string[] {
  const names = e.categories.map((c) => `${e.name}=${c}`);
  if (e.infrequent.length > 0) names.push(`${e.name}=${otherLabel}`);
  if (e.missingColumn) names.push(`${e.name}=${missingLabel}`);
  return names;
}

function countCategories(values: readonly (string | null)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** The most frequent category; ties go to the first in sorted order, as scikit-learn's most_frequent. */
function mostFrequent(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [c, k] of counts) {
    if (k > bestCount || (k === bestCount && best !== undefined && byCode(c, best) < 0)) {
      best = c;
      bestCount = k;
    }
  }
  return best;
}

const MIDNIGHT = 'T00:00:00.000Z';
/** A whole UTC day's other ISO spelling: 2023-11-14 and 2023-11-14T00:00:00.000Z are one time (any other text as it is). */
const otherDaySpelling = (v: string): string => (v.endsWith(MIDNIGHT) ? v.slice(0, -MIDNIGHT.length) : /^[+-]?\d{4,6}-\d\d-\d\d$/.test(v) ? v + MIDNIGHT : v);

/**
 * One-hot encodes categorical columns into 0/1 columns named `col=value`, categories in sorted (code-unit) order,
 * then `col=other` for infrequent categories, then `col=(missing)`.
 *
 * @example
 * const enc = new OneHotEncoder({ columns: ['plan', 'region'], maxCategories: 8, handleUnknown: 'ignore' });
 */
export class OneHotEncoder implements PrepStep {
  readonly kind = 'oneHotEncoder';
  readonly handleUnknown: HandleUnknown;
  readonly otherLabel: string;
  readonly missingLabel: string;
  /** The `columns` option as given: a list, or 'auto'. */
  readonly selection: readonly string[] | 'auto';
  readonly #maxCategories: number;
  readonly #missing: HandleMissing;
  readonly #option: string;
  #fitted: readonly Encoded[] | undefined;
  #loaded = false;

  /** `optionName` is how errors name these options (the pipeline factory passes 'encode'). */
  constructor(options: OneHotEncoderOptions = {}, optionName = 'oneHotEncoder') {
    const o = optionsObject(options, optionName);
    knownOptions(o, optionName, ['columns', 'handleUnknown', 'maxCategories', 'missing', 'otherLabel', 'missingLabel']);
    const columns = orDefault(o.columns, DEFAULTS.columns);
    if (columns !== 'auto') {
      if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string') || new Set(columns).size !== columns.length) {
        throw badOption(`${optionName}.columns`, columns, '"auto" or an array of distinct column names');
      }
    }
    this.selection = columns === 'auto' ? 'auto' : Object.freeze([...columns]);
    this.handleUnknown = orDefault(o.handleUnknown, DEFAULTS.handleUnknown);
    if (this.handleUnknown !== 'ignore' && this.handleUnknown !== 'error') throw badOption(`${optionName}.handleUnknown`, this.handleUnknown, '"ignore" or "error"');
    // undefined is the default; null, as any other value, is checked (scikit-learn's max_categories=None is no limit)
    const max = orDefault(o.maxCategories, DEFAULTS.maxCategories);
    if (typeof max !== 'number' || !(max === Infinity || (Number.isInteger(max) && max >= 2))) {
      throw badOption(`${optionName}.maxCategories`, max, 'an integer >= 2 or Infinity');
    }
    this.#maxCategories = max;
    this.#missing = orDefault(o.missing, DEFAULTS.missing);
    if (this.#missing !== 'category' && this.#missing !== 'mostFrequent') throw badOption(`${optionName}.missing`, this.#missing, '"category" or "mostFrequent"');
    this.otherLabel = orDefault(o.otherLabel, DEFAULTS.otherLabel);
    this.missingLabel = orDefault(o.missingLabel, DEFAULTS.missingLabel);
    for (const [key, v] of [['otherLabel', this.otherLabel], ['missingLabel', this.missingLabel]] as const) {
      if (typeof v !== 'string') throw badOption(`${optionName}.${key}`, v, 'a string');
    }
    if (this.otherLabel === this.missingLabel) throw badOption(`${optionName}.missingLabel`, this.missingLabel, 'different from otherLabel');
    this.#option = optionName;
  }

  get maxCategories(): number {
    return this.#maxCategories;
  }

  get fitted(): boolean {
    return this.#fitted !== undefined;
  }

  get columns(): readonly string[] {
    return this.#fitted?.map((e) => e.name) ?? [];
  }

  /** The categories with a column of their own, per encoded column. */
  get categories(): readonly { readonly column: string; readonly categories: readonly string[]; readonly infrequent: readonly string[] }[] {
    return this.#fitted?.map((e) => ({ column: e.name, categories: e.categories, infrequent: e.infrequent })) ?? [];
  }

  // Categories are strings, counted here; numeric shard data plays no part, so there is no executor work.
  async fit(frame: Frame, options: RunOptions = {}): Promise<this> {
    checkFrame(frame, this.kind);
    checkOptions(options, RUN_OPTIONS, 'oneHotEncoder.fit');
    resolveExecutor(options);
    if (this.#loaded) throw cannotRefit(this.kind);
    const columns =
      this.selection === 'auto'
        ? frame.columns.filter((c) => c.kind === 'categorical' && countCategories(c.values).size <= this.#maxCategories).map((c) => c.name)
        : this.selection;
    const fitted: Encoded[] = [];
    for (const name of columns) {
      const col = frameColumn(frame, name, 'the one-hot encoder');
      if (col.kind !== 'categorical') {
        throw new SegkitError('E_NON_NUMERIC', `the one-hot encoder needs column "${name}" to be categorical, but it is numeric`, 'read it as categorical (the pipeline does this for columns listed in `encode`)');
      }
      const counts = countCategories(col.values);
      let missingCount = 0;
      for (const v of col.values) if (v === null) missingCount++;
      let fill: string | null = null;
      if (this.#missing === 'mostFrequent') {
        // Kept even without missing values at fit time, so missing values at scoring time are still imputed.
        fill = mostFrequent(counts) ?? null;
        if (fill === null) throw new SegkitError('E_EMPTY_DATA', `column "${name}" has only missing values; there is no most frequent category`);
        counts.set(fill, counts.get(fill)! + missingCount);
      }
      const sorted = [...counts.keys()].sort(byCode);
      let categories = sorted;
      let infrequent: string[] = [];
      if (sorted.length > this.#maxCategories) {
        // Keep the (maxCategories - 1) most frequent; among equal counts the earlier category in sorted order.
        const ranked = [...sorted].sort((a, b) => counts.get(b)! - counts.get(a)! || byCode(a, b));
        const kept = new Set(ranked.slice(0, this.#maxCategories - 1));
        categories = sorted.filter((c) => kept.has(c));
        infrequent = sorted.filter((c) => !kept.has(c));
      }
      const encoded: Encoded = Object.freeze({
        name,
        categories: Object.freeze(categories),
        infrequent: Object.freeze(infrequent),
        missingColumn: missingCount > 0 && this.#missing === 'category',
        fill,
      });
      checkNames(encoded, this.otherLabel, this.missingLabel, this.#option);
      fitted.push(encoded);
    }
    checkClashes(frame, fitted, this.otherLabel, this.missingLabel);
    this.#fitted = Object.freeze(fitted);
    return this;
  }

  transform(frame: Frame): { frame: Frame; report: OneHotEncoderReport } {
    checkFrame(frame, this.kind);
    const fitted = this.#fitted;
    if (!fitted) throw notFitted(this.kind);
    checkClashes(frame, fitted, this.otherLabel, this.missingLabel);
    const replace = new Map<string, FrameColumn[]>();
    const reports: { column: string; unknown: number; missing: number }[] = [];
    for (const e of fitted) {
      const col = frameColumn(frame, e.name, 'the one-hot encoder');
      if (col.kind !== 'categorical') throw new SegkitError('E_NON_NUMERIC', `the one-hot encoder needs column "${e.name}" to be categorical, but it is numeric`);
      const names = outputNames(e, this.otherLabel, this.missingLabel);
      const outs = names.map(() => new Float64Array(frame.n));
      const index = new Map<string, number>();
      e.categories.forEach((c, k) => index.set(c, k));
      const other = e.infrequent.length > 0 ? e.categories.length : -1;
      e.infrequent.forEach((c) => index.set(c, other));
      const missingAt = e.missingColumn ? names.length - 1 : -1;
      let unknown = 0;
      let missing = 0;
      const values = col.values, n = frame.n;
      for (let i = 0; i < n; i++) {
        let v = values[i];
        if (v === null) {
          missing++;
          if (missingAt >= 0) {
            outs[missingAt][i] = 1;
            continue;
          }
          if (e.fill === null) {
            if (this.handleUnknown === 'error') {
              throw new SegkitError('E_NAN_INPUT', `row ${frame.rows[i]}, column "${e.name}" is missing, and it had no missing values at fit time`, 'set handleUnknown to "ignore" to encode it as all zeros');
            }
            unknown++;
            continue;
          }
          v = e.fill;
        }
        const k = index.get(v) ?? index.get(otherDaySpelling(v));
        if (k === undefined) {
          if (this.handleUnknown === 'error') {
            throw new SegkitError('E_UNKNOWN_CATEGORY', `row ${frame.rows[i]}, column "${e.name}" holds the category ${JSON.stringify(v)}, which was not seen at fit time`, 'set handleUnknown to "ignore" to encode it as all zeros');
          }
          unknown++;
          continue;
        }
        outs[k][i] = 1;
      }
      replace.set(e.name, names.map((name, k) => ({ kind: 'numeric', name, values: outs[k] })));
      reports.push({ column: e.name, unknown, missing });
    }
    return { frame: replaceColumns(frame, replace), report: { kind: 'oneHotEncoder', columns: reports } };
  }

  outputSchema(input: readonly ColumnMeta[], path: string): ColumnMeta[] {
    const fitted = this.#fitted;
    if (!fitted) throw notFitted(this.kind);
    checkModelColumns(input, this.columns, 'categorical', at(path, 'columns'));
    const out: ColumnMeta[] = [];
    for (const c of input) {
      const e = fitted.find((x) => x.name === c.name);
      if (e) for (const name of outputNames(e, this.otherLabel, this.missingLabel)) out.push({ name, kind: 'numeric' });
      else out.push(c);
    }
    return out;
  }

  toJSON(): OneHotEncoderJSON {
    const fitted = this.#fitted;
    if (!fitted) throw notFitted(this.kind);
    return {
      kind: 'oneHotEncoder',
      handleUnknown: this.handleUnknown,
      otherLabel: this.otherLabel,
      missingLabel: this.missingLabel,
      columns: fitted.map((e) => ({ name: e.name, categories: [...e.categories], infrequent: [...e.infrequent], missingColumn: e.missingColumn, fill: e.fill })),
    };
  }

  /** A fitted encoder from its JSON; E_BAD_MODEL names the bad field under `path`. */
  static fromJSON(json: unknown, path = ''): OneHotEncoder {
    const o = readObject(json, path, ['kind', 'handleUnknown', 'otherLabel', 'missingLabel', 'columns']);
    if (o.kind !== 'oneHotEncoder') throw badModel(at(path, 'kind'), `must be "oneHotEncoder", got ${JSON.stringify(o.kind)}`);
    const handleUnknown = readEnum(o.handleUnknown, at(path, 'handleUnknown'), ['ignore', 'error'] as const);
    const otherLabel = readString(o.otherLabel, at(path, 'otherLabel'));
    const missingLabel = readString(o.missingLabel, at(path, 'missingLabel'));
    if (missingLabel === otherLabel) throw badModel(at(path, 'missingLabel'), 'must differ from otherLabel');
    const seen = new Set<string>();
    const columns = readEach(o.columns, at(path, 'columns'), undefined, (v, p): Encoded => {
      const c = readObject(v, p, ['name', 'categories', 'infrequent', 'missingColumn', 'fill']);
      const name = readString(c.name, at(p, 'name'));
      if (seen.has(name)) throw badModel(at(p, 'name'), `repeats ${JSON.stringify(name)}`);
      seen.add(name);
      const categories = readStrings(c.categories, at(p, 'categories'), undefined, true);
      const infrequent = readStrings(c.infrequent, at(p, 'infrequent'), undefined, true);
      infrequent.forEach((x, i) => {
        if (categories.includes(x)) throw badModel(at(at(p, 'infrequent'), i), `repeats the category ${JSON.stringify(x)}`);
      });
      const missingColumn = readBoolean(c.missingColumn, at(p, 'missingColumn'));
      const fill = c.fill === null ? null : readString(c.fill, at(p, 'fill'));
      if (fill !== null && (missingColumn || (!categories.includes(fill) && !infrequent.includes(fill)))) {
        throw badModel(at(p, 'fill'), `must be null or one of the column's categories when there is no missing column, got ${JSON.stringify(fill)}`);
      }
      const e: Encoded = Object.freeze({ name, categories: Object.freeze(categories), infrequent: Object.freeze(infrequent), missingColumn, fill });
      if (new Set(outputNames(e, otherLabel, missingLabel)).size !== outputNames(e, otherLabel, missingLabel).length) {
        throw badModel(p, 'gives two output columns the same name');
      }
      return e;
    });
    const enc = new OneHotEncoder({ handleUnknown, otherLabel, missingLabel });
    enc.#loaded = true;
    enc.#fitted = Object.freeze(columns);
    return enc;
  }
}

/**
 * An output column may not take the name of a column the encoder leaves in place, or of another encoded column's
 * output (a = "b=c" and "a=b" = "c" both give "a=b=c"): later steps find columns by name and would use the wrong one.
 */
function checkClashes(frame: Frame, fitted: readonly Encoded[], otherLabel: string, missingLabel: string): void {
  const encoded = new Set(fitted.map((e) => e.name));
  const owner = new Map<string, string | null>();
  for (const c of frame.columns) if (!encoded.has(c.name)) owner.set(c.name, null);
  for (const e of fitted) {
    for (const name of outputNames(e, otherLabel, missingLabel)) {
      const before = owner.get(name);
      if (before === undefined) {
        owner.set(name, e.name);
        continue;
      }
      const other = before === null ? 'an input column of that name' : `the output of column ${JSON.stringify(before)}`;
      throw new SegkitError('E_BAD_OPTION', `the one-hot column "${name}" of column "${e.name}" clashes with ${other}`, 'rename one of the columns before encoding');
    }
  }
}

/** Output names must be unique: a real category may not be spelled like the other or missing label. */
function checkNames(e: Encoded, otherLabel: string, missingLabel: string, option: string): void {
  if (e.infrequent.length > 0 && e.categories.includes(otherLabel)) {
    throw badOption(`${option}.otherLabel`, otherLabel, `a label that is not a category of column "${e.name}"`);
  }
  if (e.missingColumn && (e.categories.includes(missingLabel) || (e.infrequent.length > 0 && otherLabel === missingLabel))) {
    throw badOption(`${option}.missingLabel`, missingLabel, `a label that is not a category of column "${e.name}"`);
  }
}
