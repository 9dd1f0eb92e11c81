// A Redis server that has stopped answering (paused, as SIGSTOP does, or a hung host) before an operation starts:
// the connection is still open, so what the operation sends first (a load's metadata, a pass's log entry and jobs, a
// write's log entry) waits in it. The operation rejects with E_ABORTED when its signal fires and with E_EXECUTOR once
// Redis has been silent for workerTimeout, as a pass already waiting does; a first connection to a server that never
// answers rejects when the signal fires too. No wait here is bounded by a timer of the test's own, so an operation
// that hangs fails the test by its time-out.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, kmeans, serveShards, type Executor, type Handle } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package
import { busyOp, markRowsOp } from './helpers/testOps.mjs';

describeRedis('bullmq.pausedBefore.test')('an operation started while Redis does not answer', () => {
  const cluster = useRedis({ dir: 'segkit-paused-before-' });
  let redis: RedisServer;
  let ex: Executor;
  let h: Handle;
  const data = { columns: [Float32Array.from({ length: 64 }, (_, i) => i % 7)] };

  beforeAll(async () => {
    redis = cluster.redis;
    ex = bullmqExecutor({ connection: cluster.url, store: cluster.store, workerTimeout: 1_500 });
    // connected, and data loaded, while Redis answers
    h = await ex.load(data, { shardRows: 16 });
    redis.pause();
  });

  afterAll(async () => {
    redis.resume();
    await ex.close();
  }, 30_000);

  const silent = () => `E_EXECUTOR: Redis at ${cluster.url} has not answered for 1.5 s`;
  const aborted = () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    return ac.signal;
  };

  it('a pass rejects with E_ABORTED when its signal fires, and with E_EXECUTOR without one', async () => {
    expect((await failure(() => ex.map(busyOp, h, { ms: 1 }, { signal: aborted() }))).code).toBe('E_ABORTED');
    const e = await failure(() => ex.map(busyOp, h, { ms: 1 }));
    expect(`${e.code}: ${e.message}`.startsWith(silent())).toBe(true);
  }, 20_000);

  it('a write of per-row values, and a fit (its load), do the same', async () => {
    expect((await failure(() => ex.writeRows(h, 'w', new Float32Array(64), { signal: aborted() }))).code).toBe('E_ABORTED');
    expect((await failure(() => kmeans(data, { k: 2, seed: 1, executor: ex, signal: aborted() }))).code).toBe('E_ABORTED');
    const e = await failure(() => kmeans(data, { k: 2, seed: 1, executor: ex }));
    expect(`${e.code}: ${e.message}`.startsWith(silent())).toBe(true);
  }, 20_000);

  it('a first connection to a server that never answers gives way to the signal, and close() does not wait for its PING (20 s)', async () => {
    // a TCP listener that takes the connection and says nothing, as a hung host does
    const sockets: Socket[] = [];
    const silentServer = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    const own = bullmqExecutor({ connection: `redis://127.0.0.1:${(silentServer.address() as AddressInfo).port}`, store: cluster.store });
    try {
      expect((await failure(() => kmeans(data, { k: 2, seed: 1, executor: own, signal: aborted() }))).code).toBe('E_ABORTED');
    } finally {
      await own.close();
      for (const socket of sockets) socket.destroy();
      silentServer.close();
    }
  }, 20_000);
});

describeRedis('bullmq.pausedBefore.test')('a pass aborted before its jobs were added, Redis silent', () => {
  const cluster = useRedis({ dir: 'segkit-paused-before-log-', client: true });

  it('ran on no shard: later passes, on a worker rebuilding the shards from the log, do not apply it', async () => {
    const { redis, url, store, client } = cluster;
    const ex = bullmqExecutor({ connection: url, store });
    let worker = await serveShards({ connection: url, store, logJobs: false });
    try {
      const h = await ex.load({ columns: [new Float32Array(4 * 16)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      await ex.map(markRowsOp, h, { v: 1 });
      // no worker holds the shards now, and the caller's look-up of the live workers is out of date
      await worker.close();
      (ex as unknown as { live: { at: number } }).live.at = -Infinity;
      redis.pause();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      try {
        expect((await failure(() => ex.map(markRowsOp, h, { v: 2 }, { signal: ac.signal }))).code).toBe('E_ABORTED');
      } finally {
        redis.resume();
      }
      // what the aborted pass sent lands once Redis answers: its log entry, then the entry naming the shards it ran on
      for (let i = 0; i < 100 && !String(await client.hget(`segkit:segkit:log:${fit}`, '2')).includes('"sh"'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(JSON.parse(String(await client.hget(`segkit:segkit:log:${fit}`, '2')))).toEqual({ k: 'map', op: 'test.markRows', st: expect.any(String), sh: [] });
      worker = await serveShards({ connection: url, store, logJobs: false });
      // as on every other executor: the marks of pass 1, then those of the pass run again
      expect(Array.from(await ex.readRows(h, 'mark'))).toEqual(new Array(64).fill(1));
      await ex.map(markRowsOp, h, { v: 3 });
      expect(Array.from(await ex.readRows(h, 'mark'))).toEqual(new Array(64).fill(3));
    } finally {
      redis.resume();
      await ex.close();
      await worker.close();
    }
  }, 30_000);
});
