import type { KernelExports } from '../kernels/wasm.js';
import type { KernelCall } from './executor.js';

/**
 * A pass shared by the caller and the pool workers: each participant takes the next call index from an atomic
 * counter at ctl[0] until none are left or ctl[1] (stop) is set, and stores the call's return value at
 * results[i]. Which thread runs a call never matters: every call writes only its own shard's outputs.
 */
export interface QueueTask {
  calls: readonly KernelCall[];
  /** Byte offset of two int32: the next call index and the stop flag. */
  ctl: number;
  /** Byte offset of one float64 per call, for return values. */
  results: number;
}

/** Runs queued calls until the queue is empty, the pass is stopped, or `budgetMs` has passed; returns calls run. */
export function takeCalls(kernels: KernelExports, memory: WebAssembly.Memory, task: QueueTask, budgetMs: number): number {
  const ctl = new Int32Array(memory.buffer, task.ctl, 2);
  const results = new Float64Array(memory.buffer, task.results, task.calls.length);
  const end = budgetMs === Infinity ? Infinity : performance.now() + budgetMs;
  let ran = 0;
  while (Atomics.load(ctl, 1) === 0) {
    const i = Atomics.add(ctl, 0, 1);
    if (i >= task.calls.length) break;
    const c = task.calls[i];
    try {
      results[i] = (kernels[c.kernel] as (...a: number[]) => number)(...c.args) ?? 0;
    } catch (e) {
      Atomics.store(ctl, 1, 1);
      throw e;
    }
    ran++;
    if (performance.now() >= end) break;
  }
  return ran;
}
