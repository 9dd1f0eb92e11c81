import type { TopLevelSpec } from 'vega-lite';
import type { AbTestResult } from '../workflow/abTest.js';
import { isolate } from '../util/bidiText.js';
import { SegkitError, describe } from '../util/errors.js';

/**
 * The A/B readout as a Vega-Lite chart: per segment (and overall) the uplift of each variant over the control with
 * its confidence interval; filled points survive Holm's correction, a rule marks no effect.
 * @example
 * const svg = await renderSvg(abTestChart(abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted' })));
 */
export function abTestChart(r: AbTestResult): TopLevelSpec {
  const cell = (c: AbTestResult['overall'][number]) => typeof c?.uplift === 'number' && Array.isArray(c.ci) && typeof c.treatment === 'string';
  if (!r || typeof r !== 'object' || !Array.isArray(r.overall) || !Array.isArray(r.segments) || ![...r.overall, ...r.segments].every(cell)) throw new SegkitError('E_BAD_OPTION', `abTestChart takes what abTest returns, got ${describe(r)}`);
  const scale = r.metric === 'proportion' ? 100 : 1;
  // rows keyed by position (0: all customers), so a segment named "All customers" keeps its own row
  // and labelled by whole names: a name cut to fit reads like another that begins alike
  // (names isolated, as the report's charts show them: an override in one cannot reverse the text after it)
  const names = ['All customers', ...new Set(r.segments.map((c) => isolate(c.segment ?? '')))];
  const values = [...r.overall, ...r.segments].map((c) => ({
    key: String(c.segment === null ? 0 : names.indexOf(isolate(c.segment), 1)),
    segment: c.segment === null ? 'All customers' : isolate(c.segment), variant: isolate(c.treatment),
    uplift: c.uplift * scale, lo: c.ci[0] * scale, hi: c.ci[1] * scale,
    // the overall effect is one pre-planned test: its p-value is not Holm-adjusted, and is not shown as if it were
    p: Number.isNaN(c.pvalue) ? '–' : c.pvalue.toPrecision(3),
    holm: c.adjustedPValue !== null ? c.adjustedPValue.toPrecision(3) : c.segment === null ? 'not adjusted (one pre-planned test)' : '–',
    significant: c.significant ? 'yes' : 'no',
  })).filter((v) => Number.isFinite(v.uplift));
  const unit = r.metric === 'proportion' ? 'percentage points' : 'outcome units';
  const pct = +(r.confidence * 100).toPrecision(10);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `Uplift over ${isolate(r.control)} by segment`, subtitle: `${pct}% intervals (${r.metric === 'proportion' ? 'Newcombe' : 'Welch'}); filled: significant after Holm's correction` },
    data: { values },
    height: { step: 24 } as never,
    width: 520,
    params: [{ name: 'rowNames', value: names }],
    encoding: { y: { field: 'key', type: 'nominal', sort: null, title: null, axis: { labelExpr: 'rowNames[datum.value]', labelLimit: 0 } }, yOffset: r.treatments.length > 1 ? { field: 'variant' } : undefined },
    layer: [
      { mark: { type: 'rule', color: '#7b8794', strokeDash: [4, 3] }, encoding: { x: { datum: 0 } } },
      { mark: { type: 'errorbar', ticks: true }, encoding: { x: { field: 'lo', type: 'quantitative', title: `uplift (${unit})` }, x2: { field: 'hi' }, color: { field: 'variant', type: 'nominal' } } },
      {
        mark: { type: 'point', size: 70 },
        encoding: {
          x: { field: 'uplift', type: 'quantitative' }, color: { field: 'variant', type: 'nominal' },
          fill: { condition: { test: "datum.significant === 'yes'", field: 'variant', type: 'nominal' }, value: 'white' },
          tooltip: [{ field: 'segment' }, { field: 'variant' }, { field: 'uplift', format: '.3f' }, { field: 'lo', format: '.3f' }, { field: 'hi', format: '.3f' }, { field: 'p', title: 'p' }, { field: 'holm', title: 'p (Holm)' }],
        },
      },
    ],
  } as TopLevelSpec;
}
