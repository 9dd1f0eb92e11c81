import { randomBytes } from 'node:crypto';
import type { FlowProducer, Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { SegkitError, abortedError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import type { AnyTypedArray } from '../kernels/shard.js';
import { decodeValue, encodeValue } from './codec.js';
import { checkRowValues, mapShards, readInto, type Executor, type Handle, type LoadOptions, type MapOptions, type ReadOptions, type ShardSource } from './executor.js';
import { checkSource } from './heapExecutor.js';
import { typeOfRows } from './shardHolder.js';
import {
  HANDLE_TTL, INLINE_STATE, LEASE_MS, PING_TIMEOUT_MS, PROTOCOL, SEGKIT_VERSION, checkQueueName, checkRedisUrl, errorFromReason, expirePass, firstPing, fromBase64, queueNames, redactUrl,
  redisKeys, redisOptions, seal, sha256, storeKeys, toBase64, unseal, type FitMeta, type JobData, type JobResult, type LogEntry, type Step,
} from './jobProtocol.node.js';
import { concatInShardOrder } from './merge.js';
import { encodeShard } from './shardFile.js';
import { decodePartial, encodeState, type ShardOp } from './shardOp.js';
import { openStore, type ShardStore } from './shardStore.node.js';

export interface BullmqExecutorOptions {
  /** Redis URL: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  connection: string;
  /** Where shards live, reachable by the caller and every worker: a `file:///shared/dir` URL or a `ShardStore`. */
  store: string | ShardStore;
  /** Queue name the workers serve (default "segkit"). */
  queue?: string;
  /** Failed connection attempts to Redis before E_EXECUTOR (default 5, about 3 s). */
  connectAttempts?: number;
  /** Milliseconds a pass waits while no worker is alive before E_EXECUTOR (default 60 s). */
  workerTimeout?: number;
}

const KNOWN = ['connection', 'store', 'queue', 'connectAttempts', 'workerTimeout'] as const;

/** Jobs of one pass: retried twice on errors that may pass (a store hiccup), removed once their parent has their result. */
const CHILD = { attempts: 3, backoff: { type: 'fixed', delay: 250 }, removeOnComplete: true, removeOnFail: true, ignoreDependencyOnFailure: true } as const;
/** Shard files written at once by `load`. */
const WRITERS = 4;
/** Milliseconds an aborted pass waits for its jobs to be removed, and a release for its keys, before going on. */
const CANCEL_MS = 1000;

/** Settles when `p` does (true) or after CANCEL_MS (false), whichever comes first; never rejects. */
async function bounded(p: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), CANCEL_MS); });
  const settled = await Promise.race([p.then(() => true, () => true), late]);
  clearTimeout(timer);
  return settled;
}
/** Live workers are looked up at most this often (a dead one's queue is adopted by the others meanwhile). */
const LIVE_MS = 1000;
/** A running pass renews the expiry of its keys in Redis this often. */
const RENEW_MS = 60_000;

class BullHandle implements Handle {
  readonly shards: number;
  pass = 0;
  released = false;
  /** The worker holding each shard ('' before its first job). */
  readonly holders: string[];
  /** The last pass that changed each shard (a map on it, or a write), and any shard. */
  readonly changed: Int32Array;
  changedAny = 0;
  /** When its lease in the store was last written (its load's files count as one). */
  leased = performance.now();
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    readonly id: number, readonly fit: string, readonly n: number, readonly d: number, readonly dtype: 'f32' | 'f64',
    readonly shardRows: number, readonly replicate: boolean,
  ) {
    this.shards = Math.ceil(n / shardRows);
    this.holders = new Array<string>(this.shards).fill('');
    this.changed = new Int32Array(this.shards);
  }
  /** Passes of one handle run one after another: the log's order is the order every holder applies them. */
  serial<T>(f: () => Promise<T>): Promise<T> {
    const r = this.chain.then(f, f);
    this.chain = r.catch(() => undefined);
    return r;
  }
}

interface Gathered {
  values: Record<string, unknown>;
  failures: Record<string, string>;
}

interface Pending {
  resolve(g: Gathered): void;
  reject(e: unknown): void;
}

interface Conn {
  client: Redis;
  flow: FlowProducer;
  gatherQueue: Queue;
  gather: Worker;
  JobClass: typeof Job;
}

let nextHandle = 1;

/**
 * f(0), ..., f(count - 1), at most `limit` at once. After a failure no new call starts, and the first error is
 * thrown once every call under way has ended: a clean-up that follows finds no write still to land.
 */
async function eachLimited(count: number, limit: number, f: (i: number) => Promise<void>): Promise<void> {
  let next = 0, failed = false, first: unknown;
  const run = async (): Promise<void> => {
    for (let i = next++; i < count && !failed; i = next++) {
      try {
        await f(i);
      } catch (e) {
        if (!failed) first = e;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, run));
  if (failed) throw first;
}

/**
 * Shard ops on many machines through BullMQ on Redis. `load` writes each shard once to the store as an Arrow IPC
 * file; each pass is a BullMQ flow: one child job per shard (carrying the op's registered name, its encoded state
 * and the pass number, never data or code) under a parent that gathers their partials, which are decoded and
 * returned in shard order. A shard's jobs go to the worker that holds it, so its rows and per-row buffers stay
 * there between passes; the handle's log of passes in Redis lets any other worker rebuild them exactly.
 */
class BullmqExecutor implements Executor {
  readonly kind = 'bullmq';
  private readonly url: string;
  private readonly store: ShardStore;
  private readonly queue: string;
  private readonly names: ReturnType<typeof queueNames>;
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly attempts: number;
  private readonly workerTimeout: number;
  private readonly id = randomBytes(6).toString('hex');
  private ready: Promise<Conn> | undefined;
  /** The connection `ready` gave. */
  private current: Conn | undefined;
  private readonly handles = new Set<BullHandle>();
  private readonly pending = new Map<string, Pending>();
  private live: { at: number; ids: string[] } = { at: -Infinity, ids: [] };

  constructor(o: BullmqExecutorOptions) {
    if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with { connection, store }');
    checkOptions(o, KNOWN, 'bullmqExecutor');
    this.url = checkRedisUrl(o.connection);
    this.store = openStore(o.store);
    this.queue = checkQueueName(o.queue ?? 'segkit');
    this.names = queueNames(this.queue);
    this.keys = redisKeys(this.queue);
    this.attempts = o.connectAttempts ?? 5;
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw badOption('connectAttempts', o.connectAttempts, 'a positive integer');
    this.workerTimeout = o.workerTimeout ?? 60_000;
    // a string or a boolean compares as a number (true as 1 ms): only a number is taken
    if (typeof this.workerTimeout !== 'number' || !(this.workerTimeout > 0)) throw badOption('workerTimeout', o.workerTimeout, 'a positive number of milliseconds');
  }

  /** Workers alive at the last look (for display and scheduling; results never depend on it). */
  get threads(): number {
    return Math.max(1, this.live.ids.length);
  }

  private where(): string {
    return `Redis at ${redactUrl(this.url)}`;
  }

  private conn(): Promise<Conn> {
    const old = this.current;
    if (old && old.client.status === 'end') {
      // it gave up reconnecting during an outage: Redis may be back, and the next operation connects afresh
      this.current = this.ready = undefined;
      old.client.disconnect();
      void Promise.allSettled([old.gather.disconnect(), old.flow.disconnect(), old.gatherQueue.disconnect()]);
    }
    const ready = (this.ready ??= this.connect());
    ready.catch(() => {
      if (this.ready === ready) this.ready = undefined;
    });
    return ready;
  }

  private async connect(): Promise<Conn> {
    const [{ FlowProducer, Queue, Worker, Job }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    const client = new Redis(this.url, redisOptions(this.url, this.attempts));
    let last = '';
    client.on('error', (e: Error) => { last = e.message; });
    try {
      await firstPing(client, this.where());
    } catch (e) {
      client.disconnect();
      if (e instanceof SegkitError) throw e;
      throw new SegkitError('E_EXECUTOR', `cannot reach ${this.where()} after ${this.attempts} attempts: ${last || (e as Error).message}`, 'start redis-server, or check the URL, password and TLS (rediss://)', { cause: e });
    }
    const connection = redisOptions(this.url, this.attempts);
    const flow = new FlowProducer({ connection });
    const gatherQueue = new Queue(this.names.gather(this.id), { connection });
    const gather = new Worker(this.names.gather(this.id), (job: Job) => this.gathered(job), { connection, concurrency: 64 });
    // failures surface through the commands that fail and through the watch on each pass, not as events
    flow.on('error', () => undefined);
    gatherQueue.on('error', () => undefined);
    gather.on('error', () => undefined);
    try {
      await Promise.all([flow.waitUntilReady(), gatherQueue.waitUntilReady(), gather.waitUntilReady()]);
    } catch (e) {
      // a server that answers PING but refuses BullMQ's commands (a user its ACL limits, a proxy): nothing of the
      // set-up stays behind, its worker retrying for good
      client.disconnect();
      await bounded(Promise.allSettled([gather.close(true), flow.close(), gatherQueue.close()]));
      await Promise.allSettled([gather.disconnect(), flow.disconnect(), gatherQueue.disconnect()]);
      throw new SegkitError('E_EXECUTOR', `${this.where()} answers, but refused BullMQ's set-up: ${(e as Error).message}`, 'give the Redis user every command on its keys (ACL), or check that the server is a Redis server BullMQ supports', { cause: e });
    }
    this.current = { client, flow, gatherQueue, gather, JobClass: Job };
    return this.current;
  }

  /** A flow's parent: every child finished; hand their results to the waiting pass. */
  private async gathered(job: Job): Promise<null> {
    const p = this.pending.get(job.id ?? '');
    if (!p) return null;
    try {
      const [values, failures] = await Promise.all([job.getChildrenValues(), job.getIgnoredChildrenFailures()]);
      p.resolve({ values, failures });
    } catch (e) {
      p.reject(e);
    }
    return null;
  }

  private check(h: Handle): BullHandle {
    if (!(h instanceof BullHandle) || !this.handles.has(h)) throw new SegkitError('E_CLOSED', 'the data was released, its executor closed, or it belongs to another executor');
    return h;
  }

  private lost(e: unknown): SegkitError {
    if (e instanceof SegkitError) return e;
    return new SegkitError('E_EXECUTOR', `lost ${this.where()}: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
  }

  async load(source: ShardSource, options: LoadOptions = {}): Promise<Handle> {
    throwIfAborted(options.signal);
    const { n, d, dtype, shardRows } = checkSource(source, options);
    const c = await this.answered(this.conn(), options.signal, false);
    const h = new BullHandle(nextHandle++, randomBytes(8).toString('hex'), n, d, dtype, shardRows, !!options.replicate);
    this.handles.add(h);
    try {
      const sums = new Array<string>(h.shards);
      await eachLimited(h.shards, WRITERS, async (s) => {
        throwIfAborted(options.signal);
        this.checkLive(h);
        const r0 = s * shardRows, r1 = Math.min(n, r0 + shardRows);
        const bytes = encodeShard({
          columns: source.columns.map((col) => col.subarray(r0, r1)),
          inputs: Object.fromEntries(Object.entries(source.rows ?? {}).map(([k, a]) => [k, a.subarray(r0, r1)])),
        });
        sums[s] = sha256(bytes);
        await this.store.put(storeKeys.shard(h.fit, s), bytes);
      });
      throwIfAborted(options.signal);
      this.checkLive(h);
      const meta: FitMeta = {
        v: PROTOCOL, segkit: SEGKIT_VERSION, n, d, dtype, shardRows, replicate: h.replicate, sums,
        inputs: Object.entries(source.rows ?? {}).map(([k, a]) => [k, typeOfRows(a)] as const),
      };
      await this.answered(c.client.set(this.keys.fit(h.fit), JSON.stringify(meta), 'EX', HANDLE_TTL).catch((e) => { throw this.lost(e); }), options.signal);
    } catch (e) {
      await this.release(h);
      // a close() meanwhile removed the files written by then: those that landed after it go now
      await this.store.removeAll(`${h.fit}/`).catch(() => undefined);
      throw e;
    }
    return h;
  }

  async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    return h.serial(async () => {
      const bytes = encodeState(op, state);
      let step: Step;
      if (bytes.length <= INLINE_STATE) {
        step = { k: 'map', op: op.name, st: toBase64(bytes) };
      } else {
        this.checkLive(h);
        const ref = storeKeys.state(h.fit, h.pass + 1);
        await this.store.put(ref, seal(bytes));
        // released meanwhile: the state landed after the data's clean-up, and goes now
        if (h.released) await this.store.removeAll(`${h.fit}/`).catch(() => undefined);
        step = { k: 'map', op: op.name, ref };
      }
      const parts = await this.pass(h, step, list, options.signal);
      return parts.map((b) => decodePartial(op, b));
    });
  }

  async readRows(handle: Handle, name: string, options: ReadOptions = {}): Promise<AnyTypedArray> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    const all = mapShards(h);
    const parts = await h.serial(() => this.pass(h, { k: 'read', name }, all, options.signal));
    return readInto(concatInShardOrder(parts.map((b) => decodeValue(b)) as Float32Array[]), options.into, name);
  }

  /** Written values go to the store and the log; each holder applies them before its shard's next job. */
  async writeRows(handle: Handle, name: string, values: AnyTypedArray, options: { signal?: AbortSignal } = {}): Promise<void> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    checkRowValues(name, values, h.n);
    const copy = values.slice();
    await h.serial(async () => {
      const c = await this.answered(this.conn(), options.signal, false);
      this.checkLive(h);
      const pass = h.pass + 1;
      try {
        await eachLimited(h.shards, WRITERS, async (s) => {
          this.checkLive(h);
          const r0 = s * h.shardRows;
          await this.store.put(storeKeys.rows(h.fit, pass, s), seal(encodeValue(copy.subarray(r0, Math.min(h.n, r0 + h.shardRows)))));
        });
        this.checkLive(h);
      } catch (e) {
        // released meanwhile: the files that landed after its clean-up go now
        if (h.released) await this.store.removeAll(`${h.fit}/`).catch(() => undefined);
        throw e;
      }
      await this.answered(this.log(c, h, pass, { k: 'write', name }), options.signal);
      h.pass = pass;
      h.changed.fill(pass);
      h.changedAny = pass;
    });
  }

  /**
   * `p`, unless the signal fires first (E_ABORTED) or, when `bounded`, Redis stays silent for as long as a
   * pass waits for it (E_EXECUTOR): a Redis that stopped answering (paused, a hung host) holds the commands sent to
   * it for good. A first connection has bounds of its own (its attempts, its first PING), but not the signal.
   */
  private answered<T>(p: Promise<T>, signal?: AbortSignal, bounded = true): Promise<T> {
    const silent = Math.max(LIVE_MS, Math.min(this.workerTimeout, PING_TIMEOUT_MS));
    return new Promise<T>((resolve, reject) => {
      const end = (f: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onAbort = () => end(() => reject(abortedError(signal)));
      const timer = bounded ? setTimeout(() => end(() => reject(new SegkitError('E_EXECUTOR', `${this.where()} has not answered for ${silent / 1000} s`, 'check that redis-server is running and answering'))), silent) : undefined;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      p.then((v) => end(() => resolve(v)), (e) => end(() => reject(e)));
    });
  }

  private checkLive(h: BullHandle): void {
    if (h.released) throw new SegkitError('E_CLOSED', 'the data was released (or its executor closed) while an operation was running', 'close() only after every fit and scan has finished');
  }

  private async log(c: Conn, h: BullHandle, pass: number, entry: LogEntry): Promise<void> {
    await c.client.multi()
      .hset(this.keys.log(h.fit), String(pass), JSON.stringify(entry))
      .expire(this.keys.log(h.fit), HANDLE_TTL)
      .expire(this.keys.fit(h.fit), HANDLE_TTL)
      .exec()
      .catch((e) => { throw this.lost(e); });
  }

  private async liveWorkers(c: Conn, fresh = false): Promise<string[]> {
    if (!fresh && performance.now() - this.live.at < LIVE_MS) return this.live.ids;
    const ids = (await c.client.smembers(this.keys.workers)).sort();
    const alive = ids.length ? await c.client.mget(ids.map((w) => this.keys.alive(w))) : [];
    this.live = { at: performance.now(), ids: ids.filter((_, i) => alive[i] !== null) };
    return this.live.ids;
  }

  /** Each shard's queue: its holder's while that worker is alive, else the least-loaded live worker's, else the shared one. */
  private async route(c: Conn, h: BullHandle, list: readonly number[]): Promise<string[]> {
    const live = await this.liveWorkers(c);
    const load = new Map(live.map((w) => [w, 0]));
    for (const w of h.holders) if (load.has(w)) load.set(w, load.get(w)! + 1);
    return list.map((s) => {
      let w = h.holders[s];
      if (!load.has(w)) {
        if (!live.length) return this.names.shared;
        w = live.reduce((a, b) => (load.get(b)! < load.get(a)! ? b : a));
        load.set(w, load.get(w)! + 1);
        h.holders[s] = w;
      }
      return this.names.worker(w);
    });
  }

  /** Runs one pass as a flow and returns each shard's partial bytes in list order. */
  private async pass(h: BullHandle, step: Step, list: readonly number[], signal?: AbortSignal): Promise<Uint8Array[]> {
    const c = await this.answered(this.conn(), signal, false);
    this.checkLive(h);
    throwIfAborted(signal);
    const pass = h.pass + 1;
    const parentId = `${h.fit}.${pass}`;
    // logged while the jobs are added: only a later pass's rebuild reads this entry, and this pass waits for it
    const logged = this.log(c, h, pass, list.length < h.shards ? { ...step, sh: list } : step);
    logged.catch(() => undefined);
    const leased = this.lease(h);
    h.pass = pass;
    const since = list.map((s) => (h.replicate ? h.changedAny : h.changed[s]));
    if (step.k === 'map') {
      for (const s of list) h.changed[s] = pass;
      h.changedAny = pass;
    }
    // a pass that stops early ran on the shards whose jobs had started: the log says so, as after a failure
    const ran = step.k === 'map' ? async (shards: number[]) => { if (!h.released) await this.log(c, h, pass, { ...step, sh: shards }); } : undefined;
    const routes = await this.answered(this.route(c, h, list).catch((e) => { throw this.lost(e); }), signal).catch((e) => {
      // no job was added: the pass ran on no shard
      void logged.then(() => ran?.([])).catch(() => undefined);
      throw e;
    });
    const gathered = new Promise<Gathered>((resolve, reject) => this.pending.set(parentId, { resolve, reject }));
    gathered.catch(() => undefined);
    try {
      const added = c.flow.add({
        name: 'gather',
        queueName: this.names.gather(this.id),
        data: { fit: h.fit, pass },
        opts: { jobId: parentId, removeOnComplete: true, removeOnFail: true },
        children: list.map((s, i) => {
          const data: JobData = { v: PROTOCOL, fit: h.fit, pass, shard: s, since: since[i], step };
          return { name: step.k === 'map' ? step.op : 'read', queueName: routes[i], data, opts: { jobId: `${parentId}.${s}`, ...CHILD } };
        }),
      });
      // the workers given jobs stay in the workers' set (see `enlist`)
      const sent = Promise.all([logged, leased, added.then(() => Promise.all([this.expire(c, parentId), this.enlist(c, routes)]))]).catch((e) => { throw this.lost(e); });
      await this.answered(sent, signal).catch(async (e) => {
        // jobs added once Redis answers again go with their parent, and the log names those that started; an abort
        // waits (bounded) for that, as a wait does, so a pass the caller starts next finds the log rewritten
        const cleaned = added.then(() => this.cancel(c, parentId, ran), () => ran?.([]));
        if (e instanceof SegkitError && e.code === 'E_ABORTED') await bounded(cleaned);
        else void cleaned.catch(() => undefined);
        throw e;
      });
      const got = await this.wait(c, h, parentId, gathered, signal, ran);
      return await this.results(h, pass, list, got, async (ran) => {
        // the log's entry is what a holder replays: a shard whose job failed never applied the pass (as on every
        // other executor), so a later pass must not replay it there, and fail again with this pass's error
        if (step.k === 'map') await this.answered(this.log(c, h, pass, { ...step, sh: ran }));
      });
    } finally {
      this.pending.delete(parentId);
    }
  }

  /**
   * Puts the workers whose queues were given jobs back in the workers' set. The route was chosen from a look-up of the
   * live workers (up to LIVE_MS old); a worker found dead since, whose queue the others then forgot (its keys deleted,
   * itself out of the set), would have these jobs wait for good. In the set again, and without a heartbeat, its queue
   * is served by the live workers at their next beat; they forget it only once no job is left in it.
   */
  private async enlist(c: Conn, routes: readonly string[]): Promise<void> {
    const prefix = this.names.worker('');
    const ids = [...new Set(routes.filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length)))];
    if (ids.length) await c.client.sadd(this.keys.workers, ids);
  }

  /**
   * Data in use has its lease file in the store rewritten at most every LEASE_MS: workers remove a data folder only
   * once nothing in it has been written for STORE_TTL_MS (and Redis has no metadata for it). Never rejects.
   */
  private async lease(h: BullHandle): Promise<void> {
    if (performance.now() - h.leased < LEASE_MS) return;
    h.leased = performance.now();
    await this.store.put(storeKeys.lease(h.fit), new Uint8Array(0)).catch(() => undefined);
    // released meanwhile: the lease landed after the data's clean-up, and goes now
    if (h.released) await this.store.removeAll(`${h.fit}/`).catch(() => undefined);
  }

  /** The expiry of the executor's queue keys and of the pass's parent keys (see `expirePass`) starts again. */
  private async expire(c: Conn, parentId: string): Promise<void> {
    await expirePass(c.client, c.gatherQueue.qualifiedName, parentId);
  }

  /** Waits for the flow's parent, watching the signal, the connection and whether any worker is alive. */
  private wait(c: Conn, h: BullHandle, parentId: string, gathered: Promise<Gathered>, signal?: AbortSignal, ran?: (shards: number[]) => Promise<void>): Promise<Gathered> {
    return new Promise<Gathered>((resolve, reject) => {
      let settled = false, failing = false, busy = false, idleSince = -1, askedAt = 0, renewedAt = performance.now();
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const fail = (e: unknown) => {
        if (settled || failing) return;
        failing = true;
        // the pass's jobs are removed first, but a Redis that stopped answering must not hold the rejection forever
        void bounded(this.cancel(c, parentId, ran)).then(() => finish(() => reject(e)));
      };
      const onAbort = () => fail(abortedError(signal));
      // a Redis that stops answering holds the look-up below for good: past this, the pass fails instead of waiting
      const silent = Math.min(this.workerTimeout, PING_TIMEOUT_MS);
      const timer = setInterval(async () => {
        if (settled || failing) return;
        if (busy) {
          if (performance.now() - askedAt > silent) {
            finish(() => reject(new SegkitError('E_EXECUTOR', `${this.where()} has not answered for ${silent / 1000} s`, 'check that redis-server is running and answering')));
            void this.cancel(c, parentId);
          }
          return;
        }
        busy = true;
        askedAt = performance.now();
        try {
          if (c.client.status === 'end') throw new SegkitError('E_EXECUTOR', `lost ${this.where()} (gave up after ${this.attempts} reconnection attempts)`);
          const live = await this.liveWorkers(c, true);
          // a Redis restarted without persistence, or flushed, lost the flow: no worker will ever finish it
          if (!settled && !(await c.client.exists(c.gatherQueue.toKey(parentId)))) {
            throw new SegkitError('E_EXECUTOR', `the jobs of pass ${h.pass} vanished from ${this.where()} (restarted without persistence, or flushed)`, 'load the data again');
          }
          if (performance.now() - renewedAt > RENEW_MS) {
            renewedAt = performance.now();
            await this.expire(c, parentId);
          }
          if (live.length) idleSince = -1;
          else if (idleSince < 0) idleSince = performance.now();
          else if (performance.now() - idleSince > this.workerTimeout) {
            throw new SegkitError('E_EXECUTOR', `no segkit worker has served queue "${this.queue}" on ${this.where()} for ${Math.round(this.workerTimeout / 1000)} s`, 'start workers: segkit worker --redis URL --store URL');
          }
        } catch (e) {
          fail(this.lost(e));
        } finally {
          busy = false;
        }
      }, LIVE_MS);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      // once the pass is being cancelled, a parent left with no jobs may still be gathered: the cancellation decides
      gathered.then((g) => failing || finish(() => (h.released ? reject(new SegkitError('E_CLOSED', 'the executor was closed while an operation was running')) : resolve(g))), (e) => failing || finish(() => reject(e)));
    });
  }

  /**
   * Removes a pass's jobs that no worker has started, then its parent (jobs running now finish and are dropped);
   * `ran` is first told the shards whose jobs completed or still run: the only ones the pass reaches.
   */
  private async cancel(c: Conn, parentId: string, ran?: (shards: number[]) => Promise<void>): Promise<void> {
    try {
      const parent = await c.JobClass.fromId(c.gatherQueue, parentId);
      if (!parent) return;
      await parent.removeUnprocessedChildren();
      // a running job leaves the parent's dependencies for its processed children in one step: read both at once
      const key = c.gatherQueue.toKey(parentId);
      const got = await c.client.multi().hkeys(`${key}:processed`).smembers(`${key}:dependencies`).exec();
      if (!got || got.some(([err]) => err)) throw new Error('cannot read the jobs of the pass');
      const [done, running] = got.map(([, v]) => v as string[]);
      if (ran) {
        const [fit, pass] = parentId.split('.');
        const shards = new Set<number>();
        for (const child of [...done, ...running]) {
          const id = child.slice(child.lastIndexOf(':') + 1).split('.');
          if (id.length === 3 && id[0] === fit && id[1] === pass) shards.add(Number(id[2]));
        }
        await ran([...shards].sort((a, b) => a - b));
      }
      // jobs still running are cut loose from the parent: one that finished after its removal would write it back
      if (running.length) {
        const m = c.client.multi();
        for (const child of running) m.srem(`${key}:dependencies`, child).hdel(child, 'parentKey', 'parent');
        await m.exec();
      }
      await c.gatherQueue.remove(parentId, { removeChildren: true });
    } catch {
      // the connection is gone: nothing can be removed, and the workers drop the handle's jobs once it is released
    }
  }

  private async results(h: BullHandle, pass: number, list: readonly number[], got: Gathered, onFailure: (ran: number[]) => Promise<void>): Promise<Uint8Array[]> {
    const byShard = (o: Record<string, unknown>) => {
      const m = new Map<number, unknown>();
      for (const [key, v] of Object.entries(o)) {
        const id = key.slice(key.lastIndexOf(':') + 1).split('.');
        if (id.length === 3 && id[0] === h.fit && Number(id[1]) === pass) m.set(Number(id[2]), v);
      }
      return m;
    };
    const failed = byShard(got.failures);
    const first = list.find((s) => failed.has(s));
    if (first !== undefined) {
      await onFailure(list.filter((s) => !failed.has(s)));
      throw errorFromReason(String(failed.get(first)), first);
    }
    const values = byShard(got.values);
    return Promise.all(list.map(async (s) => {
      const v = values.get(s) as JobResult | undefined;
      if (!v || typeof v !== 'object' || typeof v.w !== 'string' || (typeof v.p !== 'string' && typeof v.ref !== 'string')) {
        throw new SegkitError('E_EXECUTOR', `shard ${s} of pass ${pass} came back without a result`);
      }
      h.holders[s] = v.w;
      if (typeof v.p === 'string') return fromBase64(v.p);
      const key = storeKeys.out(h.fit, pass, s);
      if (v.ref !== key) throw new SegkitError('E_EXECUTOR', `shard ${s} of pass ${pass} came back with a foreign store key`);
      const bytes = unseal(await this.store.get(key), `the result of shard ${s}, pass ${pass} (${key} in ${this.store.url})`);
      await this.store.remove(key);
      return bytes;
    }));
  }

  async release(handle: Handle): Promise<void> {
    if (!(handle instanceof BullHandle) || !this.handles.has(handle)) return;
    this.handles.delete(handle);
    handle.released = true;
    const ready = this.ready;
    // bounded too: a connection still being made to a host that does not answer must not hold a release (or close)
    let made: Conn | undefined;
    if (ready) await bounded(ready.then((m) => { made = m; }));
    const c = made as Conn | undefined;
    // the keys go first: a worker whose large result lands after the files are removed then finds them gone, and
    // removes what it wrote
    // sent while the connection is re-established too (they run once it is back: left, they would keep the data in
    // the workers' memory for a day); bounded: a Redis that stopped answering must not hold a fit that failed or was
    // aborted (the keys expire)
    if (c && c.client.status !== 'end') await bounded(c.client.del(this.keys.fit(handle.fit), this.keys.log(handle.fit)).then(() => c.client.publish(this.keys.released, handle.fit)));
    await this.store.removeAll(`${handle.fit}/`).catch(() => undefined);
  }

  async close(): Promise<void> {
    const closed = new SegkitError('E_CLOSED', 'the executor was closed while an operation was running', 'close() only after every fit and scan has finished');
    const running = [...this.pending.keys()];
    for (const p of this.pending.values()) p.reject(closed);
    this.pending.clear();
    await Promise.all([...this.handles].map((h) => this.release(h)));
    const ready = this.ready;
    this.ready = this.current = undefined;
    if (!ready) return;
    const made = ready.then((c) => c, () => undefined);
    if (!(await bounded(made))) {
      // a first connection under way to a host that does not answer waits for its PING (20 s): the close does not,
      // and the connection is closed once it is made
      void made.then((c) => c && this.shut(c, []));
      return;
    }
    const c = await made;
    if (c) await this.shut(c, running);
  }

  private async shut(c: Conn, running: readonly string[]): Promise<void> {
    if (this.current === c) this.current = undefined;
    // the passes cut short: their waiting jobs go, and their running ones no longer report to a parent
    await bounded(Promise.all(running.map((id) => this.cancel(c, id))));
    let done = false;
    await bounded((async () => {
      await Promise.allSettled([c.gather.close(true), c.flow.close()]);
      await c.gatherQueue.obliterate({ force: true }).catch(() => undefined);
      await c.gatherQueue.close().catch(() => undefined);
      await c.client.quit().catch(() => c.client.disconnect());
      done = true;
    })());
    // a Redis that stopped answering held the orderly close: the connections are dropped instead
    if (!done) {
      c.client.disconnect();
      await Promise.allSettled([c.gather.disconnect(), c.flow.disconnect(), c.gatherQueue.disconnect()]);
    }
  }
}

/**
 * An executor over BullMQ on Redis: shard ops run on `segkit worker` processes (any number, on any machines
 * that reach the Redis server and the store), with the same bytes as every other executor.
 * @example
 * const ex = bullmqExecutor({ connection: 'redis://127.0.0.1:6379', store: 'file:///shared/segkit' });
 * const model = await kmeans(data, { k: 8, seed: 1, executor: ex });
 * await ex.close();
 */
export function bullmqExecutor(options: BullmqExecutorOptions): Executor {
  return new BullmqExecutor(options);
}
