// Scores computed outside any executor (logarithms, log-gamma, exponentials of label counts) in headless Chromium:
// the same bits as in Node for the same labels, as every fitted result is.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import * as node from '../src/index.node.js';
import { CHROMIUM, launchChromium } from './helpers.js';
import { serveStatic, type StaticServer } from './helpers/staticServer.js';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser.scores.test: skipped, ${CHROMIUM} not found (install Debian's chromium package to run it)`);

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

/** Every label-comparison score on two labelings of 70,000 rows, each as the hex of its float64 bits (sent to the page as source). */
function scores(segkit: typeof node): Record<string, string> {
  const hex = (v: number) => Array.from(new Uint8Array(Float64Array.of(v).buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  const n = 70_000;
  const truth = Int32Array.from({ length: n }, (_, i) => ((i % 4) + (i % 7 === 0 ? 1 : 0)) % 4);
  const pred = Int32Array.from({ length: n }, (_, i) => (i * 3 + (i >> 4)) % 5);
  // small clusters: the expected mutual information sums log-gamma terms without the table
  const few = Int32Array.from({ length: 300 }, (_, i) => (i * 7 + (i >> 2)) % 9);
  const other = Int32Array.from({ length: 300 }, (_, i) => (i % 5) + (i % 11 === 0 ? 1 : 0));
  const hcv = segkit.homogeneityCompletenessVMeasure(truth, pred);
  return {
    ami: hex(segkit.adjustedMutualInfoScore(truth, pred)),
    amiMax: hex(segkit.adjustedMutualInfoScore(truth, pred, { averageMethod: 'max' })),
    amiSmall: hex(segkit.adjustedMutualInfoScore(few, other)),
    nmi: hex(segkit.normalizedMutualInfoScore(truth, pred)),
    nmiGeometric: hex(segkit.normalizedMutualInfoScore(few, other, { averageMethod: 'geometric' })),
    mi: hex(segkit.mutualInfoScore(truth, pred)),
    homogeneity: hex(hcv.homogeneity),
    completeness: hex(hcv.completeness),
    vMeasure: hex(segkit.vMeasureScore(few, other, { beta: 2 })),
  };
}

describe.skipIf(!hasChromium)('label-comparison scores in Chromium', () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    server = await serveStatic({
      '/blank.html': { text: '<!doctype html><meta charset="utf-8"><title>segkit</title>' },
      '/segkit.js': dist('browser/segkit.js'),
      '/segkit.worker.js': dist('browser/segkit.worker.js'),
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('adjusted, normalised and plain mutual information, homogeneity, completeness and V-measure: the same bits as Node', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/blank.html`);
      // a string, not a function: the test runner rewrites import() inside functions it compiles
      const got = await page.evaluate(`(async () => (${scores.toString()})(await import('./segkit.js')))()`);
      expect(got).toEqual(scores(node));
    } finally {
      await page.close();
    }
  }, 30_000);
});
