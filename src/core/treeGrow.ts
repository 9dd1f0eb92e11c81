// Growing histogram CART trees on an executor, level by level, several trees per pass (a random forest grows a
// batch of trees at once). Large nodes get class histograms per feature bin from one shard-op pass per level;
// a node small enough that its rows cost less to send than its histograms is sent back whole and finished on the
// caller (PLANET's in-memory build, Panda et al. 2009). Every decision is taken on the caller from integer counts
// merged in shard order, and each node's random features come from (seed, tree, path), so the trees are the same
// on every executor, thread count and pass schedule.
import { throwIfAborted } from '../util/errors.js';
import type { Executor, Handle } from '../engine/executor.js';
import { binWords, growOp, type GrowPartial, type GrowState } from './treeOps.js';
import { growLocalJobs, type LocalTask } from './treeLocalOp.js';
import { scanFeature, sparseBins, type Split } from './treeSplit.js';
import type { TreeNodes } from './tree.js';
import {
  applySplit, Build, childKey, featureOrder, identity, presentClasses, stopsAsLeaf,
  type BinInfo, type FeatureOrder, type GrowParams, type Rows,
} from './treeLocal.js';

export type { BinInfo, GrowParams } from './treeLocal.js';

/** A node that needs its rows' histograms (or its rows) in a pass. */
interface Work {
  tree: number;
  /** Node id in its Build; -1 for a root not made yet (its counts come with its first histogram). */
  node: number;
  depth: number;
  key: number;
  totals: Float64Array | null;
  /** Distinct rows (a bootstrap weight counts once), once the totals are known. */
  rows: number;
  /** Features in visiting order, and how far the visit has got. */
  order: FeatureOrder;
  at: number;
  varying: number;
  best: Split | null;
  action: 'hist' | 'collect' | 'derive' | 'wait';
  /** This pass: the features histogrammed, and the node's histogram once merged (dense, per feature). */
  feats?: Int32Array;
  hist?: Float64Array;
  /** With bootstrap weights and minSamplesLeaf above 1: distinct rows per bin, as `hist` without the class. */
  rowHist?: Float64Array;
  /** For 'derive': the parent's histogram over every feature, and the sibling scored in the same pass. */
  parentHist?: Float64Array;
  parentRowHist?: Float64Array;
  sibling?: Work;
  coll?: number;
  /** Slot of this node's rows in the coming pass. */
  slot?: number;
}

interface Ctx {
  readonly p: GrowParams;
  readonly bins: BinInfo;
  readonly builds: Build[];
  readonly seeds: Int32Array;
  readonly collectRows: number;
  readonly scratch: { ids: Int32Array; counts: Float64Array; left: Float64Array; binRows: Float64Array };
  /** Offset of each feature's block in a dense all-features histogram. */
  readonly fullOff: Int32Array;
  readonly fullSize: number;
}

const NONE = -1, DONE = -2;

/** Features still to visit in this round: up to the number of varying features still missing. */
function nextFeatures(ctx: Ctx, w: Work): Int32Array {
  const want = ctx.p.maxFeatures >= ctx.p.d ? ctx.p.d : ctx.p.maxFeatures - w.varying;
  return Int32Array.from({ length: Math.min(w.order.length, w.at + want) - w.at }, (_, q) => w.order.at(w.at + q));
}

/** Scores features of a node from its dense histogram over `feats` (laid out back to back), and its rows per bin. */
function scoreHist(ctx: Ctx, w: Work, hist: ArrayLike<number>, feats: Int32Array, rowHist?: Float64Array): void {
  const { C } = ctx.p;
  const { ids, counts, left, binRows } = ctx.scratch;
  let off = 0;
  const present = presentClasses(w.totals!);
  for (let q = 0; q < feats.length; q++) {
    const f = feats[q];
    const m = sparseBins(hist, off, ctx.bins.nBins[f], C, ids, counts);
    // a bin holds rows exactly when it holds weight (a row in the sample weighs at least 1)
    if (rowHist) for (let t = 0; t < m; t++) binRows[t] = rowHist[off / C + ids[t]];
    off += ctx.bins.nBins[f] * C;
    w.at++;
    if (m < 2) continue;
    w.varying++;
    w.best = scanFeature(ctx.p, f, ids, counts, m, w.totals!, w.best, left, present, false, rowHist ? binRows : undefined, w.rows);
  }
}

/** Raw class totals from a dense histogram of one feature. */
function totalsOf(hist: ArrayLike<number>, at0: number, nb: number, C: number): Float64Array {
  const t = new Float64Array(C);
  for (let b = 0; b < nb; b++) for (let c = 0; c < C; c++) t[c] += hist[at0 + b * C + c];
  return t;
}

/** Histogram entries of a node scored on `feats`. */
function histSize(ctx: Ctx, feats: Int32Array): number {
  let s = 0;
  for (const f of feats) s += ctx.bins.nBins[f] * ctx.p.C;
  return s;
}

/**
 * Grows `trees` (global tree numbers) on rows already loaded with per-row `bins` and `y`; returns one finished
 * tree each. Rows out of a tree's bootstrap sample never enter it.
 */
export async function growTrees(
  ex: Executor, handle: Handle, p: GrowParams, bins: BinInfo, seeds: Int32Array, signal?: AbortSignal,
): Promise<TreeNodes[]> {
  const { C, d } = p;
  const T = seeds.length;
  const fullOff = new Int32Array(d + 1);
  for (let j = 0; j < d; j++) fullOff[j + 1] = fullOff[j] + bins.nBins[j] * C;
  const perNode = p.maxFeatures >= d ? fullOff[d] : Math.ceil((fullOff[d] / d) * p.maxFeatures);
  const maxBins = Math.max(...bins.nBins);
  const ctx: Ctx = {
    p, bins, builds: Array.from({ length: T }, () => new Build(C)), seeds,
    collectRows: p.collectRows ?? defaultCollectRows(handle, ex.threads, T, perNode, p),
    scratch: { ids: new Int32Array(maxBins), counts: new Float64Array(maxBins * C), left: new Float64Array(C), binRows: new Float64Array(maxBins) },
    fullOff, fullSize: fullOff[d],
  };
  const budget = Math.max(p.histBudget ?? 1 << 22, fullOff[d]);
  const derive = p.maxFeatures >= d;
  // minSamplesLeaf counts distinct rows; with weights other than 1 they need counts of their own, and with
  // minSamplesLeaf 1 they change nothing (a side with weight has a row; a node of one row is pure)
  const countRows = p.bootstrap && p.minSamplesLeaf > 1;

  // every root first needs its rows' counts: histograms, or the rows themselves when there are few
  let slots: Work[] = Array.from({ length: T }, (_, t) => {
    const order = featureOrder(p, seeds[t], 1);
    return { tree: t, node: -1, depth: 0, key: 1, totals: null, rows: -1, order, at: 0, varying: 0, best: null, action: handle.n <= ctx.collectRows ? 'collect' : 'hist' };
  });
  let moves: { feat: Int32Array; bin: Int32Array; left: Int32Array; right: Int32Array } | null = null;
  let first = true;
  while (slots.length > 0) {
    throwIfAborted(signal);
    // this pass: which slot scores which features where, within the budget (a derived node waits with its sibling)
    const nfStart = new Int32Array(slots.length + 1);
    const nfFeat: number[] = [], nfOff: number[] = [];
    const coll = new Int32Array(slots.length).fill(-1);
    let size = 0, nColl = 0;
    slots.forEach((w, g) => {
      w.slot = g;
      if (w.action === 'wait') w.action = 'hist';
      if (w.action === 'hist') {
        const feats = nextFeatures(ctx, w);
        const need = histSize(ctx, feats);
        if (size > 0 && size + need > budget) {
          w.action = 'wait';
          if (w.sibling?.action === 'derive') w.sibling.action = 'wait';
        } else {
          w.feats = feats;
          for (const f of feats) {
            nfFeat.push(f);
            nfOff.push(size);
            size += bins.nBins[f] * C;
          }
        }
      } else if (w.action === 'collect') {
        w.coll = nColl++;
        coll[g] = w.coll;
      }
      nfStart[g + 1] = nfFeat.length;
    });
    const state: GrowState = {
      trees: T, reset: first, bootstrap: p.bootstrap, countRows, treeSeeds: seeds, classes: C,
      spFeat: moves?.feat ?? null, spBin: moves?.bin ?? null, spLeft: moves?.left ?? null, spRight: moves?.right ?? null,
      nfStart, nfFeat: Int32Array.from(nfFeat), nfOff: Int32Array.from(nfOff), coll, histSize: size,
    };
    first = false;
    const partials = await ex.map(growOp, handle, state, { signal });
    const hist = new Float64Array(size);
    for (const part of partials) for (let q = 0; q < size; q++) hist[q] += part.hist[q];
    const rowSum = countRows ? new Float64Array(size / C) : undefined;
    if (rowSum) for (const part of partials) for (let q = 0; q < rowSum.length; q++) rowSum[q] += part.rows[q];
    const rowsOf = collectRows(partials, nColl, d);

    const next: Work[] = [];
    const local: LocalTask[] = [];
    const mv = { feat: new Int32Array(slots.length).fill(DONE), bin: new Int32Array(slots.length), left: new Int32Array(slots.length).fill(-1), right: new Int32Array(slots.length).fill(-1) };
    const place = (w: Work): number => {
      next.push(w);
      return next.length - 1;
    };
    // histograms and rows first: derived nodes need their sibling's
    const ordered = [...slots.filter((w) => w.action !== 'derive'), ...slots.filter((w) => w.action === 'derive')];
    for (const w of ordered) {
      const g = w.slot!;
      if (w.action === 'wait') {
        mv.feat[g] = NONE;
        mv.left[g] = place(w);
        continue;
      }
      if (w.action === 'collect') {
        const rows = rowsOf[w.coll!];
        if (derive && w.sibling && w.sibling.action === 'derive') {
          w.hist = denseHist(ctx, rows);
          if (countRows) w.rowHist = denseRowHist(ctx, rows);
        }
        local.push({ build: ctx.builds[w.tree], seed: seeds[w.tree], depth: w.depth, key: w.key, node: w.node, totals: w.totals, rows });
        continue;
      }
      let full: Float64Array | undefined, fullRows: Float64Array | undefined;
      if (w.action === 'derive') {
        const sib = w.sibling!.hist!;
        full = new Float64Array(ctx.fullSize);
        for (let q = 0; q < full.length; q++) full[q] = w.parentHist![q] - sib[q];
        w.feats = identity(d);
        w.hist = full;
        if (countRows) {
          const sibRows = w.sibling!.rowHist!;
          fullRows = new Float64Array(ctx.fullSize / C);
          for (let q = 0; q < fullRows.length; q++) fullRows[q] = w.parentRowHist![q] - sibRows[q];
          w.rowHist = fullRows;
        }
      } else {
        const at = nfOff[nfStart[g]] ?? 0, len = histSize(ctx, w.feats!);
        w.hist = hist.subarray(at, at + len).slice();
        if (rowSum) w.rowHist = rowSum.slice(at / C, (at + len) / C);
        if (w.feats!.length === d && derive) {
          full = w.hist;
          fullRows = w.rowHist;
        }
      }
      if (!w.totals) {
        w.totals = totalsOf(w.hist!, 0, bins.nBins[w.feats![0]], C);
        w.rows = 0;
        if (w.rowHist) for (let b = 0; b < bins.nBins[w.feats![0]]; b++) w.rows += w.rowHist[b];
        else for (const v of w.totals) w.rows += v;
        w.node = ctx.builds[w.tree].add(w.totals, p.classWeight);
        if (stopsAsLeaf(p, w.totals, w.depth, w.rows)) continue;
      }
      scoreHist(ctx, w, w.hist!, w.feats!, w.rowHist);
      const want = p.maxFeatures >= d ? d : p.maxFeatures;
      if (w.varying < want && w.at < w.order.length) {
        // some drawn features do not vary here: draw more in the next pass
        w.action = 'hist';
        mv.feat[g] = NONE;
        mv.left[g] = place(w);
        continue;
      }
      const s = w.best;
      if (!s) continue;
      const split = applySplit(ctx.builds[w.tree], p, bins, w.node, w.totals!, w.rows, s);
      const kids: Work[] = [];
      for (const [side, node, totals, rows] of [[1, split.left, split.leftTotals, split.leftRows], [2, split.right, split.rightTotals, split.rightRows]] as const) {
        if (stopsAsLeaf(p, totals, w.depth + 1, rows)) continue;
        const key = childKey(w.key, side);
        let n = 0;
        for (const v of totals) n += v;
        kids.push({
          tree: w.tree, node, depth: w.depth + 1, key, totals, rows, order: featureOrder(p, seeds[w.tree], key), at: 0, varying: 0, best: null,
          action: n <= ctx.collectRows ? 'collect' : 'hist',
        });
      }
      // the larger of two children is the parent minus the smaller (histogram subtraction)
      if (derive && full && kids.length === 2) {
        const n = (k: Work) => k.totals!.reduce((a, b) => a + b, 0);
        const [small, large] = n(kids[0]) <= n(kids[1]) ? [kids[0], kids[1]] : [kids[1], kids[0]];
        if (large.action === 'hist') {
          large.action = 'derive';
          large.parentHist = full;
          large.parentRowHist = fullRows;
          large.sibling = small;
          small.sibling = large;
          small.parentHist = full;
          small.parentRowHist = fullRows;
        }
      }
      mv.feat[g] = s.feature;
      mv.bin[g] = s.binLeft;
      const slotOf = (node: number) => {
        const k = kids.find((x) => x.node === node);
        return k ? place(k) : -1;
      };
      mv.left[g] = slotOf(split.left);
      mv.right[g] = slotOf(split.right);
    }
    // small nodes finish in parallel on the executor, each from its own rows
    await growLocalJobs(ex, p, bins, local, signal);
    for (const w of slots) {
      w.hist = undefined;
      w.rowHist = undefined;
      w.parentHist = undefined;
      w.parentRowHist = undefined;
      w.sibling = undefined;
    }
    slots = next;
    moves = mv;
  }
  return ctx.builds.map((b) => b.finish());
}

/**
 * Nodes this small are sent back whole and finished as local jobs: once their rows cost fewer bytes than their
 * histograms from every shard, or, when nodes score a random subset of the features (a forest: their histograms
 * cannot be derived from their parent's), once the batch has enough such nodes to give every thread about four
 * jobs (a batch of many trees does from the roots). The trees are the same whatever it is: it only schedules work.
 */
function defaultCollectRows(handle: Handle, threads: number, trees: number, perNode: number, p: GrowParams): number {
  const rowBytes = 12 + 4 * binWords(p.d);
  const bytes = Math.floor((handle.shards * perNode * 4) / rowBytes);
  let busy = p.maxFeatures < p.d ? Math.floor(handle.n / Math.max(1, Math.ceil((4 * Math.max(1, threads)) / trees))) : 0;
  // the batch's collected rows (copied a few times on their way to the jobs) stay within a budget
  busy = Math.min(busy, Math.floor(COLLECT_BYTES / (trees * rowBytes)));
  return Math.max(64, bytes, busy);
}

/** Bytes of collected rows a pass of the busy rule may send back. */
const COLLECT_BYTES = 128 << 20;

/** A node's dense histogram over every feature, from its rows. */
function denseHist(ctx: Ctx, rows: Rows): Float64Array {
  const { C, d } = ctx.p;
  const h = new Float64Array(ctx.fullSize);
  const bytes = new Uint8Array(rows.words.buffer, rows.words.byteOffset, rows.words.byteLength), B = 4 * binWords(d);
  for (let i = 0; i < rows.y.length; i++) {
    for (let f = 0; f < d; f++) h[ctx.fullOff[f] + bytes[i * B + f] * C + rows.y[i]] += rows.w[i];
  }
  return h;
}

/** A node's distinct rows per bin of every feature, from its rows. */
function denseRowHist(ctx: Ctx, rows: Rows): Float64Array {
  const { C, d } = ctx.p;
  const h = new Float64Array(ctx.fullSize / C);
  const bytes = new Uint8Array(rows.words.buffer, rows.words.byteOffset, rows.words.byteLength), B = 4 * binWords(d);
  for (let i = 0; i < rows.y.length; i++) {
    for (let f = 0; f < d; f++) h[ctx.fullOff[f] / C + bytes[i * B + f]]++;
  }
  return h;
}

/** Collected rows grouped by collect id, in shard order then row order. */
function collectRows(partials: readonly GrowPartial[], nColl: number, d: number): Rows[] {
  const sizes = new Int32Array(nColl);
  for (const p of partials) for (const c of p.cId) sizes[c]++;
  const W = binWords(d);
  const out: Rows[] = Array.from({ length: nColl }, (_, c) => ({ words: new Int32Array(sizes[c] * W), y: new Int32Array(sizes[c]), w: new Int32Array(sizes[c]) }));
  const fill = new Int32Array(nColl);
  for (const p of partials) {
    for (let q = 0; q < p.cId.length; q++) {
      const c = p.cId[q], at = fill[c]++;
      out[c].y[at] = p.cY[q];
      out[c].w[at] = p.cW[q];
      const to = out[c].words;
      for (let k = 0, o = at * W, from = q * W; k < W; k++) to[o + k] = p.cWords[from + k];
    }
  }
  return out;
}
