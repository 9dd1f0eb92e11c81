// The contract every prep step meets, and the option checks the steps share.
import { SegkitError, badOption, describe } from '../util/errors.js';
import type { ColumnMeta, Frame } from './frame.js';
import { at, badModel } from '../util/modelJson.js';
import type { RunOptions } from '../engine/executor.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';

/** A step's JSON: plain data with a `kind` that `Pipeline.fromJSON` dispatches on. */
export interface StepJSON {
  readonly kind: string;
}

/** What a step did to one table. */
export interface StepReport {
  readonly kind: string;
}

/** A fitted, serialisable transformation of a frame. Steps never write into the frames they are given. */
export interface PrepStep {
  readonly kind: string;
  readonly fitted: boolean;
  /** The columns the step was fitted on (empty before `fit`). */
  readonly columns: readonly string[];
  /** Learns the step's statistics from a frame (scans run as shard ops on the executor); refitting replaces them. */
  fit(frame: Frame, options?: RunOptions): Promise<this>;
  transform(frame: Frame): { frame: Frame; report: StepReport };
  /** The columns coming out for the given columns going in; E_BAD_MODEL at `path` when they do not fit the step. */
  outputSchema(input: readonly ColumnMeta[], path: string): ColumnMeta[];
  toJSON(): StepJSON;
}

/** A step's fit and transform take a frame: a table given in its place is an error naming the step, not a TypeError. */
export function checkFrame(frame: unknown, kind: string): void {
  const f = frame as Frame | null;
  if (f === null || typeof f !== 'object' || !Array.isArray(f.columns) || !(f.rows instanceof Int32Array) || typeof f.n !== 'number') {
    throw new SegkitError('E_BAD_OPTION', `the ${kind} step takes a frame ({ n, rows, columns }), got ${describe(frame)}`, 'give the table to a pipeline: pipeline(options), or new Pipeline([step])');
  }
}

export function notFitted(kind: string): SegkitError {
  return new SegkitError('E_BAD_MODEL', `the ${kind} step is not fitted`, 'call fit() (or fit the pipeline) first');
}

/** A step read from JSON keeps its fitted statistics but not the options that produced them, so it cannot refit. */
export function cannotRefit(kind: string): SegkitError {
  return new SegkitError('E_BAD_MODEL', `this ${kind} step was read from JSON and cannot be refitted`, 'create a new step with the options to fit again');
}

/** An optional list of column names: undefined, or an array of distinct strings. */
export function columnsOption(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) throw badOption(name, value, 'an array of column names');
  if (new Set(value).size !== value.length) throw badOption(name, value, 'an array of distinct column names');
  return Object.freeze([...value]);
}

/** Own entries of a plain `{ column: setting }` object, each checked by `check`. */
export function byColumnOption<T>(value: unknown, name: string, check: (v: unknown, option: string) => T): ReadonlyMap<string, T> {
  const out = new Map<string, T>();
  if (value === undefined) return out;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badOption(name, value, 'an object mapping column names to settings');
  for (const key of Object.keys(value)) out.set(key, check((value as Record<string, unknown>)[key], `${name}.${key}`));
  return out;
}

/** Per-column settings as a numeric step holds them, for checking against the columns it fits. */
export interface ByColumnSettings {
  /** How errors name the option, e.g. 'impute.byColumn'. */
  readonly option: string;
  readonly settings: ReadonlyMap<string, unknown>;
  /** What the step does to its columns, as errors say it: 'imputed', 'scaled'. */
  readonly role: string;
}

/**
 * The columns a numeric step fits: those named in its options, or every numeric column reaching it. Every numeric
 * step starts its fit the same way, so the run options, the refit of a step read from JSON and any `byColumn`
 * entry naming a column outside the fit are all rejected here, before any scan.
 */
export function numericFitColumns(
  kind: string,
  loaded: boolean,
  frame: Frame,
  options: RunOptions,
  chosen: readonly string[] | undefined,
  byColumn?: ByColumnSettings,
): readonly string[] {
  checkFrame(frame, kind);
  checkOptions(options, RUN_OPTIONS, `${kind}.fit`);
  if (loaded) throw cannotRefit(kind);
  const columns = chosen ?? frame.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
  if (byColumn) {
    for (const [key, setting] of byColumn.settings) {
      if (!columns.includes(key)) throw badOption(`${byColumn.option}.${key}`, setting, `a setting for one of the ${byColumn.role} columns (${columns.join(', ')})`);
    }
  }
  return columns;
}

/** Options must be an object (or omitted). */
export function optionsObject<T extends object>(value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badOption(name, value, 'an options object');
  return value;
}

/** Rejects unknown option names, which are usually typos. */
export function knownOptions(value: object, name: string, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw badOption(name ? `${name}.${key}` : key, (value as Record<string, unknown>)[key], `one of the options ${known.join(', ')}`);
  }
}

/** Checks a fitted model's column list against the columns reaching the step: each must be there, of the given kind. */
export function checkModelColumns(input: readonly ColumnMeta[], columns: readonly string[], kind: 'numeric' | 'categorical', path: string): void {
  columns.forEach((name, i) => {
    const c = input.find((m) => m.name === name);
    if (!c) throw badModel(at(path, i), `names column ${JSON.stringify(name)}, which does not reach this step`);
    if (c.kind !== kind) throw badModel(at(path, i), `names column ${JSON.stringify(name)}, which is ${c.kind} here, not ${kind}`);
  });
}
