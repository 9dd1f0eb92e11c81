// A Redis server that answers PING but refuses the commands BullMQ needs (a user its ACL limits): the executor and
// the worker fail with E_EXECUTOR naming the refusal, and no connection of theirs stays open, retrying.
import { beforeAll, expect, it } from 'vitest';
import { bullmqExecutor, fromColumns, kmeans, serveShards } from '../src/index.node.js';
import { describeRedis, useRedis } from './helpers/cluster.js';
import { failure } from './helpers.js';

describeRedis('bullmq.acl.test')('a Redis user that may not run BullMQ\'s commands', () => {
  const cluster = useRedis({ dir: 'segkit-acl-', client: true });
  let url = '';
  beforeAll(async () => {
    // every command but INFO, which BullMQ runs when it sets up a connection
    await cluster.client.call('ACL', 'SETUSER', 'limited', 'on', '>pw', '~*', '&*', '+@all', '-info');
    url = cluster.url.replace('redis://', 'redis://limited:pw@');
  });

  /** Connections of that user the server still has, once the ones closed have gone (as a poll, not a timer). */
  async function connectionsLeft(): Promise<number> {
    let left = 0;
    for (let i = 0; i < 40; i++) {
      left = String(await cluster.client.client('LIST')).split('\n').filter((l) => / user=limited /.test(l)).length;
      if (!left) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return left;
  }

  it('a fit on the executor: E_EXECUTOR, no connection left', async () => {
    const ex = bullmqExecutor({ connection: url, store: cluster.store });
    try {
      const ds = fromColumns({ columns: [Float32Array.from({ length: 64 }, (_, i) => i % 7)] });
      const e = await failure(() => kmeans(ds, { k: 2, seed: 1, executor: ex }));
      expect(e).toMatchObject({ code: 'E_EXECUTOR' });
      expect(e.message).toMatch(/^Redis at redis:\/\/limited:\*\*\*@127\.0\.0\.1:\d+ answers, but refused BullMQ's set-up: NOPERM .*'info'/);
      expect(await connectionsLeft()).toBe(0);
    } finally {
      await ex.close();
    }
  }, 20_000);

  it('a worker: E_EXECUTOR at start, no connection left', async () => {
    const e = await failure(() => serveShards({ connection: url, store: cluster.store }));
    expect(e).toMatchObject({ code: 'E_EXECUTOR' });
    expect(e.message).toMatch(/^Redis at redis:\/\/limited:\*\*\*@127\.0\.0\.1:\d+ answers, but refused the worker's set-up: NOPERM .*'info'/);
    expect(await connectionsLeft()).toBe(0);
    // its heartbeat (SET is allowed) is taken back: no caller counts it alive for the next 5 heartbeats (5 min here)
    const slow = await failure(() => serveShards({ connection: url, store: cluster.store, queue: 'acl-alive', heartbeat: 60_000 }));
    expect(slow).toMatchObject({ code: 'E_EXECUTOR' });
    expect(await cluster.client.smembers('segkit:acl-alive:workers')).toHaveLength(1);
    expect(await cluster.client.keys('segkit:acl-alive:alive:*')).toEqual([]);
  }, 20_000);
});
