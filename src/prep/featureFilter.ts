import { SegkitError, badOption } from '../util/errors.js';
import { populationVariance, stat } from './fitStats.js';
import { withColumnStats } from './columnStats.js';
import type { RunOptions } from '../engine/executor.js';
import { numericColumn, replaceColumns, type ColumnMeta, type Frame, type FrameColumn } from './frame.js';
import { at, badModel, readEach, readNumber, readObject, readString, readStrings } from '../util/modelJson.js';
import { checkFrame, checkModelColumns, columnsOption, knownOptions, notFitted, numericFitColumns, optionsObject, type PrepStep } from './step.js';
import { orDefault } from '../util/options.js';

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

/**
 * Drops uninformative feature columns at fit time: first those with low variance, then, scanning columns in order,
 * each column whose |Pearson r| with an earlier kept column is above the threshold (the earlier column is kept;
 * a dropped column never causes another to be dropped). A constant column has no correlation with any other (pandas'
 * and numpy's NaN), so it is never dropped as correlated.
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
    const v = orDefault(o.varianceThreshold, DEFAULTS.varianceThreshold);
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw badOption(`${optionName}.varianceThreshold`, v, 'null or a finite number >= 0');
    const r = orDefault(o.correlationThreshold, DEFAULTS.correlationThreshold);
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

  async fit(frame: Frame, options: RunOptions = {}): Promise<this> {
    const columns = numericFitColumns(this.kind, this.#loaded, frame, options, this.#columns);
    const data = columns.map((name) => numericColumn(frame, name, 'the feature filter').values);
    const dropped: DroppedFeature[] = [];
    if (data.length) {
      await withColumnStats(data, options, async (st) => {
        const moments = await st.moments();
        moments.forEach((m, j) => {
          if (m.count === frame.n) return;
          const i = data[j].findIndex((v) => v !== v);
          throw new SegkitError('E_NAN_INPUT', `row ${frame.rows[i]}, column "${columns[j]}" is missing`, 'impute missing values before filtering features');
        });
        const extents = await st.extents();
        const kept: number[] = [];
        columns.forEach((name, j) => {
          if (this.varianceThreshold === null) return void kept.push(j);
          const [lo, hi] = extents[j];
          // As VarianceThreshold: a constant column has variance 0 even when the float64 variance comes out a hair above.
          const variance = lo === hi ? 0 : populationVariance(moments[j]);
          if (variance <= this.varianceThreshold) dropped.push({ column: name, reason: 'lowVariance', variance: stat(variance) });
          else kept.push(j);
        });
        if (this.correlationThreshold === null) return;
        const t = this.correlationThreshold;
        const d = columns.length;
        // Pearson r as a normalised dot product of mean-centred columns, all pairs from one pass
        const dots = await st.crossProducts(Float64Array.from(moments, (m) => m.mean));
        // a constant column has no correlation (NaN, as pandas and numpy give), however its mean rounded
        const norm = (j: number) => (extents[j][0] === extents[j][1] ? 0 : Math.sqrt(dots[j * d + j]));
        const survivors: number[] = [];
        for (const j of kept) {
          let hit: { with: string; r: number } | undefined;
          if (norm(j) > 0) {
            for (const s of survivors) {
              if (norm(s) === 0) continue;
              const r = dots[s * d + j] / (norm(s) * norm(j));
              if (Math.abs(r) > t) {
                hit = { with: columns[s], r: stat(r) };
                break;
              }
            }
          }
          if (hit) dropped.push({ column: columns[j], reason: 'correlated', ...hit });
          else survivors.push(j);
        }
      });
    }
    this.#fitted = Object.freeze({ columns: Object.freeze([...columns]), dropped: Object.freeze(dropped.map((d) => Object.freeze(d))) });
    return this;
  }

  transform(frame: Frame): { frame: Frame; report: FeatureFilterReport } {
    checkFrame(frame, this.kind);
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
