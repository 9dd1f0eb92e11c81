// hdbscan as the package exports it: its code (the spanning tree, the condensed tree, the selection) is loaded where
// it is first called, so an entry that never clusters by density does not carry it.
import type { DataInput } from '../data/dataset.js';
import type { HdbscanOptions, HdbscanResult } from './hdbscan.js';

export { hdbscanDefaults } from './hdbscanDefaults.js';
export type { HdbscanOptions, HdbscanResult } from './hdbscan.js';

/**
 * HDBSCAN (Campello, Moulavi & Sander 2013; McInnes & Healy 2017): density-based clusters of varying density.
 * The mutual-reachability distance max(core(a), core(b), |a - b|) (core: distance to the minSamples-th nearest
 * row, the row itself included, as scikit-learn counts it) gives a minimum spanning tree (Borůvka on a kd-tree,
 * shard ops), its single-linkage hierarchy is condensed with minClusterSize, and clusters are selected by excess
 * of mass (or as leaves). Rows in no selected cluster are noise (-1). Also: membership probabilities and GLOSH
 * outlier scores (Campello et al. 2015). Tied edges are ordered by their rows, so the result never depends on
 * the executor. HDBSCAN has no rule for new points: this returns a plain result, not a model.
 * @example
 * const { labels, probabilities, outlierScores } = await hdbscan(rows, { minClusterSize: 15 });
 */
export async function hdbscan(data: DataInput, options: HdbscanOptions = {}): Promise<HdbscanResult> {
  return (await import('./hdbscan.js')).hdbscan(data, options);
}
