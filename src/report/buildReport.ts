import { SegkitError, badOption, describe } from '../util/errors.js';
import { toDataset, type Dataset } from '../data/dataset.js';
import type { SegmentProfiles, SegmentProfile } from '../explain/profileSegments.js';
import { featureWords } from '../explain/nameSegment.js';
import { pca2 } from '../explain/pca2.js';
import { chartSpecs, type ChartSpecs, type KSweepRow } from './chartSpecs.js';
import { renderSvg } from './renderSvg.js';
import type { TopLevelSpec } from 'vega-lite';

export interface BuildReportInput {
  readonly title?: string;
  readonly data: Dataset;
  readonly labels: Int32Array;
  /** k x d: rows of a number[][], or a row-major Float64Array of length k * d. */
  readonly centroids: Float64Array | readonly (readonly number[])[];
  readonly k: number;
  readonly profiles: SegmentProfiles;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly kSweep?: readonly KSweepRow[];
  /** A sentence or two shown at the top, e.g. why this k was chosen. */
  readonly recommendation?: string;
  /** Silhouette coefficient of every row (length n). */
  readonly silhouetteSamples?: Float32Array | Float64Array;
  /** Seed for the rows sampled into the 2-D scatter. */
  readonly seed?: number;
  /** At most this many rows in the 2-D scatter. */
  readonly maxScatterPoints?: number;
  /**
   * Rows no cluster took (noise of a density model), left out of `data` and `labels`: shown as their own
   * "Unassigned" group, never as a segment. `means` per feature, in the data's units.
   */
  readonly unassigned?: { readonly size: number; readonly share: number; readonly means?: readonly number[] };
  /** Charts of the algorithm (dendrogram, core and border counts, k-distance plot), placed in a section. */
  readonly extraCharts?: readonly { readonly key: string; readonly spec: TopLevelSpec; readonly section: 'overview' | 'map' | 'quality'; readonly wide?: boolean }[];
}

const DEFAULTS = Object.freeze({ title: 'Customer segments', seed: 0, maxScatterPoints: 2000 });

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values alike. */
function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

const METRIC_LABELS: Record<string, [string, string]> = {
  silhouette: ['Silhouette', 'higher is better; -1 to 1'],
  silhouetteScore: ['Silhouette', 'higher is better; -1 to 1'],
  calinskiHarabasz: ['Calinski–Harabasz', 'higher is better'],
  calinskiHarabaszScore: ['Calinski–Harabasz', 'higher is better'],
  daviesBouldin: ['Davies–Bouldin', 'lower is better'],
  daviesBouldinScore: ['Davies–Bouldin', 'lower is better'],
  inertia: ['Inertia', 'within-segment sum of squares'],
};

function fmtNumber(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (v < 0) return `−${fmtNumber(-v)}`;
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  if (a === 0) return '0';
  if (a < 0.01) return v.toPrecision(2);
  return v.toFixed(a >= 1 ? 2 : 3);
}
const fmtPct = (v: number) => `${(v * 100).toFixed(1)}%`;
const fmtZ = (z: number) => `${z > 0 ? '+' : z < 0 ? '−' : ''}${Math.abs(z).toFixed(2)}`;

function centroidRows(centroids: BuildReportInput['centroids'], k: number, names: readonly string[]): number[][] {
  const d = names.length;
  let rows: readonly (readonly number[])[];
  if (centroids instanceof Float64Array) {
    if (centroids.length !== k * d) throw new SegkitError('E_SHAPE_MISMATCH', `centroids has ${centroids.length} values; k x d = ${k} x ${d} needs ${k * d}`);
    rows = Array.from({ length: k }, (_, c) => Array.from(centroids.subarray(c * d, (c + 1) * d)));
  } else if (Array.isArray(centroids) && centroids.length === k) {
    rows = centroids as readonly (readonly number[])[];
  } else {
    throw new SegkitError('E_SHAPE_MISMATCH', `centroids must be ${k} rows of ${d} numbers, got ${describe(centroids)}`);
  }
  return rows.map((row, c) => {
    if (!row || row.length !== d) throw new SegkitError('E_SHAPE_MISMATCH', `centroid ${c} has ${row?.length} values for ${d} features`);
    return Array.from(row, (v: number, j) => {
      if (!Number.isFinite(v)) throw new SegkitError('E_NAN_INPUT', `centroid ${c}, feature "${names[j]}" is ${describe(v)}`);
      return v;
    });
  });
}

function check(input: BuildReportInput): { ds: Dataset; title: string; seed: number; maxScatterPoints: number } {
  if (!input || typeof input !== 'object') throw badOption('input', input, 'an object');
  const o = { ...DEFAULTS, ...input };
  if (typeof o.title !== 'string') throw badOption('title', o.title, 'a string');
  if (!Number.isInteger(o.seed)) throw badOption('seed', o.seed, 'an integer');
  if (!Number.isInteger(o.maxScatterPoints) || o.maxScatterPoints < 1) throw badOption('maxScatterPoints', o.maxScatterPoints, 'an integer >= 1');
  if (!Number.isInteger(o.k) || o.k < 1) throw badOption('k', o.k, 'an integer >= 1');
  if (input.recommendation !== undefined && typeof input.recommendation !== 'string') throw badOption('recommendation', input.recommendation, 'a string');
  const ds = toDataset(input.data);
  const { profiles, labels, k } = input;
  if (!profiles || !Array.isArray(profiles.segments) || profiles.segments.length !== k) {
    throw new SegkitError('E_SHAPE_MISMATCH', `profiles must describe ${k} segments, got ${describe(profiles?.segments)}`, 'pass the result of profileSegments for the same labels');
  }
  if (profiles.features.length !== ds.d) {
    throw new SegkitError('E_SHAPE_MISMATCH', `profiles has ${profiles.features.length} features, the data has ${ds.d}`);
  }
  if (!labels || labels.length !== ds.n) throw new SegkitError('E_SHAPE_MISMATCH', `labels has ${labels?.length} entries for ${ds.n} rows`);
  for (let i = 0; i < ds.n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k) throw new SegkitError('E_BAD_LABELS', `row ${i} has label ${describe(l)}; labels must be integers in [0, ${k})`);
  }
  if (input.silhouetteSamples !== undefined && input.silhouetteSamples.length !== ds.n) {
    throw new SegkitError('E_SHAPE_MISMATCH', `silhouetteSamples has ${input.silhouetteSamples.length} entries for ${ds.n} rows`);
  }
  for (const [key, v] of Object.entries(input.metrics ?? {})) {
    if (typeof v !== 'number') throw new SegkitError('E_BAD_OPTION', `metric "${key}" is ${describe(v)}, not a number`);
  }
  return { ds, title: o.title, seed: o.seed, maxScatterPoints: o.maxScatterPoints };
}

// vega's colour schemes, loaded with the renderer on the first report rather than when segkit is imported
type Scheme = (typeof import('vega'))['scheme'];
let scheme: Scheme;

function palette(k: number): string[] {
  const colors = scheme(k <= 10 ? 'tableau10' : 'tableau20') as string[];
  return Array.from({ length: k }, (_, i) => colors[i % colors.length]);
}

/** A light tint of the heat map's diverging colour, so the card tables read like the heat map. */
function zTint(z: number, maxAbs: number): string {
  const interp = scheme('blueorange') as (t: number) => string;
  const t = Math.max(0, Math.min(1, 0.5 + z / (2 * maxAbs)));
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(interp(t));
  return m ? `rgba(${m[1]}, ${m[2]}, ${m[3]}, 0.45)` : 'transparent';
}

/** Chart titles go in the HTML, where real font metrics lay them out; the SVG keeps only the plot. */
function splitTitle(spec: TopLevelSpec): { spec: TopLevelSpec; title: string; subtitle: string } {
  const { title, ...rest } = spec as TopLevelSpec & { title?: string | { text?: unknown; subtitle?: unknown } };
  if (typeof title === 'string') return { spec: rest as TopLevelSpec, title, subtitle: '' };
  return { spec: rest as TopLevelSpec, title: String(title?.text ?? ''), subtitle: String(title?.subtitle ?? '') };
}

function figure(key: string, svg: string, title: string, subtitle: string, wide: boolean): string {
  return `<figure class="chart${wide ? ' wide' : ''}" data-chart="${escapeHtml(key)}"><figcaption><h3>${escapeHtml(title)}</h3>${
    subtitle ? `<p>${escapeHtml(subtitle)}</p>` : ''
  }</figcaption>${svg}</figure>`;
}

function metricsTable(metrics: Readonly<Record<string, number>> | undefined): string {
  const entries = Object.entries(metrics ?? {});
  if (entries.length === 0) return '';
  const rows = entries
    .map(([key, v]) => {
      const [label, hint] = Object.hasOwn(METRIC_LABELS, key) ? METRIC_LABELS[key] : [featureWords(key).replace(/^./, (c) => c.toUpperCase()), ''];
      return `<tr><th scope="row">${escapeHtml(label)}${hint ? ` <span class="hint">${escapeHtml(hint)}</span>` : ''}</th><td class="num">${escapeHtml(fmtNumber(v))}</td></tr>`;
    })
    .join('');
  return `<table class="metrics"><caption>Quality of this segmentation</caption><tbody>${rows}</tbody></table>`;
}

function sweepTable(rows: readonly KSweepRow[] | undefined, k: number): string {
  if (!rows || rows.length === 0) return '';
  const sorted = [...rows].sort((a, b) => a.k - b.k);
  const has = (f: keyof KSweepRow) => sorted.some((r) => Number.isFinite(r[f]));
  const cols: [keyof KSweepRow, string][] = [
    ['inertia', 'Inertia'],
    ['silhouette', 'Silhouette ↑'],
    ['calinskiHarabasz', 'Calinski–Harabasz ↑'],
    ['daviesBouldin', 'Davies–Bouldin ↓'],
  ];
  const shown = cols.filter(([f]) => has(f));
  const head = `<tr><th scope="col">k</th>${shown.map(([, t]) => `<th scope="col">${escapeHtml(t)}</th>`).join('')}</tr>`;
  const body = sorted
    .map((r) => {
      const cls = r.k === k ? ' class="chosen"' : '';
      return `<tr${cls}><th scope="row">${escapeHtml(String(r.k))}${r.k === k ? ' <span class="tag">chosen</span>' : ''}</th>${shown
        .map(([f]) => `<td class="num">${escapeHtml(fmtNumber(r[f] as number | undefined))}</td>`)
        .join('')}</tr>`;
    })
    .join('');
  return `<table class="sweep"><caption>Scores by number of segments</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function card(seg: SegmentProfile, profiles: SegmentProfiles, color: string, maxAbs: number): string {
  const { features, population } = profiles;
  const chips = seg.topFeatures
    .map(
      (f) =>
        `<li class="chip ${f.direction}"><span class="arrow" aria-hidden="true">${f.direction === 'high' ? '▲' : '▼'}</span> ${escapeHtml(f.name)} <b>${escapeHtml(fmtZ(f.z))}σ</b></li>`,
    )
    .join('');
  const mixEntries = seg.rfmMix ? Object.entries(seg.rfmMix) : [];
  const mix =
    mixEntries.length > 0
      ? `<p class="rfm"><span class="label">RFM mix</span> ${mixEntries
          .slice(0, 5)
          .map(([label, share]) => `<span class="mix">${escapeHtml(label)} <b>${escapeHtml(fmtPct(share))}</b></span>`)
          .join(' ')}${mixEntries.length > 5 ? ' <span class="mix">…</span>' : ''}</p>`
      : '';
  const rows = features
    .map(
      (f, j) =>
        `<tr><th scope="row">${escapeHtml(f)}</th><td class="num">${escapeHtml(fmtNumber(seg.mean[j]))}</td><td class="num">${escapeHtml(fmtNumber(seg.median[j]))}</td><td class="num muted">${escapeHtml(fmtNumber(population.mean[j]))}</td><td class="num z" style="background:${escapeHtml(zTint(seg.z[j], maxAbs))}">${escapeHtml(fmtZ(seg.z[j]))}</td></tr>`,
    )
    .join('');
  return `<article class="card" data-segment="${seg.id}" style="border-top-color:${escapeHtml(color)}">
<header><span class="swatch" style="background:${escapeHtml(color)}"></span><div><h3>${escapeHtml(seg.name)}</h3>
<p class="meta">Segment ${seg.id} · ${escapeHtml(seg.size.toLocaleString('en-US'))} customers · ${escapeHtml(fmtPct(seg.share))}</p></div></header>
${chips ? `<ul class="chips">${chips}</ul>` : '<p class="typical">Close to the population on every feature.</p>'}${mix}
<table class="features"><thead><tr><th scope="col">Feature</th><th scope="col">Mean</th><th scope="col">Median</th><th scope="col">All customers</th><th scope="col">z</th></tr></thead><tbody>${rows}</tbody></table>
</article>`;
}

/** The rows no cluster took: a grey card that says what they are, after the segments, never named like one. */
function unassignedCard(u: BuildReportInput['unassigned'], profiles: SegmentProfiles): string {
  if (!u) return '';
  const rows = u.means
    ? profiles.features.map((f, j) => `<tr><th scope="row">${escapeHtml(f)}</th><td class="num">${escapeHtml(fmtNumber(u.means![j]))}</td><td class="num muted">${escapeHtml(fmtNumber(profiles.population.mean[j]))}</td></tr>`).join('')
    : '';
  return `\n<article class="card unassigned" data-segment="unassigned" style="border-top-color:#b0b0b0">
<header><span class="swatch" style="background:#b0b0b0"></span><div><h3>Unassigned</h3>
<p class="meta">Noise · ${escapeHtml(u.size.toLocaleString('en-US'))} customers · ${escapeHtml(fmtPct(u.share))}</p></div></header>
<p class="typical">Customers in no dense group: too far from enough others to join a cluster. They are not a segment.</p>
${rows ? `<table class="features"><thead><tr><th scope="col">Feature</th><th scope="col">Mean</th><th scope="col">Clustered customers</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
</article>`;
}

const CSS = `
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:#f5f7fa;color:#1f2933;font:14px/1.5 "Helvetica Neue",Helvetica,Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:32px 28px 48px}
h1{font-size:28px;line-height:1.2;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:19px;margin:36px 0 12px;padding-bottom:6px;border-bottom:2px solid #e1e6ec}
h3{font-size:16px;margin:0;line-height:1.3}
.lede{color:#52606d;margin:0;font-size:15px}
.callout{margin:20px 0 0;padding:14px 18px;background:#fff;border-left:4px solid #3b6ea8;border-radius:6px;box-shadow:0 1px 2px rgba(31,41,51,.08)}
.callout strong{display:block;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#3b6ea8;margin-bottom:2px}
.callout p{margin:0}
table{border-collapse:collapse;background:#fff;font-size:13px}
caption{text-align:left;font-weight:600;padding:0 0 6px;color:#323f4b}
th,td{padding:5px 10px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
thead th{font-size:12px;color:#52606d;font-weight:600;border-bottom:2px solid #cbd2d9}
td.num,thead th+th{text-align:right;font-variant-numeric:tabular-nums}
.metrics,.sweep{box-shadow:0 1px 2px rgba(31,41,51,.08);border-radius:8px;overflow:hidden}
caption{padding:0 0 8px;font-size:15px;color:#1f2933}
.metrics th{font-weight:600}
.hint{display:block;font-weight:400;font-size:11px;color:#7b8794}
.sweep tr.chosen{background:#fdf3e7}
.tag{display:inline-block;font-size:10px;font-weight:600;color:#fff;background:#c0392b;border-radius:8px;padding:0 6px;margin-left:4px;vertical-align:1px}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:18px;align-items:start}
.grid>.wide{grid-column:1/-1}
.panel{min-width:0}
.panel table{width:100%}
figure.chart{margin:0;background:#fff;border-radius:8px;padding:14px 16px 10px;box-shadow:0 1px 2px rgba(31,41,51,.08);min-width:0}
figure.chart svg{display:block;max-width:100%;height:auto;margin:0 auto}
figcaption{margin-bottom:8px}
figcaption h3{font-size:15px}
figcaption p{margin:2px 0 0;font-size:12.5px;color:#616e7c}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:18px}
.card{background:#fff;border-radius:8px;border-top:5px solid #999;padding:16px 18px;box-shadow:0 1px 2px rgba(31,41,51,.08)}
.card header{display:flex;gap:10px;align-items:flex-start;margin-bottom:10px}
.swatch{flex:none;width:14px;height:14px;border-radius:3px;margin-top:3px}
.meta{margin:2px 0 0;color:#616e7c;font-size:13px}
.chips{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:6px}
.chip{font-size:12px;padding:2px 9px;border-radius:12px;border:1px solid}
.chip.high{background:#fff4e6;border-color:#f5b971;color:#8a4b08}
.chip.low{background:#e8f1fa;border-color:#93bde0;color:#1f4f7a}
.chip .arrow{font-size:9px}
.typical{margin:0 0 10px;color:#616e7c;font-style:italic}
.rfm{margin:0 0 10px;font-size:12px;color:#3e4c59}
.rfm .label{font-weight:600;margin-right:4px}
.rfm .mix{white-space:nowrap;margin-right:6px}
.features{width:100%}
.features th[scope=row]{font-weight:500;word-break:break-word}
.features td.muted{color:#7b8794}
.features td.z{font-weight:600;border-radius:2px}
footer{margin-top:40px;color:#7b8794;font-size:12px}
@page{size:A4;margin:12mm}
@media print{
body{background:#fff;font-size:11px}
main{max-width:none;padding:0}
h2{break-after:avoid;margin-top:20px}
figure.chart,.card,table{break-inside:avoid;box-shadow:none;border:1px solid #e4e7eb}
.cards{grid-template-columns:1fr 1fr;gap:10px}
.grid{gap:10px}
.card{padding:10px 12px}
.features{font-size:10px}
}
`;

/** Where each chart goes and whether it spans both columns. */
const LAYOUT: readonly [keyof ChartSpecs, 'overview' | 'profiles' | 'map' | 'quality', boolean][] = [
  ['sizes', 'overview', false],
  ['heatmap', 'profiles', true],
  ['parallel', 'profiles', true],
  ['scatter', 'map', true],
  ['silhouette', 'quality', false],
  ['elbow', 'quality', false],
  ['silhouetteByK', 'quality', false],
];

/**
 * One self-contained HTML report of a segmentation: inline SVG charts drawn by Vega-Lite, a metrics table,
 * and a profile card per segment. No scripts, no network; prints on A4.
 *
 * @example
 * const html = await buildReport({ data, labels, centroids, k: 4, profiles: profileSegments(data, labels, 4), kSweep });
 */
export async function buildReport(input: BuildReportInput): Promise<string> {
  scheme ??= (await import('vega')).scheme;
  const { ds, title, seed, maxScatterPoints } = check(input);
  const { profiles, k, labels } = input;
  const d = ds.d;
  const centroids = centroidRows(input.centroids, k, ds.names);

  const pca = pca2(ds, { maxPoints: maxScatterPoints, seed });
  const scatterLabels = new Int32Array(pca.rows.length);
  for (let t = 0; t < pca.rows.length; t++) scatterLabels[t] = labels[pca.rows[t]];
  const project = (c: number[], w: number[]) => c.reduce((s, v, j) => s + ((v - pca.mean[j]) / pca.scale[j]) * w[j], 0);
  const pct = (r: number) => `${(r * 100).toFixed(1)}% of variance`;

  const specs = chartSpecs({
    profiles,
    centroids,
    k,
    kSweep: input.kSweep,
    scatter: {
      x: pca.x,
      y: pca.y,
      labels: scatterLabels,
      xTitle: `PC1 (${pct(pca.explainedVarianceRatio[0])})`,
      yTitle: `PC2 (${pct(pca.explainedVarianceRatio[1])})`,
      centroids: centroids.map((c) => ({ x: project(c, pca.components[0]), y: project(c, pca.components[1]) })),
    },
    ...(input.silhouetteSamples ? { silhouette: { samples: input.silhouetteSamples, labels } } : {}),
  });

  const groups: Record<string, string[]> = { overview: [], profiles: [], map: [], quality: [] };
  const metrics = metricsTable(input.metrics);
  if (metrics) groups.overview.push(`<div class="panel">${metrics}</div>`);
  for (const [key, group, wide] of LAYOUT) {
    const spec = specs[key];
    if (!spec) continue;
    const { spec: plot, title: heading, subtitle } = splitTitle(spec);
    // One chart at a time keeps peak memory to a single scenegraph.
    const svg = await renderSvg(plot, { idPrefix: `${key}-` });
    groups[group].push(figure(key, svg, heading, subtitle, wide));
  }
  for (const extra of input.extraCharts ?? []) {
    const { spec: plot, title: heading, subtitle } = splitTitle(extra.spec);
    const svg = await renderSvg(plot, { idPrefix: `${extra.key}-` });
    groups[extra.section].push(figure(extra.key, svg, heading, subtitle, !!extra.wide));
  }
  const sweep = sweepTable(input.kSweep, k);
  if (sweep) groups.quality.push(`<div class="panel">${sweep}</div>`);

  const colors = palette(k);
  const maxAbs = Math.max(1, ...profiles.segments.flatMap((s) => s.z.map((z) => Math.abs(z))));
  const cards = profiles.segments.map((s, i) => card(s, profiles, colors[i], maxAbs)).join('\n') + unassignedCard(input.unassigned, profiles);
  const section = (h: string, items: string[]) => (items.length > 0 ? `<section><h2>${escapeHtml(h)}</h2><div class="grid">${items.join('\n')}</div></section>` : '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="lede">${escapeHtml(ds.n.toLocaleString('en-US'))} customers · ${d} features · ${k} segments${input.unassigned ? ` · ${escapeHtml(input.unassigned.size.toLocaleString('en-US'))} more unassigned (${escapeHtml(fmtPct(input.unassigned.share))}), in no segment` : ''}</p>
${input.recommendation ? `<aside class="callout"><strong>Recommendation</strong><p>${escapeHtml(input.recommendation)}</p></aside>` : ''}
</header>
${section('Overview', groups.overview)}
${section('What sets each segment apart', groups.profiles)}
${section('Segments side by side', groups.map)}
${section('How well the segments separate', groups.quality)}
<section><h2>Segment profiles</h2><div class="cards">${cards}</div></section>
<footer>z: segment mean minus the mean of all customers, in standard deviations of all customers. Charts drawn with Vega-Lite.</footer>
</main>
</body>
</html>
`;
}
