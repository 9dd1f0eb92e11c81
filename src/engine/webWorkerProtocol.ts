import type { AnyTypedArray } from '../kernels/shard.js';
import type { HandleLayout } from './heapExecutor.js';
import type { HeldLayout } from './shardHolder.js';

/** Messages from the executor to its Web Workers; every request carries an id its reply repeats. */
export type ToWorker =
  | { t: 'init'; id: number; memory?: WebAssembly.Memory }
  // shared memory: run shards handed out by the atomic counter at `ctl`, in the scratch region at `slot`
  | { t: 'pass'; id: number; op: string; module?: string; state: unknown; layout: HandleLayout; list: Int32Array; ctl: number; slot: number; slotBytes: number }
  // no shared memory: the holder's side of the loopback executor, in a worker
  | { t: 'shard'; id: number; handle: number; layout: HeldLayout; shard: number; columns: AnyTypedArray[]; inputs: Record<string, AnyTypedArray> }
  | { t: 'all'; id: number; handle: number; layout: HeldLayout; shards: number[]; columns: AnyTypedArray[]; inputs: Record<string, AnyTypedArray> }
  | { t: 'map'; id: number; handle: number; op: string; module?: string; state: Uint8Array; shards: number[] }
  | { t: 'stop'; id: number; of: number }
  | { t: 'read'; id: number; handle: number; name: string; shards: number[] }
  | { t: 'write'; id: number; handle: number; name: string; parts: [number, AnyTypedArray][] }
  | { t: 'writeAll'; id: number; handle: number; name: string; values: AnyTypedArray }
  | { t: 'release'; id: number; handle: number };

/** A SegkitError as it crosses the thread boundary (its code kept), or any other error's message. */
export interface WireError {
  code?: string;
  message: string;
  hint?: string;
}

export type FromWorker = { t: 'reply'; id: number; value?: unknown; error?: WireError };
