import type { TopLevelSpec } from 'vega-lite';
import { SegkitError, badOption } from '../util/errors.js';
import { formatShare } from '../util/shareText.js';
import type { SegmentProfiles } from '../explain/profileSegments.js';
import { wrapLabel } from './explainSpecs.js';
import { SEGMENT_COLOURS_40 } from './colours.js';

/** One row of a k sweep: the scores of the best fit at each k. */
export interface KSweepRow {
  readonly k: number;
  readonly inertia: number;
  readonly silhouette?: number;
  readonly calinskiHarabasz?: number;
  readonly daviesBouldin?: number;
  /** k-means sweeps: the stability the recommendation weighs (mean adjusted Rand index of resampled fits). */
  readonly stability?: number;
  /** Mixtures: Bayesian and Akaike information criteria (lower is better), and the covariance type of the row. */
  readonly bic?: number;
  readonly aic?: number;
  readonly covarianceType?: string;
}

export interface ChartSpecsInput {
  readonly profiles: SegmentProfiles;
  /** k x d centroids in the same units as the profiled data ([] for a segment without customers: none drawn). */
  readonly centroids?: readonly (readonly number[])[];
  /** Projected points (e.g. from pca2) and their segment labels; `centroids` are drawn as larger diamonds. */
  readonly scatter?: {
    readonly x: ArrayLike<number>;
    readonly y: ArrayLike<number>;
    readonly labels: ArrayLike<number>;
    readonly xTitle?: string;
    readonly yTitle?: string;
    readonly centroids?: readonly { readonly x: number; readonly y: number }[];
  };
  readonly kSweep?: readonly KSweepRow[];
  /** The k chosen, marked on the k-sweep charts. */
  readonly k?: number;
  /** Silhouette coefficient of every row, with the rows' labels. */
  readonly silhouette?: { readonly samples: ArrayLike<number>; readonly labels: ArrayLike<number> };
  /** Keep at most this many points per segment in the silhouette plot (exact quantiles of the sorted values). */
  readonly silhouettePointsPerSegment?: number;
  /** Soft segmentations: each row's largest membership probability, with the rows' labels. */
  readonly certainty?: { readonly maxProba: ArrayLike<number>; readonly labels: ArrayLike<number> };
  /** Mixture sweeps over several covariance types: the one chosen (its rows draw the elbow and silhouette curves). */
  readonly covarianceType?: string;
}

export interface ChartSpecs {
  readonly sizes: TopLevelSpec;
  readonly heatmap: TopLevelSpec;
  readonly parallel?: TopLevelSpec;
  readonly scatter?: TopLevelSpec;
  readonly silhouette?: TopLevelSpec;
  readonly elbow?: TopLevelSpec;
  readonly silhouetteByK?: TopLevelSpec;
  readonly certainty?: TopLevelSpec;
  readonly bicByK?: TopLevelSpec;
}

/** Target SVG widths: a full-width chart and one of two side by side in the report. */
export const CHART_WIDTH = Object.freeze({ full: 900, half: 440 });
const FULL = CHART_WIDTH.full;
const HALF = CHART_WIDTH.half;
// Vega sizes text without a canvas as 0.8 x font size per character; layout below budgets with that estimate.
const CHAR_W = 0.8 * 11;
const FONT = 'Helvetica Neue, Helvetica, Arial, sans-serif';
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const CONFIG = Object.freeze({
  font: FONT,
  background: 'white',
  padding: 6,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, labelColor: '#333', titleColor: '#222', gridColor: '#eceff3', domainColor: '#9aa3ad', tickColor: '#9aa3ad' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 600, symbolSize: 90, labelColor: '#333', titleColor: '#222' },
  title: { fontSize: 14, fontWeight: 600, anchor: 'start', color: '#1f2933', subtitleColor: '#52606d', offset: 10 },
});

/** "0: High spend, frequent, recent buyers": the id keeps the label joinable with the label column. */
function segmentLabel(id: number, name: string): string {
  return `${id}: ${name}`;
}

/** wrapLabel at `width`, the lines past `maxLines` joined onto the last one. */
function wrap(text: string, width: number, maxLines: number): string[] {
  const lines = wrapLabel(text, width);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${kept[maxLines - 1]} ${lines.slice(maxLines).join(' ')}`;
  return kept;
}

const LINE_HEIGHT = 14;

/**
 * Multi-line text marks, one layer per line count: vega anchors the first line of a block at the mark's y,
 * so each layer shifts its block by a constant (`shift(lines)`) to centre it or sit it on a baseline.
 */
function textBlockLayers(
  rows: readonly { segment: string; text: string; lines: number }[],
  mark: Record<string, unknown>,
  encoding: Record<string, unknown>,
  shift: (lines: number) => number,
) {
  const counts = [...new Set(rows.map((r) => r.lines))].sort((a, b) => a - b);
  return counts.map((lines) => ({
    data: { values: rows.filter((r) => r.lines === lines) },
    mark: { type: 'text', lineBreak: '\n', lineHeight: LINE_HEIGHT, ...mark, dy: shift(lines) },
    encoding: { text: { field: 'text', type: 'nominal' }, ...encoding },
  }));
}

function wrappedRows(labels: readonly string[], width: number, maxLines: number) {
  return labels.map((segment) => {
    const lines = wrap(segment, width, maxLines);
    return { segment, text: lines.join('\n'), lines: lines.length };
  });
}

const minus = (s: string) => s.replace(/^-/, '−');
const fmt1 = (v: number) => (Number.isFinite(v) ? minus((Math.round(v * 10) / 10).toFixed(1).replace(/^-0\.0$/, '0.0')) : '–');
/** A share in percent to one decimal; a share above 0 never reads 0.0%, nor one below 1 100.0% (<0.1%, >99.9%). */
export const fmtPct = formatShare;
const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');

export { SEGMENT_COLOURS_40 } from './colours.js';

function colorScale(labels: readonly string[]) {
  const n = labels.length;
  return n <= 20 ? { domain: [...labels], scheme: n <= 10 ? 'tableau10' : 'tableau20' } : { domain: [...labels], range: [...SEGMENT_COLOURS_40] };
}

/** A bottom legend whose columns fit the chart: one column when labels are long. */
function segmentLegend(labels: readonly string[], width: number) {
  const longest = Math.max(...labels.map((l) => l.length)) * CHAR_W + 30;
  const columns = Math.max(1, Math.min(3, Math.floor(width / Math.min(longest, width))));
  return { orient: 'bottom', direction: 'vertical', columns, labelLimit: 0, title: null };
}

function sizesSpec(profiles: SegmentProfiles, labels: string[]): TopLevelSpec {
  const maxSize = Math.max(1, ...profiles.segments.map((s) => s.size));
  const values = profiles.segments.map((s, i) => ({
    segment: labels[i],
    size: s.size,
    caption: `${fmtInt(s.size)} · ${fmtPct(s.share)}`,
  }));
  const width = HALF - 12;
  const names = wrappedRows(labels, Math.floor(width / (0.8 * 12)), 3);
  const extraLines = Math.max(...names.map((r) => r.lines)) - 1;
  const y = { field: 'segment', type: 'nominal', sort: labels, axis: null } as const;
  // Names sit above their bars, so they are never cut to fit an axis; the x domain leaves room for the captions.
  const x = { field: 'size', type: 'quantitative', scale: { domain: [0, maxSize * 1.3] }, axis: null } as const;
  const barOffset = 9 + (extraLines * LINE_HEIGHT) / 2;
  return {
    $schema: SCHEMA,
    description: 'Number of customers in each segment',
    title: { text: 'Segment sizes', subtitle: 'Customers per segment and share of all customers' },
    width,
    height: { step: 44 + extraLines * LINE_HEIGHT },
    data: { values },
    encoding: { y },
    layer: [
      {
        mark: { type: 'bar', height: 16, yOffset: barOffset, cornerRadiusEnd: 3 },
        encoding: { x, color: { field: 'segment', type: 'nominal', scale: colorScale(labels), legend: null } },
      },
      {
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 5, yOffset: barOffset, color: '#333', fontSize: 11 },
        encoding: { x, text: { field: 'caption', type: 'nominal' } },
      },
      ...textBlockLayers(
        names,
        { align: 'left', baseline: 'bottom', x: 0, yOffset: barOffset - 9, color: '#1f2933', fontSize: 12, fontWeight: 600 },
        { y },
        (lines) => -(lines - 1) * LINE_HEIGHT,
      ),
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

function heatmapSpec(profiles: SegmentProfiles, labels: string[]): TopLevelSpec {
  const features = profiles.features;
  let maxAbs = 0;
  const values = profiles.segments.flatMap((s, i) =>
    features.map((f, j) => {
      maxAbs = Math.max(maxAbs, Math.abs(s.z[j]));
      return { segment: labels[i], feature: f, z: s.z[j], zText: fmt1(s.z[j]) };
    }),
  );
  // A symmetric domain so white always means "as the population"; at least +-1 so noise does not look saturated.
  const m = Math.max(1, Math.ceil(maxAbs * 2) / 2);
  const labelWidth = 300;
  const legendWidth = 70;
  const step = Math.max(26, Math.min(80, Math.floor((FULL - labelWidth - legendWidth) / Math.max(1, features.length))));
  const lineChars = Math.floor((labelWidth - 12) / CHAR_W);
  const longest = Math.max(...features.map((f) => f.length)) * CHAR_W;
  const flat = longest <= step - 6;
  const y = { field: 'segment', type: 'nominal', sort: labels, title: null, axis: null } as const;
  const x = {
    field: 'feature',
    type: 'nominal',
    sort: [...features],
    title: null,
    axis: { labelAngle: flat ? 0 : -35, labelLimit: 0, orient: 'top', domain: false, ticks: false, labelPadding: 6 },
  } as const;
  return {
    $schema: SCHEMA,
    description: 'How far each segment mean is from the population mean, in standard deviations',
    title: { text: 'Segment profiles', subtitle: 'Segment mean vs all customers, in standard deviations (z). Orange: above average; blue: below.' },
    width: step * features.length,
    height: { step: 46 },
    layer: [
      {
        data: { values },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1.5 },
        encoding: {
          x,
          y,
          color: {
            field: 'z',
            type: 'quantitative',
            title: 'z',
            scale: { scheme: 'blueorange', domain: [-m, m], domainMid: 0, clamp: true },
            legend: { orient: 'right', gradientLength: 120, direction: 'vertical' },
          },
        },
      },
      {
        data: { values },
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          x,
          y,
          text: { field: 'zText', type: 'nominal' },
          color: { condition: { test: `abs(datum.z) > ${0.55 * m}`, value: 'white' }, value: '#1f2933' },
        },
      },
      // Row names as centred text blocks left of the cells: wrapped, never cut.
      ...textBlockLayers(
        wrappedRows(labels, lineChars, 3),
        { align: 'right', baseline: 'middle', x: -10, color: '#1f2933', fontSize: 11 },
        { y },
        (lines) => (-(lines - 1) * LINE_HEIGHT) / 2,
      ),
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

function parallelSpec(profiles: SegmentProfiles, centroids: readonly (readonly number[])[], labels: string[]): TopLevelSpec {
  const { mean, std } = profiles.population;
  const features = profiles.features;
  const values = centroids.flatMap((c, i) =>
    c.length === 0 ? [] : features.map((f, j) => ({ segment: labels[i], feature: f, value: std[j] > 0 ? (c[j] - mean[j]) / std[j] : 0 })),
  );
  const legend = segmentLegend(labels, FULL - 40);
  const slot = Math.floor((FULL - 70) / Math.max(1, features.length)) - 8;
  const flat = Math.max(...features.map((f) => f.length)) * CHAR_W <= slot;
  return {
    $schema: SCHEMA,
    description: 'Segment centroids on standardised features',
    title: { text: 'Segment centres, standardised', subtitle: 'One line per segment centre, in standard deviations; 0 is the average customer' },
    width: FULL - 70,
    height: 300,
    data: { values },
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9aa3ad', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } },
      {
        mark: { type: 'line', strokeWidth: 2.2, point: { filled: true, size: 46 } },
        encoding: {
          x: { field: 'feature', type: 'nominal', sort: [...features], title: null, scale: { padding: 0.3 }, axis: { labelAngle: flat ? 0 : -35, labelLimit: 0, grid: true } },
          y: { field: 'value', type: 'quantitative', title: 'Centre (z)' },
          color: { field: 'segment', type: 'nominal', scale: colorScale(labels), legend },
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

function scatterSpec(input: NonNullable<ChartSpecsInput['scatter']>, named: string[], keep: number[], labels: string[]): TopLevelSpec {
  const { x, y } = input;
  const m = x.length;
  if (y.length !== m || input.labels.length !== m) {
    throw new SegkitError('E_SHAPE_MISMATCH', `scatter has ${m} x values, ${y.length} y values and ${input.labels.length} labels`);
  }
  const points = new Array(m);
  for (let i = 0; i < m; i++) {
    const l = input.labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= named.length) throw new SegkitError('E_BAD_LABELS', `scatter point ${i} has label ${l}; labels must be integers in [0, ${named.length})`);
    // a point at NaN or null would be left out of the chart without a word
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new SegkitError('E_NAN_INPUT', `scatter point ${i} is at (${x[i]}, ${y[i]}); coordinates must be finite numbers`);
    // Five significant digits are far below a pixel and keep the inline data small.
    points[i] = { x: +x[i].toPrecision(5), y: +y[i].toPrecision(5), segment: named[l] };
  }
  // a segment without customers has no centre to draw
  if (input.centroids !== undefined && !Array.isArray(input.centroids)) throw badOption('scatter.centroids', input.centroids, 'an array of { x, y }');
  const centres = (input.centroids ?? []).flatMap((c, i) => (Number.isFinite(c?.x) && Number.isFinite(c.y) && keep.includes(i) ? [{ x: c.x, y: c.y, segment: named[i] }] : []));
  const color = { field: 'segment', type: 'nominal', scale: colorScale(labels), legend: segmentLegend(labels, FULL - 40) };
  return {
    $schema: SCHEMA,
    description: 'Customers projected on the first two principal components, coloured by segment',
    title: {
      text: 'Segments in two dimensions',
      subtitle: `${fmtInt(m)} customers on the first two principal components${centres.length > 0 ? '; diamonds mark segment centres' : ''}`,
    },
    width: FULL - 70,
    height: 420,
    layer: [
      {
        data: { values: points },
        mark: { type: 'circle', size: 18, opacity: 0.55 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: input.xTitle ?? 'PC1', scale: { zero: false, nice: true } },
          y: { field: 'y', type: 'quantitative', title: input.yTitle ?? 'PC2', scale: { zero: false, nice: true } },
          color,
        },
      },
      ...(centres.length > 0
        ? [
            {
              data: { values: centres },
              mark: { type: 'point', shape: 'diamond', filled: true, size: 220, stroke: '#1f2933', strokeWidth: 1.5, opacity: 1 },
              encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color },
            },
          ]
        : []),
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

function silhouetteSpec(input: NonNullable<ChartSpecsInput['silhouette']>, named: string[], ids: number[], labels: string[], perSegment: number): TopLevelSpec {
  const { samples } = input;
  const n = samples.length;
  if (input.labels.length !== n) {
    throw new SegkitError('E_SHAPE_MISMATCH', `silhouette has ${n} samples and ${input.labels.length} labels`);
  }
  const k = named.length;
  const groups: number[][] = Array.from({ length: k }, () => []);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i];
    if (!Number.isFinite(s) || s < -1 || s > 1) throw new SegkitError('E_BAD_OPTION', `silhouette sample ${i} is ${s}, not a number in [-1, 1]`);
    const l = input.labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k) throw new SegkitError('E_BAD_LABELS', `row ${i} has label ${l}; labels must be integers in [0, ${k})`);
    groups[l].push(s);
    total += s;
  }
  // Bands stacked bottom-up in segment order with a 2% gap, as scikit-learn's silhouette analysis example.
  const gap = Math.max(1, Math.round(n * 0.02));
  const rows: { segment: string; y: number; s: number }[] = [];
  const marks: { segment: string; y: number; text: string }[] = [];
  let yLower = gap;
  for (let c = 0; c < k; c++) {
    const g = groups[c].sort((a, b) => a - b);
    const m = g.length;
    if (m === 0) continue;
    const q = Math.min(m, perSegment);
    // Exact order statistics at evenly spaced ranks keep the band's shape with a bounded number of vertices.
    for (let t = 0; t < q; t++) {
      const r = q === 1 ? 0 : Math.round((t * (m - 1)) / (q - 1));
      rows.push({ segment: named[c], y: yLower + r, s: g[r] });
    }
    rows.push({ segment: named[c], y: yLower + m, s: g[m - 1] });
    marks.push({ segment: named[c], y: yLower + m / 2, text: String(ids[c]) });
    yLower += m + gap;
  }
  // a mean within 0.0005 below zero reads 0.000, never -0.000
  const mean = total / n;
  const minS = rows.reduce((a, r) => Math.min(a, r.s), 0);
  const xDomain = [Math.min(-0.1, Math.floor(minS * 10) / 10), 1];
  return {
    $schema: SCHEMA,
    description: 'Silhouette coefficient of every customer, sorted within each segment',
    title: { text: 'Silhouette by segment', subtitle: `Customers sorted by silhouette within each segment; dashed: mean ${mean.toFixed(3).replace(/^-(0\.0+)$/, '$1')}` },
    width: HALF - 40,
    height: 300,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'area', orient: 'horizontal', opacity: 0.9, interpolate: 'step-after' },
        encoding: {
          y: { field: 'y', type: 'quantitative', axis: null, scale: { domain: [0, yLower] } },
          x: { field: 's', type: 'quantitative', title: 'Silhouette coefficient', scale: { domain: xDomain } },
          x2: { datum: 0 },
          color: { field: 'segment', type: 'nominal', scale: colorScale(labels), legend: null },
        },
      },
      {
        data: { values: marks },
        mark: { type: 'text', align: 'right', dx: -6, fontSize: 11, fontWeight: 600, color: '#1f2933' },
        encoding: { y: { field: 'y', type: 'quantitative' }, x: { datum: 0 }, text: { field: 'text', type: 'nominal' } },
      },
      {
        data: { values: [{ mean }] },
        mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x: { field: 'mean', type: 'quantitative' } },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

function sweepSpec(rows: readonly KSweepRow[], field: 'inertia' | 'silhouette', k: number | undefined): TopLevelSpec {
  const values = rows.filter((r) => Number.isFinite(r[field])).map((r) => ({ k: r.k, value: r[field] as number }));
  const title =
    field === 'inertia'
      ? { text: 'Elbow curve', subtitle: 'Inertia (within-segment sum of squares) by number of segments; look for the bend' }
      : { text: 'Silhouette by number of segments', subtitle: 'Mean silhouette coefficient; higher is better' };
  const ks = values.map((v) => v.k);
  const color = '#3b6ea8';
  const xScale = { domain: [Math.min(...ks), Math.max(...ks)], zero: false, nice: false };
  return {
    $schema: SCHEMA,
    description: title.subtitle,
    title,
    width: HALF - 80,
    height: 220,
    data: { values },
    layer: [
      ...(k !== undefined && ks.includes(k)
        ? [
            { data: { values: [{}] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 4] }, encoding: { x: { datum: k, type: 'quantitative', scale: xScale } } },
            {
              data: { values: [{}] },
              mark: { type: 'text', color: '#c0392b', align: 'left', dx: 4, baseline: 'top', y: 2, fontSize: 11, fontWeight: 600 },
              encoding: { x: { datum: k, type: 'quantitative', scale: xScale }, text: { value: `chosen k = ${k}` } },
            },
          ]
        : []),
      {
        mark: { type: 'line', color, strokeWidth: 2, point: { filled: true, size: 50, color } },
        encoding: {
          x: { field: 'k', type: 'quantitative', title: 'Number of segments (k)', scale: xScale, axis: { values: ks, format: 'd', grid: false } },
          y: { field: 'value', type: 'quantitative', title: field === 'inertia' ? 'Inertia' : 'Silhouette', scale: { zero: false }, axis: { format: field === 'inertia' ? '~s' : '.2f' } },
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** Certainty bands of the largest membership probability, from most to least certain. */
const BANDS = Object.freeze([
  { name: '95% or more', min: 0.95 },
  { name: '80 to 95%', min: 0.8 },
  { name: '60 to 80%', min: 0.6 },
  { name: 'under 60%', min: -Infinity },
]);

function certaintySpec(input: NonNullable<ChartSpecsInput['certainty']>, named: string[], keep: number[], labels: string[]): TopLevelSpec {
  const { maxProba, labels: rowLabels } = input;
  if (maxProba.length !== rowLabels.length) throw new SegkitError('E_SHAPE_MISMATCH', `certainty has ${maxProba.length} probabilities and ${rowLabels.length} labels`);
  const k = named.length;
  const counts = Array.from({ length: k }, () => new Array(BANDS.length).fill(0));
  const sizes = new Array(k).fill(0);
  for (let i = 0; i < maxProba.length; i++) {
    const l = rowLabels[i], p = maxProba[i];
    // a row without a segment (-1) is in no bar; a NaN falls in no band, and its segment's shares would add up to less than 1
    if (!Number.isInteger(l) || l < -1 || l >= k) throw new SegkitError('E_BAD_LABELS', `certainty row ${i} has label ${l}; labels must be integers from -1 (no segment) to ${k - 1}`);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new SegkitError('E_BAD_OPTION', `certainty.maxProba: row ${i} has probability ${p}, not a probability in [0, 1]`);
    if (l < 0) continue;
    sizes[l]++;
    counts[l][BANDS.findIndex((b) => p >= b.min)]++;
  }
  const values = labels.flatMap((segment, t) => BANDS.map((b, q) => ({ segment, band: b.name, order: q, share: sizes[keep[t]] > 0 ? counts[keep[t]][q] / sizes[keep[t]] : 0 })));
  const bandColors = ['#1b7837', '#7fbf7b', '#fdb863', '#d6604d'];
  const labelWidth = 200;
  const lineChars = Math.floor(labelWidth / CHAR_W);
  return {
    $schema: SCHEMA,
    description: 'Share of each segment by its customers\' largest membership probability',
    title: { text: 'Membership certainty', subtitle: 'Share of each segment\'s customers by how sure the mixture is of their segment (largest probability)' },
    width: HALF - labelWidth - 40,
    height: { step: 46 },
    layer: [
      {
        data: { values },
        mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          y: { field: 'segment', type: 'nominal', sort: [...labels], title: null, axis: null },
          x: { field: 'share', type: 'quantitative', stack: 'zero', title: 'Share of the segment', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
          color: { field: 'band', type: 'nominal', title: 'Largest probability', scale: { domain: BANDS.map((b) => b.name), range: bandColors }, legend: { orient: 'bottom', direction: 'horizontal', columns: 2, titleLimit: 300, labelLimit: 120 } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      ...textBlockLayers(
        wrappedRows(labels, lineChars, 3),
        { align: 'right', baseline: 'middle', x: -8, color: '#1f2933', fontSize: 11, limit: labelWidth },
        { y: { field: 'segment', type: 'nominal', sort: [...labels], title: null, axis: null } },
        (lines) => (-(lines - 1) * LINE_HEIGHT) / 2,
      ),
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

function bicSpec(rows: readonly KSweepRow[], k: number | undefined): TopLevelSpec {
  const several = new Set(rows.map((r) => r.covarianceType)).size > 1;
  const values = rows.flatMap((r) => [
    { k: r.k, value: r.bic as number, series: several ? `BIC, ${r.covarianceType}` : 'BIC' },
    ...(several ? [] : [{ k: r.k, value: r.aic as number, series: 'AIC' }]),
  ]).filter((v) => Number.isFinite(v.value));
  const ks = [...new Set(values.map((v) => v.k))];
  const xScale = { domain: [Math.min(...ks), Math.max(...ks)], zero: false, nice: false };
  return {
    $schema: SCHEMA,
    description: 'Information criteria of the mixture by number of segments',
    title: { text: 'BIC by number of segments', subtitle: several ? 'Bayesian information criterion per covariance type; lower is better' : 'Bayesian and Akaike information criteria; lower is better' },
    width: HALF - 80,
    height: 220,
    data: { values },
    layer: [
      ...(k !== undefined && ks.includes(k)
        ? [{ data: { values: [{}] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 4] }, encoding: { x: { datum: k, type: 'quantitative', scale: xScale } } }]
        : []),
      {
        mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 46 } },
        encoding: {
          x: { field: 'k', type: 'quantitative', title: 'Number of segments (k)', scale: xScale, axis: { values: ks, format: 'd', grid: false } },
          y: { field: 'value', type: 'quantitative', title: 'Criterion', scale: { zero: false }, axis: { format: '~s' } },
          color: { field: 'series', type: 'nominal', title: null, scale: { scheme: 'dark2' }, legend: { orient: 'top-right' } },
        },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * The segments a report describes and its charts draw, by index into `profiles.segments`: those holding customers (a
 * segment without any, from a file holding some of a model's segments or a mixture's empty component, is named once,
 * never drawn); every segment when none holds a customer.
 */
export function shownSegments(profiles: SegmentProfiles): number[] {
  const held = profiles.segments.flatMap((s, i) => (s.size > 0 ? [i] : []));
  return held.length > 0 ? held : profiles.segments.map((_, i) => i);
}

/**
 * Vega-Lite specs (plain JSON, data inline) for a segmentation: sizes, profile heat map, standardised centroids,
 * 2-D scatter, silhouette bands per segment, and the elbow and silhouette-by-k curves when a k sweep is given; for
 * mixtures, the membership certainty per segment and the BIC curve. Segment colours are the same in every chart; a
 * segment without customers is in none.
 *
 * @example
 * const specs = chartSpecs({ profiles, centroids, kSweep, k: 4 });
 * const svg = await renderSvg(specs.heatmap);
 */
export function chartSpecs(input: ChartSpecsInput): ChartSpecs {
  const { profiles: every } = input ?? {};
  if (!Array.isArray(every?.features) || !Array.isArray(every.segments)) throw badOption('profiles', every, "profileSegments' result");
  // the columns given are arrays (a missing one named, never a TypeError reading its length)
  for (const [part, keys] of [['scatter', ['x', 'y', 'labels']], ['silhouette', ['samples', 'labels']], ['certainty', ['maxProba', 'labels']]] as const) {
    const v = input[part] as Record<string, unknown> | undefined;
    for (const key of v === undefined ? [] : keys) if (!Array.isArray(v?.[key]) && !ArrayBuffer.isView(v?.[key])) throw badOption(`${part}.${key}`, v?.[key], 'an array of numbers');
  }
  if (input.centroids !== undefined && (!Array.isArray(input.centroids) || !input.centroids.every(Array.isArray))) throw badOption('centroids', input.centroids, 'an array of arrays of numbers');
  if (input.kSweep !== undefined && (!Array.isArray(input.kSweep) || !input.kSweep.every((r) => Number.isInteger(r?.k)))) throw badOption('kSweep', input.kSweep, 'an array of rows { k, inertia, ... }');
  const k = every.segments.length;
  const named = every.segments.map((s) => segmentLabel(s.id, s.name));
  // the charts draw the segments with customers, under their own ids
  const keep = shownSegments(every);
  const profiles: SegmentProfiles = { ...every, segments: keep.map((i) => every.segments[i]) };
  const labels = keep.map((i) => named[i]);
  const d = every.features.length;
  // a segment without customers may have no centroid ([])
  if (input.centroids && (input.centroids.length !== k || input.centroids.some((c, i) => c.length !== d && !(c.length === 0 && every.segments[i].size === 0)))) {
    throw new SegkitError('E_SHAPE_MISMATCH', `centroids must be ${k} x ${d} to match the profiles`);
  }
  const perSegment = input.silhouettePointsPerSegment ?? 160;
  if (!Number.isInteger(perSegment) || perSegment < 2) {
    throw badOption('silhouettePointsPerSegment', perSegment, 'an integer >= 2');
  }
  const all = input.kSweep && input.kSweep.length > 0 ? [...input.kSweep].sort((a, b) => a.k - b.k) : undefined;
  // several covariance types: the elbow and silhouette curves follow the chosen one (or the first)
  const type = input.covarianceType ?? all?.find((r) => r.covarianceType !== undefined)?.covarianceType;
  const sweep = all && type !== undefined ? all.filter((r) => r.covarianceType === undefined || r.covarianceType === type) : all;
  return {
    sizes: sizesSpec(profiles, labels),
    heatmap: heatmapSpec(profiles, labels),
    ...(input.centroids ? { parallel: parallelSpec(profiles, keep.map((i) => input.centroids![i]), labels) } : {}),
    ...(input.scatter ? { scatter: scatterSpec(input.scatter, named, keep, labels) } : {}),
    ...(input.silhouette ? { silhouette: silhouetteSpec(input.silhouette, named, every.segments.map((s) => s.id), labels, perSegment) } : {}),
    ...(sweep ? { elbow: sweepSpec(sweep, 'inertia', input.k) } : {}),
    ...(sweep && sweep.some((r) => Number.isFinite(r.silhouette)) ? { silhouetteByK: sweepSpec(sweep, 'silhouette', input.k) } : {}),
    ...(input.certainty ? { certainty: certaintySpec(input.certainty, named, keep, labels) } : {}),
    ...(all && all.some((r) => Number.isFinite(r.bic)) ? { bicByK: bicSpec(all, input.k) } : {}),
  };
}
