import { readFileSync } from 'node:fs';

export interface Fixture {
  name: string;
  X: number[][];
  truth: number[] | null;
  k: number;
  kmeans: { init: number[][]; centroids: number[][]; labels: number[]; inertia: number; n_iter: number };
  metrics_on_kmeans_labels: { silhouette: number; silhouette_samples_first100: number[]; calinski_harabasz: number; davies_bouldin: number };
  metrics_vs_truth: Record<string, number>;
}

export const FIXTURES = ['blobs-600x4-k4', 'blobs-3000x16-k8', 'iris-k3'] as const;

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/** Bytes of a typed array, for bit-identical comparisons. */
export function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
