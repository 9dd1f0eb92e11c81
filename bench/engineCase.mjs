// One case of bench/engine.bench.mjs in a fresh process (so its peak memory is its own): segkit on the bytes the
// parent wrote. Prints one JSON line. Usage: node --expose-gc bench/engineCase.mjs '<json config>'
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(process.argv[2]);
const dist = cfg.dist;
const { kmeans, close, fromColumns } = await import(pathToFileURL(`${dist}/index.node.js`).href);
const { n, d, k, threads = 2, repeats = 3 } = cfg;

// a copy of the file's own bytes (a small Buffer is a view into a shared pool)
const bytesOf = (file) => { const b = readFileSync(file); return b.buffer.slice(b.byteOffset, b.byteOffset + b.length); };
const raw = new Float32Array(bytesOf(cfg.data));
const columns = Array.from({ length: d }, (_, j) => {
  const c = new Float32Array(n);
  for (let i = 0; i < n; i++) c[i] = raw[i * d + j];
  return c;
});
const ds = fromColumns({ columns });
const init = cfg.centres ? (() => {
  const c = new Float64Array(bytesOf(cfg.centres));
  return Array.from({ length: k }, (_, t) => Array.from(c.subarray(t * d, (t + 1) * d)));
})() : undefined;

// start the pool and compile the kernels on a small fit, so fixed costs are not counted as the case's
await kmeans(fromColumns({ columns: columns.map((c) => c.slice(0, 4096)) }), { k: Math.min(k, 8), seed: 1, threads, maxIter: 5 });

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
let peak = 0, base = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
async function measured(run) {
  globalThis.gc?.();
  base = process.memoryUsage().rss;
  peak = base;
  const timer = setInterval(sample, 2);
  const r = await run(sample);
  sample();
  clearInterval(timer);
  return { r, addedMB: (peak - base) / 2 ** 20 };
}
async function timed(run) {
  const times = [];
  let last;
  for (let r = 0; r < repeats; r++) {
    globalThis.gc?.();
    const t = performance.now();
    last = await run();
    times.push(performance.now() - t);
  }
  return { ms: median(times), all: times, last };
}

const out = { case: cfg.name, what: cfg.what, dataMB: (n * d * 4) / 2 ** 20 };
if (cfg.what === 'fit' || cfg.what === 'fit-pp') {
  const options = cfg.what === 'fit' ? { k, init, tol: 1e-4, threads } : { k, seed: cfg.seed ?? 0, tol: 1e-4, threads };
  const computed = [];
  const mem = await measured((s) => kmeans(ds, { ...options, onProgress: (p) => { s(); computed.push(p.computed ?? 1); } }));
  out.addedMB = mem.addedMB;
  out.computed = computed;
  const t = await timed(() => kmeans(ds, options));
  out.ms = t.ms;
  out.all = t.all;
  out.iterations = t.last.iterations;
  out.inertia = t.last.inertia;
  if (cfg.labels) {
    const want = new Int32Array(bytesOf(cfg.labels));
    let diff = 0;
    for (let i = 0; i < n; i++) if (want[i] !== t.last.labels[i]) diff++;
    out.labelsDiffer = diff;
  }
} else if (cfg.what === 'predict' || cfg.what === 'predict-shared') {
  const model = await kmeans(ds, { k, init, tol: 1e-4, threads });
  // new arrays each time: the rows are not in wasm memory when predict starts; 'predict-shared': in SharedArrayBuffers
  // (as segkit's Arrow reader gives a batch for `segkit score`), which every thread reads where they are
  const copy = cfg.what === 'predict' ? (c) => c.slice() : (c) => {
    const s = new Float32Array(new SharedArrayBuffer(c.byteLength));
    s.set(c);
    return s;
  };
  const fresh = () => fromColumns({ columns: columns.map(copy) });
  const mem = await measured(() => model.predict(fresh(), { threads }));
  out.addedMB = mem.addedMB;
  const inputs = Array.from({ length: repeats }, fresh);
  let r = 0;
  const t = await timed(() => model.predict(inputs[r++], { threads }));
  out.ms = t.ms;
  out.all = t.all;
  let diff = 0;
  for (let i = 0; i < n; i++) if (t.last[i] !== model.labels[i]) diff++;
  out.labelsDiffer = diff;
} else if (cfg.what === 'pass') {
  // one plain assignment pass over data already loaded: 2 n k d flops
  const { executorFor } = await import(pathToFileURL(`${dist}/engine/defaultExecutor.js`).href);
  const { loadMatrix } = await import(pathToFileURL(`${dist}/engine/matrix.js`).href);
  const { centresF32 } = await import(pathToFileURL(`${dist}/kernels/shard.js`).href);
  const { assignOp } = await import(pathToFileURL(`${dist}/core/kmeansOps.js`).href);
  const ex = executorFor(threads);
  const m = await loadMatrix(ex, ds);
  const c = new Float64Array(k * d);
  init.forEach((row, t) => row.forEach((v, j) => (c[t * d + j] = v - m.offset[j])));
  const { cent, norms } = centresF32(c, k, d);
  const state = { cent, norms, k, reset: false, sums: false, dist: false };
  await ex.map(assignOp, m.handle, state);
  const t = await timed(() => ex.map(assignOp, m.handle, state));
  out.ms = t.ms;
  out.all = t.all;
  out.gflops = (2 * n * k * d) / (t.ms / 1000) / 1e9;
  await m.release();
}
await close();
console.log(JSON.stringify(out));
