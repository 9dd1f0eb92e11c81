import { readFileSync } from 'node:fs';
import { Binary, Int32, Table, Utf8, makeVector, tableFromArrays, vectorFromArray, type Vector } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { close, createRandom, dbscan, fromColumns, fromRows, inlineExecutor, kmeans, loopbackExecutor, piscinaExecutor, type Executor } from '../src/index.node.js';
import { compareSnapshots, compareSnapshotsLaidOut, driftLayout, labelArray } from '../src/workflow/compareSnapshots.js';
import { handleSnapshot, planGuide, twoSampleDrift } from '../src/metrics/twoSampleDrift.js';
import { ksStatisticSorted } from '../src/metrics/ksTwoSample.js';
import { checkUniqueIds, IdIndex, readIds, uniqueInt32Range } from '../src/workflow/snapshotColumns.js';
import { labelUncentredOp } from '../src/core/kmeansOps.js';
import { driftScanOp, narrowCounts, sortValues } from '../src/metrics/driftOps.js';
import { driftLabelScanOp } from '../src/workflow/driftLabelScanOp.js';
import { loadThenMap } from '../src/engine/executor.js';
import type { KMeansModel } from '../src/core/kmeansModel.js';
import { failure } from './helpers.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/snapshots.json', import.meta.url), 'utf8'));
const FEATURES: string[] = fx.features;

type Snap = { id: number[]; X: number[][]; truth: number[]; value: number[] };
const rows = (s: Snap) => s.id.map((id, i) => ({ customer_id: id, ...Object.fromEntries(FEATURES.map((f, j) => [f, s.X[i][j]])), revenue: s.value[i] }));
const arrow = (s: Snap) => tableFromArrays({
  customer_id: Int32Array.from(s.id),
  ...Object.fromEntries(FEATURES.map((f, j) => [f, Float32Array.from(s.X, (r) => r[j])])),
  revenue: Float64Array.from(s.value),
});

const executors: Executor[] = [];
afterAll(async () => {
  await Promise.all(executors.map((e) => e.close()));
  await close();
});

function close9(actual: number, expected: number): void {
  if (!(Math.abs(actual - expected) <= 1e-9 * Math.abs(expected))) throw new Error(`expected ${expected}, got ${actual}`);
}

describe('compareSnapshots on two generated snapshots with a known migration', async () => {
  const model = await kmeans(fromRows(fx.before.X, { names: FEATURES }), { k: 4, seed: 0, nInit: 4 });
  // the model's label for each true segment (the segments are 12 standard deviations apart)
  const labelOf = new Map<number, number>();
  fx.before.truth.forEach((t: number, i: number) => labelOf.set(t, model.labels[i]));
  const r = await compareSnapshots(model, arrow(fx.before), arrow(fx.after), { id: 'customer_id', value: 'revenue' });

  it('the migration matrix, new and gone customers, and the movers are exact', () => {
    const k = 4;
    const want = Array.from({ length: k }, () => new Array(k).fill(0));
    const fresh = new Array(k).fill(0), gone = new Array(k).fill(0);
    const beforeById = new Map<number, number>(fx.before.id.map((id: number, i: number) => [id, fx.before.truth[i]]));
    const afterIds = new Set<number>(fx.after.id);
    fx.after.id.forEach((id: number, j: number) => {
      const to = labelOf.get(fx.after.truth[j])!;
      if (beforeById.has(id)) want[labelOf.get(beforeById.get(id)!)!][to]++;
      else fresh[to]++;
    });
    fx.before.id.forEach((id: number, i: number) => { if (!afterIds.has(id)) gone[labelOf.get(fx.before.truth[i])!]++; });
    expect(r.migration.counts).toEqual(want);
    expect(r.migration.new).toEqual(fresh);
    expect(r.migration.gone).toEqual(gone);
    expect(r.migration.new.reduce((a, b) => a + b)).toBe(300);
    expect(r.migration.gone.reduce((a, b) => a + b)).toBe(150);
    // 15% of segment 0 moved to segment 1, nobody else moved
    expect(r.migration.moved).toBe(fx.movers);
    expect(r.migration.counts[labelOf.get(0)!][labelOf.get(1)!]).toBe(112);
    expect(r.movers.id.length).toBe(112);
    expect([...new Set(r.movers.from)]).toEqual([labelOf.get(0)]);
    expect([...new Set(r.movers.to)]).toEqual([labelOf.get(1)]);
    const seg1 = r.segments[labelOf.get(1)!];
    expect(seg1.after - seg1.before).toBe(want.reduce((a, row) => a + row[labelOf.get(1)!], 0) + fresh[labelOf.get(1)!] - 750);
  });

  it('PSI equals the hand computation (numpy deciles, right-closed bins, 1e-4 floor) and KS equals scipy ks_2samp to 1e-9', () => {
    for (const f of r.drift) {
      const psi = fx.psi[f.feature], ks = fx.ks_2samp[f.feature];
      expect(f.psi!.edges).toEqual(psi.edges);
      expect(f.psi!.countsBefore).toEqual(psi.counts_before);
      expect(f.psi!.countsAfter).toEqual(psi.counts_after);
      expect(Math.abs(f.psi!.value - psi.psi)).toBeLessThan(1e-12);
      expect(f.ks!.statistic).toBe(ks.auto.statistic);
      close9(f.ks!.pvalue, ks.auto.pvalue);
      expect(f.ks!.method).toBe(ks.auto_chose);
    }
    expect(r.drift.map((f) => f.level)).toEqual(FEATURES.map((name) => (fx.psi[name].psi >= 0.25 ? 'significant' : fx.psi[name].psi >= 0.1 ? 'moderate' : 'stable')));
  });

  it('per feature, the present and missing counts and the means of the stored float32 values (summed in row order)', () => {
    // a twin: each value as the kernels store it (float32), added in row order in float64 (one shard here)
    const twin = (s: Snap, j: number) => {
      let sum = 0;
      for (const row of s.X) sum += Math.fround(row[j]);
      return { n: s.X.length, mean: sum / s.X.length };
    };
    FEATURES.forEach((name, j) => {
      const f = r.drift[j];
      expect(f.feature).toBe(name);
      const [b, a] = [twin(fx.before, j), twin(fx.after, j)];
      expect([f.nBefore, f.missingBefore, f.nAfter, f.missingAfter]).toEqual([b.n, 0, a.n, 0]);
      expect(f.meanBefore).toBe(b.mean);
      expect(f.meanAfter).toBe(a.mean);
    });
  });

  it('asymptotic p-values match scipy too', async () => {
    const a = await compareSnapshots(model, rows(fx.before), rows(fx.after), { id: 'customer_id', ksMethod: 'asymp' });
    expect(a.drift).toHaveLength(FEATURES.length);
    for (const f of a.drift) {
      expect(f.ks!.statistic).toBe(fx.ks_2samp[f.feature].asymp.statistic);
      close9(f.ks!.pvalue, fx.ks_2samp[f.feature].asymp.pvalue);
    }
    // row objects and Arrow tables give the same migration
    expect(a.migration).toEqual(r.migration);
  });

  it('value per segment and the recommendation', () => {
    const byLabel = (s: Snap, c: number) => s.value.reduce((acc, v, i) => acc + (model.labels.length && labelOfRow(s, i) === c ? v : 0), 0);
    const labelOfRow = (s: Snap, i: number) => labelOf.get(s.truth[i]);
    expect(r.segments).toHaveLength(4);
    for (const seg of r.segments) {
      expect(seg.valueBefore).toBeCloseTo(byLabel(fx.before, seg.segment), 6);
      expect(seg.valueAfter).toBeCloseTo(byLabel(fx.after, seg.segment), 6);
    }
    expect(r.recommendation.action).toBe('refit');
    expect(r.recommendation.text).toMatch(/monetary \(PSI 0\.383\)/);
    expect(r.conventions.join(' ')).toMatch(/conventions, not statistical tests/);
    // segment 1 received the movers, so its customers sit farther from its centre than before
    expect(r.segments.every((s) => Number.isFinite(s.distanceBefore) && Number.isFinite(s.distanceAfter))).toBe(true);
  });

  it('the mean distance to the own centre per segment equals a scalar twin (float32 features, float64 centres)', async () => {
    const meanDistance = async (s: Snap) => {
      const labels = await model.predict(fromRows(s.X, { names: FEATURES }));
      const sum = new Array(4).fill(0), n = new Array(4).fill(0);
      s.X.forEach((row, i) => {
        const c = model.centroids[labels[i]];
        let a = 0;
        row.forEach((v, j) => { const t = Math.fround(v) - c[j]; a += t * t; });
        sum[labels[i]] += Math.sqrt(a);
        n[labels[i]]++;
      });
      return sum.map((x, c) => x / n[c]);
    };
    const [before, after] = [await meanDistance(fx.before), await meanDistance(fx.after)];
    for (const seg of r.segments) {
      close9(seg.distanceBefore, before[seg.segment]);
      close9(seg.distanceAfter, after[seg.segment]);
    }
    expect(r.segments[labelOf.get(1)!].distanceAfter).toBeGreaterThan(r.segments[labelOf.get(1)!].distanceBefore);
  });

  it('gives the same bytes on inline, piscina (2 threads) and loopback executors', async () => {
    executors.push(inlineExecutor(), piscinaExecutor({ threads: 2 }), loopbackExecutor());
    const prints = [];
    for (const executor of executors) {
      const x = await compareSnapshots(model, arrow(fx.before), arrow(fx.after), { id: 'customer_id', value: 'revenue', executor });
      prints.push(JSON.stringify({ ...x, movers: { id: x.movers.id, from: [...x.movers.from], to: [...x.movers.to] } }));
    }
    expect(new Set(prints).size).toBe(1);
  });

  it('bad input: snapshots with different columns, duplicate ids, a bad option', async () => {
    const after = (rows(fx.after) as Record<string, unknown>[]).map(({ frequency: _f, ...rest }) => rest);
    let e = await failure(() => compareSnapshots(model, rows(fx.before), after, { id: 'customer_id' }));
    expect(e.code).toBe('E_MISSING_COLUMN');
    expect(e.message).toContain('snapshot "after" has no feature column "frequency"');
    const dup = rows(fx.before);
    dup[7] = { ...dup[7], customer_id: dup[3].customer_id };
    e = await failure(() => compareSnapshots(model, dup, rows(fx.after), { id: 'customer_id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    expect(e.message).toContain(`snapshot "before" has customer_id ${dup[3].customer_id} twice (rows 3 and 7)`);
    // the ids are checked while the first snapshot loads; a repeated id is still reported before a bad value in either
    // snapshot, and a cancelled call stops at once
    const badAfter = rows(fx.after) as Record<string, unknown>[];
    badAfter[2] = { ...badAfter[2], frequency: 'often' };
    e = await failure(() => compareSnapshots(model, rows(fx.before), badAfter, { id: 'customer_id' }));
    expect(e.code).toBe('E_NON_NUMERIC');
    expect(e.message).toContain('snapshot "after"');
    e = await failure(() => compareSnapshots(model, dup, badAfter, { id: 'customer_id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    e = await failure(() => compareSnapshots(model, dup, rows(fx.after), { id: 'customer_id', signal: AbortSignal.abort() }));
    expect(e.code).toBe('E_ABORTED');
    e = await failure(() => compareSnapshots(model, rows(fx.before), rows(fx.after), { id: 'customer_id', valu: 'revenue' } as never));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('did you mean "value"');
    // the ids summed per segment as the value: refused, naming both options
    e = await failure(() => compareSnapshots(model, rows(fx.before), rows(fx.after), { id: 'customer_id', value: 'customer_id' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toBe('option "value" must be a column other than option "id"\'s, got "customer_id"');
    e = await failure(() => compareSnapshots(model, rows(fx.before), rows(fx.after), { id: 'cust' }));
    expect(e.message).toContain('snapshot "before" has no id column "cust"');
    // a missing value would count as 0 in its segment's total: named by its row
    const noValue = rows(fx.after) as Record<string, unknown>[];
    noValue[5] = { ...noValue[5], revenue: null };
    e = await failure(() => compareSnapshots(model, rows(fx.before), noValue, { id: 'customer_id', value: 'revenue' }));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toContain('snapshot "after", row 5: the value column "revenue" holds no value');
    // without the value column the same snapshots compare
    expect((await compareSnapshots(model, rows(fx.before), noValue, { id: 'customer_id' })).migration.moved).toBe(fx.movers);
  });
});

describe('segments of a k-means model', () => {
  // no clusters, values far from zero: labels hang on the float32 centring and on near ties between centres
  const snapshots = (n: number, d: number, scale: number) => {
    const rng = createRandom(17);
    const before = Array.from({ length: d }, () => Float32Array.from({ length: n }, () => (1000 + rng.normal()) * scale));
    const after = before.map((c) => Float32Array.from(c, (v) => v + rng.normal() * 0.3 * scale));
    return [before, after];
  };
  const table = (cols: Float32Array[]) => tableFromArrays({ customer_id: Int32Array.from({ length: cols[0].length }, (_, i) => i), ...Object.fromEntries(cols.map((c, j) => [`f${j}`, c])) });
  // 10,003 rows, a tail that is not a multiple of 8; 1e19: squared distances need scaling, so predict's path is taken
  it.each([[1, 'inline'], [1, 'piscina'], [1e19, 'inline']] as const)('values x %s (%s): migration and movers from the labels predict gives', async (scale, kind) => {
    const d = 5, n = 10_003;
    const [before, after] = snapshots(n, d, scale);
    const names = before.map((_, j) => `f${j}`);
    const model = await kmeans(fromColumns({ columns: before.map((c) => c.subarray(0, 2000)), names }), { k: 8, seed: 3 });
    const executor = kind === 'inline' ? inlineExecutor() : piscinaExecutor({ threads: 2 });
    executors.push(executor);
    const r = await compareSnapshots(model, table(before), table(after), { id: 'customer_id', executor });
    const lb = await model.predict(fromColumns({ columns: before, names }), { executor });
    const la = await model.predict(fromColumns({ columns: after, names }), { executor });
    const counts = Array.from({ length: 8 }, () => new Array(8).fill(0));
    const movers: number[] = [];
    for (let i = 0; i < n; i++) {
      counts[lb[i]][la[i]]++;
      if (lb[i] !== la[i]) movers.push(i);
    }
    expect(movers.length).toBeGreaterThan(100);
    expect(r.migration.counts).toEqual(counts);
    // segment sizes from the drift passes' own totals: right whether the labels came from the load or from predict
    const sizes = (l: Int32Array) => Array.from({ length: 8 }, (_, c) => l.filter((x) => x === c).length);
    expect(r.segments.map((s) => s.before)).toEqual(sizes(lb));
    expect(r.segments.map((s) => s.after)).toEqual(sizes(la));
    expect(r.passes).toBeGreaterThan(1);
    expect(r.movers.id).toEqual(movers);
    expect([...r.movers.from]).toEqual(movers.map((i) => lb[i]));
    expect([...r.movers.to]).toEqual(movers.map((i) => la[i]));
  });
  it('snapshots are read in windows of 2^22 rows on the thread pool only; windows are whole shards', async () => {
    const pool = piscinaExecutor({ threads: 2 }), inline = inlineExecutor(), loop = loopbackExecutor();
    executors.push(pool, inline, loop);
    expect(driftLayout(pool)).toEqual({ shardRows: 2 ** 18, windowRows: 2 ** 22 });
    expect(driftLayout(inline).windowRows).toBe(Infinity);
    expect(driftLayout(loop).windowRows).toBe(Infinity);
    const [before, after] = snapshots(100, 2, 1);
    const model = await kmeans(fromColumns({ columns: before, names: ['f0', 'f1'] }), { k: 2, seed: 1 });
    const e = await failure(() => compareSnapshotsLaidOut(model, table(before), table(after), { id: 'customer_id', executor: inline }, { shardRows: 1024, windowRows: 1500 }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('windowRows');
  });

  // 3 windows of 4 shards (the last one short): every pass loads each window again and lets it go before the next
  it.each([[1, 'inline'], [1, 'piscina'], [1, 'loopback'], [1e19, 'piscina']] as const)('values x %s (%s): snapshots read a window at a time give the result held whole gives', async (scale, kind) => {
    const d = 5, n = 10_003;
    const [before, after] = snapshots(n, d, scale);
    const names = before.map((_, j) => `f${j}`);
    const model = await kmeans(fromColumns({ columns: before.map((c) => c.subarray(0, 2000)), names }), { k: 8, seed: 3 });
    const ex = kind === 'inline' ? inlineExecutor() : kind === 'piscina' ? piscinaExecutor({ threads: 2 }) : loopbackExecutor();
    executors.push(ex);
    let loads = 0;
    const counted = new Proxy(ex, {
      get(target, p) {
        const v = Reflect.get(target, p);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (p === 'load' || p === 'loadAndMap') loads++;
          return v.apply(target, args);
        };
      },
    });
    const valued = (cols: Float32Array[], shift: number) => tableFromArrays({
      customer_id: Int32Array.from({ length: n }, (_, i) => (i % 10 === 9 ? n + i + shift : i)),
      ...Object.fromEntries(cols.map((c, j) => [`f${j}`, c])),
      revenue: Float64Array.from({ length: n }, (_, i) => (i % 7) * 1.5 + shift),
    });
    const run = async (windowRows: number) => {
      loads = 0;
      const r = await compareSnapshotsLaidOut(model, valued(before, 0), valued(after, 1), { id: 'customer_id', value: 'revenue', executor: counted }, { shardRows: 1024, windowRows });
      return { r, loads, print: JSON.stringify({ ...r, movers: { id: r.movers.id, from: [...r.movers.from], to: [...r.movers.to] } }) };
    };
    const whole = await run(Infinity), windowed = await run(4096);
    expect(windowed.print).toBe(whole.print);
    expect(whole.r.passes).toBeGreaterThan(1);
    expect(whole.r.migration.new.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(whole.r.segments.every((s) => s.valueBefore! > 0)).toBe(true);
    if (scale === 1) {
      // the k-means path labels while loading: each snapshot loaded once held whole, in 3 windows a pass otherwise
      // (and one small load for the p-values)
      expect(whole.loads).toBe(3);
      expect(windowed.loads).toBe(2 * 3 * whole.r.passes + 1);
    } else {
      expect(windowed.loads).toBeGreaterThan(2 * 3 * whole.r.passes);
    }
  });
});

describe('labelling rows held uncentred', () => {
  // d = 64: blocks of 1,024 rows; shards of 4,096 rows: blocks and shards start mid-way through the data
  it.each(['inline', 'loopback'] as const)('%s: labels equal predict\'s over many shards and blocks', async (kind) => {
    const n = 10_003, d = 64, k = 7;
    const rng = createRandom(3);
    const cols = Array.from({ length: d }, () => Float32Array.from({ length: n }, () => 1000 + rng.normal()));
    const names = cols.map((_, j) => `f${j}`);
    const model = await kmeans(fromColumns({ columns: cols.map((x) => x.subarray(0, 1500)), names }), { k, seed: 1 }) as KMeansModel;
    const ex = kind === 'inline' ? inlineExecutor() : loopbackExecutor();
    executors.push(ex);
    const want = await model.predict(fromColumns({ columns: cols, names }), { executor: ex });
    const h = await ex.load({ columns: cols }, { dtype: 'f32', shardRows: 4096 });
    const { offset, cent, norms } = model.scoringState();
    await ex.map(labelUncentredOp, h, { offset, cent, norms, k });
    const got = await ex.readRows(h, 'labels');
    await ex.release(h);
    expect(new Set(want).size).toBe(k);
    expect([...got]).toEqual([...want]);
  });

  // shards of 4,096 rows with a tail: the op that labels and scans while loading gives the partials of labelling and
  // then scanning apart, in shard order, on every executor (piscina overlaps the copy with the op from shard 2 on)
  it.each(['inline', 'piscina', 'loopback'] as const)('%s: labelling and pass 1 while loading equal the two passes apart', async (kind) => {
    const n = 20_003, d = 5, k = 6;
    const rng = createRandom(8);
    const cols = Array.from({ length: d }, () => Float32Array.from({ length: n }, () => 50 + rng.normal() * 3));
    const value = Float64Array.from({ length: n }, (_, i) => (i % 11 === 0 ? NaN : rng.normal()));
    const names = cols.map((_, j) => `f${j}`);
    const model = await kmeans(fromColumns({ columns: cols.map((x) => x.subarray(0, 1500)), names }), { k, seed: 2 }) as KMeansModel;
    const ex = kind === 'inline' ? inlineExecutor() : kind === 'piscina' ? piscinaExecutor({ threads: 2 }) : loopbackExecutor();
    executors.push(ex);
    const { offset, cent, norms } = model.scoringState();
    const centres = Float64Array.from(model.centroids.flat());
    const scan = { k, value: true, centres };
    const load = { dtype: 'f32', shardRows: 4096 } as const;
    const fused = await loadThenMap(ex, { columns: cols, rows: { value } }, driftLabelScanOp, { label: { offset, cent, norms, k }, scan }, load);
    const fusedLabels = await ex.readRows(fused.handle, 'labels');
    await ex.release(fused.handle);
    const h = await ex.load({ columns: cols, rows: { value } }, load);
    const sumSquares = await ex.map(labelUncentredOp, h, { offset, cent, norms, k });
    const apart = await ex.map(driftScanOp, h, scan);
    const labels = await ex.readRows(h, 'labels');
    await ex.release(h);
    expect(fused.partials.length).toBe(5);
    expect(new Set(labels).size).toBe(k);
    expect([...fusedLabels]).toEqual([...labels]);
    expect(fused.partials.map((p) => p.sumSquares)).toEqual(sumSquares);
    expect(fused.partials.map((p) => p.scan)).toEqual(apart);
  });

  it('a missing feature value or an empty snapshot is refused as before, naming the snapshot', async () => {
    const rng = createRandom(5);
    const cols = Array.from({ length: 3 }, () => Float32Array.from({ length: 100 }, () => 1000 + rng.normal()));
    const model = await kmeans(fromColumns({ columns: cols, names: ['a', 'b', 'c'] }), { k: 3, seed: 1 });
    const t = (x: Float32Array[]) => tableFromArrays({ id: Int32Array.from({ length: x[0].length }, (_, i) => i), a: x[0], b: x[1], c: x[2] });
    const bad = cols.map((x) => x.slice());
    bad[1][42] = NaN;
    let e = await failure(() => compareSnapshots(model, t(cols), t(bad), { id: 'id', executor: inlineExecutor() }));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toContain('snapshot "after": row 42, column "b"');
    // a finite value beyond float32's range is named as it is, not as the Infinity it would become
    const t64 = (x: Float32Array[]) => tableFromArrays({ id: Int32Array.from({ length: x[0].length }, (_, i) => i), a: Float64Array.from(x[0]), b: Float64Array.from(x[1]), c: Float64Array.from(x[2]) });
    const huge = t64(cols);
    huge.getChild('c')!.set(7, 1e39);
    e = await failure(() => compareSnapshots(model, huge, t(cols), { id: 'id', executor: inlineExecutor() }));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toContain('snapshot "before": row 7, column "c" holds 1e+39, beyond float32\'s range');
    expect(e.hint).toContain('rescale');
    e = await failure(() => compareSnapshots(model, t(cols), t(cols.map((x) => x.subarray(0, 0))), { id: 'id', executor: inlineExecutor() }));
    expect(e.code).toBe('E_EMPTY_DATA');
    expect(e.message).toContain('snapshot "after"');
  });
});

describe('exact drift statistics over many shards', () => {
  it('KS statistic, deciles and PSI bin counts equal a whole-column sort, with ties, zeros of both signs, negatives and missing values', async () => {
    const rng = createRandom(5);
    const n1 = 150_000, n2 = 120_000;
    const gen = (n: number, shift: number, j: number) => Float32Array.from({ length: n }, (_, i) => {
      if (i % 997 === 0) return NaN;
      if (j === 0) return Math.round(rng.normal() * 3 + shift) / 2; // heavy ties
      if (j === 1) return i % 13 === 0 ? (i % 2 ? -0 : 0) : rng.normal() * 1e-3 + shift * 1e-4; // tiny values, zeros
      // a few thousand adjacent keys across two top-bit blocks (1's key starts one): ranges finer than a table entry
      // share it, with gaps between them
      if (j === 3) return 1 + Math.round(rng.normal() * 600 + shift * 100) * 2 ** -23 * (i % 5 === 0 ? 3 : 1);
      return Math.exp(rng.normal() * 2 + shift); // long tail
    });
    const A = [0, 1, 2, 3].map((j) => gen(n1, 0, j)), B = [0, 1, 2, 3].map((j) => gen(n2, j === 2 ? 0.01 : 0.3, j));
    const ex = inlineExecutor();
    const load = (cols: Float32Array[], n: number) => ex.load({ columns: cols, rows: { labels: new Int32Array(n) } }, { shardRows: 4096 });
    const hA = await load(A, n1), hB = await load(B, n2);
    const run = (limits?: { budget: number; collectCell: number; collectFeature: number }) =>
      twoSampleDrift(ex, { before: handleSnapshot(ex, hA), after: handleSnapshot(ex, hB), names: ['a', 'b', 'c', 'd'], k: 1, value: false, centres: new Float64Array(0), limits });
    // small limits: ranges are counted in few sub-buckets over many passes before any is collected
    const out = await run({ budget: 16, collectCell: 64, collectFeature: 256 });
    expect(out.passes).toBeGreaterThan(4);
    expect((await run()).features).toEqual(out.features);
    expect(out.features).toHaveLength(4);
    for (let j = 0; j < 4; j++) {
      const x = Float64Array.from(A[j].filter((v) => v === v), (v) => v || 0).sort();
      const y = Float64Array.from(B[j].filter((v) => v === v), (v) => v || 0).sort();
      const f = out.features[j];
      expect(f.nBefore).toBe(x.length);
      // missing values counted; the mean of the present ones: each shard's sum in row order, shards in order
      const meanOf = (col: Float32Array) => {
        let total = 0, n = 0;
        for (let a = 0; a < col.length; a += 4096) {
          let s = 0;
          for (const v of col.subarray(a, a + 4096)) if (v === v) { s += v; n++; }
          total += s;
        }
        return total / n;
      };
      expect([f.nBefore, f.missingBefore, f.nAfter, f.missingAfter]).toEqual([x.length, n1 - x.length, y.length, n2 - y.length]);
      expect(f.meanBefore).toBe(meanOf(A[j]));
      expect(f.meanAfter).toBe(meanOf(B[j]));
      expect(f.ks!.statistic).toBe(ksStatisticSorted(x, y));
      const edges = Array.from({ length: 9 }, (_, i) => {
        const h = (x.length - 1) * ((i + 1) / 10), lo = Math.floor(h), t = h - lo;
        const a = x[lo], b = x[Math.min(lo + 1, x.length - 1)];
        return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
      });
      expect(f.psi!.edges).toEqual(edges);
      const bins = (v: Float64Array) => {
        const c = new Array(10).fill(0);
        for (const x0 of v) { let b = 0; while (b < 9 && x0 > edges[b]) b++; c[b]++; }
        return c;
      };
      expect(f.psi!.countsBefore).toEqual(bins(x));
      expect(f.psi!.countsAfter).toEqual(bins(y));
    }
    await ex.release(hA);
    await ex.release(hB);
  });
});

describe('a guided pass 1', () => {
  // normal, long-tailed with missing values, and heavily tied features; the first 5% of each snapshot's rows drawn
  // from elsewhere (shifted), so a guide planned from those rows alone points to the wrong ranges
  const rng = createRandom(23);
  const n1 = 200_000, n2 = 180_000;
  const gen = (n: number, shift: number, j: number) => Float32Array.from({ length: n }, (_, i) => {
    const odd = i < n / 20 ? 50 : 0;
    if (j === 1 && i % 991 === 0) return NaN;
    if (j === 0) return rng.normal() + shift + odd;
    if (j === 1) return Math.exp(rng.normal() * 1.5 + shift) + odd;
    return Math.round(rng.normal() * 40 + shift * 10) / 4 + odd;
  });
  const A = [0, 1, 2].map((j) => gen(n1, 0, j)), B = [0, 1, 2].map((j) => gen(n2, 0.05, j));
  const names = ['a', 'b', 'c'];

  it('counts the ranges a sample points to: the same statistics in fewer passes; a guide that misleads costs passes, never exactness', async () => {
    const ex = inlineExecutor();
    const load = (cols: Float32Array[], n: number) => ex.load({ columns: cols, rows: { labels: new Int32Array(n) } }, { shardRows: 16384 });
    const hA = await load(A, n1), hB = await load(B, n2);
    const run = (guide?: ReturnType<typeof planGuide>) =>
      twoSampleDrift(ex, { before: handleSnapshot(ex, hA), after: handleSnapshot(ex, hB), names, k: 1, value: false, centres: new Float64Array(0), guide });
    const plain = await run();
    const guide = planGuide(A, B);
    // every feature guided: whole top-bit blocks (2^21 keys) counted in sub-buckets, within the refining budget
    expect(guide.map((f) => f.j)).toEqual([0, 1, 2]);
    for (const f of guide) {
      expect(f.counters).toBeLessThanOrEqual(16384);
      expect(f.lo.every((lo, q) => lo % 2 ** 21 === 0 && f.buckets[q] >= 2 && f.buckets[q] * 2 ** f.shift[q] === 2 ** 21)).toBe(true);
    }
    const guided = await run(guide);
    expect(guided.features).toEqual(plain.features);
    expect(guided.passes).toBeLessThan(plain.passes);
    // planned from the odd first rows only: valid ranges (their values are in the data) in the wrong places
    const misled = await run(planGuide(A.map((c) => c.subarray(0, n1 / 40)), B.map((c) => c.subarray(0, n2 / 40))));
    expect(misled.features).toEqual(plain.features);
    expect(misled.passes).toBeGreaterThanOrEqual(guided.passes);
    // the statistics themselves: KS against a whole-column sort
    for (let j = 0; j < 3; j++) {
      const x = Float64Array.from(A[j].filter((v) => v === v)).sort(), y = Float64Array.from(B[j].filter((v) => v === v)).sort();
      expect(guided.features[j].ks!.statistic).toBe(ksStatisticSorted(x, y));
    }
    await ex.release(hA);
    await ex.release(hB);
  });

  it.each(['inline', 'piscina', 'loopback'] as const)('%s: compareSnapshots guided and not, held whole and in windows, give the same result', async (kind) => {
    const table = (cols: Float32Array[], shift: number) => tableFromArrays({
      customer_id: Int32Array.from({ length: cols[0].length }, (_, i) => (i % 10 === 9 ? 1_000_000 + i + shift : i)),
      ...Object.fromEntries(cols.map((c, j) => [names[j], c])),
      revenue: Float64Array.from({ length: cols[0].length }, (_, i) => (i % 13 === 0 ? 0 : (i % 7) * 2.5 + shift)),
    });
    // a k-means model scores present values only
    const [X0, X1] = [A, B].map((cols) => cols.map((c) => Float32Array.from(c, (v) => (v === v ? v : 1))));
    const model = await kmeans(fromColumns({ columns: X0.map((c) => c.subarray(n1 / 2, n1 / 2 + 5000)), names }), { k: 5, seed: 2 });
    const executor = kind === 'inline' ? inlineExecutor() : kind === 'piscina' ? piscinaExecutor({ threads: 2 }) : loopbackExecutor();
    executors.push(executor);
    const run = async (guideFrom: number, windowRows: number) => {
      const r = await compareSnapshotsLaidOut(model, table(X0, 0), table(X1, 1), { id: 'customer_id', value: 'revenue', executor }, { shardRows: 16384, windowRows, guideFrom });
      // toEqual tells -0 from +0
      return { passes: r.passes, result: { ...r, passes: 0 } };
    };
    const plain = await run(Infinity, Infinity);
    const guided = await run(1000, kind === 'piscina' ? 65536 : Infinity);
    expect(guided.result).toEqual(plain.result);
    expect(guided.passes).toBeLessThan(plain.passes);
    // below guideFrom rows the guide is not planned
    expect((await run(n2 + 1, Infinity)).passes).toBe(plain.passes);
  });
});

describe('a decile at zero', () => {
  // 7% negatives, then 4% zeros (nine in ten of them -0, which a sort puts first), then positives: the first decile's
  // rank falls on a -0; its range is collected with the default limits and refined down to one key with small ones
  it('gives a +0 edge whether its range was collected or refined to one key', async () => {
    const rng = createRandom(29);
    const gen = (n: number, shift: number) => Float32Array.from({ length: n }, (_, i) => {
      const u = (i * 0.6180339887) % 1;
      if (u < 0.07) return -5 + rng.normal();
      if (u < 0.11) return u < 0.106 ? -0 : 0;
      return 5 + shift + rng.normal();
    });
    const A = [gen(20_000, 0)], B = [gen(18_000, 0.5)];
    const ex = inlineExecutor();
    const load = (cols: Float32Array[], n: number) => ex.load({ columns: cols, rows: { labels: new Int32Array(n) } }, { shardRows: 4096 });
    const hA = await load(A, 20_000), hB = await load(B, 18_000);
    const run = (limits?: { budget: number; collectCell: number; collectFeature: number }) =>
      twoSampleDrift(ex, { before: handleSnapshot(ex, hA), after: handleSnapshot(ex, hB), names: ['x'], k: 1, value: false, centres: new Float64Array(0), limits });
    const collected = await run(), refined = await run({ budget: 16, collectCell: 1, collectFeature: 1 });
    // the rank lands on a -0 in the sorted values
    const sorted = Float32Array.from(A[0]).sort();
    const h = (sorted.length - 1) * 0.1;
    expect(Object.is(sorted[Math.floor(h)], -0) && Object.is(sorted[Math.floor(h) + 1], -0)).toBe(true);
    for (const out of [collected, refined]) expect(Object.is(out.features[0].psi!.edges[0], 0)).toBe(true);
    expect(refined.passes).toBeGreaterThan(collected.passes);
    expect(refined.features).toEqual(collected.features);
    await ex.release(hA);
    await ex.release(hB);
  });
});

describe('narrow arrays', () => {
  it('a shard\'s counts come back in the narrowest unsigned type that holds the largest, every count kept', () => {
    for (const [max, type] of [[0, Uint8Array], [0xff, Uint8Array], [0x100, Uint16Array], [0xffff, Uint16Array], [0x10000, Uint32Array], [2 ** 31 - 1, Uint32Array]] as const) {
      // the counter past the first four is not read: were it, the type would widen
      const cnt = Int32Array.from([3, max, 0, 7, 0x10000]);
      const out = narrowCounts(cnt, 4);
      expect(out).toBeInstanceOf(type);
      expect(Array.from(out)).toEqual([3, max, 0, 7]);
    }
  });
  it('labels below k (and -1) fit the label array made for k', () => {
    for (const [k, type] of [[1, Int8Array], [128, Int8Array], [129, Int16Array], [0x8000, Int16Array], [0x8001, Int32Array]] as const) {
      const a = labelArray(k, 2);
      expect(a).toBeInstanceOf(type);
      a.set([-1, k - 1]);
      expect(Array.from(a)).toEqual([-1, k - 1]);
    }
  });
});

describe('sorting collected values', () => {
  it('gives the bytes of Float32Array#sort, on either side of the radix sort\'s threshold, with signed zeros, infinities and subnormals', () => {
    const rng = createRandom(3);
    const special = [0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38];
    for (const n of [0, 1, 2, 383, 384, 385, 1000, 5000]) {
      for (const spread of ['wide', 'low digit shared', 'one block', 'all equal'] as const) {
        const v = Float32Array.from({ length: n }, (_, i) => {
          if (spread === 'wide') return i % 11 === 0 ? special[i % special.length] : rng.normal() * 10 ** Math.floor(rng.next() * 12 - 6);
          // the low radix digit the same for every value: that pass is skipped
          if (spread === 'low digit shared') return 1 + rng.int(64) / 64;
          // the top key bits the same, as a drift cell's are: the top pass is skipped
          if (spread === 'one block') return 1 + rng.int(2 ** 21) * 2 ** -23;
          // every pass skipped
          return -2.5;
        });
        const want = v.slice().sort();
        const got = v.slice();
        sortValues(got);
        expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
      }
    }
  });
});

describe('matching customers by id', () => {
  const ids = (values: number[]) => ({ kind: 'number' as const, values: Float64Array.from(values) });
  // dense integers (a direct table), sparse integers and fractions (hashed): the same rows found, the same errors
  const cases: [string, number[]][] = [
    ['dense integers', [5, 9, 6, 7, 8, 12, -0]],
    ['dense integers below zero', [5, -1000, 6, 7, 8, 12, 0]],
    ['sparse integers', [5, 9e12, 6, -7e15, 8, 12, 0]],
    ['fractions', [5, 9.5, 6, 7.25, 8, 12, 0]],
  ];
  it.each(cases)('%s: rows of present ids, -1 for absent ones, -0 matching 0', (_, values) => {
    const index = new IdIndex(ids(values), 'before', 'customer_id');
    // fractions that round to a whole slot once the smallest id is subtracted are not ids
    const probe = [...values, 0, 1e300, 4, 13, 6.5, -1, 1e-20, -1e-20, 7.000000000000001];
    const got = probe.map((_, i) => index.find(ids(probe), i));
    const want = probe.map((x) => values.findIndex((y) => y === x));
    expect(got).toEqual(want);
    expect([...index.findAll(ids(probe))]).toEqual(want);
    // ids given as text find the same rows
    expect([...index.findAll({ kind: 'string', values: probe.map(String) })]).toEqual(want);
    expect(got.slice(0, values.length)).toEqual(values.map((_, i) => i));
    expect(index.find({ kind: 'string', values: ['6', 'x', '6.0'] }, 0)).toBe(2);
    expect(index.find({ kind: 'string', values: ['6', 'x', '6.0'] }, 2)).toBe(-1);
  });
  it.each(cases)('%s: a repeated id names both rows', (_, values) => {
    const dup = [...values, values[3]];
    expect(() => new IdIndex(ids(dup), 'after', 'customer_id')).toThrow(`snapshot "after" has customer_id ${values[3]} twice (rows 3 and ${values.length})`);
    expect(() => new IdIndex(ids([...values, 0]), 'after', 'customer_id')).toThrow('twice (rows 6 and 7)');
    // the check without an index says the same
    expect(() => checkUniqueIds(ids(dup), 'after', 'customer_id')).toThrow(`snapshot "after" has customer_id ${values[3]} twice (rows 3 and ${values.length})`);
    expect(() => checkUniqueIds(ids([...values, 0]), 'after', 'customer_id')).toThrow('twice (rows 6 and 7)');
    expect(() => checkUniqueIds(ids([...values, values[5], values[5]]), 'after', 'customer_id')).toThrow(`twice (rows 5 and ${values.length})`);
    expect(() => checkUniqueIds(ids(values), 'after', 'customer_id')).not.toThrow();
    expect(() => checkUniqueIds({ kind: 'string', values: ['a', 'b', 'a'] }, 'after', 'customer_id')).toThrow('customer_id "a" twice (rows 0 and 2)');
  });
  it('integer Arrow id columns (one Int32 chunk used as it is, several chunks, narrower types) match as float64 ids do', () => {
    const values = [5, -1000, 6, 7, 8, 12, 0, 2147483647, -2147483648];
    const probe = [...values, 4, 13, -1, 2147483646];
    const want = probe.map((x) => values.findIndex((y) => y === x));
    const one = new Int32Array(values);
    const t = tableFromArrays({ id: one });
    const single = readIds(t, 'id', 'before');
    expect(single.kind).toBe('number');
    expect(single.values).toBeInstanceOf(Int32Array);
    // no copy: the table's own buffer
    expect((single.values as Int32Array).buffer).toBe(t.getChild('id')!.data[0].values.buffer);
    const chunked = readIds(new Table([tableFromArrays({ id: one.subarray(0, 4) }), tableFromArrays({ id: one.subarray(4) })].flatMap((t) => t.batches)), 'id', 'before');
    expect(chunked.values).toBeInstanceOf(Int32Array);
    expect([...chunked.values]).toEqual(values);
    const narrow = readIds(tableFromArrays({ id: Uint16Array.from([3, 65535, 0]) }), 'id', 'before');
    expect([...narrow.values]).toEqual([3, 65535, 0]);
    for (const before of [single, chunked, ids(values)]) {
      const index = new IdIndex(before, 'before', 'customer_id');
      expect([...index.findAll({ kind: 'number', values: Int32Array.from(probe) })]).toEqual(want);
      expect([...index.findAll(ids(probe))]).toEqual(want);
      expect([...index.findAll(ids([7.5, 6.000000000000001]))]).toEqual([-1, -1]);
    }
    // a slice of an Int32 column is read from its own offset; Uint32 ids above 2^31 stay float64; nulls are refused
    const sliced = readIds(tableFromArrays({ id: one }).slice(3, 7), 'id', 'before');
    expect(sliced.values).toBeInstanceOf(Int32Array);
    expect([...sliced.values]).toEqual(values.slice(3, 7));
    const big = readIds(tableFromArrays({ id: Uint32Array.from([1, 3_000_000_000, 4_294_967_295]) }), 'id', 'before');
    expect(big.values).toBeInstanceOf(Float64Array);
    expect([...big.values]).toEqual([1, 3_000_000_000, 4_294_967_295]);
    const withNull = new Table({ id: makeVector({ type: new Int32(), data: Int32Array.from([4, 0, 6]), nullCount: 1, nullBitmap: Uint8Array.from([0b101]) }) });
    expect(() => readIds(withNull, 'id', 'after')).toThrow('snapshot "after", row 1: the id column "id" is empty');
    // an Int32 id seen twice names both rows, with and without an index
    const dup = { kind: 'number' as const, values: Int32Array.from([...values, 12]) };
    expect(() => new IdIndex(dup, 'after', 'customer_id')).toThrow(`snapshot "after" has customer_id 12 twice (rows 5 and ${values.length})`);
    expect(() => checkUniqueIds(dup, 'after', 'customer_id')).toThrow(`customer_id 12 twice (rows 5 and ${values.length})`);
    // int32 ids in a narrow range: checked, and their range returned; nothing for float64 ids or ids spread wide
    expect(() => uniqueInt32Range({ kind: 'number', values: Int32Array.from([5, -1000, 6, 7, 12, 12]) }, 'before', 'customer_id')).toThrow('snapshot "before" has customer_id 12 twice (rows 4 and 5)');
    expect(uniqueInt32Range({ kind: 'number', values: Int32Array.from([5, -1000, 6]) }, 'before', 'customer_id')).toEqual([-1000, 6]);
    expect(uniqueInt32Range({ kind: 'number', values: Int32Array.from([-2147483648, 2147483647 - 2e9, -2147483647]) }, 'before', 'customer_id')).toBeUndefined();
    expect(uniqueInt32Range({ kind: 'number', values: Int32Array.from([2147483647, 2147483645]) }, 'before', 'customer_id')).toEqual([2147483645, 2147483647]);
    expect(uniqueInt32Range(single, 'before', 'customer_id')).toBeUndefined();
    expect(uniqueInt32Range({ kind: 'number', values: Float64Array.from([1, 2]) }, 'before', 'customer_id')).toBeUndefined();
  });

  it('int32 ids (a table of segments by id) and float64 ids (an index) give the same migration, rows without a segment included', async () => {
    // DBSCAN leaves noise without a segment (-1): customers unscored before, after, or both
    const rng = createRandom(8);
    const blob = (n: number, shift: number) => Array.from({ length: n }, (_, i) => {
      const c = i % 3;
      return i % 17 === 0 ? [rng.normal() * 40, rng.normal() * 40] : [c * 10 + rng.normal() * 0.5 + shift, (c % 2) * 10 + rng.normal() * 0.5];
    });
    const X0 = blob(3000, 0), X1 = blob(3200, 0.2);
    const model = await dbscan(fromRows(X0, { names: ['x', 'y'] }), { eps: 0.8, minSamples: 5 });
    const idB = Int32Array.from({ length: 3000 }, (_, i) => 5 + i), idA = Int32Array.from({ length: 3200 }, (_, i) => (i < 2700 ? 5 + ((i * 7) % 3000) : i % 2 ? 9000 + i : -i));
    const table = (X: number[][], id: Int32Array | Float64Array) => tableFromArrays({ customer_id: id, x: Float32Array.from(X, (r) => r[0]), y: Float32Array.from(X, (r) => r[1]) });
    const byTable = await compareSnapshots(model, table(X0, idB), table(X1, idA), { id: 'customer_id' });
    const byIndex = await compareSnapshots(model, table(X0, Float64Array.from(idB)), table(X1, Float64Array.from(idA)), { id: 'customer_id' });
    expect(byIndex).toEqual(byTable);
    // a scalar twin from predict's labels
    const lb = await model.predict(fromRows(X0, { names: ['x', 'y'] })), la = await model.predict(fromRows(X1, { names: ['x', 'y'] }));
    const k = model.k, rowOf = new Map(Array.from(idB, (v, i) => [v, i]));
    const counts = Array.from({ length: k }, () => new Array(k).fill(0)), fresh = new Array(k).fill(0), gone = new Array(k).fill(0);
    const seen = new Set<number>(), movers: number[] = [], from: number[] = [], to: number[] = [];
    const toUnassigned = new Array(k).fill(0), fromUnassigned = new Array(k).fill(0);
    let returning = 0, unassignedBoth = 0;
    idA.forEach((v, j) => {
      const i = rowOf.get(v);
      if (i === undefined) { if (la[j] >= 0) fresh[la[j]]++; return; }
      seen.add(i);
      returning++;
      if (lb[i] >= 0 && la[j] >= 0) counts[lb[i]][la[j]]++;
      // a move into or out of no segment is a move
      else if (lb[i] >= 0) toUnassigned[lb[i]]++;
      else if (la[j] >= 0) fromUnassigned[la[j]]++;
      else unassignedBoth++;
      if (lb[i] !== la[j]) { movers.push(v); from.push(lb[i]); to.push(la[j]); }
    });
    lb.forEach((c, i) => { if (c >= 0 && !seen.has(i)) gone[c]++; });
    const unassignedGone = lb.filter((c, i) => c < 0 && !seen.has(i)).length;
    expect(unassignedGone).toBeGreaterThan(0);
    expect(byTable.migration.unassignedGone).toBe(unassignedGone);
    expect(byTable.migration.unscoredBefore).toBeGreaterThan(0);
    expect(byTable.migration.counts).toEqual(counts);
    expect(byTable.migration.new).toEqual(fresh);
    expect(byTable.migration.gone).toEqual(gone);
    expect(toUnassigned.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(fromUnassigned.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(byTable.migration.toUnassigned).toEqual(toUnassigned);
    // row shares over every customer of the segment still there, the unassigned ones included
    byTable.migration.shares.forEach((row, i) => row.forEach((v, j) => {
      const still = counts[i].reduce((a, b) => a + b, 0) + toUnassigned[i];
      expect(v).toBe(still ? counts[i][j] / still : 0);
    }));
    expect(byTable.migration.fromUnassigned).toEqual(fromUnassigned);
    // every returning customer is in one cell of the matrix, its unassigned row and column included
    expect(unassignedBoth).toBeGreaterThan(0);
    expect(byTable.migration.unassignedBoth).toBe(unassignedBoth);
    const cells = counts.flat().reduce((a, b) => a + b, 0) + toUnassigned.reduce((a, b) => a + b, 0) + fromUnassigned.reduce((a, b) => a + b, 0);
    expect(cells + byTable.migration.unassignedBoth).toBe(byTable.migration.returning);
    expect(byTable.migration.returning).toBe(returning);
    expect(byTable.migration.moved).toBe(movers.length);
    expect(byTable.movers.id).toEqual(movers);
    expect([...byTable.movers.from]).toEqual(from);
    expect([...byTable.movers.to]).toEqual(to);
    // a segment's share is of every row of its snapshot, the unassigned ones included, as segment's shares are
    byTable.segments.forEach((s, c) => {
      expect(s.shareBefore).toBe(lb.filter((l) => l === c).length / lb.length);
      expect(s.shareAfter).toBe(la.filter((l) => l === c).length / la.length);
    });
    const sum = (key: 'shareBefore' | 'shareAfter') => byTable.segments.reduce((a, s) => a + s[key], 0);
    expect(sum('shareBefore') + byTable.migration.unscoredBefore / lb.length).toBeCloseTo(1, 12);
    expect(sum('shareAfter') + byTable.migration.unscoredAfter / la.length).toBeCloseTo(1, 12);
  });

  it('int32 ids: more than 253 segments (a wider table) match as float64 ids do; duplicates are named as with an index', async () => {
    const rng = createRandom(12);
    const X0 = Array.from({ length: 3000 }, () => [rng.normal() * 10, rng.normal() * 10]), X1 = X0.map(([a, b]) => [a + rng.normal(), b + rng.normal()]);
    const model = await kmeans(fromRows(X0, { names: ['x', 'y'] }), { k: 300, seed: 1, maxIter: 5 });
    const idB = Int32Array.from({ length: 3000 }, (_, i) => 100 + i), idA = Int32Array.from({ length: 3000 }, (_, i) => (i % 10 === 0 ? 50 + i : 100 + ((i * 13) % 3000)));
    const table = (X: number[][], id: Int32Array | Float64Array) => tableFromArrays({ customer_id: id, x: Float32Array.from(X, (r) => r[0]), y: Float32Array.from(X, (r) => r[1]) });
    const byTable = await compareSnapshots(model, table(X0, idB), table(X1, idA), { id: 'customer_id' });
    const byIndex = await compareSnapshots(model, table(X0, Float64Array.from(idB)), table(X1, Float64Array.from(idA)), { id: 'customer_id' });
    expect(byTable.movers.id.length).toBeGreaterThan(100);
    expect(byTable.migration.counts.flat().reduce((a, b) => a + b, 0)).toBe(byTable.migration.returning);
    expect(byIndex).toEqual(byTable);
    // read in windows, the labels of 300 segments kept as int16 between them: the same as held whole
    const laidOut = (windowRows: number) => compareSnapshotsLaidOut(model, table(X0, idB), table(X1, idA), { id: 'customer_id' }, { shardRows: 1024, windowRows });
    const whole = await laidOut(Infinity);
    expect(whole.migration).toEqual(byTable.migration);
    expect(await laidOut(2048)).toEqual(whole);
    // a repeated Arrow Int32 id before, after or in both: the same messages as through the index; the ids are checked
    // while the first snapshot loads, and that snapshot is let go when they fail
    const dupB = Int32Array.from(idB), dupA = Int32Array.from(idA);
    dupB[7] = dupB[3];
    dupA[9] = dupA[4];
    const executor = inlineExecutor();
    try {
      await compareSnapshots(model, table(X0, idB), table(X1, idA), { id: 'customer_id', executor });
      const used = () => (executor as unknown as { liveHeap: { used: number } }).liveHeap.used;
      const idle = used();
      for (const [b, a, message] of [
        [dupB, idA, `snapshot "before" has customer_id ${idB[3]} twice (rows 3 and 7)`],
        [idB, dupA, `snapshot "after" has customer_id ${idA[4]} twice (rows 4 and 9)`],
        [dupB, dupA, `snapshot "before" has customer_id ${idB[3]} twice (rows 3 and 7)`],
      ] as const) {
        for (const ids of [(v: Int32Array) => v, (v: Int32Array) => Float64Array.from(v)]) {
          const e = await failure(() => compareSnapshots(model, table(X0, ids(b)), table(X1, ids(a)), { id: 'customer_id', executor }));
          expect(e.code).toBe('E_DUPLICATE_ID');
          expect(e.message).toContain(message);
          expect(used()).toBe(idle);
        }
      }
    } finally {
      await executor.close();
    }
  });
  it('text ids keep a U+FEFF that begins them, and Binary ids read as the text rfm and the writers give them', () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const text = readIds(new Table({ id: vectorFromArray(['\uFEFFc1', 'c2'], new Utf8()) }), 'id', 'before');
    expect(text).toEqual({ kind: 'string', values: ['\uFEFFc1', 'c2'] });
    const bytes = readIds(new Table({ id: vectorFromArray([enc('c1'), enc('c2'), Uint8Array.of(0xff, 1)], new Binary()) }), 'id', 'after');
    expect(bytes).toEqual({ kind: 'string', values: ['c1', 'c2', 'ff01'], hex: new Set(['ff01']) });
  });

  it('an empty id column finds nothing', () => {
    expect(new IdIndex(ids([]), 'before', 'customer_id').find(ids([3]), 0)).toBe(-1);
  });
});

describe('ids that are text in one snapshot and numbers in the other', async () => {
  const model = await kmeans(fromRows(fx.before.X, { names: FEATURES }), { k: 4, seed: 0, nInit: 4 });
  const withIds = (s: Snap, id: (x: number) => string | number) => rows(s).map((r) => ({ ...r, customer_id: id(r.customer_id) }));

  it('refuses text ids that equal the other snapshot\'s numbers only once read as numbers ("00042" and 42)', async () => {
    const padded = (x: number) => String(x).padStart(8, '0');
    for (const [b, a, side] of [[withIds(fx.before, padded), rows(fx.after), 'before'], [rows(fx.before), withIds(fx.after, padded), 'after']] as const) {
      const e = await failure(() => compareSnapshots(model, b, a, { id: 'customer_id' }));
      expect(e.code).toBe('E_SHAPE_MISMATCH');
      const other: number[] = fx[side === 'before' ? 'after' : 'before'].id;
      const row = fx[side].id.findIndex((x: number) => other.includes(x));
      expect(row).toBeGreaterThanOrEqual(0);
      expect(e.message).toContain(`snapshot "${side}" has customer_id "${padded(fx[side].id[row])}" (row ${row}) as text`);
    }
  });

  it('still matches text ids written as the numbers are, next to ids that are not numbers', async () => {
    const text = withIds(fx.after, (x) => String(x));
    text[0] = { ...text[0], customer_id: 'A-17' };
    const r = await compareSnapshots(model, rows(fx.before), text, { id: 'customer_id' });
    const same = await compareSnapshots(model, rows(fx.before), rows(fx.after), { id: 'customer_id' });
    expect(r.migration.returning).toBe(same.migration.returning - (fx.before.id.includes(fx.after.id[0]) ? 1 : 0));
    expect(r.migration.returning).toBeGreaterThan(0);
  });
});

describe('Binary ids that are not UTF-8, read as their hexadecimal', async () => {
  const model = await kmeans(fromRows(fx.before.X, { names: FEATURES }), { k: 4, seed: 0, nInit: 4 });
  const enc = (t: string) => new TextEncoder().encode(t);
  // the snapshot's Arrow table with its ids replaced
  const withIds = (s: Snap, ids: Vector) => {
    const t: Table = arrow(s);
    const columns: Record<string, Vector> = Object.fromEntries(t.schema.fields.map((f) => [f.name, t.getChild(f.name)!]));
    return new Table({ ...columns, customer_id: ids });
  };

  it('bytes 80 are not the number 80, as rfm refuses them in one column, either way round', async () => {
    const bytesBefore = withIds(fx.before, vectorFromArray(fx.before.id.map((x: number, i: number) => (i === 5 ? Uint8Array.of(0x80) : enc(String(x)))), new Binary()));
    const afterIds = Int32Array.from(fx.after.id);
    afterIds[7] = 80;
    const numbersAfter = withIds(fx.after, makeVector(afterIds));
    let e = await failure(() => compareSnapshots(model, bytesBefore, numbersAfter, { id: 'customer_id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    expect(e.message).toContain('snapshot "before" has customer_id "80" (row 5) as bytes that are not UTF-8, read as their hexadecimal, and snapshot "after" has the number 80 (row 7)');
    e = await failure(() => compareSnapshots(model, withIds(fx.before, makeVector(afterIds)), withIds(fx.after, vectorFromArray([Uint8Array.of(0x80)], new Binary())).slice(0, 1), { id: 'customer_id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    expect(e.message).toContain('snapshot "after" has customer_id "80" (row 0)');
  });

  it('the hexadecimal as text is how rfm and the writers give such bytes: it matches them, and decimal digits as bytes match the numbers', async () => {
    const same = await compareSnapshots(model, arrow(fx.before), arrow(fx.after), { id: 'customer_id' });
    const hex = (x: number) => Uint8Array.of(0xff, x >> 16, (x >> 8) & 255, x & 255);
    const hexText = (x: number) => Array.from(hex(x), (b) => b.toString(16).padStart(2, '0')).join('');
    const r = await compareSnapshots(model, withIds(fx.before, vectorFromArray(fx.before.id.map(hex), new Binary())), withIds(fx.after, vectorFromArray(fx.after.id.map(hexText), new Utf8())), { id: 'customer_id' });
    expect(r.migration).toEqual(same.migration);
    const digits = await compareSnapshots(model, withIds(fx.before, vectorFromArray(fx.before.id.map((x: number) => enc(String(x))), new Binary())), arrow(fx.after), { id: 'customer_id' });
    expect(digits.migration).toEqual(same.migration);
  });
});

describe('which text ids count as numbers', () => {
  it('hexadecimal text is not a number an id column writes; a decimal integer is read exactly', async () => {
    const { checkIdKinds } = await import('../src/workflow/snapshotColumns.js');
    const text = (values: string[]) => ({ kind: 'string' as const, values });
    const numbers = (values: number[]) => ({ kind: 'number' as const, values: Float64Array.from(values) });
    // JavaScript reads "0x10" as 16 and "9007199254740993" as 9007199254740992: neither is that number's id
    expect(() => checkIdKinds(text(['0x10', '9007199254740993']), numbers([16, 9007199254740992]), 'id')).not.toThrow();
    expect(() => checkIdKinds(numbers([16]), text(['016']), 'id')).toThrow(/snapshot "after" has id "016" \(row 0\) as text, and snapshot "before" has the number 16/);
    expect(() => checkIdKinds(text(['a', ' 1e3']), numbers([1000]), 'id')).toThrow(/"before" has id " 1e3" \(row 1\)/);
  });
});
