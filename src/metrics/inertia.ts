import type { DataInput } from '../data/dataset.js';
import type { Labels } from './checkLabels.js';
import { matrixClusterStats, withLabels, type MetricOptions } from './clusterStats.js';

/** Within-cluster sum of squares (WCSS) of a labelling, around each cluster's mean (one cluster: the total sum of squares). */
export async function inertia(data: DataInput, labels: Labels, options: MetricOptions = {}): Promise<number> {
  const s = await withLabels(data, labels, options, 'inertia', matrixClusterStats, true);
  return s.sumSq.reduce((a, b) => a + b, 0);
}
