// A pass aborted while one of its jobs fails and is retried (an I/O error BullMQ retries twice): the caller gets one
// E_ABORTED, nothing is left unhandled, and the job ends (its retries cut loose from the pass, or removed) instead of
// staying in the queues.
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bullmqExecutor } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer, type WorkerProcess } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (the worker loads the same file with --ops)
import { slowIoFailOp } from './helpers/faultOps.mjs';

const FAULT_OPS = fileURLToPath(new URL('./helpers/faultOps.mjs', import.meta.url));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis('bullmq.abortRetry.test')('a pass aborted while a job of it fails and is retried', () => {
  const cluster = useRedis({ dir: 'segkit-abort-retry-', workers: 1, workerArgs: ['--ops', FAULT_OPS], client: true });
  let redis: RedisServer, store: string, worker: WorkerProcess, client: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);

  beforeAll(() => {
    ({ redis, store, worker, client } = cluster);
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  for (const when of ['while its first attempt runs', 'while it waits to be retried', 'while its retry runs'] as const) {
    it(when, async () => {
      const ex = bullmqExecutor({ connection: redis.url, store });
      const queueName = `segkit.w.${worker.id}`;
      const queue = new Queue(queueName, { connection: { url: redis.url } });
      try {
        const h = await ex.load({ columns: [new Float32Array(2 * 16)] }, { shardRows: 16 });
        const fit = (h as unknown as { fit: string }).fit;
        // the first pass places both shards on the worker: the next pass's jobs go to its own queue
        expect(await ex.map(slowIoFailOp, h, { ms: 0, bad: -1 })).toEqual([0, 1]);
        const job = `${fit}.2.0`, key = `bull:${queueName}:${job}`;
        const ac = new AbortController();
        const pass = failure(() => ex.map(slowIoFailOp, h, { ms: 600, bad: 0 }, { signal: ac.signal }));
        const attempts = async () => Number((await client.hget(key, 'atm')) ?? 0);
        const active = async () => (await client.lrange(`bull:${queueName}:active`, 0, -1)).includes(job);
        if (when === 'while its first attempt runs') {
          while (!(await active())) await sleep(10);
        } else if (when === 'while it waits to be retried') {
          // the queue paused while the first attempt runs: the failed job waits for its retry, and no attempt starts
          while (!(await active())) await sleep(10);
          await queue.pause();
          while (!(await attempts())) await sleep(10);
          expect(await active()).toBe(false);
        } else {
          while (!((await attempts()) >= 1 && (await active()))) await sleep(10);
        }
        ac.abort();
        const e = await pass;
        expect([e.code, e.message]).toEqual(['E_ABORTED', 'the operation was cancelled']);
        if (when === 'while it waits to be retried') {
          // the job waiting for its retry was removed with the pass: it never runs again
          expect(await client.exists(key)).toBe(0);
          await queue.resume();
        }
        // a job running when the signal came goes on with its retries, cut loose from the pass, and ends
        while ((await client.keys(`bull:segkit*:${fit}.2.*`)).length) await sleep(50);
        const tries = worker.out.split('\n').filter((l) => l.includes(`job ${job} test.slowIoFail: failed after`));
        expect(tries.length).toBeGreaterThan(0);
        expect(tries.length).toBeLessThanOrEqual(3);
        if (when === 'while it waits to be retried') expect(tries).toHaveLength(1);
        // the data still serves passes on the shard whose job completed
        expect(await ex.map(slowIoFailOp, h, { ms: 0, bad: -1 }, { shards: [1] })).toEqual([1]);
        await ex.release(h);
        expect((await client.keys(`*${fit}*`)).sort()).toEqual([]);
        expect(unhandled).toEqual([]);
      } finally {
        await queue.close();
        await ex.close();
      }
    }, 60_000);
  }
});
