// Trees and forests give the same bytes on every executor (inline, piscina on 1, 2 and 4 threads, loopback),
// whatever the pass schedule (every node by histograms, small nodes on the caller, everything on the caller).
import { describe, expect, it } from 'vitest';
import { createRandom, decisionTree, fromColumns, randomForest, type TreeEnsemble } from '../src/index.node.js';
import { everyExecutor } from './helpers.js';

const executors = everyExecutor();

// three shards of four overlapping classes; one feature with few distinct values, one with more than 256
const rng = createRandom(5);
const n = 2 * 65_536 + 777, d = 5;
const y = Int32Array.from({ length: n }, () => rng.int(4));
const cols = Array.from({ length: d }, (_, j) =>
  Float32Array.from({ length: n }, (_, i) => (j === 0 ? Math.floor(rng.next() * 12) + y[i] : y[i] * (j % 2 ? 0.7 : -0.4) + rng.normal() * 1.5)),
);
const big = fromColumns({ columns: cols, names: ['visits', 'spend', 'recency', 'basket', 'tenure'] });
const small = fromColumns({ columns: cols.map((c) => c.slice(0, 3_000)), names: big.names });
const smallY = y.slice(0, 3_000);

const fingerprint = (m: TreeEnsemble) => JSON.stringify(m.toJSON()) + Buffer.from(m.labels.buffer).toString('base64');

describe('byte-identical trees and forests', () => {
  it('decisionTree and randomForest on every executor', async () => {
    let want: string | undefined;
    for (const [name, executor] of executors) {
      const tree = await decisionTree(big, y, { maxDepth: 8, executor });
      const forest = await randomForest(big, y, { nTrees: 6, maxDepth: 6, seed: 3, executor });
      const proba = await forest.predictProba(small, { executor });
      const got = fingerprint(tree) + fingerprint(forest) + Buffer.from(proba.buffer).toString('base64');
      if (want === undefined) want = got;
      expect(got === want, name).toBe(true);
    }
  });

  it('the same tree whether nodes are finished by histograms, as local jobs, or both', async () => {
    const ex = executors[0][1];
    for (const make of [
      (collectRows: number) => decisionTree(small, smallY, { collectRows, executor: ex }),
      (collectRows: number) => randomForest(small, smallY, { nTrees: 4, seed: 9, collectRows, executor: ex }),
      // minSamplesLeaf counts a node's distinct rows under bootstrap weights, from bin row counts in the passes (the
      // larger child's derived, with every feature scored) and from the rows in local jobs
      (collectRows: number) => randomForest(small, smallY, { nTrees: 4, seed: 9, minSamplesLeaf: 7, collectRows, executor: ex }),
      (collectRows: number) => randomForest(small, smallY, { nTrees: 4, seed: 9, minSamplesLeaf: 7, maxFeatures: 'all', collectRows, executor: ex }),
    ]) {
      const prints = [];
      for (const collectRows of [0, 50, 400, 1_000_000]) prints.push(fingerprint(await make(collectRows)));
      expect(new Set(prints).size).toBe(1);
    }
  });

  it('the same on three shards, with every schedule, on a pool of two threads', async () => {
    const ex = executors[2][1];
    for (const make of [
      (collectRows?: number) => decisionTree(big, y, { maxDepth: 7, collectRows, executor: ex }),
      (collectRows?: number) => randomForest(big, y, { nTrees: 9, maxDepth: 9, seed: 4, collectRows, executor: ex }),
    ]) {
      const prints = [];
      for (const collectRows of [undefined, 0, 3_000, 40_000, 1_000_000]) prints.push(fingerprint(await make(collectRows)));
      expect(new Set(prints).size).toBe(1);
    }
  });

  it('a different seed gives a different forest; the same seed the same one', async () => {
    const ex = executors[0][1];
    const a = await randomForest(small, smallY, { nTrees: 3, seed: 1, executor: ex });
    const b = await randomForest(small, smallY, { nTrees: 3, seed: 1, executor: ex });
    const c = await randomForest(small, smallY, { nTrees: 3, seed: 2, executor: ex });
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(fingerprint(a)).not.toBe(fingerprint(c));
  });
});
