// A worker told to drop data (its caller released it) while one of the data's jobs is still loading a shard keeps
// none of that shard once the job ends: the holder frees what the job received after the drop.
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, serveShards, type ShardStore, type ShardWorker } from '../src/index.node.js';
import { columnSumsOp } from '../src/engine/matrix.js';
import { describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';

/** A store in memory whose reads of shard files return only once `open()` is called; `reading` settles at the first one. */
function gatedStore() {
  const files = new Map<string, Uint8Array>();
  let open!: () => void, reached!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  const reading = new Promise<void>((r) => { reached = r; });
  const store: ShardStore = {
    url: 'memory:',
    async put(key, bytes) { files.set(key, bytes.slice()); },
    async get(key) {
      // read at once, handed over later: a read under way when the file is removed still completes
      const bytes = files.get(key);
      if (/shard-/.test(key)) {
        reached();
        await gate;
      }
      return bytes;
    },
    async remove(key) { files.delete(key); },
    async removeAll(prefix) { for (const k of [...files.keys()]) if (k.startsWith(prefix)) files.delete(k); },
  };
  return { store, open, reading, files };
}

/** The number of handles a worker's shard holder keeps (the holder is internal: read through its field). */
const heldHandles = (w: ShardWorker) => (w as unknown as { holder: { handles: Map<number, unknown> } }).holder.handles.size;

describeRedis('bullmq.drop.test')('a worker dropping data while a job of it loads a shard', () => {
  const cluster = useRedis();
  let redis: RedisServer;
  beforeAll(() => void ({ redis } = cluster));

  it('keeps none of the shard after the job ends, and still serves other data exactly', async () => {
    const { store, open, reading } = gatedStore();
    const lines: string[] = [];
    const worker = await serveShards({ connection: redis.url, store, log: (l) => lines.push(l) });
    const ex = bullmqExecutor({ connection: redis.url, store });
    try {
      const h = await ex.load({ columns: [Float32Array.from({ length: 16 }, (_, i) => i)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      const pass = ex.map(columnSumsOp, h, null).then(() => 'done', (e: { code?: string }) => e.code);
      await reading;
      await ex.release(h);
      while (!lines.some((l) => l.includes(`data ${fit} released: dropped`))) await new Promise((r) => setTimeout(r, 20));
      open();
      expect(await pass).toBe('E_CLOSED');
      // the job's line comes once it has ended, whether it succeeded or failed
      while (!lines.some((l) => l.includes(`job ${fit}.1.0 `))) await new Promise((r) => setTimeout(r, 20));
      expect(heldHandles(worker)).toBe(0);
      // other data, loaded afterwards, gives its exact sums
      const h2 = await ex.load({ columns: [Float32Array.from({ length: 32 }, (_, i) => i)] }, { shardRows: 16 });
      const sums = await ex.map(columnSumsOp, h2, null);
      expect(sums.map((s) => Array.from(s))).toEqual([[120], [376]]);
      await ex.release(h2);
      while (heldHandles(worker) !== 0) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await ex.close();
      await worker.close();
    }
  }, 30_000);
});
