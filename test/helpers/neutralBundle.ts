import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { rolldown } from 'rolldown';

/** The compiled neutral entry that `npm run build` emits. */
export const NEUTRAL_ENTRY = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/**
 * dist/index.js and everything it imports as one classic script that defines a global `segkit`,
 * the form a browser <script>, an edge function or a bare JS realm can load without a module loader.
 */
export async function bundleNeutral(): Promise<string> {
  if (!existsSync(NEUTRAL_ENTRY)) throw new Error(`${NEUTRAL_ENTRY} is missing: run \`npm run build\` first`);
  // a classic script has no import.meta: shard ops' module URLs are undefined there (they run inline)
  const bundle = await rolldown({ input: NEUTRAL_ENTRY, platform: 'browser', logLevel: 'warn', transform: { define: { 'import.meta.url': 'undefined' } } });
  try {
    const { output } = await bundle.generate({ format: 'iife', name: 'segkit' });
    expect(output).toHaveLength(1);
    return output[0].code;
  } finally {
    await bundle.close();
  }
}

export interface Blobs {
  rows: number[][];
  /** The points the blobs are drawn around. */
  centres: number[][];
  /** Which blob each row was drawn around. */
  blob: number[];
  /** Per-blob means of the float32 values the library sees, in float64. */
  means: number[][];
  /** Sum of squared distances of every row to its blob mean. */
  inertia: number;
}

/** Three well-separated 2-D blobs of `perBlob` points each: points on rings of radius 0.5..0.9 around far-apart centres. */
export function threeBlobs(perBlob = 30): Blobs {
  const centres = [[0, 0], [12, 12], [-12, 12]];
  const rows: number[][] = [];
  const blob: number[] = [];
  centres.forEach(([cx, cy], b) => {
    for (let i = 0; i < perBlob; i++) {
      const a = (2 * Math.PI * i) / perBlob + b;
      const r = 0.5 + 0.1 * (i % 5);
      rows.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
      blob.push(b);
    }
  });
  const means = centres.map((_, b) => {
    const mine = rows.filter((_, i) => blob[i] === b);
    return [0, 1].map((j) => mine.reduce((sum, row) => sum + Math.fround(row[j]), 0) / mine.length);
  });
  let inertia = 0;
  rows.forEach((row, i) => {
    for (let j = 0; j < 2; j++) inertia += (Math.fround(row[j]) - means[blob[i]][j]) ** 2;
  });
  return { rows, centres, blob, means, inertia };
}

export interface FitResult {
  labels: number[];
  centroids: number[][];
  inertia: number;
  predicted: number[];
}

/**
 * A script expression that fits the rows with `segkit` in scope and resolves to the result as JSON text,
 * so the value crosses realm and process boundaries unchanged.
 */
export function fitScript({ rows, centres }: Blobs, threads = 1): string {
  return `(async () => {
    const m = await segkit.kmeans(${JSON.stringify(rows)}, { k: 3, seed: 1, threads: ${threads} });
    const predicted = await m.predict(${JSON.stringify(centres)});
    return JSON.stringify({ labels: Array.from(m.labels), centroids: m.centroids, inertia: m.inertia, predicted: Array.from(predicted) });
  })()`;
}

/** Asserts that a fit found the blobs: one label per blob, centroids at the blob means, inertia as computed directly, and predict(centres) gives each blob's label. */
export function expectBlobsFound(r: FitResult, b: Blobs): void {
  expect(r.labels).toHaveLength(b.rows.length);
  const labelOf = [0, 1, 2].map((blob) => r.labels[b.blob.indexOf(blob)]);
  expect(new Set(labelOf).size).toBe(3);
  expect(r.labels.filter((label, i) => label !== labelOf[b.blob[i]]).length).toBe(0);
  for (let blob = 0; blob < 3; blob++) {
    const c = r.centroids[labelOf[blob]];
    expect(c).toHaveLength(2);
    for (let j = 0; j < 2; j++) expect(Math.abs(c[j] - b.means[blob][j])).toBeLessThan(1e-5);
  }
  expect(Math.abs(r.inertia - b.inertia) / b.inertia).toBeLessThan(1e-5);
  expect(r.predicted).toEqual(labelOf);
}
