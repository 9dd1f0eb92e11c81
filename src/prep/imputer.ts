import { SegkitError, badOption } from '../util/errors.js';
import { stat } from './fitStats.js';
import { withColumnStats } from './columnStats.js';
import type { RunOptions } from '../engine/executor.js';
import { numericColumn, outputFor, replaceColumns, type ColumnMeta, type Frame, type FrameColumn } from './frame.js';
import { at, badModel, FLOAT32_MAX, readEach, readEnum, readFloat32, readNumbers, readObject, readStrings } from '../util/modelJson.js';
import { byColumnOption, checkFrame, checkModelColumns, columnsOption, knownOptions, notFitted, numericFitColumns, optionsObject, type PrepStep } from './step.js';

export type ImputeStrategy = 'mean' | 'median' | 'mostFrequent' | 'constant';

export interface ImputerOptions {
  /** Strategy for every column without its own entry in `byColumn`. */
  readonly strategy?: ImputeStrategy;
  /** The value used by the 'constant' strategy. */
  readonly fillValue?: number;
  /** Numeric columns to impute; default: every numeric column reaching the step. */
  readonly columns?: readonly string[];
  /** Per-column strategy; a number means 'constant' with that value. */
  readonly byColumn?: Readonly<Record<string, ImputeStrategy | number>>;
}

export interface ImputerReport {
  readonly kind: 'imputer';
  /** Missing values filled in each column. */
  readonly columns: readonly { readonly column: string; readonly filled: number }[];
}

export interface ImputerJSON {
  readonly kind: 'imputer';
  readonly columns: string[];
  readonly strategies: ImputeStrategy[];
  /** The fitted fill value of each column. */
  readonly values: number[];
}

const STRATEGIES: readonly ImputeStrategy[] = ['mean', 'median', 'mostFrequent', 'constant'];
const DEFAULTS = Object.freeze({ strategy: 'mean' as ImputeStrategy, fillValue: 0 });

function strategyOption(v: unknown, name: string): ImputeStrategy {
  if (typeof v !== 'string' || !(STRATEGIES as readonly string[]).includes(v)) throw badOption(name, v, `one of ${STRATEGIES.join(', ')}`);
  return v as ImputeStrategy;
}

function finiteOption(v: unknown, name: string): number {
  // a saved model holds fill values as float32
  if (typeof v !== 'number' || !(Math.abs(v) <= FLOAT32_MAX)) throw badOption(name, v, 'a finite number within the float32 range (|x| <= 3.4e38)');
  return v;
}

interface Fitted {
  readonly columns: readonly string[];
  readonly strategies: readonly ImputeStrategy[];
  readonly values: readonly number[];
}

/** The statistic of each column's non-missing values (NaN when there are none), as shard ops on the executor. */
async function fitValues(columns: Float64Array[], strategies: readonly ('mean' | 'median' | 'mostFrequent')[], options: RunOptions): Promise<number[]> {
  if (columns.length === 0) return [];
  return withColumnStats(columns, options, async (st) => {
    const m = await st.moments();
    const out: number[] = [];
    // every median's search runs together: one pass over the shards per radix step, whatever the column count
    const medianColumns = strategies.flatMap((strategy, q) => (strategy === 'median' ? [q] : []));
    const medians = await st.medians(medianColumns.map((q) => ({ j: q, count: m[q].count })));
    for (let q = 0; q < columns.length; q++) {
      const strategy = strategies[q];
      if (strategy === 'mean') out.push(m[q].count === 0 ? NaN : m[q].mean);
      else if (strategy === 'median') out.push(medians[medianColumns.indexOf(q)]);
      else out.push(m[q].count === 0 ? NaN : await st.mode(q));
    }
    return out;
  });
}

/**
 * Fills missing numeric values with a per-column statistic learnt at fit time, as scikit-learn's SimpleImputer:
 * 'mean', 'median' (numpy's median), 'mostFrequent' (ties go to the smallest value) or 'constant'.
 *
 * @example
 * const imp = new Imputer({ strategy: 'median', byColumn: { visits: 0 } });
 */
export class Imputer implements PrepStep {
  readonly kind = 'imputer';
  readonly #strategy: ImputeStrategy;
  readonly #fillValue: number;
  readonly #columns: readonly string[] | undefined;
  readonly #byColumn: ReadonlyMap<string, ImputeStrategy | number>;
  readonly #option: string;
  #fitted: Fitted | undefined;
  #loaded = false;

  /** `optionName` is how errors name these options (the pipeline factory passes 'impute'). */
  constructor(options: ImputerOptions = {}, optionName = 'imputer') {
    const o = optionsObject(options, optionName);
    knownOptions(o, optionName, ['strategy', 'fillValue', 'columns', 'byColumn']);
    this.#strategy = o.strategy === undefined ? DEFAULTS.strategy : strategyOption(o.strategy, `${optionName}.strategy`);
    this.#fillValue = o.fillValue === undefined ? DEFAULTS.fillValue : finiteOption(o.fillValue, `${optionName}.fillValue`);
    this.#columns = columnsOption(o.columns, `${optionName}.columns`);
    this.#byColumn = byColumnOption(o.byColumn, `${optionName}.byColumn`, (v, name) =>
      typeof v === 'number' ? finiteOption(v, name) : strategyOption(v, name),
    );
    this.#option = optionName;
  }

  get fitted(): boolean {
    return this.#fitted !== undefined;
  }

  get columns(): readonly string[] {
    return this.#fitted?.columns ?? [];
  }

  /** The fill value of each fitted column (scikit-learn's `statistics_`). */
  get statistics(): readonly number[] {
    return this.#fitted?.values ?? [];
  }

  async fit(frame: Frame, options: RunOptions = {}): Promise<this> {
    const columns = numericFitColumns(this.kind, this.#loaded, frame, options, this.#columns, { option: `${this.#option}.byColumn`, settings: this.#byColumn, role: 'imputed' });
    const strategies: ImputeStrategy[] = [];
    const values: number[] = [];
    const learnt: { q: number; name: string; values: Float64Array; strategy: 'mean' | 'median' | 'mostFrequent' }[] = [];
    for (const name of columns) {
      const col = numericColumn(frame, name, 'the imputer');
      const setting = this.#byColumn.get(name) ?? this.#strategy;
      const strategy = typeof setting === 'number' ? 'constant' : setting;
      strategies.push(strategy);
      if (strategy === 'constant') values.push(stat(typeof setting === 'number' ? setting : this.#fillValue));
      else {
        learnt.push({ q: values.length, name, values: col.values, strategy });
        values.push(NaN);
      }
    }
    const fittedValues = await fitValues(learnt.map((l) => l.values), learnt.map((l) => l.strategy), options);
    learnt.forEach(({ q, name, strategy }, i) => {
      const value = fittedValues[i];
      if (Number.isNaN(value)) {
        throw new SegkitError('E_EMPTY_DATA', `column "${name}" has no values to compute its ${strategy} from`, 'give it a constant fill value in `byColumn`');
      }
      if (!Number.isFinite(value)) throw new SegkitError('E_NAN_INPUT', `the ${strategy} of column "${name}" overflows float64`);
      // a saved model holds fill values as float32 (fromJSON refuses others): a fit that saves but never loads is refused here
      if (Math.abs(value) > FLOAT32_MAX) {
        throw new SegkitError('E_NAN_INPUT', `the ${strategy} of column "${name}" is ${value}, outside the float32 range a saved model holds`, 'rescale the column (divide it by a power of ten)');
      }
      values[q] = stat(value);
    });
    this.#fitted = Object.freeze({ columns: Object.freeze([...columns]), strategies: Object.freeze(strategies), values: Object.freeze(values) });
    return this;
  }

  transform(frame: Frame): { frame: Frame; report: ImputerReport } {
    checkFrame(frame, this.kind);
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    const replace = new Map<string, FrameColumn[]>();
    const counts: { column: string; filled: number }[] = [];
    f.columns.forEach((name, j) => {
      const col = numericColumn(frame, name, 'the imputer');
      const values = col.values;
      const fill = f.values[j];
      let out: Float64Array | undefined;
      let filled = 0;
      const n = frame.n;
      for (let i = 0; i < n; i++) {
        if (values[i] !== values[i]) {
          if (!out) {
            out = outputFor(frame, col);
            if (out !== values) out.set(values);
          }
          out[i] = fill;
          filled++;
        }
      }
      if (out) replace.set(name, [{ kind: 'numeric', name, values: out }]);
      counts.push({ column: name, filled });
    });
    return { frame: replaceColumns(frame, replace), report: { kind: 'imputer', columns: counts } };
  }

  outputSchema(input: readonly ColumnMeta[], path: string): ColumnMeta[] {
    if (!this.#fitted) throw notFitted(this.kind);
    checkModelColumns(input, this.#fitted.columns, 'numeric', at(path, 'columns'));
    return [...input];
  }

  toJSON(): ImputerJSON {
    const f = this.#fitted;
    if (!f) throw notFitted(this.kind);
    return { kind: 'imputer', columns: [...f.columns], strategies: [...f.strategies], values: [...f.values] };
  }

  /** A fitted imputer from its JSON; E_BAD_MODEL names the bad field under `path`. */
  static fromJSON(json: unknown, path = ''): Imputer {
    const o = readObject(json, path, ['kind', 'columns', 'strategies', 'values']);
    if (o.kind !== 'imputer') throw badModel(at(path, 'kind'), `must be "imputer", got ${JSON.stringify(o.kind)}`);
    const columns = readStrings(o.columns, at(path, 'columns'), undefined, true);
    const strategies = readEach(o.strategies, at(path, 'strategies'), columns.length, (v, p) => readEnum(v, p, STRATEGIES));
    const values = readNumbers(o.values, at(path, 'values'), columns.length, readFloat32);
    const imp = new Imputer();
    imp.#loaded = true;
    imp.#fitted = Object.freeze({ columns: Object.freeze(columns), strategies: Object.freeze(strategies), values: Object.freeze(values.map(stat)) });
    return imp;
  }
}
