import { SegkitError, badOption } from '../util/errors.js';
import { populationVariance, stat } from './fitStats.js';
import { withColumnStats } from './columnStats.js';
import type { RunOptions } from '../engine/executor.js';
import { keepRows, numericColumn, replaceColumns, type ColumnMeta, type Frame, type FrameColumn } from './frame.js';
import { at, badModel, readEnum, readNumbers, readObject, readPositive, readStrings } from '../util/modelJson.js';
import { checkFrame, checkModelColumns, columnsOption, knownOptions, notFitted, numericFitColumns, optionsObject, type PrepStep } from './step.js';
import { orDefault } from '../util/options.js';

export type OutlierMethod = 'iqr' | 'zscore';
export type OutlierAction = 'clip' | 'drop';

export interface OutliersOptions {
  /** 'iqr': outside [Q1 - factor IQR, Q3 + factor IQR] (Tukey's fences); 'zscore': more than `threshold` standard deviations from the mean. */
  readonly method?: OutlierMethod;
  /** IQR multiplier for 'iqr'. */
  readonly factor?: number;
  /** Standard deviations for 'zscore' (population standard deviation, as scipy.stats.zscore). */
  readonly threshold?: number;
  /** 'clip' moves outlying values to the nearest bound; 'drop' removes every row with an outlying value. */
  readonly action?: OutlierAction;
  /** Numeric columns to check; default: every numeric column reaching the step. */
  readonly columns?: readonly string[];
}

export interface OutliersColumnReport {
  readonly column: string;
  readonly low: number;
  readonly high: number;
  /** Values moved to a bound ('clip'). */
  readonly clipped: number;
  /** Rows dropped because of this column ('drop'); a row outlying in two columns counts in both. */
  readonly dropped: number;
}

export interface OutliersReport {
  readonly kind: 'outliers';
  readonly action: OutlierAction;
  /** Rows removed in all ('drop'). */
  readonly rowsDropped: number;
  readonly columns: readonly OutliersColumnReport[];
}

export type OutliersJSON =
  | { readonly kind: 'outliers'; readonly method: 'iqr'; readonly factor: number; readonly action: OutlierAction; readonly columns: string[]; readonly lows: number[]; readonly highs: number[] }
  | { readonly kind: 'outliers'; readonly method: 'zscore'; readonly threshold: number; readonly action: OutlierAction; readonly columns: string[]; readonly lows: number[]; readonly highs: number[] };

const DEFAULTS = Object.freeze({ method: 'iqr' as OutlierMethod, factor: 1.5, threshold: 3, action: 'clip' as OutlierAction });

function positiveOption(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw badOption(name, v, 'a finite number greater than 0');
  return v;
}

interface Fitted {
  readonly columns: readonly string[];
  readonly lows: readonly number[];
  readonly highs: readonly number[];
}

/**
 * Finds outlying values per column with bounds learnt at fit time, then clips them or drops their rows.
 * Quartiles use numpy's default linear interpolation; missing values are never outliers.
 *
 * @example
 * const rule = new Outliers({ method: 'zscore', threshold: 3, action: 'drop' });
 */
export class Outliers implements PrepStep {
  readonly kind = 'outliers';
  readonly method: OutlierMethod;
  /** The IQR factor ('iqr') or the z threshold ('zscore'). */
  readonly multiplier: number;
  readonly action: OutlierAction;
  readonly #columns: readonly string[] | undefined;
  #fitted: Fitted | undefined;
  #loaded = false;

  /** `optionName` is how errors name these options (the pipeline factory passes 'outliers'). */
  constructor(options: OutliersOptions = {}, optionName = 'outliers') {
    const o = optionsObject(options, optionName);
    knownOptions(o, optionName, ['method', 'factor', 'threshold', 'action', 'columns']);
    const method = orDefault(o.method, DEFAULTS.method);
    if (method !== 'iqr' && method !== 'zscore') throw badOption(`${optionName}.method`, method, '"iqr" or "zscore"');
    const action = orDefault(o.action, DEFAULTS.action);
    if (action !== 'clip' && action !== 'drop') throw badOption(`${optionName}.action`, action, '"clip" or "drop"');
    if (method === 'iqr' && o.threshold !== undefined) throw badOption(`${optionName}.threshold`, o.threshold, 'unset with method "iqr" (use `factor`)');
    if (method === 'zscore' && o.factor !== undefined) throw badOption(`${optionName}.factor`, o.factor, 'unset with method "zscore" (use `threshold`)');
    this.method = method;
    this.multiplier =
      method === 'iqr'
        ? o.factor === undefined ? DEFAULTS.factor : positiveOption(o.factor, `${optionName}.factor`)
        : o.threshold === undefined ? DEFAULTS.threshold : positiveOption(o.threshold, `${optionName}.threshold`);
    this.action = action;
    this.#columns = columnsOption(o.columns, `${optionName}.columns`);
  }

  get fitted(): boolean {
    return this.#fitted !== undefined;
  }

  get columns(): readonly string[] {
    return this.#fitted?.columns ?? [];
  }

  /** The fitted bounds of each column: values outside [low, high] are outliers. */
  get bounds(): readonly { readonly column: string; readonly low: number; readonly high: number }[] {
    const f = this.#fitted;
    return f ? f.columns.map((column, j) => ({ column, low: f.lows[j], high: f.highs[j] })) : [];
  }

  async fit(frame: Frame, options: RunOptions = {}): Promise<this> {
    const columns = numericFitColumns(this.kind, this.#loaded, frame, options, this.#columns);
    const lows: number[] = [];
    const highs: number[] = [];
    const values = columns.map((name) => numericColumn(frame, name, 'the outlier rule').values);
    if (values.length) {
      await withColumnStats(values, options, async (st) => {
        const moments = await st.moments();
        // the quartiles of every column are searched for together
        const iqr = this.method === 'iqr' ? columns.flatMap((_, q) => (moments[q].count > 0 ? [q] : [])) : [];
        const quartiles = iqr.length > 0 ? await st.quantilesOf(iqr.map((j) => ({ j, ps: [0.25, 0.75], count: moments[j].count }))) : [];
        for (let q = 0; q < columns.length; q++) {
          const name = columns[q], m = moments[q];
          let low: number;
          let high: number;
          if (this.method === 'iqr') {
            const [q1, q3] = m.count > 0 ? quartiles[iqr.indexOf(q)] : [NaN, NaN];
            low = q1 - this.multiplier * (q3 - q1);
            high = q3 + this.multiplier * (q3 - q1);
          } else {
            const sd = Math.sqrt(populationVariance(m));
            low = m.mean - this.multiplier * sd;
            high = m.mean + this.multiplier * sd;
          }
          if (low !== low) throw new SegkitError('E_EMPTY_DATA', `column "${name}" has no values to fit outlier bounds on`);
          if (!Number.isFinite(low) || !Number.isFinite(high)) throw new SegkitError('E_NAN_INPUT', `the outlier bounds of column "${name}" overflow float64`);
          lows.push(stat(low));
          highs.push(stat(high));
        }
      });
    }
    this.#fitted = Object.freeze({ columns: Object.freeze([...columns]), lows: Object.freeze(lows), highs: Object.freeze(highs) });
    return this;
  }

  transform(frame: Frame): { frame: Frame; report: OutliersReport } {
    checkFrame(frame, this.kind);
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    const reports: OutliersColumnReport[] = [];
    if (this.action === 'clip') {
      const replace = new Map<string, FrameColumn[]>();
      f.columns.forEach((name, j) => {
        const col = numericColumn(frame, name, 'the outlier rule');
        const low = f.lows[j];
        const high = f.highs[j];
        let out: Float64Array | undefined;
        let clipped = 0;
        const values = col.values, n = frame.n;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          if (v < low || v > high) {
            out ??= Float64Array.from(values);
            out[i] = v < low ? low : high;
            clipped++;
          }
        }
        if (out) replace.set(name, [{ kind: 'numeric', name, values: out }]);
        reports.push({ column: name, low, high, clipped, dropped: 0 });
      });
      return { frame: replaceColumns(frame, replace), report: { kind: 'outliers', action: 'clip', rowsDropped: 0, columns: reports } };
    }
    const keep = new Uint8Array(frame.n).fill(1);
    f.columns.forEach((name, j) => {
      const col = numericColumn(frame, name, 'the outlier rule');
      const low = f.lows[j];
      const high = f.highs[j];
      let dropped = 0;
      const values = col.values, n = frame.n;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v < low || v > high) {
          keep[i] = 0;
          dropped++;
        }
      }
      reports.push({ column: name, low, high, clipped: 0, dropped });
    });
    const out = keepRows(frame, keep);
    return { frame: out, report: { kind: 'outliers', action: 'drop', rowsDropped: frame.n - out.n, columns: reports } };
  }

  outputSchema(input: readonly ColumnMeta[], path: string): ColumnMeta[] {
    if (!this.#fitted) throw notFitted(this.kind);
    checkModelColumns(input, this.#fitted.columns, 'numeric', at(path, 'columns'));
    return [...input];
  }

  toJSON(): OutliersJSON {
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    const common = { kind: 'outliers' as const, action: this.action, columns: [...f.columns], lows: [...f.lows], highs: [...f.highs] };
    return this.method === 'iqr' ? { ...common, method: 'iqr', factor: this.multiplier } : { ...common, method: 'zscore', threshold: this.multiplier };
  }

  /** A fitted outlier rule from its JSON; E_BAD_MODEL names the bad field under `path`. */
  static fromJSON(json: unknown, path = ''): Outliers {
    const head = readObject(json, path, ['kind', 'method'], ['factor', 'threshold', 'action', 'columns', 'lows', 'highs']);
    const method = readEnum(head.method, at(path, 'method'), ['iqr', 'zscore'] as const);
    const knob = method === 'iqr' ? 'factor' : 'threshold';
    const o = readObject(json, path, ['kind', 'method', knob, 'action', 'columns', 'lows', 'highs']);
    if (o.kind !== 'outliers') throw badModel(at(path, 'kind'), `must be "outliers", got ${JSON.stringify(o.kind)}`);
    const multiplier = readPositive(o[knob], at(path, knob));
    const action = readEnum(o.action, at(path, 'action'), ['clip', 'drop'] as const);
    const columns = readStrings(o.columns, at(path, 'columns'), undefined, true);
    const lows = readNumbers(o.lows, at(path, 'lows'), columns.length);
    const highs = readNumbers(o.highs, at(path, 'highs'), columns.length);
    highs.forEach((h, j) => {
      if (h < lows[j]) throw badModel(at(at(path, 'highs'), j), `is below the matching low bound ${lows[j]}`);
    });
    const rule = new Outliers(method === 'iqr' ? { method, factor: multiplier, action } : { method, threshold: multiplier, action });
    rule.#loaded = true;
    rule.#fitted = Object.freeze({ columns: Object.freeze(columns), lows: Object.freeze(lows.map(stat)), highs: Object.freeze(highs.map(stat)) });
    return rule;
  }
}
