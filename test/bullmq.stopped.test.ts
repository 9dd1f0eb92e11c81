// A worker told to stop while its Redis server is down (the connections refused, not paused) stops once Redis has
// been silent for 5 heartbeats, as when Redis is paused: dropping a connection that is between reconnection attempts
// must not wait for an end that never comes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { close, serveShards } from '../src/index.node.js';
import { hasRedis, startRedis } from './helpers/cluster.js';

if (!hasRedis) console.warn('bullmq.stopped.test: skipped, redis-server not found (install Debian\'s redis-server package to run it)');

describe.skipIf(!hasRedis)('a worker stopping while Redis is down', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'segkit-stopped-'));
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('close() returns once Redis has been silent for 5 heartbeats, Redis still down', async () => {
    const redis = await startRedis();
    const lines: string[] = [];
    const worker = await serveShards({ connection: redis.url, store: pathToFileURL(path.join(dir, 'store')).href, heartbeat: 200, log: (l) => lines.push(l) });
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
