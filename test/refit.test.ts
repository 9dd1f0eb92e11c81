import { afterAll, describe, expect, it } from 'vitest';
import { close, createRandom, fromColumns, kmeans } from '../src/index.node.js';
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

  it('rejects unknown options', async () => {
    await expect(refit(model, grown, { seeds: 3 } as never)).rejects.toThrow(/did you mean "seed"/);
  });
});
