import { SegkitError, badOption } from '../util/errors.js';
import { extent, moments, populationVariance, stat } from './fitStats.js';
import { numericColumn, replaceColumns, type ColumnMeta, type Frame, type FrameColumn } from './frame.js';
import { at, badModel, readEach, readNumber, readObject, readString, readStrings } from '../util/modelJson.js';
import { cannotRefit, checkModelColumns, columnsOption, knownOptions, notFitted, optionsObject, type PrepStep } from './step.js';

export interface FeatureFilterOptions {
  /** Drop columns whose variance (ddof 0) is at or below this, as scikit-learn's VarianceThreshold; null: keep all. */
  readonly varianceThreshold?: number | null;
  /** Of two columns with |Pearson r| above this, drop the later one; null: keep all. */
  readonly correlationThreshold?: number | null;
  /** Numeric columns to consider; default: every numeric column reaching the step. */
  readonly columns?: readonly string[];
}

export type DroppedFeature =
  | { readonly column: string; readonly reason: 'lowVariance'; readonly variance: number }
  | { readonly column: string; readonly reason: 'correlated'; readonly with: string; readonly r: number };

export interface FeatureFilterReport {
  readonly kind: 'featureFilter';
  readonly dropped: readonly DroppedFeature[];
}

export interface FeatureFilterJSON {
  readonly kind: 'featureFilter';
  readonly varianceThreshold: number | null;
  readonly correlationThreshold: number | null;
  /** The columns considered at fit time. */
  readonly columns: string[];
  readonly dropped: DroppedFeature[];
}

const DEFAULTS = Object.freeze({ varianceThreshold: 0 as number | null, correlationThreshold: null as number | null });

interface Fitted {
  readonly columns: readonly string[];
  readonly dropped: readonly DroppedFeature[];
}

/** Columns centred on their mean, with their Euclidean norms, for Pearson r as a normalised dot product. */
function centred(x: Float64Array): { c: Float64Array; norm: number } {
  const m = moments(x);
  const c = new Float64Array(x.length);
  let ss = 0;
  for (let i = 0; i < x.length; i++) {
    c[i] = x[i] - m.mean;
    ss += c[i] * c[i];
  }
  return { c, norm: Math.sqrt(ss) };
}

/**
 * Drops uninformative feature columns at fit time: first those with low variance, then, scanning columns in order,
 * each column whose |Pearson r| with an earlier kept column is above the threshold (the earlier column is kept;
 * a dropped column never causes another to be dropped).
 *
 * @example
 * const filter = new FeatureFilter({ varianceThreshold: 0.01, correlationThreshold: 0.95 });
 */
export class FeatureFilter implements PrepStep {
  readonly kind = 'featureFilter';
  readonly varianceThreshold: number | null;
  readonly correlationThreshold: number | null;
  readonly #columns: readonly string[] | undefined;
  #fitted: Fitted | undefined;
  #loaded = false;

  /** `optionName` is how errors name these options. */
  constructor(options: FeatureFilterOptions = {}, optionName = 'featureFilter') {
    const o = optionsObject(options, optionName);
    knownOptions(o, optionName, ['varianceThreshold', 'correlationThreshold', 'columns']);
    const v = o.varianceThreshold === undefined ? DEFAULTS.varianceThreshold : o.varianceThreshold;
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw badOption(`${optionName}.varianceThreshold`, v, 'null or a finite number >= 0');
    const r = o.correlationThreshold === undefined ? DEFAULTS.correlationThreshold : o.correlationThreshold;
    if (r !== null && (typeof r !== 'number' || !(r > 0 && r < 1))) throw badOption(`${optionName}.correlationThreshold`, r, 'null or a number between 0 and 1 (exclusive)');
    this.varianceThreshold = v;
    this.correlationThreshold = r;
    this.#columns = columnsOption(o.columns, `${optionName}.columns`);
  }

  get fitted(): boolean {
    return this.#fitted !== undefined;
  }

  get columns(): readonly string[] {
    return this.#fitted?.columns ?? [];
  }

  /** The columns dropped at fit time, with the reason. */
  get dropped(): readonly DroppedFeature[] {
    return this.#fitted?.dropped ?? [];
  }

  fit(frame: Frame): this {
    if (this.#loaded) throw cannotRefit(this.kind);
    const columns = this.#columns ?? frame.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
    const data = columns.map((name) => {
      const col = numericColumn(frame, name, 'the feature filter');
      for (let i = 0; i < frame.n; i++) {
        if (col.values[i] !== col.values[i]) {
          throw new SegkitError('E_NAN_INPUT', `row ${frame.rows[i]}, column "${name}" is missing`, 'impute missing values before filtering features');
        }
      }
      return col.values;
    });
    const dropped: DroppedFeature[] = [];
    const kept: number[] = [];
    columns.forEach((name, j) => {
      if (this.varianceThreshold === null) return void kept.push(j);
      const [lo, hi] = extent(data[j]);
      // As VarianceThreshold: a constant column has variance 0 even when the float64 variance comes out a hair above.
      const variance = lo === hi ? 0 : populationVariance(moments(data[j]));
      if (variance <= this.varianceThreshold) dropped.push({ column: name, reason: 'lowVariance', variance: stat(variance) });
      else kept.push(j);
    });
    if (this.correlationThreshold !== null) {
      const t = this.correlationThreshold;
      const survivors: { j: number; c: Float64Array; norm: number }[] = [];
      for (const j of kept) {
        const cj = centred(data[j]);
        let hit: { with: string; r: number } | undefined;
        if (cj.norm > 0) {
          for (const s of survivors) {
            if (s.norm === 0) continue;
            let dot = 0;
            for (let i = 0; i < frame.n; i++) dot += s.c[i] * cj.c[i];
            const r = dot / (s.norm * cj.norm);
            if (Math.abs(r) > t) {
              hit = { with: columns[s.j], r: stat(r) };
              break;
            }
          }
        }
        if (hit) dropped.push({ column: columns[j], reason: 'correlated', ...hit });
        else survivors.push({ j, ...cj });
      }
    }
    this.#fitted = Object.freeze({ columns: Object.freeze([...columns]), dropped: Object.freeze(dropped.map((d) => Object.freeze(d))) });
    return this;
  }

  transform(frame: Frame): { frame: Frame; report: FeatureFilterReport } {
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    const replace = new Map<string, FrameColumn[]>();
    for (const d of f.dropped) {
      numericColumn(frame, d.column, 'the feature filter');
      replace.set(d.column, []);
    }
    return { frame: replaceColumns(frame, replace), report: { kind: 'featureFilter', dropped: f.dropped } };
  }

  outputSchema(input: readonly ColumnMeta[], path: string): ColumnMeta[] {
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    checkModelColumns(input, f.columns, 'numeric', at(path, 'columns'));
    const gone = new Set(f.dropped.map((d) => d.column));
    return input.filter((c) => !gone.has(c.name));
  }

  toJSON(): FeatureFilterJSON {
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    return {
      kind: 'featureFilter',
      varianceThreshold: this.varianceThreshold,
      correlationThreshold: this.correlationThreshold,
      columns: [...f.columns],
      dropped: f.dropped.map((d) => ({ ...d })),
    };
  }

  /** A fitted filter from its JSON; E_BAD_MODEL names the bad field under `path`. */
  static fromJSON(json: unknown, path = ''): FeatureFilter {
    const o = readObject(json, path, ['kind', 'varianceThreshold', 'correlationThreshold', 'columns', 'dropped']);
    if (o.kind !== 'featureFilter') throw badModel(at(path, 'kind'), `must be "featureFilter", got ${JSON.stringify(o.kind)}`);
    const varianceThreshold = o.varianceThreshold === null ? null : readNumber(o.varianceThreshold, at(path, 'varianceThreshold'));
    if (varianceThreshold !== null && varianceThreshold < 0) throw badModel(at(path, 'varianceThreshold'), `must be >= 0, got ${varianceThreshold}`);
    const correlationThreshold = o.correlationThreshold === null ? null : readNumber(o.correlationThreshold, at(path, 'correlationThreshold'));
    if (correlationThreshold !== null && !(correlationThreshold > 0 && correlationThreshold < 1)) {
      throw badModel(at(path, 'correlationThreshold'), `must be between 0 and 1, got ${correlationThreshold}`);
    }
    const columns = readStrings(o.columns, at(path, 'columns'), undefined, true);
    const gone = new Set<string>();
    const dropped = readEach(o.dropped, at(path, 'dropped'), undefined, (v, p): DroppedFeature => {
      const head = readObject(v, p, ['column', 'reason'], ['variance', 'with', 'r']);
      const column = readString(head.column, at(p, 'column'));
      if (!columns.includes(column)) throw badModel(at(p, 'column'), `names ${JSON.stringify(column)}, which is not among the filter's columns`);
      if (gone.has(column)) throw badModel(at(p, 'column'), `repeats ${JSON.stringify(column)}`);
      gone.add(column);
      if (head.reason === 'lowVariance') {
        const d = readObject(v, p, ['column', 'reason', 'variance']);
        return Object.freeze({ column, reason: 'lowVariance', variance: readNumber(d.variance, at(p, 'variance')) });
      }
      if (head.reason === 'correlated') {
        const d = readObject(v, p, ['column', 'reason', 'with', 'r']);
        const other = readString(d.with, at(p, 'with'));
        if (!columns.includes(other) || other === column) throw badModel(at(p, 'with'), `names ${JSON.stringify(other)}, which is not another of the filter's columns`);
        return Object.freeze({ column, reason: 'correlated', with: other, r: readNumber(d.r, at(p, 'r')) });
      }
      throw badModel(at(p, 'reason'), `must be "lowVariance" or "correlated", got ${JSON.stringify(head.reason)}`);
    });
    const filter = new FeatureFilter({ varianceThreshold, correlationThreshold });
    filter.#loaded = true;
    filter.#fitted = Object.freeze({ columns: Object.freeze(columns), dropped: Object.freeze(dropped) });
    return filter;
  }
}
