import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { close } from '../src/index.node.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { daviesBouldinScore } from '../src/metrics/daviesBouldinScore.js';
import { relErr } from './helpers.js';

afterAll(close);

// scikit-learn 1.2.1's davies_bouldin_score (test/fixtures/davies_bouldin_coincident.py): clusters with the same mean
// are at an infinite separation there; the float32 centroids here differ from each other by rounding alone
const fx = JSON.parse(readFileSync(new URL('./fixtures/davies-bouldin-coincident.json', import.meta.url), 'utf8'));

describe('Davies-Bouldin with clusters that share a mean', () => {
  it.each([1, 2])('matches scikit-learn rather than dividing by a rounding error (%i thread(s))', async (threads) => {
    expect(fx.cases).toHaveLength(6);
    for (const c of fx.cases) expect(relErr(await daviesBouldinScore(c.X, c.labels, { threads }), c.davies_bouldin)).toBeLessThan(1e-6);
  });

  it('two clusters with the same integer mean: 1/3, not 4.5e7', async () => {
    expect(await daviesBouldinScore([[-1], [0], [1], [0], [3], [1]], [0, 1, 2, 1, 1, 1], { executor: inlineExecutor() })).toBeCloseTo(1 / 3, 6);
  });

  it('distinct means of widely spread clusters are not taken for one point', async () => {
    // means 0 and 0.5 of values near +-1e6 (exact in float32): scikit-learn 1.2.1 gives 4000000.0 and
    // 2733333.3666666667 (with a third cluster {5, 6}); a bound looser than the rounding made them 0 and 193939.49
    const ex = inlineExecutor();
    expect(await daviesBouldinScore([[-1e6], [1e6], [-1e6 + 0.5], [1e6 + 0.5]], [0, 0, 1, 1], { executor: ex })).toBe(4e6);
    const three = await daviesBouldinScore([[-1e6], [1e6], [-1e6 + 0.5], [1e6 + 0.5], [5], [6]], [0, 0, 1, 1, 2, 2], { executor: ex });
    expect(relErr(three, 2733333.3666666667)).toBeLessThan(1e-12);
  });
});
