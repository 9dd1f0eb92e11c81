import { existsSync } from 'node:fs';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeRuntime } from 'edge-runtime';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from './helpers.js';
import { kmeans } from '../src/index.js';
import { bundleNeutral, expectBlobsFound, fitScript, threeBlobs, type FitResult } from './helpers/neutralBundle.js';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`portability.test: the headless Chromium check is skipped, ${CHROMIUM} not found (install Debian's chromium package to run it)`);

const blobs = threeBlobs();
const script = fitScript(blobs);
let bundle: string;
// the same fit through the TypeScript sources in Node: every other realm must give exactly this result
let reference: FitResult;

beforeAll(async () => {
  bundle = await bundleNeutral();
  const m = await kmeans(blobs.rows, { k: 3, seed: 1, threads: 1 });
  reference = {
    labels: Array.from(m.labels),
    centroids: m.centroids,
    inertia: m.inertia,
    predicted: Array.from(await m.predict(blobs.centres)),
  };
});

describe('the neutral entry as one script', () => {
  it('finds the blobs in Node (the reference every realm below must match)', () => {
    expectBlobsFound(reference, blobs);
  });

  it('has no Node built-in import and no CommonJS require', () => {
    expect(bundle.length).toBeGreaterThan(1000);
    expect(bundle).not.toMatch(/["'`]node:/);
    // a module load is require("name"); a local helper that happens to be called require takes other arguments
    expect(bundle).not.toMatch(/\brequire\s*\(\s*["'`]/);
    expect(bundle).not.toMatch(/\b__require\b|\bcreateRequire\b/);
    // dynamic import() would fail in a classic script; JSDoc type imports in comments do not count
    const code = bundle.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    expect(code).not.toMatch(/\bimport\s*\(/);
    expect(bundle).toMatch(/\bvar segkit\b/);
  });
});

describe('edge runtime (EdgeVM: fetch-style globals, no process, no require, no eval)', () => {
  it('fits the blobs with threads: 1, bit-identical to Node', async () => {
    const edge = new EdgeRuntime();
    expect(edge.evaluate('typeof process + typeof require + typeof Buffer + typeof EdgeRuntime')).toBe('undefinedundefinedundefinedstring');
    edge.evaluate(bundle);
    const r: FitResult = JSON.parse(await edge.evaluate<Promise<string>>(script));
    expectBlobsFound(r, blobs);
    expect(r).toEqual(reference);
  });
});

describe('features and preparation in the edge runtime (no run-time code generation)', () => {
  it('rfm, behaviourFeatures, a pipeline and CSV read/write run and agree with Node', async () => {
    const edge = new EdgeRuntime();
    edge.evaluate(bundle);
    const code = `(async () => {
      const tx = [
        { c: 'a', inv: '1', d: '2024-01-02', amt: 10 }, { c: 'a', inv: '2', d: '2024-02-01', amt: 30 },
        { c: 'b', inv: '3', d: '2024-01-15', amt: 5 }, { c: 'c', inv: '4', d: '2024-03-01', amt: 50 },
      ];
      const r = segkit.rfm(tx, { customer: 'c', date: 'd', amount: 'amt', invoice: 'inv', asOf: '2024-03-02' });
      const ev = [
        { c: 'a', t: '2024-01-02T10:00:00Z', type: 'page_view' }, { c: 'a', t: '2024-01-02T10:05:00Z', type: 'video_view' },
        { c: 'b', t: '2024-01-03T09:00:00Z', type: 'page_view' },
      ];
      const b = segkit.behaviourFeatures(ev, { customer: 'c', timestamp: 't', type: 'type', asOf: '2024-01-04' });
      const table = await segkit.readCsv(segkit.writeCsv(r));
      const { dataset } = await segkit.pipeline({ columns: ['recency', 'frequency', 'monetary'] }).fitTransform(table);
      return JSON.stringify({
        recency: Array.from(r.getChild('recency').toArray()), segment: Array.from(r.getChild('segment').toArray()),
        sessions: Array.from(b.getChild('sessions').toArray()), first: Array.from(dataset.columns[0]),
      });
    })()`;
    const got = JSON.parse(await edge.evaluate<Promise<string>>(code));
    const { rfm, behaviourFeatures, readCsv, writeCsv, pipeline } = await import('../src/index.js');
    const tx = [
      { c: 'a', inv: '1', d: '2024-01-02', amt: 10 }, { c: 'a', inv: '2', d: '2024-02-01', amt: 30 },
      { c: 'b', inv: '3', d: '2024-01-15', amt: 5 }, { c: 'c', inv: '4', d: '2024-03-01', amt: 50 },
    ];
    const r = rfm(tx, { customer: 'c', date: 'd', amount: 'amt', invoice: 'inv', asOf: '2024-03-02' });
    expect(got.recency).toEqual([30, 47, 1]);
    expect(got.recency).toEqual(Array.from(r.getChild('recency')!.toArray()));
    expect(got.segment).toEqual(Array.from(r.getChild('segment')!.toArray()));
    const ev = [
      { c: 'a', t: '2024-01-02T10:00:00Z', type: 'page_view' }, { c: 'a', t: '2024-01-02T10:05:00Z', type: 'video_view' },
      { c: 'b', t: '2024-01-03T09:00:00Z', type: 'page_view' },
    ];
    expect(got.sessions).toEqual(Array.from(behaviourFeatures(ev, { customer: 'c', timestamp: 't', type: 'type', asOf: '2024-01-04' }).getChild('sessions')!.toArray()));
    const { dataset } = await pipeline({ columns: ['recency', 'frequency', 'monetary'] }).fitTransform(await readCsv(writeCsv(r)));
    expect(got.first).toEqual(Array.from(dataset.columns[0]));
  });
});

describe('a bare ECMAScript realm with WebAssembly and a few web globals', () => {
  // a fresh node:vm context holds only the ECMAScript built-ins, WebAssembly and V8's own console
  const bare = (globals: Record<string, unknown>) => vm.createContext({ ...globals }, { codeGeneration: { strings: false, wasm: true } });
  const absent = ['process', 'Buffer', 'fetch', 'require', 'module', 'global', 'setTimeout', 'queueMicrotask', 'structuredClone', 'self', 'window', 'navigator'];

  it('fits the blobs with only atob, TextDecoder, TextEncoder and console added, bit-identical to Node', async () => {
    const ctx = bare({ atob, TextDecoder, TextEncoder, console });
    const missing = vm.runInContext(`${JSON.stringify(absent)}.filter((g) => typeof globalThis[g] !== 'undefined')`, ctx);
    expect(Array.from(missing)).toEqual([]);
    vm.runInContext(bundle, ctx);
    const r: FitResult = JSON.parse(await vm.runInContext(script, ctx));
    expectBlobsFound(r, blobs);
    expect(r).toEqual(reference);
  });

  it('needs nothing from the host but atob (kernel bytes), TextDecoder (read when segkit loads) and TextEncoder (read by the parquet writer)', async () => {
    const ctx = bare({ atob, TextDecoder, TextEncoder });
    vm.runInContext(bundle, ctx);
    const r: FitResult = JSON.parse(await vm.runInContext(script, ctx));
    expect(r).toEqual(reference);
  });
});

describe.skipIf(!hasChromium)('headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads the script into a blank page and fits the blobs, bit-identical to Node, with no page error', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
    });
    try {
      await page.addScriptTag({ content: bundle });
      const r: FitResult = JSON.parse(await page.evaluate<string>(script));
      expectBlobsFound(r, blobs);
      expect(r).toEqual(reference);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
