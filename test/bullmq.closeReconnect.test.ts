// A worker told to stop just after its Redis server came back from an outage, while its queues' connections wait
// to reconnect: it stops (its connections dropped once no job runs) instead of waiting for good on a connection
// that, told to close between two reconnection attempts, never reports its end.
import { expect, it } from 'vitest';
import { serveShards } from '../src/index.node.js';
import { describeRedis, useRedis } from './helpers/cluster.js';

describeRedis('bullmq.closeReconnect.test')('a worker stopping while its connections wait to reconnect', () => {
  const cluster = useRedis({ dir: 'segkit-close-reconnect-' });

  it('close() returns with Redis answering again', async () => {
    const { redis, store } = cluster;
    const lines: string[] = [];
    const worker = await serveShards({ connection: redis.url, store, heartbeat: 200, log: (l) => lines.push(l) });
    await redis.stop();
    // down long enough for the connections' next attempt to be most of a second away
    await new Promise((r) => setTimeout(r, 2300));
    await redis.start();
    // no timer here: close() resolves, or the test never ends
    await worker.close();
    const own = lines.filter((l) => !l.startsWith('redis:') && !l.startsWith('queue ') && !l.startsWith('heartbeat:'));
    expect(own.at(-1)).toBe(`worker ${worker.id} stopped`);
    expect(own).toContain(`worker ${worker.id} stopping: finishing its running jobs`);
  }, 20_000);
});
