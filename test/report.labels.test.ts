import { describe, expect, it } from 'vitest';
import { buildReport } from '../src/report/buildReport.js';
import { SEGMENT_COLOURS_40 } from '../src/report/chartSpecs.js';
import { fromRows } from '../src/data/dataset.js';
import { profileSegments } from '../src/explain/profileSegments.js';
import { shortLabels } from '../src/explain/personaName.js';

const rows = [[1, 10, 5], [2, 20, 6], [3, 30, 7], [10, 1, 1], [11, 2, 2], [12, 3, 0]];
const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);

function input(names = ['total_spend', 'totalSpend', 'visits']) {
  const data = fromRows(rows, { names });
  const profiles = profileSegments(data, labels, 2);
  return { data, labels, centroids: profiles.segments.map((s) => s.mean), k: 2, profiles, rules: false as const };
}

/** The texts of one chart's SVG. */
function chartTexts(html: string, key: string): string[] {
  const fig = html.match(new RegExp(`data-chart="${key}"[\\s\\S]*?</figure>`))![0];
  return [...fig.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe('report: features whose words read the same', () => {
  it('draws each in its own heat map column, under its column name', async () => {
    const html = await buildReport(input());
    const texts = chartTexts(html, 'heatmap');
    // one axis label per feature: two features named "total spend" would share one column
    expect(texts).toContain('total_spend');
    expect(texts).toContain('totalSpend');
    expect(texts).toContain('visits');
    expect(texts.filter((t) => t === 'total spend')).toHaveLength(0);
    // z of segment 0 on each feature (population sd): total_spend -1.0, totalSpend +1.0, visits +1.0; six cells in all
    expect(texts.filter((t) => /^[−]?\d\.\d$/.test(t))).toHaveLength(6);
  });

  it('gets short labels that are never two the same', () => {
    expect(shortLabels(['total_spend', 'totalSpend', 'visits'])).toEqual(['total_spend', 'totalSpend', 'visits']);
    expect(shortLabels(['total_spend', 'visits'])).toEqual(['total spend', 'visits']);
  });
});

describe('report: mixture sweeps over several covariance types', () => {
  const kSweep = [
    { k: 2, inertia: 10, bic: 50, covarianceType: 'full' },
    { k: 2, inertia: 11, bic: 40, covarianceType: 'diag' },
    { k: 3, inertia: 8, bic: 45, covarianceType: 'full' },
    { k: 3, inertia: 9, bic: 35, covarianceType: 'diag' },
  ];

  it('marks the covariance type chosen, as the charts draw it', async () => {
    const html = await buildReport({ ...input(), kSweep, covarianceType: 'full' });
    const chosen = [...html.matchAll(/<tr class="chosen">([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
    expect(chosen).toHaveLength(1);
    expect(chosen[0]).toContain('<td>full</td>');
    expect(chosen[0]).toContain('50.0');
  });

  it('marks the best BIC at k without a chosen type', async () => {
    const html = await buildReport({ ...input(), kSweep });
    const chosen = [...html.matchAll(/<tr class="chosen">([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
    expect(chosen).toHaveLength(1);
    expect(chosen[0]).toContain('<td>diag</td>');
  });

  it('builds when the sweep never tried the k reported, marking no row', async () => {
    const html = await buildReport({ ...input(), kSweep: kSweep.filter((r) => r.k === 3) });
    expect(html).toContain('<table class="sweep">');
    expect(html).not.toContain('<tr class="chosen">');
  });
});

describe('report: membership', () => {
  it('refuses a membership that is no probability, naming the row', async () => {
    const membership = Float64Array.from([0.9, 0.8, Number.NaN, 1, 1, 1]);
    await expect(buildReport({ ...input(), membership })).rejects.toMatchObject({ code: 'E_NAN_INPUT', message: expect.stringContaining('row 2') });
    await expect(buildReport({ ...input(), membership: Float64Array.from([0.9, 0.8, 1.5, 1, 1, 1]) })).rejects.toMatchObject({ code: 'E_NAN_INPUT' });
  });
});

describe('report: rows in no segment', () => {
  // the population the cards and the fairness check compare with is the clustered customers: with unassigned rows it
  // is not every customer
  const audit = [{ name: 'gender', values: ['f', 'f', 'm', 'm', 'm', 'f'] }];

  it('names the clustered customers as the base the segments are compared with', async () => {
    const html = await buildReport({ ...input(), audit, textColumns: audit, unassigned: { size: 2, share: 0.25, means: [100, 100, 100] } });
    expect(html).toContain('<p>Share of each gender in every segment and among clustered customers</p>');
    // the tiles' plain words: segment 0's total_spend mean 2.0 against the clustered rows' 6.5
    expect(html).toContain('(2.0 against 6.5 for clustered customers)');
    expect(html).not.toContain('for all customers)');
    // population mean of total_spend over the six clustered rows: 6.5, shown under that name
    expect(html).toMatch(/<th scope="col">Clustered customers<\/th><th scope="col">z<\/th>/);
    expect(html).toContain('<tr class="base"><th scope="row">Clustered customers</th><td class="num">50.0%</td><td class="num">50.0%</td></tr>');
    expect(html).not.toMatch(/<th[^>]*>All customers<\/th>/);
  });

  it('names every customer as the base when each is in a segment', async () => {
    const html = await buildReport({ ...input(), audit, textColumns: audit });
    expect(html).toContain('<p>Share of each gender in every segment and among all customers</p>');
    expect(html).toContain('(2.0 against 6.5 for all customers)');
    expect(html).toMatch(/<th scope="col">All customers<\/th><th scope="col">z<\/th>/);
    expect(html).toContain('<tr class="base"><th scope="row">All customers</th>');
  });
});

describe('describeSegment population', () => {
  it('names whom the averages are of, and refuses a population that is not text', async () => {
    const { describeSegment } = await import('../src/explain/personaName.js');
    const { profiles } = input();
    expect(describeSegment(profiles, 0, { maxFeatures: 1, population: 'clustered customers' })).toMatch(/ for clustered customers\)\.$/);
    expect(() => describeSegment(profiles, 0, { population: 5 as never })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION' }));
  });
});

describe('report: importance given', () => {
  it('refuses importances that do not pair one to one with finite values, rather than dropping a bar', async () => {
    await expect(buildReport({ ...input(), importance: { featureNames: ['total_spend'], importances: [0.5, 0.2] } })).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    await expect(buildReport({ ...input(), importance: { featureNames: ['total_spend', 'visits'], importances: [Number.NaN, 0.2] } })).rejects.toMatchObject({ code: 'E_NAN_INPUT', message: expect.stringContaining('"total_spend"') });
  });
});

describe('report: the k-distance plot names the neighbour it plots', () => {
  it('with the English ordinal of min-samples (21st, 22nd, 23rd; 11th, 12th, 13th, 111th)', async () => {
    const { kDistanceSpec } = await import('../src/report/densityCharts.js');
    const title = (k: number) => ((kDistanceSpec([3, 2, 1], k, 1) as { layer: { encoding: { y: { title: string } } }[] }).layer[0].encoding.y.title);
    const cases: [number, string][] = [[1, '1st'], [2, '2nd'], [3, '3rd'], [4, '4th'], [11, '11th'], [12, '12th'], [13, '13th'], [21, '21st'], [22, '22nd'], [23, '23rd'], [101, '101st'], [111, '111th'], [112, '112th']];
    for (const [k, word] of cases) expect(title(k)).toBe(`Distance to the ${word} nearest neighbour`);
  });
});

describe('report: the mix of a text column with many groups', () => {
  it('draws every group in its own colour (the CLI shows columns of up to 12 values)', async () => {
    // 20 customers in two segments; a text column of 10 values, two customers each, one of each in either segment
    const n = 20;
    const data = fromRows(Array.from({ length: n }, (_, i) => [i < 10 ? i : 100 + i, i % 3]), { names: ['spend', 'visits'] });
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 1));
    const profiles = profileSegments(data, labels, 2);
    const region = Array.from({ length: n }, (_, i) => `region ${i % 10}`);
    const html = await buildReport({ data, labels, k: 2, profiles, centroids: profiles.segments.map((s) => s.mean), rules: false, textColumns: [{ name: 'region', values: region }] });
    const fig = html.match(/data-chart="mix-region"[\s\S]*?<\/figure>/)![0];
    const bars = fig.match(/<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)![1];
    const fills = new Map<string, Set<string>>();
    for (const m of bars.matchAll(/<path aria-label="[^"]*group: (region \d)"[^>]*fill="(#[0-9a-f]{6})"/g)) {
      if (!fills.has(m[1])) fills.set(m[1], new Set());
      fills.get(m[1])!.add(m[2]);
    }
    // three bars per group (all customers and each segment), each group one colour, no two groups alike
    expect(fills.size).toBe(10);
    for (const f of fills.values()) expect(f.size).toBe(1);
    expect(new Set([...fills.values()].map((f) => [...f][0])).size).toBe(10);
  });
});

describe('report: more than twenty segments', () => {
  it('gives every segment its own colour, the same in the tiles and in the charts', async () => {
    // 25 segments of two customers each, apart on one feature
    const k = 25;
    const data = fromRows(Array.from({ length: 2 * k }, (_, i) => [10 * (i % k) + (i < k ? 0 : 1), i % 2]), { names: ['spend', 'visits'] });
    const labels = Int32Array.from({ length: 2 * k }, (_, i) => i % k);
    const profiles = profileSegments(data, labels, k);
    const html = await buildReport({ data, labels, k, profiles, centroids: profiles.segments.map((s) => s.mean), rules: false });
    const tiles = [...html.matchAll(/<article class="tile" data-segment="(\d+)" style="border-top-color:(#[0-9a-f]{6})">/g)].map((m) => [Number(m[1]), m[2]] as const);
    expect(tiles).toHaveLength(k);
    expect(new Set(tiles.map((t) => t[1])).size).toBe(k);
    // the scatter's points: each segment one colour, the tile's
    const fig = html.match(/data-chart="scatter"[\s\S]*?<\/figure>/)![0];
    const points = new Map<number, Set<string>>();
    for (const m of fig.matchAll(/<path aria-label="[^"]*segment: (\d+): [^"]*" role="graphics-symbol" aria-roledescription="circle"[^>]*fill="(#[0-9a-f]{6})"/g)) {
      if (!points.has(Number(m[1]))) points.set(Number(m[1]), new Set());
      points.get(Number(m[1]))!.add(m[2]);
    }
    expect(points.size).toBe(k);
    for (const [id, colour] of tiles) expect([...points.get(id)!]).toEqual([colour]);
    // the forty colours are vega's own two schemes, one after the other
    const { scheme } = await import('vega');
    expect(SEGMENT_COLOURS_40).toEqual([...(scheme('tableau20') as string[]), ...(scheme('category20b') as string[])]);
  });
});

describe('report: the fairness check\'s threshold', () => {
  it('states a threshold between whole percentage points as given (12.5, never 13)', async () => {
    const audit = [{ name: 'gender', values: ['f', 'f', 'm', 'm', 'm', 'f'] }];
    const html = await buildReport({ ...input(), audit, auditThreshold: 0.125 });
    // segment 0 is 2 of 3 female against 3 of 6: 16.7 points apart, past 12.5
    expect(html).toContain('⚑ marks a share that differs by more than 12.5% (12.5 percentage points).');
    expect(html).toMatch(/<td class="num flag"[^>]*>66\.7% ⚑<\/td>/);
    const whole = await buildReport({ ...input(), audit, auditThreshold: 0.2 });
    expect(whole).toContain('⚑ marks a share that differs by more than 20.0% (20 percentage points).');
  });
});

describe('report: the scatter\'s axis titles', () => {
  it('name a share of variance above 0 and below all of it as such, never 0.0% or 100.0%', async () => {
    // two features correlated at r = 0.9998: standardised, PC1 holds (1 + r) / 2 = 99.99% of the variance, PC2 0.01%
    const rows2 = Array.from({ length: 40 }, (_, i) => [i, i + (i % 2 ? 0.05 : -0.05)]);
    const data = fromRows(rows2, { names: ['a', 'b'] });
    const lab = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
    const { pca2 } = await import('../src/explain/pca2.js');
    const p = pca2(data);
    const col = (j: number) => data.columns[j];
    const mean = (j: number) => col(j).reduce((s, v) => s + v, 0) / 40;
    let sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < 40; i++) {
      const da = col(0)[i] - mean(0), db = col(1)[i] - mean(1);
      sab += da * db; saa += da * da; sbb += db * db;
    }
    const r = sab / Math.sqrt(saa * sbb);
    expect(p.explainedVarianceRatio[0]).toBeCloseTo((1 + r) / 2, 12);
    expect(p.explainedVarianceRatio[1]).toBeCloseTo((1 - r) / 2, 12);
    expect((p.explainedVarianceRatio[0] * 100).toFixed(1)).toBe('100.0');
    expect((p.explainedVarianceRatio[1] * 100).toFixed(1)).toBe('0.0');
    const profiles = profileSegments(data, lab, 2);
    const html = await buildReport({ data, labels: lab, k: 2, profiles, centroids: profiles.segments.map((s) => s.mean), rules: false });
    expect(html).toContain('PC1 (&gt;99.9% of variance)');
    expect(html).toContain('PC2 (&lt;0.1% of variance)');
    expect(html).not.toMatch(/PC\d \((100\.0|0\.0)% of variance\)/);
  });
});
