// A pass aborted while its jobs wait in the queues reaches only the shards whose jobs had started, as on every other
// executor: the jobs removed are not applied later by the holders catching up with the log of passes.
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer, type WorkerProcess } from './helpers/cluster.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (the worker loads the same file with --ops)
import { slowMarkOp } from './helpers/faultOps.mjs';

const FAULT_OPS = fileURLToPath(new URL('./helpers/faultOps.mjs', import.meta.url));

describeRedis('bullmq.abort.test')('a pass aborted while its jobs wait', () => {
  // one worker running one job at a time: while one shard's job runs, the others wait in its queue
  const cluster = useRedis({ dir: 'segkit-abort-', workers: 1, workerArgs: ['--ops', FAULT_OPS], client: true });
  let redis: RedisServer, store: string, worker: WorkerProcess, client: Redis;
  beforeAll(() => void ({ redis, store, worker, client } = cluster));

  it('leaves the shards whose jobs were removed as they were: later passes do not apply it there', async () => {
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [new Float32Array(4 * 16)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      await ex.map(slowMarkOp, h, { ms: 0, v: 1 });
      const ac = new AbortController();
      const aborted = failure(() => ex.map(slowMarkOp, h, { ms: 1500, v: 2 }, { signal: ac.signal }));
      // the signal fires once a job of pass 2 runs
      for (;;) {
        const active = await client.lrange(`bull:segkit.w.${worker.id}:active`, 0, -1);
        if (active.some((id) => id.startsWith(`${fit}.2.`))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      ac.abort();
      expect((await aborted).code).toBe('E_ABORTED');
      // the next pass waits for the running job's shard (one job at a time per shard), then reads every shard
      const marks = Array.from(await ex.readRows(h, 'mark'));
      const ran = [0, 1, 2, 3].filter((s) => worker.jobs().some((l) => l.includes(`job ${fit}.2.${s} `)));
      expect(ran.length).toBeGreaterThan(0);
      expect(ran.length).toBeLessThan(4);
      expect(marks).toEqual([0, 1, 2, 3].flatMap((s) => new Array(16).fill(ran.includes(s) ? 2 : 1)));
      // the pass run again reaches every shard once
      await ex.map(slowMarkOp, h, { ms: 0, v: 3 });
      expect(Array.from(await ex.readRows(h, 'mark'))).toEqual(new Array(64).fill(3));
      // released, the data leaves no key of its own in Redis
      await ex.release(h);
      expect((await client.keys(`*${fit}*`)).sort()).toEqual([]);
    } finally {
      await ex.close();
    }
  }, 60_000);

  it('released while the aborted pass is being cancelled, the data leaves no metadata or log in Redis', async () => {
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [new Float32Array(4 * 16)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      const ac = new AbortController();
      const aborted = failure(() => ex.map(slowMarkOp, h, { ms: 300, v: 2 }, { signal: ac.signal }));
      for (;;) {
        const active = await client.lrange(`bull:segkit.w.${worker.id}:active`, 0, -1);
        if (active.some((id) => id.startsWith(`${fit}.1.`))) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      ac.abort();
      await ex.release(h);
      expect((await aborted).code).toBe('E_ABORTED');
      // its metadata and log of passes (the running job and its parent go once that job ends)
      expect(await client.keys(`segkit:*${fit}*`)).toEqual([]);
    } finally {
      await ex.close();
    }
  }, 60_000);

  for (const how of ['an abort, then close()', 'close()'] as const) {
    it(`${how} while a job of the pass runs: once it has ended, no key of the pass stays in Redis`, async () => {
      const ex = bullmqExecutor({ connection: redis.url, store });
      const h = await ex.load({ columns: [new Float32Array(4 * 16)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      const ac = new AbortController();
      const pass = failure(() => ex.map(slowMarkOp, h, { ms: 500, v: 2 }, { signal: ac.signal }));
      const active = () => client.lrange(`bull:segkit.w.${worker.id}:active`, 0, -1);
      while (!(await active()).some((id) => id.startsWith(`${fit}.1.`))) await new Promise((r) => setTimeout(r, 20));
      if (how === 'close()') await ex.close();
      else {
        ac.abort();
        expect((await pass).code).toBe('E_ABORTED');
        await ex.close();
      }
      if (how === 'close()') expect((await pass).code).toBe('E_CLOSED');
      // the running job ends (it leaves the active list once BullMQ has recorded it)
      while ((await active()).length) await new Promise((r) => setTimeout(r, 20));
      expect((await client.keys(`*${fit}*`)).sort()).toEqual([]);
    }, 60_000);
  }
});
