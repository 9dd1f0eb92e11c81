// A job that fails on a worker after its op ran there (its large result could not be written to the store) leaves
// the worker's copy of the shard as the log of passes says: without that pass, as a rebuild elsewhere would be.
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, defineOp, serveShards, SegkitError, type ShardStore } from '../src/index.node.js';
import { rowValues } from '../src/kernels/shard.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';

/** Sets per-row buffer `mark` to v on every row; returns its first value before, in a partial too large to travel inline. */
const setMarkOp = defineOp<{ v: number }, Float64Array>({
  name: 'test.setMarkLarge',
  rows: () => ({ mark: { type: 'f64' } }),
  run(shard, state) {
    const mark = rowValues(shard, 'mark', 'f64');
    const before = mark[0];
    mark.fill(state.v);
    return new Float64Array(10_000).fill(before);
  },
}, import.meta.url);

/** A store in memory whose writes of the keys `failing` matches fail (a full disk, say). */
function failingStore(failing: RegExp): ShardStore {
  const files = new Map<string, Uint8Array>();
  return {
    url: 'memory:',
    async put(key, bytes) {
      if (failing.test(key)) throw new SegkitError('E_IO', `cannot write ${key}: no space left on device`);
      files.set(key, bytes.slice());
    },
    async get(key) { return files.get(key); },
    async remove(key) { files.delete(key); },
    async removeAll(prefix) { for (const k of [...files.keys()]) if (k.startsWith(prefix)) files.delete(k); },
  };
}

describeRedis('bullmq.failedJob.test')('a job that fails after its op ran on the worker', () => {
  const cluster = useRedis();
  let redis: RedisServer;
  beforeAll(() => void ({ redis } = cluster));

  it('is not applied to the worker\'s copy: the next passes see the rows as they were before it', async () => {
    // the results of pass 2 cannot be written
    const store = failingStore(/\/out-2-/);
    const worker = await serveShards({ connection: redis.url, store, logJobs: false });
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
      expect((await ex.map(setMarkOp, h, { v: 1 })).map((p) => p[0])).toEqual([0, 0]);
      const e = await failure(() => ex.map(setMarkOp, h, { v: 2 }));
      expect(e.code).toBe('E_IO');
      // pass 2 ran on no shard, as the log says and a rebuild elsewhere would give
      expect(Array.from(await ex.readRows(h, 'mark'))).toEqual(new Array(32).fill(1));
      expect((await ex.map(setMarkOp, h, { v: 3 })).map((p) => p[0])).toEqual([1, 1]);
      expect(Array.from(await ex.readRows(h, 'mark'))).toEqual(new Array(32).fill(3));
    } finally {
      await ex.close();
      await worker.close();
    }
  }, 30_000);
});
