// A caller that dies in the middle of a pass leaves its own queue's keys in Redis, with the partials its workers sent
// back: none of them stays for good (they expire after a day, as the data's metadata and log do). Nor do the keys of
// a worker's queue once the worker is gone and the others have forgotten it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, serveShards, type ShardWorker } from '../src/index.node.js';
import { columnSumsOp } from '../src/engine/matrix.js';
import { describeRedis, useRedis, type RedisServer, type WorkerProcess } from './helpers/cluster.js';
// @ts-expect-error plain JavaScript ops over the built package (the workers load the same file with --ops)
import { busyOp } from './helpers/testOps.mjs';

const DIST = pathToFileURL(fileURLToPath(new URL('../dist/index.node.js', import.meta.url))).href;
const TEST_OPS = pathToFileURL(fileURLToPath(new URL('./helpers/testOps.mjs', import.meta.url))).href;
const DAY = 24 * 3600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis('bullmq.expiry.test')('the keys of a caller that dies mid-pass', () => {
  const cluster = useRedis({ dir: 'segkit-expiry-', workers: 1, client: true });
  let redis: RedisServer, dir: string, store: string, worker: WorkerProcess, client: Redis;
  beforeAll(() => void ({ redis, dir, store, worker, client } = cluster));

  /** Each key matching `pattern` with its seconds to live (-1: none). */
  async function ttls(pattern: string): Promise<Record<string, number>> {
    const keys = (await client.keys(pattern)).sort();
    return Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await client.ttl(k)] as const)));
  }

  it('expire within a day, partials included', async () => {
    const script = path.join(dir, 'caller.mjs');
    writeFileSync(script, `
      import { bullmqExecutor } from ${JSON.stringify(DIST)};
      import { busyOp } from ${JSON.stringify(TEST_OPS)};
      const ex = bullmqExecutor({ connection: ${JSON.stringify(redis.url)}, store: ${JSON.stringify(store)} });
      const h = await ex.load({ columns: [new Float32Array(3 * 16)] }, { shardRows: 16 });
      console.log(JSON.stringify(await ex.map(busyOp, h, { ms: 1 })));
      console.log('pass ' + h.fit + ' ' + ex.id);
      await ex.map(busyOp, h, { ms: 1000 });
    `);
    const caller = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    caller.stdout!.on('data', (d) => { out += d.toString(); });
    const exited = new Promise((resolve) => caller.once('exit', resolve));
    let m: RegExpExecArray | null = null;
    while (!(m = /pass ([0-9a-f]{16}) ([0-9a-f]{12})/.exec(out))) {
      if (caller.exitCode !== null) throw new Error(`the caller exited: ${out}`);
      await sleep(20);
    }
    expect(out.split('\n')[0]).toBe('[0,1,2]');
    const [, fit, id] = m;
    const parent = `bull:segkit.g.${id}:${fit}.2`;
    // the caller dies once a job of its pass has sent back its partial and the next one runs
    while (!(await client.exists(`${parent}:processed`))) await sleep(20);
    process.kill(caller.pid!, 'SIGKILL');
    await exited;
    // the worker ends the pass's other jobs; their partials reach the parent, which waits for a caller that is gone
    while (!(await client.lrange(`bull:segkit.g.${id}:wait`, 0, -1)).includes(`${fit}.2`)) await sleep(50);
    // the worker gives the keys an expiry once BullMQ has recorded the job's end (a moment after the parent moved)
    for (let i = 0; i < 200 && (await client.ttl(`bull:segkit.g.${id}:wait`)) < 0; i++) await sleep(50);
    expect(Object.keys(await client.hgetall(`${parent}:processed`))).toHaveLength(3);
    const left = { ...(await ttls(`bull:segkit.g.${id}:*`)), ...(await ttls(`segkit:*${fit}*`)) };
    expect(Object.keys(left)).toEqual(expect.arrayContaining([parent, `${parent}:processed`, `bull:segkit.g.${id}:events`, `bull:segkit.g.${id}:wait`]));
    const lasting = Object.entries(left).filter(([key, ttl]) => !key.endsWith(':stalled-check') && !(ttl > DAY - 120 && ttl <= DAY));
    expect(lasting, JSON.stringify(left, null, 1)).toEqual([]);
  }, 60_000);

  it('an executor whose own keys expired while it was idle runs its next passes as before', async () => {
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [new Float32Array(2 * 16)] }, { shardRows: 16 });
      expect(await ex.map(busyOp, h, { ms: 1 })).toEqual([0, 1]);
      const own = `bull:segkit.g.${(ex as unknown as { id: string }).id}:`;
      const keys = Object.keys(await ttls(`${own}*`));
      expect(keys).toContain(`${own}meta`);
      // what their expiry comes to
      await client.del(...keys);
      expect(await ex.map(busyOp, h, { ms: 1 })).toEqual([0, 1]);
      expect(await ex.map(busyOp, h, { ms: 1 })).toEqual([0, 1]);
      // the worker gives the keys a job's end writes (the marker among them) their expiry once BullMQ has recorded that
      // end, a moment after the caller has the partials (as above): up to 10 s for it
      const unexpired = async () => Object.entries(await ttls(`${own}*`)).filter(([key, ttl]) => !key.endsWith(':stalled-check') && !(ttl > 0));
      for (let i = 0; i < 200 && (await unexpired()).length > 0; i++) await sleep(50);
      for (const [key, ttl] of Object.entries(await ttls(`${own}*`))) if (!key.endsWith(':stalled-check')) expect([key, ttl > 0]).toEqual([key, true]);
    } finally {
      await ex.close();
    }
  }, 60_000);
});

describeRedis('bullmq.expiry.test')('the keys of a worker gone for good', () => {
  const cluster = useRedis({ dir: 'segkit-expiry-' });
  let redis: RedisServer, dir: string;
  beforeAll(() => void ({ redis, dir } = cluster));

  it('go once the other workers forget its queue', async () => {
    const store = pathToFileURL(path.join(dir, 'store')).href;
    const client = new Redis(redis.url);
    const lines: string[] = [];
    const quick = { connection: redis.url, store, heartbeat: 100, lockDuration: 1000, logJobs: false };
    const a = await serveShards(quick);
    const b = await serveShards({ ...quick, log: (l) => lines.push(l) });
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [new Float32Array(8 * 16)] }, { shardRows: 16 });
      expect(await ex.map(busyOp, h, { ms: 1 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      await ex.release(h);
      const q = `bull:segkit.w.${a.id}`;
      expect(await client.exists(`${q}:events`, `${q}:meta`)).toBe(2);
      await a.close();
      while (!lines.includes(`worker ${a.id} left an empty queue: forgotten`)) await sleep(50);
      expect(await client.keys(`${q}:*`)).toEqual([]);
      expect(await client.smembers('segkit:segkit:workers')).toEqual([b.id]);
    } finally {
      await ex.close();
      await b.close();
      client.disconnect();
    }
  }, 60_000);
});

describeRedis('bullmq.expiry.test')('a worker gone for good, served by two others', () => {
  const cluster = useRedis({ dir: 'segkit-expiry-' });

  it('is served by neither once one of them has forgotten it', async () => {
    const quick = { connection: cluster.url, store: cluster.store, heartbeat: 100, logJobs: false };
    const linesB: string[] = [], linesC: string[] = [];
    const a = await serveShards({ ...quick, lockDuration: 1000 });
    const b = await serveShards({ ...quick, lockDuration: 1000, log: (l) => linesB.push(l) });
    // c would forget a's queue only a minute after it began to serve it
    const c = await serveShards({ ...quick, lockDuration: 30_000, log: (l) => linesC.push(l) });
    /** The queues a worker serves (its BullMQ workers, by queue name). */
    const served = (w: ShardWorker) => [...(w as unknown as { workers: Map<string, unknown> }).workers.keys()].sort();
    try {
      await a.close();
      while (!linesB.includes(`worker ${a.id} left an empty queue: forgotten`)) await sleep(50);
      for (let i = 0; i < 400 && !linesC.includes(`worker ${a.id} forgotten by another worker`); i++) await sleep(50);
      expect(linesC.filter((l) => l.startsWith(`worker ${a.id}`))).toEqual([`worker ${a.id} is gone: serving its queue`, `worker ${a.id} forgotten by another worker`]);
      expect(served(b)).toEqual(['segkit', `segkit.w.${b.id}`].sort());
      expect(served(c)).toEqual(['segkit', `segkit.w.${c.id}`].sort());
    } finally {
      await b.close();
      await c.close();
    }
  }, 60_000);
});

describeRedis('bullmq.expiry.test')('a worker gone for good, forgotten by one worker while another still serves its queue', () => {
  const cluster = useRedis({ dir: 'segkit-expiry-', client: true });

  it('leaves no key of its queue: the metadata the other\'s stalled-job check writes again goes too', async () => {
    const quick = { connection: cluster.url, store: cluster.store, heartbeat: 100, logJobs: false };
    const linesB: string[] = [], linesC: string[] = [];
    const a = await serveShards({ ...quick, lockDuration: 1000 });
    const b = await serveShards({ ...quick, lockDuration: 1000, log: (l) => linesB.push(l) });
    const c = await serveShards({ ...quick, lockDuration: 30_000, log: (l) => linesC.push(l) });
    const q = `bull:segkit.w.${a.id}`;
    /** While held, c beats but does not look at the other workers' queues. */
    const hold = (on: boolean) => {
      const own = c as unknown as { adopt?: () => Promise<void> };
      if (on) own.adopt = async () => undefined;
      else delete own.adopt;
    };
    try {
      await a.close();
      while (!linesC.includes(`worker ${a.id} is gone: serving its queue`)) await sleep(50);
      hold(true);
      while (!linesB.includes(`worker ${a.id} left an empty queue: forgotten`)) await sleep(50);
      // c still serves the queue b forgot: its stalled-job check (every 500 ms here) writes the queue's metadata again
      for (let i = 0; i < 100 && !(await cluster.client.exists(`${q}:meta`)); i++) await sleep(50);
      expect(await cluster.client.exists(`${q}:meta`)).toBe(1);
      hold(false);
      for (let i = 0; i < 400 && !linesC.includes(`worker ${a.id} forgotten by another worker`); i++) await sleep(50);
      expect(linesC).toContain(`worker ${a.id} forgotten by another worker`);
      expect(await cluster.client.keys(`${q}:*`)).toEqual([]);
      expect((await cluster.client.smembers('segkit:segkit:workers')).sort()).toEqual([b.id, c.id].sort());
    } finally {
      hold(false);
      await b.close();
      await c.close();
    }
  }, 60_000);
});

describeRedis('bullmq.expiry.test')('a pass routed to a worker the others have just forgotten', () => {
  const cluster = useRedis({ dir: 'segkit-forgotten-' });

  it('runs on the live workers, which serve that queue again and then forget it again', async () => {
    const client = new Redis(cluster.url);
    const lines: string[] = [];
    const quick = { connection: cluster.url, store: cluster.store, heartbeat: 100, lockDuration: 1000, logJobs: false };
    const a = await serveShards(quick);
    const b = await serveShards({ ...quick, log: (l) => lines.push(l) });
    const ex = bullmqExecutor({ connection: cluster.url, store: cluster.store });
    const forgotten = `worker ${a.id} left an empty queue: forgotten`;
    try {
      const h = await ex.load({ columns: [Float32Array.from({ length: 8 * 16 }, (_, i) => i)] }, { shardRows: 16 });
      // shard s holds 16s .. 16s + 15
      const want = Array.from({ length: 8 }, (_, s) => [256 * s + 120]);
      const sums = async (signal?: AbortSignal) => (await ex.map(columnSumsOp, h, null, { signal })).map((p) => Array.from(p));
      expect(await sums()).toEqual(want);
      const holders = (h as unknown as { holders: string[] }).holders;
      expect(holders.filter((w) => w === a.id).length).toBeGreaterThan(0);
      await a.close();
      while (!lines.includes(forgotten)) await sleep(50);
      expect(await client.sismember('segkit:segkit:workers', a.id)).toBe(0);
      // the caller's last look-up of the live workers came just before: it still counts a as alive, and routes a's
      // shards to a's queue, which no worker serves any more
      (ex as unknown as { live: { at: number; ids: string[] } }).live = { at: Infinity, ids: [a.id, b.id].sort() };
      // (a bound on the wait: without it, a pass that no worker serves would hold the test for good)
      expect(await sums(AbortSignal.timeout(30_000))).toEqual(want);
      expect(holders).toEqual(new Array(8).fill(b.id));
      // once a's queue is empty again, b forgets it again, and its keys go
      while (lines.filter((l) => l === forgotten).length < 2) await sleep(50);
      expect(await client.keys(`bull:segkit.w.${a.id}:*`)).toEqual([]);
      expect(await client.smembers('segkit:segkit:workers')).toEqual([b.id]);
    } finally {
      await ex.close();
      await b.close();
      await a.close();
      client.disconnect();
    }
  }, 60_000);
});
