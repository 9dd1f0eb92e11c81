// A Redis server that stops answering in the middle of a pass (paused, as SIGSTOP does, or a hung host) does not
// hold an aborted pass or fit (the AbortSignal rejects it with E_ABORTED within a few seconds), nor one without a
// signal (E_EXECUTOR after workerTimeout); with Redis answering and no worker alive, a pass fails after workerTimeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqExecutor, close, kmeans, serveShards, type Executor } from '../src/index.node.js';
import { REDIS_SERVER, hasRedis } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package
import { busyOp } from './helpers/testOps.mjs';

const freePort = () => new Promise<number>((resolve, reject) => {
  const srv = net.createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => {
    const port = (srv.address() as net.AddressInfo).port;
    srv.close(() => resolve(port));
  });
});

if (!hasRedis) console.warn('bullmq.paused.test: skipped, redis-server not found (install Debian\'s redis-server package to run it)');

describe.skipIf(!hasRedis)('a pass while Redis does not answer, or no worker is alive', () => {
  let redis: ChildProcess;
  let url: string;
  let dir: string;
  const made: Executor[] = [];
  let ex: Executor | undefined;

  beforeAll(async () => {
    const port = await freePort();
    // started here, not by the shared helper: the test pauses and resumes this process by its id
    redis = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'segkit-paused-'));
  }, 30_000);

  afterAll(async () => {
    if (redis.exitCode === null) {
      process.kill(redis.pid!, 'SIGCONT');
      for (const e of made) await e.close();
      await new Promise<void>((resolve) => {
        redis.once('exit', () => resolve());
        process.kill(redis.pid!, 'SIGTERM');
      });
    }
    await close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a pass, and a fit on the executor, reject with E_ABORTED soon after the signal fires', async () => {
    ex = bullmqExecutor({ connection: url, store: pathToFileURL(path.join(dir, 'store')).href, connectAttempts: 20 });
    made.push(ex);
    const h = await ex.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    const ac = new AbortController();
    // no worker serves the queue: the pass waits
    const pass = failure(() => ex!.map(busyOp, h, { ms: 1 }, { signal: ac.signal }));
    // a fit releases its data on the way out, which must not wait for Redis either
    const fit = failure(() => kmeans({ columns: [Float32Array.from({ length: 64 }, (_, i) => i % 7)] }, { k: 2, seed: 1, executor: ex, signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(redis.pid!, 'SIGSTOP');
    const t0 = performance.now();
    ac.abort();
    const e = await Promise.race([Promise.all([pass, fit]), new Promise<undefined>((r) => setTimeout(() => r(undefined), 8_000))]);
    expect(e?.map((x) => x.code)).toEqual(['E_ABORTED', 'E_ABORTED']);
    expect(performance.now() - t0).toBeLessThan(6_500);
  }, 20_000);

  it('a pass, and a fit, without a signal fail with E_EXECUTOR once Redis has not answered for workerTimeout', async () => {
    process.kill(redis.pid!, 'SIGCONT');
    const own = bullmqExecutor({ connection: url, store: pathToFileURL(path.join(dir, 'store')).href, connectAttempts: 20, workerTimeout: 1_500 });
    made.push(own);
    const h = await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    const pass = failure(() => own.map(busyOp, h, { ms: 1 }));
    const fit = failure(() => kmeans({ columns: [Float32Array.from({ length: 64 }, (_, i) => i % 7)] }, { k: 2, seed: 1, executor: own }));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(redis.pid!, 'SIGSTOP');
    const t0 = performance.now();
    const e = await Promise.race([Promise.all([pass, fit]), new Promise<undefined>((r) => setTimeout(() => r(undefined), 9_000))]);
    const silent = `E_EXECUTOR: Redis at ${url} has not answered for 1.5 s (check that redis-server is running and answering)`;
    expect(e?.map((x) => `${x.code}: ${x.message}`)).toEqual([silent, silent]);
    expect(performance.now() - t0).toBeLessThan(7_000);
  }, 20_000);

  it('with Redis answering and no worker alive, a pass fails with E_EXECUTOR after workerTimeout', async () => {
    process.kill(redis.pid!, 'SIGCONT');
    const own = bullmqExecutor({ connection: url, store: pathToFileURL(path.join(dir, 'store')).href, connectAttempts: 20, workerTimeout: 1_500 });
    made.push(own);
    const h = await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    const t0 = performance.now();
    const e = await failure(() => own.map(busyOp, h, { ms: 1 }));
    expect([e.code, e.message]).toEqual(['E_EXECUTOR', `no segkit worker has served queue "segkit" on Redis at ${url} for 2 s (start workers: segkit worker --redis URL --store URL)`]);
    expect(performance.now() - t0).toBeLessThan(6_000);
  }, 20_000);

  it('close() with data loaded and Redis not answering returns within a few seconds', async () => {
    process.kill(redis.pid!, 'SIGCONT');
    const own = bullmqExecutor({ connection: url, store: pathToFileURL(path.join(dir, 'store')).href, connectAttempts: 20 });
    made.push(own);
    await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
    process.kill(redis.pid!, 'SIGSTOP');
    const t0 = performance.now();
    const closed = await Promise.race([own.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still closing'), 9_000))]);
    expect(closed).toBe('closed');
    expect(performance.now() - t0).toBeLessThan(6_500);
  }, 20_000);

  it('a worker\'s close() with Redis not answering returns once Redis has been silent for 5 heartbeats, Redis still paused', async () => {
    process.kill(redis.pid!, 'SIGCONT');
    const lines: string[] = [];
    const worker = await serveShards({ connection: url, store: pathToFileURL(path.join(dir, 'store')).href, heartbeat: 200, log: (l) => lines.push(l) });
    process.kill(redis.pid!, 'SIGSTOP');
    // no timer here: close() resolves while Redis stays paused (afterAll resumes it), or the test never ends
    await worker.close();
    expect(lines.slice(-3)).toEqual([
      `worker ${worker.id} stopping: finishing its running jobs`,
      `redis at ${url} has not answered for 1 s: connections dropped`,
      `worker ${worker.id} stopped`,
    ]);
  }, 20_000);
});
