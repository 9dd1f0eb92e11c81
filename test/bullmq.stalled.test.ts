// A job whose lock lapses while it runs (its worker's thread held past the lock, as by back-to-back busy jobs) is
// queued again by BullMQ's stalled-job check and runs twice; its first completion is refused. The pass still takes
// each shard's partial once, and the holder applies the pass to its copy once.
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer, type WorkerProcess } from './helpers/cluster.js';
// @ts-expect-error plain JavaScript ops over the built package (the worker loads the same file with --ops)
import { slowBumpOp } from './helpers/faultOps.mjs';

const FAULT_OPS = fileURLToPath(new URL('./helpers/faultOps.mjs', import.meta.url));

describeRedis('bullmq.stalled.test')('a job whose lock lapses while it runs', () => {
  const cluster = useRedis({ dir: 'segkit-stalled-', workers: 1, workerArgs: ['--ops', FAULT_OPS, '--lock-ms', '3000'], client: true });
  let redis: RedisServer, store: string, worker: WorkerProcess, client: Redis;
  beforeAll(() => void ({ redis, store, worker, client } = cluster));

  it('runs again; its shard is merged once and its pass applied once', async () => {
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [new Float32Array(3 * 16)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      const pass = ex.map(slowBumpOp, h, { ms: 2000 });
      const queue = `bull:segkit.w.${worker.id}`;
      let id: string | undefined;
      while (!(id = (await client.lrange(`${queue}:active`, 0, -1)).find((j) => j.startsWith(`${fit}.1.`)))) await new Promise((r) => setTimeout(r, 20));
      // the lock lapses while the job runs: what a thread held past --lock-ms comes to
      expect(await client.del(`${queue}:${id}:lock`)).toBe(1);
      expect(await pass).toEqual([0, 0, 0]);
      // it ran twice (its first completion refused), the second time from the result kept on the holder
      const lines = worker.jobs().filter((l) => l.includes(` job ${id} `));
      expect(lines, worker.out).toHaveLength(2);
      expect(lines[1]).toMatch(/, already done here$/);
      expect(worker.out).toContain(`Missing lock for job ${id}.`);
      // every shard's copy has the pass once
      expect(Array.from(await ex.readRows(h, 'hits'))).toEqual(new Array(48).fill(1));
      expect(await ex.map(slowBumpOp, h, { ms: 0 })).toEqual([1, 1, 1]);
      expect(Array.from(await ex.readRows(h, 'hits'))).toEqual(new Array(48).fill(2));
    } finally {
      await ex.close();
    }
  }, 60_000);
});
