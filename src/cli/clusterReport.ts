// What segment shows beside the segments of a density or hierarchical model: the rows no cluster took (their
// own "Unassigned" group), each cluster's core and border customers, the k-distance plot, the dendrogram.
import type { TopLevelSpec } from 'vega-lite';
import type { Dataset } from '../data/dataset.js';
import type { SegmentProfiles } from '../explain/profileSegments.js';
import { kDistances } from '../core/kDistances.js';
import { personaNames } from '../explain/personaName.js';
import { coreBorderSpec, dendrogramSpec, kDistanceSpec } from '../report/densityCharts.js';
import type { ClusterFit } from './fitClusters.js';

export interface Unassigned {
  size: number;
  /** Of every row. */
  share: number;
  /** Feature means of the unassigned rows, before scaling. */
  means: Record<string, number>;
}

/** The rows with a cluster, or null when every row has one. */
export function clusteredRows(labels: Int32Array): Int32Array | null {
  let noise = 0;
  for (const l of labels) if (l < 0) noise++;
  if (noise === 0) return null;
  const out = new Int32Array(labels.length - noise);
  let at = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) out[at++] = i;
  return out;
}

/** The given rows of a dataset. */
export function subsetRows(ds: Dataset, rows: Int32Array): Dataset {
  return { n: rows.length, d: ds.d, names: ds.names, columns: ds.columns.map((c) => Float32Array.from(rows, (i) => c[i])) };
}

export function unassignedSummary(ds: Pick<Dataset, 'n' | 'd' | 'names'> & { readonly columns: readonly ArrayLike<number>[] }, labels: Int32Array): Unassigned {
  let size = 0;
  const sums = new Float64Array(ds.d);
  for (let i = 0; i < ds.n; i++) {
    if (labels[i] >= 0) continue;
    size++;
    for (let j = 0; j < ds.d; j++) sums[j] += ds.columns[j][i];
  }
  return { size, share: size / ds.n, means: Object.fromEntries(ds.names.map((name, j) => [name, sums[j] / size])) };
}

type Section = 'overview' | 'map' | 'quality';

/** The algorithm's own charts: dbscan's core/border bars and k-distance plot, agglomerative's dendrogram. */
export async function densityReportCharts(o: {
  fit: ClusterFit;
  flags: { algorithm: string; eps?: number; minSamples?: number; metric?: 'euclidean' | 'haversine' };
  data: Dataset;
  profiles: SegmentProfiles;
  unassigned?: Unassigned;
  run: { threads?: number; signal?: AbortSignal };
}): Promise<{ key: string; spec: TopLevelSpec; section: Section; wide?: boolean }[]> {
  const out: { key: string; spec: TopLevelSpec; section: Section; wide?: boolean }[] = [];
  // the report's own short names, as its other charts label the segments
  const persona = personaNames(o.profiles);
  const names = o.profiles.segments.map((s, i) => `${s.id}: ${persona[i]}`);
  if (o.fit.density) {
    out.push({ key: 'coreBorder', spec: coreBorderSpec(names, o.fit.density.core, o.fit.density.border, o.fit.density.noise), section: 'overview' });
    const minSamples = o.flags.minSamples ?? 5;
    if (minSamples <= o.data.n) {
      const d = await kDistances(o.data, { k: minSamples, metric: o.flags.metric, ...o.run });
      const sorted = Float64Array.from(d).sort().reverse();
      out.push({ key: 'kDistance', spec: kDistanceSpec(sorted, minSamples, o.flags.eps, o.flags.metric === 'haversine' ? 'km' : ''), section: 'quality' });
    }
  }
  if (o.fit.tree && o.fit.tree.labels.length > 1) {
    const tree = o.fit.tree;
    const dendro = tree.dendrogram(4);
    // a leaf below the cut lies inside one segment: name it; one above the cut spans several
    const segmentOf = (node: number): number => {
      const n = tree.labels.length;
      let v = node;
      while (v >= n) v = tree.linkageMatrix[4 * (v - n)];
      return tree.labels[v];
    };
    const cutRow = tree.labels.length - tree.k;
    const labels = dendro.leaves.map((node, i) => {
      const inOne = node < tree.labels.length || node - tree.labels.length < cutRow;
      return `${dendro.leafSizes[i].toLocaleString('en-US')}${inOne ? ` · ${segmentOf(node)}` : ''}`;
    });
    out.push({ key: 'dendrogram', spec: dendrogramSpec(dendro, labels), section: 'map', wide: true });
  }
  return out;
}
