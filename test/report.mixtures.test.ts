import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildReport } from '../src/report/buildReport.js';
import { chartSpecs } from '../src/report/chartSpecs.js';
import { gaussianMixture } from '../src/core/gaussianMixture.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { profileSegments } from '../src/explain/profileSegments.js';
import { reportFixture } from './helpers/reportFixture.js';
import { failure } from './helpers.js';

type Values = { values: Record<string, unknown>[] };

describe('mixture charts', () => {
  afterEach(() => vi.restoreAllMocks());

  it('membership certainty: per segment, the share of its rows in each band of the largest probability', () => {
    const fx = reportFixture();
    const n = fx.data.n;
    // a known spread: row i's largest probability cycles through the four bands
    const maxProba = Float64Array.from({ length: n }, (_, i) => [0.99, 0.9, 0.7, 0.5][i % 4]);
    const specs = chartSpecs({ profiles: fx.input.profiles, certainty: { maxProba, labels: fx.labels } });
    const values = (specs.certainty as unknown as { layer: { data: Values }[] }).layer[0].data.values as { segment: string; band: string; share: number }[];
    for (let t = 0; t < fx.k; t++) {
      const rows = Array.from(fx.labels.keys()).filter((i) => fx.labels[i] === t);
      const mine = values.filter((v) => v.segment.startsWith(`${t}:`));
      expect(mine.map((v) => v.band)).toEqual(['95% or more', '80 to 95%', '60 to 80%', 'under 60%']);
      mine.forEach((v, q) => expect(v.share).toBeCloseTo(rows.filter((i) => i % 4 === q).length / rows.length, 12));
      expect(mine.reduce((s, v) => s + v.share, 0)).toBeCloseTo(1, 12);
    }
    expect(() => chartSpecs({ profiles: fx.input.profiles, certainty: { maxProba: maxProba.subarray(1), labels: fx.labels } })).toThrow(/certainty/);
  });

  it('membership certainty: a label or a probability that is not one is refused naming the row, never a TypeError or shares short of 100%', async () => {
    const fx = reportFixture();
    const maxProba = Float64Array.from({ length: fx.data.n }, () => 0.9);
    const at = (values: ArrayLike<number>, i: number, v: number) => Float64Array.from(values, (x, j) => (j === i ? v : x));
    const spec = (p: ArrayLike<number>, labels: ArrayLike<number>) => chartSpecs({ profiles: fx.input.profiles, certainty: { maxProba: p, labels } });
    for (const l of [0.5, Number.NaN, fx.k, -2]) {
      const e = await failure(() => spec(maxProba, at(fx.labels, 3, l)));
      expect(e.code).toBe('E_BAD_LABELS');
      expect(e.message).toContain(`certainty row 3 has label ${l}`);
    }
    for (const p of [Number.NaN, 2, -0.5]) {
      const e = await failure(() => spec(at(maxProba, 5, p), fx.labels));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain(`certainty.maxProba: row 5 has probability ${p}`);
    }
    // a row in no segment (-1) is in no bar: the shares of the others still add up to 1
    const values = (spec(maxProba, at(fx.labels, 0, -1)).certainty as unknown as { layer: { data: Values }[] }).layer[0].data.values as { segment: string; band: string; share: number }[];
    expect(values.filter((v) => v.band === '80 to 95%').map((v) => v.share)).toEqual(Array(fx.k).fill(1));
  });

  it('the scatter refuses a point that is not at two finite numbers: it was drawn nowhere while the subtitle counted it', async () => {
    const fx = reportFixture();
    const n = fx.data.n;
    const x = Float64Array.from({ length: n }, (_, i) => i), y = Float64Array.from({ length: n }, (_, i) => -i);
    for (const [xs, ys, at] of [[Float64Array.from(x, (v, i) => (i === 4 ? Number.NaN : v)), y, '(NaN, -4)'], [x, Float64Array.from(y, (v, i) => (i === 4 ? Infinity : v)), '(4, Infinity)']] as const) {
      const e = await failure(() => chartSpecs({ profiles: fx.input.profiles, scatter: { x: xs, y: ys, labels: fx.labels } }));
      expect(e.code).toBe('E_NAN_INPUT');
      expect(e.message).toBe(`scatter point 4 is at ${at}; coordinates must be finite numbers`);
    }
  });

  it('BIC by k: one series per covariance type; the elbow follows the chosen type only', () => {
    const fx = reportFixture();
    const rows = [2, 3, 4].flatMap((k) => (['full', 'diag'] as const).map((t, q) => ({ k, inertia: 100 / k + q, silhouette: 0.3 + 0.01 * k, bic: 1000 - 10 * k + 50 * q, aic: 900 - 12 * k + 40 * q, covarianceType: t })));
    const specs = chartSpecs({ profiles: fx.input.profiles, kSweep: rows, k: 4, covarianceType: 'diag' });
    const bic = (specs.bicByK as unknown as { data: Values }).data.values as { k: number; value: number; series: string }[];
    expect(bic).toHaveLength(6);
    expect(new Set(bic.map((v) => v.series))).toEqual(new Set(['BIC, full', 'BIC, diag']));
    const elbow = (specs.elbow as unknown as { data: Values }).data.values as { k: number; value: number }[];
    expect(elbow.map((v) => v.value)).toEqual([100 / 2 + 1, 100 / 3 + 1, 100 / 4 + 1]);
    // one covariance type: BIC and AIC side by side
    const one = chartSpecs({ profiles: fx.input.profiles, kSweep: rows.filter((r) => r.covarianceType === 'full'), k: 3 });
    expect(new Set(((one.bicByK as unknown as { data: Values }).data.values as { series: string }[]).map((v) => v.series))).toEqual(new Set(['BIC', 'AIC']));
    expect(chartSpecs({ profiles: fx.input.profiles, kSweep: fx.input.kSweep }).bicByK).toBeUndefined();
  });

  it('a report of a fitted mixture draws both charts, with marks and no warnings', async () => {
    const warn = vi.spyOn(console, 'warn');
    const fx = reportFixture();
    const ex = inlineExecutor();
    try {
      const gmm = await gaussianMixture(fx.data, { k: 4, covarianceType: 'diag', seed: 1, executor: ex });
      const proba = await gmm.predictProba(fx.data, { executor: ex });
      const membership = Float64Array.from({ length: fx.data.n }, (_, i) => Math.max(...proba.subarray(i * 4, i * 4 + 4)));
      const profiles = profileSegments(fx.data, gmm.labels, 4);
      const kSweep = [2, 3, 4, 5].map((k) => ({ k, inertia: 10 / k, silhouette: 0.5, bic: 100 - k, aic: 90 - k, covarianceType: 'diag' }));
      const html = await buildReport({ data: fx.data, labels: gmm.labels, centroids: gmm.means, k: 4, profiles, membership, kSweep });
      expect(warn).not.toHaveBeenCalled();
      for (const key of ['certainty', 'bicByK']) {
        const svg = new RegExp(`data-chart="${key}">[\\s\\S]*?(<svg[\\s\\S]*?</svg>)`).exec(html)?.[1] ?? '';
        expect((svg.match(/<(path|rect)\b/g) ?? []).length, key).toBeGreaterThan(3);
      }
      expect(html).toContain('BIC ↓');
      expect((await failure(() => buildReport({ ...fx.input, membership: new Float64Array(3) }))).message).toContain('membership has 3 entries');
    } finally {
      await ex.close();
    }
  });
});
