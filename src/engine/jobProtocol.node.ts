// What the BullMQ executor and its workers agree on: Redis keys, queue names, store keys, the job payload, the log
// of passes, and the bounded connection retry. Every payload and log entry is checked field by field before use.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { SegkitError, baseMessage, describe } from '../util/errors.js';

/** Payload version: a worker refuses payloads of another version. */
export const PROTOCOL = 1;
/** Encoded states up to this size travel in the job payload (base64 under 11 KB); larger ones go to the store. */
export const INLINE_STATE = 8 * 1024;
/** Encoded partials up to this size come back in the job's return value; larger ones go to the store. */
export const INLINE_RESULT = 48 * 1024;
/** This segkit's version: a worker runs a handle's ops only for a caller of the same version (same ops, same bytes). */
export const SEGKIT_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
/** Seconds a loaded handle's metadata and log live in Redis without a pass (a crashed caller's data is then dropped). */
export const HANDLE_TTL = 24 * 3600;
/**
 * Milliseconds after which a data folder in the store with nothing written to it, and no metadata in Redis, counts
 * as left by a caller gone for good (twice HANDLE_TTL: a caller rewrites its data's lease at most every LEASE_MS).
 */
export const STORE_TTL_MS = 2 * HANDLE_TTL * 1000;
/** A caller using data rewrites its lease file in the store at most this often. */
export const LEASE_MS = 3600_000;

/** Keys of a BullMQ queue that BullMQ gives no expiry (its `stalled-check` and `limiter` keys expire on their own). */
const QUEUE_KEYS = ['meta', 'events', 'id', 'wait', 'waiting-children', 'active', 'paused', 'delayed', 'prioritized', 'completed', 'failed', 'stalled', 'marker', 'pc'];

/** The keys of a BullMQ queue (`bull:<name>`) that BullMQ gives no expiry. */
export const queueKeys = (queueKey: string): string[] => QUEUE_KEYS.map((k) => `${queueKey}:${k}`);

/**
 * Gives the keys of an executor's own queue (`bull:<queue>.g.<id>`) and of one pass's parent in it, which a caller that
 * dies mid-pass would leave in Redis for good, partial results included: they get an expiry of HANDLE_TTL when the
 * pass is added (and again while it runs), and from the worker each time a job of the pass ends (the keys a job's
 * end creates). A caller that dies leaves them for a day at most.
 */
export function expirePass(client: Redis, queueKey: string, parentId: string): Promise<unknown> {
  const parent = `${queueKey}:${parentId}`;
  const m = client.multi();
  for (const key of [...queueKeys(queueKey), parent, `${parent}:dependencies`, `${parent}:processed`, `${parent}:failed`, `${parent}:unsuccessful`]) m.expire(key, HANDLE_TTL);
  return m.exec();
}

/** One pass as a holder applies it: run a registered op, return a per-row buffer, or set one from the store. */
export type Step =
  | { readonly k: 'map'; readonly op: string; readonly st?: string; readonly ref?: string }
  | { readonly k: 'read'; readonly name: string }
  | { readonly k: 'write'; readonly name: string };

/** A pass in the handle's log: its step, and the shards it ran on when not all (`sh`, ascending). */
export type LogEntry = Step & { readonly sh?: readonly number[] };

/** A job's data: which pass of which handle on which shard. Shard rows and large states stay in the store. */
export interface JobData {
  readonly v: number;
  readonly fit: string;
  readonly pass: number;
  readonly shard: number;
  /** The last pass before this one that changed the shard (on a replicated handle, any shard): a holder at or past it skips the log. */
  readonly since: number;
  readonly step: Step;
}

/** A job's return value: the worker that now holds the shard, and the partial inline (base64) or in the store. */
export interface JobResult {
  readonly w: string;
  readonly p?: string;
  readonly ref?: string;
}

/** A loaded handle as recorded in Redis: its shape, and the SHA-256 of each stored shard file. */
export interface FitMeta {
  readonly v: number;
  /** The caller's segkit version. */
  readonly segkit: string;
  readonly n: number;
  readonly d: number;
  readonly dtype: 'f32' | 'f64';
  readonly shardRows: number;
  readonly replicate: boolean;
  readonly sums: readonly string[];
  readonly inputs: readonly (readonly [string, 'f32' | 'f64' | 'i32'])[];
}

/** Redis keys of one queue (BullMQ keeps its own under `bull:`). */
export function redisKeys(queue: string) {
  const base = `segkit:${queue}`;
  return {
    workers: `${base}:workers`,
    alive: (id: string) => `${base}:alive:${id}`,
    fit: (fit: string) => `${base}:fit:${fit}`,
    log: (fit: string) => `${base}:log:${fit}`,
    released: `${base}:released`,
  };
}

/** BullMQ queue names: the shared queue, one per worker (its shards' jobs), one per executor (the flows' parents). */
export const queueNames = (queue: string) => ({
  shared: queue,
  worker: (id: string) => `${queue}.w.${id}`,
  gather: (id: string) => `${queue}.g.${id}`,
});

const pad = (s: number) => String(s).padStart(6, '0');
export const storeKeys = {
  shard: (fit: string, s: number) => `${fit}/shard-${pad(s)}.arrow`,
  state: (fit: string, pass: number) => `${fit}/state-${pass}.bin`,
  rows: (fit: string, pass: number, s: number) => `${fit}/rows-${pass}-${pad(s)}.bin`,
  out: (fit: string, pass: number, s: number) => `${fit}/out-${pass}-${pad(s)}.bin`,
  lease: (fit: string) => `${fit}/lease`,
};

const QUEUE = /^[A-Za-z0-9_-]{1,64}$/;
export function checkQueueName(queue: unknown, option = 'queue'): string {
  if (typeof queue !== 'string' || !QUEUE.test(queue)) throw new SegkitError('E_BAD_OPTION', `option "${option}" must be 1 to 64 letters, digits, "_" or "-", got ${describe(queue)}`);
  return queue;
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const toBase64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
export const fromBase64 = (s: string): Uint8Array => {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

/** Bytes with their SHA-256 in front, so whoever reads them from the store can tell they are whole. */
export function seal(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + bytes.length);
  out.set(createHash('sha256').update(bytes).digest(), 0);
  out.set(bytes, 32);
  return out;
}

/** The bytes of `seal`, checked; `what` names them in the error. */
export function unseal(sealed: Uint8Array | undefined, what: string): Uint8Array {
  if (!sealed) throw new SegkitError('E_EXECUTOR', `${what} is missing from the store`);
  const body = sealed.subarray(32);
  if (sealed.length < 32 || !Buffer.from(createHash('sha256').update(body).digest()).equals(Buffer.from(sealed.buffer, sealed.byteOffset, 32))) {
    throw new SegkitError('E_EXECUTOR', `${what} is corrupt (checksum mismatch)`);
  }
  return body;
}

/** The URL without its password (ioredis also takes one as a `password` parameter), for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.href;
  } catch {
    return '(unparsable URL)';
  }
}

/** Checks a Redis URL: redis:// or rediss:// (TLS), with an optional user, password and database number. */
export function checkRedisUrl(url: unknown, option = 'connection'): string {
  let u: URL | undefined;
  try {
    u = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname) {
    throw new SegkitError('E_BAD_OPTION', `option "${option}" must be a Redis URL like redis://host:6379 or rediss://user:password@host:6380/0, got ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : describe(url)}`);
  }
  // the database, as ioredis reads it (the path, else a `db` parameter): other text would be sent as SELECT NaN
  for (const db of [u.pathname.length > 1 ? u.pathname.slice(1) : null, u.searchParams.get('db')]) {
    if (db !== null && !/^\d{1,9}$/.test(db)) {
      throw new SegkitError('E_BAD_OPTION', `option "${option}" names database ${JSON.stringify(db)} in ${JSON.stringify(redactUrl(url as string))}: it must be a number, as in redis://host:6379/0`);
    }
  }
  return url as string;
}

/**
 * ioredis options for a URL (BullMQ takes the same): commands wait while it reconnects, and it gives up after
 * `attempts` failed connections (about 0.2 + 0.4 + ... + 1 s apart), failing what waits; `forever` keeps trying once
 * it has connected (a long-running worker outlives a Redis restart).
 */
/** How long a first PING may take: a server that accepts connections but never answers would hang every command. */
export const PING_TIMEOUT_MS = 20_000;

/**
 * The client's first PING, or a rejection after `ms` (the connection's own retries give up on refused connections,
 * not on a server that stopped answering, such as one paused with SIGSTOP). A database the URL names that the server
 * lacks is E_EXECUTOR naming `where`.
 */
export async function firstPing(client: Pick<Redis, 'ping' | 'select' | 'options'>, where: string, ms = PING_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to PING within ${ms / 1000} s (the server accepts connections but does not reply)`)), ms);
  });
  // a database the server lacks: ioredis reports its failed SELECT as an event only, and goes on in database 0
  const db = client.options.db ?? 0;
  const selected = async () => {
    await client.ping();
    if (db) {
      await client.select(db).catch((e: Error) => {
        throw new SegkitError('E_EXECUTOR', `${where} refused database ${db}: ${e.message}`, 'name a database the server has (below its "databases" setting, 16 by default), as in redis://host:6379/0', { cause: e });
      });
    }
  };
  try {
    await Promise.race([selected(), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function redisOptions(url: string, attempts: number, forever?: { connected: boolean }) {
  return {
    url,
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times: number) => (forever?.connected ? Math.min(200 * times, 2000) : times >= attempts ? null : Math.min(200 * times, 1000)),
  };
}

const FIT = /^[0-9a-f]{16}$/;
const OP = /^[A-Za-z0-9_$][A-Za-z0-9_.:$-]{0,127}$/;
const NAME = /^[A-Za-z0-9_$][A-Za-z0-9_.$-]{0,127}$/;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

const refuse = (why: string): never => {
  throw new SegkitError('E_EXECUTOR', `refused a job: ${why}`, 'jobs name a registered shard op and carry encoded values only; nothing in them is run');
};

function exactKeys(o: unknown, allowed: readonly string[], what: string): Record<string, unknown> {
  if (!o || typeof o !== 'object' || Array.isArray(o) || Object.getPrototypeOf(o) !== Object.prototype) refuse(`${what} is ${describe(o)}, not a plain object`);
  for (const k of Object.keys(o as object)) if (!allowed.includes(k)) refuse(`${what} has an unknown field "${k}"`);
  return o as Record<string, unknown>;
}

const isCount = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

function checkStep(x: unknown, allowWrite: boolean, what: string): Step {
  const o = exactKeys(x, ['k', 'op', 'st', 'ref', 'name', 'sh'], what);
  if (o.k === 'map') {
    exactKeys(o, ['k', 'op', 'st', 'ref', 'sh'], what);
    if (typeof o.op !== 'string' || !OP.test(o.op)) refuse(`${what} names op ${describe(o.op)}`);
    const inline = o.st !== undefined, stored = o.ref !== undefined;
    if (inline === stored) refuse(`${what} must carry its state inline or by store reference, not ${inline ? 'both' : 'neither'}`);
    if (inline && (typeof o.st !== 'string' || o.st.length > 4 * INLINE_STATE || !B64.test(o.st))) refuse(`${what} has a malformed inline state`);
    if (stored && (typeof o.ref !== 'string' || !/^[0-9a-f]{16}\/state-\d+\.bin$/.test(o.ref))) refuse(`${what} has a malformed state reference`);
    return o as unknown as Step;
  }
  if (o.k === 'read' || (allowWrite && o.k === 'write')) {
    exactKeys(o, ['k', 'name'], what);
    if (typeof o.name !== 'string' || !NAME.test(o.name)) refuse(`${what} names per-row buffer ${describe(o.name)}`);
    return o as unknown as Step;
  }
  return refuse(`${what} has kind ${describe(o.k)}`);
}

/** Checks a job's data field by field; anything else is refused (E_EXECUTOR), never run. */
export function checkJobData(x: unknown): JobData {
  const o = exactKeys(x, ['v', 'fit', 'pass', 'shard', 'since', 'step'], 'the payload');
  if (o.v !== PROTOCOL) refuse(`payload version ${describe(o.v)}, this worker speaks version ${PROTOCOL}`);
  if (typeof o.fit !== 'string' || !FIT.test(o.fit)) refuse(`fit id ${describe(o.fit)}`);
  if (!isCount(o.pass, 1)) refuse(`pass ${describe(o.pass)}`);
  if (!isCount(o.shard, 0)) refuse(`shard ${describe(o.shard)}`);
  if (!isCount(o.since, 0) || (o.since as number) >= (o.pass as number)) refuse(`since ${describe(o.since)}`);
  const step = checkStep(o.step, false, 'the step');
  if ('sh' in (o.step as object)) refuse('the step has a shard list');
  return { v: PROTOCOL, fit: o.fit as string, pass: o.pass as number, shard: o.shard as number, since: o.since as number, step };
}

/** Checks a log entry read back from Redis. */
export function checkLogEntry(x: unknown, pass: number): LogEntry {
  const step = checkStep(x, true, `log entry ${pass}`);
  const sh = (x as { sh?: unknown }).sh;
  if (sh !== undefined && (!Array.isArray(sh) || sh.some((s, i) => !isCount(s, 0) || (i > 0 && s <= sh[i - 1])))) refuse(`log entry ${pass} has a malformed shard list`);
  return sh === undefined ? step : { ...step, sh: sh as number[] };
}

/** Checks handle metadata read back from Redis. */
export function checkFitMeta(x: unknown, fit: string): FitMeta {
  const bad = (why: string): never => { throw new SegkitError('E_EXECUTOR', `the metadata of data ${fit} in Redis is malformed: ${why}`); };
  if (!x || typeof x !== 'object') bad('not an object');
  const m = x as Record<string, unknown>;
  if (m.v !== PROTOCOL) bad(`version ${describe(m.v)}`);
  if (typeof m.segkit !== 'string') bad('segkit version');
  if (m.segkit !== SEGKIT_VERSION) {
    throw new SegkitError('E_EXECUTOR', `data ${fit} was loaded by segkit ${m.segkit}, this worker runs segkit ${SEGKIT_VERSION}`, 'run workers of the caller\'s segkit version: ops of another version may give other bytes');
  }
  if (!isCount(m.n, 1) || !isCount(m.d, 1) || !isCount(m.shardRows, 16)) bad('n, d or shardRows');
  if (m.dtype !== 'f32' && m.dtype !== 'f64') bad('dtype');
  if (typeof m.replicate !== 'boolean') bad('replicate');
  const shards = Math.ceil((m.n as number) / (m.shardRows as number));
  if (!Array.isArray(m.sums) || m.sums.length !== shards || m.sums.some((s) => typeof s !== 'string' || !/^[0-9a-f]{64}$/.test(s))) bad('shard checksums');
  if (!Array.isArray(m.inputs) || m.inputs.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || !NAME.test(p[0]) || !['f32', 'f64', 'i32'].includes(p[1]))) bad('per-row inputs');
  return m as unknown as FitMeta;
}

/** A SegkitError as a failed job's reason: "E_CODE: message", and "\nhint: hint" when it has one. */
export function reasonOf(e: SegkitError): string {
  return `${e.code}: ${baseMessage(e)}${e.hint ? `\nhint: ${e.hint}` : ''}`;
}

/** A failed job's reason (`reasonOf`) back as the SegkitError it was: its code, message and hint apart. */
export function errorFromReason(reason: string, shard: number): SegkitError {
  const m = /^(E_[A-Z_]+): ([\s\S]*?)(?:\nhint: ([\s\S]*))?$/.exec(reason);
  if (m) return new SegkitError(m[1] as SegkitError['code'], m[2], m[3]);
  return new SegkitError('E_EXECUTOR', `shard ${shard} failed on a worker: ${reason}`);
}
