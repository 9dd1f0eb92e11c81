// Errors of shard ops run by webWorkerExecutor in headless Chromium: each reaches the caller as a SegkitError with a
// string code (never a DOMException's number), and the executor runs the next pass as before.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './helpers.js';
import { serveStatic, type StaticServer } from './helpers/staticServer.js';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser.workerErrors.test: skipped, ${CHROMIUM} not found (install Debian's chromium package to run it)`);

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

describe.skipIf(!hasChromium)('shard-op errors in Web Workers', () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    server = await serveStatic({
      '/blank.html': { text: '<!doctype html><meta charset="utf-8"><title>segkit</title>' },
      '/segkit.js': dist('browser/segkit.js'),
      '/segkit.worker.js': dist('browser/segkit.worker.js'),
      // the worker script under a policy that allows no WebAssembly: every worker fails to set up its kernels
      // a script that loads and never answers: no worker of it is ever ready
      '/silent.worker.js': { text: 'self.onmessage = () => {};\n', headers: { 'Content-Type': 'text/javascript' } },
      '/nowasm.worker.js': { text: readFileSync(dist('browser/segkit.worker.js'), 'utf8'), headers: { 'Content-Security-Policy': "script-src 'self'" } },
      '/ops.js': {
        text: `import { defineOp, SegkitError } from './segkit.js';
export const indexOp = defineOp({ name: 'page.index', run(shard) { return shard.index; } }, import.meta.url);
export const nanOp = defineOp({ name: 'page.nan', run(shard) {
  if (shard.index === 3) throw new SegkitError('E_NAN_INPUT', 'row ' + shard.start + ' is NaN', 'drop or impute it');
  return shard.index;
} }, import.meta.url);
export const firstFailsOp = defineOp({ name: 'page.firstFails', run(shard, state) {
  if (shard.index === 0) throw new SegkitError('E_NAN_INPUT', 'row 0 is NaN');
  const end = performance.now() + state.ms;
  while (performance.now() < end);
  return shard.index;
} }, import.meta.url);
// in a worker, shard \`at\` makes an error no shard catches: the worker's error event, between two shards of the pass
export const diesOp = defineOp({ name: 'page.dies', run(shard, state) {
  if (shard.index === state.at && typeof WorkerGlobalScope !== 'undefined') setTimeout(() => { throw new Error('worker died'); });
  const end = performance.now() + state.ms;
  while (performance.now() < end);
  return shard.index;
} }, import.meta.url);
export const plainOp = defineOp({ name: 'page.plain', run(shard) { if (shard.index === 2) throw new RangeError('out of range'); return shard.index; } }, import.meta.url);`,
      },
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(isolated: boolean): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${server.url}${isolated ? '/isolated' : ''}/blank.html`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
    return page;
  }

  for (const isolated of [true, false]) {
    const mode = isolated ? 'shared memory' : 'held shards';
    it(`${mode}: a state that cannot be sent is E_EXECUTOR, a SegkitError in a worker keeps its code and hint, another error is E_WORKER naming the op; the next pass runs`, async () => {
      const page = await open(isolated);
      try {
        // a string, not a function: the test runner rewrites import() inside functions it compiles
        const got = await page.evaluate<Record<string, string>>(`(async () => {
          const segkit = await import('./segkit.js');
          const { indexOp, nanOp, plainOp } = await import('./ops.js');
          const ex = segkit.webWorkerExecutor({ threads: 2 });
          const said = (p) => p.then((v) => 'ok ' + JSON.stringify(v), (e) => typeof e.code + ' ' + e.code + ' | ' + e.message + ' | ' + e.hint);
          try {
            const h = await ex.load({ columns: [new Float32Array(16 * 6)] }, { shardRows: 16 });
            return {
              fn: await said(ex.map(indexOp, h, { f: () => 1 })),
              nan: await said(ex.map(nanOp, h, null)),
              plain: await said(ex.map(plainOp, h, null)),
              next: await said(ex.map(indexOp, h, null)),
            };
          } finally {
            await ex.close();
          }
        })()`);
        expect(got.fn).toMatch(/^string E_EXECUTOR \| /);
        expect(got.fn).toMatch(/could not|cannot/);
        expect(got.nan).toBe('string E_NAN_INPUT | row 48 is NaN (drop or impute it) | drop or impute it');
        expect(got.plain).toMatch(/^string E_WORKER \| .*"page\.plain".*out of range/);
        expect(got.next).toBe('ok [0,1,2,3,4,5]');
      } finally {
        await page.close();
      }
    }, 30_000);
  }

  it('shared memory: workers that cannot set up their kernels give E_WORKER saying why, each time, and are stopped', async () => {
    const page = await open(true);
    try {
      const got = await page.evaluate<string[]>(`(async () => {
        const segkit = await import('./segkit.js');
        const ex = globalThis.executor = segkit.webWorkerExecutor({ threads: 2, workerUrl: new URL('./nowasm.worker.js', location.href) });
        const rows = [[0, 1], [1, 0], [5, 5], [6, 5], [1, 1], [6, 6]];
        const said = (p) => p.then(() => 'finished', (e) => String(e instanceof segkit.SegkitError) + ' ' + e.code + ' ' + e.message);
        return [await said(segkit.kmeans(rows, { k: 2, seed: 1, executor: ex })), await said(segkit.kmeans(rows, { k: 2, seed: 1, executor: ex }))];
      })()`);
      for (const said of got) expect(said).toMatch(/^true E_WORKER setting up the kernels failed in a Web Worker: .*WebAssembly/);
      // stopped by the failure, not only by close()
      await expect.poll(() => page.workers().length).toBe(0);
      await page.evaluate('globalThis.executor.close()');
    } finally {
      await page.close();
    }
  }, 30_000);

  it('a worker script that loads but never answers fails the first pass with E_WORKER naming it after startTimeout, in both modes, and is stopped', async () => {
    const page = await open(true);
    try {
      const got = await page.evaluate<string[]>(`(async () => {
        const segkit = await import('./segkit.js');
        const { indexOp } = await import('./ops.js');
        const workerUrl = new URL('./silent.worker.js', location.href);
        const said = (p) => p.then(() => 'finished', (e) => String(e instanceof segkit.SegkitError) + ' ' + e.code + ' ' + e.message);
        const out = [];
        for (const sharedMemory of [true, false]) {
          const ex = segkit.webWorkerExecutor({ threads: 2, workerUrl, sharedMemory, startTimeout: 200 });
          // with shared memory the data is loaded in the page and the first map starts the workers; without, the load does
          const first = sharedMemory
            ? ex.load({ columns: [new Float32Array(16 * 4)] }, { shardRows: 16 }).then((h) => ex.map(indexOp, h, null))
            : ex.load({ columns: [new Float32Array(16 * 4)] }, { shardRows: 16 });
          out.push(await said(first));
          out.push(await said(ex.start()));
          await ex.close();
        }
        return out;
      })()`);
      expect(got).toHaveLength(4);
      for (const said of got) expect(said).toMatch(/^true E_WORKER the Web Worker script http:\/\/[^ ]+\/silent\.worker\.js did not answer within 200 ms of starting \(give segkit\.worker\.js as workerUrl, or a larger startTimeout where it loads slowly\)$/);
      await expect.poll(() => page.workers().length).toBe(0);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('an abort while the workers are still starting rejects with E_ABORTED when it comes, not after startTimeout, in both modes; a signal aborted before is E_ABORTED too', async () => {
    const page = await open(true);
    try {
      const got = await page.evaluate<string[]>(`(async () => {
        const segkit = await import('./segkit.js');
        const workerUrl = new URL('./silent.worker.js', location.href);
        const rows = Array.from({ length: 3000 }, (_, i) => [i % 7, (i * 13) % 11]);
        const out = [];
        for (const sharedMemory of [true, false]) {
          const ex = segkit.webWorkerExecutor({ threads: 2, workerUrl, sharedMemory, startTimeout: 5000 });
          const ac = new AbortController();
          setTimeout(() => ac.abort(), 100);
          out.push(await segkit.kmeans(rows, { k: 3, seed: 1, executor: ex, signal: ac.signal }).then(() => 'finished', (e) => e.code));
          out.push(await segkit.kmeans(rows, { k: 3, seed: 1, executor: ex, signal: ac.signal }).then(() => 'finished', (e) => e.code));
          await ex.close();
        }
        return out;
      })()`);
      // the script never answers: before, each fit waited out the 5 s and failed with E_WORKER
      expect(got).toEqual(['E_ABORTED', 'E_ABORTED', 'E_ABORTED', 'E_ABORTED']);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('a worker script the page may not start (another origin, an address that does not parse) is E_WORKER naming it, each time, in both modes', async () => {
    const page = await open(true);
    try {
      const got = await page.evaluate<string[]>(`(async () => {
        const segkit = await import('./segkit.js');
        const rows = [[0, 1], [1, 0], [5, 5], [6, 5], [1, 1], [6, 6]];
        const said = (p) => p.then(() => 'finished', (e) => String(e instanceof segkit.SegkitError) + ' ' + e.code + ' ' + e.message);
        const out = [];
        for (const workerUrl of ['https://segkit.invalid/segkit.worker.js', 'http://[segkit/segkit.worker.js']) {
          for (const sharedMemory of [true, false]) {
            const ex = segkit.webWorkerExecutor({ threads: 2, workerUrl, sharedMemory });
            out.push(await said(segkit.kmeans(rows, { k: 2, seed: 1, executor: ex })), await said(ex.start()));
            await ex.close();
          }
        }
        return out;
      })()`);
      expect(got).toHaveLength(8);
      got.forEach((said, i) => expect(said).toMatch(new RegExp(`^true E_WORKER could not start a Web Worker from ${i < 4 ? 'https://segkit\\.invalid/' : 'http://\\[segkit/'}segkit\\.worker\\.js: `)));
      expect(page.workers()).toHaveLength(0);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('held shards: a worker that dies during a pass gives its error (E_WORKER), not the E_CLOSED of the closing it causes; the executor starts new workers after', async () => {
    const page = await open(false);
    try {
      const got = await page.evaluate<string[]>(`(async () => {
        const segkit = await import('./segkit.js');
        const { diesOp } = await import('./ops.js');
        const ex = segkit.webWorkerExecutor({ threads: 2 });
        const said = (p) => p.then((v) => 'ok ' + JSON.stringify(v), (e) => String(e instanceof segkit.SegkitError) + ' ' + e.code + ' ' + e.message);
        try {
          const h = await ex.load({ columns: [new Float32Array(16 * 40)] }, { shardRows: 16 });
          // worker 2 holds the odd shards: it dies after shard 1, 19 shards of 30 ms before its reply
          const out = [await said(ex.map(diesOp, h, { at: 1, ms: 30 })), await said(ex.map(diesOp, h, { at: -1, ms: 0 }))];
          const again = await ex.load({ columns: [new Float32Array(16 * 4)] }, { shardRows: 16 });
          out.push(await said(ex.map(diesOp, again, { at: -1, ms: 0 })));
          return out;
        } finally {
          await ex.close();
        }
      })()`);
      expect(got[0]).toMatch(/^true E_WORKER a Web Worker stopped: .*worker died/);
      // the data went with the workers that held it
      expect(got[1]).toMatch(/^true E_CLOSED /);
      expect(got[2]).toBe('ok [0,1,2,3]');
    } finally {
      await page.close();
    }
  }, 30_000);

  it('held shards: a shard that fails in one worker stops the others\' passes, and the pass gives that shard\'s error', async () => {
    const page = await open(false);
    try {
      const got = await page.evaluate<{ said: string; ms: number }>(`(async () => {
        const segkit = await import('./segkit.js');
        const { firstFailsOp } = await import('./ops.js');
        const ex = segkit.webWorkerExecutor({ threads: 2 });
        try {
          const h = await ex.load({ columns: [new Float32Array(16 * 40)] }, { shardRows: 16 });
          await ex.map(firstFailsOp, h, { ms: 0 }, { shards: [1] });
          const t0 = performance.now();
          const said = await ex.map(firstFailsOp, h, { ms: 100 }).then(() => 'finished', (e) => e.code + ' ' + e.message);
          return { said, ms: performance.now() - t0 };
        } finally {
          await ex.close();
        }
      })()`);
      expect(got.said).toBe('E_NAN_INPUT row 0 is NaN');
      // the other worker holds 20 shards of 100 ms: 2 s when it ran them all
      expect(got.ms).toBeLessThan(1000);
    } finally {
      await page.close();
    }
  }, 30_000);
});
