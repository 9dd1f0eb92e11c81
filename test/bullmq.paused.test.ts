// A Redis server that stops answering in the middle of a pass (paused, as SIGSTOP does, or a hung host) does not
// hold an aborted pass or fit (the AbortSignal rejects it with E_ABORTED within a few seconds), nor one without a
// signal (E_EXECUTOR after workerTimeout); with Redis answering and no worker alive, a pass fails after workerTimeout.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, kmeans, serveShards, type Executor } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package
import { busyOp } from './helpers/testOps.mjs';

describeRedis('bullmq.paused.test')('a pass while Redis does not answer, or no worker is alive', () => {
  // the tests pause the server (SIGSTOP, as a hung host) and resume it
  const cluster = useRedis({ dir: 'segkit-paused-' });
  let redis: RedisServer;
  let url: string;
  let store: string;
  const made: Executor[] = [];
  let ex: Executor | undefined;

  beforeAll(() => void ({ redis, url, store } = cluster));

  afterAll(async () => {
    redis.resume();
    for (const e of made) await e.close();
  }, 30_000);

  it('a pass, and a fit on the executor, reject with E_ABORTED soon after the signal fires', async () => {
    ex = bullmqExecutor({ connection: url, store, connectAttempts: 20 });
    made.push(ex);
    const h = await ex.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    const ac = new AbortController();
    // no worker serves the queue: the pass waits
    const pass = failure(() => ex!.map(busyOp, h, { ms: 1 }, { signal: ac.signal }));
    // a fit releases its data on the way out, which must not wait for Redis either
    const fit = failure(() => kmeans({ columns: [Float32Array.from({ length: 64 }, (_, i) => i % 7)] }, { k: 2, seed: 1, executor: ex, signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 500));
    redis.pause();
    const t0 = performance.now();
    ac.abort();
    const e = await Promise.race([Promise.all([pass, fit]), new Promise<undefined>((r) => setTimeout(() => r(undefined), 8_000))]);
    expect(e?.map((x) => x.code)).toEqual(['E_ABORTED', 'E_ABORTED']);
    expect(performance.now() - t0).toBeLessThan(6_500);
  }, 20_000);

  it('a pass, and a fit, without a signal fail with E_EXECUTOR once Redis has not answered for workerTimeout', async () => {
    redis.resume();
    const own = bullmqExecutor({ connection: url, store, connectAttempts: 20, workerTimeout: 1_500 });
    made.push(own);
    const h = await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    const pass = failure(() => own.map(busyOp, h, { ms: 1 }));
    const fit = failure(() => kmeans({ columns: [Float32Array.from({ length: 64 }, (_, i) => i % 7)] }, { k: 2, seed: 1, executor: own }));
    await new Promise((r) => setTimeout(r, 500));
    redis.pause();
    const t0 = performance.now();
    const e = await Promise.race([Promise.all([pass, fit]), new Promise<undefined>((r) => setTimeout(() => r(undefined), 9_000))]);
    const silent = `E_EXECUTOR: Redis at ${url} has not answered for 1.5 s (check that redis-server is running and answering)`;
    expect(e?.map((x) => `${x.code}: ${x.message}`)).toEqual([silent, silent]);
    expect(performance.now() - t0).toBeLessThan(7_000);
  }, 20_000);

  it('with Redis answering and no worker alive, a pass fails with E_EXECUTOR after workerTimeout', async () => {
    redis.resume();
    const own = bullmqExecutor({ connection: url, store, connectAttempts: 20, workerTimeout: 1_500 });
    made.push(own);
    const h = await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    const t0 = performance.now();
    const e = await failure(() => own.map(busyOp, h, { ms: 1 }));
    expect([e.code, e.message]).toEqual(['E_EXECUTOR', `no segkit worker has served queue "segkit" on Redis at ${url} for 2 s (start workers: segkit worker --redis URL --store URL)`]);
    expect(performance.now() - t0).toBeLessThan(6_000);
  }, 20_000);

  it('close() with data loaded and Redis not answering returns within a few seconds', async () => {
    redis.resume();
    const own = bullmqExecutor({ connection: url, store, connectAttempts: 20 });
    made.push(own);
    await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    redis.pause();
    const t0 = performance.now();
    const closed = await Promise.race([own.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still closing'), 9_000))]);
    expect(closed).toBe('closed');
    expect(performance.now() - t0).toBeLessThan(6_500);
  }, 20_000);

  it('a worker\'s close() with Redis not answering returns once Redis has been silent for 5 heartbeats, Redis still paused', async () => {
    redis.resume();
    const lines: string[] = [];
    const worker = await serveShards({ connection: url, store, heartbeat: 200, log: (l) => lines.push(l) });
    redis.pause();
    // no timer here: close() resolves while Redis stays paused (afterAll resumes it), or the test never ends
    await worker.close();
    expect(lines.slice(-3)).toEqual([
      `worker ${worker.id} stopping: finishing its running jobs`,
      `redis at ${url} has not answered for 1 s: connections dropped`,
      `worker ${worker.id} stopped`,
    ]);
  }, 20_000);
});
