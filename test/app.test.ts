// The app `segkit app` serves, in headless Chromium: a 200,000 x 12 CSV segmented in the page gives the labels
// `segkit segment` gives in Node for the same seed, on Web Workers when the page is cross-origin isolated and on
// one thread when it is not; nothing is requested after the page has loaded; the three downloads open.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Decimal, Float64, makeData, makeVector, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { createRandom, readCsv, SegmentModel } from '../src/index.node.js';
import { APP_DIR, APP_HEADERS, startAppServer, type AppServer } from '../src/cli/app.js';
import { CHROMIUM, failure, launchChromium } from './helpers.js';
import { serveStatic, type StaticServer } from './helpers/staticServer.js';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`app.test: skipped, ${CHROMIUM} not found (install Debian's chromium package to run it)`);

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'segkit-app-'));

/** n customers with an id and 12 numeric features drawn around 6 centres, about 1% of the values missing. */
function customersCsv(n: number, seed: number): string {
  const rng = createRandom(seed);
  const d = 12;
  const centres = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.normal() * 4));
  const lines = [['customer_id', ...Array.from({ length: d }, (_, j) => `f${j + 1}`)].join(',')];
  for (let i = 0; i < n; i++) {
    const c = centres[rng.int(6)];
    const cells = c.map((m, j) => (rng.next() < 0.01 ? '' : (m + rng.normal() * (1 + j / 6)).toFixed(4)));
    lines.push(`C${100000 + i},${cells.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The segment column of a segments CSV, as `segkit segment --out` and the app write it. */
async function segmentColumn(csv: Uint8Array | string): Promise<Int32Array> {
  const table = await readCsv(csv);
  return Int32Array.from(table.getChild('segment')!.toArray() as ArrayLike<number>);
}

async function cliSegments(file: string, args: string[]): Promise<Int32Array> {
  const out = path.join(dir, `ref-${path.basename(file)}-${args.join('_')}.csv`);
  await run(process.execPath, [CLI, 'segment', file, ...args, '--out', out, '--quiet', '--threads', '2'], { maxBuffer: 1 << 26 });
  return segmentColumn(readFileSync(out));
}

describe.skipIf(!hasChromium)('segkit app in Chromium', () => {
  let browser: Browser;
  let app: AppServer;
  let plain: StaticServer;
  const big = path.join(dir, 'customers-200k.csv');
  let reference: Int32Array;

  beforeAll(async () => {
    writeFileSync(big, customersCsv(200_000, 11));
    // the same files from a server that sends none of the isolation headers, as an ordinary static host would
    plain = await serveStatic(Object.fromEntries(['index.html', 'app.css', 'app.js', 'segkit.js', 'segkit.worker.js'].map((f) => [`/${f}`, path.join(APP_DIR, f)])));
    [browser, app, reference] = await Promise.all([launchChromium(), startAppServer({ port: 0 }), cliSegments(big, ['--k', '6', '--seed', '7'])]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await plain?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the app and waits until it has loaded everything it will ever need; returns the requests made after that. */
  async function open(url: string): Promise<{ page: Page; later: string[]; problems: string[] }> {
    const page = await browser.newPage({ acceptDownloads: true });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ready');
    const later: string[] = [];
    page.on('request', (r) => later.push(r.url()));
    return { page, later, problems };
  }

  async function segment(page: Page, file: string, k: number | 'auto', seed: number): Promise<void> {
    // a page that segmented a file before: its state and its columns are the last file's until this one is read
    await page.evaluate(() => (document.documentElement.dataset.state = 'ready'));
    await page.setInputFiles('#file', file);
    await page.waitForFunction((name) => document.getElementById('loaded')!.textContent!.startsWith(`${name}: `), path.basename(file));
    await page.waitForSelector('#setup:not([hidden])');
    if (k === 'auto') await page.check('input[name=kmode][value=auto]');
    else {
      await page.check('input[name=kmode][value=given]');
      await page.fill('#k', String(k));
    }
    await page.fill('#seed', String(seed));
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.state!), null, { timeout: 240_000 });
    expect(await page.textContent('#progress')).toBe('');
    expect(await page.evaluate(() => document.documentElement.dataset.state)).toBe('done');
  }

  /** The feature checkboxes as "name:ticked", in the page's order. */
  const boxes = (page: Page): Promise<string[]> => page.$$eval('#columns input', (inputs) => inputs.map((i) => `${(i as HTMLInputElement).value}:${(i as HTMLInputElement).checked}`));

  /** The browser's navigator.hardwareConcurrency. */
  async function coresOf(b: Browser): Promise<number> {
    const p = await b.newPage();
    try {
      return await p.evaluate(() => navigator.hardwareConcurrency);
    } finally {
      await p.close();
    }
  }

  async function downloadOf(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    const p = await download.path();
    return { name: download.suggestedFilename(), bytes: readFileSync(p!) };
  }

  it('cross-origin isolated: Web Workers (the page says how many), the labels of `segkit segment` byte for byte, no request after load, downloads that open', async () => {
    const cores = await coresOf(browser);
    // at least two workers even on a one-core machine
    const { page, later, problems } = await open(`${app.url}${cores < 2 ? '?threads=2' : ''}`);
    try {
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const workers = Math.max(2, cores);
      expect(await page.textContent('#engine')).toContain(`${workers} Web Workers sharing one memory`);
      expect(page.workers()).toHaveLength(workers);

      await segment(page, big, 6, 7);
      const csv = await downloadOf(page, '#get-segments');
      expect(csv.name).toBe('customers-200k-segments.csv');
      const labels = await segmentColumn(csv.bytes);
      expect(labels.length).toBe(200_000);
      expect(Buffer.from(labels.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
      expect(new Set(labels).size).toBe(6);

      const model = await downloadOf(page, '#get-model');
      expect(model.name).toBe('customers-200k-model.json');
      const loaded = SegmentModel.fromJSON(model.bytes.toString('utf8'));
      expect(loaded.model.k).toBe(6);
      const rows = (await readCsv(readFileSync(big))).slice(0, 2_000);
      const predicted = await loaded.predict(rows, { threads: 1 });
      expect(Array.from(predicted)).toEqual(Array.from(reference.subarray(0, 2_000)));

      const report = await downloadOf(page, '#get-report');
      const html = report.bytes.toString('utf8');
      expect(report.name).toBe('customers-200k-report.html');
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
      expect(html).toContain('200,000 customers · 12 features · 6 segments');
      // the report is shown in the page too
      expect(await page.evaluate(() => document.getElementById('report')!.shadowRoot!.querySelectorAll('svg').length)).toBeGreaterThanOrEqual(4);

      // another file picked while one is segmented: when the run ends, no result stands under the new file's columns
      await page.evaluate(() => {
        (document.getElementById('run') as HTMLButtonElement).click();
        const input = document.getElementById('file') as HTMLInputElement;
        const files = new DataTransfer();
        files.items.add(new File(['id,x,y\n1,1,2\n2,3,4\n3,5,1\n'], 'other.csv', { type: 'text/csv' }));
        input.files = files.files;
        input.dispatchEvent(new Event('change'));
      });
      await page.waitForFunction(() => document.documentElement.dataset.state !== 'running' && !(document.getElementById('run') as HTMLButtonElement).disabled, null, { timeout: 240_000 });
      expect(await page.textContent('#loaded')).toBe('other.csv: 3 rows, 3 columns.');
      expect(await page.isHidden('#result')).toBe(true);
      expect(await page.$$eval('#columns input', (inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual(['id', 'x', 'y']);

      expect(later).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('not isolated (a host without the headers): one thread, and it says so; the same labels', async () => {
    const { page, later, problems } = await open(`${plain.url}/index.html`);
    try {
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await page.textContent('#engine')).toContain('Running on one thread: this page is not cross-origin isolated');
      await segment(page, big, 6, 7);
      expect(page.workers()).toHaveLength(0);
      const labels = await segmentColumn((await downloadOf(page, '#get-segments')).bytes);
      expect(Buffer.from(labels.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
      expect(later).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('?threads=N: a whole number of workers in digits, up to 64 beyond the cores; any other value uses every core and says so', async () => {
    const cores = await coresOf(browser);
    // 0x3 is no decimal count (Number() would read it as 3), 1e9 would start a billion Web Workers
    const cases: [string, number, boolean][] = [['3', 3, false], [cores === 3 ? '0x4' : '0x3', cores, true], ['abc', cores, true], ['0', cores, true], ['2.5', cores, true], ['1e9', cores, true], ['65', Math.min(cores, 65), cores < 65]];
    for (const [asked, workers, noted] of cases) {
      const { page, problems } = await open(`${app.url}?threads=${asked}`);
      try {
        const engine = await page.textContent('#engine');
        expect(engine, asked).toContain(`${workers} Web Worker${workers > 1 ? 's' : ''} sharing one memory`);
        if (noted) expect(engine, asked).toContain(`?threads=${asked} is not a whole number from 1 to ${Math.max(cores, 64)}, so every core is used.`);
        else expect(engine, asked).not.toContain('?threads=');
        expect(page.workers(), asked).toHaveLength(workers);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    }
  }, 120_000);

  it('a segmented file loaded again: segkit\'s own columns are no features, and the labels are the command line\'s; so is a column of empty cells alone', async () => {
    // an Arrow file whose "unfilled" column holds nulls only: `segkit segment` leaves it out (it has nothing to fit)
    const g = createRandom(4);
    const m = 400;
    const holes = path.join(dir, 'holes.arrow');
    writeFileSync(holes, tableToIPC(new Table({
      customer_id: vectorFromArray(Array.from({ length: m }, (_, i) => `C${i}`)),
      a: vectorFromArray(Array.from({ length: m }, (_, i) => (i % 3) * 4 + g.normal()), new Float64()),
      unfilled: vectorFromArray(Array.from({ length: m }, () => null), new Float64()),
      // NaN alone (a float column pyarrow or Polars wrote): as empty, for the command line and the page alike
      nans: vectorFromArray(Array.from({ length: m }, () => NaN), new Float64()),
      b: vectorFromArray(Array.from({ length: m }, (_, i) => (i % 2) * 3 + g.normal()), new Float64()),
    }), 'file'));
    const holesWant = await cliSegments(holes, ['--k', '3', '--seed', '1']);
    const small = path.join(dir, 'customers-3k.csv'), again = path.join(dir, 'segmented-3k.csv');
    writeFileSync(small, customersCsv(3_000, 5));
    await run(process.execPath, [CLI, 'segment', small, '--k', '4', '--seed', '2', '--out', again, '--quiet', '--threads', '2']);
    // the command line leaves segment and segment_name out (with a note) and replaces them
    const want = await cliSegments(again, ['--k', '3', '--seed', '1']);
    const { page, problems } = await open(app.url);
    try {
      await segment(page, again, 3, 1);
      const table = await readCsv((await downloadOf(page, '#get-segments')).bytes);
      // the app keeps the file's columns and adds its own under a free name
      const got = Int32Array.from(table.getChild('segment2')!.toArray() as ArrayLike<number>);
      expect(Array.from(got)).toEqual(Array.from(want));
      // the page's own output loaded again: segment2 (beside segment2_name) is a segment column, no feature, as on the
      // command line
      const twice = path.join(dir, 'segmented-twice.csv');
      writeFileSync(twice, (await downloadOf(page, '#get-segments')).bytes);
      const twiceWant = await cliSegments(twice, ['--k', '3', '--seed', '1']);
      await segment(page, twice, 3, 1);
      const ticked = await page.$$eval('#columns input', (inputs) => inputs.filter((i) => (i as HTMLInputElement).checked).map((i) => (i as HTMLInputElement).value));
      expect(ticked).toEqual(Array.from({ length: 12 }, (_, j) => `f${j + 1}`));
      const thrice = await readCsv((await downloadOf(page, '#get-segments')).bytes);
      expect(Array.from(thrice.getChild('segment3')!.toArray() as ArrayLike<number>)).toEqual(Array.from(twiceWant));
      await segment(page, holes, 3, 1);
      expect(await boxes(page)).toEqual(['customer_id:false', 'a:true', 'unfilled:false', 'nans:false', 'b:true']);
      expect(await page.textContent('#summary')).toContain('400 customers, 2 features (a, b): 3 segments.');
      const labels = await segmentColumn((await downloadOf(page, '#get-segments')).bytes);
      expect(new Set(holesWant).size).toBe(3);
      expect(Array.from(labels)).toEqual(Array.from(holesWant));
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('the ticked boxes are the features when another id (or none) is picked: the labels of `segkit segment --columns`', async () => {
    // a numeric id the page picks by its name, and three features
    const g = createRandom(12);
    const lines = ['id,a,b,c'];
    for (let i = 0; i < 300; i++) lines.push(`${1000 + 7 * i},${((i % 3) * 5 + g.normal()).toFixed(3)},${((i % 2) * 4 + g.normal()).toFixed(3)},${g.normal().toFixed(3)}`);
    const file = path.join(dir, 'numeric-id.csv'), again = path.join(dir, 'numeric-id-again.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    writeFileSync(again, `${lines.join('\n')}\n`);
    const noId = await cliSegments(file, ['--k', '3', '--seed', '1', '--columns', 'a,b,c']);
    const idA = await cliSegments(file, ['--k', '3', '--seed', '1', '--id', 'a', '--columns', 'b,c']);
    const { page, problems } = await open(app.url);
    try {
      const run = async (id: string, f: string): Promise<void> => {
        await page.evaluate(() => (document.documentElement.dataset.state = 'ready'));
        await page.setInputFiles('#file', f);
        await page.waitForFunction((name) => document.getElementById('loaded')!.textContent!.startsWith(`${name}: `), path.basename(f));
        await page.waitForSelector('#setup:not([hidden])');
        expect(await boxes(page)).toEqual(['id:false', 'a:true', 'b:true', 'c:true']);
        await page.selectOption('#id', id);
        await page.check('input[name=kmode][value=given]');
        await page.fill('#k', '3');
        await page.fill('#seed', '1');
        await page.click('#run');
        await page.waitForFunction(() => ['done', 'failed'].includes(document.documentElement.dataset.state!), null, { timeout: 120_000 });
        expect(await page.textContent('#progress')).toBe('');
      };
      // no id: the unticked id column stayed a feature before
      await run('', file);
      expect(await page.textContent('#summary')).toContain('300 customers, 3 features (a, b, c): 3 segments.');
      expect(Array.from(await segmentColumn((await downloadOf(page, '#get-segments')).bytes))).toEqual(Array.from(noId));
      // column a as the id: its box is unticked, and the first id is not taken back as a feature
      await run('a', again);
      expect(await boxes(page)).toEqual(['id:false', 'a:false', 'b:true', 'c:true']);
      expect(await page.textContent('#summary')).toContain('300 customers, 2 features (b, c): 3 segments.');
      expect(Array.from(await segmentColumn((await downloadOf(page, '#get-segments')).bytes))).toEqual(Array.from(idA));
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('JSON, NDJSON and an Arrow file with a decimal column (money from a database): read as the command line reads them, with its labels', async () => {
    const g = createRandom(21);
    const records = Array.from({ length: 240 }, (_, i) => ({ customer_id: `C${i}`, spend: +((i % 3) * 40 + g.normal() * 5).toFixed(2), visits: i % 4 === 0 ? null : (i % 2) * 6 + g.int(3) }));
    const json = path.join(dir, 'customers.json'), ndjson = path.join(dir, 'customers.ndjson'), decimal = path.join(dir, 'decimal.arrow');
    writeFileSync(json, JSON.stringify(records));
    writeFileSync(ndjson, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    // spend in cents as decimal(10, 2): 128-bit two's complement words, low word first
    const words = new Uint32Array(4 * records.length);
    records.forEach((r, i) => {
      const u = BigInt.asUintN(128, BigInt(Math.round(r.spend * 100)));
      for (let w = 0; w < 4; w++) words[4 * i + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
    });
    writeFileSync(decimal, tableToIPC(new Table({
      customer_id: vectorFromArray(records.map((r) => r.customer_id)),
      spend: makeVector(makeData({ type: new Decimal(2, 10, 128), length: records.length, nullCount: 0, data: words })),
      visits: vectorFromArray(records.map((r) => r.visits), new Float64()),
    }), 'file'));
    const { page, problems } = await open(app.url);
    try {
      for (const file of [json, ndjson, decimal]) {
        const want = await cliSegments(file, ['--k', '3', '--seed', '1']);
        expect(new Set(want).size).toBe(3);
        await segment(page, file, 3, 1);
        expect(await boxes(page)).toEqual(['customer_id:false', 'spend:true', 'visits:true']);
        expect(await page.textContent('#summary')).toContain('240 customers, 2 features (spend, visits): 3 segments.');
        expect(Array.from(await segmentColumn((await downloadOf(page, '#get-segments')).bytes))).toEqual(Array.from(want));
      }
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('k chosen by the sweep: the k and the labels of `segkit segment --k auto`', async () => {
    const small = path.join(dir, 'customers-3000.csv');
    writeFileSync(small, customersCsv(3_000, 5));
    const want = await cliSegments(small, ['--k', 'auto', '--seed', '3']);
    const { page, later } = await open(app.url);
    try {
      await segment(page, small, 'auto', 3);
      const labels = await segmentColumn((await downloadOf(page, '#get-segments')).bytes);
      expect(Array.from(labels)).toEqual(Array.from(want));
      expect(await page.textContent('#summary')).toContain(`${new Set(want).size} segments. Choosing k from 2 to 10`);
      // a run that fails takes the last result and its downloads away, and says why
      for (const box of await page.$$('#columns input:checked')) await box.uncheck();
      await page.evaluate(() => (document.documentElement.dataset.state = 'ready'));
      await page.click('#run');
      await page.waitForFunction(() => document.documentElement.dataset.state === 'failed');
      expect(await page.textContent('#progress')).toMatch(/^E_BAD_OPTION: option "columns"/);
      expect(await page.isHidden('#result')).toBe(true);
      expect(later).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('a file segkit cannot read is reported in the page, naming the problem', async () => {
    const bad = path.join(dir, 'bad.parquet');
    writeFileSync(bad, 'not a parquet file');
    const { page } = await open(app.url);
    try {
      await page.setInputFiles('#file', bad);
      // "Reading bad.parquet…" comes first and names the file too: wait for the error itself
      await expect.poll(() => page.getAttribute('#loaded', 'class')).toContain('error');
      expect(await page.textContent('#loaded')).toMatch(/E_PARSE|parquet/i);
      expect(await page.isHidden('#setup')).toBe(true);
      // an empty CSV: the code, the message and its hint once
      const empty = path.join(dir, 'empty.csv');
      writeFileSync(empty, '');
      await page.setInputFiles('#file', empty);
      await expect.poll(() => page.textContent('#loaded')).toMatch(/^E_EMPTY_DATA/);
      expect(await page.textContent('#loaded')).toBe('E_EMPTY_DATA: the CSV input is empty (a CSV file needs a header row)');
      expect(await page.isHidden('#setup')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('a column of numbers with a stray word is named in the page, with the word\'s line, as `segkit segment` names it', async () => {
    const stray = path.join(dir, 'stray.csv');
    const rows = Array.from({ length: 40 }, (_, i) => `C${i},${(i % 4) + 0.5},${i === 6 ? 'oops' : i % 5}`);
    writeFileSync(stray, `customer_id,visits,spend\n${rows.join('\n')}\n`);
    // the command line refuses the file, naming the same line and word
    const cli = await run(process.execPath, [CLI, 'segment', stray, '--k', '2', '--out', path.join(dir, 'stray-out.csv')]).then(() => '', (e: { stderr: string }) => e.stderr);
    expect(cli).toContain('line 8, column "spend": "oops" is not a number, though 39 of the column\'s 40 values are');
    const { page, problems } = await open(app.url);
    try {
      await page.setInputFiles('#file', stray);
      await page.waitForSelector('#setup:not([hidden])');
      expect(await page.textContent('#loaded')).toBe('stray.csv: 40 rows, 3 columns. Column "spend" is text, so no feature: line 8 holds "oops", though 39 of its 40 values are numbers (correct the file to use it).');
      expect(await boxes(page)).toEqual(['customer_id:false', 'visits:true', 'spend:false']);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('the server sends the isolation headers and a policy that allows no connection, on every file', async () => {
    for (const f of ['', 'app.js', 'segkit.js', 'segkit.worker.js', 'app.css']) {
      const res = await fetch(`${app.url}${f}`);
      expect(res.status).toBe(200);
      for (const [k, v] of Object.entries(APP_HEADERS)) expect(res.headers.get(k)).toBe(v);
    }
    expect(APP_HEADERS['Content-Security-Policy']).toContain("connect-src 'none'");
    expect((await fetch(`${app.url}missing.js`)).status).toBe(404);
    expect((await fetch(`${app.url}`, { method: 'POST' })).status).toBe(405);
  });
});

describe('segkit app (the command)', () => {
  /** `segkit app --port 0` in a child process, and the address it prints once it serves. */
  const startApp = () => {
    const child = spawn(process.execPath, [CLI, 'app', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const started = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /segkit app: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`segkit app exited with ${code}: ${out}`)));
    });
    return { child, started };
  };

  it('prints the address it serves the app on, with the isolation headers, and stops on Ctrl-C', async () => {
    const { child, started } = startApp();
    try {
      const url = await started;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<script type="module" src="./app.js"></script>');
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      child.kill('SIGINT');
      expect(await code).toBe(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a Range header is ignored: a reversed range does not stop the server, a suffix range gets no wrong bytes', async () => {
    const { child, started } = startApp();
    try {
      const url = await started;
      const css = readFileSync(path.join(APP_DIR, 'app.css'));
      for (const range of ['bytes=3-2', 'bytes=-5', 'bytes=0-0', 'bytes=abc']) {
        const res = await fetch(`${url}app.css`, { headers: { Range: range } });
        expect(res.status, range).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(css), range).toBe(true);
      }
      expect(child.exitCode).toBe(null);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a file removed after the server started ends its response; the server goes on serving', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'segkit-app-dir-'));
    writeFileSync(path.join(folder, 'index.html'), '<!DOCTYPE html><title>x</title>');
    writeFileSync(path.join(folder, 'gone.js'), 'export {};');
    const server = await startAppServer({ port: 0, dir: folder });
    try {
      rmSync(path.join(folder, 'gone.js'));
      await expect(fetch(`${server.url}gone.js`).then((r) => r.text())).rejects.toThrow();
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('<!DOCTYPE html><title>x</title>');
    } finally {
      await server.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('every response carries the headers, a missing file and a refused method too', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'segkit-app-dir-'));
    writeFileSync(path.join(folder, 'index.html'), '<!DOCTYPE html><title>x</title>');
    const server = await startAppServer({ port: 0, dir: folder });
    try {
      const missing = await fetch(`${server.url}missing.js`);
      const post = await fetch(server.url, { method: 'POST' });
      expect([missing.status, post.status]).toEqual([404, 405]);
      for (const res of [missing, post]) for (const [k, v] of Object.entries(APP_HEADERS)) expect(res.headers.get(k), `${res.status} ${k}`).toBe(v);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await server.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a port in use is E_IO naming it, with the way out', async () => {
    const first = await startAppServer({ port: 0 });
    try {
      const port = Number(new URL(first.url).port);
      const e = await failure(() => startAppServer({ port }));
      expect(e.code).toBe('E_IO');
      expect(e.message).toContain(`port ${port} is in use`);
      expect(e.hint).toContain('--port 0');
    } finally {
      await first.close();
    }
  });
});
