import { SegkitError, badOption } from '../util/errors.js';
import { populationVariance, stat, type Moments } from './fitStats.js';
import { withColumnStats } from './columnStats.js';
import type { RunOptions } from '../engine/executor.js';
import { numericColumn, outputFor, replaceColumns, type ColumnMeta, type Frame, type FrameColumn } from './frame.js';
import { at, badModel, FLOAT32_MAX, readEach, readEnum, readFloat32, readNumbers, readObject, readPositiveFloat32, readStrings } from '../util/modelJson.js';
import { byColumnOption, checkFrame, checkModelColumns, columnsOption, knownOptions, notFitted, numericFitColumns, optionsObject, type PrepStep } from './step.js';
import { log1p } from '../util/detMath.js';
import { orDefault } from '../util/options.js';

export type ScaleMethod = 'standard' | 'minmax' | 'robust' | 'log1p' | 'none';

/** A method as fitted: 'log1pStandard' is log1p followed by standardisation. */
export type FittedScaleMethod = ScaleMethod | 'log1pStandard';

export interface ScalerOptions {
  /** Method for every column without its own entry in `byColumn`. */
  readonly method?: ScaleMethod;
  /** After 'log1p', also standardise (mean 0, standard deviation 1 on the log scale). */
  readonly standardize?: boolean;
  /** Numeric columns to scale; default: every numeric column reaching the step. */
  readonly columns?: readonly string[];
  readonly byColumn?: Readonly<Record<string, ScaleMethod>>;
}

export interface ScalerReport {
  readonly kind: 'scaler';
  readonly columns: readonly string[];
}

export interface ScalerJSON {
  readonly kind: 'scaler';
  readonly columns: string[];
  readonly methods: FittedScaleMethod[];
  /** Each output is (x - center) / scale, with x = log1p(value) for the log1p methods. */
  readonly centers: number[];
  readonly scales: number[];
}

const METHODS: readonly ScaleMethod[] = ['standard', 'minmax', 'robust', 'log1p', 'none'];
const FITTED_METHODS: readonly FittedScaleMethod[] = ['standard', 'minmax', 'robust', 'log1p', 'log1pStandard', 'none'];
const DEFAULTS = Object.freeze({ method: 'standard' as ScaleMethod, standardize: true });
const EPS = 2 ** -52;

function methodOption(v: unknown, name: string): ScaleMethod {
  if (typeof v !== 'string' || !(METHODS as readonly string[]).includes(v)) throw badOption(name, v, `one of ${METHODS.join(', ')}`);
  return v as ScaleMethod;
}

const isLog = (m: FittedScaleMethod) => m === 'log1p' || m === 'log1pStandard';

function logError(row: number, column: string, value: number): SegkitError {
  return new SegkitError('E_NAN_INPUT', `row ${row}, column "${column}" holds ${value}; log1p needs values greater than -1`, "use another scaling method for this column (`byColumn`)");
}

/** log1p of a column (NaN stays NaN); throws naming the first value at or below -1. */
function log1pColumn(values: Float64Array, rows: Int32Array, column: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v <= -1) throw logError(rows[i], column, v);
    out[i] = log1p(v);
  }
  return out;
}

const EPS_CONSTANT = EPS;

/** Center and scale as scikit-learn computes them, including how it treats a zero scale (left at 1); undefined when the column has no values. */
async function fitCenterScale(method: FittedScaleMethod, q: number, quartiles: (q: number) => Promise<number[]>, m: Moments, ext: () => Promise<[number, number][]>): Promise<[number, number] | undefined> {
  switch (method) {
    case 'none':
    case 'log1p':
      return [0, 1];
    case 'standard':
    case 'log1pStandard': {
      if (m.count === 0) return undefined;
      const v = populationVariance(m);
      // a variance that overflows is not a constant column: the caller names the value behind it
      if (!Number.isFinite(v)) return [m.mean, v];
      // StandardScaler's _is_constant_feature: a variance within rounding error of 0 counts as 0.
      const constant = v <= m.count * EPS_CONSTANT * v + (m.count * m.mean * EPS_CONSTANT) ** 2;
      return [m.mean, constant ? 1 : Math.sqrt(v)];
    }
    case 'minmax': {
      const [lo, hi] = (await ext())[q];
      if (lo !== lo) return undefined;
      const range = hi - lo;
      return [lo, range < 10 * EPS ? 1 : range];
    }
    case 'robust': {
      // RobustScaler: center = nanmedian, scale = IQR from np.nanpercentile's linear interpolation.
      if (m.count === 0) return undefined;
      const [q1, med, q3] = await quartiles(q);
      const iqr = q3 - q1;
      return [med, iqr < 10 * EPS ? 1 : iqr];
    }
  }
}

interface Fitted {
  readonly columns: readonly string[];
  readonly methods: readonly FittedScaleMethod[];
  readonly centers: readonly number[];
  readonly scales: readonly number[];
}

/**
 * Scales numeric columns, each by its own method: 'standard' (StandardScaler, population standard deviation),
 * 'minmax' (to [0, 1]), 'robust' (RobustScaler: median and interquartile range), 'log1p' (optionally standardised
 * afterwards), or 'none'. Missing values stay missing; statistics skip them, as scikit-learn does.
 *
 * @example
 * const scaler = new Scaler({ method: 'robust', byColumn: { spend: 'log1p' } });
 */
export class Scaler implements PrepStep {
  readonly kind = 'scaler';
  readonly #method: ScaleMethod;
  readonly #standardize: boolean;
  readonly #columns: readonly string[] | undefined;
  readonly #byColumn: ReadonlyMap<string, ScaleMethod>;
  readonly #option: string;
  #fitted: Fitted | undefined;
  #loaded = false;

  /** `optionName` is how errors name these options (the pipeline factory passes 'scale'). */
  constructor(options: ScalerOptions = {}, optionName = 'scaler') {
    const o = optionsObject(options, optionName);
    knownOptions(o, optionName, ['method', 'standardize', 'columns', 'byColumn']);
    this.#method = o.method === undefined ? DEFAULTS.method : methodOption(o.method, `${optionName}.method`);
    if (o.standardize !== undefined && typeof o.standardize !== 'boolean') throw badOption(`${optionName}.standardize`, o.standardize, 'true or false');
    this.#standardize = orDefault(o.standardize, DEFAULTS.standardize);
    this.#columns = columnsOption(o.columns, `${optionName}.columns`);
    this.#byColumn = byColumnOption(o.byColumn, `${optionName}.byColumn`, methodOption);
    this.#option = optionName;
  }

  get fitted(): boolean {
    return this.#fitted !== undefined;
  }

  get columns(): readonly string[] {
    return this.#fitted?.columns ?? [];
  }

  /** Per fitted column: the method, and the center and scale in `(x - center) / scale`. */
  get methods(): readonly FittedScaleMethod[] {
    return this.#fitted?.methods ?? [];
  }

  get centers(): readonly number[] {
    return this.#fitted?.centers ?? [];
  }

  get scales(): readonly number[] {
    return this.#fitted?.scales ?? [];
  }

  async fit(frame: Frame, options: RunOptions = {}): Promise<this> {
    const columns = numericFitColumns(this.kind, this.#loaded, frame, options, this.#columns, { option: `${this.#option}.byColumn`, settings: this.#byColumn, role: 'scaled' });
    const methods: FittedScaleMethod[] = [];
    const centers: number[] = [];
    const scales: number[] = [];
    const xs: Float64Array[] = [];
    const asked: ScaleMethod[] = [];
    for (const name of columns) {
      const col = numericColumn(frame, name, 'the scaler');
      const m = this.#byColumn.get(name) ?? this.#method;
      const method: FittedScaleMethod = m === 'log1p' && this.#standardize ? 'log1pStandard' : m;
      methods.push(method);
      asked.push(m);
      xs.push(isLog(method) ? log1pColumn(col.values, frame.rows, name) : col.values);
    }
    if (xs.length) {
      await withColumnStats(xs, options, async (st) => {
        const moments = await st.moments();
        let extents: Promise<[number, number][]> | undefined;
        const ext = () => (extents ??= st.extents());
        // the quartiles of every robust column are searched for together, on first use
        const robust = methods.flatMap((method, q) => (method === 'robust' && moments[q].count > 0 ? [q] : []));
        let found: Promise<number[][]> | undefined;
        const quartiles = async (q: number) => {
          found ??= st.quantilesOf(robust.map((j) => ({ j, ps: [0.25, 'median', 0.75], count: moments[j].count })));
          return (await found)[robust.indexOf(q)];
        };
        for (let q = 0; q < columns.length; q++) {
          const name = columns[q], m = asked[q];
          const cs = await fitCenterScale(methods[q], q, quartiles, moments[q], ext);
          if (!cs) throw new SegkitError('E_EMPTY_DATA', `column "${name}" has no values to fit the ${m} scaling on`);
          if (!Number.isFinite(cs[0]) || !Number.isFinite(cs[1])) {
            // name the value that overflows: the largest in magnitude
            const x = xs[q];
            let at = -1;
            for (let i = 0; i < x.length; i++) if (x[i] === x[i] && (at < 0 || Math.abs(x[i]) > Math.abs(x[at]))) at = i;
            throw new SegkitError('E_NAN_INPUT', `row ${frame.rows[at]}, column "${name}" holds ${x[at]}${isLog(methods[q]) ? ' (after log1p)' : ''}: the ${m} scaling statistics of the column overflow float64`,
              'rescale the column (divide it by a power of ten), clip it, or scale it with log1p');
          }
          // a saved model holds centers and scales as float32 (fromJSON refuses others): a fit that saves but never loads is refused here
          if (Math.abs(cs[0]) > FLOAT32_MAX || !(Math.fround(cs[1]) > 0) || cs[1] > FLOAT32_MAX) {
            const what = Math.abs(cs[0]) > FLOAT32_MAX ? `center ${cs[0]}` : `scale ${cs[1]}`;
            // a scale float32 rounds to 0 is a column of tiny values: they need a larger unit, not a smaller one
            throw new SegkitError('E_NAN_INPUT', `the ${m} scaling ${what} of column "${name}" is outside the float32 range a saved model holds`,
              Math.fround(cs[1]) > 0 ? 'rescale the column (divide it by a power of ten), clip it, or scale it with log1p' : 'rescale the column (multiply it by a power of ten)');
          }
          centers.push(stat(cs[0]));
          scales.push(cs[1]);
        }
      });
    }
    this.#fitted = Object.freeze({ columns: Object.freeze([...columns]), methods: Object.freeze(methods), centers: Object.freeze(centers), scales: Object.freeze(scales) });
    return this;
  }

  transform(frame: Frame): { frame: Frame; report: ScalerReport } {
    checkFrame(frame, this.kind);
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    const replace = new Map<string, FrameColumn[]>();
    f.columns.forEach((name, j) => {
      const method = f.methods[j];
      if (method === 'none') return;
      const col = numericColumn(frame, name, 'the scaler');
      const x = col.values;
      const c = f.centers[j];
      const s = f.scales[j];
      const n = frame.n;
      const out = outputFor(frame, col);
      if (isLog(method)) {
        for (let i = 0; i < n; i++) {
          const v = x[i];
          if (v <= -1) throw logError(frame.rows[i], name, v);
          out[i] = (log1p(v) - c) / s;
        }
      } else {
        for (let i = 0; i < n; i++) out[i] = (x[i] - c) / s;
      }
      replace.set(name, [{ kind: 'numeric', name, values: out }]);
    });
    return { frame: replaceColumns(frame, replace), report: { kind: 'scaler', columns: f.columns } };
  }

  outputSchema(input: readonly ColumnMeta[], path: string): ColumnMeta[] {
    if (!this.#fitted) throw notFitted(this.kind);
    checkModelColumns(input, this.#fitted.columns, 'numeric', at(path, 'columns'));
    return [...input];
  }

  toJSON(): ScalerJSON {
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    return { kind: 'scaler', columns: [...f.columns], methods: [...f.methods], centers: [...f.centers], scales: [...f.scales] };
  }

  /** A fitted scaler from its JSON; E_BAD_MODEL names the bad field under `path`. */
  static fromJSON(json: unknown, path = ''): Scaler {
    const o = readObject(json, path, ['kind', 'columns', 'methods', 'centers', 'scales']);
    if (o.kind !== 'scaler') throw badModel(at(path, 'kind'), `must be "scaler", got ${JSON.stringify(o.kind)}`);
    const columns = readStrings(o.columns, at(path, 'columns'), undefined, true);
    const methods = readEach(o.methods, at(path, 'methods'), columns.length, (v, p) => readEnum(v, p, FITTED_METHODS));
    const centers = readNumbers(o.centers, at(path, 'centers'), columns.length, readFloat32);
    const scales = readNumbers(o.scales, at(path, 'scales'), columns.length, readPositiveFloat32);
    const scaler = new Scaler();
    scaler.#loaded = true;
    scaler.#fitted = Object.freeze({ columns: Object.freeze(columns), methods: Object.freeze(methods), centers: Object.freeze(centers.map(stat)), scales: Object.freeze(scales) });
    return scaler;
  }
}
