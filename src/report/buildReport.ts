import { SegkitError, badOption, describe } from '../util/errors.js';
import { toDataset, type Dataset } from '../data/dataset.js';
import type { SegmentProfiles, SegmentProfile } from '../explain/profileSegments.js';
import { capitalise, featureWords, noCustomers, onlyId } from '../explain/nameSegment.js';
import { pca2 } from '../explain/pca2.js';
import { segmentRules, type SegmentRules } from '../explain/segmentRules.js';
import { segmentComposition } from '../explain/segmentComposition.js';
import { describeSegment, featureLabel, personaNames, shortLabels } from '../explain/personaName.js';
import { conditionText, rulePercent } from '../core/treeEnsemble.js';
import { chartSpecs, SEGMENT_COLOURS_40, shownSegments, type ChartSpecs, type KSweepRow } from './chartSpecs.js';
import { formatShare as fmtPct } from '../util/shareText.js';
import { isolate } from '../util/bidiText.js';
import { importanceSpec, mixSpec, valueSpec } from './explainSpecs.js';
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
  /** Soft segmentations (mixtures): every row's largest membership probability (length n). */
  readonly membership?: Float32Array | Float64Array;
  /** Mixture sweeps over several covariance types: the type chosen. */
  readonly covarianceType?: string;
  /** Seed for the rows sampled into the 2-D scatter. */
  readonly seed?: number;
  /** At most this many rows in the 2-D scatter. */
  readonly maxScatterPoints?: number;
  /** How to find each segment: rules from segmentRules (computed with depth 3 when left out; false: no rules). */
  readonly rules?: SegmentRules | false;
  /** What sets the segments apart (default: the rules tree's importances). */
  readonly importance?: { readonly featureNames: readonly string[]; readonly importances: ArrayLike<number>; readonly method?: 'permutation' | 'impurity' };
  /** A money column per row (e.g. amount): each segment's share of customers against its share of it. */
  readonly value?: { readonly name: string; readonly values: ArrayLike<number> };
  /** Text columns per row (gender, country): each segment's mix. */
  readonly textColumns?: readonly { readonly name: string; readonly values: ArrayLike<string | null> }[];
  /**
   * Columns to audit per row: each segment's mix against all customers, with differences above the threshold flagged
   * (`order`: groups to show first, in that order, as `segmentComposition` takes it).
   */
  readonly audit?: readonly { readonly name: string; readonly values: ArrayLike<string | number | null>; readonly order?: readonly string[] }[];
  /** Flag a group whose share in a segment differs from all customers' by more than this: 0 up to, not including, 1 (default 0.1). */
  readonly auditThreshold?: number;
  /** Short labels for features, by feature name (default: the name in words, shortened without ambiguity). */
  readonly featureLabels?: Readonly<Record<string, string>>;
  /** The segments' own names, by segment id (e.g. labels given as text): shown instead of names made from the profiles. */
  readonly segmentNames?: readonly string[];
  /**
   * Rows no cluster took (noise of a density model), left out of `data` and `labels`: shown as their own
   * "Unassigned" group, never as a segment, and counted in every share (`share`: size / (n + size)). `means` per
   * feature, in the data's units; `value`, the `value` column's total over them.
   */
  readonly unassigned?: { readonly size: number; readonly share: number; readonly means?: readonly number[]; readonly value?: number };
  /** Charts of the algorithm (dendrogram, core and border counts, k-distance plot), placed in a section. */
  readonly extraCharts?: readonly { readonly key: string; readonly spec: TopLevelSpec; readonly section: 'overview' | 'map' | 'quality'; readonly wide?: boolean }[];
}

const DEFAULTS = Object.freeze({ title: 'Customer segments', seed: 0, maxScatterPoints: 2000 });

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: unknown): string {
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
  if (a === 0) return '0';
  const [t, next] = a >= 10 ? [v.toFixed(1), 1000] : a >= 1 ? [v.toFixed(2), 10] : a >= 0.01 ? [v.toFixed(3), 1] : [v.toPrecision(2), 0.01];
  // a value rounding up to the next form's range takes that form: 999.96 is "1,000", not "1000.0"
  return +t >= next ? fmtNumber(+t) : t;
}
/** A z-score to two decimals with its sign; one that reads 0.00 has none (not "−0.00"). */
const fmtZ = (z: number) => {
  const t = Math.abs(z).toFixed(2);
  return `${t === '0.00' ? '' : z > 0 ? '+' : '−'}${t}`;
};

/** The centroids as rows; a segment without customers (`empty[c]`, a mixture's empty component) may have none (NaN): its row is []. */
function centroidRows(centroids: BuildReportInput['centroids'], k: number, names: readonly string[], empty: readonly boolean[] = []): number[][] {
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
    if (empty[c] && row.some((v) => !Number.isFinite(v))) return [];
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
  if (!Number.isSafeInteger(o.seed)) throw badOption('seed', o.seed, 'an integer of at most 2^53 in magnitude');
  if (!Number.isInteger(o.maxScatterPoints) || o.maxScatterPoints < 1) throw badOption('maxScatterPoints', o.maxScatterPoints, 'an integer >= 1');
  if (!Number.isInteger(o.k) || o.k < 1) throw badOption('k', o.k, 'an integer >= 1');
  if (input.recommendation !== undefined && typeof input.recommendation !== 'string') throw badOption('recommendation', input.recommendation, 'a string');
  const names = input.segmentNames;
  if (names !== undefined && (!Array.isArray(names) || names.length !== o.k || [...names].some((x) => typeof x !== 'string'))) {
    throw badOption('segmentNames', names, `an array of ${o.k} names (text), one per segment`);
  }
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
  const u = input.unassigned;
  // counted in every share: a size of "20" would add up as text; the segments' shares are of the n + size customers,
  // so the unassigned share is size / (n + size), and a mean that is no number would show as a dash
  if (u !== undefined && !(u && Number.isSafeInteger(u.size) && u.size >= 0 && Math.abs(u.share - u.size / (ds.n + u.size)) <= 1e-9 && (u.value === undefined || Number.isFinite(u.value))
    && (u.means === undefined || (u.means.length === ds.d && [...u.means].every((m) => Number.isFinite(m)))))) {
    throw badOption('unassigned', u, `{ size: an integer >= 0, share: size / (${ds.n} + size), means: ${ds.d} finite numbers, value: a finite number }`);
  }
  if (input.membership !== undefined && input.membership.length !== ds.n) {
    throw new SegkitError('E_SHAPE_MISMATCH', `membership has ${input.membership.length} entries for ${ds.n} rows`);
  }
  // a NaN falls in no certainty band: its segment's shares would add up to less than 100%
  for (let i = 0; i < (input.membership?.length ?? 0); i++) {
    const p = input.membership![i];
    if (!(p >= 0 && p <= 1)) throw new SegkitError('E_NAN_INPUT', `membership at row ${i} is ${describe(p)}, not a probability in [0, 1]`);
  }
  if (input.silhouetteSamples !== undefined && input.silhouetteSamples.length !== ds.n) {
    throw new SegkitError('E_SHAPE_MISMATCH', `silhouetteSamples has ${input.silhouetteSamples.length} entries for ${ds.n} rows`);
  }
  const perRow = (what: string, values: ArrayLike<unknown> | undefined) => {
    if (values !== undefined && values.length !== ds.n) throw new SegkitError('E_SHAPE_MISMATCH', `${what} has ${values.length} values for ${ds.n} rows`);
  };
  // each malformed option named here, before a section reads it as something else
  const list = (name: string, v: unknown, ok: (x: Record<string, never>) => boolean, expected: string) => {
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => x && ok(x)))) throw badOption(name, v, expected);
  };
  const column = (c: { name?: unknown; values?: { length?: unknown } }) => typeof c.name === 'string' && typeof c.values?.length === 'number';
  list('textColumns', input.textColumns, column, 'an array of { name, values } columns');
  list('audit', input.audit, (c: { name?: unknown; values?: { length?: unknown }; order?: unknown }) => column(c) && (c.order === undefined || (Array.isArray(c.order) && c.order.every((g) => typeof g === 'string'))), 'an array of { name, values, order? } columns');
  // a score not computed may be NaN (shown as a dash); the chart and table read every other value as a number
  const scores = ['inertia', 'silhouette', 'calinskiHarabasz', 'daviesBouldin', 'stability', 'bic', 'aic'] as const;
  list('kSweep', input.kSweep, (r: Partial<Record<string, unknown>>) => Number.isInteger(r.k) && (r.k as number) >= 1 && scores.every((f) => r[f] === undefined || typeof r[f] === 'number'), 'an array of { k: an integer >= 1, inertia, silhouette, ...: numbers } rows');
  list('extraCharts', input.extraCharts, (c) => typeof c.key === 'string' && !!c.spec && typeof c.spec === 'object' && ['overview', 'map', 'quality'].includes(c.section), 'an array of { key, spec, section: "overview", "map" or "quality" }');
  const t = input.auditThreshold;
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && t < 1)) throw badOption('auditThreshold', t, 'a number from 0 up to, not including, 1');
  const r = input.rules;
  // null stands for "not given", as it always did for these two
  if (r != null && r !== false && !(Array.isArray(r.segments) && r.tree)) throw badOption('rules', r, 'the result of segmentRules, or false');
  if (input.value != null && !column(input.value)) throw badOption('value', input.value, 'a { name, values } column');
  if (input.value) {
    perRow(`value "${input.value.name}"`, input.value.values);
    for (let i = 0; i < ds.n; i++) if (!Number.isFinite(input.value.values[i])) throw new SegkitError('E_NAN_INPUT', `value "${input.value.name}" at row ${i} is ${describe(input.value.values[i])}`);
  }
  const imp = input.importance;
  if (imp != null && !(typeof imp === 'object' && Array.isArray(imp.featureNames) && [...imp.featureNames].every((f) => typeof f === 'string') && typeof imp.importances?.length === 'number')) {
    throw badOption('importance', imp, '{ featureNames: names (text), importances: numbers }');
  }
  if (imp) {
    // the chart draws one bar per name: a missing or extra importance would be dropped unseen
    if (imp.featureNames?.length !== imp.importances?.length) throw new SegkitError('E_SHAPE_MISMATCH', `importance has ${imp.featureNames?.length} feature names and ${imp.importances?.length} importances`);
    for (let j = 0; j < imp.importances.length; j++) if (!Number.isFinite(imp.importances[j])) throw new SegkitError('E_NAN_INPUT', `importance of feature "${imp.featureNames[j]}" is ${describe(imp.importances[j])}`);
  }
  for (const c of input.textColumns ?? []) perRow(`text column "${c.name}"`, c.values);
  for (const c of input.audit ?? []) perRow(`audit column "${c.name}"`, c.values);
  for (const [key, v] of Object.entries(input.metrics ?? {})) {
    if (typeof v !== 'number') throw new SegkitError('E_BAD_OPTION', `metric "${key}" is ${describe(v)}, not a number`);
  }
  return { ds, title: o.title, seed: o.seed, maxScatterPoints: o.maxScatterPoints };
}

// vega's colour schemes, loaded with the renderer on the first report rather than when segkit is imported
type Scheme = (typeof import('vega'))['scheme'];
let scheme: Scheme;

function palette(k: number): string[] {
  // as the charts colour them (chartSpecs' colorScale)
  const colors = k <= 20 ? (scheme(k <= 10 ? 'tableau10' : 'tableau20') as string[]) : SEGMENT_COLOURS_40;
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

function sweepTable(rows: readonly KSweepRow[] | undefined, k: number, covarianceType?: string): string {
  if (!rows || rows.length === 0) return '';
  const sorted = [...rows].sort((a, b) => a.k - b.k);
  const has = (f: keyof KSweepRow) => sorted.some((r) => Number.isFinite(r[f]));
  const cols: [keyof KSweepRow, string][] = [
    ['inertia', 'Inertia'],
    ['silhouette', 'Silhouette ↑'],
    ['stability', 'Stability ↑'],
    ['calinskiHarabasz', 'Calinski–Harabasz ↑'],
    ['daviesBouldin', 'Davies–Bouldin ↓'],
    ['bic', 'BIC ↓'],
    ['aic', 'AIC ↓'],
  ];
  const shown = cols.filter(([f]) => has(f));
  // mixtures compared over covariance types get one row per (k, type); the chosen row is the type the report was
  // given, else the best BIC at k (a sweep that never tried k marks no row)
  const types = new Set(sorted.map((r) => r.covarianceType).filter((t) => t !== undefined));
  const best = sorted.filter((r) => r.k === k).reduce<KSweepRow | undefined>((a, b) => (a && (a.bic ?? Infinity) <= (b.bic ?? Infinity) ? a : b), undefined);
  const chosenType = types.size > 1 ? covarianceType ?? best?.covarianceType : undefined;
  const typeHead = types.size > 1 ? '<th scope="col">Covariance</th>' : '';
  const head = `<tr><th scope="col">k</th>${typeHead}${shown.map(([, t]) => `<th scope="col">${escapeHtml(t)}</th>`).join('')}</tr>`;
  const body = sorted
    .map((r) => {
      const chosen = r.k === k && (chosenType === undefined || r.covarianceType === chosenType);
      const cls = chosen ? ' class="chosen"' : '';
      const type = types.size > 1 ? `<td>${escapeHtml(String(r.covarianceType))}</td>` : '';
      return `<tr${cls}><th scope="row">${escapeHtml(String(r.k))}${chosen ? ' <span class="tag">chosen</span>' : ''}</th>${type}${shown
        .map(([f]) => `<td class="num">${escapeHtml(fmtNumber(r[f] as number | undefined))}</td>`)
        .join('')}</tr>`;
    })
    .join('');
  return `<table class="sweep"><caption>Scores by number of segments</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function card(seg: SegmentProfile, profiles: SegmentProfiles, color: string, maxAbs: number, base: string): string {
  const { features, population } = profiles;
  const chips = seg.topFeatures
    .map(
      (f) =>
        `<li class="chip ${f.direction}"><span class="arrow" aria-hidden="true">${f.direction === 'high' ? '▲' : '▼'}</span> ${escapeHtml(isolate(f.name))} <b>${escapeHtml(fmtZ(f.z))}σ</b></li>`,
    )
    .join('');
  // largest share first: an object lists integer-like keys ("10", "555", RFM codes) first, in numeric order
  const mixEntries = seg.rfmMix ? Object.entries(seg.rfmMix).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : [];
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
        `<tr><th scope="row">${escapeHtml(isolate(f))}</th><td class="num">${escapeHtml(fmtNumber(seg.mean[j]))}</td><td class="num">${escapeHtml(fmtNumber(seg.median[j]))}</td><td class="num muted">${escapeHtml(fmtNumber(population.mean[j]))}</td><td class="num z" style="background:${escapeHtml(zTint(seg.z[j], maxAbs))}">${escapeHtml(fmtZ(seg.z[j]))}</td></tr>`,
    )
    .join('');
  return `<article class="card" data-segment="${seg.id}" style="border-top-color:${escapeHtml(color)}">
<header><span class="swatch" style="background:${escapeHtml(color)}"></span><div><h3>${escapeHtml(seg.name)}</h3>
<p class="meta">Segment ${seg.id} · ${escapeHtml(seg.size.toLocaleString('en-US'))} customers · ${escapeHtml(fmtPct(seg.share))}</p></div></header>
${chips ? `<ul class="chips">${chips}</ul>` : '<p class="typical">Close to the population on every feature.</p>'}${mix}
<table class="features"><thead><tr><th scope="col">Feature</th><th scope="col">Mean</th><th scope="col">Median</th><th scope="col">${base}</th><th scope="col">z</th></tr></thead><tbody>${rows}</tbody></table>
</article>`;
}

/** The rows no cluster took: a grey card that says what they are, after the segments, never named like one. */
function unassignedCard(u: BuildReportInput['unassigned'], profiles: SegmentProfiles): string {
  if (!u) return '';
  const rows = u.means
    ? profiles.features.map((f, j) => `<tr><th scope="row">${escapeHtml(isolate(f))}</th><td class="num">${escapeHtml(fmtNumber(u.means![j]))}</td><td class="num muted">${escapeHtml(fmtNumber(profiles.population.mean[j]))}</td></tr>`).join('')
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

/** Where each existing chart goes and whether it spans both columns. */
const LAYOUT: readonly [keyof ChartSpecs, 'overview' | 'profiles' | 'map' | 'quality', boolean][] = [
  ['sizes', 'map', false],
  ['heatmap', 'profiles', true],
  ['parallel', 'profiles', true],
  ['scatter', 'map', true],
  ['silhouette', 'quality', false],
  ['elbow', 'quality', false],
  ['silhouetteByK', 'quality', false],
  ['certainty', 'quality', false],
  ['bicByK', 'quality', false],
];

/** What every section sees: the checked input and what was worked out from it once. */
export interface ReportContext {
  readonly input: BuildReportInput;
  readonly ds: Dataset;
  readonly k: number;
  readonly labels: Int32Array;
  readonly profiles: SegmentProfiles;
  /**
   * The segments holding customers, by index into `profiles.segments`: the ones the report describes. A segment
   * without customers (a file holding some of a model's segments, a mixture's empty component) is only named once.
   */
  readonly shown: readonly number[];
  /** Short persona names and plain descriptions, by segment. */
  readonly names: readonly string[];
  readonly descriptions: readonly string[];
  /** "0: High income, low spend": how charts label segments. */
  readonly chartLabels: readonly string[];
  /** By segment; the segments shown take the charts' colours in order. */
  readonly colors: readonly string[];
  readonly featureLabels: readonly string[];
  readonly rules?: SegmentRules;
  /** Charts of chartSpecs rendered, by the group LAYOUT puts them in. */
  readonly charts: Readonly<Record<string, readonly string[]>>;
  /** Renders a Vega-Lite spec as a report figure. */
  chart(key: string, spec: TopLevelSpec, wide?: boolean): Promise<string>;
}

/** One section of the report: HTML, or '' to leave it out. */
export type ReportSection = (ctx: ReportContext) => string | Promise<string>;

const section = (id: string, h: string, body: string, lede = '') => (body ? `<section id="${id}"><h2>${escapeHtml(h)}</h2>${lede ? `<p class="lede">${lede}</p>` : ''}${body}</section>` : '');

/** What the profiles and mixes compare a segment with: every customer, or with unassigned rows the clustered ones. */
const baseName = (ctx: ReportContext) => (ctx.input.unassigned ? 'Clustered customers' : 'All customers');

/** The first screen: the segments in plain words, names and sizes first, no metric names. */
function overviewSection(ctx: ReportContext): string {
  const { input, ds, profiles, shown } = ctx;
  const value = input.value ? segmentValue(ctx) : undefined;
  const tiles = shown.map((i) => {
    const s = profiles.segments[i];
    return `<article class="tile" data-segment="${s.id}" style="border-top-color:${escapeHtml(ctx.colors[i])}">
<h3 class="persona">${escapeHtml(ctx.names[i])}</h3>
<p class="size"><b>${escapeHtml(s.size.toLocaleString('en-US'))}</b> customers · ${escapeHtml(fmtPct(s.share))}${value && value.total !== 0 ? ` · <b>${escapeHtml(fmtPct(value.share[i]))}</b> of ${escapeHtml(value.name)}` : ''}</p>
<p class="describe">${escapeHtml(ctx.descriptions[i])}</p>
</article>`;
  }).join('\n');
  return `<header class="first">
<h1>${escapeHtml(input.title ?? DEFAULTS.title)}</h1>
<p class="meta">${escapeHtml(ds.n.toLocaleString('en-US'))} customers · ${ds.d} features · ${shown.length} ${shown.length === 1 ? 'segment' : 'segments'}${input.unassigned ? ` · ${escapeHtml(input.unassigned.size.toLocaleString('en-US'))} more unassigned (${escapeHtml(fmtPct(input.unassigned.share))}), in no segment` : ''}</p>
<p class="lede">Each segment is named by what sets it apart; below, how to find its customers${value ? ', what it is worth' : ''} and who they are.</p>
${absentText(ctx)}</header>
<section id="segments" class="tiles">${tiles}</section>`;
}

/** The segments without customers, named once in words ("Segments 3 and 5 have no customers ..."), or ''. */
function absentText(ctx: ReportContext): string {
  // a name that only repeats the id ("segment 3") is not repeated
  const named = (i: number, id: number) => { const name = ctx.input.segmentNames?.[i]; return name && !onlyId(name, id) ? ` (${isolate(name)})` : ''; };
  const absent = ctx.profiles.segments.flatMap((s, i) => (ctx.shown.includes(i) ? [] : [`${s.id}${named(i, s.id)}`]));
  if (absent.length === 0) return '';
  const text = `${capitalise(noCustomers(absent, 'these data'))} and ${absent.length === 1 ? 'is' : 'are'} left out.`;
  return `<p class="meta absent">${escapeHtml(text)}</p>\n`;
}

/** Share of customers and of the value column per segment. */
function segmentValue(ctx: ReportContext): { name: string; share: number[]; total: number } {
  const v = ctx.input.value!;
  const sums = new Array<number>(ctx.k).fill(0);
  let total = 0, size = 0;
  for (let i = 0; i < ctx.labels.length; i++) {
    sums[ctx.labels[i]] += v.values[i];
    total += v.values[i];
    size += Math.abs(v.values[i]);
  }
  total += ctx.input.unassigned?.value ?? 0;
  size += Math.abs(ctx.input.unassigned?.value ?? 0);
  // a total within its sum's rounding error of 0 (0.1 + 0.2 - 0.3 gives 5.6e-17) adds up to 0: shares of it are noise
  if (Math.abs(total) <= (ctx.labels.length + 1) * Number.EPSILON * size) total = 0;
  return { name: isolate(featureWords(v.name)), share: sums.map((x) => (total !== 0 ? x / total : Number.NaN)), total };
}

function rulesSection(ctx: ReportContext): string {
  const r = ctx.rules;
  if (!r) return '';
  const blocks = r.segments.map((s) => {
    const items = s.rules.length
      ? s.rules.map((rule) => `<li><span class="rule">${escapeHtml(conditionText(rule.conditions.map((c) => ({ ...c, feature: ctx.featureLabels[ctx.ds.names.indexOf(c.feature)] ?? isolate(c.feature) }))))}</span> <span class="muted">${escapeHtml(`${rulePercent(rule.confidence)}% of ${Math.round(rule.count).toLocaleString('en-US')} ${Math.round(rule.count) === 1 ? 'customer is' : 'customers are'} in this segment`)}</span></li>`).join('')
      : '<li class="muted">No rule of this depth picks them out; they sit between the other segments.</li>';
    const i = s.segment;
    return `<article class="find" data-segment="${i}" style="border-left-color:${escapeHtml(ctx.colors[i])}"><h3>${escapeHtml(ctx.names[i])}</h3><ul>${items}</ul>
<p class="muted">These rules find ${escapeHtml(fmtPct(s.recall))} of the segment; ${escapeHtml(fmtPct(s.precision))} of the customers they pick belong to it.</p></article>`;
  }).join('\n');
  const sql = `<details><summary>The same rules as SQL, for a warehouse or CRM</summary><pre>${escapeHtml(r.tree.toSQL({ table: 'customers' }))}</pre></details>`;
  return section('find', 'How to find them', `<div class="finds">${blocks}</div>${sql}`,
    escapeHtml(`Simple thresholds on the customers' own figures. Together they put ${fmtPct(r.fidelity)} of customers in their own segment.`));
}

async function valueSection(ctx: ReportContext): Promise<string> {
  if (!ctx.input.value) return '';
  const v = segmentValue(ctx);
  const { shown } = ctx;
  const fig = await ctx.chart('value', valueSpec(shown.map((i) => ctx.chartLabels[i]), shown.map((i) => ctx.profiles.segments[i].share), shown.map((i) => v.share[i]), v.name), true);
  const best = shown.map((i) => ({ i, ratio: ctx.profiles.segments[i].share > 0 ? v.share[i] / ctx.profiles.segments[i].share : 0 })).sort((a, b) => b.ratio - a.ratio)[0];
  // a total of 0 (refunds that cancel sales, no sales yet) gives no segment a share of it: none reads 0%
  const lede = v.total === 0 ? `${capitalise(v.name)} adds up to 0 over all customers: no segment has a share of it.`
    : `${ctx.names[best.i]}: ${fmtPct(ctx.profiles.segments[best.i].share)} of customers bring ${fmtPct(v.share[best.i])} of ${v.name}.`;
  return section('value', 'What they are worth', `<div class="grid">${fig}</div>`, escapeHtml(lede));
}

async function mixSection(ctx: ReportContext): Promise<string> {
  const figs: string[] = [];
  for (const col of ctx.input.textColumns ?? []) {
    const c = segmentComposition(ctx.labels, col.values);
    const rows = [
      ...c.overall.map((o) => ({ segment: baseName(ctx), group: isolate(o.group), share: o.share })),
      ...c.segments.flatMap((s) => s.groups.map((g) => ({ segment: ctx.chartLabels[s.segment], group: isolate(g.group), share: g.share }))),
    ];
    figs.push(await ctx.chart(`mix-${col.name}`, mixSpec(rows, [baseName(ctx), ...ctx.shown.map((i) => ctx.chartLabels[i])], isolate(featureWords(col.name))), true));
  }
  return section('mix', 'Who they are', figs.length ? `<div class="grid">${figs.join('\n')}</div>` : '');
}

async function driversSection(ctx: ReportContext): Promise<string> {
  const imp = ctx.input.importance ?? (ctx.rules ? { featureNames: ctx.ds.names, importances: ctx.rules.tree.featureImportances, method: 'impurity' as const } : undefined);
  const items: string[] = [];
  if (imp) {
    const labels = imp.featureNames.map((f) => ctx.featureLabels[ctx.ds.names.indexOf(f)] ?? isolate(featureWords(f)));
    const sub = imp.method === 'permutation'
      ? 'Share of customers whose segment changes when the measure is shuffled among them'
      : 'How much each measure does to tell the segments apart in the rules';
    items.push(await ctx.chart('importance', importanceSpec(labels, imp.importances, sub), true));
  }
  items.push(...(ctx.charts.profiles ?? []));
  return section('drivers', 'What sets them apart', items.length ? `<div class="grid">${items.join('\n')}</div>` : '');
}

function compositionSection(ctx: ReportContext): string {
  const audits = ctx.input.audit ?? [];
  if (audits.length === 0) return '';
  const threshold = ctx.input.auditThreshold ?? 0.1;
  const base = baseName(ctx).toLowerCase();
  const blocks = audits.map((a) => {
    const c = segmentComposition(ctx.labels, a.values, { threshold, order: a.order });
    const head = `<tr><th scope="col">Segment</th>${c.overall.map((o) => `<th scope="col">${escapeHtml(isolate(o.group))}</th>`).join('')}</tr>`;
    const all = `<tr class="base"><th scope="row">${baseName(ctx)}</th>${c.overall.map((o) => `<td class="num">${escapeHtml(fmtPct(o.share))}</td>`).join('')}</tr>`;
    const body = c.segments.map((s) => `<tr><th scope="row">${escapeHtml(ctx.names[s.segment])}</th>${s.groups.map((g) => `<td class="num${g.flagged ? ' flag' : ''}"${g.flagged ? ` title="${escapeHtml(`${fmtPct(g.difference)} against ${base}`)}"` : ''}>${escapeHtml(fmtPct(g.share))}${g.flagged ? ' ⚑' : ''}</td>`).join('')}</tr>`).join('');
    const words = c.flagged.length
      ? `<ul class="flags">${c.flagged.map((g) => `<li>${escapeHtml(`${ctx.names[g.segment]}: ${isolate(g.group)} ${fmtPct(g.share)} against ${fmtPct(g.overallShare)} of ${base}`)}</li>`).join('')}</ul>`
      : `<p class="muted">${escapeHtml(`No segment's mix differs from ${base} by more than ${fmtPct(threshold)}.`)}</p>`;
    return `<div class="panel audit" data-audit="${escapeHtml(a.name)}"><table class="composition"><caption>${escapeHtml(`By ${isolate(featureWords(a.name))}`)}</caption><thead>${head}</thead><tbody>${all}${body}</tbody></table>${words}</div>`;
  }).join('\n');
  return section('composition', 'Fairness check', `<div class="grid">${blocks}</div>`,
    escapeHtml(`Each segment's mix against ${base}; ⚑ marks a share that differs by more than ${fmtPct(threshold)} (${+(threshold * 100).toPrecision(10)} percentage points).`));
}

function mapSection(ctx: ReportContext): string {
  const items = [...(ctx.charts.overview ?? []), ...(ctx.charts.map ?? [])];
  return section('map', 'Segments side by side', items.length ? `<div class="grid">${items.join('\n')}</div>` : '');
}

function detailsSection(ctx: ReportContext): string {
  const segments = ctx.shown.map((i) => ctx.profiles.segments[i]);
  const maxAbs = Math.max(1, ...segments.flatMap((s) => s.z.map((z) => Math.abs(z))));
  // the segments' own names, when given, head their cards as everywhere else
  const cards = ctx.shown.map((i) => card({ ...ctx.profiles.segments[i], name: ctx.input.segmentNames ? ctx.names[i] : isolate(ctx.profiles.segments[i].name) }, ctx.profiles, ctx.colors[i], maxAbs, baseName(ctx))).join('\n') + unassignedCard(ctx.input.unassigned, ctx.profiles);
  return `<section id="details"><h2>Segment details</h2><div class="cards">${cards}</div></section>`;
}

function qualitySection(ctx: ReportContext): string {
  const items: string[] = [];
  const metrics = metricsTable(ctx.input.metrics);
  if (metrics) items.push(`<div class="panel">${metrics}</div>`);
  items.push(...(ctx.charts.quality ?? []));
  const sweep = sweepTable(ctx.input.kSweep, ctx.k, ctx.input.covarianceType);
  if (sweep) items.push(`<div class="panel">${sweep}</div>`);
  const rec = ctx.input.recommendation ? `<aside class="callout"><strong>Why ${ctx.k} segments</strong><p>${escapeHtml(ctx.input.recommendation)}</p></aside>` : '';
  if (items.length === 0 && !rec) return '';
  return `<section id="quality"><h2>How well the segments separate</h2>${rec}<div class="grid">${items.join('\n')}</div></section>`;
}

const GLOSSARY: readonly [string, string][] = [
  ['Silhouette', 'For each customer, how much closer it is to its own segment than to the next one, from −1 to 1; the report shows the average. Above 0.5 the segments are clearly apart, below 0.25 they blur.'],
  ['Calinski–Harabasz', 'Spread between segments against spread within them; higher is better, useful to compare numbers of segments on the same data.'],
  ['Davies–Bouldin', 'How much each segment overlaps its most similar neighbour; lower is better, 0 is perfect.'],
  ['Stability', 'How alike the segments come out when k-means is refitted on random 80% subsets of the customers (mean adjusted Rand index, 1 = the same every time); choosing k weighs it with the silhouette.'],
  ['Inertia', 'Sum of squared distances from customers to their segment centre; it always falls as segments are added, so look for the bend (the elbow).'],
  ['z (standard deviations)', 'How far a segment’s average is from all customers’ average, in standard deviations of all customers: ±1 is a large difference.'],
  ['Principal components (PC1, PC2)', 'The two directions along which customers differ most, used to draw every customer on one page.'],
  ['Rule fidelity', 'Share of customers that the simple rules put in their own segment.'],
  ['Importance', 'How much a measure matters to which segment a customer is in.'],
];

function glossarySection(): string {
  return `<section id="glossary"><h2>Glossary</h2><dl class="glossary">${GLOSSARY.map(([t, d]) => `<dt>${escapeHtml(t)}</dt><dd>${escapeHtml(d)}</dd>`).join('')}</dl></section>`;
}

/**
 * The report's sections, in order. Another chart or panel is a function here: it gets the context (data, labels,
 * profiles, names, colours, a chart renderer) and returns HTML, or '' to be left out.
 */
export const REPORT_SECTIONS: readonly ReportSection[] = [
  overviewSection,
  rulesSection,
  valueSection,
  mixSection,
  driversSection,
  compositionSection,
  mapSection,
  detailsSection,
  qualitySection,
  glossarySection,
];

const MORE_CSS = `
header.first{margin-bottom:14px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px;margin-top:10px}
.tile{background:#fff;border-radius:8px;border-top:5px solid #999;padding:10px 14px;box-shadow:0 1px 2px rgba(31,41,51,.08)}
.tile .persona{font-size:17px}
.tile .size{margin:4px 0 4px;font-size:14px}
.tile .describe{margin:0;color:#3e4c59;font-size:12.5px;line-height:1.4}
.finds{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.find{background:#fff;border-radius:6px;border-left:5px solid #999;padding:10px 14px;box-shadow:0 1px 2px rgba(31,41,51,.08)}
.find ul{margin:6px 0;padding-left:18px}
.find .rule{font-weight:600}
.muted{color:#616e7c;font-size:12.5px}
details{margin-top:12px}
details pre{white-space:pre-wrap;word-break:break-word;background:#fff;padding:10px;border-radius:6px;font-size:11px;max-height:240px;overflow:auto}
.composition td.flag{background:#fde8e4;font-weight:600}
.composition tr.base{background:#f3f5f7}
.flags{margin:8px 0 0;padding-left:18px;font-size:13px}
.glossary dt{font-weight:600;margin-top:8px}
.glossary dd{margin:2px 0 0 0;color:#3e4c59}
@media print{.tiles{grid-template-columns:1fr 1fr}.finds{grid-template-columns:1fr}}
`;

/**
 * One self-contained HTML report for the people who act on a segmentation: first the segments in plain words
 * (short persona names, sizes, a description), then how to find them (rules), what they are worth, who they are
 * (the mix of text columns), what sets them apart, a fairness check of audited columns, the charts, and last the
 * quality metrics with a glossary. Inline SVG charts drawn by Vega-Lite; no scripts, no network; prints on A4. A
 * segment without customers (labels holding some of a model's segments) is named once at the top, never described.
 *
 * @example
 * const html = await buildReport({ data, labels, centroids, k: 4, profiles: profileSegments(data, labels, 4), value: { name: 'amount', values } });
 */
export async function buildReport(input: BuildReportInput): Promise<string> {
  scheme ??= (await import('vega')).scheme;
  const { ds, title, seed, maxScatterPoints } = check(input);
  const { k, labels } = input;
  // shares are of every customer, the unassigned ones too, as the segment summaries count them
  const everyone = ds.n + (input.unassigned?.size ?? 0);
  const profiles = input.unassigned ? { ...input.profiles, segments: input.profiles.segments.map((s) => ({ ...s, share: s.size / everyone })) } : input.profiles;
  // drawn only for segments holding customers
  const centroids = centroidRows(input.centroids, k, ds.names, profiles.segments.map((seg) => seg.size === 0));

  const pca = pca2(ds, { maxPoints: maxScatterPoints, seed });
  const scatterLabels = new Int32Array(pca.rows.length);
  for (let t = 0; t < pca.rows.length; t++) scatterLabels[t] = labels[pca.rows[t]];
  const project = (c: number[], w: number[]) => c.reduce((s, v, j) => s + ((v - pca.mean[j]) / pca.scale[j]) * w[j], 0);
  // a share of variance above 0 never reads 0.0%, nor one below all of it 100.0%
  const pct = (r: number) => `${fmtPct(r)} of variance`;

  const featureLabels = shortLabels(ds.names, input.featureLabels).map(isolate);
  const names = (input.segmentNames ? [...input.segmentNames] : personaNames(profiles, { featureLabels: input.featureLabels })).map(isolate);
  // charts name segments by their short names and features in full words: nothing to cut. Two features that read
  // the same (total_spend, totalSpend) keep their column names, or the charts would draw them in one column
  const words = ds.names.map((f) => isolate(featureLabel(input.featureLabels, f)));
  const charted: SegmentProfiles = {
    ...profiles,
    features: words.map((w, j) => (words.indexOf(w) === words.lastIndexOf(w) ? w : isolate(ds.names[j]))),
    segments: profiles.segments.map((s, i) => ({ ...s, name: names[i] })),
  };
  const specs = chartSpecs({
    profiles: charted,
    centroids,
    k,
    kSweep: input.kSweep,
    scatter: {
      x: pca.x,
      y: pca.y,
      labels: scatterLabels,
      xTitle: `PC1 (${pct(pca.explainedVarianceRatio[0])})`,
      yTitle: `PC2 (${pct(pca.explainedVarianceRatio[1])})`,
      centroids: centroids.map((c) => (c.length === 0 ? { x: Number.NaN, y: Number.NaN } : { x: project(c, pca.components[0]), y: project(c, pca.components[1]) })),
    },
    ...(input.silhouetteSamples ? { silhouette: { samples: input.silhouetteSamples, labels } } : {}),
    ...(input.membership ? { certainty: { maxProba: input.membership, labels } } : {}),
    ...(input.covarianceType ? { covarianceType: input.covarianceType } : {}),
  });
  const chart = async (key: string, spec: TopLevelSpec, wide = false) => {
    const { spec: plot, title: heading, subtitle } = splitTitle(spec);
    // One chart at a time keeps peak memory to a single scenegraph.
    const svg = await renderSvg(plot, { idPrefix: `${key.replace(/[^\w-]/g, '_')}-` });
    return figure(key, svg, heading, subtitle, wide);
  };
  const charts: Record<string, string[]> = { overview: [], profiles: [], map: [], quality: [] };
  for (const [key, group, wide] of LAYOUT) {
    const spec = specs[key];
    if (spec) charts[group].push(await chart(key, spec, wide));
  }
  for (const extra of input.extraCharts ?? []) charts[extra.section].push(await chart(extra.key, extra.spec, !!extra.wide));
  // a depth-3 tree is quick on one thread, and a report never starts workers of its own
  // rules tell segments apart, learnt from their customers: with one segment (a density model finding one dense
  // group) there is nothing to tell, with one customer per segment nothing to learn from
  const present = new Set(labels).size;
  const rules = input.rules === false || (input.rules === undefined && (present < 2 || present >= ds.n)) ? undefined : input.rules ?? (await segmentRules(ds, labels, { maxDepth: 3, threads: 1 }));
  // the segments holding customers, coloured in order as the charts colour them
  const shown = shownSegments(profiles);
  const colors = new Array<string>(k).fill('#999');
  palette(shown.length).forEach((c, t) => (colors[shown[t]] = c));
  // each feature's words isolated where they hold right-to-left text, so the numbers after them read in order
  const described = Object.fromEntries(profiles.features.map((f) => [f, isolate(featureLabel(input.featureLabels, f))]));
  const ctx: ReportContext = {
    input, ds, k, labels, profiles, shown, names,
    descriptions: profiles.segments.map((_, i) => describeSegment(profiles, i, { maxFeatures: 3, featureLabels: described, ...(input.unassigned ? { population: 'clustered customers' } : {}) })),
    chartLabels: names.map((n, i) => `${profiles.segments[i].id}: ${n}`),
    colors, featureLabels, rules, charts, chart,
  };
  const body: string[] = [];
  for (const s of REPORT_SECTIONS) body.push(await s(ctx));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}${MORE_CSS}</style>
</head>
<body>
<main>
${body.filter(Boolean).join('\n')}
<footer>Charts drawn with Vega-Lite.</footer>
</main>
</body>
</html>
`;
}
