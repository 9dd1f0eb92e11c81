// The BullMQ executor's use of its shard store when a write fails: nothing of the data is left behind.
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, SegkitError, type ShardStore } from '../src/index.node.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';

/** A store in memory whose write of one key fails (a full disk, say); every write takes a few milliseconds. */
function flakyStore(failing: RegExp): ShardStore & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  const later = () => new Promise((r) => setTimeout(r, 5));
  return {
    url: 'memory:',
    files,
    async put(key, bytes) {
      await later();
      if (failing.test(key)) throw new SegkitError('E_IO', `cannot write ${key}: no space left on device`);
      files.set(key, bytes.slice());
    },
    async get(key) {
      return files.get(key);
    },
    async remove(key) {
      files.delete(key);
    },
    async removeAll(prefix) {
      for (const k of [...files.keys()]) if (k.startsWith(prefix)) files.delete(k);
    },
  };
}

describeRedis('bullmq.store.test')('bullmqExecutor and its shard store', () => {
  const cluster = useRedis();
  let redis: RedisServer;
  beforeAll(() => void ({ redis } = cluster));

  it('a load whose write of one shard fails rejects with that error and leaves no file of the data in the store', async () => {
    const store = flakyStore(/shard-000002/);
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const n = 40 * 16;
      const e = await failure(() => ex.load({ columns: [Float32Array.from({ length: n }, (_, i) => i)] }, { shardRows: 16 }));
      expect(e.code).toBe('E_IO');
      expect(e.message).toMatch(/shard-000002/);
      // writes still under way when the load gave up would land after its clean-up
      await new Promise((r) => setTimeout(r, 300));
      expect([...store.files.keys()]).toEqual([]);
    } finally {
      await ex.close();
    }
  });

  it('a write of per-row values whose write of one shard fails leaves no file of it behind once the data is released', async () => {
    const store = flakyStore(/rows-1-000002/);
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const n = 40 * 16;
      const h = await ex.load({ columns: [Float32Array.from({ length: n }, (_, i) => i)] }, { shardRows: 16 });
      expect(store.files.size).toBe(40);
      const e = await failure(() => ex.writeRows(h, 'labels', new Int32Array(n)));
      expect(e.code).toBe('E_IO');
      await ex.release(h);
      await new Promise((r) => setTimeout(r, 300));
      expect([...store.files.keys()]).toEqual([]);
    } finally {
      await ex.close();
    }
  });
});
