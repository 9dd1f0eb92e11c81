// A Redis server that has stopped answering (paused, as SIGSTOP does, or a hung host) before an operation starts:
// the connection is still open, so what the operation sends first (a load's metadata, a pass's log entry and jobs, a
// write's log entry) waits in it. The operation rejects with E_ABORTED when its signal fires and with E_EXECUTOR once
// Redis has been silent for workerTimeout, as a pass already waiting does; a first connection to a server that never
// answers rejects when the signal fires too. No wait here is bounded by a timer of the test's own, so an operation
// that hangs fails the test by its time-out.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, kmeans, type Executor, type Handle } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package
import { busyOp } from './helpers/testOps.mjs';

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
