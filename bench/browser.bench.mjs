// k-means in a browser tab: a 1,000,000 x 16, k = 8 fit (k-means++ init, default tolerance) in headless Chromium
// on webWorkerExecutor with 2 Web Workers sharing one memory, against the same fit in Node on 2 threads (the
// piscina pool), in one run. Both generate the same seeded blobs and must reach the same labels and inertia.
//   node bench/browser.bench.mjs [rows]       (needs `npm run build` and /usr/bin/chromium)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { close, fromColumns, kmeans } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`browser.bench: skipped, ${CHROMIUM} not found`);
  process.exit(0);
}
const n = Number(process.argv[2] ?? 1_000_000), d = 16, k = 8, THREADS = 2;
const dist = (p) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

// the page gets the same generator as source: one seeded stream, the same float32 columns
const blobSource = `${blobs.toString()}`;

function hash(labels) {
  let h = 2166136261;
  for (let i = 0; i < labels.length; i++) h = Math.imul(h ^ labels[i], 16777619);
  return (h >>> 0).toString(16);
}

// Node: the piscina pool on 2 threads (a warm-up fit starts its workers first)
const data = blobs(n, d, k, 0);
const ds = fromColumns(data);
await kmeans(fromColumns(blobs(70_000, d, k, 1)), { k, seed: 1, threads: THREADS });
let t = performance.now();
const m = await kmeans(ds, { k, seed: 1, threads: THREADS });
const nodeMs = performance.now() - t;
const node = { ms: nodeMs, iterations: m.iterations, inertia: m.inertia, labels: hash(m.labels) };
await close();
const nodeRss = process.resourceUsage().maxRSS / 1024;

// Chromium: a cross-origin isolated page on localhost
const files = { '/segkit.js': dist('browser/segkit.js'), '/segkit.worker.js': dist('browser/segkit.worker.js') };
const server = createServer((req, res) => {
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  if (req.url === '/') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end('<!doctype html><title>bench</title>');
  const f = files[req.url];
  if (!f) return res.writeHead(404).end();
  res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(readFileSync(f));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
let page;
try {
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const inPage = await page.evaluate(`(async () => {
    const segkit = await import('./segkit.js');
    const { createRandom } = segkit;
    const blobs = ${blobSource};
    const hash = ${hash.toString()};
    const executor = segkit.webWorkerExecutor({ threads: ${THREADS} });
    await executor.start();
    await segkit.kmeans(segkit.fromColumns(blobs(70_000, ${d}, ${k}, 1)), { k: ${k}, seed: 1, executor });
    const ds = segkit.fromColumns(blobs(${n}, ${d}, ${k}, 0));
    const t = performance.now();
    const m = await segkit.kmeans(ds, { k: ${k}, seed: 1, executor });
    const ms = performance.now() - t;
    const memory = executor.sharedMemory;
    await executor.close();
    return { ms, iterations: m.iterations, inertia: m.inertia, labels: hash(m.labels), isolated: crossOriginIsolated, shared: memory };
  })()`);
  const rss = execFileSync('ps', ['-C', 'chromium', '-o', 'rss=']).toString().trim().split(/\s+/).reduce((a, b) => a + Number(b), 0) / 1024;
  const same = inPage.labels === node.labels && inPage.inertia === node.inertia && inPage.iterations === node.iterations;
  console.log(`k-means fit, ${n.toLocaleString('en-US')} x ${d}, k = ${k}, k-means++ (seed 1), default tolerance; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  Node, piscina ${THREADS} threads:              ${node.ms.toFixed(0).padStart(6)} ms  (${node.iterations} iterations; peak RSS ${nodeRss.toFixed(0)} MB)`);
  console.log(`  Chromium, ${THREADS} Web Workers (shared memory): ${inPage.ms.toFixed(0).padStart(6)} ms  (${inPage.iterations} iterations; Chromium processes' RSS ${rss.toFixed(0)} MB)`);
  console.log(`  ratio Chromium / Node: ${(inPage.ms / node.ms).toFixed(2)}x   [target <= 1.3x]`);
  console.log(`  same labels, inertia and iterations: ${same ? 'yes' : 'NO'} (cross-origin isolated: ${inPage.isolated}, shared memory: ${inPage.shared})`);
  if (!same) process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
