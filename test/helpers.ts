import { readFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';
import { SegkitError } from '../src/util/errors.js';
import { close, inlineExecutor, loopbackExecutor, piscinaExecutor, type Executor } from '../src/index.node.js';

/**
 * Every kind of executor a result must not depend on: inline, the piscina pool on 1, 2 and 4 threads, and loopback
 * (every shard from its own encoded copy); closed, with the default one, after the file's tests.
 */
export function everyExecutor(): [string, Executor][] {
  const executors: [string, Executor][] = [
    ['inline', inlineExecutor()],
    ['piscina 1', piscinaExecutor({ threads: 1 })],
    ['piscina 2', piscinaExecutor({ threads: 2 })],
    ['piscina 4', piscinaExecutor({ threads: 4 })],
    ['loopback', loopbackExecutor()],
  ];
  afterAll(async () => {
    await Promise.all(executors.map(([, ex]) => ex.close()));
    await close();
  });
  return executors;
}

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

/** A copy of `a` with a hole at `i` ([1, , 3]), which forEach and map pass over. */
export function holed<T>(a: readonly T[], i: number): T[] {
  const b = a.slice();
  delete b[i];
  return b;
}

/** Asserts that `fn` throws a SegkitError with `code` whose message contains every part. */
export function expectError(fn: () => unknown, code: string, ...parts: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SegkitError);
    expect((e as SegkitError).code).toBe(code);
    for (const p of parts) expect((e as Error).message).toContain(p);
    return;
  }
  throw new Error(`expected ${code}`);
}

/** Resolves to the SegkitError a promise (or function) fails with. */
export async function failure(run: () => unknown): Promise<SegkitError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(SegkitError);
    return error as SegkitError;
  }
  throw new Error('expected a SegkitError, got success');
}

/** Debian's Chromium, launched as this workplace allows (no sandbox, no background networking). */
export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
