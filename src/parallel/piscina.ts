import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { Heap } from '../kernels/heap.js';
import { instantiateKernels, type KernelExports } from '../kernels/wasm.js';
import { takeCalls, type QueueTask } from './queue.js';
import type { Executor, KernelCall } from './executor.js';

// From the compiled package the worker sits beside this file; from TypeScript sources (tests) it is the built copy.
function workerFile(): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = fileURLToPath(new URL('../../dist/parallel/worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new SegkitError('E_WORKER', `cannot find the worker script (looked for ${here} and ${built})`, 'run `npm run build`');
}

/** How long the calling thread computes before it lets its event loop run (progress, cancellation, I/O). */
const CALLER_SLICE_MS = 20;

/**
 * Runs kernels on the calling thread plus a piscina pool of `threads - 1` workers, all sharing one
 * WebAssembly.Memory, taking calls from one atomic queue so uneven shards balance themselves.
 * The caller takes part: a dispatcher that only waits lets the OS wake its workers on its own core.
 */
export class PiscinaExecutor implements Executor {
  readonly threads: number;
  readonly heap: Heap;
  private pool: Piscina | undefined;
  private local: Promise<KernelExports> | undefined;

  constructor(threads: number) {
    this.threads = threads;
    this.heap = new Heap(true);
  }

  // Created on first use so importing segkit costs nothing; workers stay alive between fits.
  private getPool(): Piscina {
    const workers = Math.max(1, this.threads - 1);
    this.pool ??= new Piscina({
      filename: workerFile(),
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 30_000,
      workerData: { memory: this.heap.memory },
    });
    return this.pool;
  }

  async run(calls: readonly KernelCall[], signal?: AbortSignal): Promise<number[]> {
    throwIfAborted(signal);
    const kernels = await (this.local ??= instantiateKernels(this.heap.memory, true));
    const { heap } = this;
    const ctl = heap.alloc(64), results = heap.alloc(8 * calls.length);
    const task: QueueTask = { calls, ctl, results };
    heap.i32(ctl, 2).fill(0);
    // cancellation raises the stop flag, which every participant checks between calls
    const onAbort = () => Atomics.store(heap.i32(ctl, 2), 1, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const pool = calls.length > 1 ? this.getPool() : undefined;
      const helpers = pool ? Array.from({ length: Math.min(pool.maxThreads, calls.length - 1) }, () => pool.run(task) as Promise<number>) : [];
      let local: unknown;
      try {
        while (takeCalls(kernels, heap.memory, task, CALLER_SLICE_MS) > 0 && Atomics.load(heap.i32(ctl, 2), 0) < calls.length) {
          await new Promise((resolve) => setImmediate(resolve));
        }
      } catch (e) {
        local = e;
      }
      const settled = await Promise.allSettled(helpers);
      throwIfAborted(signal);
      const failure = local ?? (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined)?.reason;
      if (failure !== undefined) {
        throw new SegkitError('E_WORKER', `a kernel failed: ${failure instanceof Error ? failure.message : String(failure)}`, undefined, { cause: failure });
      }
      return Array.from(heap.f64(results, calls.length));
    } finally {
      signal?.removeEventListener('abort', onAbort);
      heap.release(results);
      heap.release(ctl);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }
}
