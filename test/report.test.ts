import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildReport } from '../src/report/buildReport.js';
import { chartSpecs } from '../src/report/chartSpecs.js';
import { renderSvg } from '../src/report/renderSvg.js';
import { fromRows } from '../src/data/dataset.js';
import { profileSegments } from '../src/explain/profileSegments.js';
import { HOSTILE, reportFixture } from './helpers/reportFixture.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The SVG inside each <figure data-chart="...">. */
function charts(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure class="chart[^"]*" data-chart="([^"]+)">[\s\S]*?(<svg[\s\S]*?<\/svg>)<\/figure>/g)) out.set(m[1], m[2]);
  return out;
}

/** Data marks per mark type: the leaf elements inside each vega `role-mark` group. */
function marks(svg: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of svg.matchAll(/<g class="mark-(\w+) role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)) {
    const count = (m[2].match(/<(path|rect|circle|line|text)\b/g) ?? []).length;
    out[m[1]] = (out[m[1]] ?? 0) + count;
  }
  return out;
}

describe('buildReport', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one self-contained report whose charts all have marks', async () => {
    const warn = vi.spyOn(console, 'warn');
    const fx = reportFixture();
    const html = await buildReport(fx.input);
    writeAtomic(join(ARTIFACTS, 'report.html'), html);
    // Vega and Vega-Lite warn on dropped encodings or bad scales; a clean spec produces none.
    expect(warn).not.toHaveBeenCalled();

    const c = charts(html);
    expect([...c.keys()].sort()).toEqual(['elbow', 'heatmap', 'importance', 'parallel', 'scatter', 'silhouette', 'silhouetteByK', 'sizes']);
    for (const [key, svg] of c) {
      expect(svg.startsWith('<svg'), key).toBe(true);
      const total = (svg.match(/<(path|rect|circle)\b/g) ?? []).length;
      expect(total, key).toBeGreaterThan(0);
    }
    const { k, data } = fx;
    // One bar per segment, one cell per segment x feature, one point per row plus k centroid diamonds.
    expect(marks(c.get('sizes')!).rect).toBe(k);
    expect(marks(c.get('heatmap')!).rect).toBe(k * data.d);
    expect(marks(c.get('scatter')!).symbol).toBe(data.n + k);
    expect(marks(c.get('parallel')!).line).toBe(k);
    expect(marks(c.get('silhouette')!).area).toBe(k);
    expect(marks(c.get('elbow')!).line).toBe(1);
    expect(marks(c.get('elbow')!).symbol).toBe(5);
    expect(marks(c.get('silhouetteByK')!).symbol).toBe(5);

    // One card per segment, in id order.
    expect([...html.matchAll(/<article class="card" data-segment="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([0, 1, 2, 3]);
  });

  it('escapes every piece of user text', async () => {
    const fx = reportFixture();
    const html = await buildReport(fx.input);
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<title>Customer segments &amp; &lt;test&gt; report</title>');
    expect(html).toContain('&lt;b&gt;segment 3&lt;/b&gt; is small &amp; worth a look.');
    expect(html).toContain('Needs &lt;attention&gt; &amp; care');
    expect(html).not.toContain('<b>segment 3</b>');
    // Metric names are user text too, including ones that look like object internals.
    const odd = await buildReport({ ...fx.input, metrics: Object.fromEntries([['__proto__', 1], ['<i>x</i>', 2]]) });
    expect(odd).toContain('<th scope="row">Proto</th><td class="num">1.00</td>');
    expect(odd).toContain('&lt;i&gt;x&lt;/i&gt;');
    expect(odd).not.toContain('<i>x</i>');
    for (const s of fx.profiles.segments) {
      const escaped = s.name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      expect(html).toContain(`<h3>${escaped}</h3>`);
    }
  });

  it('needs nothing from the network and keeps ids unique across charts', async () => {
    const html = await buildReport(reportFixture().input);
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    expect(urls.every((u) => u.startsWith('http://www.w3.org/'))).toBe(true);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\ssrc=/i);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    // Every url(#id) reference resolves to an id in the document.
    expect([...html.matchAll(/url\(#([^)]+)\)/g)].length).toBeGreaterThan(0);
    for (const m of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
  });

  it('shows the metrics and the k sweep with the chosen k marked', async () => {
    const fx = reportFixture();
    const html = await buildReport(fx.input);
    const sil = fx.input.metrics!.silhouette;
    expect(html).toContain(`<td class="num">${sil.toFixed(3)}</td>`);
    expect(html).toContain('Custom metric');
    expect(html).toContain('<td class="num">12.5</td>');
    expect(html).toMatch(/<tr class="chosen"><th scope="row">4 <span class="tag">chosen<\/span>/);
    expect((html.match(/<tr( class="chosen")?><th scope="row">\d/g) ?? []).length).toBeGreaterThanOrEqual(5);
  });

  it('shows the stability the recommendation weighs beside the other sweep scores', async () => {
    const fx = reportFixture();
    const stability = [0.41, 0.9, 1, 0.875, 0.62];
    const html = await buildReport({ ...fx.input, kSweep: fx.input.kSweep!.map((r, i) => ({ ...r, stability: stability[i] })) });
    const table = /<table class="sweep">.*?<\/table>/s.exec(html)![0];
    expect(table).toContain('<th scope="col">Stability ↑</th>');
    const rows = [...table.matchAll(/<tr( class="chosen")?><th scope="row">(\d+).*?<\/tr>/g)];
    expect(rows.map((m) => m[2])).toEqual(['2', '3', '4', '5', '6']);
    // the column after the silhouette holds each k's stability
    rows.forEach((m, i) => expect([...m[0].matchAll(/<td class="num">([^<]*)<\/td>/g)][2][1]).toBe(['0.410', '0.900', '1.00', '0.875', '0.620'][i]));
    // a sweep without stability (mixtures, agglomerative, stability off) has no such column
    expect(await buildReport(fx.input)).not.toContain('Stability ↑');
  });

  it('leaves out the k-sweep and silhouette charts when they have no data', async () => {
    const fx = reportFixture();
    const { kSweep, silhouetteSamples, metrics, recommendation, ...rest } = fx.input;
    const html = await buildReport(rest);
    expect([...charts(html).keys()].sort()).toEqual(['heatmap', 'importance', 'parallel', 'scatter', 'sizes']);
    expect(html).not.toContain('class="metrics"');
    expect(html).not.toContain('class="callout"');
  });

  it('samples the scatter to maxScatterPoints, the same rows for the same seed', async () => {
    const fx = reportFixture();
    const a = await buildReport({ ...fx.input, maxScatterPoints: 50, seed: 1 });
    const b = await buildReport({ ...fx.input, maxScatterPoints: 50, seed: 1 });
    const c = await buildReport({ ...fx.input, maxScatterPoints: 50, seed: 2 });
    expect(marks(charts(a).get('scatter')!).symbol).toBe(50 + fx.k);
    expect(a).toBe(b);
    expect(charts(c).get('scatter')).not.toBe(charts(a).get('scatter'));
  });

  it('lists each segment\'s RFM mix largest share first, RFM codes such as "555" included', async () => {
    const fx = reportFixture();
    // codes by row: the numerically smallest ones are the rarest, so key order and share order disagree
    const rfm = fx.rows.map((_, i) => (i % 10 < 5 ? '555' : i % 10 < 8 ? '454' : i % 10 < 9 ? '111' : i % 20 === 9 ? '9' : 'Champions'));
    const profiles = profileSegments(fx.data, fx.labels, fx.k, { rfmSegments: rfm });
    const html = await buildReport({ ...fx.input, profiles, rules: false });
    const mixes = [...html.matchAll(/<p class="rfm">([\s\S]*?)<\/p>/g)].map((m) => [...m[1].matchAll(/<span class="mix">([^<]*) <b>([\d.]+)%<\/b><\/span>/g)].map((x) => [x[1], +x[2]] as const));
    expect(mixes).toHaveLength(fx.k);
    for (const [c, mix] of mixes.entries()) {
      const shares = mix.map(([, pct]) => pct);
      expect(shares).toEqual([...shares].sort((a, b) => b - a));
      // the five largest of the segment's own shares
      const own = Object.entries(profiles.segments[c].rfmMix!).sort((a, b) => b[1] - a[1]).slice(0, 5);
      expect(mix.map(([label]) => label)).toEqual(own.map(([label]) => label));
      expect(mix[0][0]).toBe('555');
    }
  });

  it('shows a z-score that rounds to 0.00 without a sign', async () => {
    const fx = reportFixture();
    const segments = fx.profiles.segments.map((s, c) => (c === 0 ? { ...s, z: [-0.003, 0.004, -0.006, ...s.z.slice(3)] } : s));
    const html = await buildReport({ ...fx.input, profiles: { ...fx.profiles, segments }, rules: false });
    const card = /<article class="card" data-segment="0"[\s\S]*?<\/article>/.exec(html)![0];
    const zs = [...card.matchAll(/<td class="num z"[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(zs.slice(0, 3)).toEqual(['0.00', '0.00', '−0.01']);
  });

  it('shows a mean that rounds up to the next range in that range\'s form (999.96 as 1,000)', async () => {
    const fx = reportFixture();
    const segments = fx.profiles.segments.map((s, c) => (c === 0 ? { ...s, mean: [999.96, 9.996, 0.9996, 0.009996, 2.5, ...s.mean.slice(5)] } : s));
    const html = await buildReport({ ...fx.input, profiles: { ...fx.profiles, segments }, rules: false });
    const card = /<article class="card" data-segment="0"[\s\S]*?<\/article>/.exec(html)![0];
    const means = [...card.matchAll(/<tr><th scope="row">[\s\S]*?<\/th><td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(means.slice(0, 5)).toEqual(['1,000', '10.0', '1.00', '0.010', '2.50']);
  });

  it('accepts row-major Float64Array centroids', async () => {
    const fx = reportFixture();
    const flat = Float64Array.from(fx.profiles.segments.flatMap((s) => s.mean));
    const html = await buildReport({ ...fx.input, centroids: flat });
    expect(charts(html).get('parallel')).toBe(charts(await buildReport(fx.input)).get('parallel'));
  });

  it('rejects inputs that do not fit together, naming what is wrong', async () => {
    const fx = reportFixture();
    await expect(buildReport({ ...fx.input, labels: fx.labels.subarray(1) })).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    const bad = fx.labels.slice();
    bad[7] = 9;
    await expect(buildReport({ ...fx.input, labels: bad })).rejects.toMatchObject({ code: 'E_BAD_LABELS', message: expect.stringContaining('row 7') });
    await expect(buildReport({ ...fx.input, centroids: [[1, 2]] })).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    await expect(buildReport({ ...fx.input, centroids: new Float64Array(3) })).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    await expect(buildReport({ ...fx.input, k: 3 })).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    await expect(buildReport({ ...fx.input, silhouetteSamples: new Float64Array(2) })).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    await expect(buildReport({ ...fx.input, seed: 1.5 })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"seed"') });
    await expect(buildReport({ ...fx.input, maxScatterPoints: 0 })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"maxScatterPoints"') });
  });

  it('refuses a malformed audit, text column, value, rules or extra chart, naming the option', async () => {
    const fx = reportFixture();
    const g = Array.from({ length: fx.data.n }, (_, i) => (i % 4 ? 'x' : 'y'));
    const bad: [string, object][] = [
      ['auditThreshold', { audit: [{ name: 'g', values: g }], auditThreshold: Number.NaN }],
      ['auditThreshold', { audit: [{ name: 'g', values: g }], auditThreshold: 2 }],
      // segmentComposition flags a difference above the threshold: a share differs by at most 1, so 1 is refused as it is
      ['auditThreshold', { audit: [{ name: 'g', values: g }], auditThreshold: 1 }],
      ['audit', { audit: 'g' }],
      ['textColumns', { textColumns: [{ values: g }] }],
      ['value', { value: { name: 'amount' } }],
      ['rules', { rules: 5 }],
      ['extraCharts', { extraCharts: 'x' }],
      ['extraCharts', { extraCharts: [{ key: 'a', spec: { mark: 'bar' }, section: 'details' }] }],
      // a TypeError before, or a table of rows "undefined" made of the text's letters
      ['kSweep', { kSweep: [null] }],
      ['kSweep', { kSweep: {} }],
      ['kSweep', { kSweep: 'abc' }],
      ['kSweep', { kSweep: [{ k: '2', inertia: 5 }, { k: 3, inertia: 4 }] }],
      ['kSweep', { kSweep: [{ k: 2, inertia: '5' }] }],
      ['importance', { importance: 5 }],
      ['importance', { importance: { featureNames: [1, 2], importances: [0.1, 0.2] } }],
    ];
    for (const [option, extra] of bad) {
      await expect(buildReport({ ...fx.input, ...extra } as never)).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining(`option "${option}"`) });
    }
    // a null value or rules is read as not given, as before these checks
    expect(await buildReport({ ...fx.input, value: null, rules: null } as never)).toBe(await buildReport(fx.input));
  });

  it('a value column adding up to 0 gives no segment a share of it, never 0% of it', async () => {
    const fx = reportFixture();
    const size = (c: number) => fx.labels.filter((l) => l === c).length;
    // segment 0 brings +100 per customer in all, segment 1 as much in refunds: every other segment none
    const values = Array.from(fx.labels, (l) => (l === 0 ? 100 * size(1) : l === 1 ? -100 * size(0) : 0));
    expect(values.reduce((a, b) => a + b, 0)).toBe(0);
    const html = await buildReport({ ...fx.input, value: { name: 'amount', values } });
    expect(html).toContain('Amount adds up to 0 over all customers: no segment has a share of it.');
    expect(html).not.toMatch(/%<\/b> of amount/);
    expect(html).not.toContain('NaN');
    // 0.1 + 0.2 - 0.3 sums to 5.6e-17 in float64, not 0: shares of it read 360287970189639680.0% of amount
    const cents = new Array<number>(fx.data.n).fill(0);
    const at = [0, 1, 2].map((c) => fx.labels.indexOf(c)).sort((a, b) => a - b);
    [0.1, 0.2, -0.3].forEach((x, q) => { cents[at[q]] = x; });
    expect(cents.reduce((a, b) => a + b, 0)).toBe(5.551115123125783e-17);
    const noise = await buildReport({ ...fx.input, value: { name: 'amount', values: cents } });
    expect(noise).toContain('Amount adds up to 0 over all customers: no segment has a share of it.');
    expect(noise).not.toMatch(/%<\/b> of amount/);
  });

  it('counts unassigned customers in the shares, and refuses an unassigned group it cannot count', async () => {
    const fx = reportFixture();
    const n = fx.data.n;
    const sizes = fx.input.profiles.segments.map((s) => s.size);
    // as many unassigned customers as assigned ones: every segment's share of customers is halved
    const html = await buildReport({ ...fx.input, unassigned: { size: n, share: 0.5 } });
    expect(html).toContain(`${n.toLocaleString('en-US')} more unassigned (50`);
    for (const size of sizes) expect(html).toContain(`${((100 * size) / (2 * n)).toFixed(1)}%`);
    // a size given as text added up as text ("300" + "300"), a NaN value made every share of it NaN
    const share = 3 / (n + 3), d = fx.data.d;
    const bad = [{ size: String(n), share: 0.5 }, { size: -1, share: 0 }, { size: 3, share: 2 }, { size: 3, share, value: Number.NaN }, { size: 3, share, means: [1] }, null,
      // a share that is not the size's (the unassigned card said 50% beside segments of 33.3% each), a mean that is no number (shown as a dash)
      { size: 3, share: 0.5 }, { size: 3, share, means: Array(d).fill(Number.NaN) }, { size: 3, share, means: Array(d).fill('5') }];
    for (const unassigned of bad) {
      await expect(buildReport({ ...fx.input, unassigned: unassigned as never })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"unassigned"') });
    }
  });

  it('does not modify the caller data', async () => {
    const fx = reportFixture();
    const before = fx.data.columns.map((c) => c.slice());
    const labels = fx.labels.slice();
    await buildReport(fx.input);
    fx.data.columns.forEach((c, j) => expect(c).toEqual(before[j]));
    expect(fx.labels).toEqual(labels);
  });

  it('names an absent segment by its id alone when its name only repeats the id, else with its name', async () => {
    const fx = reportFixture();
    const labels = Int32Array.from(fx.labels, (l) => (l === 0 ? 0 : l + 1));
    const profiles = profileSegments(fx.data, labels, 5);
    const base = { data: fx.data, labels, k: 5, profiles, centroids: profiles.segments.map((s) => s.mean), seed: 3 };
    const plain = await buildReport({ ...base, segmentNames: ['Loyal', 'segment 1', 'Bargain', 'New', 'Lapsed'] });
    expect(plain).toContain('Segment 1 has no customers in these data and is left out.');
    const named = await buildReport({ ...base, segmentNames: ['Loyal', 'Big spenders', 'Bargain', 'New', 'Lapsed'] });
    expect(named).toContain('Segment 1 (Big spenders) has no customers in these data and is left out.');
  });

  it('refuses segmentNames with a hole (a sparse array), as it refuses undefined', async () => {
    const fx = reportFixture();
    const profiles = profileSegments(fx.data, fx.labels, fx.input.k);
    const names = Array.from({ length: fx.input.k }, (_, i) => `Segment name ${i}`);
    // names given in full are shown
    expect(await buildReport({ ...fx.input, profiles, segmentNames: names })).toContain('Segment name 1');
    const holed = names.slice();
    delete holed[1];
    expect(holed.length).toBe(fx.input.k);
    await expect(buildReport({ ...fx.input, profiles, segmentNames: holed })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"segmentNames"') });
    await expect(buildReport({ ...fx.input, profiles, segmentNames: [...names.slice(0, -1), undefined] as never })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
  });

  it('describes only the segments holding customers, under their own ids, and names the empty ones once', async () => {
    // the fixture's four groups as segments 0, 2, 3 and 4 of five: segment 1 has no customer in these data
    const fx = reportFixture();
    const labels = Int32Array.from(fx.labels, (l) => (l === 0 ? 0 : l + 1));
    const profiles = profileSegments(fx.data, labels, 5);
    expect(profiles.segments.map((s) => s.size)).toEqual([100, 0, 80, 60, 40]);
    const group = Array.from(labels, (l, i) => (l === 2 || i % 2 === 0 ? 'a' : 'b'));
    const html = await buildReport({
      data: fx.data, labels, k: 5, profiles, centroids: profiles.segments.map((s) => s.mean),
      silhouetteSamples: fx.input.silhouetteSamples, seed: 3,
      value: { name: 'monetary', values: fx.data.columns[2] }, textColumns: [{ name: 'group', values: group }], audit: [{ name: 'group', values: group }],
    });
    expect(html).not.toContain('Empty segment');
    expect(html).not.toContain('NaN');
    expect([...html.matchAll(/<article class="tile" data-segment="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([0, 2, 3, 4]);
    expect([...html.matchAll(/<article class="card" data-segment="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([0, 2, 3, 4]);
    expect([...html.matchAll(/<p class="meta">Segment (\d+) · ([\d,]+) customers/g)].map((m) => [Number(m[1]), Number(m[2])])).toEqual([[0, 100], [2, 80], [3, 60], [4, 40]]);
    expect(html).toContain('<p class="meta">280 customers · 5 features · 4 segments</p>');
    expect(html.match(/Segment 1 has no customers in these data and is left out\./g)).toHaveLength(1);
    // every chart draws the four segments, labelled by their ids, and none for segment 1
    const c = charts(html);
    expect(marks(c.get('sizes')!).rect).toBe(4);
    expect(marks(c.get('heatmap')!).rect).toBe(4 * fx.data.d);
    expect(marks(c.get('scatter')!).symbol).toBe(fx.data.n + 4);
    expect(marks(c.get('parallel')!).line).toBe(4);
    expect(marks(c.get('silhouette')!).area).toBe(4);
    for (const key of ['sizes', 'heatmap', 'scatter', 'parallel', 'value', 'mix-group']) {
      const ids = new Set([...c.get(key)!.matchAll(/segment: (\d+): /g)].map((m) => Number(m[1])));
      expect([...ids].sort(), key).toEqual([0, 2, 3, 4]);
    }
    // the fairness table's rows and the tiles' colours are those of the charts, by id
    const table = html.slice(html.indexOf('data-audit="group"'));
    expect([...table.slice(0, table.indexOf('</table>')).matchAll(/<tr><th scope="row">/g)]).toHaveLength(4);
    const tileColour = new Map([...html.matchAll(/<article class="tile" data-segment="(\d+)" style="border-top-color:([^"]+)"/g)].map((m) => [Number(m[1]), m[2]]));
    const barColour = new Map([...c.get('sizes')!.matchAll(/aria-label="size: \d+; segment: (\d+): (?:(?!; caption)[^"])*"[^>]*fill="([^"]+)"/g)].map((m) => [Number(m[1]), m[2]]));
    expect(tileColour).toEqual(barColour);
  });
});

describe('buildReport on a wider segmentation', () => {
  it('lays out k = 8, d = 16 (scikit-learn k-means fixture) with every mark', async () => {
    const fx = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'blobs-3000x16-k8.json'), 'utf8'));
    const data = fromRows(fx.X as number[][], { names: Array.from({ length: 16 }, (_, j) => `feature_${j}`) });
    const labels = Int32Array.from(fx.kmeans.labels as number[]);
    const profiles = profileSegments(data, labels, 8);
    const centroids = fx.kmeans.centroids as number[][];
    const html = await buildReport({ data, labels, centroids, k: 8, profiles, metrics: { inertia: fx.kmeans.inertia }, maxScatterPoints: 500 });
    const c = charts(html);
    expect(marks(c.get('heatmap')!).rect).toBe(8 * 16);
    expect(marks(c.get('sizes')!).rect).toBe(8);
    expect(marks(c.get('parallel')!).line).toBe(8);
    expect(marks(c.get('scatter')!).symbol).toBe(500 + 8);
    // scikit-learn's centroids are the means of its final labels, so standardised they equal the profile z.
    const spec = chartSpecs({ profiles, centroids }).parallel as unknown as { data: { values: { value: number }[] } };
    expect(profiles.segments.map((s) => s.z.length)).toEqual(new Array(8).fill(16));
    expect(spec.data.values).toHaveLength(8 * 16);
    profiles.segments.forEach((s, i) => s.z.forEach((z, j) => expect(spec.data.values[i * 16 + j].value).toBeCloseTo(z, 4)));
    // Full-width charts stay within the report column.
    for (const key of ['heatmap', 'parallel', 'scatter']) {
      expect(Number(/width="(\d+(?:\.\d+)?)"/.exec(c.get(key)!)![1]), key).toBeLessThanOrEqual(944);
    }
    expect(new Set(profiles.segments.map((s) => s.name)).size).toBe(8);
    writeAtomic(join(ARTIFACTS, 'report-k8.html'), html);
  });
});

describe('chartSpecs', () => {
  it('gives every chart the same segment colour domain', () => {
    const fx = reportFixture();
    const specs = chartSpecs({ profiles: fx.profiles, centroids: fx.profiles.segments.map((s) => s.mean), kSweep: fx.input.kSweep, k: 4 });
    const domains = JSON.stringify(specs).match(/"domain":\["0: [^\]]*\]/g) ?? [];
    expect(domains.length).toBeGreaterThanOrEqual(2);
    expect(new Set(domains).size).toBe(1);
    expect(specs.scatter).toBeUndefined();
    expect(specs.silhouette).toBeUndefined();
  });

  it('refuses missing or malformed inputs naming them, not with a TypeError, and a point or probability that is not a number', () => {
    const fx = reportFixture();
    const profiles = fx.profiles;
    const n = fx.labels.length;
    const refused = (input: unknown, code: string, text: string) =>
      expect(() => chartSpecs(input as never)).toThrow(expect.objectContaining({ name: 'SegkitError', code, message: expect.stringContaining(text) }));
    refused(null, 'E_BAD_OPTION', '"profiles"');
    refused({}, 'E_BAD_OPTION', '"profiles"');
    refused({ profiles, scatter: { x: [0], y: [0] } }, 'E_BAD_OPTION', '"scatter.labels"');
    refused({ profiles, silhouette: { samples: [0.5] } }, 'E_BAD_OPTION', '"silhouette.labels"');
    refused({ profiles, certainty: { labels: [0] } }, 'E_BAD_OPTION', '"certainty.maxProba"');
    refused({ profiles, centroids: [profiles.segments[0].mean, null] }, 'E_BAD_OPTION', '"centroids"');
    refused({ profiles, kSweep: [{ k: 2, inertia: 1 }, null] }, 'E_BAD_OPTION', '"kSweep"');
    refused({ profiles, scatter: { x: [0, 1], y: [0, 1], labels: [0, 1], centroids: { x: 1, y: 2 } } }, 'E_BAD_OPTION', '"scatter.centroids"');
    // a segment without a centre (null) has none drawn, as one at NaN
    const drawn = chartSpecs({ profiles, scatter: { x: [0, 1], y: [0, 1], labels: [0, 1], centroids: [null as never, { x: 1, y: 2 }] } }).scatter as unknown as { layer: { data: { values: { x: number }[] } }[] };
    expect(drawn.layer[1].data.values.map((v) => v.x)).toEqual([1]);
    // a point at null or NaN was drawn nowhere (null in the chart's data), without a word
    refused({ profiles, scatter: { x: [null, 1], y: [0, 1], labels: [0, 1] } }, 'E_NAN_INPUT', 'scatter point 0 is at (null, 0)');
    refused({ profiles, scatter: { x: [0, 1], y: [0, NaN], labels: [0, 1] } }, 'E_NAN_INPUT', 'scatter point 1 is at (1, NaN)');
    // a NaN probability fell in no band: the segment's bands added up to less than 100%
    const maxProba = new Float64Array(n).fill(0.9);
    maxProba[3] = NaN;
    refused({ profiles, certainty: { maxProba, labels: fx.labels } }, 'E_BAD_OPTION', 'certainty.maxProba: row 3 has probability NaN');
    refused({ profiles, certainty: { maxProba: Array.from(maxProba, (p, i) => (i === 3 ? null : 0.9)), labels: fx.labels } }, 'E_BAD_OPTION', 'certainty.maxProba: row 3 has probability null');
    refused({ profiles, certainty: { maxProba: maxProba.fill(0.9), labels: Array.from(fx.labels, (l, i) => (i === 2 ? 0.5 : l)) } }, 'E_BAD_LABELS', 'certainty row 2 has label 0.5');
    const spec = chartSpecs({ profiles, certainty: { maxProba: maxProba.fill(0.9), labels: fx.labels } }).certainty as unknown as { layer: { data: { values: { band: string; share: number }[] } }[] };
    expect(spec.layer[0].data.values.filter((v) => v.band === '80 to 95%').map((v) => v.share)).toEqual(profiles.segments.filter((s) => s.size > 0).map(() => 1));
  });

  it('puts the standardised centroids in the parallel-coordinates data', () => {
    const fx = reportFixture();
    const centroids = fx.profiles.segments.map((s) => s.mean);
    const spec = chartSpecs({ profiles: fx.profiles, centroids }).parallel as unknown as { data: { values: { feature: string; value: number }[] } };
    const { mean, std } = fx.profiles.population;
    const values = spec.data.values;
    expect(values).toHaveLength(fx.k * fx.data.d);
    // The centroid of a segment is its mean, so the standardised centroid is the segment's z.
    expect(fx.profiles.segments.map((s) => s.z.length)).toEqual(new Array(fx.k).fill(fx.data.d));
    fx.profiles.segments.forEach((s, c) =>
      s.z.forEach((z, j) => {
        expect(values[c * fx.data.d + j].value).toBeCloseTo((centroids[c][j] - mean[j]) / std[j], 10);
        expect(values[c * fx.data.d + j].value).toBeCloseTo(z, 10);
      }),
    );
  });

  it('a silhouette mean a hair below zero reads 0.000 in the subtitle, never -0.000; others keep their sign', () => {
    const fx = reportFixture();
    const subtitle = (mean: number) => {
      // one sample per row, shifted so that their mean is `mean` while staying in [-1, 1]
      const n = fx.labels.length;
      const samples = Float64Array.from({ length: n }, (_, i) => (i % 2 ? 0.5 : -0.5) + mean);
      if (n % 2) samples[n - 1] = mean * n - samples.slice(0, n - 1).reduce((a, b) => a + b, 0);
      return (chartSpecs({ profiles: fx.profiles, silhouette: { samples, labels: fx.labels } }).silhouette as unknown as { title: { subtitle: string } }).title.subtitle;
    };
    expect(subtitle(-0.0001)).toMatch(/dashed: mean 0\.000$/);
    expect(subtitle(-0.0123)).toMatch(/dashed: mean -0\.012$/);
    expect(subtitle(0.0001)).toMatch(/dashed: mean 0\.000$/);
  });

  it('keeps each segment extremes in the thinned silhouette bands', () => {
    const fx = reportFixture();
    const samples = fx.input.silhouetteSamples!;
    const spec = chartSpecs({ profiles: fx.profiles, silhouette: { samples, labels: fx.labels }, silhouettePointsPerSegment: 10 }).silhouette as unknown as {
      layer: { data: { values: { segment: string; s: number }[] } }[];
    };
    const rows = spec.layer[0].data.values;
    expect(fx.profiles.segments).toHaveLength(fx.k);
    fx.profiles.segments.forEach((seg, c) => {
      const own = Array.from(samples).filter((_, i) => fx.labels[i] === c);
      const band = rows.filter((r) => r.segment.startsWith(`${c}: `)).map((r) => r.s);
      expect(band.length).toBeLessThanOrEqual(11);
      expect(Math.min(...band)).toBe(Math.min(...own));
      expect(Math.max(...band)).toBe(Math.max(...own));
      // Sorted ascending within the band, as in scikit-learn's silhouette plot.
      expect(band).toEqual([...band].sort((a, b) => a - b));
    });
  });
});

describe('renderSvg', () => {
  it('renders a bar chart to SVG with one rect per datum', async () => {
    const svg = await renderSvg({
      data: { values: [{ a: 'x', b: 3 }, { a: 'y', b: 5 }, { a: 'z', b: 1 }] },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(marks(svg).rect).toBe(3);
  });

  it('prefixes ids and the references to them', async () => {
    const spec = chartSpecs({ profiles: profileSegments(fromRows([[1, 2], [2, 1], [9, 9], [8, 9]]), Int32Array.from([0, 0, 1, 1]), 2) }).heatmap;
    const plain = await renderSvg(spec);
    const prefixed = await renderSvg(spec, { idPrefix: 'h1-' });
    const ids = [...prefixed.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.startsWith('h1-'))).toBe(true);
    expect([...prefixed.matchAll(/url\(#([^)]+)\)/g)].length).toBeGreaterThan(0);
    for (const m of prefixed.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(m[1]);
    expect(prefixed.replace(/h1-/g, '')).toBe(plain);
    // Ids are numbered per SVG, so the same spec renders to the same string every time.
    expect(await renderSvg(spec, { idPrefix: 'h1-' })).toBe(prefixed);
    await expect(renderSvg(spec, { idPrefix: '1 bad' })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"idPrefix"') });
  });

  it('leaves id-like user text alone', async () => {
    const svg = await renderSvg(
      {
        data: { values: [{ a: 'x id="g" url(#g)', z: 1 }, { a: 'y', z: -1 }] },
        mark: 'rect',
        encoding: { x: { field: 'a', type: 'nominal' }, color: { field: 'z', type: 'quantitative' } },
      },
      { idPrefix: 'p-' },
    );
    expect(svg).toContain('>x id="g" url(#g)</text>');
    expect(svg).toMatch(/<linearGradient id="p-gradient0"/);
  });

  it('never fetches: data by URL is refused', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const svg = await renderSvg({
      data: { url: 'https://example.invalid/data.json' },
      mark: 'bar',
      encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
    }).catch((e: unknown) => e);
    expect(fetchSpy).not.toHaveBeenCalled();
    // Either the render fails or it draws no bars; it never has the remote data.
    if (typeof svg === 'string') expect(marks(svg).rect ?? 0).toBe(0);
    else expect(svg).toBeInstanceOf(Error);
    error.mockRestore();
  });

  it('draws a heatmap whose feature names hold a line separator (U+2028, U+2029), the spec left as it was', async () => {
    // a category with a line separator in a spreadsheet cell, one-hot encoded: Vega-Lite wrote the names into the
    // sort expression, whose parser ends a string there, and the chart failed ("does not compile")
    const names = ['spend', 'plan=a\u2028b', 'plan=c\u2029d'];
    const spec = chartSpecs({ profiles: profileSegments(fromRows([[1, 1, 0], [2, 1, 0], [9, 0, 1], [8, 0, 1]], { names }), Int32Array.from([0, 0, 1, 1]), 2) }).heatmap;
    const before = JSON.stringify(spec);
    const svg = await renderSvg(spec);
    expect(JSON.stringify(spec)).toBe(before);
    // one cell per segment and feature, each feature's label once, in the given order
    expect(marks(svg).rect).toBe(6);
    const labels = [...svg.matchAll(/<text[^>]*>(spend|plan=a b|plan=c d)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(['spend', 'plan=a b', 'plan=c d']);
  });

  it('reports a spec that does not compile', async () => {
    await expect(renderSvg({ mark: 'nonsense' } as never)).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
  });
});
