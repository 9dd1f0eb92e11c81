import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from './helpers.js';
import { buildReport } from '../src/report/buildReport.js';
import { reportFixture } from './helpers/reportFixture.js';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`report.browser.test: skipped, ${CHROMIUM} not found (install Debian's chromium package to run it)`);

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

function writeAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

describe.skipIf(!hasChromium)('report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every chart with marks, logs no error, requests nothing', async () => {
    const fx = reportFixture();
    const html = await buildReport(fx.input);
    const file = join(ARTIFACTS, 'report.browser.html');
    writeAtomic(file, html);
    const url = pathToFileURL(file).href;

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('request', (req) => {
      if (req.url() !== url) requests.push(req.url());
    });
    await page.goto(url, { waitUntil: 'load' });

    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const marks = svg ? Array.from(svg.querySelectorAll('.role-mark')).flatMap((g) => Array.from(g.querySelectorAll('path, rect, circle, line'))) : [];
        const drawn = marks.filter((m) => {
          const b = (m as SVGGraphicsElement).getBBox();
          return b.width > 0 || b.height > 0;
        });
        return { key: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, marks: marks.length, drawn: drawn.length };
      }),
    );
    expect(charts.map((c) => c.key).sort()).toEqual(['elbow', 'heatmap', 'importance', 'parallel', 'scatter', 'silhouette', 'silhouetteByK', 'sizes']);
    for (const c of charts) {
      expect(c.width, c.key!).toBeGreaterThan(100);
      expect(c.height, c.key!).toBeGreaterThan(100);
      expect(c.drawn, c.key!).toBeGreaterThan(0);
    }
    expect(charts.find((c) => c.key === 'scatter')!.drawn).toBe(fx.data.n + fx.k);

    // The hostile feature name is shown as text, never run.
    expect(await page.$$('script')).toHaveLength(0);
    expect(await page.locator('table.features th', { hasText: '<script>alert(1)</script>' }).count()).toBe(fx.k);
    expect(await page.$$('article.card')).toHaveLength(fx.k);

    // Nothing in the page overflows its container horizontally at this width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('prints to PDF without errors', async () => {
    const page = await browser.newPage();
    await page.setContent(await buildReport(reportFixture().input));
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    writeAtomic(join(ARTIFACTS, 'report.pdf'), pdf);
    await page.close();
  });
});
