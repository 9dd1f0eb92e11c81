// Charts for hierarchical and density clusterings: the top of the dendrogram, each cluster's core and border
// points beside the noise, and the k-distance plot for choosing eps. Vega-Lite specs with their data inline.
import type { TopLevelSpec } from 'vega-lite';
import type { DendrogramData } from '../core/linkageTree.js';
import { CHART_WIDTH, CONFIG, SCHEMA } from './chartSpecs.js';

/** The dendrogram's merges as drawn by SciPy (one polyline of three segments per merge), leaves labelled with their size and segment. */
export function dendrogramSpec(tree: DendrogramData, leafLabels: readonly string[], height?: number): TopLevelSpec {
  const segments = tree.icoord.flatMap((xs, m) => {
    const ys = tree.dcoord[m];
    return [0, 1, 2].map((s) => ({ x: xs[s], y: ys[s], x2: xs[s + 1], y2: ys[s + 1] }));
  });
  const leaves = tree.leaves.map((_, i) => ({ x: 5 + 10 * i, label: leafLabels[i] ?? '' }));
  const xMax = 10 * Math.max(1, tree.leaves.length);
  const x = { type: 'quantitative' as const, scale: { domain: [0, xMax], nice: false }, axis: null };
  return {
    $schema: SCHEMA,
    description: 'The last merges of the hierarchy; a leaf is a cluster of the rows below it',
    title: { text: 'Dendrogram', subtitle: `The ${tree.icoord.length} highest merges; merge height on the vertical axis, leaves labelled with their rows` },
    width: CHART_WIDTH.full - 120,
    height: 260,
    layer: [
      {
        data: { values: segments },
        mark: { type: 'rule', color: '#3b6ea8', strokeWidth: 1.5 },
        encoding: { x: { field: 'x', ...x }, x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative', title: 'Merge height', ...(height ? { scale: { domainMax: height } } : {}) }, y2: { field: 'y2' } },
      },
      {
        data: { values: leaves },
        mark: { type: 'text', angle: 270, align: 'right', baseline: 'middle', dy: 0, dx: -4, fontSize: 10, color: '#333' },
        encoding: { x: { field: 'x', ...x }, y: { datum: 0, type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
    config: CONFIG,
  } as TopLevelSpec;
}

/** Per cluster, its core and border points; the noise as its own bar ("Unassigned"), never a segment. */
export function coreBorderSpec(clusters: readonly string[], core: readonly number[], border: readonly number[], noise: number): TopLevelSpec {
  const values = clusters.flatMap((name, c) => [
    { cluster: name, kind: 'core', rows: core[c] },
    { cluster: name, kind: 'border', rows: border[c] },
  ]);
  values.push({ cluster: 'Unassigned (noise)', kind: 'noise', rows: noise });
  return {
    $schema: SCHEMA,
    description: 'Core points (enough neighbours within eps), border points (within eps of a core point) and noise',
    title: { text: 'Core, border and unassigned customers', subtitle: 'Core: at least min-samples neighbours within eps; border: within eps of a core customer; the rest is unassigned' },
    width: CHART_WIDTH.half - 140,
    height: { step: 22 },
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      // names are never cut: a cut one reads unlike the segment's name in the other charts
      y: { field: 'cluster', type: 'nominal', sort: null, title: null, axis: { labelLimit: 0 } },
      x: { field: 'rows', type: 'quantitative', stack: 'zero', title: 'Customers' },
      color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['core', 'border', 'noise'], range: ['#3b6ea8', '#9ec3e6', '#b0b0b0'] } },
      order: { field: 'kind', sort: 'descending' },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/**
 * The k-distance plot (Ester et al. 1996): every row's distance to its minSamples-th nearest row (itself counted),
 * sorted from largest; rows left of where the curve crosses eps are the noise-prone ones. `eps` is marked.
 */
export function kDistanceSpec(sortedDesc: ArrayLike<number>, minSamples: number, eps: number | undefined, unit = ''): TopLevelSpec {
  const n = sortedDesc.length;
  const step = Math.max(1, Math.floor(n / 400));
  const values: { rank: number; distance: number }[] = [];
  for (let i = 0; i < n; i += step) values.push({ rank: i + 1, distance: sortedDesc[i] });
  if (n > 0 && values[values.length - 1].rank !== n) values.push({ rank: n, distance: sortedDesc[n - 1] });
  // 1st, 2nd, 3rd, 21st; 11th, 12th, 13th
  const tens = minSamples % 100, last = minSamples % 10;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  const title = `Distance to the ${minSamples}${suffix} nearest neighbour${unit ? ` (${unit})` : ''}`;
  return {
    $schema: SCHEMA,
    description: 'Sorted k-distances for choosing eps',
    title: { text: 'k-distance plot', subtitle: 'Each customer\'s distance to its min-samples-th nearest neighbour, largest first; a knee suggests eps' },
    width: CHART_WIDTH.half - 80,
    height: 220,
    layer: [
      {
        data: { values },
        mark: { type: 'line', color: '#3b6ea8', strokeWidth: 2 },
        encoding: {
          x: { field: 'rank', type: 'quantitative', title: 'Customers, sorted', axis: { format: '~s' } },
          y: { field: 'distance', type: 'quantitative', title },
        },
      },
      ...(eps !== undefined
        ? [
            { data: { values: [{}] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 4] }, encoding: { y: { datum: eps, type: 'quantitative' } } },
            {
              data: { values: [{}] },
              mark: { type: 'text', color: '#c0392b', align: 'right', dy: -6, fontSize: 11, fontWeight: 600 },
              encoding: { y: { datum: eps, type: 'quantitative' }, x: { value: CHART_WIDTH.half - 84 }, text: { value: `eps = ${eps}` } },
            },
          ]
        : []),
    ],
    config: CONFIG,
  } as TopLevelSpec;
}
