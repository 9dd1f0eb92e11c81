import { kmeans } from 'ml-kmeans';
import { fromRows, type Dataset } from '../../src/data/dataset.js';
import { profileSegments, type SegmentProfiles } from '../../src/explain/profileSegments.js';
import type { BuildReportInput } from '../../src/report/buildReport.js';

/** A feature name that must come out escaped everywhere in the report. */
export const HOSTILE = '<script>alert(1)</script>';
export const FEATURES = ['recency', 'frequency', 'monetary', 'sessions', HOSTILE];

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const CENTRES = [
  [10, 12, 900, 30, 1],
  [200, 2, 80, 5, 0],
  [60, 5, 250, 60, 3],
  [120, 3, 150, 12, -2],
];
const SIZES = [100, 80, 60, 40];

function zScore(rows: number[][]): number[][] {
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / rows.length));
  return rows.map((r) => r.map((v, j) => (v - mean[j]) / sd[j]));
}

/** Silhouette of every row by the definition (Rousseeuw 1987), O(n^2): small n only. */
export function naiveSilhouette(rows: number[][], labels: ArrayLike<number>, k: number): Float64Array {
  const n = rows.length;
  const out = new Float64Array(n);
  const sizes = new Array(k).fill(0);
  for (let i = 0; i < n; i++) sizes[labels[i]]++;
  for (let i = 0; i < n; i++) {
    const sums = new Array(k).fill(0);
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      sums[labels[j]] += Math.sqrt(rows[i].reduce((s, v, t) => s + (v - rows[j][t]) ** 2, 0));
    }
    const own = labels[i];
    if (sizes[own] === 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c] > 0) b = Math.min(b, sums[c] / sizes[c]);
    out[i] = (b - a) / Math.max(a, b);
  }
  return out;
}

export interface Fixture {
  rows: number[][];
  data: Dataset;
  labels: Int32Array;
  k: number;
  profiles: SegmentProfiles;
  input: BuildReportInput;
}

/** Four customer groups of unequal size, with a real k sweep (ml-kmeans on z-scored rows) and real silhouettes. */
export function reportFixture(): Fixture {
  const rand = rng(42);
  const rows: number[][] = [];
  const truth: number[] = [];
  CENTRES.forEach((c, g) => {
    for (let i = 0; i < SIZES[g]; i++) {
      rows.push(c.map((v, j) => (j === 4 ? v + normal(rand) : Math.max(0, v * (1 + 0.18 * normal(rand))))));
      truth.push(g);
    }
  });
  const k = CENTRES.length;
  const data = fromRows(rows, { names: FEATURES });
  const labels = Int32Array.from(truth);
  const rfm = rows.map(([r, f]) => (r < 40 && f > 8 ? 'Champions' : r > 150 ? 'At risk' : f >= 5 ? 'Loyal' : 'Needs <attention> & care'));
  const profiles = profileSegments(data, labels, k, { rfmSegments: rfm });
  // Centroids of the given labels are the segment means, in data units.
  const centroids = profiles.segments.map((s) => s.mean);
  const z = zScore(rows);
  const kSweep = [2, 3, 4, 5, 6].map((kk) => {
    const fit = kmeans(z, kk, { seed: 7, initialization: 'kmeans++' });
    const inertia = z.reduce((s, r, i) => s + r.reduce((t, v, j) => t + (v - fit.centroids[fit.clusters[i]][j]) ** 2, 0), 0);
    const sil = naiveSilhouette(z, fit.clusters, kk);
    return { k: kk, inertia, silhouette: sil.reduce((a, b) => a + b, 0) / sil.length };
  });
  const silhouetteSamples = naiveSilhouette(z, labels, k);
  const mean = silhouetteSamples.reduce((a, b) => a + b, 0) / silhouetteSamples.length;
  return {
    rows,
    data,
    labels,
    k,
    profiles,
    input: {
      title: 'Customer segments & <test> report',
      data,
      labels,
      centroids,
      k,
      profiles,
      metrics: { silhouette: mean, inertia: kSweep[2].inertia, customMetric: 12.5 },
      kSweep,
      recommendation: 'k = 4 has the best silhouette; <b>segment 3</b> is small & worth a look.',
      silhouetteSamples,
      seed: 3,
    },
  };
}
