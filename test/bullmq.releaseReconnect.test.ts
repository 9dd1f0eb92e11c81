// Data released while the executor's connection to Redis is being re-established (dropped by the server or the
// network for a moment) leaves no metadata or log in Redis: left there, they would keep the data in the workers'
// memory for a day.
import { expect, it } from 'vitest';
import { bullmqExecutor } from '../src/index.node.js';
import { describeRedis, useRedis } from './helpers/cluster.js';

describeRedis('bullmq.releaseReconnect.test')('a release while the executor reconnects', () => {
  const cluster = useRedis({ dir: 'segkit-release-reconnect-', client: true });

  it('removes the data\'s keys once the connection is back', async () => {
    const { client, url, store } = cluster;
    const ex = bullmqExecutor({ connection: url, store });
    try {
      const h = await ex.load({ columns: [Float32Array.from({ length: 32 }, (_, i) => i)] }, { shardRows: 16 });
      const fit = (h as unknown as { fit: string }).fit;
      expect(await client.exists(`segkit:segkit:fit:${fit}`)).toBe(1);
      // every other connection dropped by the server: the executor's reconnects
      await client.client('KILL', 'SKIPME', 'yes');
      const own = (ex as unknown as { current: { client: { status: string } } }).current.client;
      while (own.status === 'ready') await new Promise((r) => setTimeout(r, 5));
      await ex.release(h);
      let left = 1;
      for (let i = 0; i < 100 && left; i++) {
        left = await client.exists(`segkit:segkit:fit:${fit}`, `segkit:segkit:log:${fit}`);
        if (left) await new Promise((r) => setTimeout(r, 20));
      }
      expect(left).toBe(0);
    } finally {
      await ex.close();
    }
  }, 20_000);
});
