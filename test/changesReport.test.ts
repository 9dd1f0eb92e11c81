import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { close, fromRows, kmeans, renderSvg } from '../src/index.node.js';
import { compareSnapshots } from '../src/workflow/compareSnapshots.js';
import { buildChangesReport, driftTableHtml, growthBarsSpec, migrationSankeySpec } from '../src/report/changesReport.js';
import { renderVegaSvg } from '../src/report/renderSvg.js';
import { abTest } from '../src/workflow/abTest.js';
import { abTestChart } from '../src/report/abTestChart.js';

afterAll(() => close());
const fx = JSON.parse(readFileSync(new URL('./fixtures/snapshots.json', import.meta.url), 'utf8'));
const FEATURES: string[] = fx.features;
const rows = (s: { id: number[]; X: number[][] }) => s.id.map((id, i) => ({ customer_id: id, ...Object.fromEntries(FEATURES.map((f, j) => [f, s.X[i][j]])) }));

describe('the changes report', async () => {
  const model = await kmeans(fromRows(fx.before.X, { names: FEATURES }), { k: 4, seed: 0, nInit: 4 });
  const r = await compareSnapshots(model, rows(fx.before), rows(fx.after), { id: 'customer_id' });

  it('the Sankey is one self-contained Vega spec: stacked nodes, one link path per flow, widths in proportion to customers', async () => {
    const spec = migrationSankeySpec(r);
    const text = JSON.stringify(spec);
    expect(text).not.toMatch(/"url"\s*:/);
    expect(text).toContain('"type":"linkpath"');
    expect(text).toContain('"type":"stack"');
    const flows = (spec.data![0] as { values: { value: number }[] }).values;
    const nonZero = r.migration.counts.flat().filter((c) => c > 0).length + r.migration.new.filter((c) => c > 0).length + r.migration.gone.filter((c) => c > 0).length;
    expect(flows.length).toBe(nonZero);
    const svg = await renderVegaSvg(spec);
    expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(nonZero);
    // the stay-flow of the segment that lost movers is drawn, labelled with its customers
    const counts = r.migration.counts.flat().filter((c) => c > 0);
    expect(svg).toContain(`(${(r.segments[0].before).toLocaleString('en-US')})`);
    expect(counts.length).toBeGreaterThan(4);
  });

  it('segments named "Gone" and "New customers" keep their own nodes: every link starts and ends inside its nodes', async () => {
    const { View, parse } = await import('vega');
    const named = { ...r, migration: { ...r.migration, segments: ['Gone', 'segment 1', 'New customers', 'segment 3'] } };
    const view = new View(parse(migrationSankeySpec(named)), { renderer: 'none' });
    await view.runAsync();
    type Node = { y0: number; y1: number; total: number; fromOrder?: number; toOrder?: number };
    const left = view.data('left') as Node[], right = view.data('right') as Node[];
    const links = view.data('links') as { fromOrder: number; toOrder: number; sy: number; ty: number; value: number }[];
    // four segments and the new customers on the left, four segments and the gone on the right
    expect(left.map((d) => d.fromOrder).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(right.map((d) => d.toOrder).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(right.find((d) => d.toOrder === 0)!.total).toBe(r.segments[0].after);
    expect(right.find((d) => d.toOrder === 4)!.total).toBe(r.migration.gone.reduce((a, b) => a + b, 0));
    expect(links.length).toBeGreaterThan(8);
    for (const l of links) {
      const from = left.find((d) => d.fromOrder === l.fromOrder)!, to = right.find((d) => d.toOrder === l.toOrder)!;
      expect(l.sy).toBeGreaterThan(from.y0);
      expect(l.sy).toBeLessThan(from.y1);
      expect(l.ty).toBeGreaterThan(to.y0);
      expect(l.ty).toBeLessThan(to.y1);
    }
    view.finalize();
  });

  it('with more than ten segments the new and gone customers stay grey', async () => {
    const k = 12;
    const eye = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 10 : 0)));
    const many = { ...r, migration: { ...r.migration, segments: Array.from({ length: k }, (_, i) => `segment ${i}`), counts: eye, new: new Array(k).fill(1), gone: new Array(k).fill(1), toUnassigned: new Array(k).fill(0), fromUnassigned: new Array(k).fill(0), unassignedBoth: 0 } };
    const svg = await renderVegaSvg(migrationSankeySpec(many));
    // the node rectangles: twelve segments on each side, the new customers on the left, the gone on the right
    const fills = [...svg.matchAll(/<path[^>]*?d="M[^"]*?h14v[^"]*?"[^>]*?fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(fills).toHaveLength(2 * k + 2);
    expect(fills.filter((f) => f === '#9aa5b1')).toHaveLength(1);
    expect(fills.filter((f) => f === '#cbd2d9')).toHaveLength(1);
  });

  it('with 50 segments every node is as tall as its customers and stays inside the chart', async () => {
    const { View, parse } = await import('vega');
    const k = 50;
    const counts = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 10 + i : 0)));
    const many = { ...r, migration: { ...r.migration, segments: Array.from({ length: k }, (_, i) => `segment ${i}`), counts, new: new Array(k).fill(1), gone: new Array(k).fill(2), toUnassigned: new Array(k).fill(0), fromUnassigned: new Array(k).fill(0), unassignedBoth: 0 } };
    const spec = migrationSankeySpec(many);
    const view = new View(parse(spec), { renderer: 'none' });
    await view.runAsync();
    const unit = view.signal('unit') as number;
    const left = view.data('left') as { y0: number; y1: number; total: number; fromOrder: number }[];
    const right = view.data('right') as { y0: number; y1: number; total: number; toOrder: number }[];
    view.finalize();
    expect(left).toHaveLength(k + 1);
    expect(right).toHaveLength(k + 1);
    // segment 0 before: its 10 stayers and 2 gone; segment 49 after: its 59 stayers and 1 new
    expect(left.find((d) => d.fromOrder === 0)!.total).toBe(12);
    expect(right.find((d) => d.toOrder === 49)!.total).toBe(60);
    expect(unit).toBeGreaterThan(0);
    for (const d of [...left, ...right]) {
      expect(d.y1 - d.y0).toBeCloseTo(d.total * unit, 9);
      expect(d.y1 - d.y0).toBeGreaterThan(1);
      expect(d.y1).toBeLessThanOrEqual((spec as { height: number }).height + 1e-9);
    }
  });

  // the items of a Vega-Lite chart's marks of one type, and the label texts of its y axis
  async function drawn(spec: unknown, type: string): Promise<{ items: { x: number; y: number; width?: number; datum: Record<string, unknown> }[]; labels: string[] }> {
    const { View, parse } = await import('vega');
    const { compile } = await import('vega-lite');
    const view = new View(parse(compile(spec as never).spec), { renderer: 'none' });
    await view.runAsync();
    const items: { x: number; y: number; width?: number; datum: Record<string, unknown> }[] = [];
    const labels: string[] = [];
    const walk = (n: { marktype?: string; role?: string; items?: unknown[]; text?: unknown }, axis: boolean): void => {
      for (const it of (n.items ?? []) as { marktype?: string; role?: string; items?: unknown[]; datum?: Record<string, unknown>; x: number; y: number; width?: number; text?: unknown; mark?: { role?: string } }[]) {
        if (n.marktype === type && n.role === 'mark') items.push({ x: it.x, y: it.y, width: it.width, datum: it.datum! });
        if (n.marktype === 'text' && n.role === 'axis-label' && axis) labels.push(String(it.text));
        walk(it, axis || (n.role === 'axis' && (it.datum as { scale?: string } | undefined)?.scale === 'y'));
      }
    };
    walk((view.scenegraph() as unknown as { root: never }).root, false);
    view.finalize();
    return { items, labels };
  }

  it('growth bars: two segments of one name keep a bar each, at their own place', async () => {
    const names = r.segments.map((s, c) => (c < 2 ? 'Loyal' : s.name));
    const same = { ...r, segments: r.segments.map((s, c) => ({ ...s, name: names[c] })) };
    const { items, labels } = await drawn(growthBarsSpec(same), 'rect');
    expect(items).toHaveLength(r.segments.length);
    expect(new Set(items.map((b) => b.y)).size).toBe(r.segments.length);
    expect(labels).toEqual(names);
    // each bar spans its own segment's change (a shared place stacked the two)
    const px = items.map((b) => Math.abs(b.width!)), change = r.segments.map((s) => Math.abs(s.change));
    for (let c = 0; c < items.length; c++) for (let e = 0; e < items.length; e++) if (change[e] > 0 && change[c] > 0) expect(px[c] / change[c]).toBeCloseTo(px[e] / change[e], 3);
  });

  it("growth bars: a segment's growth never reads +0.0% for a change, nor -100.0% for a segment that kept customers", async () => {
    // 2,500 -> 1 (-99.96%), 2,500 -> 2,501 (+0.04%), 40 -> 30 (-25.0%), 10 -> 10, 0 -> 5 and 7 -> 0 (-100.0%)
    const sizes = [[2500, 1], [2500, 2501], [40, 30], [10, 10], [0, 5], [7, 0]];
    const segments = sizes.map(([before, after], c) => ({ ...r.segments[0], segment: c, name: `s${c}`, before, after, change: after - before, growth: before ? after / before - 1 : after ? Infinity : 0 }));
    const spec = growthBarsSpec({ ...r, segments }) as unknown as { data: { values: { growth: string }[] }; encoding: { tooltip: { field: string; format?: string }[] } };
    expect(spec.data.values.map((v) => v.growth)).toEqual(['-99.96%', '+0.04%', '-25.0%', '0.0%', 'from none', '-100.0%']);
    expect(spec.encoding.tooltip.find((t) => t.field === 'growth')).toEqual({ field: 'growth' });
    // the tooltip as drawn shows the text as it is
    const { View, parse } = await import('vega');
    const { compile } = await import('vega-lite');
    const view = new View(parse(compile(spec as never).spec), { renderer: 'none' });
    await view.runAsync();
    const tips: string[] = [];
    const walk = (n: { marktype?: string; items?: unknown[] }): void => {
      for (const it of (n.items ?? []) as { tooltip?: Record<string, string>; items?: unknown[] }[]) {
        if (n.marktype === 'rect' && it.tooltip) tips.push(it.tooltip.growth);
        walk(it as never);
      }
    };
    walk((view.scenegraph() as unknown as { root: never }).root);
    view.finalize();
    expect(tips).toEqual(['-99.96%', '+0.04%', '-25.0%', '0.0%', 'from none', '-100.0%']);
  });

  it('growth bars: long segment names are written whole, so two that begin alike stay apart', async () => {
    const names = r.segments.map((s, c) => (c === 0 ? 'Very high spend buyers, many sessions' : c === 1 ? 'Very high spend buyers, few sessions' : s.name));
    const long = { ...r, segments: r.segments.map((s, c) => ({ ...s, name: names[c] })) };
    const svg = await renderSvg(growthBarsSpec(long));
    const axis = /<g class="mark-text role-axis-label"[^>]*>([\s\S]*?)<\/g>/g;
    const texts = [...svg.matchAll(axis)].map((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
    // the y axis: one label per segment, each the segment's whole name
    expect(texts.find((t) => t.length === names.length)).toEqual(names);
  });

  it('the A/B chart keeps a segment named "All customers" apart from all customers', async () => {
    const ab = abTest([
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x' : 'All customers', g: 'A', y: i % 5 === 0 ? 1 : 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x' : 'All customers', g: 'B', y: i % 3 === 0 ? 1 : 0 })),
    ], { segment: 's', group: 'g', outcome: 'y' });
    const { items, labels } = await drawn(abTestChart(ab), 'symbol');
    expect(items).toHaveLength(3);
    expect(new Set(items.map((p) => p.y)).size).toBe(3);
    expect(labels).toEqual(['All customers', 'All customers', 'x']);
    const want = [ab.overall[0], ...ab.segments].map((c) => c.uplift * 100);
    expect(items.map((p) => p.datum.uplift as number)).toEqual(want);
  });

  it('the A/B chart writes segment names whole, so two that begin alike stay apart', async () => {
    const a = 'Very high spend buyers, many sessions', b = 'Very high spend buyers, few sessions';
    const ab = abTest([
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? a : b, g: 'A', y: i % 5 === 0 ? 1 : 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? a : b, g: 'B', y: i % 3 === 0 ? 1 : 0 })),
    ], { segment: 's', group: 'g', outcome: 'y' });
    const svg = await renderSvg(abTestChart(ab));
    const texts = [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
    // the y axis: all customers, then each segment by its whole name
    expect(texts.find((t) => t.includes('All customers'))).toEqual(['All customers', ...ab.segments.map((c) => c.segment)]);
    expect(new Set(ab.segments.map((c) => c.segment))).toEqual(new Set([a, b]));
  });

  it('the HTML page holds the recommendation, the matrix and a traffic light per feature', async () => {
    const html = await buildChangesReport(r);
    expect(html).toContain('Recommendation: refit');
    expect((html.match(/class="light"/g) ?? []).length).toBe(FEATURES.length);
    expect(html).toContain('#e03131'); // monetary: significant shift
    expect(html).toContain('#2f9e44'); // recency: stable
    expect(html).not.toMatch(/<script/);
    if (process.env.SEGKIT_WRITE_REPORTS) writeFileSync(`${process.env.SEGKIT_WRITE_REPORTS}/changes.html`, html);
  });

  it("the A/B chart's tooltip gives the overall effect's p-value as a p-value, never under the title of a Holm-adjusted one", () => {
    const ab = abTest([
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x' : 'y', g: 'A', y: i % 5 === 0 ? 1 : 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x' : 'y', g: 'B', y: i % 3 === 0 ? 1 : 0 })),
    ], { segment: 's', group: 'g', outcome: 'y' });
    const spec = abTestChart(ab) as unknown as { data: { values: Record<string, unknown>[] }; layer: { encoding: { tooltip?: { field: string; title?: string }[] } }[] };
    const tooltip = spec.layer.find((l) => l.encoding.tooltip)!.encoding.tooltip!;
    expect(tooltip.filter((t) => t.field === 'p' || t.field === 'holm').map((t) => [t.field, t.title])).toEqual([['p', 'p'], ['holm', 'p (Holm)']]);
    const [overall, ...segments] = spec.data.values;
    // the segments' p-values and their Holm-adjusted ones; the overall effect is one test, not adjusted
    expect(overall).toMatchObject({ segment: 'All customers', p: ab.overall[0].pvalue.toPrecision(3), holm: 'not adjusted (one pre-planned test)' });
    expect(segments.map((v) => [v.segment, v.p, v.holm])).toEqual(ab.segments.map((c) => [c.segment, c.pvalue.toPrecision(3), c.adjustedPValue!.toPrecision(3)]));
  });

  it('the A/B chart isolates arm and segment names holding an override, so the title reads "by segment" after the control', () => {
    const ab = abTest([
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x\u202E' : 'y', g: 'ctl\u202E', y: i % 5 === 0 ? 1 : 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x\u202E' : 'y', g: 'B', y: i % 3 === 0 ? 1 : 0 })),
    ], { segment: 's', group: 'g', outcome: 'y', control: 'ctl\u202E' });
    const spec = abTestChart(ab) as unknown as { title: { text: string }; params: { value: string[] }[]; data: { values: { key: string; segment: string }[] } };
    expect(spec.title.text).toBe('Uplift over \u2068ctl\u202E\u2069 by segment');
    expect(spec.params[0].value).toEqual(['All customers', '\u2068x\u202E\u2069', 'y']);
    // each row keyed to its own name
    expect(spec.data.values.map((v) => [v.key, v.segment])).toEqual([['0', 'All customers'], ['1', '\u2068x\u202E\u2069'], ['2', 'y']]);
  });

  it('what is not a comparison, or options of the wrong kind, are named rather than a TypeError deep in a chart', async () => {
    const refused = async (run: () => unknown, text: string) => {
      const e = (await (async () => run())().then(() => null, (x: unknown) => x)) as (Error & { code?: string }) | null;
      expect(e?.code, String(e)).toBe('E_BAD_OPTION');
      expect(e!.message).toContain(text);
    };
    for (const [fn, run] of [['migrationSankeySpec', migrationSankeySpec], ['growthBarsSpec', growthBarsSpec], ['driftTableHtml', driftTableHtml], ['buildChangesReport', buildChangesReport]] as const) {
      for (const bad of [undefined, {}, { migration: {} }, 'x']) await refused(async () => (run as (x: unknown) => unknown)(bad), `${fn} takes what compareSnapshots returns`);
    }
    await refused(async () => abTestChart({} as never), 'abTestChart takes what abTest returns');
    await refused(async () => abTestChart({ overall: [{}], segments: [] } as never), 'abTestChart takes what abTest returns');
    // an A/B result has segments too: the growth bars drew it as empty bars
    const ab = abTest(Array.from({ length: 40 }, (_, i) => ({ segment: `s${i % 2}`, variant: i % 4 < 2 ? 'A' : 'B', converted: i % 3 === 0 })), { segment: 'segment', group: 'variant', outcome: 'converted', control: 'A' });
    await refused(async () => growthBarsSpec(ab as never), 'growthBarsSpec takes what compareSnapshots returns');
    await refused(async () => buildChangesReport({ migration: { segments: [] }, segments: [], drift: [] } as never), 'buildChangesReport takes what compareSnapshots returns');
    await refused(async () => migrationSankeySpec({ migration: { segments: ['a'] } } as never), 'migrationSankeySpec takes what compareSnapshots returns');
    await refused(async () => migrationSankeySpec(r, null as never), 'options must be an object, got null');
    await refused(async () => migrationSankeySpec(r, { width: -5 }), 'option "width"');
    await refused(async () => buildChangesReport(r, { title: 5 as never }), 'option "title" must be a string');
    expect(migrationSankeySpec(r, { width: 500 }).width).toBe(500);
  });

  it('the A/B chart renders', async () => {
    const ab = abTest([
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x' : 'y', g: 'A', y: i % 5 === 0 ? 1 : 0 })),
      ...Array.from({ length: 200 }, (_, i) => ({ s: i % 2 ? 'x' : 'y', g: 'B', y: i % 3 === 0 ? 1 : 0 })),
    ], { segment: 's', group: 'g', outcome: 'y' });
    const svg = await renderSvg(abTestChart(ab));
    expect(svg).toContain('Uplift over A by segment');
    expect(svg).toContain('All customers');
  });
});

describe('the drift table', () => {
  it('writes a mean just under 1000 as a whole number, never in exponent notation', () => {
    const drift = [{ feature: 'spend', level: 'stable', psi: { value: 0.01 }, ks: { statistic: 0.02, pvalue: 0.5 }, meanBefore: 999.6, meanAfter: -999.7, missingBefore: 0, missingAfter: 0 }];
    const html = driftTableHtml({ drift } as never);
    expect(html).toContain('<td class="num">1,000</td><td class="num">-1,000</td>');
    expect(html).not.toContain('e+3');
  });

  it('a KS p-value SciPy leaves undefined (asymp, one customer in each snapshot) reads as a dash, never "NaN"', async () => {
    const model = await kmeans(fromRows([[0, 0], [0, 1], [10, 10], [10, 11]], { names: ['a', 'b'] }), { k: 2, seed: 0 });
    const one = await compareSnapshots(model, [{ id: 1, a: 1, b: 2 }], [{ id: 1, a: 30, b: 3 }], { id: 'id', ksMethod: 'asymp' });
    // scipy.stats.ks_2samp([1], [30], method='asymp'): statistic 1.0, pvalue nan (kstwo at n = round(1/2) = 0)
    expect(one.drift[0].ks!.statistic).toBe(1);
    expect(one.drift[0].ks!.pvalue).toBeNaN();
    const html = driftTableHtml(one);
    expect(html).not.toContain('NaN');
    expect(html).toContain('<td class="num">1.0000</td><td class="num" title="not defined for one value before and one after">–</td>');
  });
});
