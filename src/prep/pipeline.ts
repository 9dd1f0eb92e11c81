import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import type { RunOptions } from '../engine/executor.js';
import { fromColumns, markCoarse, type Dataset, type Spread } from '../data/dataset.js';
import { FeatureFilter } from './featureFilter.js';
import { hasColumn, inspectTable, missingColumn, ownColumns, readColumn, type ColumnKind, type ColumnMeta, type Frame, type SourceSchema, type TableInput } from './frame.js';
import { Imputer, type ImputeStrategy, type ImputerOptions } from './imputer.js';
import { at, badModel, readEach, readEnum, readObject, readString, readStrings } from '../util/modelJson.js';
import { OneHotEncoder, type OneHotEncoderOptions } from './oneHotEncoder.js';
import { Outliers, type OutlierMethod, type OutliersOptions } from './outliers.js';
import { Scaler, type ScaleMethod, type ScalerOptions } from './scaler.js';
import { columnsOption, knownOptions, type PrepStep, type StepJSON, type StepReport } from './step.js';

/** Which columns of the raw table become features. */
export interface PipelineSelection {
  /** Input columns to use, in this order; default: every numeric column except the id column and `exclude`. */
  readonly columns?: readonly string[];
  /** Columns never used by default. */
  readonly exclude?: readonly string[];
  /**
   * The customer id column, never a feature by default. Default: the first column named like an id
   * (`id`, `customer_id`, `customer-id`, `customerId`, `customerID`); null: none.
   */
  readonly id?: string | null;
}

/** Options of the `pipeline` factory; steps run in the order outliers, impute, scale, encode, drop. */
export interface PipelineOptions extends PipelineSelection {
  readonly outliers?: OutlierMethod | OutliersOptions | boolean;
  readonly impute?: ImputeStrategy | ImputerOptions | boolean;
  /** Scales the numeric input columns (one-hot columns stay 0/1). */
  readonly scale?: ScaleMethod | ScalerOptions | boolean;
  /** Categorical columns to one-hot encode: a list, 'auto' (string columns with few distinct values) or encoder options. */
  readonly encode?: readonly string[] | 'auto' | OneHotEncoderOptions | boolean;
  /** Drop feature columns with variance at or below this (true: 0, i.e. constant columns). */
  readonly dropLowVariance?: number | boolean;
  /** Drop the later of two feature columns with |Pearson r| above this (true: 0.95). */
  readonly dropCorrelated?: number | boolean;
}

export interface PipelineReport {
  /** Rows in the table given. */
  readonly rowsIn: number;
  /** Rows in the dataset (fewer when outlier rows were dropped). */
  readonly rowsOut: number;
  /** One report per step, in step order. */
  readonly steps: readonly StepReport[];
}

export interface PipelineResult {
  readonly dataset: Dataset;
  /** The row of the input table behind each dataset row. */
  readonly rowIndex: Int32Array;
  readonly report: PipelineReport;
}

export interface PipelineJSON {
  readonly kind: 'segkit.pipeline';
  readonly version: 1;
  readonly id: string | null;
  readonly inputs: { readonly name: string; readonly type: ColumnKind }[];
  readonly steps: StepJSON[];
  readonly featureNames: string[];
}

const DEFAULTS = Object.freeze({
  outliers: false,
  impute: false,
  scale: 'standard',
  encode: false,
  dropLowVariance: false,
  dropCorrelated: false,
} as const);

// What `dropCorrelated: true` means.
const DEFAULT_CORRELATION = 0.95;

const FACTORY_OPTIONS = ['outliers', 'impute', 'scale', 'encode', 'dropLowVariance', 'dropCorrelated', 'columns', 'exclude', 'id'];

const READERS: ReadonlyMap<string, (json: unknown, path: string) => PrepStep> = new Map<string, (json: unknown, path: string) => PrepStep>([
  ['outliers', Outliers.fromJSON],
  ['imputer', Imputer.fromJSON],
  ['scaler', Scaler.fromJSON],
  ['oneHotEncoder', OneHotEncoder.fromJSON],
  ['featureFilter', FeatureFilter.fromJSON],
]);

/** `id`, `customer_id`, `customer-id`, `customer id`, `customerId`, `customerID`. */
export function looksLikeId(name: string): boolean {
  return /^id$/i.test(name) || /[_\-\s.]id$/i.test(name) || /[a-z0-9]I[dD]$/.test(name);
}

/** The steps segkit provides (exactly these classes, not subclasses): none keeps a reference to a frame's arrays. */
const BUILT_IN_STEPS = [Outliers, Imputer, Scaler, OneHotEncoder, FeatureFilter] as const;

function isStep(x: unknown): x is PrepStep {
  const s = x as PrepStep;
  return !!s && typeof s === 'object' && typeof s.kind === 'string' && typeof s.fit === 'function' && typeof s.transform === 'function' && typeof s.outputSchema === 'function' && typeof s.toJSON === 'function';
}

interface Selection {
  readonly id: string | null;
  readonly inputs: ColumnMeta[];
  /** Columns named in the `columns` option. */
  readonly explicit: ReadonlySet<string>;
}

/** One pass of a table through the steps. */
interface Run {
  readonly schema: ReturnType<typeof inspectTable>;
  readonly inputs: readonly ColumnMeta[];
  readonly selection: Selection | undefined;
  frame: Frame;
  readonly reports: StepReport[];
  /** The input columns' 64-bit integers beyond 2^53: checked with the features' float32 conversion. */
  readonly wide: Spread[];
}

interface Fitted {
  readonly id: string | null;
  readonly inputs: readonly ColumnMeta[];
  readonly featureNames: readonly string[];
}

/**
 * Prep steps chained and fitted together: turns a raw customer table (Arrow Table or records) into the Float32
 * Dataset the clustering engine takes, and saves as plain JSON inside a model file.
 *
 * Statistics are float64; medians and quantiles follow numpy's default linear interpolation.
 *
 * @example
 * const prep = pipeline({ impute: 'median', scale: 'robust', encode: ['plan'], id: 'customer_id' });
 * const { dataset, rowIndex } = await prep.fitTransform(customers);
 * const saved = JSON.stringify(prep.toJSON());
 * const again = Pipeline.fromJSON(JSON.parse(saved)).transform(newCustomers);
 */
export class Pipeline {
  readonly #steps: readonly PrepStep[];
  readonly #columns: readonly string[] | undefined;
  readonly #exclude: readonly string[];
  readonly #id: string | null | undefined;
  #loaded = false;
  #fitted: Fitted | undefined;

  constructor(steps: readonly PrepStep[], selection: PipelineSelection = {}) {
    if (!Array.isArray(steps)) throw badOption('steps', steps, 'an array of prep steps');
    steps.forEach((s, i) => {
      if (!isStep(s)) throw badOption(`steps[${i}]`, s, 'a prep step (Imputer, Scaler, OneHotEncoder, Outliers, FeatureFilter)');
      if (steps.indexOf(s) !== i) throw badOption(`steps[${i}]`, s.kind, 'a step not already in the pipeline');
    });
    if (selection === null || typeof selection !== 'object') throw badOption('selection', selection, 'an object');
    knownOptions(selection, '', ['columns', 'exclude', 'id']);
    this.#steps = Object.freeze([...steps]);
    this.#columns = columnsOption(selection.columns, 'columns');
    if (this.#columns?.length === 0) throw badOption('columns', selection.columns, 'a non-empty array of column names');
    this.#exclude = columnsOption(selection.exclude, 'exclude') ?? [];
    if (selection.id !== undefined && selection.id !== null && typeof selection.id !== 'string') throw badOption('id', selection.id, 'a column name or null');
    this.#id = selection.id;
  }

  get steps(): readonly PrepStep[] {
    return this.#steps;
  }

  get fitted(): boolean {
    return this.#fitted !== undefined;
  }

  /** Names of the output features, in dataset column order. */
  get featureNames(): readonly string[] {
    return this.#state().featureNames;
  }

  /** The table columns a transform reads, with how each is read. */
  get inputs(): readonly ColumnMeta[] {
    return this.#state().inputs;
  }

  /** The id column found or given at fit time (never a feature unless listed in `columns`). */
  get id(): string | null {
    return this.#state().id;
  }

  /** Learns every step's statistics (scans run as shard ops on the executor: the same bytes on any of them). */
  async fit(table: TableInput, options: RunOptions = {}): Promise<this> {
    await this.#fit(table, options, 'fit');
    return this;
  }

  /** Fits on the table and returns its transform; same result as `fit(table)` then `transform(table)`. */
  fitTransform(table: TableInput, options: RunOptions = {}): Promise<PipelineResult> {
    return this.#fit(table, options, 'fitTransform');
  }

  async #fit(table: TableInput, options: RunOptions, fn: string): Promise<PipelineResult> {
    checkOptions(options, RUN_OPTIONS, fn);
    const run = this.#start(table, true);
    for (const step of this.#steps) {
      await step.fit(run.frame, options);
      this.#apply(run, step);
    }
    return this.#finish(run);
  }

  /** The table as features; the table itself is only read. */
  transform(table: TableInput): PipelineResult {
    this.#state();
    const run = this.#start(table, false);
    for (const step of this.#steps) this.#apply(run, step);
    return this.#finish(run);
  }

  /**
   * This fitted pipeline without its scaling step: the same features, after the same fitted outlier rule, imputation,
   * encoding and filtering, in the customers' own units (for profiles), with nothing fitted again.
   */
  unscaled(): Pipeline {
    const state = this.#state();
    // a step after a scaler learnt its fill values or bounds of a scaled column in scaled units: refused, not misapplied
    const scaled = new Set<string>();
    for (const s of this.#steps) {
      if (s instanceof Scaler) s.columns.forEach((c, j) => s.methods[j] !== 'none' && scaled.add(c));
      else if (!(s instanceof OneHotEncoder || s instanceof FeatureFilter)) {
        const c = s.columns.find((name) => scaled.has(name));
        if (c !== undefined) throw new SegkitError('E_BAD_MODEL', `the ${s.kind} step follows the scaler and was fitted on column "${c}" scaled: it has no unscaled form`, 'scale after imputing and clipping, as pipeline(options) does');
      }
    }
    const p = new Pipeline(this.#steps.filter((s) => !(s instanceof Scaler)));
    p.#loaded = true;
    p.#fitted = state;
    return p;
  }

  toJSON(): PipelineJSON {
    const f = this.#state();
    return {
      kind: 'segkit.pipeline',
      version: 1,
      id: f.id,
      inputs: f.inputs.map((c) => ({ name: c.name, type: c.kind })),
      steps: this.#steps.map((s) => s.toJSON()),
      featureNames: [...f.featureNames],
    };
  }

  /**
   * A fitted pipeline from `toJSON()` output (an object, or its JSON text). Every field is checked; a bad one gives
   * E_BAD_MODEL naming its path, e.g. `steps[2].centers[3]`, prefixed by `path` when the pipeline sits inside a bigger model.
   */
  static fromJSON(json: unknown, options: { readonly path?: string } = {}): Pipeline {
    const root = options.path ?? '';
    if (typeof json === 'string') {
      try {
        json = JSON.parse(json);
      } catch (err) {
        throw new SegkitError('E_BAD_MODEL', `${root ? `model field "${root}"` : 'the model'} is not valid JSON: ${(err as Error).message}`, undefined, { cause: err });
      }
    }
    const o = readObject(json, root, ['kind', 'version', 'id', 'inputs', 'steps', 'featureNames']);
    if (o.kind !== 'segkit.pipeline') throw badModel(at(root, 'kind'), `must be "segkit.pipeline", got ${describe(o.kind)}`);
    if (o.version !== 1) throw badModel(at(root, 'version'), `must be 1 (the only version this segkit reads), got ${describe(o.version)}`);
    const id = o.id === null ? null : readString(o.id, at(root, 'id'));
    const names = new Set<string>();
    const inputs = readEach(o.inputs, at(root, 'inputs'), undefined, (v, p): ColumnMeta => {
      const c = readObject(v, p, ['name', 'type']);
      const name = readString(c.name, at(p, 'name'));
      if (names.has(name)) throw badModel(at(p, 'name'), `repeats ${JSON.stringify(name)}`);
      names.add(name);
      return Object.freeze({ name, kind: readEnum(c.type, at(p, 'type'), ['numeric', 'categorical'] as const) });
    });
    if (inputs.length === 0) throw badModel(at(root, 'inputs'), 'must name at least one column');
    const steps = readEach(o.steps, at(root, 'steps'), undefined, (v, p) => {
      const kind = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { kind?: unknown }).kind : undefined;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badModel(p, `must be an object, got ${describe(v)}`);
      const read = typeof kind === 'string' ? READERS.get(kind) : undefined;
      if (!read) throw badModel(at(p, 'kind'), `must be one of ${[...READERS.keys()].map((k) => JSON.stringify(k)).join(', ')}, got ${describe(kind)}`);
      return read(v, p);
    });
    // Replaying the column names through the steps checks that the model hangs together.
    let schema: ColumnMeta[] = [...inputs];
    steps.forEach((s, i) => {
      schema = s.outputSchema(schema, at(at(root, 'steps'), i));
    });
    const leftover = schema.find((c) => c.kind !== 'numeric');
    if (leftover) throw badModel(at(root, 'steps'), `leaves the categorical column ${JSON.stringify(leftover.name)} unencoded`);
    const featureNames = readStrings(o.featureNames, at(root, 'featureNames'), schema.length);
    featureNames.forEach((name, j) => {
      if (name !== schema[j].name) throw badModel(at(at(root, 'featureNames'), j), `is ${JSON.stringify(name)}, but the steps produce ${JSON.stringify(schema[j].name)}`);
    });
    if (featureNames.length === 0) throw badModel(at(root, 'featureNames'), 'must name at least one feature');
    const p = new Pipeline(steps);
    p.#loaded = true;
    p.#fitted = Object.freeze({ id, inputs: Object.freeze(inputs), featureNames: Object.freeze(featureNames) });
    return p;
  }

  #state(): Fitted {
    if (!this.#fitted) throw new SegkitError('E_BAD_MODEL', 'the pipeline is not fitted', 'call fit() or fitTransform() first');
    return this.#fitted;
  }

  /** The input columns and how to read them, from the table's schema and the selection options. */
  #select(schema: SourceSchema): Selection {
    const fields = new Map(schema.fields.map((f) => [f.name, f.type]));
    const available = schema.fields.map((f) => f.name);
    const require = (name: string, option: string) => {
      if (!fields.has(name)) {
        const err = missingColumn(name, available);
        throw new SegkitError('E_MISSING_COLUMN', `option "${option}" names column "${name}", which is not in the table`, err.hint);
      }
    };
    let id: string | null;
    if (this.#id === undefined) id = schema.fields.find((f) => looksLikeId(f.name))?.name ?? null;
    else {
      id = this.#id;
      if (id !== null) require(id, 'id');
    }
    for (const name of this.#exclude) require(name, 'exclude');
    const encoders = this.#steps.filter((s): s is OneHotEncoder => s instanceof OneHotEncoder);
    const encodeListed = new Set<string>();
    for (const e of encoders) {
      if (e.selection === 'auto') continue;
      for (const name of e.selection) {
        require(name, 'encode');
        if (this.#exclude.includes(name)) throw badOption('exclude', name, `not a column listed in encode`);
        encodeListed.add(name);
      }
    }
    const autoEncode = encoders.some((e) => e.selection === 'auto');
    const kindOf = (name: string, explicit: boolean): ColumnKind | undefined => {
      if (encodeListed.has(name)) return 'categorical';
      const type = fields.get(name);
      // Mixed columns are read as numbers so the first stray string is reported with its row.
      if (type === 'numeric' || type === 'mixed') return 'numeric';
      if (type === 'categorical' && (autoEncode || explicit)) return 'categorical';
      if (explicit && type === 'other') {
        throw new SegkitError('E_NON_NUMERIC', `column "${name}" holds neither numbers nor strings (or only missing values)`, 'convert it first, or leave it out of `columns`');
      }
      return undefined;
    };
    const inputs: ColumnMeta[] = [];
    const explicit = new Set<string>();
    if (this.#columns) {
      for (const name of this.#columns) {
        require(name, 'columns');
        // named in both: dropping it in silence would lose a column asked for by name
        if (this.#exclude.includes(name)) throw badOption('exclude', name, 'not a column listed in columns');
        inputs.push({ name, kind: kindOf(name, true)! });
        explicit.add(name);
      }
      for (const name of available) if (encodeListed.has(name) && !explicit.has(name)) inputs.push({ name, kind: 'categorical' });
    } else {
      for (const name of available) {
        if (this.#exclude.includes(name) || (name === id && !encodeListed.has(name))) continue;
        const kind = kindOf(name, false);
        if (kind) inputs.push({ name, kind });
      }
    }
    if (inputs.length === 0) {
      throw new SegkitError('E_EMPTY_DATA', 'no column of the table is selected as a feature', `the table has: ${available.join(', ')}; numeric columns are used by default, categorical ones when listed in \`encode\``);
    }
    return { id, inputs, explicit };
  }

  #start(table: TableInput, fit: boolean): Run {
    if (fit && this.#loaded) {
      throw new SegkitError('E_BAD_MODEL', 'a pipeline read from JSON transforms but cannot be refitted', 'build a new one with pipeline(options) to fit again');
    }
    const schema = inspectTable(table);
    if (schema.n === 0) throw new SegkitError('E_EMPTY_DATA', 'the table has no rows');
    let inputs: readonly ColumnMeta[];
    let selection: Selection | undefined;
    if (fit) {
      this.#fitted = undefined;
      selection = this.#select(schema);
      inputs = selection.inputs;
    } else {
      inputs = this.#state().inputs;
      for (const c of inputs) if (!hasColumn(schema, c.name)) throw missingColumn(c.name, schema.fields.map((f) => f.name));
    }
    const rows = new Int32Array(schema.n);
    for (let i = 0; i < schema.n; i++) rows[i] = i;
    // readColumn copies every column: the run owns them (and the imputer's and scaler's results from them), unless a
    // step of the caller's own, which may keep a reference to what it is given, takes part
    const wide: Spread[] = [];
    const frame: Frame = { n: schema.n, rows, columns: inputs.map((c) => readColumn(table, c.name, c.kind, wide)) };
    if (this.#steps.every((step) => (BUILT_IN_STEPS as readonly unknown[]).includes(step.constructor))) ownColumns(frame);
    return { schema, inputs, selection, frame, reports: [], wide };
  }

  #apply(run: Run, step: PrepStep): void {
    const out = step.transform(run.frame);
    run.frame = out.frame;
    run.reports.push(out.report);
  }

  #finish({ schema, inputs, selection, frame, reports, wide }: Run): PipelineResult {
    if (selection) {
      const leftover = frame.columns.filter((c) => c.kind === 'categorical');
      for (const c of leftover) {
        if (selection.explicit.has(c.name)) {
          throw new SegkitError('E_NON_NUMERIC', `column "${c.name}" is categorical and no encoder took it`, 'list it in `encode` (too many categories are bucketed into "other")');
        }
      }
      // Categorical candidates an 'auto' encoder passed over are not inputs: scoring tables need not have them.
      const used = new Set(this.#steps.flatMap((s) => s.columns));
      const consumed = inputs.filter((c) => c.kind === 'numeric' || used.has(c.name));
      const featureNames = frame.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
      if (featureNames.length === 0) throw new SegkitError('E_EMPTY_DATA', 'no feature columns are left after the prep steps');
      const state: Fitted = Object.freeze({ id: selection.id, inputs: Object.freeze(consumed.map((c) => Object.freeze({ ...c }))), featureNames: Object.freeze(featureNames) });
      const result = this.#output(frame, state, schema.n, reports, wide);
      this.#fitted = state;
      return result;
    }
    return this.#output(frame, this.#state(), schema.n, reports, wide);
  }

  #output(frame: Frame, state: Fitted, rowsIn: number, steps: StepReport[], wide: Spread[]): PipelineResult {
    if (frame.n === 0) throw new SegkitError('E_EMPTY_DATA', 'every row was dropped by the outlier rule');
    const byName = new Map(frame.columns.map((c) => [c.name, c]));
    const spreads = wide;
    const columns = state.featureNames.map((name) => {
      const c = byName.get(name);
      if (!c || c.kind !== 'numeric') throw new SegkitError('E_SHAPE_MISMATCH', `the prep steps did not produce the feature "${name}"`);
      const values = c.values;
      // one native conversion to float32, then one scan: x - x is 0 for every finite float32 and NaN otherwise
      const out = new Float32Array(frame.n);
      out.set(values);
      let lo = Infinity, hi = -Infinity, moved = 0;
      for (let i = 0; i < out.length; i++) {
        if (out[i] - out[i] === 0) {
          const v = values[i];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
          const m = Math.abs(out[i] - v);
          if (m > moved) moved = m;
          continue;
        }
        const v = values[i];
        if (v !== v) {
          throw new SegkitError('E_NAN_INPUT', `row ${frame.rows[i]}, column "${name}" is missing`, 'configure `impute` to fill missing values');
        }
        throw new SegkitError('E_NAN_INPUT', `row ${frame.rows[i]}, column "${name}" is ${v} after the prep steps, outside the float32 range`, 'scale the column');
      }
      spreads.push({ name, lo, hi, moved });
      return out;
    });
    const dataset = fromColumns({ columns, names: state.featureNames });
    // a fit on these features refuses a column float32 moved too far (assertResolution); scoring goes on
    markCoarse(dataset, spreads);
    return { dataset, rowIndex: frame.rows, report: { rowsIn, rowsOut: frame.n, steps } };
  }
}

function stepOptions<T extends object>(value: unknown, name: string, shorthand: (v: string) => T): T | undefined {
  if (value === false || value === undefined) return undefined;
  if (value === true) return {} as T;
  if (typeof value === 'string') return shorthand(value);
  if (value === null || typeof value !== 'object') throw badOption(name, value, 'false, a method name or an options object');
  return value as T;
}

function thresholdOption(value: unknown, name: string, whenTrue: number, ok: (x: number) => boolean, expected: string): number | null {
  if (value === false || value === undefined) return null;
  if (value === true) return whenTrue;
  if (typeof value !== 'number' || !ok(value)) throw badOption(name, value, expected);
  return value;
}

/**
 * A Pipeline from options: outliers, impute, scale, encode, then drop low-variance and correlated features.
 *
 * @example
 * const prep = pipeline({ impute: 'median', scale: { method: 'log1p' }, encode: 'auto', dropCorrelated: 0.9 });
 */
export function pipeline(options: PipelineOptions = {}): Pipeline {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw badOption('options', options, 'an options object');
  knownOptions(options, '', FACTORY_OPTIONS);
  // `undefined` means the default, like a missing key; `false` turns a step off; null is refused (`scale: null` meant as
  // "no scaling" would otherwise scale with the default method)
  const given = <K extends keyof typeof DEFAULTS>(key: K) => (options[key] === undefined ? DEFAULTS[key] : options[key]);
  const o = {
    outliers: given('outliers'),
    impute: given('impute'),
    scale: given('scale'),
    encode: given('encode'),
    dropLowVariance: given('dropLowVariance'),
    dropCorrelated: given('dropCorrelated'),
  };
  const steps: PrepStep[] = [];
  const outliers = stepOptions<OutliersOptions>(o.outliers, 'outliers', (method) => ({ method: method as OutlierMethod }));
  if (outliers) steps.push(new Outliers(outliers, 'outliers'));
  const impute = stepOptions<ImputerOptions>(o.impute, 'impute', (strategy) => ({ strategy: strategy as ImputeStrategy }));
  if (impute) steps.push(new Imputer(impute, 'impute'));
  const scale = stepOptions<ScalerOptions>(o.scale, 'scale', (method) => ({ method: method as ScaleMethod }));
  if (scale) steps.push(new Scaler(scale, 'scale'));
  const encode = Array.isArray(o.encode)
    ? { columns: o.encode as readonly string[] }
    : stepOptions<OneHotEncoderOptions>(o.encode, 'encode', (v) => {
        if (v !== 'auto') throw badOption('encode', v, 'false, "auto", a list of columns or encoder options');
        return { columns: 'auto' };
      });
  if (encode) steps.push(new OneHotEncoder(encode, 'encode'));
  const varianceThreshold = thresholdOption(o.dropLowVariance, 'dropLowVariance', 0, (x) => Number.isFinite(x) && x >= 0, 'a boolean or a finite number >= 0');
  const correlationThreshold = thresholdOption(o.dropCorrelated, 'dropCorrelated', DEFAULT_CORRELATION, (x) => x > 0 && x < 1, 'a boolean or a number between 0 and 1 (exclusive)');
  if (varianceThreshold !== null || correlationThreshold !== null) steps.push(new FeatureFilter({ varianceThreshold, correlationThreshold }));
  return new Pipeline(steps, { columns: options.columns, exclude: options.exclude, id: options.id });
}
