// HDBSCAN (no reference on this machine: scikit-learn 1.2.1 has none) against a plain O(n^2) twin written from the
// papers' definitions, and against cases worked by hand.
import { afterAll, describe, expect, it } from 'vitest';
import { close, createRandom, fromColumns, hdbscan, inlineExecutor, loopbackExecutor, piscinaExecutor, type Executor } from '../src/index.node.js';
import { failure } from './helpers.js';
import { hdbscanTwin } from './twins/hdbscan.js';
import { mutualReachabilityTree } from '../src/core/hdbscan.js';

const ex = inlineExecutor();
afterAll(async () => { await ex.close(); await close(); });

/** Labels renumbered by first appearance (noise stays -1): equal partitions give equal arrays. */
const canon = (l: ArrayLike<number>): number[] => {
  const m = new Map<number, number>();
  return Array.from(l, (v) => (v < 0 ? -1 : m.get(v) ?? (m.set(v, m.size), m.size - 1)));
};

function blobsWithNoise(seed: number, n: number, d: number): number[][] {
  const rng = createRandom(seed);
  const centres = Array.from({ length: 4 }, () => Array.from({ length: d }, () => rng.next() * 10));
  return Array.from({ length: n }, (_, i) => (i % 10 === 0
    ? Array.from({ length: d }, () => rng.next() * 12 - 1)
    : centres[i % 4].map((c) => c + rng.normal() * (0.3 + 0.2 * (i % 3)))));
}

describe('hdbscan matches the O(n^2) twin', () => {
  const cases: [seed: number, n: number, d: number, mcs: number, ms: number, method: 'eom' | 'leaf'][] = [
    [1, 120, 2, 5, 5, 'eom'], [2, 200, 3, 8, 3, 'eom'], [3, 150, 5, 4, 6, 'leaf'], [4, 90, 2, 3, 1, 'eom'], [5, 160, 17, 6, 2, 'eom'], [6, 100, 1, 5, 5, 'leaf'],
  ];
  for (const [seed, n, d, mcs, ms, method] of cases) {
    it(`n = ${n}, d = ${d}, minClusterSize ${mcs}, minSamples ${ms}, ${method}`, async () => {
      const X = blobsWithNoise(seed, n, d);
      const r = await hdbscan(X, { minClusterSize: mcs, minSamples: ms, clusterSelectionMethod: method, executor: ex });
      const t = hdbscanTwin(X, mcs, ms, method);
      expect(Array.from(r.coreDistances)).toEqual(t.core);
      expect(canon(r.labels)).toEqual(canon(t.labels));
      expect(r.k).toBe(new Set(t.labels.filter((l) => l >= 0)).size);
      expect(r.k).toBeGreaterThan(1);
      expect(r.probabilities).toHaveLength(n);
      expect(r.outlierScores).toHaveLength(n);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(r.probabilities[i] - t.probabilities[i])).toBeLessThan(1e-12);
        expect(Math.abs(r.outlierScores[i] - t.outlierScores[i])).toBeLessThan(1e-12);
      }
      // stabilities of the same clusters (matched through their members)
      const twinOf = new Map<number, number>();
      for (let i = 0; i < n; i++) if (r.labels[i] >= 0) twinOf.set(r.labels[i], t.labels[i]);
      expect(r.clusterStability).toHaveLength(r.k);
      r.clusterStability.forEach((s, l) => expect(Math.abs(s - t.stability[twinOf.get(l)!])).toBeLessThanOrEqual(1e-12 * s));
    });
  }
});

describe('hdbscan matches the twin where distances tie (integer grid data)', () => {
  it.each([[3, 2, 6, 4, 'eom'], [4, 3, 5, 3, 'leaf'], [7, 2, 4, 1, 'eom']] as const)('seed %i, d = %i', async (seed, d, mcs, ms, method) => {
    const X = blobsWithNoise(seed, 150, d).map((r) => r.map((v) => Math.round(v * 2)));
    const r = await hdbscan(X, { minClusterSize: mcs, minSamples: ms, clusterSelectionMethod: method, executor: ex });
    const t = hdbscanTwin(X, mcs, ms, method);
    expect(Array.from(r.coreDistances)).toEqual(t.core);
    expect(canon(r.labels)).toEqual(canon(t.labels));
    expect(r.probabilities).toHaveLength(X.length);
    expect(r.outlierScores).toHaveLength(X.length);
    for (let i = 0; i < X.length; i++) {
      expect(Math.abs(r.probabilities[i] - t.probabilities[i])).toBeLessThan(1e-12);
      expect(Math.abs(r.outlierScores[i] - t.outlierScores[i])).toBeLessThan(1e-12);
    }
  });
});

describe('hdbscan where many rows are identical', () => {
  // customer tables repeat rows (one purchase of the usual amount): groups of identical rows at core distance 0 are
  // joined before the spanning-tree search, which otherwise compared every pair of such a group
  const rowsOf = (seed: number, n: number, d: number, share: number): number[][] => {
    const rng = createRandom(seed);
    return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (__, j) => (rng.next() < share ? (i % 3) + j : rng.normal() * 2)));
  };
  const treeOf = async (X: number[][], ms: number) => {
    const { edges } = await mutualReachabilityTree(ex, fromColumns({ columns: X[0].map((_, j) => Float32Array.from(X, (r) => r[j])) }), ms);
    return Array.from({ length: edges.length / 3 }, (_, e) => [edges[3 * e + 2], edges[3 * e], edges[3 * e + 1]]);
  };
  it.each([[11, 300, 2, 0.9, 5, 5], [12, 260, 3, 0.7, 4, 1], [13, 320, 1, 0.95, 6, 9], [14, 200, 2, 0.5, 3, 2]] as const)(
    'seed %i: the spanning tree is the twin\'s, edge for edge, and so are the clusters', async (seed, n, d, share, mcs, ms) => {
      const X = rowsOf(seed, n, d, share);
      const t = hdbscanTwin(X, mcs, ms, 'eom');
      expect(await treeOf(X, ms)).toEqual(t.edges);
      const r = await hdbscan(X, { minClusterSize: mcs, minSamples: ms, executor: ex });
      expect(Array.from(r.coreDistances)).toEqual(t.core);
      expect(canon(r.labels)).toEqual(canon(t.labels));
    });
});

describe('hdbscan on cases worked by hand', () => {
  it('1-D: two groups of three and an outlier (minSamples 1: mutual reachability is the distance)', async () => {
    // tree edges 1,1 | 1,1 | 8 between groups | 18 to the outlier. Cutting from the top: the outlier leaves the
    // root at lambda 1/18; at 1/8 the root splits into {0,1,2} and {10,11,12}; each falls apart at lambda 1.
    const r = await hdbscan([[0], [1], [2], [10], [11], [12], [30]], { minClusterSize: 2, minSamples: 1, executor: ex });
    expect(Array.from(r.labels)).toEqual([0, 0, 0, 1, 1, 1, -1]);
    expect(Array.from(r.probabilities)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    // GLOSH: 1 - (1/18) / 1 for the outlier (its cluster, the root, reaches lambda 1 below); 0 for the rest
    expect(r.outlierScores[6]).toBeCloseTo(17 / 18, 15);
    expect(Array.from(r.outlierScores.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
    // stability of each group: 3 points x (1 - 1/8)
    expect(Array.from(r.clusterStability)).toEqual([3 * (1 - 1 / 8), 3 * (1 - 1 / 8)]);
    expect(Array.from(r.coreDistances)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('core distances count the point itself: minSamples 2 is the nearest other point', async () => {
    const r = await hdbscan([[0], [1], [3], [7]], { minClusterSize: 2, minSamples: 2, executor: ex });
    expect(Array.from(r.coreDistances)).toEqual([1, 1, 2, 4]);
  });

  it('duplicates: clusters at distance 0 (lambda = infinity) are stable, their points fully members', async () => {
    const r = await hdbscan([[0, 0], [0, 0], [0, 0], [5, 5], [5, 5], [5, 5]], { minClusterSize: 3, minSamples: 1, executor: ex });
    expect(canon(r.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(r.probabilities)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(r.outlierScores)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('leaf selection picks the finest clusters, excess of mass the stable parent', async () => {
    // two tight pairs of groups: {0..4} and {5..9} near each other, {20..24} far away
    const X = [0, 0.1, 0.2, 0.3, 0.4, 2, 2.1, 2.2, 2.3, 2.4, 50, 50.1, 50.2, 50.3, 50.4].map((v) => [v]);
    const eom = await hdbscan(X, { minClusterSize: 5, minSamples: 1, executor: ex });
    const leaf = await hdbscan(X, { minClusterSize: 5, minSamples: 1, clusterSelectionMethod: 'leaf', executor: ex });
    expect(canon(leaf.labels)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    const t = hdbscanTwin(X, 5, 1, 'eom');
    expect(canon(eom.labels)).toEqual(canon(t.labels));
  });

  it('neighbour lists past what one typed array holds are refused with E_MEMORY, before any search', async () => {
    const n = 46_400;
    const x = Float32Array.from({ length: n }, (_, i) => i % 97);
    const e = await failure(() => hdbscan(fromColumns({ columns: [x] }), { minClusterSize: n, minSamples: n }));
    expect(e.code).toBe('E_MEMORY');
    expect(e.message).toContain(`${n} neighbours of each of the ${n} rows: ${n * n} in all`);
  });

  it('fewer rows than minClusterSize: everything is noise', async () => {
    const r = await hdbscan([[0], [1], [2]], { minClusterSize: 5, minSamples: 2, executor: ex });
    expect(Array.from(r.labels)).toEqual([-1, -1, -1]);
    expect(r.k).toBe(0);
  });
});

describe('hdbscan refuses bad input, naming the option', () => {
  it.each([
    [{ minClusterSize: 1 }, 'minClusterSize'], [{ minClusterSize: 2.5 }, 'minClusterSize'], [{ minSamples: 0 }, 'minSamples'],
    [{ minSamples: 9 }, 'minSamples'], [{ minClusterSize: 9 }, 'minClusterSize'], [{ minSamples: 2, clusterSelectionMethod: 'excess' }, 'clusterSelectionMethod'], [{ min_cluster_size: 3 }, 'min_cluster_size'],
  ])('%j', async (options, name) => {
    const e = await failure(() => hdbscan([[0], [1], [2], [3]], options as never));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain(`"${name}"`);
  });
});

describe('hdbscan lets the event loop in during a large fit', () => {
  it('its search passes run in shards of 4,096 rows whatever the rows, and an abort during the first ends the fit with E_ABORTED', async () => {
    const rng = createRandom(3);
    const n = 70_000;
    const X = { columns: [0, 1].map(() => Float32Array.from({ length: n }, () => rng.normal())) };
    const loads: (number | undefined)[] = [];
    let passes = 0;
    const ac = new AbortController();
    const watching = new Proxy(ex, {
      get(target, key) {
        if (key === 'load') return (...a: Parameters<typeof ex.load>) => { loads.push(a[1]?.shardRows); return target.load(...a); };
        if (key === 'map') {
          return (...a: Parameters<typeof ex.map>) => {
            // the first pass (the neighbour searches) is running when a timer fires the abort
            if (passes++ === 0) setTimeout(() => ac.abort(), 0);
            return target.map(...a);
          };
        }
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const e = await failure(() => hdbscan(X, { minClusterSize: 20, executor: watching, signal: ac.signal }));
    expect(e.code).toBe('E_ABORTED');
    expect(passes).toBe(1);
    expect(loads).toEqual([4096]);
  });
});

describe('hdbscan gives the same bytes on every executor', () => {
  it('17 shards of 4,096 rows', async () => {
    const executors: [string, Executor][] = [['inline', ex], ['piscina 2', piscinaExecutor({ threads: 2 })], ['loopback', loopbackExecutor()]];
    const rng = createRandom(9);
    const n = 65_536 + 2_000;
    const X = { columns: [0, 1, 2].map((j) => Float32Array.from({ length: n }, (_, i) => (i % 5) * 4 + j + rng.normal() * (i % 40 === 0 ? 6 : 0.5))) };
    let want: string | undefined;
    for (const [name, e] of executors) {
      const r = await hdbscan(X, { minClusterSize: 50, minSamples: 10, executor: e });
      const got = [r.labels, r.probabilities, r.outlierScores, r.coreDistances, r.singleLinkage].map((a) => Buffer.from(a.buffer).toString('base64')).join();
      if (want === undefined) { want = got; expect(r.k).toBeGreaterThan(1); } else expect({ name, same: got === want }).toEqual({ name, same: true });
      if (e !== ex) await e.close();
    }
  }, 180_000);
});
