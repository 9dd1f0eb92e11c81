// A Redis server that loses a pass's jobs while the pass waits (restarted without persistence, or flushed): the pass
// rejects with E_EXECUTOR instead of waiting for good on workers that stay alive, and the executor works again on
// data loaded afterwards; so it does after an outage longer than its connection attempts.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, type Executor } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (the workers load the same file with --ops)
import { busyOp } from './helpers/testOps.mjs';

describeRedis('bullmq.restart.test')('a pass whose jobs Redis lost', () => {
  // the tests restart the server, empty, on the same port
  const cluster = useRedis({ dir: 'segkit-restart-', workers: 1, client: true });
  let url: string;
  let redis: RedisServer;
  let store: string;
  let ex: Executor;
  let client: Redis;
  const stopServer = () => redis.stop();
  const startServer = () => redis.start();

  beforeAll(() => {
    ({ redis, url, store, client } = cluster);
    ex = bullmqExecutor({ connection: url, store, connectAttempts: 20 });
    client.on('error', () => undefined);
  });

  afterAll(async () => {
    await ex?.close();
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
