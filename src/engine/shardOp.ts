import { SegkitError } from '../util/errors.js';
import type { DType, KernelMemory, Shard } from '../kernels/shard.js';
import { loadExtraKernels } from '../kernels/wasm.js';
import { decodeValue, encodeValue } from './codec.js';

/** A per-row buffer an op needs on every shard: created (filled with `fill`) the first time, kept between passes. */
export interface RowSpec {
  readonly type: DType;
  /** Values per row (default 1). */
  readonly width?: number;
  /** Initial value of every element (default 0). */
  readonly fill?: number;
  /**
   * No value is read before the op has written it (its first pass on the data writes them all, as the bounded
   * k-means pass that starts the bounds does): an executor may hand the buffer over unfilled, holding whatever its
   * memory held.
   */
  readonly unfilled?: boolean;
  /**
   * The op works without the buffer (a copy that only makes it faster): an executor whose memory has no room for it
   * may leave it out, and the op finds no buffer of that name.
   */
  readonly optional?: boolean;
}

/**
 * One scan of the data, run on each shard by whoever holds it (this thread, a pool worker, a Web Worker, another
 * machine): a small serialisable `state` in, one serialisable partial out per shard. Partials come back in shard
 * order; the caller folds them, so results never depend on where or in what order shards ran.
 * State and partials are plain numbers, strings, booleans, typed arrays, and arrays or plain objects of these.
 */
export interface ShardOp<S = unknown, P = unknown> {
  /** Unique, stable name: remote holders find the op by it in their registry. */
  readonly name: string;
  /** The module that defines the op (its `import.meta.url`), for holders in other threads or processes to load. */
  readonly module?: string;
  run(shard: Shard, state: S): P;
  /**
   * `run` reading the shard's rows straight from the source's columns (row `shard.start + i` of each), not from the
   * shard's memory, which then holds none of them: what `scanAndMap` runs on the calling thread. Optional.
   */
  runFrom?(shard: Shard, state: S, columns: readonly (Float32Array | Float64Array)[]): P;
  /**
   * The op calls kernels of the extra wasm module (mixtures, hierarchies, the exact silhouette): holders load it
   * before its first run.
   */
  readonly extraKernels?: boolean;
  /** Per-row buffers the op reads or writes, by name. */
  rows?(state: S, d: number): Readonly<Record<string, RowSpec>>;
  /** Bytes of scratch memory one shard run needs beyond the copied state (centres, partial sums). */
  scratchBytes?(state: S, d: number, shardRows: number): number;
  encodeState?(state: S): Uint8Array;
  decodeState?(bytes: Uint8Array): S;
  encodePartial?(partial: P): Uint8Array;
  decodePartial?(bytes: Uint8Array): P;
}

const registry = new Map<string, ShardOp<any, any>>();
// Every copy of segkit in a realm lists its registry here: in a Web Worker, the worker's own bundle and a user's op
// module that imports another segkit build each have one, and a holder must find ops from either.
const REALM_REGISTRIES = Symbol.for('segkit.shardOpRegistries');
const realm = globalThis as { [REALM_REGISTRIES]?: Map<string, ShardOp<any, any>>[] };
(realm[REALM_REGISTRIES] ??= []).push(registry);

/** Makes `mem` ready for `op`: its table gets the extra wasm module first when the op calls those kernels (once). */
export async function kernelsFor(op: ShardOp<any, any>, mem: KernelMemory): Promise<void> {
  if (op.extraKernels) await loadExtraKernels(mem);
}

/** Registers an op under its name (once per realm) and returns it. Pass the defining module's `import.meta.url`. */
export function defineOp<S, P>(op: ShardOp<S, P>, module?: string): ShardOp<S, P> {
  const o = module ? Object.freeze({ ...op, module }) : Object.freeze({ ...op });
  const had = registry.get(o.name);
  if (had && had.module !== o.module) {
    throw new SegkitError('E_EXECUTOR', `two shard ops are named "${o.name}" (${had.module ?? 'inline'} and ${o.module ?? 'inline'})`);
  }
  registry.set(o.name, o);
  return o;
}

/** The registered op of that name: a holder runs only ops it finds here, never code sent to it. */
export function opByName(name: string): ShardOp<any, any> {
  const op = registry.get(name) ?? realm[REALM_REGISTRIES]!.find((r) => r.has(name))?.get(name);
  if (!op) throw new SegkitError('E_EXECUTOR', `unknown shard op "${name}"`, 'the holder loads the same segkit version and op modules as the caller');
  return op;
}

/** Every op registered in this realm, by any copy of segkit. */
export function registeredOps(): ShardOp<any, any>[] {
  return realm[REALM_REGISTRIES]!.flatMap((r) => [...r.values()]);
}

export const encodeState = <S>(op: ShardOp<S, unknown>, s: S): Uint8Array => (op.encodeState ? op.encodeState(s) : encodeValue(s));
export const decodeState = <S>(op: ShardOp<S, unknown>, b: Uint8Array): S => (op.decodeState ? op.decodeState(b) : (decodeValue(b) as S));
export const encodePartial = <P>(op: ShardOp<unknown, P>, p: P): Uint8Array => (op.encodePartial ? op.encodePartial(p) : encodeValue(p));
export const decodePartial = <P>(op: ShardOp<unknown, P>, b: Uint8Array): P => (op.decodePartial ? op.decodePartial(b) : (decodeValue(b) as P));

/** Scratch bytes for one shard run: the op's own need plus room for every typed array in its state. */
export function scratchNeed<S>(op: ShardOp<S, unknown>, state: S, d: number, shardRows: number): number {
  return 4096 + 2 * typedBytes(state) + (op.scratchBytes?.(state, d, shardRows) ?? 0);
}

function typedBytes(v: unknown): number {
  if (ArrayBuffer.isView(v)) return v.byteLength + 64;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + typedBytes(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((a: number, x) => a + typedBytes(x), 0);
  return 0;
}
