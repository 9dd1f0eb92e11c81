// A Redis server that loses a pass's jobs while the pass waits (restarted without persistence, or flushed): the pass
// rejects with E_EXECUTOR instead of waiting for good on workers that stay alive, and the executor works again on
// data loaded afterwards; so it does after an outage longer than its connection attempts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqExecutor, close, type Executor } from '../src/index.node.js';
import { REDIS_SERVER, hasRedis, startWorkers, type WorkerProcess } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (the workers load the same file with --ops)
import { busyOp } from './helpers/testOps.mjs';

const freePort = () => new Promise<number>((resolve, reject) => {
  const srv = net.createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => {
    const port = (srv.address() as net.AddressInfo).port;
    srv.close(() => resolve(port));
  });
});

const answers = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => resolve(false));
  s.on('connect', () => s.write('PING\r\n'));
  s.on('data', (d) => { s.end(); resolve(d.toString().startsWith('+PONG')); });
});

if (!hasRedis) console.warn('bullmq.restart.test: skipped, redis-server not found (install Debian\'s redis-server package to run it)');

describe.skipIf(!hasRedis)('a pass whose jobs Redis lost', () => {
  let port: number;
  let url: string;
  let redis: ChildProcess;
  let dir: string, store: string;
  let workers: WorkerProcess[] = [];
  let ex: Executor;
  let client: Redis;

  /** redis-server in memory only, on the same port each time (started here: the test restarts it by its id). */
  async function startServer(): Promise<void> {
    redis = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    while (!(await answers(port))) await new Promise((r) => setTimeout(r, 50));
  }
  function stopServer(): Promise<void> {
    if (redis.exitCode !== null || redis.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      redis.once('exit', () => resolve());
      process.kill(redis.pid!, 'SIGTERM');
    });
  }

  beforeAll(async () => {
    port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    await startServer();
    dir = mkdtempSync(path.join(tmpdir(), 'segkit-restart-'));
    store = pathToFileURL(path.join(dir, 'store')).href;
    workers = await startWorkers(url, store, 1);
    ex = bullmqExecutor({ connection: url, store, connectAttempts: 20 });
    client = new Redis(url);
    client.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    await ex?.close();
    client?.disconnect();
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await stopServer();
    await close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Waits until a job of the data runs on the worker. */
  async function running(fit: string): Promise<void> {
    for (;;) {
      const keys = await client.keys('bull:segkit*:active');
      const ids = (await Promise.all(keys.map((k) => client.lrange(k, 0, -1)))).flat();
      if (ids.some((id) => id.startsWith(fit))) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** A pass after the loss, on data loaded again: every shard's partial, in shard order. */
  async function passWorks(): Promise<void> {
    const h = await ex.load({ columns: [new Float32Array(64)] }, { shardRows: 16 });
    try {
      expect(await ex.map(busyOp, h, { ms: 1 })).toEqual([0, 1, 2, 3]);
    } finally {
      await ex.release(h);
    }
  }

  for (const how of ['FLUSHALL', 'a restart'] as const) {
    it(`${how} while a pass waits: the pass rejects with E_EXECUTOR (the workers stay alive); the next data works`, async () => {
      const h = await ex.load({ columns: [new Float32Array(64)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      const pass = failure(() => ex.map(busyOp, h, { ms: 1500 }));
      await running(fit);
      if (how === 'FLUSHALL') await client.flushall();
      else {
        await stopServer();
        await startServer();
      }
      const e = await pass;
      expect([e.code, e.message]).toEqual(['E_EXECUTOR', `the jobs of pass 1 vanished from Redis at ${url} (restarted without persistence, or flushed) (load the data again)`]);
      expect(e.hint).toBe('load the data again');
      await ex.release(h);
      await passWorks();
    }, 60_000);
  }

  it('an outage past the connection attempts fails what runs with E_EXECUTOR; once Redis is back the executor works again', async () => {
    const own = bullmqExecutor({ connection: url, store, connectAttempts: 2 });
    try {
      const h = await own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
      expect(await own.map(busyOp, h, { ms: 1 })).toEqual([0, 1]);
      await stopServer();
      // the load's write of its metadata waits while the client reconnects, and fails once it gives up
      const e = await failure(() => own.load({ columns: [new Float32Array(32)] }, { shardRows: 16 }));
      expect(e.code).toBe('E_EXECUTOR');
      await startServer();
      const again = await own.load({ columns: [new Float32Array(48)] }, { shardRows: 16 });
      expect(await own.map(busyOp, again, { ms: 1 })).toEqual([0, 1, 2]);
    } finally {
      await own.close();
    }
  }, 60_000);
});
