import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import { mapShards, type Executor, type Handle, type LoadOptions, type MapOptions, type ShardSource } from './executor.js';
import { checkSource, HeapExecutor, layoutShard, runOp, type HandleLayout, type HeapHandle } from './heapExecutor.js';
import { OS_PAGE, touchPages, type Heap } from '../kernels/heap.js';
import { Scratch, type AnyTypedArray, type DType, type KernelMemory } from '../kernels/shard.js';
import { kernelsFor, scratchNeed, type ShardOp } from './shardOp.js';
import { copyGathered, type GatherPlan } from './gatherCopy.js';

/** A pool task that rejected (its worker died or was stopped). */
function workerFailed(reason: unknown): SegkitError {
  const why = reason instanceof Error ? reason.message : String(reason);
  return new SegkitError('E_WORKER', `a pool worker failed: ${why}`, undefined, { cause: reason });
}

/** Below this many target rows a gather is copied on the calling thread alone. */
const GATHER_SPLIT_ROWS = 1 << 15;

/** Memory [from, to) for a pool worker to touch, one write a page, before a load copies into it. */
export interface PoolTouch {
  touch: [from: number, to: number];
}

/** Bytes of a new buffer for a pool worker to make, touch (one write a page) and hand over. */
export interface PoolFresh {
  fresh: number;
}

/** Target rows [from, to) of a gather for a pool worker to copy. */
export interface PoolGather {
  gather: GatherPlan;
  range: [from: number, to: number];
}

/** One pass as a pool worker receives it: plain numbers, the op's name and module, and its state. */
export interface PoolTask {
  op: string;
  module?: string;
  state: unknown;
  layout: HandleLayout;
  list: Int32Array;
  /** Byte offset of three int32 in the shared memory: the next list index, the stop flag, and how many shards of the list hold their rows. */
  ctl: number;
  slot: number;
  slotBytes: number;
  /** The source's columns, on shared memory: every shard runs from them (`op.runFrom`), none was copied in. */
  columns?: ShardSource['columns'];
}

/** What a worker sends back: [list index, partial] pairs, or the error that stopped it (code kept). */
export interface PoolResult {
  partials: [number, unknown][];
  error?: { code?: string; message: string; hint?: string };
}

// From the compiled package a module sits beside this file; from TypeScript sources (tests) it is the built copy.
export function builtFile(url: string): string {
  const path = fileURLToPath(url);
  const built = path.replace(/([\\/])src([\\/])(.*)\.[jt]s$/, '$1dist$2$3.js');
  if (!path.endsWith('.ts') && existsSync(path)) return path;
  if (built !== path && existsSync(built)) return built;
  throw new SegkitError('E_WORKER', `cannot find ${path}${path.endsWith('.ts') ? ' built as JavaScript' : ''}`, 'run `npm run build`');
}

const workerFile = (): string => builtFile(new URL('./worker.js', import.meta.url).href);

export interface PiscinaExecutorOptions {
  /** Threads that run shards, the calling thread included (default: every core). */
  threads?: number;
  /** Milliseconds an idle worker lives before it is stopped (default 10 s; past 2^31 - 1, about 24.8 days, never). */
  idleTimeout?: number;
}

/**
 * Runs shards on the calling thread plus a piscina pool of `threads - 1` workers, all in one shared
 * WebAssembly.Memory: data is loaded once and never copied per pass. Each pass hands out shards from one atomic
 * counter, so uneven shards balance themselves; the caller takes part, because a dispatcher that only waits
 * lets the OS wake its workers on its own core.
 */
class PiscinaExecutor extends HeapExecutor {
  readonly kind = 'piscina';
  readonly threads: number;
  private pool: Piscina | undefined;
  private readonly idleTimeout: number;

  constructor(o: PiscinaExecutorOptions) {
    super(true);
    this.threads = o.threads ?? availableParallelism();
    // a timer past 2^31 - 1 ms fires after 1 ms (with a warning): piscina's Infinity sets none
    const idle = o.idleTimeout ?? 10_000;
    this.idleTimeout = idle > 0x7fffffff ? Infinity : idle;
  }

  // Created on first use so importing segkit costs nothing; idle workers are stopped after idleTimeout.
  private getPool(memory: WebAssembly.Memory): Piscina {
    this.pool ??= new Piscina({
      filename: workerFile(),
      minThreads: 0,
      maxThreads: this.threads - 1,
      idleTimeout: this.idleTimeout,
      workerData: { memory },
    });
    return this.pool;
  }

  override async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.withRows(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    if (this.threads === 1 || list.length < 2) return super.map(op, h, state, options);
    return this.pooled(op, h, state, list, options.signal);
  }

  /**
   * Copies the rows in shard by shard on the calling thread while the pool's workers run the op on every shard
   * already in; then the calling thread takes the shards left. The partials are those of `load` then `map`.
   */
  async loadAndMap<S, P>(source: ShardSource, op: ShardOp<S, P>, state: S, options: LoadOptions = {}): Promise<{ handle: Handle; partials: P[] }> {
    const { h, heap } = await this.beginLoad(source, options);
    try {
      const list = mapShards(h);
      // with replicated rows a shard reads every row, so every row must be in before any shard runs
      if (this.threads === 1 || list.length < 2 || h.replicate) {
        this.copyRows(heap, h, source, 0, h.n);
        return { handle: h, partials: await super.map(op, h, state, { signal: options.signal }) };
      }
      const partials = await this.pooled(op, h, state, list, options.signal, (ready) => {
        for (let q = 0; q < list.length; q++) {
          // a worker that failed raised the stop flag: the pass rejects, so the rest need not come in
          if (Atomics.load(ready, 1)) break;
          const s = list[q];
          this.copyRows(heap, h, source, s * h.shardRows, Math.min(h.n, (s + 1) * h.shardRows));
          // from q to q + 1 only: a stop that raised the count meanwhile keeps it raised
          Atomics.compareExchange(ready, 2, q, q + 1);
          Atomics.notify(ready, 2);
        }
      }, undefined, options.meanwhile);
      return { handle: h, partials };
    } catch (e) {
      await this.release(h);
      throw e;
    }
  }

  /**
   * The calling thread copies shards in from the front of the list, keeping two waiting per worker, and meanwhile
   * runs shards from the back itself straight from the source (`op.runFrom`), never copying them in; the two meet
   * where the workers' pace and the copy's set. Columns on shared memory (a SharedArrayBuffer, as the command line's
   * Arrow reader gives) are read where they are by every thread, and nothing is copied. Who runs a shard changes no
   * result.
   */
  async scanAndMap<S, P>(source: ShardSource, op: ShardOp<S, P>, state: S, options: LoadOptions = {}): Promise<{ handle: Handle; partials: P[] }> {
    const { n, shardRows } = checkSource(source, options);
    if (this.threads === 1 || n <= shardRows) return this.scanHere(source, op, state, options);
    if (!op.runFrom || options.replicate) return this.loadAndMap(source, op, state, options);
    if (onSharedMemory(source.columns)) {
      // every thread reads the columns where they are (the workers' tasks carry views on them): nothing is copied in
      const { h } = await this.beginLoad(source, options, 'none');
      h.rowsAbsent = true;
      try {
        return { handle: h, partials: await this.pooled(op, h, state, mapShards(h), options.signal, undefined, source.columns, options.meanwhile) };
      } catch (e) {
        await this.release(h);
        throw e;
      }
    }
    const { h, heap } = await this.beginLoad(source, options, 'untouched');
    h.rowsAbsent = true;
    try {
      const list = mapShards(h);
      const lead = 2 * (this.threads - 1);
      const partials = await this.pooled(op, h, state, list, options.signal, async (ctl, out, local, need) => {
        await kernelsFor(op, local.mem);
        const ptr = heap.alloc(need);
        const scratch = new Scratch(ptr, need);
        const layout = h.layout();
        let front = 0, end = list.length;
        try {
          while (front < end && !Atomics.load(ctl, 1)) {
            if (front - Atomics.load(ctl, 0) < lead) {
              const s = list[front];
              this.copyRows(heap, h, source, s * h.shardRows, Math.min(h.n, (s + 1) * h.shardRows));
              Atomics.compareExchange(ctl, 2, front, front + 1);
              front++;
            } else {
              // a worker that took shard `end` meanwhile sees it is past the end and stops
              Atomics.store(ctl, 3, --end);
              scratch.reset();
              out[end] = runOp(op, layoutShard(layout, list[end], local.mem, scratch, h.buffers), state, source.columns);
            }
            Atomics.notify(ctl, 2);
            // the workers go on with the shards copied for them meanwhile
            await this.turn(h, options.signal);
          }
        } finally {
          heap.release(ptr);
        }
      });
      return { handle: h, partials };
    } catch (e) {
      await this.release(h);
      throw e;
    }
  }

  /**
   * One pass over `list` on the calling thread and the pool. With `feed`, the list's shards get their rows while the
   * pass runs: workers wait for shard i until the ready count passes i, and `feed` raises it as it copies.
   */
  private async pooled<S, P>(
    op: ShardOp<S, P>, h: HeapHandle, state: S, list: number[], signal: AbortSignal | undefined,
    feed?: (ctl: Int32Array, out: (P | undefined)[], local: { heap: Heap; mem: KernelMemory }, need: number) => void | Promise<void>,
    from?: ShardSource['columns'], meanwhile?: () => void,
  ): Promise<P[]> {
    const module = op.module && pathToFileURL(builtFile(op.module)).href;
    const local = await this.prepare(op, h, state);
    this.checkRunning(h, signal);
    const { heap, mem } = local;
    const pool = this.getPool(mem.memory);
    const helpers = Math.min(this.threads - 1, list.length - 1);
    const need = scratchNeed(op, state, h.d, h.shardRows);
    return this.withPassMemory(heap, h, helpers, need, signal, async ({ ctl, slots, stop }) => {
      const out: (P | undefined)[] = new Array(list.length);
      if (feed) heap.i32(ctl, 3)[2] = 0;
      const task: Omit<PoolTask, 'slot'> = {
        op: op.name, module, state, layout: h.layout(),
        list: Int32Array.from(list), ctl, slotBytes: need, ...(from ? { columns: from } : {}),
      };
      const running = slots.map((slot) => pool.run({ ...task, slot }) as Promise<PoolResult>);
      // settled below; until then a worker stopped by close() must not count as an unhandled rejection
      for (const r of running) r.catch(() => undefined);
      const take = () => {
        const f = heap.i32(ctl, 4);
        if (Atomics.load(f, 1)) return list.length;
        const i = Atomics.add(f, 0, 1);
        return i < Atomics.load(f, 3) ? i : list.length;
      };
      let failure: unknown;
      try {
        if (feed) await feed(heap.i32(ctl, 4), out, local, need);
        // the workers have their shards: the caller's work goes first, then this thread joins them
        meanwhile?.();
        await this.runHere(op, h, state, list, signal, local, take, out, from);
      } catch (e) {
        failure = e;
        stop();
      }
      const settled = await Promise.allSettled(running);
      this.checkRunning(h, signal);
      if (failure !== undefined) throw failure;
      for (const s of settled) {
        if (s.status === 'rejected') throw workerFailed(s.reason);
        const r = s.value;
        if (r.error) {
          if (r.error.code) throw new SegkitError(r.error.code as SegkitError['code'], r.error.message, r.error.hint);
          throw new SegkitError('E_WORKER', `shard op "${op.name}" failed in a pool worker: ${r.error.message}`);
        }
        for (const [i, p] of r.partials) out[i] = p as P;
      }
      return out as P[];
    });
  }

  // A pool worker makes the array and takes its first touches (on the machine we measure on, 3 to 5 ms a MiB), so
  // that readRows only copies into it: worth it while the worker would otherwise wait (the last steps of a
  // mini-batch fit), and for a k-means fit's labels during its load (measured in fitOnLoad), but not for predict,
  // whose copy of the rows is all its load (the faults took several times as long, and predict at 1M x 64 slowed
  // from 43-51 ms to 64-65). One thread, or less than a MiB (the round trip costs more than its faults): an array as
  // readRows would make it.
  async freshArray(type: DType, length: number): Promise<AnyTypedArray> {
    const C = type === 'i32' ? Int32Array : type === 'f32' ? Float32Array : Float64Array;
    const bytes = length * C.BYTES_PER_ELEMENT;
    const { heap } = await this.local();
    if (this.threads === 1 || bytes < FRESH_BYTES || heap !== this.liveHeap) return new C(length);
    try {
      return new C((await this.getPool(heap.memory).run({ fresh: bytes } satisfies PoolFresh)) as ArrayBuffer);
    } catch (e) {
      if (heap !== this.liveHeap) throw new SegkitError('E_CLOSED', 'the executor was closed while an array was being made', 'close() only after every fit and scan has finished');
      throw workerFailed(e);
    }
  }

  // The first write to a page costs a fault that zero-fills it (about 1 ms a MiB here, on one thread): large loads
  // into never-written memory share those first touches out among the calling thread and the workers.
  protected override async prefault(heap: Heap, from: number, to: number): Promise<void> {
    // a memory let go by close() gets no pool of its own
    if (this.threads === 1 || to - from < PREFAULT_BYTES || heap !== this.liveHeap) return;
    const pool = this.getPool(heap.memory);
    const parts = this.threads;
    const per = Math.ceil((to - from) / parts / OS_PAGE) * OS_PAGE;
    const running: Promise<unknown>[] = [];
    for (let p = 1; p < parts; p++) {
      const a = from + p * per;
      if (a < to) running.push(pool.run({ touch: [a, Math.min(to, a + per)] } satisfies PoolTouch));
    }
    touchPages(heap.memory.buffer, from, Math.min(to, from + per));
    // touching is only a head start: a worker that failed or was closed leaves its pages to the copy
    await Promise.allSettled(running);
  }

  // Drawn rows are scattered over the source's cache lines: the threads copy a range of the target rows each (aside:
  // the workers alone, while the calling thread goes on with its own work).
  protected override async copyGatheredRows(local: { heap: Heap; mem: KernelMemory }, plan: GatherPlan, aside: boolean): Promise<void> {
    const { heap } = local;
    if (this.threads === 1 || (!aside && plan.n < GATHER_SPLIT_ROWS) || heap !== this.liveHeap) return super.copyGatheredRows(local, plan, aside);
    const pool = this.getPool(heap.memory);
    const parts = aside ? Math.min(this.threads - 1, Math.ceil(plan.n / GATHER_SPLIT_ROWS)) : this.threads;
    const per = Math.ceil(plan.n / parts);
    const running: Promise<unknown>[] = [];
    for (let p = aside ? 0 : 1; p < parts; p++) {
      const a = p * per;
      if (a < plan.n) running.push(pool.run({ gather: plan, range: [a, Math.min(plan.n, a + per)] } satisfies PoolGather));
    }
    for (const r of running) r.catch(() => undefined);
    let settled: PromiseSettledResult<unknown>[];
    try {
      if (!aside) copyGathered(heap.memory, local.mem.kernels, plan, 0, Math.min(plan.n, per));
    } finally {
      // the workers' copies end before the caller may free the target or the row list
      settled = await Promise.allSettled(running);
    }
    // a memory let go by close() while they ran: the executor was closed, no worker failed
    if (heap !== this.liveHeap) throw new SegkitError('E_CLOSED', 'the executor was closed while an operation was running', 'close() only after every fit and scan has finished');
    for (const s of settled) {
      if (s.status === 'rejected') throw workerFailed(s.reason);
    }
  }

  override async close(): Promise<void> {
    // stop every running pass first, so no worker writes into a memory that is being let go
    this.stopSharedPasses();
    const pool = this.pool;
    this.pool = undefined;
    await super.close();
    if (pool) await pool.destroy();
  }
}

/** Arrays of at least this many bytes are made by a pool worker in `freshArray`. */
const FRESH_BYTES = 1 << 20;

/** Loads into at least this much never-written memory share out their first touches. */
const PREFAULT_BYTES = 64 << 20;

/** The Node executor: the calling thread and `threads - 1` pool workers sharing one wasm memory. */
export function piscinaExecutor(options: PiscinaExecutorOptions = {}): Executor {
  // a misspelt option would otherwise leave every core in use, or fail only at the first pass with piscina's own error
  checkOptions(options, ['threads', 'idleTimeout'], 'piscinaExecutor');
  const t = options.threads;
  if (t !== undefined && (!Number.isInteger(t) || t < 1)) throw new SegkitError('E_BAD_OPTION', `option "threads" must be a positive integer, got ${String(t)}`);
  const idle = options.idleTimeout;
  if (idle !== undefined && !(typeof idle === 'number' && idle >= 0)) throw badOption('idleTimeout', idle, 'a non-negative number of milliseconds');
  return new PiscinaExecutor(options);
}

/** Whether every column is a view on shared memory, which pool workers read where it is. */
function onSharedMemory(columns: ShardSource['columns']): boolean {
  return columns.length > 0 && columns.every((c) => c.buffer instanceof SharedArrayBuffer);
}
