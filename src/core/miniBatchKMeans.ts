import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom, type Random } from '../util/random.js';
import { assertResolution, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { freshOrNone, type Handle } from '../engine/executor.js';
import type { Matrix } from '../engine/matrix.js';
import { padRows } from '../kernels/layout.js';
import { centresF32, type AnyTypedArray } from '../kernels/shard.js';
import { kmeansPlusPlus } from './initCentroids.js';
import { checkDistinct, explicitCentroids, fitOnLoad, noEmptyOnceCentred, storedStart } from './kmeans.js';
import { assignOp, farthestOp } from './kmeansOps.js';
import { kmeansParallel } from './kmeansParallel.js';
import { decayOf, labelRows, MiniBatchKMeansModel } from './miniBatchKMeansModel.js';
import { gatherOp, rowMajorOp, stepsOp, type StepsResult, type StepsState } from './miniBatchOps.js';
import { GATHER_ROWS } from '../kernels/rowMajor.js';
import type { RunOptions } from './model.js';

export interface MiniBatchProgress {
  step: number;
  /** Steps the fit plans (it may stop early). */
  steps: number;
  /** Inertia of the last step's batch, per row. */
  batchInertia: number;
}

export interface MiniBatchKMeansOptions extends RunOptions {
  k: number;
  /** 'k-means++' (on initSize drawn rows, as scikit-learn), 'k-means||' (on every row), 'random', or k centroids. */
  init?: 'k-means++' | 'k-means||' | 'random' | readonly (readonly number[])[];
  batchSize?: number;
  /** Passes over the data: the fit takes maxIter * n / batchSize steps at most. */
  maxIter?: number;
  /** Stop after this many steps whose smoothed batch inertia did not improve (null: never). */
  maxNoImprovement?: number | null;
  /** Stop when the centres move less than this (relative to the mean feature variance); 0: never. */
  tol?: number;
  /** A centre whose count falls below this share of the largest moves to a row of the batch. */
  reassignmentRatio?: number;
  /** Rows drawn for k-means++ and random starts (default 3 batchSize, at least 3k). */
  initSize?: number;
  /** Starts tried, keeping the one with the lowest inertia on initSize drawn rows; 'auto': 3 for random (1 with `partial`), else 1. */
  nInit?: number | 'auto';
  seed?: number;
  sampleWeight?: ArrayLike<number>;
  /**
   * Start as scikit-learn's first partial_fit call: initialise on these rows, then one step per consecutive
   * batchSize rows, in order (no sampling, no early stop). With halfLife, counts decay as in partialFit. As there, a
   * centre no row is nearest keeps no rows unless a reassignment moves it (a fit gives it the farthest row).
   */
  partial?: boolean;
  halfLife?: number;
  halfLifeUnit?: 'batches' | 'rows';
  onProgress?: (p: MiniBatchProgress) => void;
}

export const miniBatchKMeansDefaults = Object.freeze({
  init: 'k-means++' as const,
  batchSize: 1024,
  maxIter: 100,
  maxNoImprovement: 10,
  tol: 0,
  reassignmentRatio: 0.01,
  nInit: 'auto' as const,
  seed: 0,
});

const OPTIONS = [
  'k', 'init', 'batchSize', 'maxIter', 'maxNoImprovement', 'tol', 'reassignmentRatio', 'initSize', 'nInit', 'seed',
  'sampleWeight', 'partial', 'halfLife', 'halfLifeUnit', 'executor', 'threads', 'signal', 'onProgress',
] as const;

interface Checked {
  k: number;
  init: 'k-means++' | 'k-means||' | 'random' | 'explicit';
  explicit?: Float64Array;
  batch: number;
  maxIter: number;
  maxNoImprovement: number;
  tol: number;
  ratio: number;
  initSize: number;
  nInit: number;
  seed: number;
  partial: boolean;
  decay: number;
  decayPerRow: boolean;
}

function check(o: MiniBatchKMeansOptions, ds: Dataset): Checked {
  if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with at least { k }');
  checkOptions(o, OPTIONS, 'miniBatchKMeans');
  const { k } = o;
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'a positive integer');
  if (k > ds.n) throw new SegkitError('E_TOO_FEW_DISTINCT', `option "k" is ${k} but the data has only ${ds.n} rows`);
  const int = (name: string, v: unknown, min: number): number => {
    if (!Number.isInteger(v) || (v as number) < min) throw badOption(name, v, `an integer >= ${min}`);
    return v as number;
  };
  const raw = orDefault(o.init, miniBatchKMeansDefaults.init);
  let init: Checked['init'];
  let explicit: Float64Array | undefined;
  if (Array.isArray(raw)) {
    init = 'explicit';
    explicit = explicitCentroids(raw, k, ds.d, true);
  } else if (raw === 'k-means++' || raw === 'k-means||' || raw === 'random') {
    init = raw;
  } else {
    throw badOption('init', raw, '"k-means++", "k-means||", "random" or an array of k centroids');
  }
  const batch = Math.min(int('batchSize', orDefault(o.batchSize, miniBatchKMeansDefaults.batchSize), 1), ds.n);
  const maxIter = int('maxIter', orDefault(o.maxIter, miniBatchKMeansDefaults.maxIter), 1);
  const mni = o.maxNoImprovement === undefined ? miniBatchKMeansDefaults.maxNoImprovement : o.maxNoImprovement;
  const maxNoImprovement = mni === null ? 0 : int('maxNoImprovement', mni, 1);
  const tol = orDefault(o.tol, miniBatchKMeansDefaults.tol);
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) throw badOption('tol', tol, 'a finite number >= 0');
  const ratio = orDefault(o.reassignmentRatio, miniBatchKMeansDefaults.reassignmentRatio);
  if (typeof ratio !== 'number' || !(ratio >= 0) || !Number.isFinite(ratio)) throw badOption('reassignmentRatio', ratio, 'a finite number >= 0');
  // scikit-learn's _init_size: 3 batch sizes, at least 3k, at most n
  let initSize = o.initSize === undefined ? 3 * batch : int('initSize', o.initSize, 1);
  if (initSize < k) initSize = 3 * k;
  initSize = Math.min(initSize, ds.n);
  const nInitRaw = orDefault(o.nInit, miniBatchKMeansDefaults.nInit);
  // scikit-learn's first partial_fit draws one start whatever n_init; an explicit nInit is still honoured
  const nInit = init === 'explicit' ? 1 : nInitRaw === 'auto' ? (init === 'random' && !o.partial ? 3 : 1) : int('nInit', nInitRaw, 1);
  const seed = orDefault(o.seed, miniBatchKMeansDefaults.seed);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer of at most 2^53 in magnitude');
  if (o.partial !== undefined && typeof o.partial !== 'boolean') throw badOption('partial', o.partial, 'true or false');
  return { k, init, explicit, batch, maxIter, maxNoImprovement, tol, ratio, initSize, nInit, seed, partial: !!o.partial, ...decayOf(o) };
}

/** Drawn rows, column-major (one Float32Array per feature, in the order drawn), with their weights. */
interface Gathered {
  columns: Float32Array[];
  weights?: Float32Array;
}

/**
 * The stored values and weights of the given rows, in the given order. Each shard reads its rows from its own
 * columns; the caller puts each value in its place.
 */
async function gather(m: Matrix, rows: Int32Array, signal?: AbortSignal): Promise<Gathered> {
  const sr = m.handle.shardRows, shards = m.handle.shards, len = rows.length;
  const from = new Int32Array(shards + 1);
  for (let q = 0; q < len; q++) from[Math.floor(rows[q] / sr) + 1]++;
  for (let s = 0; s < shards; s++) from[s + 1] += from[s];
  // every shard's rows in the given order, and where each goes
  const grouped = new Int32Array(len), place = new Int32Array(len), fill = from.slice();
  for (let q = 0; q < len; q++) {
    const t = fill[Math.floor(rows[q] / sr)]++;
    grouped[t] = rows[q];
    place[t] = q;
  }
  const used: number[] = [];
  for (let s = 0; s < shards; s++) if (from[s + 1] > from[s]) used.push(s);
  const parts = await m.ex.map(gatherOp, m.handle, { rows: grouped, from }, { shards: used, signal });
  const d = m.d;
  const columns = Array.from({ length: d }, () => new Float32Array(len));
  const weights = m.weights ? new Float32Array(len) : undefined;
  used.forEach((s, u) => {
    const { values, weights: w } = parts[u];
    const a = from[s], count = from[s + 1] - a;
    for (let j = 0; j < d; j++) {
      const col = columns[j], base = j * count;
      for (let t = 0; t < count; t++) col[place[a + t]] = values[base + t];
    }
    if (weights) for (let t = 0; t < count; t++) weights[place[a + t]] = w![t];
  });
  return { columns, weights };
}

/**
 * The given rows, in that order, as one shard: copied inside the executor where it can, else read and loaded
 * (the same stored values either way).
 */
async function gatherChunk(m: Matrix, rows: Int32Array, signal?: AbortSignal, aside = false): Promise<Handle> {
  if (m.ex.gather && m.handle.dtype === 'f32') return m.ex.gather(m.handle, rows, { shardRows: padRows(Math.max(16, rows.length)), signal, aside });
  return loadChunk(m, await gather(m, rows, signal), signal);
}

/** Gathered rows loaded as one shard (as they are: already in the matrix's coordinates). */
function loadChunk(m: Matrix, g: Gathered, signal?: AbortSignal): Promise<Handle> {
  const n = g.columns[0].length;
  return m.ex.load({ columns: g.columns, rows: g.weights ? { weights: g.weights } : {} }, { shardRows: padRows(Math.max(16, n)), signal });
}

/** Row i of gathered rows. */
const rowOf = (g: Gathered, i: number): number[] => g.columns.map((c) => c[i]);

const drawRows = (rng: Random, n: number, count: number): Int32Array => rng.ints(n, new Int32Array(count));

/** A start: explicit, k-means|| on every row, or k-means++ / random on initSize drawn rows (scikit-learn's _init_centroids). */
async function start(m: Matrix, o: Checked, rng: Random, signal?: AbortSignal): Promise<Float64Array> {
  const { k } = o;
  const d = m.d;
  if (o.explicit) return storedStart(o.explicit, k, m);
  if (o.init === 'k-means||') return kmeansParallel(m, k, rng, signal);
  const rows = o.initSize < m.n ? drawRows(rng, m.n, o.initSize) : Int32Array.from({ length: m.n }, (_, i) => i);
  const g = await gather(m, rows, signal);
  const weights = g.weights;
  if (o.init === 'random') {
    // k distinct drawn rows (by value), as scikit-learn's random choice but never a repeated centre
    const out = new Float64Array(k * d);
    const seen = new Set<string>();
    const order = Array.from(rows.keys());
    let got = 0;
    for (let q = 0; q < order.length && got < k; q++) {
      const pick = q + rng.int(order.length - q);
      [order[q], order[pick]] = [order[pick], order[q]];
      const i = order[q];
      if (weights && weights[i] === 0) continue;
      const row = rowOf(g, i);
      const key = row.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      out.set(row, d * got++);
    }
    if (got === k) return out;
    return kmeansPlusPlus(m, k, rng, signal);
  }
  // k-means++ on the drawn rows; when they hold fewer than k distinct points, on every row
  const sub = await loadChunk(m, g, signal);
  try {
    const distinct = new Set<string>();
    for (let i = 0; i < rows.length && distinct.size < k; i++) if (!weights || weights[i] > 0) distinct.add(rowOf(g, i).join(','));
    if (distinct.size < k) return await kmeansPlusPlus(m, k, rng, signal);
    let total = rows.length;
    if (weights) { total = 0; for (const w of weights) total += w; }
    const view: Matrix = { ...m, handle: sub, n: rows.length, weights, totalWeight: total, release: async () => undefined };
    return await kmeansPlusPlus(view, k, rng, signal);
  } finally {
    await m.ex.release(sub);
  }
}

/** Inertia of the centres on the drawn validation rows (already loaded): how scikit-learn picks among nInit starts. */
async function inertiaOn(m: Matrix, chunk: { handle: Handle; sumSquares: number }, c: Float64Array, k: number, signal?: AbortSignal): Promise<number> {
  const { inertia } = await labelRows({ ...m, handle: chunk.handle, n: chunk.handle.n, sumSquares: chunk.sumSquares }, c, k, signal);
  return inertia;
}

/**
 * Empty clusters take the rows farthest from their centres (distinct from every centre), until every centre owns a
 * row: the k centres are distinct and non-empty (scikit-learn can return fewer clusters than asked).
 */
async function fillEmpty(m: Matrix, c: Float64Array, counts: Float64Array, k: number, signal?: AbortSignal, into?: Promise<AnyTypedArray | undefined>) {
  const d = m.d;
  for (let round = 0; round <= k; round++) {
    // each round's labels go to `into`, the last one's stay
    const r = await labelRows(m, c, k, signal, into);
    const empty: number[] = [];
    for (let t = 0; t < k; t++) if (!(r.weight[t] > 0)) empty.push(t);
    if (empty.length === 0 || round === k) return r;
    const width = 3 + d;
    const want = 2 * empty.length + k;
    // the rows' distances to their centres, which the labels' pass does not keep (a fit seldom ends with an empty centre)
    await m.ex.map(assignOp, m.handle, { ...centresF32(c, k, d), k, reset: true, sums: false, dist: true }, { signal });
    const found = (await m.ex.map(farthestOp, m.handle, { m: want }, { signal })).flatMap((p) =>
      Array.from({ length: p.length / width }, (_, q) => p.subarray(q * width, (q + 1) * width)));
    found.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const taken = new Set<string>();
    for (let t = 0; t < k; t++) taken.add(Array.from(c.subarray(t * d, (t + 1) * d), Math.fround).join(','));
    let least = Infinity;
    for (let t = 0; t < k; t++) if (r.weight[t] > 0) least = Math.min(least, counts[t]);
    let q = 0;
    for (const t of empty) {
      while (q < found.length && taken.has(Array.from(found[q].subarray(3), Math.fround).join(','))) q++;
      if (q >= found.length) break;
      const row = found[q++].subarray(3);
      taken.add(Array.from(row, Math.fround).join(','));
      c.set(row, t * d);
      counts[t] = Number.isFinite(least) ? least : 0;
    }
  }
  return labelRows(m, c, k, signal, into);
}

/**
 * Steps per gathered chunk where each shard reads its own rows (executors that do not gather in their memory): up
 * to 2^20 drawn rows and 2^24 values, or one batch when a batch is larger. Drawn rows are scattered over every
 * column's cache lines, so a chunk costs about one read of the data whatever its size: large chunks read it rarely.
 */
const chunkSteps = (batch: number, d: number): number => Math.max(1, Math.floor(Math.min(1 << 20, (1 << 24) / d) / batch));

/**
 * Values per chunk, at most, on executors that gather inside their memory (2^22: 16 MiB of float32; a chunk is one
 * batch when a batch holds more, and at most chunkSteps' rows when it has few features). There a gather costs the
 * same per row whatever the chunk's size, while each chunk's memory costs a page fault per 4 KiB the first time it
 * is used (about 3 ms a MiB on this machine), and each chunk a round of calls: 64 MiB chunks made a fit's first
 * run in a process slow, 4 MiB ones every run.
 */
const GATHERED_VALUES = 1 << 22;

/**
 * Largest data (float32 bytes) given a row-major copy for its gathers: the copy doubles the data's room in the
 * executor's memory, which for large data is better left to the data itself (near the 4 GiB wasm limit, the copy's
 * room could leave none for the gathered chunks).
 */
const ROW_MAJOR_BYTES = 512 * 2 ** 20;

async function runFit(m: Matrix, ds: Dataset, o: Checked, options: MiniBatchKMeansOptions): Promise<MiniBatchKMeansModel> {
  const { k } = o;
  const { n, d } = m;
  const { signal } = options;
  const rng = createRandom(o.seed);
  // scikit-learn's order: the validation rows first, then each start's own draws
  let valid: { handle: Handle; sumSquares: number } | undefined;
  let centres: Float64Array | undefined;
  try {
    if (o.nInit > 1) {
      const g = await gather(m, drawRows(rng, n, o.initSize), signal);
      let ss = 0;
      for (const c of g.columns) for (let i = 0; i < c.length; i++) ss += (g.weights ? g.weights[i] : 1) * c[i] * c[i];
      valid = { handle: await loadChunk(m, g, signal), sumSquares: ss };
    }
    let best = Infinity;
    for (let run = 0; run < o.nInit; run++) {
      const c = await start(m, o, rng, signal);
      if (o.nInit === 1) { centres = c; break; }
      const inertia = await inertiaOn(m, valid!, c, k, signal);
      if (inertia < best) { best = inertia; centres = c; }
    }
  } finally {
    if (valid) await m.ex.release(valid.handle);
  }
  const c = centres!;
  let counts: Float64Array = new Float64Array(k);
  const base = {
    k, batch: o.batch, seed: o.seed, reassignmentRatio: o.ratio, batchSize: o.batch, decay: o.decay, decayPerRow: o.decayPerRow,
    nSamples: n, maxNoImprovement: o.maxNoImprovement, tolAbs: o.tol === 0 ? 0 : (m.sumSquaresUnweighted / n / d) * o.tol,
  };
  let nSince = 0, ewa = NaN, ewaMin = NaN, noImprovement = 0, done = 0, stopped = false;
  let fresh: Promise<AnyTypedArray | undefined> | undefined;
  let cent: Float64Array = c;
  let steps: number;
  const apply = (r: StepsResult) => {
    cent = r.cent; counts = r.counts; nSince = r.nSince; ewa = r.ewa; ewaMin = r.ewaMin; noImprovement = r.noImprovement;
    done += r.done;
    stopped = r.stopped;
  };
  if (o.partial) {
    // scikit-learn's first partial_fit: consecutive batches of the rows as given, on one shard
    steps = Math.ceil(n / o.batch);
    const h = await gatherChunk(m, Int32Array.from({ length: n }, (_, i) => i), signal);
    try {
      const state: StepsState = { ...base, cent, counts, steps, step0: 0, nSince, convergence: false, ewa, ewaMin, noImprovement };
      apply((await m.ex.map(stepsOp, h, state, { shards: [0], signal }))[0]);
    } finally {
      await m.ex.release(h);
    }
  } else {
    steps = Math.floor((o.maxIter * n) / o.batch);
    // with threads to spare, the next chunk is drawn and gathered aside while the steps of this one run (the draws and
    // every step are the same whatever the chunks)
    const inMemory = !!m.ex.gather && m.handle.dtype === 'f32';
    const ahead = inMemory && m.ex.threads > 1;
    const per = inMemory ? Math.max(1, Math.min(chunkSteps(o.batch, d), Math.floor(GATHERED_VALUES / d / o.batch))) : chunkSteps(o.batch, d);
    // one array for every chunk's draws: a gather has copied them by the time it resolves, and the next chunk is drawn after that
    const drawn = new Int32Array(Math.min(per, steps) * o.batch);
    // the first chunks are small and double up to `per`: the steps start after a short gather instead of a whole
    // chunk's, and each later chunk is gathered aside while the steps of the one before run (1M x 16, k = 32, 2
    // threads, five alternating processes: fits of 97 to 101 ms against 100 to 115 with every chunk whole)
    let size = ahead ? Math.max(1, per >> 4) : per;
    const fetch = (from: number, aside: boolean) => {
      const s = Math.min(size, steps - from);
      size = Math.min(per, 2 * size);
      const h = gatherChunk(m, rng.ints(n, drawn.subarray(0, s * o.batch)), signal, aside);
      // awaited below; until then a failure must not count as unhandled
      h.catch(() => undefined);
      return { s, h };
    };
    // drawn rows are scattered over every column's cache lines: with a row-major copy of the rows (the data's size
    // again, kept for the steps only; without room for it the gathers read the columns) each drawn row is one line.
    // At 1M x 16, k = 32, batch 1,024, 2 threads: a chunk of 262,144 rows gathered in 5 to 9 ms instead of 11 to 16,
    // the copy about 5 ms, the whole fit 105 to 130 ms against 120 to 140 (medians, six alternating processes). The
    // first fit in a process pays the copy's new pages (564 to 614 ms against 492 to 575 there), and large data keeps
    // its memory: no copy past ROW_MAJOR_BYTES
    const byRow = inMemory && d > 1 && steps > 0 && !!m.ex.dropRows && 4 * n * d <= ROW_MAJOR_BYTES;
    let next: { s: number; h: Promise<Handle> } | undefined;
    try {
      if (byRow) await m.ex.map(rowMajorOp, m.handle, { d }, { signal });
      next = steps > 0 ? fetch(0, false) : undefined;
      while (next) {
        throwIfAborted(signal);
        const s = next.s, h = await next.h;
        next = undefined;
        try {
          if (ahead && done + s < steps) next = fetch(done + s, true);
          // the last chunk: the pool, done gathering, makes the final labels' array meanwhile
          else if (done + s >= steps) fresh ??= freshOrNone(m.ex, 'i32', n);
          const state: StepsState = { ...base, cent, counts, steps: s, step0: done, nSince, convergence: true, ewa, ewaMin, noImprovement };
          const r = (await m.ex.map(stepsOp, h, state, { shards: [0], signal }))[0];
          apply(r);
          options.onProgress?.({ step: done, steps, batchInertia: r.inertia[r.inertia.length - 1] / o.batch / m.scale ** 2 });
        } finally {
          await m.ex.release(h);
        }
        if (stopped) break;
        if (!next && done < steps) next = fetch(done, false);
      }
    } finally {
      // a chunk gathered ahead that no step will use
      if (next) await next.h.then((h) => m.ex.release(h), () => undefined);
      // an executor closed meanwhile has let the copy go with the data: the error that ended the fit is the one to tell
      if (byRow) await m.ex.dropRows!(m.handle, GATHER_ROWS).catch(() => undefined);
    }
  }
  const final = o.partial ? await labelRows(m, cent, k, signal) : await fillEmpty(m, cent, counts, k, signal, fresh);
  // the data has k distinct points (checked), and empty centres took the farthest rows: one still empty cannot be told apart
  if (!o.partial) noEmptyOnceCentred(final.weight, m.offset);
  return new MiniBatchKMeansModel({
    k, featureNames: [...ds.names], centres: Float64Array.from(cent, (v) => v / m.scale), counts: Float64Array.from(counts), offset: m.offset, batchSize: o.batch,
    reassignmentRatio: o.ratio, seed: o.seed, nSteps: done, nSinceLastReassign: nSince, labels: final.labels,
    inertia: final.inertia / m.scale ** 2, iterations: Math.ceil((done * o.batch) / n), converged: stopped, nSamples: n,
  });
}

/**
 * Mini-batch k-means (Sculley 2010; scikit-learn's MiniBatchKMeans): each step labels a drawn batch and moves every
 * centre towards its rows by 1 / its count, small clusters are re-seeded, and the fit stops when the smoothed batch
 * inertia stops improving. Seeded: the same rows are drawn on every executor. Always k distinct centres, each owning
 * a row (with `partial`, as scikit-learn's partial_fit, only where a reassignment gives one).
 * @example
 * const model = await miniBatchKMeans(customers, { k: 8, seed: 1 });
 * await model.partialFit(newCustomers, { halfLife: 30 });
 */
export async function miniBatchKMeans(data: DataInput, options: MiniBatchKMeansOptions): Promise<MiniBatchKMeansModel> {
  const ds = toDataset(data);
  assertResolution(ds);
  const o = check(options, ds);
  return fitOnLoad(ds, o.k, options, (m) => runFit(m, ds, o, options));
}

/** A mini-batch fit on data already loaded (chooseK fits many k on one load). */
export async function fitMiniBatchKMeans(m: Matrix, ds: Dataset, options: MiniBatchKMeansOptions): Promise<MiniBatchKMeansModel> {
  const o = check(options, ds);
  checkDistinct(ds, o.k, m.weights);
  return runFit(m, ds, o, options);
}
