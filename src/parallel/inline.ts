import { SegkitError, throwIfAborted } from '../util/errors.js';
import { Heap } from '../kernels/heap.js';
import { instantiateKernels, type KernelExports } from '../kernels/wasm.js';
import type { Executor, KernelCall } from './executor.js';

/** Runs every kernel on the calling thread: browsers, edge functions, small data, and `threads: 1`. */
export class InlineExecutor implements Executor {
  readonly threads = 1;
  readonly heap: Heap;
  private readonly kernels: Promise<KernelExports>;

  constructor() {
    this.heap = new Heap(false);
    this.kernels = instantiateKernels(this.heap.memory, false);
  }

  async run(calls: readonly KernelCall[], signal?: AbortSignal): Promise<number[]> {
    const k = await this.kernels;
    throwIfAborted(signal);
    const out = new Array<number>(calls.length);
    try {
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i];
        out[i] = (k[c.kernel] as (...a: number[]) => number)(...c.args) ?? 0;
      }
    } catch (e) {
      // a trap gets the same stable code as one inside a pool worker
      throw new SegkitError('E_WORKER', `a kernel failed: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
    }
    return out;
  }

  async close(): Promise<void> {}
}
