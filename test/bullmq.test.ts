// The BullMQ executor against a real redis-server and real `segkit worker` processes: the same bytes as the
// inline executor for fits, metrics, preparation and scoring; a worker killed mid-fit or mid-job; faults.
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { FlowProducer, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SegkitError, agglomerative, bullmqExecutor, fileStore, type ShardStore, serveShards, calinskiHarabaszScore, chooseK, clusterStats, createRandom, daviesBouldinScore, fromColumns, inertia,
  gaussianMixture, inlineExecutor, kmeans, pipeline, silhouetteSamples, silhouetteScore, simplifiedSilhouetteScore, type Dataset, type Executor,
} from '../src/index.node.js';
import { tableFromColumns } from '../src/data/arrowTable.js';
import { columnSumsOp } from '../src/engine/matrix.js';
import { checkJobData, errorFromReason, reasonOf } from '../src/engine/jobProtocol.node.js';
import { decodeShard, encodeShard } from '../src/engine/shardFile.js';
import { makeData, Float32 } from 'apache-arrow';
import { closedPort, describeRedis, startWorkers, useRedis, type RedisServer, type WorkerProcess } from './helpers/cluster.js';
import { bytes, failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (the workers load the same file with --ops)
import { busyOp, clusterMaxOp, markRowsOp, trapOp } from './helpers/testOps.mjs';
import { print } from './helpers/fingerprint.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** Eight blobs in 16 dimensions, seeded. */
function blobs(n: number, seed: number) {
  const rng = createRandom(seed);
  const d = 16, k = 8;
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() * 2.5));
  const which = Int32Array.from({ length: n }, () => Math.floor(rng.next() * k));
  return fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from(which, (c) => centres[c][j] + rng.normal())) });
}

describeRedis('bullmq.test')('bullmqExecutor with three segkit worker processes', () => {
  const LOCK = ['--lock-ms', '3000'];
  const cluster = useRedis({ dir: 'segkit-bullmq-', workers: 3, workerArgs: LOCK, client: true });
  let redis: RedisServer;
  let dir: string, store: string;
  let workers: WorkerProcess[] = [];
  let ex: Executor;
  let client: Redis;
  let ds: Dataset;

  beforeAll(() => {
    ({ redis, dir, store, workers, client } = cluster);
    ex = bullmqExecutor({ connection: redis.url, store });
    ds = blobs(1_000_000, 11);
  }, 120_000);

  afterAll(async () => {
    await ex?.close();
  }, 60_000);

  /** Replaces dead workers so each test starts with three (the set-up stops them all after the tests). */
  async function threeWorkers(): Promise<void> {
    const alive = workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
    workers = cluster.workers = [...alive, ...(await startWorkers(redis.url, store, 3 - alive.length, LOCK))];
  }

  const fitOf = (h: unknown) => (h as { fit: string }).fit;

  /**
   * Events of a queue from the end its stream has now. Left to start at '$', a QueueEvents reads from wherever the
   * stream ends when its first XREAD reaches Redis, and that happens after waitUntilReady() resolves (a CLIENT
   * SETNAME round trip later): a fast job's 'completed' written in between is never seen, and waitUntilFinished,
   * having found the job not finished yet, waits forever.
   */
  async function eventsOf(queue: string): Promise<QueueEvents> {
    const [last] = await client.xrevrange(`bull:${queue}:events`, '+', '-', 'COUNT', 1);
    const events = new QueueEvents(queue, { connection: { url: redis.url }, lastEventId: last?.[0] ?? '0-0' });
    await events.waitUntilReady();
    return events;
  }

  describe('a 1,000,000 x 16 k-means fit, k = 8', () => {
    const options = { k: 8, seed: 5, maxIter: 60 };
    let want: unknown;
    beforeAll(async () => {
      const m = await kmeans(ds, { ...options, executor: inlineExecutor() });
      want = print([m.labels, m.centroidData, m.inertia, m.iterations]);
    }, 120_000);

    it('gives the inline executor\'s labels, centroids and inertia byte for byte, every worker holding shards', async () => {
      const m = await kmeans(ds, { ...options, executor: ex });
      expect(print([m.labels, m.centroidData, m.inertia, m.iterations])).toEqual(want);
      // 16 shards spread over the three workers, each loaded once and kept
      expect(workers).toHaveLength(3);
      for (const w of workers) expect(w.jobs().filter((l) => l.includes('matrix.columnSums')).length).toBeGreaterThanOrEqual(5);
      const loads = workers.flatMap((w) => w.jobs()).filter((l) => l.includes(', loaded'));
      expect(loads).toHaveLength(16);
      // predict reads rows once where the executor can; here they go to the workers as any load's do
      const part = fromColumns({ columns: ds.columns.map((c) => c.slice(0, 70_000)) });
      expect(Array.from(await m.predict(part, { executor: ex }))).toEqual(Array.from(await m.predict(part, { executor: inlineExecutor() })));
    }, 120_000);

    it('still gives the same bytes when a worker is killed (SIGKILL) in the middle of the fit', async () => {
      await threeWorkers();
      const victim = workers[2];
      const before = workers.map((w) => w.out.length);
      let killed = false;
      const m = await kmeans(ds, {
        ...options,
        executor: ex,
        onProgress: (p) => {
          // after the first iteration: the fit has at least one more pass (the labels' read) the victim held shards of.
          // The signal is sent here, before the next pass is queued
          if (p.iteration === 1 && !killed) {
            killed = true;
            void victim.kill('SIGKILL');
          }
        },
      });
      expect(killed).toBe(true);
      expect(victim.proc.signalCode).toBe('SIGKILL');
      expect(print([m.labels, m.centroidData, m.inertia, m.iterations])).toEqual(want);
      // the survivors rebuilt the victim's shards from the store and the log of passes
      const after = workers.slice(0, 2).map((w, i) => w.out.slice(before[i])).join('\n');
      expect(after).toMatch(/, loaded, replayed \d+ passes/);
    }, 180_000);
  });

  it('a job running on a worker that is killed is retried on another (stalled-job detection)', async () => {
    await threeWorkers();
    const columns = [Float32Array.from({ length: 6 * 16 }, (_, i) => i)];
    const h = await ex.load({ columns }, { shardRows: 16 });
    try {
      const fit = fitOf(h);
      const pass = ex.map(busyOp, h, { ms: 1500 });
      // each worker holds two of the six shards: kill one in the middle of its first
      const victim = workers[0];
      for (let i = 0; i < 1200 && !(await client.llen(`bull:segkit.w.${victim.id}:active`)); i++) await new Promise((r) => setTimeout(r, 25));
      const killed = await client.lrange(`bull:segkit.w.${victim.id}:active`, 0, -1);
      expect(killed).toEqual([expect.stringMatching(new RegExp(`^${fit}\\.1\\.\\d$`))]);
      await victim.kill('SIGKILL');
      expect(victim.jobs().some((l) => l.includes(fit))).toBe(false);
      // each shard's partial comes back once, in shard order
      expect(await pass).toEqual([0, 1, 2, 3, 4, 5]);
      // every shard ran on the survivors, the killed job's among them. Not once each: a survivor running two busy
      // jobs back to back (its own and one of the victim's queue) may hold its thread past a job's lock, and BullMQ's
      // stalled-job check then queues that job again; its first completion is refused, so it is counted once
      const done = workers.slice(1).flatMap((w) => w.jobs()).filter((l) => l.includes(` job ${fit}.1.`));
      const log = workers.slice(1).map((w) => w.out.split('\n').filter((l) => l.includes(fit)).join('\n')).join('\n');
      expect([...new Set(done.map((l) => Number(/ shard (\d+): /.exec(l)![1])))].sort(), log).toEqual([0, 1, 2, 3, 4, 5]);
      expect(done.some((l) => l.includes(` job ${killed[0]} `)), log).toBe(true);
    } finally {
      await ex.release(h);
    }
  }, 120_000);

  it('SIGTERM: a worker finishes its running job, logs it, and exits with code 0', async () => {
    await threeWorkers();
    const columns = [Float32Array.from({ length: 3 * 16 }, (_, i) => i)];
    const h = await ex.load({ columns }, { shardRows: 16 });
    const fit = fitOf(h);
    const pass = ex.map(busyOp, h, { ms: 1200 });
    try {
      const w = workers[1];
      for (let i = 0; i < 1200 && !(await client.llen(`bull:segkit.w.${w.id}:active`)); i++) await new Promise((r) => setTimeout(r, 25));
      process.kill(w.proc.pid!, 'SIGTERM');
      expect(await w.exited).toBe(0);
      const mine = w.jobs().filter((l) => l.includes(`${fit}.1.`));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatch(/test\.busy shard \d: \d+\.\d ms, loaded$/);
      // its own lines (it may also log about other workers' queues it took over): the signal may come before or after
      // the job's shard is loaded and its op starts, but the job ends before the worker does, and "stopped" is last
      const own = w.out.split('\n').filter((l) => l.includes(`${fit}.1.`) || l.includes(`worker ${w.id} `));
      const at = (re: RegExp) => own.findIndex((l) => re.test(l));
      const stopping = at(/ stopping: finishing its running jobs$/), stopped = at(/ stopped$/), job = own.indexOf(mine[0]);
      expect(stopping, own.join('\n')).toBeGreaterThan(0);
      expect(stopped, own.join('\n')).toBe(own.length - 1);
      expect(job, own.join('\n')).toBeGreaterThan(0);
      expect(job, own.join('\n')).toBeLessThan(stopped);
      expect(stopping, own.join('\n')).toBeLessThan(stopped);
      expect(await pass).toEqual([0, 1, 2]);
    } finally {
      await pass.catch(() => undefined);
      await ex.release(h);
    }
  }, 60_000);

  it('the metrics, chooseK and the preparation pipeline give the inline bytes', async () => {
    await threeWorkers();
    const data = blobs(2 * 65_536 + 3_001, 4);
    const labels = Int32Array.from({ length: data.n }, (_, i) => (i * 7 + (i >> 3)) % 5);
    const small = fromColumns({ columns: data.columns.map((c) => c.slice(0, 1_500)), names: data.names });
    const r = createRandom(8);
    const rows = Array.from({ length: 65_536 + 301 }, (_, i) => ({
      id: `c${i}`,
      income: i % 97 === 0 ? null : Math.round(r.normal() * 20_000 + 60_000) / 7,
      visits: i % 13 === 0 ? null : Math.floor(r.next() * 20),
      spend: r.normal() * 100 + (i % 5) * 10,
    }));
    const all = async (executor: Executor) => {
      const p = pipeline({ id: 'id', impute: 'median', scale: 'robust', outliers: { method: 'iqr', action: 'clip' } });
      const prepared = await p.fitTransform(rows, { executor });
      const k = await chooseK(small, { kRange: [2, 4], seed: 1, executor });
      // the extra wasm module (mixtures, hierarchies), loaded by the workers that run their ops
      const mix = await gaussianMixture(small, { k: 3, covarianceType: 'diag', seed: 2, maxIter: 10, executor });
      const ward = await agglomerative(small, { k: 4, linkage: 'ward', executor });
      return print({
        mixture: [mix.means, mix.weights, mix.lowerBound, mix.labels],
        ward: ward.labels,
        ch: await calinskiHarabaszScore(data, labels, { executor }),
        db: await daviesBouldinScore(data, labels, { executor }),
        inertia: await inertia(data, labels, { executor }),
        stats: await clusterStats(data, labels, { executor }),
        simplified: await simplifiedSilhouetteScore(data, labels, { executor }),
        sampled: await silhouetteScore(data, labels, { executor, sampleSize: 1_000, seed: 2 }),
        exact: await silhouetteSamples(small, labels.subarray(0, small.n), { executor }),
        chooseK: [k.table, k.recommendedK],
        pipeline: [JSON.stringify(p.toJSON()), prepared.dataset.columns],
      });
    };
    expect(await all(ex)).toEqual(await all(inlineExecutor()));
  }, 180_000);

  it('a user-defined op runs on the workers that loaded its module (--ops)', async () => {
    const n = 3 * 65_536 + 77;
    const columns = [0, 1, 2].map((j) => Float32Array.from({ length: n }, (_, i) => ((i * (7 + j)) % 23) - 11 + j));
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 5 + (i >> 4)) % 3);
    const partials = async (e: Executor) => {
      const h = await e.load({ columns, rows: { labels } });
      try {
        return print(await e.map(clusterMaxOp, h, { k: 3 }));
      } finally {
        await e.release(h);
      }
    };
    expect(await partials(ex)).toEqual(await partials(inlineExecutor()));
  }, 60_000);

  describe('scoring across the workers', () => {
    it('segkit score --executor writes the file local scoring writes, byte for byte (Arrow and streamed CSV)', async () => {
      await threeWorkers();
      const table = tableFromColumns(ds.names, ds.columns.map((c) => makeData({ type: new Float32(), length: c.length, data: c })));
      const big = path.join(dir, 'big.arrow');
      writeFileSync(big, tableToIPC(table, 'file'));
      const csv = path.join(dir, 'part.csv');
      writeFileSync(csv, [ds.names.join(','), ...Array.from({ length: 12_000 }, (_, i) => ds.columns.map((c) => c[i]).join(','))].join('\n') + '\n');
      const model = path.join(dir, 'model.json');
      await run(process.execPath, [CLI, 'segment', csv, '--k', '8', '--seed', '3', '--model', model, '--out', path.join(dir, 'seg.csv'), '-q']);
      const dist = ['--executor', redis.url, '--store', store];
      await run(process.execPath, [CLI, 'score', big, '--model', model, '--out', path.join(dir, 'local.arrow'), '-q']);
      const before = workers.map((w) => w.jobs().length);
      await run(process.execPath, [CLI, 'score', big, '--model', model, '--out', path.join(dir, 'dist.arrow'), '-q', ...dist]);
      // every worker scored some of the 16 shards
      expect(workers).toHaveLength(3);
      workers.forEach((w, i) => expect(w.jobs().length).toBeGreaterThan(before[i]));
      const local = readFileSync(path.join(dir, 'local.arrow')), far = readFileSync(path.join(dir, 'dist.arrow'));
      expect(far.equals(local)).toBe(true);
      expect(tableFromIPC(far).numRows).toBe(1_000_000);
      await run(process.execPath, [CLI, 'score', csv, '--model', model, '--out', path.join(dir, 'local.csv'), '-q']);
      await run(process.execPath, [CLI, 'score', csv, '--model', model, '--out', path.join(dir, 'dist.csv'), '--batch-size', '5000', '-q', ...dist]);
      expect(readFileSync(path.join(dir, 'dist.csv')).equals(readFileSync(path.join(dir, 'local.csv')))).toBe(true);
      // nothing is left in the store once scoring is done
      expect(readdirSync(path.join(dir, 'store'))).toEqual([]);
    }, 180_000);

    it('segkit score --queue reaches workers serving another queue, with the bytes local scoring writes', async () => {
      // the previous test's files: the model, the CSV and its local scoring
      const [model, csv] = [path.join(dir, 'model.json'), path.join(dir, 'part.csv')];
      const [other] = await startWorkers(redis.url, store, 1, ['--queue', 'scoring']);
      try {
        await run(process.execPath, [CLI, 'score', csv, '--model', model, '--out', path.join(dir, 'queued.csv'), '-q', '--executor', redis.url, '--store', store, '--queue', 'scoring']);
        expect(readFileSync(path.join(dir, 'queued.csv')).equals(readFileSync(path.join(dir, 'local.csv')))).toBe(true);
        expect(other.jobs().length).toBeGreaterThan(0);
      } finally {
        await other.kill('SIGTERM');
      }
      const e = await run(process.execPath, [CLI, 'score', csv, '--model', model, '--out', 'y.csv', '--queue', 'scoring']).catch((x) => x);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(/--queue goes with --executor/);
    }, 120_000);

    it('refuses --executor without --store, and --threads with --executor', async () => {
      const model = path.join(dir, 'model.json');
      const e1 = await run(process.execPath, [CLI, 'score', 'x.csv', '--model', model, '--out', 'y.csv', '--executor', redis.url]).catch((e) => e);
      expect(e1.code).toBe(2);
      expect(e1.stderr).toMatch(/--executor needs --store/);
      const e2 = await run(process.execPath, [CLI, 'score', 'x.csv', '--model', model, '--out', 'y.csv', '--executor', redis.url, '--store', store, '--threads', '2']).catch((e) => e);
      expect(e2.code).toBe(2);
      expect(e2.stderr).toMatch(/--threads and --executor clash/);
    });
  });

  describe('faults', () => {
    it('Redis unreachable: E_EXECUTOR naming the URL (password hidden) after a bounded retry', async () => {
      const port = await closedPort();
      const bad = bullmqExecutor({ connection: `redis://:hunter2@127.0.0.1:${port}`, store, connectAttempts: 3 });
      try {
        const e = await failure(() => kmeans(blobs(500, 1), { k: 2, executor: bad }));
        expect(e.code).toBe('E_EXECUTOR');
        expect(e.message).toContain(`127.0.0.1:${port}`);
        expect(e.message).toMatch(/after 3 attempts/);
        expect(e.message).not.toContain('hunter2');
      } finally {
        await bad.close();
      }
    });

    it('a shard missing from the store, or corrupt: E_EXECUTOR naming the shard', async () => {
      await threeWorkers();
      const columns = [Float32Array.from({ length: 4 * 16 }, (_, i) => i)];
      const h1 = await ex.load({ columns }, { shardRows: 16 });
      const h2 = await ex.load({ columns }, { shardRows: 16 });
      try {
        const root = path.join(dir, 'store');
        rmSync(path.join(root, fitOf(h1), 'shard-000001.arrow'));
        const e1 = await failure(() => ex.map(columnSumsOp, h1, null));
        expect(e1.code).toBe('E_EXECUTOR');
        expect(e1.message).toMatch(/shard 1 of data [0-9a-f]+ \(\S+shard-000001\.arrow in file:\S+\) is missing from the store/);
        const file = path.join(root, fitOf(h2), 'shard-000002.arrow');
        const b = readFileSync(file);
        b[b.length >> 1] ^= 0xff;
        writeFileSync(file, b);
        const e2 = await failure(() => ex.map(columnSumsOp, h2, null));
        expect(e2.code).toBe('E_EXECUTOR');
        expect(e2.message).toMatch(/shard 2 of data .* is corrupt \(checksum mismatch\)/);
      } finally {
        await ex.release(h1);
        await ex.release(h2);
      }
    }, 60_000);

    it('a worker of another segkit version refuses the data (its ops might give other bytes)', async () => {
      const columns = [Float32Array.from({ length: 2 * 16 }, (_, i) => i)];
      const h = await ex.load({ columns }, { shardRows: 16 });
      try {
        const key = `segkit:segkit:fit:${fitOf(h)}`;
        const meta = JSON.parse((await client.get(key))!);
        await client.set(key, JSON.stringify({ ...meta, segkit: '0.0.1' }));
        const e = await failure(() => ex.map(columnSumsOp, h, null));
        expect(e.code).toBe('E_EXECUTOR');
        expect(e.message).toMatch(new RegExp(`data ${fitOf(h)} was loaded by segkit 0\\.0\\.1, this worker runs segkit \\d+\\.\\d+\\.\\d+`));
      } finally {
        await ex.release(h);
      }
    }, 60_000);

    it('an AbortSignal rejects the pass and removes its jobs no worker has started', async () => {
      await threeWorkers();
      const columns = [Float32Array.from({ length: 12 * 16 }, (_, i) => i)];
      const h = await ex.load({ columns }, { shardRows: 16 });
      try {
        const fit = fitOf(h);
        const listed = async (list: string) => {
          const keys = await client.keys(`bull:segkit*:${list}`);
          const ids = (await Promise.all(keys.map((k) => client.lrange(k, 0, -1)))).flat();
          return ids.filter((id) => id.startsWith(fit));
        };
        const ac = new AbortController();
        const failed = failure(() => ex.map(busyOp, h, { ms: 1500 }, { signal: ac.signal }));
        // the signal fires once a job of the pass runs: the others, queued behind one on each worker, have not started
        for (let i = 0; i < 1200 && !(await listed('active')).length; i++) await new Promise((r) => setTimeout(r, 25));
        const abortedAt = new Date().toISOString();
        ac.abort();
        const e = await failed;
        expect(e.code).toBe('E_ABORTED');
        expect(await listed('wait')).toEqual([]);
        // the jobs running when the signal fired finish; no other job of the pass ever starts
        while ((await listed('active')).length) await new Promise((r) => setTimeout(r, 100));
        expect(await listed('wait')).toEqual([]);
        const ran = workers.flatMap((w) => w.jobs()).filter((l) => l.includes(`${fit}.1.`));
        const log = workers.map((w) => `${w.id}:\n${w.out.split('\n').filter((l) => l.includes(fit) || / worker /.test(l)).join('\n')}`).join('\n');
        expect(ran.length, `aborted at ${abortedAt}; the workers' lines:\n${log}`).toBeLessThan(12);
      } finally {
        await ex.release(h);
      }
    }, 60_000);

    it('an op not registered on the workers is refused, as is a payload with a field it does not know; nothing runs', async () => {
      const columns = [Float32Array.from({ length: 2 * 16 }, (_, i) => i)];
      const h = await ex.load({ columns }, { shardRows: 16 });
      const flow = new FlowProducer({ connection: { url: redis.url } });
      const shared = new Queue('segkit', { connection: { url: redis.url } });
      const events = await eventsOf('segkit');
      try {
        let ran = false;
        const rogue = { name: 'rogue.op', run: () => { ran = true; return 0; } };
        const e = await failure(() => ex.map(rogue, h, null));
        // code, message and hint apart, as on every other executor (the hint joined to the message once)
        expect([e.code, e.message, e.hint]).toEqual([
          'E_EXECUTOR', 'unknown shard op "rogue.op" (the holder loads the same segkit version and op modules as the caller)',
          'the holder loads the same segkit version and op modules as the caller',
        ]);
        expect(ran).toBe(false);
        // a job added by hand to the shared queue: a field the protocol does not have
        const fit = fitOf(h);
        const added = await shared.add('x', {
          v: 1, fit, pass: 9, shard: 0, since: 0, step: { k: 'map', op: 'matrix.columnSums', st: '' }, module: 'file:///tmp/evil.mjs',
        }, { jobId: `${fit}.9.0` });
        const reason = await added.waitUntilFinished(events).then(() => 'completed', (err: Error) => err.message);
        expect(reason).toMatch(/refused a job: the payload has an unknown field "module"/);
      } finally {
        await flow.close();
        await events.close();
        await shared.close();
        await ex.release(h);
      }
    }, 60_000);

    it('a pass that failed on the workers is not replayed by later passes: the data stays usable, as on every other executor', async () => {
      const h = await ex.load({ columns: [Float32Array.from({ length: 3 * 16 }, (_, i) => i)] }, { shardRows: 16 });
      try {
        expect((await failure(() => ex.map(trapOp, h, null))).code).toBe('E_WORKER');
        // no shard applied the failed pass: the marks are all still zero, then all set
        expect(await ex.map(markRowsOp, h, { v: 1 })).toEqual([0, 0, 0]);
        expect(await ex.map(markRowsOp, h, { v: 2 })).toEqual([16, 16, 16]);
        expect(Array.from(await ex.readRows(h, 'mark'))).toEqual(new Array(48).fill(2));
        // the log a holder rebuilds a shard from says the failed pass ran on no shard
        const log = await client.hgetall(`segkit:segkit:log:${fitOf(h)}`);
        expect(JSON.parse(log['1'])).toEqual({ k: 'map', op: 'test.trap', st: expect.any(String), sh: [] });
      } finally {
        await ex.release(h);
      }
    }, 60_000);

    it('a late duplicate of an old job (a retry arriving after its pass) changes nothing', async () => {
      await threeWorkers();
      const n = 2 * 65_536 + 5;
      const columns = [Float32Array.from({ length: n }, (_, i) => (i % 97) - 40), Float32Array.from({ length: n }, (_, i) => (i % 13) * 0.5)];
      const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
      const script = async (e: Executor, meddle?: (h: unknown) => Promise<void>) => {
        const h = await e.load({ columns, rows: { labels } });
        try {
          await e.map(columnSumsOp, h, null);
          await e.writeRows(h, 'labels', Int32Array.from(labels, (l) => (l + 1) % 3));
          const a = await e.map(clusterMaxOp, h, { k: 3 });
          await meddle?.(h);
          const b = await e.map(clusterMaxOp, h, { k: 3 });
          return print([a, b, await e.readRows(h, 'labels')]);
        } finally {
          await e.release(h);
        }
      };
      const want = await script(inlineExecutor());
      const got = await script(ex, async (h) => {
        // pass 1 of shard 0 again, added by hand to the queue of the worker holding it
        const holder = (h as { holders: string[] }).holders[0];
        const q = new Queue(`segkit.w.${holder}`, { connection: { url: redis.url } });
        const events = await eventsOf(`segkit.w.${holder}`);
        // the original job was removed when it completed, so the add below makes a new job rather than returning it
        expect(await q.getJob(`${fitOf(h)}.1.0`)).toBeUndefined();
        const job = await q.add('matrix.columnSums', { v: 1, fit: fitOf(h), pass: 1, shard: 0, since: 0, step: { k: 'map', op: 'matrix.columnSums', st: Buffer.from([0]).toString('base64') } }, { jobId: `${fitOf(h)}.1.0` });
        await job.waitUntilFinished(events);
        await events.close();
        await q.close();
      });
      expect(got).toEqual(want);
    }, 60_000);

    it('close() during a pass rejects it with E_CLOSED and removes its data; the executor works again afterwards', async () => {
      const own = bullmqExecutor({ connection: redis.url, store });
      const columns = [Float32Array.from({ length: 3 * 16 }, (_, i) => i)];
      const h = await own.load({ columns }, { shardRows: 16 });
      const fit = fitOf(h);
      const pass = failure(() => own.map(busyOp, h, { ms: 800 }));
      await new Promise((r) => setTimeout(r, 200));
      await own.close();
      expect((await pass).code).toBe('E_CLOSED');
      expect(await client.exists(`segkit:segkit:fit:${fit}`, `segkit:segkit:log:${fit}`)).toBe(0);
      expect(readdirSync(path.join(dir, 'store'))).not.toContain(fit);
      await expect(own.map(busyOp, h, { ms: 1 })).rejects.toMatchObject({ code: 'E_CLOSED' });
      const again = await own.load({ columns }, { shardRows: 16 });
      expect(await own.map(busyOp, again, { ms: 1 })).toEqual([0, 1, 2]);
      await own.close();
    }, 60_000);

    it('close() during a load or a write of per-row values rejects it with E_CLOSED and leaves none of its files in the store', async () => {
      const files = new Map<string, Uint8Array>();
      let puts = 0, closeAt = 3;
      // a store whose writes take a while, and whose third write starts a close() of the executor writing
      const slow: ShardStore = {
        url: 'memory:',
        put: async (key, bytes) => {
          if (++puts === closeAt) void ex2.close();
          await new Promise((resolve) => setTimeout(resolve, 20));
          files.set(key, bytes);
        },
        get: async (key) => files.get(key),
        remove: async (key) => void files.delete(key),
        removeAll: async (prefix) => {
          for (const key of [...files.keys()]) if (key.startsWith(prefix)) files.delete(key);
        },
      };
      let ex2 = bullmqExecutor({ connection: redis.url, store: slow });
      const closed = ['E_CLOSED', 'the data was released (or its executor closed) while an operation was running (close() only after every fit and scan has finished)'];
      try {
        const e = await failure(() => ex2.load({ columns: [Float32Array.from({ length: 40 * 16 }, (_, i) => i)] }, { shardRows: 16 }));
        expect([e.code, e.message]).toEqual(closed);
        expect(puts).toBeLessThan(40);
        expect([...files.keys()]).toEqual([]);
        // and during a write of per-row values (a close() on the third write of them)
        ex2 = bullmqExecutor({ connection: redis.url, store: slow });
        closeAt = -1;
        const h = await ex2.load({ columns: [new Float32Array(40 * 16)] }, { shardRows: 16 });
        expect(files.size).toBe(40);
        [puts, closeAt] = [0, 3];
        const w = await failure(() => ex2.writeRows(h, 'tag', new Int32Array(40 * 16)));
        expect([w.code, w.message]).toEqual(closed);
        expect([...files.keys()]).toEqual([]);
      } finally {
        await ex2.close();
      }
    }, 60_000);

    it('large states go to the store; every job payload stays under 16 KB', async () => {
      const columns = [Float32Array.from({ length: 3 * 16 }, (_, i) => i)];
      const h = await ex.load({ columns }, { shardRows: 16 });
      try {
        const fit = fitOf(h);
        const big = Float64Array.from({ length: 20_000 }, (_, i) => i);
        const pass = ex.map(busyOp, h, { ms: 600, big });
        await new Promise((r) => setTimeout(r, 300));
        const keys = (await client.keys(`bull:segkit*:${fit}.1.*`)).filter((k) => /\.\d+$/.test(k));
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) expect((await client.hget(k, 'data'))!.length).toBeLessThan(16 * 1024);
        const entry = JSON.parse((await client.hget(`segkit:segkit:log:${fit}`, '1'))!);
        expect(entry).toEqual({ k: 'map', op: 'test.busy', ref: `${fit}/state-1.bin` });
        expect(await pass).toEqual([0, 1, 2]);
      } finally {
        await ex.release(h);
      }
    }, 60_000);
  });
});

describe('the pieces under the BullMQ executor (no Redis needed)', () => {
  it('a shard round-trips through its Arrow IPC file; a damaged or mis-shaped file is E_EXECUTOR naming it', () => {
    const columns = [Float32Array.of(1, 2, 3), Float32Array.of(-0, NaN, 5e-40)];
    const inputs = { weights: Float32Array.of(1, 0.5, 2), labels: Int32Array.of(2, -1, 0) };
    const bytesOf = encodeShard({ columns, inputs });
    const shape = { rows: 3, d: 2, dtype: 'f32' as const, inputs: [['weights', 'f32'], ['labels', 'i32']] as const };
    const back = decodeShard(bytesOf, shape, 'shard 7');
    expect(back.columns.map((c) => bytes(c))).toEqual(columns.map((c) => bytes(c)));
    expect(bytes(back.inputs.labels)).toEqual(bytes(inputs.labels));
    expect(tableFromIPC(bytesOf).schema.fields.map((f) => f.name)).toEqual(['x0', 'x1', 'row.weights', 'row.labels']);
    expect(() => decodeShard(bytesOf.subarray(0, 100), shape, 'shard 7')).toThrow(/shard 7 is corrupt/);
    expect(() => decodeShard(bytesOf, { ...shape, rows: 4 }, 'shard 7')).toThrow(/shard 7 is corrupt: 3 rows, expected 4/);
    expect(() => decodeShard(bytesOf, { ...shape, dtype: 'f64' }, 'shard 7')).toThrow(/column 0 is "x0" \(f32\), expected "x0" \(f64\)/);
  });

  it('the file store writes whole files, reads back, removes by prefix, and refuses keys that leave its directory', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'segkit-store-'));
    try {
      const st = fileStore(root);
      expect(st.url).toBe(pathToFileURL(root).href);
      await st.put('abc/shard-000001.arrow', Uint8Array.of(1, 2, 3));
      expect(Array.from((await st.get('abc/shard-000001.arrow'))!)).toEqual([1, 2, 3]);
      expect(await st.get('abc/nothing.bin')).toBeUndefined();
      expect(readdirSync(path.join(root, 'abc'))).toEqual(['shard-000001.arrow']);
      await st.removeAll('abc/');
      expect(readdirSync(root)).toEqual([]);
      for (const bad of ['../x', '/etc/passwd', 'a/../../b', 'a//b', '.hidden']) await expect(st.put(bad, Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_EXECUTOR' });
      // a store whose folder cannot be made (a file is in the way): an I/O error naming the key and the store
      writeFileSync(path.join(root, 'file'), 'x');
      const blocked = fileStore(path.join(root, 'file'));
      await expect(blocked.put('abc/shard-000001.arrow', Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/cannot write abc\/shard-000001\.arrow to the store file:.*ENOTDIR/) });
      // a folder whose parent is there but refuses children with ENOENT (Node's recursive mkdir never returns on it)
      if (existsSync('/proc/self')) {
        await expect(fileStore('/proc/self').put('abc/shard-000001.arrow', Uint8Array.of(1))).rejects.toMatchObject({ code: 'E_IO', message: expect.stringMatching(/cannot write abc\/shard-000001\.arrow to the store file:.*ENOENT/) });
      }
      // folders made level by level, and a second store over folders already there
      await fileStore(path.join(root, 'x', 'y')).put('a/b/c.bin', Uint8Array.of(5));
      await fileStore(path.join(root, 'x')).put('y/a/b/d.bin', Uint8Array.of(6));
      expect(readdirSync(path.join(root, 'x', 'y', 'a', 'b')).sort()).toEqual(['c.bin', 'd.bin']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a worker\'s error crosses the queue as its code, message and hint, each kept apart', () => {
    const cases = [
      new SegkitError('E_NAN_INPUT', 'row 3, column "spend" holds NaN', 'impute or drop missing values'),
      new SegkitError('E_EXECUTOR', 'two lines:\nthe second (in brackets)'),
      new SegkitError('E_IO', 'cannot read x (busy)', 'retry\nlater'),
    ];
    for (const e of cases) {
      const back = errorFromReason(reasonOf(e), 0);
      expect([back.code, back.message, back.hint]).toEqual([e.code, e.message, e.hint]);
    }
    expect(reasonOf(cases[0])).toBe('E_NAN_INPUT: row 3, column "spend" holds NaN\nhint: impute or drop missing values');
    const other = errorFromReason('connection reset', 4);
    expect([other.code, other.message, other.hint]).toEqual(['E_EXECUTOR', 'shard 4 failed on a worker: connection reset', undefined]);
  });

  it('a job payload is checked field by field: anything else is refused, never run', () => {
    const good = { v: 1, fit: '0123456789abcdef', pass: 3, shard: 2, since: 1, step: { k: 'map', op: 'kmeans.assign', st: 'AAAA' } };
    expect(checkJobData(good)).toEqual(good);
    const refused = (x: unknown, why: RegExp) => expect(() => checkJobData(x)).toThrow(why);
    refused({ ...good, code: 'process.exit()' }, /unknown field "code"/);
    refused({ ...good, step: { ...good.step, module: 'file:///tmp/x.mjs' } }, /unknown field "module"/);
    refused({ ...good, step: { k: 'map', op: 'a b', st: '' } }, /names op "a b"/);
    refused({ ...good, step: { k: 'map', op: 'x', st: 'AAAA', ref: '0123456789abcdef/state-3.bin' } }, /not both/);
    refused({ ...good, step: { k: 'map', op: 'x', ref: '../../etc/passwd' } }, /malformed state reference/);
    refused({ ...good, step: { k: 'write', name: 'labels' } }, /kind "write"/);
    refused({ ...good, since: 3 }, /since 3/);
    refused({ ...good, v: 2 }, /version 2/);
    refused({ ...good, fit: '../x' }, /fit id/);
    refused(JSON.parse('{"__proto__": {"x": 1}, "v": 1}'), /unknown field "__proto__"|not a plain object/);
  });

  it('a server that accepts connections but never answers: E_EXECUTOR after the first PING times out, not a hang', async () => {
    // a TCP listener that takes the connection and says nothing, as a Redis paused with SIGSTOP does
    const sockets: Socket[] = [];
    const silent = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const root = mkdtempSync(path.join(tmpdir(), 'segkit-silent-'));
    const ex = bullmqExecutor({ connection: `redis://127.0.0.1:${port}`, store: pathToFileURL(root).href });
    try {
      const started = performance.now();
      const e = await failure(() => ex.load({ columns: [Float32Array.of(1, 2, 3)] }));
      expect(e.code).toBe('E_EXECUTOR');
      expect(e.message).toMatch(/no answer to PING within 20 s/);
      expect(performance.now() - started).toBeLessThan(40_000);
    } finally {
      await ex.close();
      for (const s of sockets) s.destroy();
      silent.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('option checks name the option', async () => {
    const store = 'file:///tmp/segkit-unused';
    expect(() => bullmqExecutor({ connection: 'redis://h:1', store, queu: 'x' } as never)).toThrow(/queu.*queue/);
    expect(() => bullmqExecutor({ connection: 'http://h:1', store })).toThrow(/option "connection" must be a Redis URL/);
    // a password given as ioredis's URL parameter is hidden as the one before the host is
    expect(() => bullmqExecutor({ connection: 'http://h:1/?password=s3cret', store })).toThrow('option "connection" must be a Redis URL like redis://host:6379 or rediss://user:password@host:6380/0, got "http://h:1/?password=***"');
    expect(() => bullmqExecutor({ connection: 'redis://h:1/x?password=s3cret', store })).toThrow('option "connection" names database "x" in "redis://h:1/x?password=***"');
    expect(() => bullmqExecutor({ connection: 'redis://h:1', store: 's3://bucket/x' })).toThrow(/only file:\/\/\/ stores are built in .*ShardStore/);
    expect(() => bullmqExecutor({ connection: 'redis://h:1', store, queue: 'a:b' })).toThrow(/option "queue"/);
    await expect(serveShards({ connection: 'redis://h:1', store, concurrency: 0 })).rejects.toThrow(/option "concurrency"/);
    // a delay beyond a Node timer's longest ran after 1 ms: a heartbeat of 3e9 ms beat (and wrote to Redis) every millisecond
    await expect(serveShards({ connection: 'redis://h:1', store, heartbeat: 3e9 })).rejects.toThrow(/^option "heartbeat" must be an integer from 100 to 2147483647, got 3000000000/);
    await expect(serveShards({ connection: 'redis://h:1', store, lockDuration: 2 ** 31 })).rejects.toThrow(/^option "lockDuration" must be an integer from 1000 to 2147483647, got 2147483648/);
    // a flag given as text ("false" from a config file) is refused, not read as true
    await expect(serveShards({ connection: 'redis://h:1', store, logJobs: 'false' as never })).rejects.toThrow(/option "logJobs" must be true or false, got "false"/);
  });

  it('per-row inputs of a typed array the shard files cannot hold are refused before anything is written', async () => {
    // a Uint8Array was stored as an int32 column over its bytes: the workers read [80216577, 0, 0, 0] for [1, 2, 200, 4]
    const ex = bullmqExecutor({ connection: 'redis://127.0.0.1:1', store: 'file:///tmp/segkit-unused', connectAttempts: 1 });
    try {
      const e = await failure(() => ex.load({ columns: [new Float32Array(4)], rows: { tag: Uint8Array.of(1, 2, 200, 4) as unknown as Int32Array } }));
      expect([e.code, e.message]).toEqual(['E_EXECUTOR', 'per-row values "tag" are a Uint8Array: they must be a Float32Array, Float64Array or Int32Array']);
    } finally {
      await ex.close();
    }
  });
});
