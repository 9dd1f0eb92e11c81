// A worker runs only ops of its own segkit version: an op module that imports another segkit (a project's own copy,
// next to a worker installed elsewhere) could compute with other code and kernels, and give other bytes silently.
// A pass refused on every shard (its op of another version, or unknown there) ran on none: the passes after it run.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullmqExecutor, close, defineOp, serveShards } from '../src/index.node.js';
import { closedPort, describeRedis, useRedis, type RedisServer } from './helpers/cluster.js';
import { failure } from './helpers.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const SHARD_OP = pathToFileURL(fileURLToPath(new URL('../dist/engine/shardOp.js', import.meta.url))).href;
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A project whose node_modules holds segkit 0.0.1, and an op module in it that defines its op through that copy. */
function project(dir: string, name: string): string {
  const pkg = path.join(dir, 'node_modules', 'segkit');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'segkit', version: '0.0.1', type: 'module', exports: { '.': './index.js', './package.json': './package.json' } }));
  writeFileSync(path.join(pkg, 'index.js'), `export { defineOp } from ${JSON.stringify(SHARD_OP)};\n`);
  const module = path.join(dir, 'ops.mjs');
  writeFileSync(module, `import { defineOp } from 'segkit';\nexport const op = defineOp({ name: ${JSON.stringify(name)}, run: (shard) => shard.index }, import.meta.url);\n`);
  return module;
}

const sameOp = defineOp({ name: 'test.sameVersion', run: (shard) => shard.index }, import.meta.url);

describe('ops a worker refuses', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'segkit-opversion-'));
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('segkit worker --ops refuses a module of another segkit version at start, naming both versions', async () => {
    const module = project(path.join(dir, 'cli'), 'test.otherVersionCli');
    const e = await run(process.execPath, [CLI, 'worker', '--redis', `redis://127.0.0.1:${await closedPort()}`, '--store', pathToFileURL(path.join(dir, 'store')).href, '--ops', module]).then(() => undefined, (err) => err);
    expect(e?.code).toBeGreaterThan(0);
    expect(e.stderr).toContain(`shard op "test.otherVersionCli" comes from ${pathToFileURL(module).href}, which imports segkit 0.0.1; this worker runs segkit ${VERSION}`);
  }, 60_000);

  describeRedis('bullmq.opVersion.test')('on a running worker', () => {
    const cluster = useRedis();
    let redis: RedisServer;
    beforeAll(() => void ({ redis } = cluster));

    it('a pass of an op the worker does not know fails; the passes after it run, as on every other executor', async () => {
      const store = pathToFileURL(path.join(dir, 'store')).href;
      const worker = await serveShards({ connection: redis.url, store, logJobs: false });
      const ex = bullmqExecutor({ connection: redis.url, store });
      try {
        const h = await ex.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
        expect(await ex.map(sameOp, h, null)).toEqual([0, 1]);
        const unknown = { name: 'test.unknownHere', run: () => 0 };
        const e = await failure(() => ex.map(unknown, h, null));
        expect([e.code, e.message]).toEqual(['E_EXECUTOR', 'unknown shard op "test.unknownHere" (the holder loads the same segkit version and op modules as the caller)']);
        expect(await ex.map(sameOp, h, null)).toEqual([0, 1]);
        expect(await ex.map(sameOp, h, null, { shards: [1] })).toEqual([1]);
      } finally {
        await ex.close();
        await worker.close();
      }
    }, 60_000);

    // (last: the op of another version stays registered in this process, and a worker starting now refuses it)
    it('an op of another segkit version loaded after the start is refused at its first job: E_EXECUTOR naming both versions', async () => {
      const store = pathToFileURL(path.join(dir, 'store')).href;
      const worker = await serveShards({ connection: redis.url, store, logJobs: false });
      const ex = bullmqExecutor({ connection: redis.url, store });
      try {
        const module = project(path.join(dir, 'late'), 'test.otherVersionLate');
        const { op } = await import(pathToFileURL(module).href);
        const h = await ex.load({ columns: [new Float32Array(32)] }, { shardRows: 16 });
        const e = await failure(() => ex.map(op, h, null));
        const hint = 'install one segkit version for the worker, its op modules and the callers: ops of another version may give other bytes';
        expect([e.code, e.message, e.hint]).toEqual([
          'E_EXECUTOR', `shard op "test.otherVersionLate" comes from ${pathToFileURL(module).href}, which imports segkit 0.0.1; this worker runs segkit ${VERSION} (${hint})`, hint,
        ]);
        // the pass ran on no shard: the next one runs
        expect(await ex.map(sameOp, h, null)).toEqual([0, 1]);
      } finally {
        await ex.close();
        await worker.close();
      }
    }, 60_000);
  });
});
