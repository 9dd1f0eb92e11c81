// The BullMQ executor's use of its shard store when a write fails: nothing of the data is left behind; nor when its
// caller dies without releasing it (the workers remove it once it has been left long enough).
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, SegkitError, serveShards, type ShardStore, type ShardWorker } from '../src/index.node.js';
import { columnSumsOp } from '../src/engine/matrix.js';
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

describeRedis('bullmq.store.test')('data a caller left in the store without releasing it', () => {
  const cluster = useRedis({ dir: 'segkit-sweep-' });
  const DAY = 24 * 3600 * 1000;
  const root = () => path.join(cluster.dir, 'store');
  /** Sets the times of a folder and of everything in it to `ms` ago. */
  const age = (folder: string, ms: number) => {
    const when = new Date(Date.now() - ms);
    for (const f of readdirSync(folder)) utimesSync(path.join(folder, f), when, when);
    utimesSync(folder, when, when);
  };
  /** A folder as a load writes one (before its metadata reaches Redis). */
  const folder = (name: string, file = 'shard-000000.arrow') => {
    mkdirSync(path.join(root(), name), { recursive: true });
    writeFileSync(path.join(root(), name, file), 'x');
    return path.join(root(), name);
  };

  it('goes once it is untouched for two days and Redis has no metadata for it; live or recent data stays', async () => {
    const ex = bullmqExecutor({ connection: cluster.url, store: cluster.store });
    const lines: string[] = [];
    let worker: ShardWorker | undefined;
    try {
      const h = await ex.load({ columns: [Float32Array.from({ length: 32 }, (_, i) => i)] }, { shardRows: 16 });
      const live = (h as unknown as { fit: string }).fit;
      // data loaded three days ago and still in use (its metadata in Redis): it stays, whatever its files' times
      age(path.join(root(), live), 3 * DAY);
      // a crashed caller's data: untouched for three days, its metadata expired
      age(folder('0123456789abcdef'), 3 * DAY);
      // only just untouched for a day (its metadata may still live on another queue): it stays
      age(folder('00000000000000aa'), DAY + 60_000);
      // a load under way: recent files, no metadata yet
      folder('00000000000000bb');
      // not data: a folder named otherwise, however old, is none of the workers' business
      age(folder('notes', 'readme.txt'), 30 * DAY);
      worker = await serveShards({ connection: cluster.url, store: cluster.store, heartbeat: 100, logJobs: false, log: (l) => lines.push(l) });
      for (let i = 0; i < 600 && !lines.some((l) => l.startsWith('store:')); i++) await new Promise((r) => setTimeout(r, 50));
      expect(lines.filter((l) => l.startsWith('store:'))).toEqual(['store: removed data left unreleased, untouched for 2 days: 0123456789abcdef']);
      expect(readdirSync(root()).sort()).toEqual(['00000000000000aa', '00000000000000bb', live, 'notes'].sort());
      // the data in use still runs passes, from every one of its shards
      const sums = await ex.map(columnSumsOp, h, null);
      expect(sums.map((s) => Array.from(s))).toEqual([[120], [376]]);
    } finally {
      await ex.close();
      await worker?.close();
    }
  }, 60_000);

  it('data in use has its lease in the store rewritten, at most hourly, so no worker of another Redis takes it for left', async () => {
    const ex = bullmqExecutor({ connection: cluster.url, store: cluster.store });
    const worker = await serveShards({ connection: cluster.url, store: cluster.store, logJobs: false });
    try {
      const h = await ex.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
      const dir = path.join(root(), (h as unknown as { fit: string }).fit);
      age(dir, 3 * DAY);
      // the first pass within the hour after the load writes no lease: the load's files are recent
      await ex.map(columnSumsOp, h, null);
      expect(readdirSync(dir)).not.toContain('lease');
      // an hour later (the time of the last lease set back), the next pass writes it
      (h as unknown as { leased: number }).leased -= 3600_000;
      await ex.map(columnSumsOp, h, null);
      expect(Date.now() - statSync(path.join(dir, 'lease')).mtimeMs).toBeLessThan(DAY);
      await ex.release(h);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await ex.close();
      await worker.close();
    }
  }, 60_000);
});
