import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { close, createRandom, fromColumns, kmeans, miniBatchKMeans, MiniBatchKMeansModel, pipeline, SegmentModel } from '../src/index.node.js';
import { linearSumAssignment } from '../src/core/linearSumAssignment.js';
import { refit } from '../src/workflow/refit.js';
import { expectError } from './helpers.js';

afterAll(() => close());

/** Minimum total cost over every injective assignment of the smaller side, by enumeration. */
function bruteForce(cost: number[][]): number {
  const r = cost.length, c = cost[0].length;
  const t = r <= c ? cost : cost[0].map((_, j) => cost.map((row) => row[j]));
  const n = t.length, m = t[0].length;
  let best = Infinity;
  const used = new Array(m).fill(false);
  const go = (i: number, acc: number): void => {
    if (i === n) { best = Math.min(best, acc); return; }
    for (let j = 0; j < m; j++) if (!used[j]) { used[j] = true; go(i + 1, acc + t[i][j]); used[j] = false; }
  };
  go(0, 0);
  return best;
}

describe('linearSumAssignment (Hungarian method)', () => {
  it('equals brute force on 600 random square and rectangular matrices, with ties and negative costs', () => {
    const rng = createRandom(9);
    for (let trial = 0; trial < 600; trial++) {
      const r = 1 + rng.int(6), c = 1 + rng.int(6);
      const ints = trial % 2 === 0;
      const cost = Array.from({ length: r }, () => Array.from({ length: c }, () => (ints ? rng.int(4) - 1 : rng.normal() * 10)));
      const got = linearSumAssignment(cost);
      expect(got.rows.length).toBe(Math.min(r, c));
      expect(new Set(got.rows).size).toBe(got.rows.length);
      expect(new Set(got.cols).size).toBe(got.cols.length);
      expect(got.cost).toBeCloseTo(bruteForce(cost), 9);
      expect(got.cost).toBeCloseTo(got.rows.reduce((a, i, q) => a + cost[i][got.cols[q]], 0), 12);
    }
  });

  it('the documented example, an empty matrix, and bad input', () => {
    expect(linearSumAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]])).toEqual({ rows: [0, 1, 2], cols: [1, 0, 2], cost: 5 });
    expect(linearSumAssignment([])).toEqual({ rows: [], cols: [], cost: 0 });
    expectError(() => linearSumAssignment([[1, 2], [3]]), 'E_RAGGED_ROWS', 'cost row 1');
    expectError(() => linearSumAssignment([[1, NaN]]), 'E_NAN_INPUT', 'cost[0][1]');
  });

  it('+Infinity forbids a pair, as in SciPy: the same optimal cost on 300 matrices, and "infeasible" where SciPy says so', () => {
    const fx = JSON.parse(readFileSync(new URL('./fixtures/lsa_forbidden.json', import.meta.url), 'utf8')) as {
      cases: { matrix: (number | 'inf')[][]; cost?: number; infeasible?: boolean }[];
    };
    let feasible = 0;
    for (const cs of fx.cases) {
      const cost = cs.matrix.map((row) => row.map((v) => (v === 'inf' ? Infinity : v)));
      if (cs.infeasible) {
        expect(bruteForce(cost)).toBe(Infinity);
        expectError(() => linearSumAssignment(cost), 'E_BAD_OPTION', 'infeasible');
        continue;
      }
      feasible++;
      const got = linearSumAssignment(cost);
      expect(got.rows.length).toBe(Math.min(cost.length, cost[0].length));
      expect(new Set(got.cols).size).toBe(got.cols.length);
      expect(got.rows.every((i, q) => Number.isFinite(cost[i][got.cols[q]]))).toBe(true);
      expect(got.cost).toBeCloseTo(cs.cost!, 9);
    }
    expect(feasible).toBe(253);
    expect(linearSumAssignment([[Infinity, 1, 3], [2, Infinity, 5], [3, 2, Infinity]])).toEqual({ rows: [0, 1, 2], cols: [2, 0, 1], cost: 7 });
    expectError(() => linearSumAssignment([[1, Infinity, Infinity], [2, Infinity, Infinity]]), 'E_BAD_OPTION', 'rows 0 to 1 cannot each take a different column');
    expectError(() => linearSumAssignment([[Infinity, 1], [Infinity, 2], [Infinity, 3]]), 'E_BAD_OPTION', 'column 0 can take no row without a cost of +Infinity');
    expectError(() => linearSumAssignment([[-Infinity, 1], [1, 2]]), 'E_NAN_INPUT', 'cost[0][0] is -Infinity');
  });

  it('a hole in the matrix is refused, naming the entry or the row, never assigned as a cost', () => {
    // a hole in a row was passed over by the check and entered the search as NaN: row 0 got the hole's column
    // eslint-disable-next-line no-sparse-arrays
    expectError(() => linearSumAssignment([[1, , 3], [4, 5, 6]] as never), 'E_NAN_INPUT', 'cost[0][1] is undefined');
    // eslint-disable-next-line no-sparse-arrays
    expectError(() => linearSumAssignment([[9, ,], [4, 5]] as never), 'E_NAN_INPUT', 'cost[0][1] is undefined');
    // a number held as text is named as text: "cost[0][1] is 2; costs must be numbers" read as a contradiction
    expectError(() => linearSumAssignment([[1, '2'], [3, 4]] as never), 'E_NAN_INPUT', 'cost[0][1] is "2"; costs must be numbers');
    // a missing row failed with a TypeError
    // eslint-disable-next-line no-sparse-arrays
    expectError(() => linearSumAssignment([[1, 2], , [3, 4]] as never), 'E_RAGGED_ROWS', 'cost row 1 is undefined, not an array of 2 numbers');
    expectError(() => linearSumAssignment([Float64Array.of(1, 2), Float64Array.of(3, 4)] as never), 'E_RAGGED_ROWS', 'cost row 0 is Float64Array, not an array of 2 numbers');
    // row 0 not an array gives no length: it was "not an array of 0 numbers"
    expectError(() => linearSumAssignment([null, [1, 2]] as never), 'E_RAGGED_ROWS', 'cost row 0 is null, not an array of numbers');
    expectError(() => linearSumAssignment([{}, [1, 2]] as never), 'E_RAGGED_ROWS', 'cost row 0 is Object, not an array of numbers');
  });

  it('costs near float64\'s limit: the optimum scipy.optimize.linear_sum_assignment finds, and no endless search', () => {
    // SciPy 1.10.1: rows [0, 1, 2], cols [1, 2, 0] (-1.7e308 + 8e307 - 1.7e308); unscaled potentials overflow
    const wide = [[-5e307, -1.7e308, 1], [-1e308, 0, 8e307], [-1.7e308, 3e307, 1e308]];
    const got = linearSumAssignment(wide);
    expect([got.rows, got.cols]).toEqual([[0, 1, 2], [1, 2, 0]]);
    expect(got.cost).toBe(-Infinity);
    // SciPy 1.10.1: rows [0, 2, 3], cols [2, 0, 1]; unscaled, Infinity - Infinity made the column search loop forever
    const tall = [[8e307, 1e308, 1], [8e307, 1.7e308, 8e307], [-1.7e308, -1e308, 0], [1e308, 8e307, 1.7e308]];
    expect(linearSumAssignment(tall)).toEqual({ rows: [0, 2, 3], cols: [2, 0, 1], cost: 1 - 1.7e308 + 8e307 });
  });
});

const CENTRES = [[0, 0, 0], [9, 0, 0], [0, 9, 0], [0, 0, 9]];
function blobs(n: number, seed: number) {
  const rng = createRandom(seed);
  const truth = Int32Array.from({ length: n }, () => rng.int(4));
  const columns = [0, 1, 2].map((j) => Float32Array.from(truth, (t) => CENTRES[t][j] + rng.normal()));
  return { truth, columns };
}

describe('refit keeps segment identities', async () => {
  const base = blobs(2000, 1);
  const model = await kmeans(fromColumns({ columns: base.columns, names: ['a', 'b', 'c'] }), { k: 4, seed: 1, nInit: 4 });
  const extra = blobs(200, 2);
  const grown = fromColumns({ columns: base.columns.map((c, j) => Float32Array.from([...extra.columns[j], ...c])), names: ['a', 'b', 'c'] });

  it('after adding 10% new customers to well-separated data, every segment keeps its id', async () => {
    for (const seed of [3, 4, 5]) {
      const r = await refit(model, grown, { seed });
      expect(r.matches.map((m) => m.previous)).toEqual([0, 1, 2, 3]);
      expect(r.split).toEqual([]);
      expect(r.merged).toEqual([]);
      expect(r.appeared).toEqual([]);
      expect(r.vanished).toEqual([]);
      // the old customers keep their segment numbers
      expect(Array.from(r.model.labels.subarray(200))).toEqual(Array.from(model.labels));
      for (const m of r.matches) expect(m.shift).toBeLessThan(0.2);
      expect(r.counts.map((row, i) => row[i])).toEqual([0, 1, 2, 3].map((c) => r.model.labels.filter((l) => l === c).length));
    }
  });

  it('a fifth segment appears and splits an old one; with three, one vanishes and two merge', async () => {
    const five = await refit(model, grown, { k: 5, seed: 3 });
    expect(five.appeared).toEqual([4]);
    expect(five.split.length).toBe(1);
    expect(five.split[0].into).toContain(4);
    expect(five.text).toMatch(/appeared: 4/);
    const three = await refit(model, grown, { k: 3, seed: 3 });
    expect(three.vanished.length).toBe(1);
    expect(three.merged.length).toBe(1);
    expect(three.merged[0].from).toContain(three.vanished[0]);
    expect(three.text).toMatch(/merged: /);
  });

  it('with one segment fewer, the survivors below the new k keep their ids; only one past it takes the vanished id', async () => {
    // segment 0's customers leave: segments 1 and 2 stay 1 and 2, and 3 (no id under k = 3) becomes 0
    const keep = Array.from(model.labels, (l, i) => (l === 0 ? -1 : i)).filter((i) => i >= 0);
    const rest = fromColumns({ columns: base.columns.map((c) => Float32Array.from(keep, (i) => c[i])), names: ['a', 'b', 'c'] });
    const r = await refit(model, rest, { k: 3, seed: 3 });
    expect(r.vanished).toEqual([0]);
    expect(r.matches.map((m) => m.previous)).toEqual([3, 1, 2]);
    expect(r.text).toContain('renumbered because old segments vanished: 3 -> 0');
    const before = keep.map((i) => model.labels[i]);
    expect(Array.from(r.model.labels)).toEqual(before.map((l) => (l === 3 ? 0 : l)));
    expect(r.counts[1][1] + r.counts[2][2] + r.counts[3][0]).toBe(keep.length);
  });

  it('rejects unknown options', async () => {
    await expect(refit(model, grown, { seeds: 3 } as never)).rejects.toThrow(/did you mean "seed"/);
  });
});

/** For each centroid of `a`, the index of the equal centroid of `b` (every one found, to 1e-9 relative). */
function permutation(a: number[][], b: number[][]): number[] {
  return a.map((c) => {
    const j = b.findIndex((o) => o.every((v, q) => Math.abs(v - c[q]) <= 1e-9 * Math.max(1, Math.abs(v))));
    expect(j).toBeGreaterThanOrEqual(0);
    return j;
  });
}

describe('refit of a mini-batch k-means model', async () => {
  const base = blobs(2000, 1);
  const names = ['a', 'b', 'c'];
  const model = await miniBatchKMeans(fromColumns({ columns: base.columns, names }), { k: 4, seed: 1, batchSize: 256 });
  const extra = blobs(200, 2);
  const grown = fromColumns({ columns: base.columns.map((c, j) => Float32Array.from([...extra.columns[j], ...c])), names });

  it('fits anew by mini-batch k-means with the model\'s batch size, keeps every segment\'s id, and continues with partialFit', async () => {
    const r = await refit(model, grown, { seed: 3 });
    expect(r.model).toBeInstanceOf(MiniBatchKMeansModel);
    expect(r.matches.map((m) => m.previous)).toEqual([0, 1, 2, 3]);
    expect([r.split, r.merged, r.appeared, r.vanished]).toEqual([[], [], [], []]);
    for (const m of r.matches) expect(m.shift).toBeLessThan(0.2);
    // the old customers keep their segment numbers
    expect(Array.from(r.model.labels.subarray(200))).toEqual(Array.from(await model.predict(fromColumns({ columns: base.columns, names }))));
    expect([r.model.batchSize, r.model.reassignmentRatio]).toEqual([model.batchSize, model.reassignmentRatio]);
    // the same fit made directly, renumbered: centroids, counts and labels move together
    const direct = await miniBatchKMeans(grown, { k: 4, seed: 3, nInit: 4, batchSize: model.batchSize, reassignmentRatio: model.reassignmentRatio });
    const perm = permutation(direct.centroids, r.model.centroids);
    expect(new Set(perm).size).toBe(4);
    direct.counts.forEach((c, j) => expect(r.model.counts[perm[j]]).toBe(c));
    expect(Array.from(r.model.labels)).toEqual(Array.from(direct.labels, (l) => perm[l]));
    expect([r.model.inertia, r.model.nSteps, r.model.rowsSeen]).toEqual([direct.inertia, direct.nSteps, direct.rowsSeen]);
    // partialFit goes on from the renumbered state as from the direct one
    const batch = fromColumns({ columns: extra.columns, names });
    await direct.partialFit(batch, { halfLife: 2 });
    await r.model.partialFit(batch, { halfLife: 2 });
    expect(permutation(direct.centroids, r.model.centroids)).toEqual(perm);
    expect(Array.from(r.model.labels)).toEqual(Array.from(direct.labels, (l) => perm[l]));
  });

  it('reads the centroids once per model, not once per entry of the cost matrix (k = 24, d = 16 took minutes so)', async () => {
    const rng = createRandom(4);
    const wide = Array.from({ length: 16 }, (_, j) => `f${j}`);
    const data = fromColumns({ columns: wide.map(() => Float32Array.from({ length: 600 }, () => rng.normal())), names: wide });
    const mb = await miniBatchKMeans(data, { k: 24, seed: 1, batchSize: 256, nInit: 1 });
    const reads = vi.spyOn(MiniBatchKMeansModel.prototype, 'centroidData', 'get');
    try {
      const r = await refit(mb, data, { seed: 2, nInit: 1 });
      // the old model's and the new fit's, and whatever the renumbering reads: a handful, where the cost matrix alone
      // read them 2 k^2 d = 18,432 times, each a fresh k x d array
      expect(reads.mock.calls.length).toBeLessThanOrEqual(6);
      // the matching is the optimum of the squared centre distances, as before
      const oldC = mb.centroids, newC = r.model.centroids;
      const cost = oldC.map((a) => newC.map((b) => a.reduce((s, v, q) => s + (v - b[q]) ** 2, 0)));
      expect(r.matches.reduce((s, m) => s + cost[m.previous!][m.id], 0)).toBeCloseTo(linearSumAssignment(cost).cost, 9);
    } finally {
      reads.mockRestore();
    }
  });

  /** Four segments' summaries of the rows (means of a, b, c), named by `nameOf`. */
  const summariesOf = (rows: { a: number; b: number; c: number }[], labels: Int32Array, nameOf: (id: number) => string) => Array.from({ length: 4 }, (_, id) => {
    const members = rows.filter((_, i) => labels[i] === id);
    return { id, name: nameOf(id), size: members.length, share: members.length / rows.length, means: Object.fromEntries(names.map((f) => [f, members.reduce((s, r) => s + r[f as 'a'], 0) / members.length])) };
  });

  it('a SegmentModel holding one is refitted into a SegmentModel holding one, saved and read back', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ a: base.columns[0][i], b: base.columns[1][i], c: base.columns[2][i] }));
    const prep = pipeline({ scale: 'standard' });
    const { dataset } = await prep.fitTransform(rows);
    const mb = await miniBatchKMeans(dataset, { k: 4, seed: 1, batchSize: 256 });
    const segments = summariesOf(rows, mb.labels, (id) => `group ${id}`);
    const sm = new SegmentModel({ pipeline: prep, model: mb, segments });
    const r = await refit(sm, rows, { seed: 3 });
    expect(r.model.model).toBeInstanceOf(MiniBatchKMeansModel);
    expect(r.model.names).toEqual(['group 0', 'group 1', 'group 2', 'group 3']);
    expect(Array.from(await r.model.predict(rows))).toEqual(Array.from(await sm.predict(rows)));
    expect(SegmentModel.fromJSON(JSON.stringify(r.model.toJSON())).kind).toBe('minibatch-kmeans');
  });

  it("a SegmentModel's names stand isolated in the text when they hold right-to-left text or an override", async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ a: base.columns[0][i], b: base.columns[1][i], c: base.columns[2][i] }));
    const prep = pipeline({ scale: 'standard' });
    const { dataset } = await prep.fitTransform(rows);
    const km = await kmeans(dataset, { k: 4, seed: 1 });
    const segments = summariesOf(rows, km.labels, (id) => `\u202Egroup ${id}`);
    const r = await refit(new SegmentModel({ pipeline: prep, model: km, segments }), rows, { k: 5, seed: 3 });
    expect(r.split.length).toBeGreaterThan(0);
    // "split: 2 into 2 (\u2068\u202Egroup 2\u2069) and 4": the override ends with the name, not with the text
    const kept = r.split[0].into.find((id) => r.matches[id].previous !== null)!;
    expect(r.text).toContain(`${kept} (\u2068\u202Egroup ${r.matches[kept].previous}\u2069)`);
    expect(r.text.split('\u2068').length).toBe(r.text.split('\u2069').length);
    expect(r.text.split('\u2068').length - 1).toBe(r.text.split('\u202E').length - 1);
  });

  it('a new segment never takes the name of a kept one (an earlier refit\'s "New segment 4"): every name stays different', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ a: base.columns[0][i], b: base.columns[1][i], c: base.columns[2][i] }));
    const prep = pipeline({ scale: 'standard' });
    const { dataset } = await prep.fitTransform(rows);
    const km = await kmeans(dataset, { k: 4, seed: 1 });
    const segments = summariesOf(rows, km.labels, (id) => id === 1 ? 'New segment 4' : `group ${id}`);
    const r = await refit(new SegmentModel({ pipeline: prep, model: km, segments }), rows, { k: 5, seed: 3 });
    expect(r.matches.map((m) => m.previous)).toEqual([0, 1, 2, 3, null]);
    // segment 4 was named "New segment 4" beside the kept segment 1 of that name
    expect(r.model.names).toEqual(['group 0', 'New segment 4', 'group 2', 'group 3', 'New segment 4 (2)']);
    expect(SegmentModel.fromJSON(JSON.stringify(r.model.toJSON())).names).toEqual(r.model.names);
  });

  it('other model kinds are refused by name', async () => {
    const { gaussianMixture } = await import('../src/index.node.js');
    const gmm = await gaussianMixture(grown, { k: 2, seed: 1 });
    await expect(refit(gmm as never, grown)).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('mini-batch k-means') });
  });
});

describe.each([
  ['imputed', { impute: 'mean', scale: 'standard' }],
  ['imputed and one-hot encoded', { impute: 'mean', scale: 'standard', encode: ['plan'] }],
] as const)('refit of a SegmentModel whose pipeline is %s', async (_, options) => {
  // two features, one with missing values the pipeline imputes, and a one-hot encoded plan
  const rng = createRandom(11);
  const groups = [[10, 900, 'gold'], [200, 80, 'free'], [60, 300, 'silver']] as const;
  type Row = { id: string; recency: number; monetary: number | null; plan: string };
  const customers = (n: number): Row[] => Array.from({ length: n }, (_, i) => {
    const [r, m, plan] = groups[i % 3];
    return { id: `c${i}`, recency: r * (1 + 0.08 * rng.normal()), monetary: i % 3 === 2 && i % 5 === 0 ? null : m * (1 + 0.06 * rng.normal()), plan: i % 7 === 0 ? 'free' : plan };
  });
  const rows = customers(300);
  const prep = pipeline({ ...options, encode: 'encode' in options ? [...options.encode] : false });
  const { dataset } = await prep.fitTransform(rows);
  const model = await kmeans(dataset, { k: 3, seed: 1 });
  const present = rows.filter((r) => r.monetary !== null);
  const fill = present.reduce((s, r) => s + r.monetary!, 0) / present.length;
  /** Per segment, in float64 from the records: the mean recency, monetary with missing values at the fitted fill, and plan shares. */
  const direct = (table: Row[], labels: Int32Array, c: number): Record<string, number> => {
    const members = table.filter((_, i) => labels[i] === c);
    const mean = (f: (r: Row) => number) => members.reduce((s, r) => s + f(r), 0) / members.length;
    const plans = 'encode' in options ? ['free', 'gold', 'silver'].map((p) => [`plan=${p}`, mean((r) => +(r.plan === p))]) : [];
    return { recency: mean((r) => r.recency), monetary: mean((r) => r.monetary ?? fill), ...Object.fromEntries(plans) };
  };
  const sm = new SegmentModel({
    pipeline: prep, model,
    segments: [0, 1, 2].map((id) => {
      const size = model.labels.filter((l) => l === id).length;
      return { id, name: `segment ${id}`, size, share: size / rows.length, means: direct(rows, model.labels, id) };
    }),
  });

  it('summarises the refitted segments as the pipeline prepared the rows (imputed, encoded, unscaled), matched in its space', async () => {
    expect(rows.filter((r) => r.monetary === null).length).toBe(20);
    const next = [...customers(60), ...rows];
    const r = await refit(sm, next, { seed: 2 });
    expect(r.matches.map((m) => m.previous)).toEqual([0, 1, 2]);
    const labels = r.model.model.labels;
    for (let c = 0; c < 3; c++) {
      const want = direct(next, labels, c);
      const got = r.model.segments[c].means;
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [key, v] of Object.entries(want)) expect(got[key]).toBeCloseTo(v, 9);
    }
    // centroids and shifts in the pipeline's output, where the old model's centroids live
    const prepared = prep.transform(next).dataset;
    const old = model.centroids, now = (r.model.model as typeof model).centroids;
    for (let c = 0; c < 3; c++) {
      const idx = Array.from(labels.keys()).filter((i) => labels[i] === c);
      prepared.columns.forEach((col, j) => expect(now[c][j]).toBeCloseTo(idx.reduce((s, i) => s + col[i], 0) / idx.length, 4));
      expect(r.matches[c].shift).toBeCloseTo(Math.hypot(...old[c].map((v, j) => v - now[c][j])), 9);
    }
  });
});
