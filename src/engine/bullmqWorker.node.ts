// The holder in another process: serves the BullMQ executor's jobs. It keeps each shard it is given (rows and
// per-row buffers) while the handle lasts, and rebuilds a shard it lacks, or holds at an older pass, from the
// store and the handle's log of passes in Redis: ops are deterministic, so the rebuilt state is bit-identical.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { SegkitError, badOption } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import type { AnyTypedArray } from '../kernels/shard.js';
import { decodeValue, encodeValue } from './codec.js';
import { now } from './heapExecutor.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { ShardHolder, type HeldLayout } from './shardHolder.js';
import {
  INLINE_RESULT, SEGKIT_VERSION, STORE_TTL_MS, reasonOf, checkFitMeta, expirePass, checkJobData, checkLogEntry, checkQueueName, checkRedisUrl, firstPing, fromBase64, queueKeys, queueNames, redactUrl,
  redisKeys, redisOptions, seal, sha256, storeKeys, toBase64, unseal, type FitMeta, type JobData, type JobResult, type LogEntry, type Step,
} from './jobProtocol.node.js';
import { decodeShard, type ShardRows } from './shardFile.js';
import { decodeState, encodePartial, opByName, registeredOps, type ShardOp } from './shardOp.js';
import { openStore, type ShardStore } from './shardStore.node.js';

export interface ShardWorkerOptions {
  /** Redis URL (as the executor's `connection`). */
  connection: string;
  /** The store the executors write to, as this machine reaches it. */
  store: string | ShardStore;
  /** Queue name (default "segkit"). */
  queue?: string;
  /** Jobs of this worker's own queue processed at once (default 1): more overlaps store reads; compute is one thread. */
  concurrency?: number;
  /** Milliseconds a job's lock lasts without renewal (default 30 s, 1,000 to 2^31 - 1): a killed worker's job is retried elsewhere after it. */
  lockDuration?: number;
  /** Milliseconds between heartbeats (default 1 s, 100 to 2^31 - 1); a worker silent for 5 heartbeats counts as gone. */
  heartbeat?: number;
  /** Failed connection attempts before the first connection gives up with E_EXECUTOR (default 5). */
  connectAttempts?: number;
  /** Where the worker's lines go: start, stop, adopted queues, failed jobs (default: nowhere). */
  log?: (line: string) => void;
  /** Also one line per job that succeeds (default true). */
  logJobs?: boolean;
}

const KNOWN = ['connection', 'store', 'queue', 'concurrency', 'lockDuration', 'heartbeat', 'connectAttempts', 'log', 'logJobs'] as const;

/** A running worker. */
export interface ShardWorker {
  readonly id: string;
  /**
   * Stops taking jobs, lets running ones finish, and leaves; its held shards are rebuilt elsewhere when needed. A Redis
   * that has not answered for 5 heartbeats, or connections still closing 5 heartbeats after the last job ended, have
   * the worker's connections dropped instead of holding the close.
   */
  close(): Promise<void>;
}

interface HeldFit {
  /** The handle's number in this worker's holder. */
  readonly id: number;
  readonly layout: HeldLayout;
  readonly meta: FitMeta;
  /** Per shard: the last pass applied to the held copy, -1 when not held. */
  readonly version: Int32Array;
  /** Per shard: the result of the last pass it ran here (a job retried after it finished gets it again). */
  readonly last: Map<number, { pass: number; result: JobResult }>;
  readonly locks: Map<number, Promise<unknown>>;
  /** Jobs of the data under way here, and whether it was dropped: its shards go when the last of them ends. */
  active: number;
  dropped: boolean;
}

/** Per op: the version of the segkit package its module imports by name, undefined when it names none. */
const opVersions = new WeakMap<ShardOp<unknown, unknown>, string | undefined>();

function segkitOf(op: ShardOp<unknown, unknown>): string | undefined {
  if (opVersions.has(op)) return opVersions.get(op);
  let version: string | undefined;
  if (op.module?.startsWith('file:')) {
    try {
      const file = createRequire(op.module).resolve('segkit/package.json');
      const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
      if (typeof v === 'string') version = v;
    } catch {
      // the module reaches no segkit package by name (one bundled into it, say): nothing to compare
    }
  }
  opVersions.set(op, version);
  return version;
}

/**
 * An op whose module imports segkit of another version than this worker's is refused: its code and kernels may
 * give other bytes than the caller's (whose version each handle's metadata carries, and the worker checks).
 */
function checkOpVersion(op: ShardOp<unknown, unknown>): void {
  const v = segkitOf(op);
  if (v !== undefined && v !== SEGKIT_VERSION) {
    throw new SegkitError('E_EXECUTOR', `shard op "${op.name}" comes from ${op.module}, which imports segkit ${v}; this worker runs segkit ${SEGKIT_VERSION}`,
      'install one segkit version for the worker, its op modules and the callers: ops of another version may give other bytes');
  }
}

/**
 * Forgets a dead worker (KEYS: its alive key, the workers' set, then its queue's job lists; ARGV: its id, then the
 * queue's keys to delete), unless it is back or a job is in its queue meanwhile.
 */
const FORGET = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 3, #KEYS do if redis.call('EXISTS', KEYS[i]) == 1 then return 0 end end
redis.call('SREM', KEYS[2], ARGV[1])
for i = 2, #ARGV do redis.call('DEL', ARGV[i]) end
return 1`;

/** The longest delay a Node timer takes (about 24.8 days). */
const TIMER_MAX = 2 ** 31 - 1;

/** Deterministic failures are not retried: BullMQ's UnrecoverableError carrying "E_CODE: message". */
type Unrecoverable = new (message: string) => Error;

class ShardServer implements ShardWorker {
  readonly id: string;
  private readonly url: string;
  private readonly store: ShardStore;
  private readonly queue: string;
  private readonly names: ReturnType<typeof queueNames>;
  private readonly keys: ReturnType<typeof redisKeys>;
  private readonly concurrency: number;
  private readonly lockDuration: number;
  private readonly heartbeat: number;
  private readonly attempts: number;
  private readonly print: (line: string) => void;
  private readonly logJobs: boolean;
  private readonly holder = new ShardHolder();
  private readonly fits = new Map<string, Promise<HeldFit>>();
  private nextId = 1;
  private readonly states = new Map<string, Promise<Uint8Array>>();
  private readonly workers = new Map<string, Worker>();
  private readonly adopted = new Map<string, { since: number; empty: number }>();
  /** `bull:<queue>.g.`: the start of every executor's own queue key. */
  private readonly gatherPrefix: string;
  private client!: Redis;
  private sub!: Redis;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private closing: Promise<void> | undefined;
  private lastSweep = 0;
  private lastStoreSweep = 0;
  private sweeping = false;
  /** Jobs being processed here now. */
  private running = 0;
  private WorkerClass!: typeof Worker;
  private Unrecoverable!: Unrecoverable;
  private readonly forever = { connected: false };

  constructor(o: ShardWorkerOptions) {
    if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with { connection, store }');
    checkOptions(o, KNOWN, 'serveShards');
    this.url = checkRedisUrl(o.connection);
    this.store = openStore(o.store);
    this.queue = checkQueueName(o.queue ?? 'segkit');
    this.names = queueNames(this.queue);
    this.keys = redisKeys(this.queue);
    this.gatherPrefix = `bull:${this.names.gather('')}`;
    const int = (name: string, v: unknown, dflt: number, min: number, max = Infinity) => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || (x as number) < min || (x as number) > max) throw badOption(name, v, max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
      return x as number;
    };
    this.concurrency = int('concurrency', o.concurrency, 1, 1);
    // timer delays: Node runs a longer one after 1 ms (the heartbeat, BullMQ's lock renewal and stalled-job check)
    this.lockDuration = int('lockDuration', o.lockDuration, 30_000, 1000, TIMER_MAX);
    this.heartbeat = int('heartbeat', o.heartbeat, 1000, 100, TIMER_MAX);
    this.attempts = int('connectAttempts', o.connectAttempts, 5, 1);
    if (o.log !== undefined && typeof o.log !== 'function') throw badOption('log', o.log, 'a function');
    this.print = o.log ?? (() => undefined);
    if (o.logJobs !== undefined && typeof o.logJobs !== 'boolean') throw badOption('logJobs', o.logJobs, 'true or false');
    this.logJobs = o.logJobs ?? true;
    this.id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  async start(): Promise<void> {
    // op modules loaded before the start (as `--ops` are) are checked now, not at their first job
    for (const op of registeredOps()) checkOpVersion(op);
    const [{ Worker, UnrecoverableError }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    this.WorkerClass = Worker;
    this.Unrecoverable = UnrecoverableError;
    const options = redisOptions(this.url, this.attempts, this.forever);
    this.client = new Redis(this.url, options);
    let last = '';
    this.client.on('error', (e: Error) => { last = e.message; });
    try {
      await firstPing(this.client, `Redis at ${redactUrl(this.url)}`);
    } catch (e) {
      this.client.disconnect();
      if (e instanceof SegkitError) throw e;
      throw new SegkitError('E_EXECUTOR', `cannot reach Redis at ${redactUrl(this.url)} after ${this.attempts} attempts: ${last || (e as Error).message}`, 'start redis-server, or check the URL, password and TLS (rediss://)', { cause: e });
    }
    this.forever.connected = true;
    this.client.on('error', (e: Error) => this.print(`redis: ${e.message}`));
    this.sub = this.client.duplicate();
    this.sub.on('error', () => undefined);
    this.sub.on('message', (_channel: string, fit: string) => this.drop(fit, 'released'));
    try {
      await this.sub.subscribe(this.keys.released);
      await this.beat();
      this.serve(this.names.worker(this.id), this.concurrency, this.lockDuration);
      this.serve(this.names.shared, 1, this.lockDuration);
      await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
    } catch (e) {
      // a server that answers PING but refuses the commands a worker runs (a user its ACL limits, a proxy): nothing
      // of the set-up stays behind, reconnecting for good. The queues' workers go first (until closed they retry at
      // once, holding the thread), then the heartbeat's key, while the connection is open, so no caller counts this
      // worker alive for the next 5 heartbeats
      let timer: NodeJS.Timeout | undefined;
      const late = () => new Promise((r) => { timer = setTimeout(r, 1000); });
      const workers = [...this.workers.values()];
      this.workers.clear();
      await Promise.race([Promise.allSettled(workers.map((w) => w.close(true))), late()]);
      clearTimeout(timer);
      await Promise.race([this.client.del(this.keys.alive(this.id)).catch(() => undefined), late()]);
      clearTimeout(timer);
      this.client.disconnect();
      this.sub.disconnect();
      await Promise.allSettled(workers.map((w) => w.disconnect()));
      throw new SegkitError('E_EXECUTOR', `Redis at ${redactUrl(this.url)} answers, but refused the worker's set-up: ${(e as Error).message}`,
        'give the Redis user every command on its keys and channels (ACL), or check that the server is a Redis server BullMQ supports', { cause: e });
    }
    this.timer = setInterval(() => void this.tick(), this.heartbeat);
    this.print(`worker ${this.id} serving queue "${this.queue}" on ${redactUrl(this.url)}, store ${this.store.url}, concurrency ${this.concurrency}`);
  }

  private serve(name: string, concurrency: number, stalledInterval: number): Worker {
    const w = new this.WorkerClass(name, (job: Job) => this.process(job), {
      connection: redisOptions(this.url, this.attempts, this.forever),
      concurrency, lockDuration: this.lockDuration, stalledInterval, maxStalledCount: 3, name: this.id,
    });
    w.on('error', (e: Error) => this.print(`queue ${name}: ${e.message}`));
    // the keys a job's end writes in its caller's queue (its partial) expire as the caller's own do
    w.on('completed', (job: Job) => this.expireParent(job));
    w.on('failed', (job: Job | undefined) => job && this.expireParent(job));
    this.workers.set(name, w);
    return w;
  }

  /** Gives the keys of a job's pass in its caller's queue an expiry (see `expirePass`): a caller that died leaves them for a day at most. */
  private expireParent(job: Job): void {
    const { queueKey = '', id = '' } = job.parent ?? {};
    // only a pass's parent in an executor's queue of this queue name: what a job's hash says is never trusted blindly
    if (!queueKey.startsWith(this.gatherPrefix) || !/^[0-9a-f]{12}$/.test(queueKey.slice(this.gatherPrefix.length)) || !/^[0-9a-f]{16}\.\d+$/.test(id)) return;
    expirePass(this.client, queueKey, id).catch(() => undefined);
  }

  /** Heartbeat, adoption of dead workers' queues, and dropping handles whose caller released them or vanished. */
  private async beat(): Promise<void> {
    await this.client.multi().sadd(this.keys.workers, this.id).set(this.keys.alive(this.id), String(Date.now()), 'PX', 5 * this.heartbeat).exec();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.closing) return;
    this.ticking = true;
    try {
      await this.beat();
      await this.adopt();
      if (Date.now() - this.lastSweep > 10_000) {
        this.lastSweep = Date.now();
        for (const fit of this.fits.keys()) if (!(await this.client.exists(this.keys.fit(fit)))) this.drop(fit, 'expired');
      }
      // at the first beat, then hourly; apart from the heartbeat, which a long listing must not hold
      if (Date.now() - this.lastStoreSweep > 3600_000) void this.sweepStore();
    } catch (e) {
      this.print(`heartbeat: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * A worker that stopped beating leaves jobs in its queue, one perhaps locked by it when it died. Every live worker
   * serves such a queue too: BullMQ's stalled-job check moves a job whose lock expired back to wait, and it runs here,
   * rebuilt from the log. The queue is forgotten once it stays empty.
   */
  private async adopt(): Promise<void> {
    const ids = await this.client.smembers(this.keys.workers);
    // a queue another worker forgot (its worker out of the set, its keys deleted) is served here no more: each
    // worker that ever served it would otherwise keep its connections open for good
    for (const w of [...this.adopted.keys()]) {
      if (ids.includes(w)) continue;
      await this.unadopt(w, this.names.worker(w), 'forgotten by another worker');
      // the stalled-job check here may have run after that worker deleted the queue's keys, writing its `meta` again
      await this.forget(w);
    }
    const others = ids.filter((w) => w !== this.id);
    const alive = others.length ? await this.client.mget(others.map((w) => this.keys.alive(w))) : [];
    for (let i = 0; i < others.length; i++) {
      const w = others[i], name = this.names.worker(w);
      const a = this.adopted.get(w);
      if (alive[i] !== null) {
        // it was only slow (a long job kept it from beating): leave its queue to it again
        if (a) await this.unadopt(w, name, 'is back');
        continue;
      }
      if (!a) {
        this.adopted.set(w, { since: Date.now(), empty: 0 });
        this.serve(name, 1, Math.max(500, Math.min(this.lockDuration, 2 * this.heartbeat)));
        this.print(`worker ${w} is gone: serving its queue`);
        continue;
      }
      const q = `bull:${name}`;
      const counts = await this.client.multi().llen(`${q}:wait`).llen(`${q}:active`).zcard(`${q}:delayed`).zcard(`${q}:prioritized`).exec();
      const left = (counts ?? []).reduce((sum, [, v]) => sum + Number(v ?? 0), 0);
      a.empty = left === 0 ? a.empty + 1 : 0;
      if (a.empty >= 5 && Date.now() - a.since > 2 * this.lockDuration) {
        await this.unadopt(w, name, 'left an empty queue: forgotten');
        await this.forget(w);
      }
    }
  }

  /**
   * Removes a gone worker from the workers' set with its queue's keys (BullMQ's events and metadata), or each worker that
   * ever ran would leave them for good; in one step with the check that it is still gone and its queue still empty (a
   * job added since stays).
   */
  private async forget(w: string): Promise<void> {
    const q = `bull:${this.names.worker(w)}`;
    const jobs = ['wait', 'active', 'delayed', 'prioritized', 'paused'].map((k) => `${q}:${k}`);
    await this.client.eval(FORGET, 2 + jobs.length, this.keys.alive(w), this.keys.workers, ...jobs, w, ...queueKeys(q), `${q}:stalled-check`);
  }

  /**
   * Removes the data folders callers left in the store without releasing them (they crashed): only folders named as
   * data, with nothing written in them for STORE_TTL_MS (a caller using its data rewrites a lease in it hourly), no
   * metadata in Redis (it lives a day after the last pass), and not held here.
   */
  private async sweepStore(): Promise<void> {
    const store = this.store;
    if (this.sweeping || typeof store.folders !== 'function') return;
    this.sweeping = true;
    this.lastStoreSweep = Date.now();
    try {
      const removed: string[] = [];
      for (const { prefix, modified } of await store.folders()) {
        const fit = prefix.slice(0, -1);
        if (!/^[0-9a-f]{16}$/.test(fit) || !(Date.now() - modified > STORE_TTL_MS) || this.fits.has(fit) || this.closing) continue;
        if (await this.client.exists(this.keys.fit(fit))) continue;
        await store.removeAll(prefix);
        removed.push(fit);
      }
      if (removed.length) this.print(`store: removed data left unreleased, untouched for ${STORE_TTL_MS / 86_400_000} days: ${removed.join(', ')}`);
    } catch (e) {
      if (!this.closing) this.print(`store: ${(e as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async unadopt(w: string, name: string, why: string): Promise<void> {
    const worker = this.workers.get(name);
    this.workers.delete(name);
    this.adopted.delete(w);
    await worker?.close();
    this.print(`worker ${w} ${why}`);
  }

  private drop(fit: string, why: string): void {
    const held = this.fits.get(fit);
    if (!held) return;
    this.fits.delete(fit);
    void held.then((f) => {
      f.dropped = true;
      if (f.active === 0) return this.holder.release(f.id);
    }, () => undefined);
    for (const k of this.states.keys()) if (k.startsWith(fit)) this.states.delete(k);
    this.print(`data ${fit} ${why}: dropped`);
  }

  /** The registered op of that name, of this worker's segkit version. */
  private op(name: string): ShardOp<unknown, unknown> {
    const op = opByName(name);
    checkOpVersion(op);
    return op;
  }

  /** Deterministic failures fail the job at once; an I/O error may pass, so BullMQ retries it. */
  private fail(e: unknown): never {
    if (e instanceof SegkitError) {
      if (e.code === 'E_IO') throw new Error(reasonOf(e));
      throw new this.Unrecoverable(reasonOf(e));
    }
    throw e;
  }

  private async process(job: Job): Promise<JobResult> {
    this.running++;
    try {
      return await this.processJob(job);
    } finally {
      this.running--;
    }
  }

  private async processJob(job: Job): Promise<JobResult> {
    const t0 = now();
    let what = `job ${job.id}`;
    try {
      const data = checkJobData(job.data);
      if (job.id !== `${data.fit}.${data.pass}.${data.shard}`) throw new SegkitError('E_EXECUTOR', `refused a job: its id ${job.id} does not match its payload`);
      what = `job ${job.id} ${data.step.k === 'map' ? data.step.op : `read ${data.step.name}`}`;
      // only ops registered in this process run: nothing in the payload is code
      const op = data.step.k === 'map' ? this.op(data.step.op) : undefined;
      const fit = await this.fit(data.fit);
      if (data.shard >= fit.version.length) throw new SegkitError('E_EXECUTOR', `refused a job: shard ${data.shard} of data with ${fit.version.length} shards`);
      const lockKey = fit.meta.replicate ? -1 : data.shard;
      fit.active++;
      const { result, note } = await this.exclusive(fit, lockKey, () => {
        if (fit.dropped) throw new SegkitError('E_CLOSED', `data ${data.fit} was released`);
        return this.runJob(data, fit, op);
      }).finally(() => {
        // a shard received after the data was dropped would stay in the holder for good
        if (--fit.active === 0 && fit.dropped) return this.holder.release(fit.id);
      });
      if (this.logJobs) this.print(`${what} shard ${data.shard}: ${(now() - t0).toFixed(1)} ms${note}`);
      return result;
    } catch (e) {
      this.print(`${what}: failed after ${(now() - t0).toFixed(1)} ms: ${(e as Error).message}`);
      return this.fail(e);
    }
  }

  /** Jobs on the same shard (on a replicated handle, the same handle) run one at a time. */
  private async exclusive<T>(fit: HeldFit, key: number, f: () => Promise<T>): Promise<T> {
    const before = fit.locks.get(key) ?? Promise.resolve();
    const mine = before.then(f, f);
    const tail = mine.catch(() => undefined);
    fit.locks.set(key, tail);
    try {
      return await mine;
    } finally {
      if (fit.locks.get(key) === tail) fit.locks.delete(key);
    }
  }

  private fit(fit: string): Promise<HeldFit> {
    let p = this.fits.get(fit);
    if (!p) {
      p = (async () => {
        const text = await this.client.get(this.keys.fit(fit));
        if (text === null) throw new SegkitError('E_EXECUTOR', `data ${fit} is not in Redis (released, or expired)`);
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          raw = undefined;
        }
        const meta = checkFitMeta(raw, fit);
        const layout = { n: meta.n, d: meta.d, dtype: meta.dtype, shardRows: meta.shardRows, replicate: meta.replicate };
        return { id: this.nextId++, layout, meta, version: new Int32Array(meta.sums.length).fill(-1), last: new Map(), locks: new Map(), active: 0, dropped: false };
      })();
      this.fits.set(fit, p);
      p.catch(() => this.fits.get(fit) === p && this.fits.delete(fit));
    }
    return p;
  }

  private async runJob(data: JobData, fit: HeldFit, op: ShardOp<unknown, unknown> | undefined): Promise<{ result: JobResult; note: string }> {
    const { shard: s, pass } = data;
    const done = fit.last.get(s);
    if (fit.version[s] === pass && done?.pass === pass) return { result: done.result, note: ', already done here' };
    const targets = fit.meta.replicate ? Array.from(fit.version.keys()) : [s];
    let note = '';
    // a copy ahead of this pass cannot go back: start again from the stored shard
    if (fit.version[s] >= pass || targets.some((t) => fit.version[t] > pass || fit.version[t] < 0)) {
      await this.loadShards(data.fit, fit, targets);
      note += fit.meta.replicate ? ', loaded every shard' : ', loaded';
    }
    try {
      // no pass since `since` changed these shards: nothing to replay up to this one
      for (const t of targets) if (fit.version[t] >= data.since && fit.version[t] < pass - 1) fit.version[t] = pass - 1;
      const replayed = await this.catchUp(data.fit, fit, targets, pass - 1);
      if (replayed) note += `, replayed ${replayed} pass${replayed > 1 ? 'es' : ''}`;
      const bytes = await this.apply(data.fit, fit, s, pass, data.step, op);
      const result = await this.reply(data.fit, pass, s, bytes!);
      fit.last.set(s, { pass, result });
      return { result, note };
    } catch (e) {
      // a job that fails did not apply its pass (the caller logs it so), yet its op may have run here, or stopped
      // half way: the copy is read from the store again before its next job
      for (const t of targets) fit.version[t] = -1;
      throw e;
    }
  }

  private async loadShards(key: string, fit: HeldFit, targets: readonly number[]): Promise<void> {
    const { meta } = fit;
    const rowsOf = (t: number) => Math.min(meta.n, (t + 1) * meta.shardRows) - t * meta.shardRows;
    const read = async (t: number) => {
      const k = storeKeys.shard(key, t);
      const what = `shard ${t} of data ${key} (${k} in ${this.store.url})`;
      const bytes = await this.store.get(k);
      if (!bytes) throw new SegkitError('E_EXECUTOR', `${what} is missing from the store`);
      if (sha256(bytes) !== meta.sums[t]) throw new SegkitError('E_EXECUTOR', `${what} is corrupt (checksum mismatch)`);
      return decodeShard(bytes, { rows: rowsOf(t), d: meta.d, dtype: meta.dtype, inputs: meta.inputs }, what);
    };
    if (!meta.replicate) {
      const t = targets[0];
      const got = await read(t);
      await this.holder.receiveShard(fit.id, fit.layout, t, got.columns, got.inputs);
      fit.version[t] = 0;
      fit.last.delete(t);
      return;
    }
    const parts: ShardRows[] = [];
    for (let t = 0; t < fit.version.length; t++) parts.push(await read(t));
    const concat = <T extends AnyTypedArray>(arrays: T[]): T => {
      const out = new (arrays[0].constructor as new (n: number) => T)(meta.n);
      let at = 0;
      for (const a of arrays) { out.set(a, at); at += a.length; }
      return out;
    };
    await this.holder.release(fit.id);
    await this.holder.receiveAll(fit.id, fit.layout, Array.from(fit.version.keys()),
      Array.from({ length: meta.d }, (_, j) => concat(parts.map((p) => p.columns[j]))),
      Object.fromEntries(meta.inputs.map(([name]) => [name, concat(parts.map((p) => p.inputs[name]))])));
    fit.version.fill(0);
    fit.last.clear();
  }

  /** Applies the logged passes each target shard has not seen, up to `upTo`, in order; returns how many passes it replayed. */
  private async catchUp(key: string, fit: HeldFit, targets: readonly number[], upTo: number): Promise<number> {
    const from = Math.min(...targets.map((t) => fit.version[t])) + 1;
    if (from > upTo) return 0;
    const passes = Array.from({ length: upTo - from + 1 }, (_, i) => String(from + i));
    const texts = await this.client.hmget(this.keys.log(key), ...passes);
    let replayed = 0;
    for (let i = 0; i < passes.length; i++) {
      const pass = from + i;
      if (texts[i] === null) throw new SegkitError('E_EXECUTOR', `the log of data ${key} lacks pass ${pass}, so its shards cannot be rebuilt`);
      let raw: unknown;
      try {
        raw = JSON.parse(texts[i]!);
      } catch {
        raw = undefined;
      }
      const entry: LogEntry = checkLogEntry(raw, pass);
      let ran = false;
      for (const t of targets) {
        if (fit.version[t] !== pass - 1) continue;
        if (!entry.sh || entry.sh.includes(t)) {
          // looked up only for a shard the pass ran on: a pass that failed everywhere (its op unknown here, or of
          // another version) ran on none, and is no reason to fail the passes after it
          await this.apply(key, fit, t, pass, entry, entry.k === 'map' ? this.op(entry.op) : undefined);
          ran = entry.k !== 'read';
        }
        fit.version[t] = pass;
      }
      if (ran) replayed++;
      // a long replay still lets the job's lock be renewed
      await yieldToEventLoop();
    }
    return replayed;
  }

  /** Applies one pass to one held shard at the pass before it; returns what the pass gives back (a map's partial, a read's rows). */
  private async apply(key: string, fit: HeldFit, s: number, pass: number, step: Step, op: ShardOp<unknown, unknown> | undefined): Promise<Uint8Array | undefined> {
    let out: Uint8Array | undefined;
    if (step.k === 'map') {
      const state = decodeState(op!, await this.stateBytes(key, pass, step));
      await this.holder.run(op!, fit.id, [s], () => state, (_, partial) => { out = encodePartial(op!, partial); }, async () => undefined);
    } else if (step.k === 'read') {
      out = encodeValue(await this.holder.readRows(fit.id, step.name, s));
    } else {
      const k = storeKeys.rows(key, pass, s);
      const values = decodeValue(unseal(await this.store.get(k), `per-row values "${step.name}" of shard ${s} (${k} in ${this.store.url})`));
      const rows = Math.min(fit.meta.n, (s + 1) * fit.meta.shardRows) - s * fit.meta.shardRows;
      if (!(values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array) || values.length !== rows) {
        throw new SegkitError('E_EXECUTOR', `per-row values "${step.name}" of shard ${s} in the store are not ${rows} numbers`);
      }
      await this.holder.writeRows(fit.id, step.name, s, values);
    }
    fit.version[s] = pass;
    return out;
  }

  private stateBytes(key: string, pass: number, step: Step & { k: 'map' }): Promise<Uint8Array> {
    if (step.st !== undefined) return Promise.resolve(fromBase64(step.st));
    const ref = storeKeys.state(key, pass);
    if (step.ref !== ref) throw new SegkitError('E_EXECUTOR', `refused a job: pass ${pass} refers to state ${step.ref}`);
    let p = this.states.get(ref);
    if (!p) {
      p = this.store.get(ref).then((b) => unseal(b, `the state of pass ${pass} (${ref} in ${this.store.url})`));
      this.states.set(ref, p);
      p.catch(() => this.states.delete(ref));
      // the states of the last few passes are enough: every shard of a pass asks at about the same time
      if (this.states.size > 8) this.states.delete(this.states.keys().next().value!);
    }
    return p;
  }

  private async reply(key: string, pass: number, s: number, bytes: Uint8Array): Promise<JobResult> {
    if (bytes.length <= INLINE_RESULT) return { w: this.id, p: toBase64(bytes) };
    const ref = storeKeys.out(key, pass, s);
    await this.store.put(ref, seal(bytes));
    // released while the shard ran: the caller's clean-up (after it dropped the data's keys) may have come before
    // this write, which would then stay in the store for good
    if (!(await this.client.exists(this.keys.fit(key)))) {
      await this.store.removeAll(`${key}/`).catch(() => undefined);
      throw new SegkitError('E_CLOSED', `data ${key} was released while shard ${s} of pass ${pass} ran`);
    }
    return { w: this.id, ref };
  }

  close(): Promise<void> {
    return (this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      this.print(`worker ${this.id} stopping: finishing its running jobs`);
      const orderly = (async () => {
        await Promise.allSettled([...this.workers.values()].map((w) => w.close()));
        await this.client.del(this.keys.alive(this.id)).catch(() => undefined);
        await Promise.allSettled([this.sub.quit(), this.client.quit()]);
      })();
      const watch = this.silence();
      const held = await Promise.race([orderly.then(() => undefined), watch.held]);
      watch.stop();
      if (held) {
        if (held === 'silent') {
          // a Redis that stopped answering would hold the orderly close for good (finished jobs cannot be recorded,
          // and the other workers already count this one as gone): the connections are dropped instead
          this.print(`redis at ${redactUrl(this.url)} has not answered for ${(5 * this.heartbeat) / 1000} s: connections dropped`);
        } else {
          // a queue's connection told to close between two reconnection attempts (Redis back after an outage)
          // never reports its end, and its close waits for it for good: with every job ended, nothing is lost
          this.print(`the queues' connections had not closed ${(5 * this.heartbeat) / 1000} s after the last job ended, Redis answering: connections dropped`);
        }
        this.client.disconnect();
        this.sub.disconnect();
        // a connection dropped between reconnection attempts (Redis down, not paused) never reports its end: the
        // wait for it is bounded
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.workers.values()].map((w) => w.disconnect())),
          new Promise((r) => { timer = setTimeout(r, this.heartbeat); }),
        ]);
        clearTimeout(timer);
      }
      this.holder.clear();
      this.print(`worker ${this.id} stopped`);
    })());
  }

  /**
   * Resolves `held` with 'silent' once a PING has gone unanswered for 5 heartbeats (the silence after which the other
   * workers count this one as gone), or with 'stuck' once no job has run here for 5 heartbeats while Redis answers
   * (the orderly close has nothing left to wait for). Counted in heartbeat ticks as well as time: after a job held
   * the thread, a reply already in the socket is read before the next tick.
   */
  private silence(): { held: Promise<'silent' | 'stuck'>; stop: () => void } {
    let timer: NodeJS.Timeout | undefined;
    const held = new Promise<'silent' | 'stuck'>((resolve) => {
      let asked = -1, ticks = 0, idleTicks = 0, idleSince = -1;
      timer = setInterval(() => {
        if (this.running > 0) {
          idleTicks = 0;
          idleSince = -1;
        } else {
          if (idleSince < 0) idleSince = performance.now();
          if (++idleTicks > 5 && asked < 0 && performance.now() - idleSince >= 5 * this.heartbeat) return resolve('stuck');
        }
        if (asked < 0) {
          asked = performance.now();
          ticks = 0;
          const answered = () => { asked = -1; };
          this.client.ping().then(answered, answered);
        } else if (++ticks >= 5 && performance.now() - asked >= 5 * this.heartbeat) {
          resolve('silent');
        }
      }, this.heartbeat);
    });
    return { held, stop: () => clearInterval(timer) };
  }
}

/**
 * Serves shard ops from the BullMQ executor's queues until `close()`: the process behind `segkit worker`.
 * Load the modules that define your own ops before calling it; only registered ops run.
 */
export async function serveShards(options: ShardWorkerOptions): Promise<ShardWorker> {
  const server = new ShardServer(options);
  await server.start();
  return server;
}
