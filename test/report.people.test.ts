// The report for the people who act on it: segments first in plain words, metrics in a glossary, short persona
// names, labels never cut, rules, value, mix of text columns, importance and a fairness panel; checked as HTML and
// in headless Chromium (first screen, screenshot in test/artifacts/).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { buildReport, close, createRandom, fromColumns, profileSegments, type BuildReportInput } from '../src/index.node.js';
import { CHROMIUM, launchChromium } from './helpers.js';

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const METRIC_WORDS = /silhouette|calinski|davies|inertia|σ|z-score|principal component|\bPCA\b|\bPC1\b/i;

function writeAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

// Four customer groups; a long feature name and two that share their first words.
const NAMES = ['income', 'spend', 'visits', 'avg_days_between_orders_last_12_months', 'avg_days_between_visits_last_12_months'];
function customers(): BuildReportInput {
  const rng = createRandom(12);
  const centres = [[90, 20, 4, 40, 12], [40, 60, 12, 12, 4], [55, 35, 7, 25, 8], [30, 10, 2, 90, 30]];
  const sizes = [120, 200, 260, 90];
  const cols: number[][] = NAMES.map(() => []);
  const labels: number[] = [], gender: string[] = [], country: (string | null)[] = [], amount: number[] = [];
  sizes.forEach((m, g) => {
    for (let i = 0; i < m; i++) {
      centres[g].forEach((c, j) => cols[j].push(Math.max(0, c * (1 + 0.15 * rng.normal()))));
      labels.push(g);
      gender.push(rng.next() < (g === 1 ? 0.8 : 0.5) ? 'female' : 'male');
      country.push(i % 17 === 0 ? null : ['FR', 'DE', 'ES'][Math.floor(rng.next() * 3)]);
      amount.push(cols[1][cols[1].length - 1] * (1 + cols[2][cols[2].length - 1]));
    }
  });
  const data = fromColumns({ columns: cols.map((c) => Float32Array.from(c)), names: NAMES });
  const lab = Int32Array.from(labels);
  const profiles = profileSegments(data, lab, 4);
  return {
    title: 'Customer segments',
    data, labels: lab, k: 4, profiles, centroids: profiles.segments.map((s) => s.mean),
    metrics: { silhouette: 0.41, calinskiHarabasz: 812, daviesBouldin: 0.9 },
    recommendation: 'k = 4: the elbow and the best silhouette agree.',
    value: { name: 'amount', values: Float64Array.from(amount) },
    textColumns: [{ name: 'country', values: country }],
    audit: [{ name: 'gender', values: gender }],
    seed: 1,
  };
}

afterAll(async () => {
  await close();
});

describe('a report people act on', () => {
  let html = '';
  let input: BuildReportInput;
  beforeAll(async () => {
    input = customers();
    html = await buildReport(input);
    writeAtomic(join(ARTIFACTS, 'report.people.html'), html);
  });

  it('opens with the segments in plain words; metric names only after them, explained in a glossary', () => {
    const first = html.indexOf('<section id="segments"');
    const rest = html.slice(html.indexOf('</section>', first));
    expect(first).toBeGreaterThan(0);
    expect(html.slice(0, html.indexOf('</section>', first))).not.toMatch(METRIC_WORDS);
    expect(rest).toMatch(METRIC_WORDS);
    const glossary = html.slice(html.indexOf('<section id="glossary"'));
    for (const term of ['Silhouette', 'Calinski–Harabasz', 'Davies–Bouldin', 'Inertia']) expect(glossary).toContain(`<dt>${term}</dt>`);
    const order = ['segments', 'find', 'value', 'mix', 'drivers', 'composition', 'map', 'details', 'quality', 'glossary'].map((id) => html.indexOf(`id="${id}"`));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]))).toBe(true);
  });

  it('short persona names (at most 5 words, all different) with a description beneath and the size', () => {
    const tiles = [...html.matchAll(/<article class="tile" data-segment="(\d)"[^>]*>\s*<h3 class="persona">([^<]+)<\/h3>\s*<p class="size"><b>([\d,]+)<\/b> customers · ([\d.]+)% · <b>([\d.]+)%<\/b> of amount<\/p>\s*<p class="describe">([^<]+)<\/p>/g)];
    expect(tiles.map((t) => Number(t[1]))).toEqual([0, 1, 2, 3]);
    expect(tiles.map((t) => Number(t[3]))).toEqual([120, 200, 260, 90]);
    const names = tiles.map((t) => t[2]);
    expect(new Set(names).size).toBe(4);
    for (const n of names) expect(n.split(/\s+/).length).toBeLessThanOrEqual(5);
    for (const t of tiles) expect(t[6]).toMatch(/above average|below average/);
    // the value shares add up to all of it
    expect(tiles.reduce((a, t) => a + Number(t[5]), 0)).toBeCloseTo(100, 0);
  });

  it('feature labels are never cut, and the two that start alike stay apart', () => {
    expect(html).not.toContain('…');
    expect(html).toContain('days between orders last 12 months');
    expect(html).toContain('days between visits last 12 months');
  });

  it('how to find each segment, its value, its mix, what sets it apart and a fairness check', () => {
    expect(html).toMatch(/<section id="find">[\s\S]*These rules find [\d.]+% of the segment/);
    expect(html).toContain('<details><summary>The same rules as SQL');
    for (const key of ['value', 'mix-country', 'importance']) expect(html).toContain(`data-chart="${key}"`);
    // segment 1 is 80% female against about 60% overall: flagged
    const audit = html.slice(html.indexOf('data-audit="gender"'));
    expect(audit).toMatch(/<td class="num flag"[^>]*>8\d\.\d% ⚑<\/td>/);
    expect(audit).toContain('<ul class="flags"><li>');
  });
});

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`report.people.test: browser part skipped, ${CHROMIUM} not found`);

describe.skipIf(!hasChromium)('the report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the first screen holds every segment name and size and no metric name; screenshot saved', async () => {
    const input = customers();
    const file = join(ARTIFACTS, 'report.people.browser.html');
    writeAtomic(file, await buildReport(input));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const screen = await page.evaluate(() => {
      const visible: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(n);
        const r = range.getBoundingClientRect();
        if (r.height > 0 && r.top < window.innerHeight && r.bottom > 0) visible.push(n.textContent ?? '');
      }
      const tiles = Array.from(document.querySelectorAll('.tile')).map((t) => {
        const b = t.querySelector('.persona')!.getBoundingClientRect();
        const s = t.querySelector('.size')!.getBoundingClientRect();
        return { name: t.querySelector('.persona')!.textContent, bottom: Math.max(b.bottom, s.bottom), size: t.querySelector('.size')!.textContent };
      });
      return { text: visible.join(' '), tiles, height: window.innerHeight };
    });
    expect(screen.tiles).toHaveLength(4);
    for (const t of screen.tiles) {
      expect(t.bottom, t.name!).toBeLessThanOrEqual(screen.height);
      expect(screen.text).toContain(t.name);
    }
    expect(screen.tiles.map((t) => t.size!.split(' customers')[0])).toEqual(['120', '200', '260', '90']);
    expect(screen.text).not.toMatch(METRIC_WORDS);
    // every chart drawn, none wider than the page
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.first-screen.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'report.people.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
