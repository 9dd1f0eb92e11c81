import { SegkitError, describe } from '../util/errors.js';
import type { AnyTypedArray, DType } from '../kernels/shard.js';
import type { ShardOp } from './shardOp.js';

/** Data to load: columns of equal length (float32 for the kernels, float64 for preparation statistics). */
export interface ShardSource {
  readonly columns: readonly (Float32Array | Float64Array)[];
  /** Per-row inputs that travel with the rows (sample weights as `weights`, labels, ...), one value per row. */
  readonly rows?: Readonly<Record<string, AnyTypedArray>>;
}

export interface LoadOptions {
  /** Element type of the loaded columns (default f32). */
  dtype?: 'f32' | 'f64';
  /** Rows per shard (default 65,536): part of what the handle is, never the executor's choice. */
  shardRows?: number;
  /** Every holder of a shard also holds every row (`shard.all`): for ops that compare each row with all rows. */
  replicate?: boolean;
  signal?: AbortSignal;
  /**
   * `loadAndMap` and `scanAndMap`: the caller's own work, run once on the calling thread while the pass's other
   * threads have shards to run, before the calling thread takes shards itself (so the pass goes on beside it). It must
   * not throw. An executor without other threads may never call it: a caller that needs it run checks that it was.
   */
  meanwhile?: () => void;
}

/** Loaded data, held by the executor: what ops run over. Centring and scaling are recorded here by `loadMatrix`. */
export interface Handle {
  readonly id: number;
  readonly n: number;
  readonly d: number;
  readonly dtype: 'f32' | 'f64';
  readonly shardRows: number;
  readonly shards: number;
  readonly replicate: boolean;
}

export interface MapOptions {
  signal?: AbortSignal;
  /** Run only these shards (ascending); partials come back in the same order. Default: every shard. */
  shards?: readonly number[];
}

/** Options of `Executor.gather`. */
export interface GatherOptions {
  shardRows?: number;
  signal?: AbortSignal;
  /** Copy on the executor's other threads only, where it has them (the calling thread stays free). */
  aside?: boolean;
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** The array to write the values into (their type, every row's values). */
  into?: AnyTypedArray;
}

/** The values read, or `into` holding them (checked to be of their type and length). */
export function readInto(values: AnyTypedArray, into: AnyTypedArray | undefined, name: string): AnyTypedArray {
  if (!into) return values;
  if (into.constructor !== values.constructor || into.length !== values.length) {
    throw new SegkitError('E_EXECUTOR', `per-row buffer "${name}" holds ${values.length} values of ${values.constructor.name}: "into" is ${into.length} of ${into.constructor.name}`);
  }
  into.set(values);
  return into;
}

/** A promised array from `freshArray`, or undefined when the executor has none or could not make it. */
export async function freshOrNone(ex: Executor, type: DType, length: number): Promise<AnyTypedArray | undefined> {
  try {
    return await ex.freshArray?.(type, length);
  } catch {
    return undefined;
  }
}

/**
 * Where shard ops run. `map` returns one partial per shard, in shard order; per-row buffers stay with whoever
 * holds each shard until `release`. A new executor implements these methods and never knows an algorithm.
 */
export interface Executor {
  /** 'inline', 'piscina', 'loopback', ... */
  readonly kind: string;
  /** Threads that run shards at once (for display and scheduling; results never depend on it). */
  readonly threads: number;
  load(source: ShardSource, options?: LoadOptions): Promise<Handle>;
  map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options?: MapOptions): Promise<P[]>;
  /**
   * `load`, then `map` of one op over every shard, with the same handle and partials; an executor that can runs a
   * shard as soon as its rows are in (the copy of the rest overlaps the op). Optional: `loadThenMap` falls back.
   */
  loadAndMap?<S, P>(source: ShardSource, op: ShardOp<S, P>, state: S, options?: LoadOptions): Promise<{ handle: Handle; partials: P[] }>;
  /**
   * `loadAndMap` for a pass that reads the rows once: shards the calling thread runs itself run straight from the
   * source (`op.runFrom`) and are never copied in, so the handle holds the op's per-row outputs, not the rows (read
   * the outputs with `readRows`, then release it: a map or gather over it is refused). Replicated data is loaded
   * and mapped (`shard.all` holds every row). Optional: `scanThenMap` falls back to `loadThenMap`.
   */
  scanAndMap?<S, P>(source: ShardSource, op: ShardOp<S, P>, state: S, options?: LoadOptions): Promise<{ handle: Handle; partials: P[] }>;
  /**
   * A new handle whose row q is row rows[q] of `handle` (the columns as stored, and the `weights` input), in shards
   * of `shardRows`: rows drawn from loaded data without a trip through the caller. Optional: callers fall back to
   * reading the rows with an op and loading them. With `aside`, the copy runs on the executor's other threads where
   * it has them, leaving the calling thread free (for a gather made ahead of its use while the caller works).
   */
  gather?(handle: Handle, rows: Int32Array, options?: GatherOptions): Promise<Handle>;
  /**
   * A per-row buffer of every shard, concatenated in row order (width values per row); with `into` (an array of that
   * type and length), written there and returned.
   */
  readRows(handle: Handle, name: string, options?: ReadOptions): Promise<AnyTypedArray>;
  /**
   * A new array of `length` values of `type` for `readRows` to write into, its memory touched on a thread that is
   * otherwise idle (the first write to fresh memory can cost more than the copy). Optional: executors without spare
   * threads leave it out, and callers then let `readRows` allocate.
   */
  freshArray?(type: DType, length: number): Promise<AnyTypedArray>;
  /** Sets a per-row buffer (width 1, the array's type) on every shard from one value per row. */
  writeRows(handle: Handle, name: string, values: AnyTypedArray, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Lets go of a per-row buffer no later op reads (an op that names it again gets a new one); nothing when there is
   * none. Memory only: results never depend on it. Optional: without it the buffer stays until `release`.
   */
  dropRows?(handle: Handle, name: string): Promise<void>;
  release(handle: Handle): Promise<void>;
  /** Stops the executor's threads and frees its memory; running maps reject with E_CLOSED. */
  close(): Promise<void>;
}

/** Loads the rows and runs one op over every shard: the executor's `loadAndMap` where it has one. */
export async function loadThenMap<S, P>(ex: Executor, source: ShardSource, op: ShardOp<S, P>, state: S, options: LoadOptions = {}): Promise<{ handle: Handle; partials: P[] }> {
  if (ex.loadAndMap) return ex.loadAndMap(source, op, state, options);
  const handle = await ex.load(source, options);
  try {
    return { handle, partials: await ex.map(op, handle, state, { signal: options.signal }) };
  } catch (e) {
    await ex.release(handle);
    throw e;
  }
}

/** Runs one op over rows read once: the executor's `scanAndMap` where it has one and the op can run from the source. */
export function scanThenMap<S, P>(ex: Executor, source: ShardSource, op: ShardOp<S, P>, state: S, options: LoadOptions = {}): Promise<{ handle: Handle; partials: P[] }> {
  return ex.scanAndMap && op.runFrom ? ex.scanAndMap(source, op, state, options) : loadThenMap(ex, source, op, state, options);
}

/** Shard numbers of a map: the requested subset (checked) or all of them. */
export function mapShards(h: Handle, shards?: readonly number[]): number[] {
  if (!shards) return Array.from({ length: h.shards }, (_, s) => s);
  if (!Array.isArray(shards)) throw new SegkitError('E_BAD_OPTION', `option "shards" must be an array of shard numbers, got ${describe(shards)}`);
  const out = [...shards];
  for (let i = 0; i < out.length; i++) {
    if (!Number.isInteger(out[i]) || out[i] < 0 || out[i] >= h.shards || (i > 0 && out[i] <= out[i - 1])) {
      throw new SegkitError('E_BAD_OPTION', `option "shards" must hold ascending shard numbers below ${h.shards}, got ${describe(out[i])} at index ${i}`);
    }
  }
  return out;
}

/**
 * Checks per-row values to load or write: one per row, in an array of a per-row buffer's element type. Any other
 * typed array would reach a holder as other bits (a Uint8Array's bytes read as int32 words), so it is refused.
 */
export function checkRowValues(name: string, values: AnyTypedArray, n: number): void {
  if (!(values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array)) {
    const what = (values as { constructor?: { name?: string } } | null)?.constructor?.name ?? describe(values);
    throw new SegkitError('E_EXECUTOR', `per-row values "${name}" are a ${what}: they must be a Float32Array, Float64Array or Int32Array`);
  }
  if (values.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `per-row values "${name}" has ${values.length} values for ${n} rows`);
}

/** Where a scan runs and how to stop it: every function that scans data takes these. */
export interface RunOptions {
  /** The executor to run on (default: the shared one for `threads`). */
  executor?: Executor;
  /** Threads of the shared default executor (default: every core in Node, 1 elsewhere); not with `executor`. */
  threads?: number;
  signal?: AbortSignal;
}
