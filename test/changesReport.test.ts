import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { close, fromRows, kmeans, renderSvg } from '../src/index.node.js';
import { compareSnapshots } from '../src/workflow/compareSnapshots.js';
import { buildChangesReport, migrationSankeySpec } from '../src/report/changesReport.js';
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

  it('the HTML page holds the recommendation, the matrix and a traffic light per feature', async () => {
    const html = await buildChangesReport(r);
    expect(html).toContain('Recommendation: refit');
    expect((html.match(/class="light"/g) ?? []).length).toBe(FEATURES.length);
    expect(html).toContain('#e03131'); // monetary: significant shift
    expect(html).toContain('#2f9e44'); // recency: stable
    expect(html).not.toMatch(/<script/);
    if (process.env.SEGKIT_WRITE_REPORTS) writeFileSync(`${process.env.SEGKIT_WRITE_REPORTS}/changes.html`, html);
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
