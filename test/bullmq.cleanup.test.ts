// A pass cancelled while a worker still runs one of its shards (an abort then a release, or close()) leaves none of
// the data's files in the store: a large result that lands after the caller's clean-up is removed by its worker.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, type Handle, type ShardStore } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer, type WorkerProcess } from './helpers/cluster.js';
// @ts-expect-error plain JavaScript ops over the built package (the workers load the same file with --ops)
import { bigBusyOp } from './helpers/testOps.mjs';

describeRedis('bullmq.cleanup.test')('the store after a cancelled pass', () => {
  const cluster = useRedis({ dir: 'segkit-cleanup-', workers: 1 });
  let redis: RedisServer, dir: string, store: string, workers: WorkerProcess[];
  beforeAll(() => void ({ redis, dir, store, workers } = cluster));

  const fitOf = (h: Handle) => (h as unknown as { fit: string }).fit;
  const files = () => (existsSync(path.join(dir, 'store')) ? readdirSync(path.join(dir, 'store'), { recursive: true }).map(String).sort() : []);

  /** Waits until the worker has finished the data's pass-1 job on shard 0 (it logs every job). */
  async function jobEnded(fit: string): Promise<void> {
    const w = workers[0];
    for (let i = 0; i < 100 && !w.out.split('\n').some((l) => l.includes(`job ${fit}.1.0 `) && / ms/.test(l)); i++) await new Promise((r) => setTimeout(r, 50));
    // the removal that follows a late write
    await new Promise((r) => setTimeout(r, 200));
  }

  for (const how of ['an abort, then release()', 'close()'] as const) {
    it(`${how} while a worker computes a large result: no file of the data stays`, async () => {
      const ex = bullmqExecutor({ connection: redis.url, store });
      try {
        const h = await ex.load({ columns: [new Float32Array(16)] }, { shardRows: 16 });
        const fit = fitOf(h);
        const ac = new AbortController();
        const pass = ex.map(bigBusyOp, h, { ms: 1000 }, { signal: ac.signal }).then(() => 'done', (e: { code?: string }) => e.code);
        // the worker has started the shard, and has a second of it left
        await new Promise((r) => setTimeout(r, 400));
        if (how === 'close()') await ex.close();
        else {
          ac.abort();
          await ex.release(h);
        }
        expect(await pass).toBe(how === 'close()' ? 'E_CLOSED' : 'E_ABORTED');
        await jobEnded(fit);
        expect(files().filter((f) => f.startsWith(fit))).toEqual([]);
      } finally {
        await ex.close();
      }
    }, 20_000);
  }

  it('a release while a map with a large state starts: the state, written after the clean-up, does not stay', async () => {
    // a store whose writes take a while: the release's clean-up ends before the state lands
    const kept = new Map<string, Uint8Array>();
    const slow: ShardStore = {
      url: 'memory:',
      put: async (key, bytes) => {
        await new Promise((r) => setTimeout(r, 50));
        kept.set(key, bytes);
      },
      get: async (key) => kept.get(key),
      remove: async (key) => void kept.delete(key),
      removeAll: async (prefix) => {
        for (const key of [...kept.keys()]) if (key.startsWith(prefix)) kept.delete(key);
      },
    };
    const ex = bullmqExecutor({ connection: redis.url, store: slow });
    try {
      const h = await ex.load({ columns: [new Float32Array(16)] }, { shardRows: 16 });
      expect(kept.size).toBe(1);
      const pass = ex.map(bigBusyOp, h, { ms: 1, big: new Float64Array(20_000) }).then(() => 'done', (e: { code?: string }) => e.code);
      await ex.release(h);
      expect(await pass).toBe('E_CLOSED');
      await new Promise((r) => setTimeout(r, 100));
      expect([...kept.keys()]).toEqual([]);
    } finally {
      await ex.close();
    }
  }, 20_000);
});
