import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { SegkitError, throwIfAborted } from '../errors.js';
import { Heap } from '../kernels/heap.js';
import { instantiateKernels, type KernelExports } from '../kernels/wasm.js';
import type { Executor, KernelCall } from './executor.js';

// From the compiled package the worker sits beside this file; from TypeScript sources (tests) it is the built copy.
function workerFile(): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = fileURLToPath(new URL('../../dist/parallel/worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new SegkitError('E_WORKER', `cannot find the worker script (looked for ${here} and ${built})`, 'run `npm run build`');
}

/** Runs kernels on a piscina pool whose workers share one WebAssembly.Memory with the caller. */
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
    this.pool ??= new Piscina({
      filename: workerFile(),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 30_000,
      workerData: { memory: this.heap.memory },
    });
    return this.pool;
  }

  async run(calls: readonly KernelCall[], signal?: AbortSignal): Promise<number[]> {
    throwIfAborted(signal);
    // a single shard is not worth a round trip to a worker: run it here, on the same shared memory
    if (calls.length <= 1) {
      const k = await (this.local ??= instantiateKernels(this.heap.memory, true));
      try {
        return calls.map((c) => (k[c.kernel] as (...a: number[]) => number)(...c.args) ?? 0);
      } catch (e) {
        throw new SegkitError('E_WORKER', `a kernel failed: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
      }
    }
    const pool = this.getPool();
    // a few tasks per thread balance uneven shards (settled shards are cheap) without much dispatch overhead
    const per = Math.max(1, Math.floor(calls.length / (this.threads * 4)));
    const groups: KernelCall[][] = [];
    for (let i = 0; i < calls.length; i += per) groups.push(calls.slice(i, i + per));
    // Cancellation raises a flag the workers check between calls, rather than terminating them: a terminated
    // worker can still be writing into memory that the caller is about to free and reuse.
    const stop = this.heap.alloc(64);
    const flag = this.heap.i32(stop, 1);
    Atomics.store(flag, 0, 0);
    const onAbort = () => Atomics.store(this.heap.i32(stop, 1), 0, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const settled = await Promise.allSettled(groups.map((g) => pool.run({ calls: g, stop }) as Promise<number[]>));
      throwIfAborted(signal);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) {
        const reason = (failed as PromiseRejectedResult).reason;
        throw new SegkitError('E_WORKER', `a worker failed: ${reason instanceof Error ? reason.message : String(reason)}`, undefined, { cause: reason });
      }
      return settled.flatMap((s) => (s as PromiseFulfilledResult<number[]>).value);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.heap.release(stop);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await pool.destroy();
  }
}
