// The database a Redis URL names: text where its number goes is refused as an option (ioredis would send SELECT NaN,
// and an unhandled reply error ended the process), a number the server lacks is E_EXECUTOR at the first connection
// (ioredis went on in database 0, sharing it with whatever else uses it), and a database the server has holds every
// key of the executor and the workers.
import { expect, it } from 'vitest';
import { bullmqExecutor, fromColumns, kmeans, serveShards } from '../src/index.node.js';
import { describeRedis, useRedis } from './helpers/cluster.js';
import { failure } from './helpers.js';
import { baseMessage } from '../src/util/errors.js';

describeRedis('bullmq.database.test')('the database of a Redis URL', () => {
  const cluster = useRedis({ dir: 'segkit-database-', client: true });
  const ds = fromColumns({ columns: [Float32Array.from({ length: 200 }, (_, i) => i % 13), Float32Array.from({ length: 200 }, (_, i) => (i * 7) % 5)] });

  it('a database that is not a number: E_BAD_OPTION naming it, from the executor and the worker', async () => {
    for (const db of ['/abc', '?db=x', '/1/2']) {
      const url = `${cluster.url}${db}`;
      const a = await failure(async () => bullmqExecutor({ connection: url, store: cluster.store }));
      expect([a.code, a.message]).toEqual(['E_BAD_OPTION', `option "connection" names database ${JSON.stringify(db === '?db=x' ? 'x' : db.slice(1))} in "${url}": it must be a number, as in redis://host:6379/0`]);
      const b = await failure(() => serveShards({ connection: url, store: cluster.store }));
      expect([b.code, b.message]).toEqual([a.code, a.message]);
    }
  });

  it('a database the server lacks: E_EXECUTOR naming it, and nothing written to database 0', async () => {
    const url = `${cluster.url}/99`;
    const ex = bullmqExecutor({ connection: url, store: cluster.store, workerTimeout: 2000 });
    try {
      const e = await failure(() => kmeans(ds, { k: 2, seed: 1, executor: ex }));
      expect([e.code, baseMessage(e)]).toEqual(['E_EXECUTOR', `Redis at ${url} refused database 99: ERR DB index is out of range`]);
      expect(e.hint).toMatch(/below its "databases" setting/);
    } finally {
      await ex.close();
    }
    const w = await failure(() => serveShards({ connection: url, store: cluster.store }));
    expect([w.code, baseMessage(w)]).toEqual(['E_EXECUTOR', `Redis at ${url} refused database 99: ERR DB index is out of range`]);
    expect(await cluster.client.dbsize()).toBe(0);
  }, 20_000);

  it('a database the server has holds the keys of the executor and the worker, and the fit runs there', async () => {
    const url = `${cluster.url}/3`;
    const worker = await serveShards({ connection: url, store: cluster.store });
    const ex = bullmqExecutor({ connection: url, store: cluster.store });
    try {
      const m = await kmeans(ds, { k: 2, seed: 1, executor: ex });
      const inline = await kmeans(ds, { k: 2, seed: 1, threads: 1 });
      expect(Array.from(m.labels)).toEqual(Array.from(inline.labels));
      expect(await cluster.client.dbsize()).toBe(0);
      const db3 = cluster.client.duplicate({ db: 3 });
      try {
        expect(await db3.sismember('segkit:segkit:workers', worker.id)).toBe(1);
      } finally {
        db3.disconnect();
      }
    } finally {
      await ex.close();
      await worker.close();
    }
  }, 30_000);
});
