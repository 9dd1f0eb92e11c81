import { SegkitError, abortedError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import type { AnyTypedArray } from '../kernels/shard.js';
import { checkRowValues, mapShards, readInto, type Executor, type Handle, type LoadOptions, type MapOptions, type ReadOptions, type ShardSource } from './executor.js';
import { checkSource, HeapExecutor } from './heapExecutor.js';
import { concatInShardOrder } from './merge.js';
import { decodePartial, encodeState, scratchNeed, type ShardOp } from './shardOp.js';
import type { FromWorker, ToWorker, WireError } from './webWorkerProtocol.js';

export interface WebWorkerExecutorOptions {
  /** Web Workers that run shards (default: navigator.hardwareConcurrency). The calling thread only hands out work. */
  threads?: number;
  /** The worker script (default: segkit.worker.js beside the segkit/browser module). */
  workerUrl?: string | URL;
  /**
   * Share one WebAssembly.Memory with the workers (default: when the page is cross-origin isolated). Without it,
   * each worker is sent its shards once and keeps them; only states and partials move per pass.
   */
  sharedMemory?: boolean;
  /**
   * Milliseconds the workers have to load the script and set up their kernels (default 30,000; Infinity waits
   * forever). A script that loads but never answers, not segkit's worker script, fails with E_WORKER naming it.
   */
  startTimeout?: number;
}

const KNOWN = ['threads', 'workerUrl', 'sharedMemory', 'startTimeout'] as const;

/** An executor over Web Workers; `start()` starts them ahead of the first pass (a page can do it while it loads). */
export interface WebWorkerExecutor extends Executor {
  readonly sharedMemory: boolean;
  start(): Promise<void>;
}

// segkit's own ops are bundled into the worker script; in the browser build every module of segkit shares this URL
const OWN_MODULE: string | undefined = import.meta.url;
const moduleToLoad = (op: ShardOp<any, any>): string | undefined => (op.module === OWN_MODULE ? undefined : op.module);

const fromWire = (e: WireError, what: string): SegkitError =>
  e.code ? new SegkitError(e.code as SegkitError['code'], e.message, e.hint) : new SegkitError('E_WORKER', `${what} failed in a Web Worker: ${e.message}`);

/** `p`, or E_ABORTED once the signal aborts: the workers' start, which can take up to startTimeout, is not waited out. */
async function orAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  throwIfAborted(signal);
  let stop = () => {};
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => signal?.addEventListener('abort', (stop = () => reject(abortedError(signal))), { once: true }))]);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

type Message = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/** Web Workers started from one script, each request answered by a reply with the same id. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private started: Promise<void> | undefined;
  /** Why the pool stopped: a worker that died (E_WORKER), or close() (E_CLOSED). */
  failure: SegkitError | undefined;

  constructor(private readonly url: string | URL, readonly size: number, private readonly memory: WebAssembly.Memory | undefined, private readonly onFail: () => void, private readonly startTimeout: number) {}

  start(): Promise<void> {
    return (this.started ??= (async () => {
      try {
        for (let w = 0; w < this.size; w++) {
          const worker = new Worker(this.url, { type: 'module', name: `segkit-${w + 1}` });
          worker.onmessage = (event: MessageEvent<FromWorker>) => this.settle(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            this.fail(`a Web Worker stopped: ${event.message || `could not run ${String(this.url)}`}`);
          };
          worker.onmessageerror = () => this.fail('a Web Worker sent a message that could not be read');
          this.workers.push(worker);
        }
        // a script that loads but never answers (not segkit's worker script) would leave the first pass waiting forever
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<never>((_, reject) => {
          if (this.startTimeout < 2 ** 31) timer = setTimeout(() => reject(new SegkitError('E_WORKER', `the Web Worker script ${String(this.url)} did not answer within ${this.startTimeout} ms of starting`, 'give segkit.worker.js as workerUrl, or a larger startTimeout where it loads slowly')), this.startTimeout);
        });
        try {
          await Promise.race([Promise.all(this.workers.map((_, w) => this.request(w, { t: 'init', memory: this.memory }))), late]);
        } finally {
          clearTimeout(timer);
        }
      } catch (e) {
        // a worker that cannot set up its kernels (a CSP without 'wasm-unsafe-eval', say), or a script the page may
        // not start (another origin: a DOMException, whose code is a number): a SegkitError, and no idle workers left
        const error = e instanceof SegkitError ? e : e instanceof Error ? new SegkitError('E_WORKER', `could not start a Web Worker from ${String(this.url)}: ${e.message}`, 'serve segkit.worker.js from the page\'s origin, or give its address as workerUrl') : fromWire(e as WireError, 'setting up the kernels');
        // a pool already stopped (close(), a worker that died) has had its executor closed: a second closing would
        // stop the workers of a fit started since
        if (!this.failure) {
          this.terminate(error);
          this.onFail();
        }
        throw error;
      }
    })());
  }

  /** Posts a request to worker w: its id, and its reply's value (or the error it carries). */
  send(w: number, message: Message, transfer: Transferable[] = []): { id: number; done: Promise<any> } {
    const id = this.nextId++;
    if (this.failure) return { id, done: Promise.reject(this.failure) };
    const done = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.workers[w].postMessage({ ...message, id }, transfer);
      } catch (e) {
        // a DataCloneError: its numeric DOMException code is no SegkitError code
        this.pending.delete(id);
        reject(new SegkitError('E_EXECUTOR', `could not send a Web Worker its "${message.t}" message: ${e instanceof Error ? e.message : String(e)}`, 'a shard op\'s state holds only numbers, strings, booleans, arrays, plain objects and typed arrays'));
      }
    });
    return { id, done };
  }

  request(w: number, message: Message, transfer: Transferable[] = []): Promise<any> {
    return this.send(w, message, transfer).done;
  }

  private settle(m: FromWorker): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) p.reject(m.error);
    else p.resolve(m.value);
  }

  private fail(why: string): void {
    this.failure ??= new SegkitError('E_WORKER', why, `check that ${String(this.url)} is served (as JavaScript) beside segkit`);
    this.terminate(this.failure);
    this.onFail();
  }

  terminate(reason: SegkitError): void {
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
    this.failure ??= reason;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
  }
}

const closedError = () => new SegkitError('E_CLOSED', 'the executor was closed while an operation was running', 'close() only after every fit and scan has finished');

/**
 * Shared memory (cross-origin isolated pages): the data is loaded once into a WebAssembly.Memory every worker
 * instantiates the kernels over; each pass hands out shards from one atomic counter, so uneven shards balance
 * themselves, and copies nothing but the op's small state. As the piscina pool does in Node.
 */
class SharedWebWorkerExecutor extends HeapExecutor implements WebWorkerExecutor {
  readonly kind = 'web-workers';
  readonly sharedMemory = true;
  private pool: WorkerPool | undefined;

  constructor(readonly threads: number, private readonly url: string | URL, private readonly startTimeout: number) {
    super(true);
  }

  private async workers(): Promise<WorkerPool> {
    // a memory close() let go while it was being made must not get workers: they would run later passes over it
    const { mem } = await this.liveLocal();
    const pool = (this.pool ??= new WorkerPool(this.url, this.threads, mem.memory, () => void this.close(), this.startTimeout));
    await pool.start();
    return pool;
  }

  async start(): Promise<void> {
    await this.workers();
  }

  override async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.checkHandle(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    const local = await this.prepare(op, h, state);
    const pool = await orAbort(this.workers(), options.signal);
    this.checkRunning(h, options.signal);
    const { heap } = local;
    const helpers = Math.min(this.threads, list.length);
    const need = scratchNeed(op, state, h.d, h.shardRows);
    return this.withPassMemory(heap, h, helpers, need, options.signal, async ({ ctl, slots }) => {
      const out: (P | undefined)[] = new Array(list.length);
      const task = { t: 'pass' as const, op: op.name, module: moduleToLoad(op), state, layout: h.layout(), list: Int32Array.from(list), ctl, slotBytes: need };
      const settled = await Promise.allSettled(slots.map((slot, w) => pool.request(w, { ...task, slot }) as Promise<[number, P][]>));
      // a worker that died closed the executor: its error, not the closing's, is the pass's
      if (pool.failure?.code === 'E_WORKER') throw pool.failure;
      this.checkRunning(h, options.signal);
      for (const s of settled) {
        if (s.status === 'rejected') throw s.reason instanceof SegkitError ? s.reason : fromWire(s.reason as WireError, `shard op "${op.name}"`);
        for (const [i, p] of s.value) out[i] = p;
      }
      return out as P[];
    });
  }

  override async close(): Promise<void> {
    // stop every running pass first, so no worker writes into a memory that is being let go
    this.stopSharedPasses();
    const pool = this.pool;
    this.pool = undefined;
    await super.close();
    pool?.terminate(closedError());
  }
}

class WorkerHandle implements Handle {
  readonly shards: number;
  released = false;
  constructor(readonly id: number, readonly n: number, readonly d: number, readonly dtype: 'f32' | 'f64', readonly shardRows: number, readonly replicate: boolean, readonly owners: number) {
    this.shards = Math.ceil(n / shardRows);
  }
  /** The worker that holds (and runs) shard s: round robin, so any run of consecutive shards spreads over all. */
  owner(s: number): number {
    return s % this.owners;
  }
  rowsOf(s: number): [number, number] {
    const start = s * this.shardRows;
    return [start, Math.min(this.n, start + this.shardRows)];
  }
}

let nextHandle = 1;

/** A copy of the rows [r0, r1) of each array, ready to be transferred (not cloned) to a worker. */
const rowsCopy = <T extends AnyTypedArray>(arrays: readonly T[], r0: number, r1: number): T[] => arrays.map((a) => a.slice(r0, r1) as T);

/**
 * No shared memory (pages that are not cross-origin isolated): each worker is a shard holder, sent its shards once
 * (transferred, not cloned) and keeping them with their per-row buffers; a pass sends each worker the op's encoded
 * state and the shards to run, and gets back encoded partials. Shard s lives on worker s mod threads.
 */
class TransferWebWorkerExecutor implements WebWorkerExecutor {
  readonly kind = 'web-workers';
  readonly sharedMemory = false;
  private pool: WorkerPool | undefined;
  private handles = new Set<WorkerHandle>();

  constructor(readonly threads: number, private readonly url: string | URL, private readonly startTimeout: number) {}

  private async workers(): Promise<WorkerPool> {
    const pool = (this.pool ??= new WorkerPool(this.url, this.threads, undefined, () => void this.close(), this.startTimeout));
    await pool.start();
    return pool;
  }

  async start(): Promise<void> {
    await this.workers();
  }

  private check(h: Handle): WorkerHandle {
    if (!(h instanceof WorkerHandle) || !this.handles.has(h)) throw new SegkitError('E_CLOSED', 'the data was released, its executor closed, or it belongs to another executor');
    return h;
  }

  private rethrow(e: unknown, what: string): never {
    throw e instanceof SegkitError ? e : fromWire(e as WireError, what);
  }

  async load(source: ShardSource, options: LoadOptions = {}): Promise<Handle> {
    throwIfAborted(options.signal);
    const { n, d, dtype, shardRows } = checkSource(source, options);
    const pool = await orAbort(this.workers(), options.signal);
    const h = new WorkerHandle(nextHandle++, n, d, dtype, shardRows, !!options.replicate, pool.size);
    this.handles.add(h);
    const layout = { n, d, dtype, shardRows, replicate: h.replicate };
    const inputs = Object.entries(source.rows ?? {});
    const sends: Promise<unknown>[] = [];
    if (h.replicate) {
      for (let w = 0; w < pool.size; w++) {
        const shards = mapShards(h).filter((s) => h.owner(s) === w);
        if (shards.length === 0) continue;
        const columns = rowsCopy(source.columns, 0, n);
        const rows = Object.fromEntries(inputs.map(([k, a]) => [k, a.slice()]));
        sends.push(pool.request(w, { t: 'all', handle: h.id, layout, shards, columns, inputs: rows }, [...columns, ...Object.values(rows)].map((a) => a.buffer as ArrayBuffer)));
      }
    } else {
      for (let s = 0; s < h.shards; s++) {
        const [r0, r1] = h.rowsOf(s);
        const columns = rowsCopy(source.columns, r0, r1);
        const rows = Object.fromEntries(inputs.map(([k, a]) => [k, a.slice(r0, r1)]));
        sends.push(pool.request(h.owner(s), { t: 'shard', handle: h.id, layout, shard: s, columns, inputs: rows }, [...columns, ...Object.values(rows)].map((a) => a.buffer as ArrayBuffer)));
      }
    }
    const settled = await Promise.allSettled(sends);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      await this.release(h);
      this.rethrow(failed.reason, 'loading the data');
    }
    if (options.signal?.aborted) {
      await this.release(h);
      throwIfAborted(options.signal);
    }
    return h;
  }

  async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    const pool = await orAbort(this.workers(), options.signal);
    const bytes = encodeState(op, state);
    const byWorker = new Map<number, number[]>();
    for (const s of list) {
      const w = h.owner(s);
      byWorker.set(w, [...(byWorker.get(w) ?? []), s]);
    }
    const passes = [...byWorker].map(([w, shards]) => {
      const copy = bytes.slice();
      return { w, ...pool.send(w, { t: 'map', handle: h.id, op: op.name, module: moduleToLoad(op), state: copy, shards }, [copy.buffer]) };
    });
    // an abort, or a worker's failure, asks each worker to stop between shards (they look at least every 20 ms)
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      for (const p of passes) pool.request(p.w, { t: 'stop', of: p.id }).catch(() => undefined);
    };
    // the first failure is the pass's error: the others' E_ABORTED only follow from it
    let failure: { reason: unknown } | undefined;
    for (const p of passes) p.done.catch((reason: unknown) => {
      failure ??= { reason };
      stop();
    });
    options.signal?.addEventListener('abort', stop, { once: true });
    let settled: PromiseSettledResult<[number, Uint8Array][]>[];
    try {
      settled = await Promise.allSettled(passes.map((p) => p.done as Promise<[number, Uint8Array][]>));
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
    if (pool.failure?.code === 'E_WORKER') throw pool.failure;
    if (h.released) throw closedError();
    throwIfAborted(options.signal);
    if (failure) this.rethrow(failure.reason, `shard op "${op.name}"`);
    const at = new Map(list.map((s, i) => [s, i]));
    const out: P[] = new Array(list.length);
    for (const r of settled) for (const [s, b] of (r as PromiseFulfilledResult<[number, Uint8Array][]>).value) out[at.get(s)!] = decodePartial(op, b);
    return out;
  }

  async readRows(handle: Handle, name: string, options: ReadOptions = {}): Promise<AnyTypedArray> {
    const h = this.check(handle);
    const pool = await this.workers();
    const shards = mapShards(h);
    const parts: AnyTypedArray[] = new Array(h.shards);
    await Promise.all(
      Array.from({ length: pool.size }, async (_, w) => {
        const mine = shards.filter((s) => h.owner(s) === w);
        if (mine.length === 0) return;
        const got = (await pool.request(w, { t: 'read', handle: h.id, name, shards: mine }).catch((e) => this.rethrow(e, 'reading per-row values'))) as AnyTypedArray[];
        mine.forEach((s, i) => (parts[s] = got[i]));
      }),
    );
    return readInto(concatInShardOrder(parts as Float32Array[]), options.into, name);
  }

  async writeRows(handle: Handle, name: string, values: AnyTypedArray): Promise<void> {
    const h = this.check(handle);
    checkRowValues(name, values, h.n);
    const pool = await this.workers();
    const sends: Promise<unknown>[] = [];
    for (let w = 0; w < pool.size; w++) {
      const mine = mapShards(h).filter((s) => h.owner(s) === w);
      if (mine.length === 0) continue;
      if (h.replicate) {
        const copy = values.slice();
        sends.push(pool.request(w, { t: 'writeAll', handle: h.id, name, values: copy }, [copy.buffer as ArrayBuffer]));
      } else {
        const parts = mine.map((s) => [s, values.slice(...h.rowsOf(s))] as [number, AnyTypedArray]);
        sends.push(pool.request(w, { t: 'write', handle: h.id, name, parts }, parts.map(([, a]) => a.buffer as ArrayBuffer)));
      }
    }
    await Promise.all(sends).catch((e) => this.rethrow(e, 'writing per-row values'));
  }

  async release(handle: Handle): Promise<void> {
    if (!(handle instanceof WorkerHandle) || !this.handles.has(handle)) return;
    this.handles.delete(handle);
    handle.released = true;
    const pool = this.pool;
    if (!pool) return;
    await Promise.all(Array.from({ length: pool.size }, (_, w) => pool.request(w, { t: 'release', handle: handle.id }).catch(() => undefined)));
  }

  async close(): Promise<void> {
    for (const h of this.handles) h.released = true;
    this.handles.clear();
    const pool = this.pool;
    this.pool = undefined;
    pool?.terminate(closedError());
  }
}

const defaultThreads = (): number => {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n! > 0 ? n! : 1;
};

/**
 * Runs shards in Web Workers, in a browser tab or a worker. On a cross-origin isolated page they share one
 * WebAssembly.Memory with the caller; otherwise each holds the shards it was sent once. Results are the same bytes
 * as every other executor's. The workers start on first use (or `start()`) and stay until `close()`.
 * @example
 * const executor = webWorkerExecutor({ threads: navigator.hardwareConcurrency });
 * const model = await kmeans(rows, { k: 5, seed: 1, executor });
 */
export function webWorkerExecutor(options: WebWorkerExecutorOptions = {}): WebWorkerExecutor {
  checkOptions(options, KNOWN, 'webWorkerExecutor');
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw badOption('threads', options.threads, 'a positive integer');
  const startTimeout = options.startTimeout ?? 30_000;
  if (!(typeof startTimeout === 'number' && startTimeout > 0)) throw badOption('startTimeout', startTimeout, 'a number of milliseconds > 0');
  if (typeof Worker !== 'function') throw new SegkitError('E_BAD_OPTION', 'webWorkerExecutor needs Web Workers, which this runtime does not have', 'use inlineExecutor()');
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const shared = options.sharedMemory ?? isolated;
  if (typeof shared !== 'boolean') throw badOption('sharedMemory', shared, 'true or false');
  if (shared && !isolated) {
    throw new SegkitError('E_BAD_OPTION', 'option "sharedMemory" needs a cross-origin isolated page (crossOriginIsolated is false)', 'serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp');
  }
  const url = options.workerUrl ?? new URL('./segkit.worker.js', import.meta.url);
  if (typeof url !== 'string' && !(url instanceof URL)) throw badOption('workerUrl', url, 'a URL or a string');
  return shared ? new SharedWebWorkerExecutor(threads, url, startTimeout) : new TransferWebWorkerExecutor(threads, url, startTimeout);
}
