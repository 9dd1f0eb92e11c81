import { afterAll, describe, expect, it } from 'vitest';
import { close, fromRows, kmeans } from '../src/index.node.js';
import { compareSnapshots } from '../src/workflow/compareSnapshots.js';
import { failure } from './helpers.js';

afterAll(() => close());

// two groups far apart; after, 6 of the 40 returning customers (from the low group) sit in the high one: 15%
const before = Array.from({ length: 40 }, (_, i) => ({ id: i, x: (i < 20 ? 0 : 10) + (i % 5) / 10 }));
const after = before.map((r) => (r.id < 6 ? { ...r, x: 10 + r.x } : r));

describe('compareSnapshots thresholds', async () => {
  const model = await kmeans(fromRows(before.map((r) => [r.x]), { names: ['x'] }), { k: 2, seed: 0 });

  it('a share or a significance level given in percent is refused, naming the threshold', async () => {
    for (const [key, v] of [['ksAlpha', 5], ['movedShare', 25], ['missingRise', 10], ['ksStatistic', 1.5]] as const) {
      const e = await failure(() => compareSnapshots(model, before, after, { id: 'id', thresholds: { [key]: v } }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain(`thresholds.${key}`);
      expect(e.message).toContain('from 0 to 1');
    }
  });

  it('shares up to 1 and PSI or distance thresholds above 1 are taken, and change the recommendation', async () => {
    const moved = 'of returning customers changed segment';
    const r = await compareSnapshots(model, before, after, { id: 'id', thresholds: { psiModerate: 5, psiSignificant: 6, distanceRise: 2 } });
    expect(r.migration.moved).toBe(6);
    expect(r.migration.returning).toBe(40);
    // 15% moved: below the default 25%
    expect(r.recommendation.reasons.some((s) => s.includes(moved))).toBe(false);
    const low = await compareSnapshots(model, before, after, { id: 'id', thresholds: { psiModerate: 5, psiSignificant: 6, distanceRise: 2, movedShare: 0.15 } });
    expect(low.thresholds.movedShare).toBe(0.15);
    expect(low.recommendation.reasons).toContain(`15.0% ${moved}`);
    const all = await compareSnapshots(model, before, after, { id: 'id', thresholds: { movedShare: 1, ksAlpha: 1, ksStatistic: 1, missingRise: 1 } });
    expect(all.recommendation.reasons.some((s) => s.includes(moved))).toBe(false);
  });
});
