// The whole toolkit in an edge runtime (EdgeVM: no eval, no new Function, no process, no file system): the report,
// the customer view's joins and aggregations, the sample generators, a fit and scoring, and the example fetch
// handler; each gives exactly what it gives in Node. And the size budget of the neutral entry.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { EdgeRuntime } from 'edge-runtime';
import { rolldown } from 'rolldown';
import * as segkit from '../src/index.node.js';
import * as sample from '../src/sample/index.js';
import { kernelBinary } from '../src/kernels/wasm.js';
import { bundleNeutral, NEUTRAL_ENTRY } from './helpers/neutralBundle.js';

const DIST = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/edge/score.mjs', import.meta.url));

/** One classic script defining the global `name`, with `segkit` resolved to the built neutral entry. */
async function bundleScript(input: string, name: string): Promise<string> {
  const b = await rolldown({
    input,
    platform: 'browser',
    logLevel: 'silent',
    plugins: [{ name: 'segkit-neutral', resolveId: (id) => (id === 'segkit' ? NEUTRAL_ENTRY : null) }],
  });
  try {
    const { output } = await b.generate({ format: 'iife', name });
    expect(output).toHaveLength(1);
    return output[0].code;
  } finally {
    await b.close();
  }
}

/** A fresh edge runtime with segkit and segkit/sample loaded as the globals `segkit` and `segkitSample`. */
let scripts: { neutral: string; sample: string; example: string };
function edge(): EdgeRuntime {
  const runtime = new EdgeRuntime();
  expect(runtime.evaluate('(() => { try { new Function("return 1"); return "allowed"; } catch { return "refused"; } })()')).toBe('refused');
  runtime.evaluate(scripts.neutral);
  runtime.evaluate(scripts.sample);
  return runtime;
}
const inEdge = async <T>(code: string, runtime = edge()): Promise<T> => JSON.parse(await runtime.evaluate<Promise<string>>(`(async () => JSON.stringify(await (async () => { ${code} })()))()`));

beforeAll(async () => {
  const [neutral, sampleScript, example] = await Promise.all([bundleNeutral(), bundleScript(DIST('sample/index.js'), 'segkitSample'), bundleScript(EXAMPLE, 'edgeExample')]);
  scripts = { neutral, sample: sampleScript, example };
}, 120_000);

/** The same rows in Node and in the edge: three groups of customers in two features. */
const ROWS = Array.from({ length: 300 }, (_, i) => ({ id: `c${i}`, spend: (i % 3) * 40 + Math.sin(i) * 5 + 50, visits: (i % 3) * 7 + Math.cos(i * 1.7) * 2 + 10 }));

/** Fits, profiles and reports on the rows, with `lib` (segkit in Node, or the global in the edge): the same source runs in both. */
async function reportRun(lib: typeof segkit, rows: typeof ROWS): Promise<{ labels: number[]; html: string; scored: number[]; json: string }> {
  const prep = lib.pipeline({ id: 'id' });
  const { dataset } = await prep.fitTransform(rows, { threads: 1 });
  const model = await lib.kmeans(dataset, { k: 3, seed: 4, threads: 1 });
  const profiles = lib.profileSegments(dataset, model.labels, 3);
  const html = await lib.buildReport({ data: dataset, labels: model.labels, centroids: model.centroids, k: 3, profiles, seed: 1, metrics: { inertia: model.inertia } });
  const saved = new lib.SegmentModel({ pipeline: prep, model, segments: profiles.segments.map((s) => ({ id: s.id, name: s.name, size: s.size, share: s.share, means: Object.fromEntries(profiles.features.map((f, j) => [f, s.mean[j]])) })) });
  const json = JSON.stringify(saved.toJSON());
  const scored = await lib.SegmentModel.fromJSON(json).predict(rows.slice(0, 50), { threads: 1 });
  return { labels: Array.from(model.labels), html, scored: Array.from(scored), json };
}

describe('in the edge runtime, the same results as Node', () => {
  it('buildReport: a fit, its profiles and the whole HTML report with its charts, identical to Node\'s', async () => {
    const want = await reportRun(segkit, ROWS);
    const got = await inEdge<typeof want>(`return (${reportRun.toString()})(segkit, ${JSON.stringify(ROWS)});`);
    expect((got.html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(got.labels).toEqual(want.labels);
    expect(new Set(got.labels).size).toBe(3);
    expect(got.html).toBe(want.html);
    // the saved model scores in the edge as it does in Node, and the rows get their fitted labels back
    expect(got.json).toBe(want.json);
    expect(got.scored).toEqual(want.scored);
    expect(got.scored).toEqual(want.labels.slice(0, 50));
  });

  it('joinCustomers and aggregateByCustomer over tables read in the edge, identical to Node', async () => {
    const customers = 'id,name\n1,ann\n2,bob\n3,cy\n4,di\n';
    const orders = 'who,amount,day,channel\n3,5,2024-01-02,web\n1,2.5,2024-01-03,store\n3,1,2024-01-05,\n9,7,2024-01-01,web\n1,,2024-01-09,app\n';
    const code = async (lib: typeof segkit, c: string, o: string) => {
      const log = await lib.readCsv(o, { parseDates: true });
      const per = await lib.aggregateByCustomer(log, {
        key: 'who',
        aggregations: {
          orders: { op: 'count' }, spend: { column: 'amount', op: 'sum' }, avg: { column: 'amount', op: 'mean' }, most: { column: 'amount', op: 'max' },
          first: { column: 'day', op: 'min' }, last: { column: 'channel', op: 'last' }, channels: { column: 'channel', op: 'distinct' },
        },
      });
      const view = await lib.joinCustomers(await lib.readCsv(c), [{ table: per, key: 'who', prefix: 'o_' }], { key: 'id' });
      return { types: view.schema.fields.map((f) => `${f.name}:${String(f.type)}`), csv: lib.writeCsv(view) };
    };
    const want = await code(segkit, customers, orders);
    const got = await inEdge<typeof want>(`return (${code.toString()})(segkit, ${JSON.stringify(customers)}, ${JSON.stringify(orders)});`);
    expect(got).toEqual(want);
    expect(want.csv.split('\n')[1]).toBe('1,ann,2,2.5,2.5,2.5,2024-01-03,app,2');
    expect(want.csv.split('\n')[2]).toBe('2,bob,,,,,,,');
  });

  it('the sample generators (customers, their transactions and events), byte for byte as in Node', async () => {
    const code = (lib: typeof segkit, s: typeof sample) => {
      const customers = s.sampleCustomers({ n: 300, seed: 9 });
      return [customers, s.sampleTransactions(customers, { seed: 9 }), s.sampleEvents(customers.slice(0, 40), { seed: 9 })].map((t) => lib.writeCsv(t));
    };
    const want = code(segkit, sample);
    const got = await inEdge<string[]>(`return (${code.toString()})(segkit, segkitSample);`);
    expect(want[0].split('\n')).toHaveLength(302);
    expect(got).toEqual(want);
  });

  it('examples/edge: the fetch handler scores posted JSON customers with its model file, as SegmentModel does in Node', async () => {
    const runtime = edge();
    runtime.evaluate(scripts.example);
    runtime.evaluate('addEventListener("fetch", (event) => event.respondWith(edgeExample.default.fetch(event.request)))');
    const customers = (await segkit.readCsv(readFileSync(fileURLToPath(new URL('../examples/customers.csv', import.meta.url))))).slice(0, 200);
    const records = JSON.parse(segkit.writeJson(customers)) as Record<string, unknown>[];
    const model = segkit.SegmentModel.fromJSON(readFileSync(fileURLToPath(new URL('../examples/edge/model.json', import.meta.url)), 'utf8'));
    const want = await model.predict(records, { threads: 1 });

    const res = await runtime.dispatchFetch('https://edge.example/score', { method: 'POST', body: JSON.stringify(records), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { segments: { customer_id: string; segment: number; name: string }[] };
    expect(body.segments.map((s) => s.segment)).toEqual(Array.from(want));
    expect(body.segments.map((s) => s.customer_id)).toEqual(records.map((r) => r.customer_id));
    expect(body.segments.map((s) => s.name)).toEqual(Array.from(want, (l) => model.names[l]));

    const missing = await runtime.dispatchFetch('https://edge.example/score', { method: 'POST', body: JSON.stringify([{ customer_id: 'x', age: 3 }]) });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('E_MISSING_COLUMN');
    expect((await runtime.dispatchFetch('https://edge.example/score', { method: 'POST', body: '{not json' })).status).toBe(400);
    expect((await runtime.dispatchFetch('https://edge.example/score')).status).toBe(405);
  });
});

describe('size budget', () => {
  // KB as 1024 bytes; the report (src/report/ and the vega engines it loads on first use), the Parquet codecs
  // (hyparquet and hyparquet-writer) and segkit's Parquet decoder and encoder (src/data/parquetDecode.ts,
  // src/data/parquetEncode.ts), the Arrow IPC codec
  // (#arrow/ipc, package.json imports: apache-arrow/ipc), the decompressors for compressed Arrow and Parquet
  // (src/data/codecs.ts), the silhouette of many small clusters (src/metrics/silhouetteDirect.ts), the growing of trees and forests
  // (src/core/fitTrees.ts and what only it imports), the CSV parser (papaparse) and
  // segkit's CSV reader (src/data/csvCore.ts), and the JSON readers' key order (src/data/jsonKeyOrder.ts), each loaded
  // on first use, are left out
  const LAZY = [/[\\/]report[\\/]/, /^vega/, /^hyparquet/, /^#arrow\/ipc$/, /^apache-arrow\/ipc\//, /[\\/]data[\\/]codecs\.js$/, /[\\/]data[\\/]parquetDecode\.js$/, /[\\/]data[\\/]parquetEncode\.js$/, /[\\/]core[\\/]hdbscan\.js$/, /[\\/]metrics[\\/]silhouetteDirect\.js$/, /[\\/]core[\\/]fitTrees\.js$/, /[\\/]data[\\/]jsonKeyOrder\.js$/, /^papaparse$/, /[\\/]data[\\/]csvCore\.js$/];
  const minifiedGzip = async (input: string, alias?: Record<string, string>, external = LAZY): Promise<{ code: string; gz: number }> => {
    const b = await rolldown({ input, platform: 'browser', logLevel: 'silent', external, ...(alias ? { resolve: { alias } } : {}) });
    try {
      const { output } = await b.generate({ format: 'esm', minify: true, codeSplitting: false });
      expect(output).toHaveLength(1);
      return { code: output[0].code, gz: gzipSync(output[0].code, { level: 9 }).length };
    } finally {
      await b.close();
    }
  };

  it('an edge function (examples/edge, with its model) bundles at most 150 KB of segkit minified and gzipped', async () => {
    const { code, gz } = await minifiedGzip(EXAMPLE, { segkit: NEUTRAL_ENTRY });
    expect(code).toContain('kmeans.assign');
    console.log(`size budget: examples/edge bundled ${code.length} bytes minified, ${gz} bytes (${(gz / 1024).toFixed(1)} KiB) gzipped`);
    expect(gz).toBeLessThanOrEqual(150 * 1024);
  });

  it('the whole neutral entry without the report is at most 166 KB minified and gzipped; each wasm module at most 21 KB', async () => {
    const { code, gz } = await minifiedGzip(NEUTRAL_ENTRY);
    expect(code).toContain('kmeans.assign');
    expect(code).not.toMatch(/vega-lite|vega-scenegraph/);
    // the Parquet codecs are imported where a Parquet file is first read (with segkit's decoder) or written
    expect(code).toMatch(/import\(.\.\/data\/parquetDecode\.js/);
    expect(code).toMatch(/import\(.\.\/data\/parquetEncode\.js/);
    // and the Arrow IPC codec where Arrow IPC bytes are first read or written
    expect(code).toMatch(/import\(.#arrow\/ipc./);
    // the IPC file magic survives minification; it is in any bundle that holds the codec
    expect(code).not.toContain('ARROW1');
    // and the decompressors where compressed Arrow or Parquet data is first read
    expect(code).toMatch(/import\(.\.\/data\/codecs\.js/);
    // and HDBSCAN's spanning and condensed trees where hdbscan is first called
    expect(code).toMatch(/import\(.\.\/core\/hdbscan\.js/);
    // and the silhouette of many small clusters where it is first needed
    expect(code).toMatch(/import\(.\.\/metrics\/silhouetteDirect\.js/);
    // and the growing of trees and forests where decisionTree or randomForest first fits (scoring needs none of it)
    expect(code).toMatch(/import\(.\.\/core\/fitTrees\.js/);
    // and segkit's CSV reader where CSV is first read (it loads papaparse)
    expect(code).toMatch(/import\(.\.\/data\/csvCore\.js/);
    // and the order of JSON keys named like integers where a JSON table has such a column
    expect(code).toMatch(/import\(.\.\/data\/jsonKeyOrder\.js/);
    // none of the lazy modules is also imported statically (they are external here, so a static import would
    // show as an import statement rather than as their code)
    expect(code).not.toMatch(/\bfrom\s*["'](papaparse|hyparquet[^"']*|#arrow\/ipc|apache-arrow\/ipc\/[^"']*|[^"']*codecs\.js|[^"']*parquetDecode\.js|[^"']*parquetEncode\.js|[^"']*hdbscan\.js|[^"']*silhouetteDirect\.js|[^"']*fitTrees\.js|[^"']*csvCore\.js|[^"']*jsonKeyOrder\.js)["']/);
    // two modules over one memory: the core one (all that scoring and k-means compile) and the extra one; and the
    // CSV reader's, over a memory of its own (plain only)
    const extra = await import('../src/kernels/wasmExtraBytes.generated.js');
    const csv = await import('../src/kernels/wasmCsvBytes.generated.js');
    const builds: [Uint8Array, string][] = [
      [kernelBinary(false), 'segkit.wasm'], [kernelBinary(true), 'segkit.shared.wasm'],
      [kernelBinary(false, extra), 'segkit.extra.wasm'], [kernelBinary(true, extra), 'segkit.extra.shared.wasm'],
      [kernelBinary(false, csv), 'segkit.csv.wasm'],
    ];
    // each shared build is embedded as the plain one plus the bytes that differ: rebuilt, it is the compiler's output
    for (const [bytes, file] of builds) expect(Buffer.from(bytes).equals(readFileSync(new URL(`../build/${file}`, import.meta.url)))).toBe(true);
    const wasm = builds.map(([b]) => b.length);
    // both modules import one memory: neither may write it when instantiated (no data segment, start function,
    // global or table), only kernels called with the host's pointers do
    const sections = (b: Uint8Array): number[] => {
      const ids: number[] = [];
      for (let p = 8; p < b.length;) {
        ids.push(b[p++]);
        let len = 0, shift = 0, x: number;
        do { x = b[p++]; len += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
        p += len;
      }
      return ids;
    };
    for (const [bytes] of builds) expect(sections(bytes).filter((id) => id !== 0)).toEqual([1, 2, 3, 7, 10]);
    console.log(`size budget: neutral entry without the report ${code.length} bytes minified, ${gz} bytes (${(gz / 1024).toFixed(1)} KiB) gzipped; wasm ${wasm.join(' + ')} bytes`);
    // what reading CSV adds when it is first used
    const withCsv = await minifiedGzip(NEUTRAL_ENTRY, undefined, LAZY.slice(0, -1));
    expect(withCsv.code).not.toMatch(/import\(.\.\/data\/csvCore\.js/);
    expect(withCsv.code).toMatch(/import\(.papaparse./);
    console.log(`size budget: with the CSV reader, ${withCsv.gz} bytes (${(withCsv.gz / 1024).toFixed(1)} KiB) gzipped`);
    // clustering of every kind, preparation, readers and writers, metrics, classifiers, explanations and drift
    // statistics, with the wasm kernels embedded
    expect(gz).toBeLessThanOrEqual(166 * 1024);
    for (const n of wasm) {
      expect(n).toBeGreaterThan(512);
      // the core module holds every kernel scoring and k-means call (21 KB since predict's copy-and-centre pass)
      expect(n).toBeLessThanOrEqual(21 * 1024);
    }
  });
});
