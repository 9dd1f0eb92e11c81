// A worker told to stop while its Redis server is down (the connections refused, not paused) stops once Redis has
// been silent for 5 heartbeats, as when Redis is paused: dropping a connection that is between reconnection attempts
// must not wait for an end that never comes.
import { expect, it } from 'vitest';
import { serveShards } from '../src/index.node.js';
import { describeRedis, useRedis } from './helpers/cluster.js';

describeRedis('bullmq.stopped.test')('a worker stopping while Redis is down', () => {
  const cluster = useRedis({ dir: 'segkit-stopped-' });

  it('close() returns once Redis has been silent for 5 heartbeats, Redis still down', async () => {
    const { redis, store } = cluster;
    const lines: string[] = [];
    const worker = await serveShards({ connection: redis.url, store, heartbeat: 200, log: (l) => lines.push(l) });
    await redis.stop();
    // no timer here: close() resolves while Redis stays down, or the test never ends
    await worker.close();
    expect(lines.filter((l) => !l.startsWith('redis:') && !l.startsWith('queue ') && !l.startsWith('heartbeat:')).slice(-3)).toEqual([
      `worker ${worker.id} stopping: finishing its running jobs`,
      `redis at ${redis.url} has not answered for 1 s: connections dropped`,
      `worker ${worker.id} stopped`,
    ]);
  }, 20_000);
});
