import type { Heap } from '../kernels/heap.js';
import type { KernelName } from '../kernels/wasm.js';

/** One kernel invocation: the export's name and its numeric arguments (pointers into the executor's heap). */
export interface KernelCall {
  readonly kernel: KernelName;
  readonly args: readonly number[];
}

/**
 * Where kernels run. Every scan of the data is a list of calls over fixed-size shards writing partials into
 * distinct regions of the heap; the caller merges them in shard order, so results never depend on `threads`.
 */
export interface Executor {
  readonly threads: number;
  readonly heap: Heap;
  /** Runs the calls (possibly in parallel) and returns their return values in call order. */
  run(calls: readonly KernelCall[], signal?: AbortSignal): Promise<number[]>;
  close(): Promise<void>;
}
