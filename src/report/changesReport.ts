// The report of two snapshots compared: a migration Sankey (one Vega spec built from stacked bars and link paths,
// since Vega has no Sankey mark), growth bars, the migration matrix, and a drift table with traffic lights.
import type { TopLevelSpec } from 'vega-lite';
import type { Spec as VegaSpec } from 'vega';
import type { CompareSnapshotsResult, Migration } from '../workflow/compareSnapshots.js';
import { renderSvg, renderVegaSvg } from './renderSvg.js';
import { escapeHtml as esc } from './buildReport.js';
import { isolate } from '../util/bidiText.js';
import { SEGMENT_COLOURS_40 } from './colours.js';
import { formatShare as fmtPct, psiFigure } from '../util/shareText.js';
import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions } from '../util/options.js';

/** `r` is what compareSnapshots returns (anything else was a TypeError deep in a chart). */
function checkResult(r: unknown, fn: string, parts = ['migration', 'segments', 'drift']): asserts r is CompareSnapshotsResult {
  const o = r as CompareSnapshotsResult;
  const nums = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((v) => typeof v === 'number');
  // an abTest result has segments too: each part is checked down to the fields the charts read
  const has = (part: string) => {
    if (part === 'drift') return Array.isArray(o.drift) && o.drift.every((f) => typeof f?.feature === 'string');
    if (part === 'segments') return Array.isArray(o.segments) && o.segments.every((c) => typeof c?.name === 'string' && typeof c.before === 'number' && typeof c.after === 'number' && typeof c.change === 'number');
    const m = o.migration, k = Array.isArray(m?.segments) ? m.segments.length : -1;
    return k >= 0 && Array.isArray(m.counts) && m.counts.length === k && m.counts.every((row) => nums(row, k)) && [m.new, m.gone, m.toUnassigned, m.fromUnassigned].every((a) => nums(a, k));
  };
  if (!o || typeof o !== 'object' || !parts.every(has)) {
    throw new SegkitError('E_BAD_OPTION', `${fn} takes what compareSnapshots returns, got ${describe(r)}`);
  }
}

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
const NEW = 'New customers', GONE = 'Gone', UNASSIGNED = 'Unassigned';

/** Whether any returning customer moved into or out of no segment (tables then show an unassigned row and column). */
export const movedUnassigned = (m: Migration): boolean => m.toUnassigned.some((c) => c > 0) || m.fromUnassigned.some((c) => c > 0) || m.unassignedBoth > 0;

/**
 * A migration Sankey as one self-contained Vega spec: segments before (and new customers) stacked on the left,
 * segments after (and customers gone) on the right, each flow a diagonal link path as wide as its customers.
 */
export function migrationSankeySpec(r: CompareSnapshotsResult, options: { width?: number; height?: number } = {}): VegaSpec {
  checkResult(r, 'migrationSankeySpec', ['migration']);
  checkOptions(options, ['width', 'height'], 'migrationSankeySpec');
  for (const key of ['width', 'height'] as const) if (options[key] !== undefined && !(typeof options[key] === 'number' && options[key]! > 0 && Number.isFinite(options[key]))) throw badOption(key, options[key], 'a number of pixels > 0');
  const width = options.width ?? 640;
  // labels are followed by counts: a name holding right-to-left text is isolated from them
  const names = r.migration.segments.map(isolate);
  // nodes are keyed and coloured by position, never by name: a segment may be named "Gone" or "New customers"
  const n = names.length, NEW_COLOUR = n, GONE_COLOUR = n + 1, UNASSIGNED_COLOUR = n + 2;
  const flows: { from: string; to: string; value: number; fromOrder: number; toOrder: number; fromColour: number; toColour: number }[] = [];
  names.forEach((from, i) => names.forEach((to, j) => {
    const v = r.migration.counts[i][j];
    if (v > 0) flows.push({ from, to, value: v, fromOrder: i, toOrder: j, fromColour: i, toColour: j });
  }));
  names.forEach((to, j) => { if (r.migration.new[j] > 0) flows.push({ from: NEW, to, value: r.migration.new[j], fromOrder: n, toOrder: j, fromColour: NEW_COLOUR, toColour: j }); });
  names.forEach((from, i) => { if (r.migration.gone[i] > 0) flows.push({ from, to: GONE, value: r.migration.gone[i], fromOrder: i, toOrder: n, fromColour: i, toColour: GONE_COLOUR }); });
  // returning customers that moved into or out of no segment (a density model's unassigned rows)
  const { toUnassigned, fromUnassigned } = r.migration;
  names.forEach((from, i) => { if (toUnassigned[i] > 0) flows.push({ from, to: UNASSIGNED, value: toUnassigned[i], fromOrder: i, toOrder: n + 1, fromColour: i, toColour: UNASSIGNED_COLOUR }); });
  names.forEach((to, j) => { if (fromUnassigned[j] > 0) flows.push({ from: UNASSIGNED, to, value: fromUnassigned[j], fromOrder: n + 1, toOrder: j, fromColour: UNASSIGNED_COLOUR, toColour: j }); });
  const total = flows.reduce((a, f) => a + f.value, 0);
  const gap = 10;
  const nodes = names.length + (movedUnassigned(r.migration) ? 2 : 1);
  // grown with the segments so that the gaps between nodes take at most half of it: with a fixed height, 42 segments'
  // gaps filled it and every node and flow was drawn without height
  const height = options.height ?? Math.max(420, 2 * gap * nodes);
  const unit = total > 0 ? Math.max(0, height - gap * (nodes - 1)) / total : 0;
  const nodeWidth = 14;
  const stackNodes = (side: 'from' | 'to') => [
    { type: 'aggregate', groupby: [side, `${side}Order`, `${side}Colour`], fields: ['value'], ops: ['sum'], as: ['total'] },
    { type: 'stack', field: 'total', sort: { field: `${side}Order` }, as: ['s0', 's1'] },
    { type: 'formula', as: 'y0', expr: `datum.s0 * unit + datum.${side}Order * gap` },
    { type: 'formula', as: 'y1', expr: `datum.s1 * unit + datum.${side}Order * gap` },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    description: 'Customer migration between segments (a Sankey diagram from stacked bars and link paths)',
    width, height, padding: { left: 110, right: 110, top: 10, bottom: 10 },
    signals: [{ name: 'unit', value: unit }, { name: 'gap', value: gap }, { name: 'nodeWidth', value: nodeWidth }],
    data: [
      { name: 'flows', values: flows },
      { name: 'left', source: 'flows', transform: stackNodes('from') },
      { name: 'right', source: 'flows', transform: stackNodes('to') },
      {
        name: 'into', source: 'flows',
        transform: [
          { type: 'stack', groupby: ['toOrder'], field: 'value', sort: { field: 'fromOrder' }, as: ['t0', 't1'] },
          { type: 'formula', as: 'key', expr: 'datum.fromOrder + "," + datum.toOrder' },
        ],
      },
      {
        name: 'links', source: 'flows',
        transform: [
          { type: 'stack', groupby: ['fromOrder'], field: 'value', sort: { field: 'toOrder' }, as: ['f0', 'f1'] },
          { type: 'formula', as: 'key', expr: 'datum.fromOrder + "," + datum.toOrder' },
          { type: 'lookup', from: 'into', key: 'key', fields: ['key'], values: ['t0'], as: ['t0'] },
          { type: 'lookup', from: 'left', key: 'fromOrder', fields: ['fromOrder'], values: ['y0'], as: ['fromY'] },
          { type: 'lookup', from: 'right', key: 'toOrder', fields: ['toOrder'], values: ['y0'], as: ['toY'] },
          { type: 'formula', as: 'sx', expr: 'nodeWidth' },
          { type: 'formula', as: 'tx', expr: 'width - nodeWidth' },
          { type: 'formula', as: 'sy', expr: 'datum.fromY + (datum.f0 + datum.value / 2) * unit' },
          { type: 'formula', as: 'ty', expr: 'datum.toY + (datum.t0 + datum.value / 2) * unit' },
          { type: 'linkpath', orient: 'horizontal', shape: 'diagonal', sourceX: 'sx', sourceY: 'sy', targetX: 'tx', targetY: 'ty' },
        ],
      },
    ],
    scales: [
      { name: 'colour', type: 'ordinal', domain: Array.from({ length: n + 3 }, (_, c) => c), range: [...names.map((_, i) => (n <= PALETTE.length ? PALETTE[i] : SEGMENT_COLOURS_40[i % SEGMENT_COLOURS_40.length])), '#9aa5b1', '#cbd2d9', '#7b8794'] },
    ],
    marks: [
      {
        type: 'path', from: { data: 'links' },
        encode: {
          enter: {
            path: { field: 'path' }, stroke: { scale: 'colour', field: 'fromColour' }, strokeOpacity: { value: 0.35 },
            strokeWidth: { signal: 'max(1, datum.value * unit)' },
            tooltip: { signal: 'datum.from + " → " + datum.to + ": " + format(datum.value, ",") + " customers"' },
          },
        },
      },
      {
        type: 'rect', from: { data: 'left' },
        encode: { enter: { x: { value: 0 }, x2: { signal: 'nodeWidth' }, y: { field: 'y0' }, y2: { field: 'y1' }, fill: { scale: 'colour', field: 'fromColour' }, tooltip: { signal: 'datum.from + " before: " + format(datum.total, ",")' } } },
      },
      {
        type: 'rect', from: { data: 'right' },
        encode: { enter: { x: { signal: 'width - nodeWidth' }, x2: { signal: 'width' }, y: { field: 'y0' }, y2: { field: 'y1' }, fill: { scale: 'colour', field: 'toColour' }, tooltip: { signal: 'datum.to + " after: " + format(datum.total, ",")' } } },
      },
      {
        type: 'text', from: { data: 'left' },
        encode: { enter: { x: { value: -6 }, y: { signal: '(datum.y0 + datum.y1) / 2' }, align: { value: 'right' }, baseline: { value: 'middle' }, fontSize: { value: 11 }, fill: { value: '#323f4b' }, text: { signal: 'datum.from + " (" + format(datum.total, ",") + ")"' } } },
      },
      {
        type: 'text', from: { data: 'right' },
        encode: { enter: { x: { signal: 'width + 6' }, y: { signal: '(datum.y0 + datum.y1) / 2' }, align: { value: 'left' }, baseline: { value: 'middle' }, fontSize: { value: 11 }, fill: { value: '#323f4b' }, text: { signal: 'datum.to + " (" + format(datum.total, ",") + ")"' } } },
      },
    ],
  } as unknown as VegaSpec;
}

/**
 * A segment's growth in percent to one decimal, or more where one would read a change as none (+0.0%) or a segment
 * that kept customers as emptied (-100.0%); a segment that was empty before grew "from none".
 */
function growthText(g: number): string {
  if (!Number.isFinite(g)) return 'from none';
  let t = (g * 100).toFixed(1);
  for (let p = 2; p < 20 && ((g !== 0 && Number(t) === 0) || (g > -1 && Number(t) <= -100)); p++) t = (g * 100).toFixed(p);
  return `${g > 0 ? '+' : ''}${t}%`;
}

/** Growth and shrinkage per segment (Vega-Lite): customers after minus before, with the relative change. */
export function growthBarsSpec(r: CompareSnapshotsResult): TopLevelSpec {
  checkResult(r, 'growthBarsSpec', ['segments']);
  // one bar per segment, keyed by position: two segments of one name keep two bars (the names label the axis, whole:
  // a name cut to fit reads like another that begins alike)
  const values = r.segments.map((s, c) => ({ key: String(c), segment: s.name, change: s.change, growth: growthText(s.growth), before: s.before, after: s.after }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 560, height: { step: 26 } as never,
    params: [{ name: 'segmentNames', value: r.segments.map((s) => s.name) }],
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'key', type: 'nominal', sort: null, title: null, axis: { labelExpr: 'segmentNames[datum.value]', labelLimit: 0 } },
      x: { field: 'change', type: 'quantitative', title: 'customers after minus before' },
      color: { condition: { test: 'datum.change < 0', value: '#e45756' }, value: '#54a24b' },
      tooltip: [
        { field: 'segment' }, { field: 'before', format: ',' }, { field: 'after', format: ',' },
        { field: 'change', format: '+,' }, { field: 'growth' },
      ],
    },
  } as TopLevelSpec;
}

const LIGHT: Record<string, [string, string]> = { stable: ['#2f9e44', 'stable'], moderate: ['#f08c00', 'moderate shift'], significant: ['#e03131', 'significant shift'] };

function num(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '–';
  // 999.6 has three significant digits only as 1.00e+3: rounded to a whole number first
  if (Math.abs(v) >= 999.5) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(digits);
}

/** The drift table: one row per feature, PSI with a traffic light (by the stated conventions), KS D and p-value. */
export function driftTableHtml(r: CompareSnapshotsResult): string {
  checkResult(r, 'driftTableHtml', ['drift']);
  const rows = r.drift.map((f) => {
    const [colour, word] = f.level ? LIGHT[f.level] : ['#adb5bd', 'not compared'];
    return `<tr><th scope="row">${esc(f.feature)}</th><td><span class="light" style="background:${colour}" title="${esc(word)}"></span>${esc(word)}</td>`
      + `<td class="num">${f.psi ? psiFigure(f.psi.value, r.thresholds) : '–'}</td><td class="num">${f.ks ? f.ks.statistic.toFixed(4) : '–'}</td>`
      + `<td class="num"${f.ks && Number.isNaN(f.ks.pvalue) ? ' title="not defined for one value before and one after"' : ''}>${f.ks && !Number.isNaN(f.ks.pvalue) ? (f.ks.pvalue < 1e-4 ? f.ks.pvalue.toExponential(1) : f.ks.pvalue.toFixed(4)) : '–'}</td>`
      + `<td class="num">${num(f.meanBefore)}</td><td class="num">${num(f.meanAfter)}</td><td class="num">${(f.missingBefore + f.missingAfter).toLocaleString('en-US')}</td></tr>`;
  }).join('');
  return `<table class="drift"><caption>Feature drift</caption><thead><tr><th scope="col">Feature</th><th scope="col">Drift</th><th scope="col">PSI</th><th scope="col">KS D</th><th scope="col">KS p</th><th scope="col">Mean before</th><th scope="col">Mean after</th><th scope="col">Missing</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function matrixHtml(r: CompareSnapshotsResult): string {
  const m = r.migration;
  // a column and a row for customers that moved into or out of no segment, when any did
  const none = movedUnassigned(m);
  const num = (c: number) => `<td class="num">${c.toLocaleString('en-US')}</td>`;
  const head = m.segments.map((s) => `<th scope="col">${esc(s)}</th>`).join('') + (none ? `<th scope="col">${UNASSIGNED}</th>` : '') + `<th scope="col">${GONE}</th>`;
  const body = m.segments.map((from, i) => `<tr><th scope="row">${esc(from)}</th>${m.counts[i].map((c, j) => `<td class="num${i === j ? ' stay' : ''}">${c.toLocaleString('en-US')}</td>`).join('')}${none ? num(m.toUnassigned[i]) : ''}${num(m.gone[i])}</tr>`).join('')
    + (none ? `<tr><th scope="row">${UNASSIGNED}</th>${m.fromUnassigned.map(num).join('')}${num(m.unassignedBoth)}${num(m.unassignedGone)}</tr>` : '')
    + `<tr><th scope="row">${NEW}</th>${m.new.map(num).join('')}${none ? '<td></td>' : ''}<td></td></tr>`;
  return `<table class="matrix"><caption>Customers by segment before (rows) and after (columns)</caption><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const CSS = `body{margin:0;background:#f5f7fa;color:#1f2933;font:14px/1.5 "Helvetica Neue",Helvetica,Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:32px 28px 48px}h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 12px;padding-bottom:6px;border-bottom:2px solid #e1e6ec}
.lede{color:#52606d;margin:0}.callout{margin:18px 0 0;padding:14px 18px;background:#fff;border-left:4px solid #3b6ea8;border-radius:6px}
.callout.refit{border-color:#e03131}.callout.monitor{border-color:#f08c00}.callout.keep{border-color:#2f9e44}
.callout strong{display:block;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#52606d}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:0 0 16px}caption{text-align:left;font-weight:600;padding:0 0 6px}
th,td{padding:5px 10px;border-bottom:1px solid #e4e7eb;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.stay{background:#f1f8f3}.light{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:6px;vertical-align:-1px}
figure{margin:0 0 16px;background:#fff;border-radius:8px;padding:14px 16px}figure svg{max-width:100%;height:auto}
ul.notes{color:#52606d;font-size:12.5px;padding-left:18px}`;

/**
 * One self-contained HTML page comparing two snapshots: the recommendation, a migration Sankey, growth bars, the
 * migration matrix and the drift table with traffic lights. Inline SVG, no scripts, no network.
 * @example
 * const html = await buildChangesReport(await compareSnapshots(model, before, after, { id: 'customer_id' }));
 */
export async function buildChangesReport(r: CompareSnapshotsResult, options: { title?: string } = {}): Promise<string> {
  checkResult(r, 'buildChangesReport');
  checkOptions(options, ['title'], 'buildChangesReport');
  if (options.title !== undefined && typeof options.title !== 'string') throw badOption('title', options.title, 'a string');
  const title = options.title ?? 'How the segments changed';
  const sankey = await renderVegaSvg(migrationSankeySpec(r), { idPrefix: 'sankey-' });
  const growth = await renderSvg(growthBarsSpec(r), { idPrefix: 'growth-' });
  const moved = r.migration.returning ? `${fmtPct(r.migration.moved / r.migration.returning)} of returning customers changed segment` : 'no returning customers';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<header><h1>${esc(title)}</h1>
<p class="lede">${r.rowsBefore.toLocaleString('en-US')} customers before · ${r.rowsAfter.toLocaleString('en-US')} after · ${r.k} segments · ${esc(moved)}</p>
<aside class="callout ${r.recommendation.action}"><strong>Recommendation: ${esc(r.recommendation.action)}</strong><p>${esc(r.recommendation.text)}</p></aside></header>
<section><h2>Who moved where</h2><figure>${sankey}</figure>${matrixHtml(r)}</section>
<section><h2>Growth and shrinkage</h2><figure>${growth}</figure></section>
<section><h2>Drift</h2>${driftTableHtml(r)}<ul class="notes">${r.conventions.map((c) => `<li>${esc(c)}</li>`).join('')}</ul></section>
</main></body></html>
`;
}
