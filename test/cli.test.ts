// Runs the built command (dist/cli/main.js) as a user would; `npm test` builds it first.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, Dictionary, Int32, RecordBatchStreamWriter, Table as ArrowTable, Utf8, tableFromIPC, tableToIPC, vectorFromArray, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentModel } from '../src/workflow/segmentModel.js';
import { formatNumber } from '../src/cli/formatTable.js';
import { readTable } from '../src/data/readTable.node.js';
import { writeTable } from '../src/data/writeTable.node.js';
import { close } from '../src/engine/defaultExecutor.js';
import { naiveSilhouette, normal, rng } from './helpers/reportFixture.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const PACKAGE_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

let dir = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function segkit(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Run {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env?.SEGKIT_DEBUG) delete env.SEGKIT_DEBUG;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input: options.input ?? '', encoding: 'utf8', env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: readonly string[], options?: { input?: string }): Run {
  const r = segkit(args, options);
  if (r.code !== 0) throw new Error(`segkit ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const path = (name: string) => join(dir, name);
const column = (t: Table, name: string) => Array.from(t.getChild(name)!.toArray() as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));

// ---- test data: three customer groups a k-means with standard scaling separates exactly -------------------------

const CENTRES = [
  [10, 20, 900],
  [200, 2, 80],
  [60, 8, 300],
];
const PER_GROUP = 60;
const N = 3 * PER_GROUP;

interface Customer {
  customer_id: string;
  recency: number;
  frequency: number;
  monetary: number | null;
  plan: string;
  truth: string;
}

function customers(): Customer[] {
  const rand = rng(11);
  const out: Customer[] = [];
  CENTRES.forEach(([r, f, m], g) => {
    for (let i = 0; i < PER_GROUP; i++) {
      out.push({
        customer_id: `c${String(out.length).padStart(4, '0')}`,
        recency: Math.max(0, Math.round(r * (1 + 0.08 * normal(rand)))),
        frequency: Math.max(0, Math.round(f * (1 + 0.1 * normal(rand)))),
        // A few missing values in the middle group, whose median fill keeps them in their group.
        monetary: g === 2 && i % 12 === 5 ? null : Math.round(m * (1 + 0.06 * normal(rand)) * 100) / 100,
        plan: ['gold', 'free', 'silver'][g],
        truth: ['A', 'B', 'C'][g],
      });
    }
  });
  // Interleave the groups so row order says nothing about them.
  return out.map((c, i) => ({ c, key: (i * 7919) % N })).sort((a, b) => a.key - b.key).map((x) => x.c);
}

function csvText(rows: Customer[]): string {
  const head = 'customer_id,recency,frequency,monetary,plan,truth';
  return [head, ...rows.map((r) => [r.customer_id, r.recency, r.frequency, r.monetary ?? '', r.plan, r.truth].join(','))].join('\n') + '\n';
}

/** numpy's median of the present values. */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The features as the CLI prepares them by default: median imputation, then z-scores with the population sd. */
function prepared(rows: Customer[]): { raw: number[][]; scaled: number[][] } {
  const fill = median(rows.filter((r) => r.monetary !== null).map((r) => r.monetary!));
  const raw = rows.map((r) => [r.recency, r.frequency, r.monetary ?? fill]);
  const d = 3;
  const mean = Array.from({ length: d }, (_, j) => raw.reduce((s, r) => s + r[j], 0) / raw.length);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(raw.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / raw.length));
  return { raw, scaled: raw.map((r) => r.map((v, j) => (v - mean[j]) / sd[j])) };
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

/** True when two labelings are the same partition (equal up to renaming the segments). */
function samePartition(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  if (a.length !== b.length) return false;
  const ab = new Map<unknown, unknown>();
  const ba = new Map<unknown, unknown>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.has(a[i]) && ab.get(a[i]) !== b[i]) || (ba.has(b[i]) && ba.get(b[i]) !== a[i])) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}

let rows: Customer[] = [];
let main: { summary: any; out: Table; run: Run };

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-cli-'));
  // output folders are never created by segkit
  for (const sub of ['out', 'scored', 'rfm']) mkdirSync(path(sub));
  rows = customers();
  writeFileSync(path('customers.csv'), csvText(rows));
  const table = await readTable(path('customers.csv'));
  for (const ext of ['json', 'ndjson', 'arrow', 'parquet']) await writeTable(path(`customers.${ext}`), table);
  const run = ok(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--threads', '2', '--out', 'out/segments.csv', '--model', 'out/model.json', '--report', 'out/report.html', '--json']);
  main = { run, summary: JSON.parse(run.stdout), out: await readTable(path('out/segments.csv')) };
});

afterAll(async () => {
  await close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('segkit segment', () => {
  it('writes the input rows with segment and segment_name columns, recovering the three groups', () => {
    const { out, summary } = main;
    expect(out.numRows).toBe(N);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'recency', 'frequency', 'monetary', 'plan', 'truth', 'segment', 'segment_name']);
    expect(column(out, 'customer_id')).toEqual(rows.map((r) => r.customer_id));
    const seg = column(out, 'segment') as number[];
    expect(new Set(seg)).toEqual(new Set([0, 1, 2]));
    expect(samePartition(seg, rows.map((r) => r.truth))).toBe(true);
    const names = column(out, 'segment_name');
    seg.forEach((s, i) => expect(names[i]).toBe(summary.segments[s].name));
  });

  it('prints a --json summary consistent with the output file and with an independent computation', () => {
    const { summary, out } = main;
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['k', 'inertia', 'silhouette', 'calinskiHarabasz', 'daviesBouldin', 'rows', 'features', 'segments']));
    expect(summary.k).toBe(3);
    expect(summary.rows).toBe(N);
    // The id column is found by name and the text columns are left out without --encode.
    expect(summary.features).toEqual(['recency', 'frequency', 'monetary']);
    expect(summary.kSweep).toBeUndefined();
    expect(summary.silhouetteSampleSize).toBeNull();
    const seg = column(out, 'segment') as number[];
    expect(summary.segments.reduce((s: number, x: { size: number }) => s + x.size, 0)).toBe(N);
    const { raw, scaled } = prepared(rows);
    for (const s of summary.segments) {
      const members = raw.filter((_, i) => seg[i] === s.id);
      expect(s.size).toBe(members.length);
      expect(s.share).toBeCloseTo(members.length / N, 12);
      expect(Object.keys(s.means)).toEqual(['recency', 'frequency', 'monetary']);
      // Means are in the customers' units: imputed, not scaled.
      ['recency', 'frequency', 'monetary'].forEach((f, j) => {
        expect(relErr(s.means[f], members.reduce((a, r) => a + r[j], 0) / members.length)).toBeLessThan(1e-6);
      });
    }
    // Metrics on the scaled features, recomputed here from their definitions.
    const sil = naiveSilhouette(scaled, seg, 3);
    expect(summary.silhouette).toBeCloseTo(sil.reduce((a, b) => a + b, 0) / N, 5);
    let inertia = 0;
    for (let c = 0; c < 3; c++) {
      const members = scaled.filter((_, i) => seg[i] === c);
      const centre = [0, 1, 2].map((j) => members.reduce((a, r) => a + r[j], 0) / members.length);
      for (const r of members) inertia += r.reduce((a, v, j) => a + (v - centre[j]) ** 2, 0);
    }
    expect(relErr(summary.inertia, inertia)).toBeLessThan(1e-5);
    expect(summary.calinskiHarabasz).toBeGreaterThan(0);
    expect(summary.daviesBouldin).toBeGreaterThan(0);
    // what the preparation did is said, on stderr and in the summary
    const missing = rows.filter((r) => r.monetary === null).length;
    expect(summary.missing).toEqual([{ column: 'monetary', count: missing }]);
    expect(summary.leftOut).toEqual([{ column: 'customer_id', reason: 'id' }, { column: 'plan', reason: 'text' }, { column: 'truth', reason: 'text' }]);
    const notes = [
      `filled missing values with the column's median: monetary ${missing}`,
      'left out of the features: customer_id (the id); plan, truth (text: --encode plan,truth to one-hot encode)',
    ];
    expect(summary.notices).toEqual(notes);
    expect(main.run.stderr).toBe(`${notes.join('\n')}\n`);
  });

  it('saves a model that SegmentModel.fromJSON loads and that predicts the same segments for the same rows', async () => {
    const model = SegmentModel.fromJSON(readFileSync(path('out/model.json'), 'utf8'));
    expect(model.k).toBe(3);
    expect(model.names).toEqual(main.summary.segments.map((s: { name: string }) => s.name));
    expect(model.segments.map((s) => s.size)).toEqual(main.summary.segments.map((s: { size: number }) => s.size));
    const labels = await model.predict(await readTable(path('customers.csv')), { threads: 1 });
    expect(Array.from(labels)).toEqual(column(main.out, 'segment'));
  });

  it('writes a self-contained HTML report with the charts, metrics and per-row silhouettes', () => {
    const html = readFileSync(path('out/report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain('data-chart="silhouette"');
    expect(main.summary.segments).toHaveLength(3);
    for (const s of main.summary.segments) expect(html).toContain(s.name);
    expect(html).toContain('Davies');
  });

  it('chooses k with --k auto, reporting the sweep and the reason', () => {
    const r = ok(['segment', 'customers.csv', '--k', 'auto', '--k-range', '2..5', '--seed', '1', '--threads', '2', '--json', '--report', 'auto.html']);
    const s = JSON.parse(r.stdout);
    expect(s.kSweep.map((x: { k: number }) => x.k)).toEqual([2, 3, 4, 5]);
    expect(s.k).toBe(3);
    expect(s.recommendation.k).toBe(3);
    expect(s.recommendation.reason).toMatch(/k = 3/);
    // The model at the chosen k is the one a fixed --k 3 with the same seed fits.
    expect(s.inertia).toBe(main.summary.inertia);
    expect(s.kSweep.find((x: { k: number }) => x.k === 3).silhouette).toBeCloseTo(main.summary.silhouette, 12);
    const html = readFileSync(path('auto.html'), 'utf8');
    expect(html).toContain('data-chart="elbow"');
    expect(html).toContain(s.recommendation.reason.slice(0, 20));
  });

  it('--k auto prints the stability the recommendation weighs in its table', () => {
    const json = JSON.parse(ok(['segment', 'customers.csv', '--k', 'auto', '--k-range', '2..5', '--seed', '1', '--threads', '1', '--json']).stdout);
    const text = ok(['segment', 'customers.csv', '--k', 'auto', '--k-range', '2..5', '--seed', '1', '--threads', '1']).stdout;
    const head = text.split('\n').find((l) => /^\s*k\s+inertia/.test(l))!;
    expect(head.split(/\s{2,}/).map((c) => c.trim()).filter(Boolean)).toEqual(['k', 'inertia', 'silhouette', 'stability', 'Calinski-Harabasz', 'Davies-Bouldin']);
    for (const row of json.kSweep as { k: number; stability: number }[]) {
      const line = text.split('\n').find((l) => new RegExp(`^\\s*${row.k}\\s`).test(l))!;
      expect(line.trim().split(/\s+/)[3]).toBe(formatNumber(row.stability));
    }
  });

  it('fits on the worker pool --threads asks for, and inline with --threads 1', () => {
    let r = segkit(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--threads', '2', '--quiet'], { env: { SEGKIT_DEBUG: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`fitting ${N} rows x 3 features (piscina executor, 2 threads)`);
    r = segkit(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--threads', '1', '--quiet'], { env: { SEGKIT_DEBUG: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`fitting ${N} rows x 3 features (inline executor, 1 thread)`);
  });

  it('prints a readable summary by default', () => {
    const r = ok(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--threads', '2']);
    expect(r.stdout).toContain(`${N} rows · 3 features · k = 3`);
    expect(main.summary.segments).toHaveLength(3);
    for (const s of main.summary.segments) expect(r.stdout).toContain(s.name);
    expect(r.stdout).toMatch(/silhouette 0\.\d+/);
  });

  it.each(['json', 'ndjson', 'arrow', 'parquet'])('reads .%s input and finds the same segments as from CSV', (ext) => {
    const s = JSON.parse(ok(['segment', `customers.${ext}`, '--k', '3', '--seed', '1', '--threads', '2', '--json']).stdout);
    expect(s.rows).toBe(N);
    expect(s.features).toEqual(['recency', 'frequency', 'monetary']);
    expect(s.segments.map((x: { size: number }) => x.size)).toEqual(main.summary.segments.map((x: { size: number }) => x.size));
    expect(s.inertia).toBeCloseTo(main.summary.inertia, 6);
  });

  it('writes --out in the format its extension names', async () => {
    ok(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--threads', '2', '--out', 'out/segments.parquet', '--quiet']);
    const t = await readTable(path('out/segments.parquet'));
    expect(t.numRows).toBe(N);
    expect(column(t, 'segment')).toEqual(column(main.out, 'segment'));
    expect(column(t, 'segment_name')).toEqual(column(main.out, 'segment_name'));
  });

  it('reads CSV from stdin with "-" and writes CSV to stdout with --out -, the summary going to stderr', async () => {
    const r = ok(['segment', '-', '--k', '3', '--seed', '1', '--threads', '2', '--out', '-'], { input: readFileSync(path('customers.csv'), 'utf8') });
    writeFileSync(path('from-stdin.csv'), r.stdout);
    const t = await readTable(path('from-stdin.csv'));
    expect(column(t, 'segment')).toEqual(column(main.out, 'segment'));
    expect(r.stderr).toContain('k = 3');
  });

  it('writes each CSV record as it was read, then its segment columns, as score does with the model it saved', async () => {
    // numbers written with trailing zeros, a text column of formulas, a null token and a quoted cell holding a comma,
    // doubled quotes and a line break; a byte order mark, CRLF line endings and an empty line
    // a number column the model does not read, whose cells "-5 " and "\t5" are numbers to the reader and formulas to
    // a spreadsheet: text to score, which reads the columns the model does not read as text
    const notes = ['=1+2', '-x', 'plain', '"a, ""q""\r\nline"', '@x', '-5', 'NA'];
    const extras = ['-5 ', '\t5', '1'];
    const lines = readFileSync(path('customers.csv'), 'utf8').trimEnd().split('\n');
    const records = lines.map((line, i) => {
      if (i === 0) return `${line},note,extra`;
      const cells = line.split(',');
      if (i % 3 === 0) cells[3] = Number(cells[3]).toFixed(3);
      return `${cells.join(',')},${notes[i % notes.length]},${extras[i % extras.length]}`;
    });
    writeFileSync(path('as-read.csv'), `\ufeff${records.slice(0, 50).join('\r\n')}\r\n\r\n${records.slice(50).join('\r\n')}\r\n`);
    ok(['segment', 'as-read.csv', '--k', '3', '--seed', '1', '--threads', '2', '--exclude', 'note,extra', '--out', 'out/as-read.csv', '--model', 'out/as-read.json', '--quiet']);
    ok(['score', 'as-read.csv', '--model', 'out/as-read.json', '--out', 'scored/as-read.csv', '--threads', '1']);
    const got = readFileSync(path('out/as-read.csv'), 'utf8');
    // score's records as read (held to exact bytes above) are segment's
    expect(got).toBe(readFileSync(path('scored/as-read.csv'), 'utf8'));
    expect(got.startsWith(`${records[0]},segment,segment_name\r\n`)).toBe(true);
    const segments = column(main.out, 'segment');
    // the cells as they were: 12.500 stays 12.500, NA stays NA; text that is a formula gets its apostrophe
    expect(got).toContain(`\r\n${records[6].slice(0, -',-5 '.length)},'-5 ,${segments[5]},`);
    expect(got).toContain(`\r\n${records[7].slice(0, -'=1+2,\t5'.length)}'=1+2,'\t5,${segments[6]},`);
    expect(got).toContain(`\r\n${records[2]},${segments[1]},`);
    // the same segments as the table written by segkit (TSV: another delimiter than the input's)
    ok(['segment', 'as-read.csv', '--k', '3', '--seed', '1', '--threads', '2', '--exclude', 'note,extra', '--out', 'out/as-read.tsv', '--quiet']);
    const [asRead, written] = [await readTable(path('out/as-read.csv')), await readTable(path('out/as-read.tsv'))];
    expect(column(asRead, 'segment')).toEqual(segments);
    expect(column(written, 'segment')).toEqual(segments);
    const id = records[6].split(',')[0];
    const tsvLine = readFileSync(path('out/as-read.tsv'), 'utf8').split('\n').find((line) => line.startsWith(`${id}\t`))!;
    expect(records[6].split(',')[3]).toMatch(/0$/);
    expect(tsvLine.split('\t')[3]).toBe(String(Number(records[6].split(',')[3])));
    // separated by semicolons: the cells are written by segkit, with commas
    writeFileSync(path('as-read-semi.csv'), `${records.filter((r) => !r.includes('"')).map((r) => r.replaceAll(',', ';')).join('\n')}\n`);
    ok(['segment', 'as-read-semi.csv', '--k', '3', '--seed', '1', '--threads', '2', '--exclude', 'note,extra', '--out', 'out/as-read-semi.csv', '--quiet']);
    const semi = readFileSync(path('out/as-read-semi.csv'), 'utf8').split('\n');
    expect(semi[0]).toBe(`${records[0]},segment,segment_name`);
    const semiLine = semi.find((line) => line.startsWith(`${id},`))!;
    expect(semiLine.split(',')[3]).toBe(String(Number(records[6].split(',')[3])));
  });

  it('one-hot encodes --encode columns; their means are the segment shares of each value', () => {
    const s = JSON.parse(ok(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--threads', '2', '--encode', 'plan', '--json']).stdout);
    expect(s.features).toEqual(['recency', 'frequency', 'monetary', 'plan=free', 'plan=gold', 'plan=silver']);
    expect(s.segments).toHaveLength(3);
    for (const seg of s.segments) {
      const total = seg.means['plan=free'] + seg.means['plan=gold'] + seg.means['plan=silver'];
      expect(total).toBeCloseTo(1, 6);
      // Each group has one plan, so a segment that is one group has one plan at share 1.
      expect(Math.max(seg.means['plan=free'], seg.means['plan=gold'], seg.means['plan=silver'])).toBe(1);
    }
  });
});

describe('segkit segment profiles', () => {
  it('profiles a column far from zero in its own digits (float32 would round 1e9 + 10 to 1e9)', () => {
    // three groups 10 apart on a, around 1e9, one value missing (imputed with the median)
    const lines = ['customer_id,a'];
    const values: number[] = [];
    for (let i = 0; i < 90; i++) {
      const a = 1e9 + 10 * (i % 3) + ((i * 7) % 10) / 10;
      values.push(a);
      lines.push(`c${i},${i === 4 ? '' : a}`);
    }
    writeFileSync(path('far.csv'), `${lines.join('\n')}\n`);
    const s = JSON.parse(ok(['segment', 'far.csv', '--k', '3', '--seed', '1', '--impute', 'median', '--out', 'out/far.csv', '--json', '--threads', '1']).stdout);
    const seg = readFileSync(path('out/far.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    const sorted = values.filter((_, i) => i !== 4).sort((x, y) => x - y);
    const median = (sorted[43] + sorted[44]) / 2;
    const means = summaryMeans(s.segments, seg, values.map((v, i) => (i === 4 ? median : v)));
    for (const [got, want] of means) expect(Math.abs(got - want)).toBeLessThan(1e-6);
    // the groups are 10 apart: the profiles say so
    const sortedMeans = means.map(([got]) => got).sort((x, y) => x - y);
    expect(sortedMeans[1] - sortedMeans[0]).toBeGreaterThan(9);
    expect(sortedMeans[2] - sortedMeans[1]).toBeGreaterThan(9);
  });
});

/** Each segment's reported mean of "a" beside the mean of its members' values, computed in float64. */
function summaryMeans(segments: { id: number; means: Record<string, number> }[], seg: number[], values: number[]): [number, number][] {
  return segments.map((x) => {
    const members = values.filter((_, i) => seg[i] === x.id);
    return [x.means.a, members.reduce((p, v) => p + v, 0) / members.length];
  });
}

describe('segkit score', () => {
  it('streams CSV in batches and reproduces the segment column', async () => {
    const r = ok(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/scored.csv', '--batch-size', '50', '--threads', '2']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`scored ${N} rows in [\\d.]+ s \\([\\d,]+ rows/s\\)`));
    const t = await readTable(path('scored/scored.csv'));
    expect(t.numRows).toBe(N);
    expect(column(t, 'customer_id')).toEqual(rows.map((x) => x.customer_id));
    expect(column(t, 'segment')).toEqual(column(main.out, 'segment'));
    expect(column(t, 'segment_name')).toEqual(column(main.out, 'segment_name'));
    // batches after the first are formatted on a worker thread: the same bytes as one batch formatted here, as TSV too
    ok(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/one-batch.csv', '--batch-size', '1000', '--threads', '1']);
    expect(readFileSync(path('scored/scored.csv')).equals(readFileSync(path('scored/one-batch.csv')))).toBe(true);
    ok(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/batches.tsv', '--batch-size', '7', '--threads', '1']);
    ok(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/one-batch.tsv', '--batch-size', '1000', '--threads', '1']);
    expect(readFileSync(path('scored/batches.tsv')).equals(readFileSync(path('scored/one-batch.tsv')))).toBe(true);
  });

  it('writes each CSV record as it was read, then its segment columns: formulas in text cells escaped, CRLF kept', async () => {
    // numbers the model reads in other forms, a note column of text cells (formulas, a null token, a quoted cell
    // with a comma, doubled quotes and a line break), a byte order mark, CRLF line endings and an empty line; then
    // the same without the quoted cell and with LF endings, over 1 MiB, whose slices after the first the reader
    // splits as bytes
    const notes = ['=1+2', '+x', '@x', '-x', '-5', '-', 'plain', '"a, ""q""\r\nline"', '\tx', '\uff1d1', '\ufeff=1', '\ufeffx'];
    const escaped = ["'=1+2", "'+x", "'@x", "'-x", '-5', '-', 'plain', '"a, ""q""\r\nline"', "'\tx", "'\uff1d1", "'\ufeff=1", '\ufeffx'];
    const lines = readFileSync(path('customers.csv'), 'utf8').trimEnd().split('\n');
    for (const [eol, quoted, copies] of [['\r\n', notes[7], 1], ['\n', 'unquoted', 120]] as const) {
      const note = (i: number) => (i % notes.length === 7 ? quoted : notes[i % notes.length]);
      const records = [lines[0], ...Array.from({ length: copies }, () => lines.slice(1)).flat()].map((line, i) => {
        if (i === 0) return `${line},note`;
        const cells = line.split(',');
        if (i % 3 === 0 && cells[3] !== '') cells[3] = Number(cells[3]).toFixed(3);
        return `${cells.join(',')},${note(i)}`;
      });
      const text = `\ufeff${records.slice(0, 90).join(eol)}${eol}${eol}${records.slice(90).join(eol)}${eol}`;
      writeFileSync(path('written.csv'), text);
      ok(['score', 'written.csv', '--model', 'out/model.json', '--out', 'scored/written.csv', '--batch-size', '7', '--threads', '1']);
      ok(['score', 'written.csv', '--model', 'out/model.json', '--out', 'scored/written-one.csv', '--batch-size', '1000', '--threads', '1']);
      const got = readFileSync(path('scored/written.csv'), 'utf8');
      expect(readFileSync(path('scored/written-one.csv'), 'utf8')).toBe(got);
      // the segments, from the same file scored with its cells written by segkit (--keep names every column)
      ok(['score', 'written.csv', '--model', 'out/model.json', '--out', 'scored/written-kept.csv', '--keep', records[0], '--threads', '1']);
      const kept = await readTable(path('scored/written-kept.csv'));
      expect(kept.numRows).toBe(N * copies);
      expect(column(kept, 'segment')).toEqual(Array.from({ length: copies }, () => column(main.out, 'segment')).flat());
      const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      const ids = column(kept, 'segment'), names = column(kept, 'segment_name');
      const expected = [`${records[0]},segment,segment_name`, ...records.slice(1).map((r, i) => {
        const cells = r.split(',');
        const cell = (i + 1) % notes.length === 7 ? quoted : escaped[(i + 1) % notes.length];
        // the quoted note holds a comma: it is all the cells after the sixth
        return `${cells.slice(0, 6).join(',')},${cell},${ids[i]},${quote(String(names[i]))}`;
      })];
      expect(got).toBe(`${expected.join(eol)}${eol}`);
    }
  });

  it('escapes a formula that is a null token, and a "-" that is not one, when it writes records as read', () => {
    const lines = readFileSync(path('customers.csv'), 'utf8').trimEnd().split('\n');
    const cells = ['-', '=x', 'NA'];
    writeFileSync(path('tokens.csv'), `${lines.map((line, i) => `${line},${i === 0 ? 'note' : cells[i % 3]}`).join('\n')}\n`);
    ok(['score', 'tokens.csv', '--model', 'out/model.json', '--out', 'scored/tokens.csv', '--na', '=x,NA', '--threads', '1']);
    const out = readFileSync(path('scored/tokens.csv'), 'utf8').trimEnd().split('\n');
    expect(out.slice(1, 4).map((line) => line.split(',')[6])).toEqual(["'=x", 'NA', "'-"]);
  });

  it('a record with too few fields is an error naming its line when records are written as read', () => {
    const lines = readFileSync(path('customers.csv'), 'utf8').trimEnd().split('\n');
    // a quoted cell sends the slice through the quote-aware parser, which hands over each record's fields
    writeFileSync(path('short.csv'), `${lines[0]},note\n${lines[1]},"x"\n${lines[2].split(',').slice(0, 2).join(',')}\n`);
    const r = segkit(['score', 'short.csv', '--model', 'out/model.json', '--out', 'scored/short.csv', '--threads', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 3 has 2 fields but the header has 7');
    expect(existsSync(path('scored/short.csv'))).toBe(false);
  });

  it('writes the cells of columns the model does not read as they were, past the first batch too', () => {
    // a column of numbers in the first batch, then cells inference would keep as text: an account number beyond
    // 2^53, a code with leading zeros, and numbers written in other ways
    const odd = ['9007199254740993', '007', '1E5', '2.50', '-0'];
    const lines = readFileSync(path('customers.csv'), 'utf8').trimEnd().split('\n');
    const withCode = lines.map((line, i) => `${line},${i === 0 ? 'account' : i > 60 && i <= 60 + odd.length ? odd[i - 61] : String(1000 + i)}`);
    writeFileSync(path('accounts.csv'), `${withCode.join('\n')}\n`);
    ok(['score', 'accounts.csv', '--model', 'out/model.json', '--out', 'scored/accounts.csv', '--batch-size', '50', '--threads', '1']);
    const out = readFileSync(path('scored/accounts.csv'), 'utf8').trimEnd().split('\n');
    const header = out[0].split(',');
    const at = header.indexOf('account');
    expect(at).toBe(withCode[0].split(',').length - 1);
    expect(out.slice(61, 61 + odd.length).map((line) => line.split(',')[at])).toEqual(odd);
    expect(out.slice(1, 4).map((line) => line.split(',')[at])).toEqual(['1001', '1002', '1003']);
    // a typed output infers the column's type from the first batch: the account number is an error naming its line
    const r = segkit(['score', 'accounts.csv', '--model', 'out/model.json', '--out', 'scored/accounts.arrow', '--batch-size', '50', '--threads', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"accounts.csv": line 62, column "account": "9007199254740993" is a number only as text');
    expect(r.stderr).toContain('CSV output keeps the columns the model does not read as written');
    expect(existsSync(path('scored/accounts.arrow'))).toBe(false);
  });

  it('reports rows, rows/s and segment sizes with --json', () => {
    const s = JSON.parse(ok(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/s2.csv', '--batch-size', '64', '--threads', '1', '--json']).stdout);
    expect(s.rows).toBe(N);
    expect(s.unscored).toBe(0);
    expect(s.rowsPerSecond).toBeGreaterThan(0);
    expect(s.segments.map((x: { size: number }) => x.size)).toEqual(main.summary.segments.map((x: { size: number }) => x.size));
  });

  it('streams Arrow IPC input batch by batch to Arrow and CSV output', async () => {
    // an Arrow stream of several record batches, as other tools write large files
    const table = await readTable(path('customers.csv'));
    const writer = new RecordBatchStreamWriter();
    for (let start = 0; start < table.numRows; start += 37) writer.write(table.slice(start, start + 37).batches[0]);
    writeFileSync(path('customers-batches.arrow'), writer.finish().toUint8Array(true));
    for (const input of ['customers-batches.arrow', 'customers.arrow']) {
      const s = JSON.parse(ok(['score', input, '--model', 'out/model.json', '--out', 'scored/scored.arrow', '--threads', '2', '--json']).stdout);
      expect(s.rows).toBe(N);
      const bytes = readFileSync(path('scored/scored.arrow'));
      // the file format, written batch by batch: one record batch per input batch
      expect(bytes.subarray(0, 6).toString()).toBe('ARROW1');
      const t = tableFromIPC(bytes);
      expect(t.batches.length).toBe(input === 'customers.arrow' ? 1 : Math.ceil(N / 37));
      expect(column(t, 'customer_id')).toEqual(rows.map((x) => x.customer_id));
      expect(column(t, 'segment')).toEqual(column(main.out, 'segment'));
      expect(column(t, 'segment_name')).toEqual(column(main.out, 'segment_name'));
      // the names as one dictionary for the whole file, each name stored once
      const names = t.getChild('segment_name')!;
      expect(String(names.type)).toBe('Dictionary<Int32, Utf8>');
      expect(new Set(names.data.map((d) => d.dictionary)).size).toBe(1);
      expect([...names.data[0].dictionary!]).toEqual(main.summary.segments.map((x: { name: string }) => x.name));
      ok(['score', input, '--model', 'out/model.json', '--out', 'scored/from-arrow.csv', '--threads', '1']);
      const c = await readTable(path('scored/from-arrow.csv'));
      expect(column(c, 'segment')).toEqual(column(main.out, 'segment'));
      expect(column(c, 'segment_name')).toEqual(column(main.out, 'segment_name'));
    }
    // outputs written whole keep every batch to the end: each batch must keep its own rows (batches read into
    // recycled buffers would come out as copies of later ones)
    for (const ext of ['ndjson', 'json', 'parquet']) {
      ok(['score', 'customers-batches.arrow', '--model', 'out/model.json', '--out', `scored/whole.${ext}`, '--threads', '2']);
      const w = await readTable(path(`scored/whole.${ext}`));
      expect(column(w, 'customer_id'), ext).toEqual(rows.map((x) => x.customer_id));
      expect(column(w, 'segment'), ext).toEqual(column(main.out, 'segment'));
    }
    expect(readdirSync(path('scored')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--keep carries only the named input columns, in that order, before the segment columns', async () => {
    const table = await readTable(path('customers.csv'));
    const writer = new RecordBatchStreamWriter();
    for (let start = 0; start < table.numRows; start += 37) writer.write(table.slice(start, start + 37).batches[0]);
    writeFileSync(path('keep-batches.arrow'), writer.finish().toUint8Array(true));
    ok(['score', 'keep-batches.arrow', '--model', 'out/model.json', '--out', 'scored/ids.arrow', '--keep', 'customer_id', '--threads', '2']);
    const t = tableFromIPC(readFileSync(path('scored/ids.arrow')));
    expect(t.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'segment', 'segment_name']);
    expect(t.batches.length).toBe(Math.ceil(N / 37));
    expect(column(t, 'customer_id')).toEqual(rows.map((x) => x.customer_id));
    expect(column(t, 'segment')).toEqual(column(main.out, 'segment'));
    expect(column(t, 'segment_name')).toEqual(column(main.out, 'segment_name'));
    ok(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/kept.csv', '--keep', 'monetary,customer_id', '--batch-size', '50']);
    const c = await readTable(path('scored/kept.csv'));
    expect(c.schema.fields.map((f) => f.name)).toEqual(['monetary', 'customer_id', 'segment', 'segment_name']);
    // missing values stay missing (read cell by cell: toArray gives 0 for a null)
    expect(Array.from({ length: N }, (_, i) => c.getChild('monetary')!.get(i))).toEqual(rows.map((x) => x.monetary));
    expect(column(c, 'segment')).toEqual(column(main.out, 'segment'));
    const r = segkit(['score', 'customers.csv', '--model', 'out/model.json', '--out', 'scored/none.csv', '--keep', 'customer_id,spend']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--keep: column "spend" is not in "customers\.csv"/);
    expect(existsSync(path('scored/none.csv'))).toBe(false);
  });

  it('keeps an input\'s own dictionary columns beside the segment names (dictionary ids as other tools number them, from 0)', async () => {
    const table = await readTable(path('customers.csv'));
    const cols: Record<string, unknown> = {};
    for (const f of table.schema.fields) cols[f.name] = table.getChild(f.name);
    // a categorical column with dictionary id 0, as pyarrow writes pandas categoricals
    cols.plan = vectorFromArray(rows.map((x) => x.plan), new Dictionary(new Utf8(), new Int32(), 0));
    writeFileSync(path('dict-input.arrow'), tableToIPC(new ArrowTable(cols as never), 'file'));
    const plans = rows.map((x) => x.plan);
    for (const out of ['scored/dict.arrow', 'scored/dict.csv']) {
      ok(['score', 'dict-input.arrow', '--model', 'out/model.json', '--out', out, '--threads', '1']);
      const t = out.endsWith('.arrow') ? tableFromIPC(readFileSync(path(out))) : await readTable(path(out));
      expect(column(t, 'segment')).toEqual(column(main.out, 'segment'));
      expect(column(t, 'segment_name')).toEqual(column(main.out, 'segment_name'));
      expect(Array.from({ length: N }, (_, i) => t.getChild('plan')!.get(i))).toEqual(plans);
    }
    // segment on it, and segkit's own Arrow output scored again under another segment column
    ok(['segment', 'dict-input.arrow', '--k', '3', '--seed', '1', '--threads', '1', '--out', 'scored/dict-seg.arrow']);
    ok(['score', 'scored/dict-seg.arrow', '--model', 'out/model.json', '--out', 'scored/dict-again.arrow', '--segment-column', 'seg2', '--threads', '1']);
    const again = tableFromIPC(readFileSync(path('scored/dict-again.arrow')));
    expect(column(again, 'seg2')).toEqual(column(main.out, 'segment'));
    expect(again.schema.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['segment_name', 'seg2_name', 'plan']));
    const ids = again.schema.fields.filter((f) => DataType.isDictionary(f.type)).map((f) => (f.type as Dictionary).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('scores Parquet input to Parquet output, and stdin to stdout', async () => {
    ok(['score', 'customers.parquet', '--model', 'out/model.json', '--out', 'scored/scored.parquet', '--threads', '2']);
    expect(column(await readTable(path('scored/scored.parquet')), 'segment')).toEqual(column(main.out, 'segment'));
    const r = ok(['score', '-', '--model', 'out/model.json', '--out', '-', '--threads', '2'], { input: readFileSync(path('customers.csv'), 'utf8') });
    writeFileSync(path('scored/stdout.csv'), r.stdout);
    expect(column(await readTable(path('scored/stdout.csv')), 'segment')).toEqual(column(main.out, 'segment'));
    // several batches to standard output, in order
    const batches = ok(['score', '-', '--model', 'out/model.json', '--out', '-', '--batch-size', '40', '--threads', '2'], { input: readFileSync(path('customers.csv'), 'utf8') });
    expect(batches.stdout).toBe(r.stdout);
  });

  it('fails with exit 1 naming the column when the input lacks one the model reads, leaving no output', () => {
    writeFileSync(path('no-recency.csv'), 'customer_id,frequency,monetary\nx,1,2\n');
    const r = segkit(['score', 'no-recency.csv', '--model', 'out/model.json', '--out', 'scored/none.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-recency\.csv.*"recency"/);
    expect(existsSync(path('scored/none.csv'))).toBe(false);
  });

  it('fails with exit 1 on a corrupt or damaged model file, naming the file and the field', () => {
    writeFileSync(path('corrupt.json'), '{"format": "segkit.model", "version": 1, ');
    let r = segkit(['score', 'customers.csv', '--model', 'corrupt.json', '--out', 'scored/x.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^segkit: error: model "corrupt\.json": the model is not valid JSON/);
    const damaged = JSON.parse(readFileSync(path('out/model.json'), 'utf8'));
    damaged.model.centroids[0][1] = 'x';
    writeFileSync(path('damaged.json'), JSON.stringify(damaged));
    r = segkit(['score', 'customers.csv', '--model', 'damaged.json', '--out', 'scored/x.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/damaged\.json.*"model\.centroids\[0\]\[1\]"/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('segkit rfm', () => {
  // As of 2024-03-31: A orders 1001, 1010, 1020 (25 + 30 + 15, minus the 15 cancelled) last on 03-28;
  // B one order of 40 on 01-06 (85 days: 2024 is a leap year); C 50 + 24, last 03-01; E two orders on 03-30.
  const LOG = [
    'customer,invoice,date,quantity,amount',
    'A,1001,2024-01-05,2,20',
    'A,1001,2024-01-05,1,5',
    'B,1002,2024-01-06,4,40',
    'A,1010,2024-02-10,3,30',
    'C,1003,2024-02-01,5,50',
    'C,1011,2024-03-01,2,24',
    'A,1020,2024-03-28,1,15',
    'A,C1021,2024-03-29,-1,-15',
    'E,1005,2024-03-30,10,100',
    'E,1006,2024-03-30,1,12.5',
  ].join('\n');

  it('computes recency, frequency and monetary per customer', async () => {
    writeFileSync(path('log.csv'), `${LOG}\n`);
    const r = ok(['rfm', 'log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--invoice', 'invoice', '--quantity', 'quantity', '--as-of', '2024-03-31', '--out', 'rfm/rfm.csv', '--json']);
    const t = await readTable(path('rfm/rfm.csv'));
    expect(column(t, 'customer')).toEqual(['A', 'B', 'C', 'E']);
    expect(column(t, 'recency')).toEqual([3, 85, 30, 1]);
    expect(column(t, 'frequency')).toEqual([3, 1, 2, 2]);
    expect(column(t, 'monetary')).toEqual([55, 40, 74, 112.5]);
    expect(t.schema.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['r_score', 'f_score', 'm_score', 'rfm_code', 'segment']));
    const s = JSON.parse(r.stdout);
    expect(s.customers).toBe(4);
    expect(s.transactions).toBe(10);
    expect(s.segments.reduce((a: number, x: { customers: number }) => a + x.customers, 0)).toBe(4);
    const segs = column(t, 'segment');
    for (const x of s.segments) expect(x.customers).toBe(segs.filter((v) => v === x.segment).length);
  });

  it('segmenting an RFM table reports each segment\'s RFM label mix', async () => {
    writeFileSync(path('log.csv'), `${LOG}\n`);
    ok(['rfm', 'log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--invoice', 'invoice', '--as-of', '2024-03-31', '--out', 'rfm-mix.csv', '--quiet']);
    const t = await readTable(path('rfm-mix.csv'));
    const r = ok(['segment', 'rfm-mix.csv', '--k', '2', '--seed', '1', '--columns', 'recency,frequency,monetary', '--json', '--quiet']);
    const s = JSON.parse(r.stdout);
    const rfmLabels = column(t, 'segment') as string[];
    for (const seg of s.segments) {
      const mix = seg.rfmMix as Record<string, number>;
      expect(Object.values(mix).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const label of Object.keys(mix)) expect(rfmLabels).toContain(label);
    }
    // every customer's RFM label is counted in exactly one segment
    const counted = s.segments.reduce((a: number, seg: { size: number; rfmMix: Record<string, number> }) => a + Object.values(seg.rfmMix).reduce((x, y) => x + y * seg.size, 0), 0);
    expect(counted).toBeCloseTo(t.numRows, 9);
  });

  it('counts purchase days as frequency without --invoice, and prints a table', () => {
    const r = ok(['rfm', '-', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--as-of', '2024-03-31', '--out', '-'], { input: `${LOG}\n` });
    const lines = r.stdout.trim().split('\n');
    expect(lines[0].split(',').slice(0, 4)).toEqual(['customer', 'recency', 'frequency', 'monetary']);
    // E bought twice on one day: one purchase day. A's cancellation has a negative amount, so it is a return.
    expect(lines.find((l) => l.startsWith('E,'))!.split(',').slice(1, 4)).toEqual(['1', '1', '112.5']);
    expect(lines.find((l) => l.startsWith('A,'))!.split(',').slice(1, 4)).toEqual(['3', '3', '55.0']);
    expect(r.stderr).toContain('4 customers from 10 transactions');
  });

  it('an output that is an input under another name (a hard or symbolic link) is refused; a different file is not', () => {
    linkSync(path('customers.csv'), path('hard.csv'));
    symlinkSync(path('customers.csv'), path('soft.csv'));
    mkdirSync(path('real/sub'), { recursive: true });
    symlinkSync(path('real/sub'), path('link'));
    try {
      for (const [input, out] of [['hard.csv', 'customers.csv'], ['customers.csv', 'soft.csv'], ['link/../customers.csv', 'real/customers.csv']]) {
        writeFileSync(path('real/customers.csv'), readFileSync(path('customers.csv')));
        const r = segkit(['segment', input, '--k', '2', '--threads', '1', '--model', out]);
        expect(r.code, `${input} -> ${out}`).toBe(2);
        expect(r.stderr, `${input} -> ${out}`).toMatch(/--model ".*" would replace the input/);
      }
      // link/.. is real/, not this folder: its customers.csv is another file
      rmSync(path('real/customers.csv'));
      expect(segkit(['segment', 'customers.csv', '--k', '2', '--threads', '1', '--quiet', '--out', 'link/../customers.csv']).code).toBe(0);
      expect(existsSync(path('real/customers.csv'))).toBe(true);
    } finally {
      for (const f of ['hard.csv', 'soft.csv', 'link']) rmSync(path(f), { force: true });
      rmSync(path('real'), { recursive: true, force: true });
    }
  });

  it('segkit segment reads a column named by --id as written', () => {
    writeFileSync(path('ids.csv'), 'code,a,b\n007,1,2\n+4915112345,1.5,2.5\n1E5,10,11\n12345678901234567890,10.5,11\n0012,20,1\n4,21,1\n');
    const r = ok(['segment', 'ids.csv', '--k', '2', '--id', 'code', '--threads', '1', '--out', '-', '--quiet']);
    // (a signed number is no formula: written as it is; "+49 151" would get a leading ')
    expect(r.stdout.trim().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(['007', '+4915112345', '1E5', '12345678901234567890', '0012', '4']);
  });

  it('segkit segment reads the id it finds by its name as written too, whichever way it writes the output', () => {
    const ids = ['+4915112345', '1E5', '12000.0', '10', '1e3', '5'];
    const rows = ['customer_id;a;b', ...ids.map((id, i) => `${id};${[1, 2, 30, 31, 1.5, 30][i]};${[2, 3, 40, 41, 2, 42][i]}`)];
    writeFileSync(path('named-ids.csv'), `${rows.join('\n')}\n`);
    const first = (text: string) => text.trim().split(/\r?\n/).slice(1).map((l) => l.split(',')[0]);
    // a semicolon file to standard output, then to a file; then that output read back (its segment columns replaced)
    expect(first(ok(['segment', 'named-ids.csv', '--k', '2', '--threads', '1', '--out', '-', '--quiet']).stdout)).toEqual(ids);
    // standard input, its header line read ahead and given back to the reader
    const piped = ok(['segment', '-', '--k', '2', '--threads', '1', '--out', '-', '--quiet'], { input: readFileSync(path('named-ids.csv'), 'utf8') });
    expect(first(piped.stdout)).toEqual(ids);
    expect(piped.stdout.trim().split('\n').slice(1).map((l) => l.split(',').slice(1, 4).join(','))).toEqual(['1.0,2,1', '2.0,3,1', '30.0,40,0', '31.0,41,0', '1.5,2,1', '30.0,42,0']);
    ok(['segment', 'named-ids.csv', '--k', '2', '--threads', '1', '--out', 'named-ids-out.csv', '--model', 'named-ids.json', '--quiet']);
    expect(first(readFileSync(path('named-ids-out.csv'), 'utf8'))).toEqual(ids);
    ok(['segment', 'named-ids-out.csv', '--k', '2', '--threads', '1', '--out', 'named-ids-again.csv', '--quiet']);
    expect(first(readFileSync(path('named-ids-again.csv'), 'utf8'))).toEqual(ids);
    // as score writes them with the model segment saved
    ok(['score', 'named-ids.csv', '--model', 'named-ids.json', '--out', 'named-ids-scored.csv', '--quiet']);
    expect(readFileSync(path('named-ids-scored.csv'), 'utf8')).toBe(readFileSync(path('named-ids-out.csv'), 'utf8'));
  });

  it('notes a default as-of day after today, naming the latest transaction\'s line; not with --as-of or a log of the past', () => {
    // line 5 typed 2205 for 2024: without a note, every other customer's recency would be about 66,000 days
    const log = LOG.replace('A,1010,2024-02-10', 'A,1010,2205-02-10');
    const r = ok(['rfm', '-', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--out', '-'], { input: `${log}\n` });
    const note = /recency counts to 2205-02-11, the day after the log's latest transaction \(line 5\), which is after today \(\d{4}-\d\d-\d\d\): check that date, or give --as-of/;
    expect(r.stderr).toMatch(note);
    const b = r.stdout.trim().split('\n').find((l) => l.startsWith('B,'))!.split(',');
    expect(Number(b[1])).toBe(Math.round((Date.UTC(2205, 1, 11) - Date.UTC(2024, 0, 6)) / 86_400_000));
    expect(ok(['rfm', '-', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--as-of', '2024-03-31', '--out', '-'], { input: `${log}\n` }).stderr).not.toMatch(/recency counts to/);
    expect(ok(['rfm', '-', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--out', '-'], { input: `${LOG}\n` }).stderr).not.toMatch(/recency counts to/);
  });

  it('names a date written as a number by its line, as the reader words it (no prepared value: rfm has no model)', () => {
    writeFileSync(path('numdate.csv'), 'customer,date,amount\nA,20240101,5\n');
    const r = segkit(['rfm', 'numdate.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"numdate\.csv": line 2, column "date" holds the number 20240101, which as epoch milliseconds is 1970-01-01T05:37:20\.101Z/);
    expect(r.stderr).not.toMatch(/prepared/);
  });

  it('reads customer ids as written: 007 and 7, 1E5 and 100000, and ids beyond 2^53 stay apart', () => {
    const log = 'customer,date,amount\n007,2024-01-01,5\n7,2024-01-02,7\n1E5,2024-01-03,1\n100000,2024-01-03,2\n9007199254740993,2024-01-02,3\n9007199254740992,2024-01-02,4\n';
    const r = ok(['rfm', '-', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--out', '-', '--quiet'], { input: log });
    const rows = r.stdout.trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 4));
    expect(rows.map((c) => c[0]).sort()).toEqual(['007', '100000', '1E5', '7', '9007199254740992', '9007199254740993']);
    expect(rows.find((c) => c[0] === '007')![3]).toBe('5.0');
    expect(rows.find((c) => c[0] === '9007199254740993')![3]).toBe('3.0');
  });
});

describe('segkit evaluate and choose-k', () => {
  it('evaluate gives the segment run\'s metrics for its labels, and perfect agreement with the true groups', () => {
    const s = JSON.parse(ok(['evaluate', 'out/segments.csv', '--labels', 'segment', '--truth', 'truth', '--threads', '2', '--json']).stdout);
    expect(s.rows).toBe(N);
    expect(s.k).toBe(3);
    expect(s.features).toEqual(['recency', 'frequency', 'monetary']);
    expect(s.silhouette).toBeCloseTo(main.summary.silhouette, 6);
    expect(relErr(s.inertia, main.summary.inertia)).toBeLessThan(1e-5);
    expect(relErr(s.calinskiHarabasz, main.summary.calinskiHarabasz)).toBeLessThan(1e-5);
    expect(relErr(s.daviesBouldin, main.summary.daviesBouldin)).toBeLessThan(1e-5);
    expect(s.external.adjustedRand).toBeCloseTo(1, 12);
    expect(s.external.vMeasure).toBeCloseTo(1, 12);
    // Text labels are the same partition as the ids, so the same scores.
    const byName = JSON.parse(ok(['evaluate', 'out/segments.csv', '--labels', 'segment_name', '--threads', '2', '--json']).stdout);
    expect(byName.silhouette).toBeCloseTo(s.silhouette, 12);
    const readable = ok(['evaluate', 'out/segments.csv', '--labels', 'segment', '--truth', 'truth']).stdout;
    expect(readable).toMatch(/adjusted Rand\s+1/);
  });

  it('evaluate names the segment id of each size when the ids skip some (a filtered file)', () => {
    const lines = readFileSync(path('out/segments.csv'), 'utf8').trimEnd().split('\n');
    const at = lines[0].split(',').indexOf('segment');
    // segment 1 filtered out: sizes[1] is segment 2's
    const kept = lines.slice(1).filter((line) => line.split(',')[at] !== '1');
    writeFileSync(path('filtered.csv'), `${[lines[0], ...kept].join('\n')}\n`);
    const count = (id: string) => kept.filter((line) => line.split(',')[at] === id).length;
    const s = JSON.parse(ok(['evaluate', 'filtered.csv', '--labels', 'segment', '--threads', '1', '--json']).stdout);
    expect(s.k).toBe(2);
    expect(s.ids).toEqual([0, 2]);
    expect(s.sizes).toEqual([count('0'), count('2')]);
    expect(s.names).toBeUndefined();
  });

  it('evaluate samples the silhouette above --sample-size', () => {
    const s = JSON.parse(ok(['evaluate', 'out/segments.csv', '--labels', 'segment', '--sample-size', '100', '--seed', '3', '--json']).stdout);
    expect(s.silhouetteSampleSize).toBe(100);
    expect(Math.abs(s.silhouette - main.summary.silhouette)).toBeLessThan(0.1);
  });

  it('choose-k prints the sweep and recommends the number of groups', () => {
    const s = JSON.parse(ok(['choose-k', 'customers.csv', '--k-range', '2..5', '--seed', '1', '--threads', '2', '--json']).stdout);
    expect(s.table.map((r: { k: number }) => r.k)).toEqual([2, 3, 4, 5]);
    expect(s.recommendedK).toBe(3);
    expect(s.silhouetteK).toBe(3);
    expect(s.table[1].inertia).toBe(main.summary.inertia);
    expect(typeof s.reason).toBe('string');
    // the stability of each k (mean adjusted Rand index of resampled fits), the most stable k and how stable the
    // recommended one is, as chooseK gives them
    const stability = s.table.map((r: { stability: number }) => r.stability);
    expect(stability.every((v: number) => v >= -1 && v <= 1)).toBe(true);
    expect(s.stabilityK).toBe(s.table[stability.indexOf(Math.max(...stability))].k);
    const ari = s.table.find((r: { k: number }) => r.k === s.recommendedK).stability;
    expect(s.stabilityOfRecommended).toBe(ari >= 0.8 ? 'stable' : ari >= 0.6 ? 'fair' : 'unstable');
    const readable = ok(['choose-k', 'customers.csv', '--k-range', '2..5', '--seed', '1', '--threads', '2']).stdout;
    expect(readable).toMatch(/recommended k = 3/);
    const lines = readable.split('\n');
    const header = lines.findIndex((l) => l.startsWith('k  inertia'));
    expect(lines[header].split(/\s{2,}/)).toEqual(['k', 'inertia', 'silhouette', 'stability', 'Calinski-Harabasz', 'Davies-Bouldin', 'iterations']);
    lines.slice(header + 2, header + 6).forEach((l, i) => expect(Number(l.trim().split(/\s+/)[3])).toBeCloseTo(stability[i], 3));
    expect(lines[header + 2 + stability.indexOf(Math.max(...stability))]).toContain('most stable');
  });
});

describe('usage and failures', () => {
  it('--version prints the package version; --help on every command shows examples', () => {
    expect(ok(['--version']).stdout.trim()).toBe(PACKAGE_VERSION);
    expect(ok(['-V']).stdout.trim()).toBe(PACKAGE_VERSION);
    for (const cmd of ['segment', 'score', 'rfm', 'evaluate', 'choose-k']) {
      const r = ok([cmd, '--help']);
      expect(r.stdout).toContain(`Usage: segkit ${cmd}`);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain(`$ segkit ${cmd}`);
    }
  });

  const RFM = ['rfm', 'log.csv', '--date', 'date', '--amount', 'amount'];
  const usage: [string, string[], RegExp][] = [
    ['--k abc', ['segment', 'customers.csv', '--k', 'abc'], /--k .*'abc' is invalid/],
    ['--k 1', ['segment', 'customers.csv', '--k', '1'], /--k .*'1' is invalid/],
    ['--k-range 5..2', ['segment', 'customers.csv', '--k-range', '5..2'], /--k-range .*'5\.\.2' is invalid/],
    ['--k-range text', ['choose-k', 'customers.csv', '--k-range', 'two'], /--k-range .*'two' is invalid/],
    ['--k with --k-range', ['segment', 'customers.csv', '--k', '3', '--k-range', '2..5'], /--k-range only applies with --k auto/],
    ['--scale unknown', ['segment', 'customers.csv', '--scale', 'zscore'], /--scale .*'zscore' is invalid/],
    ['--impute unknown', ['segment', 'customers.csv', '--impute', 'zero'], /--impute .*'zero' is invalid/],
    ['--threads 0', ['segment', 'customers.csv', '--threads', '0'], /--threads .*'0' is invalid/],
    ['--seed 1.5', ['segment', 'customers.csv', '--seed', '1.5'], /--seed .*'1\.5' is invalid/],
    ['--columns missing', ['segment', 'customers.csv', '--columns', 'recency,spend'], /--columns: column "spend" is not in "customers\.csv"/],
    ['--columns text', ['segment', 'customers.csv', '--columns', 'recency,plan'], /--columns: column "plan" .*holds text/],
    ['--exclude missing', ['segment', 'customers.csv', '--exclude', 'age'], /--exclude: column "age" is not in/],
    ['--id missing', ['segment', 'customers.csv', '--id', 'cust'], /--id: column "cust" is not in/],
    ['--encode missing', ['segment', 'customers.csv', '--encode', 'region'], /--encode: column "region" is not in/],
    ['--fill-value without constant', ['segment', 'customers.csv', '--fill-value', '0'], /--fill-value only applies with --impute constant/],
    ['--out unknown format', ['segment', 'customers.csv', '--out', 'x.xlsx'], /--out: cannot tell the format of "x\.xlsx"/],
    ['input unknown format', ['segment', 'customers.txt'], /cannot tell the format of "customers\.txt".*--format/],
    ['--out - with --json', ['segment', 'customers.csv', '--out', '-', '--json'], /--out - and --json/],
    ['--k above rows', ['segment', 'customers.csv', '--k', String(N + 1), '--threads', '1'], new RegExp(`--k: ${N + 1} segments need more than`)],
    ['--k equal to rows', ['segment', 'customers.csv', '--k', String(N), '--threads', '1'], new RegExp(`--k: ${N} segments need more than ${N} rows`)],
    ['--labels missing', ['evaluate', 'out/segments.csv', '--labels', 'cluster'], /--labels: column "cluster" is not in "out\/segments\.csv"/],
    ['--truth missing', ['evaluate', 'out/segments.csv', '--labels', 'segment', '--truth', 'class'], /--truth: column "class" is not in/],
    ['evaluate without --labels', ['evaluate', 'out/segments.csv'], /required option '--labels <column>'/],
    ['score without --model', ['score', 'customers.csv', '--out', 'x.csv'], /required option '--model <file>'/],
    ['score --keep with a repeat', ['score', 'customers.csv', '--model', 'out/model.json', '--out', 'x.csv', '--keep', 'customer_id,customer_id'], /--keep .*names column "customer_id" twice/],
    ['rfm --customer missing', [...RFM, '--customer', 'client'], /--customer: column "client" is not in "log\.csv"/],
    ['rfm --as-of invalid', [...RFM, '--customer', 'customer', '--as-of', '2024-02-30'], /--as-of .*'2024-02-30' is invalid/],
    ['rfm --amount-per unit without --quantity', [...RFM, '--customer', 'customer', '--amount-per', 'unit'], /--amount-per unit needs --quantity/],
    ['update --half-life-unit alone', ['update', 'out/model.json', 'customers.csv', '--half-life-unit', 'rows'], /--half-life-unit only applies with --half-life/],
    ['score --segment-column empty', ['score', 'customers.csv', '--model', 'out/model.json', '--out', 'x.csv', '--segment-column', ' '], /--segment-column must be a column name/],
    ['segment --segment-column naming a feature of --columns', ['segment', 'customers.csv', '--k', '2', '--columns', 'recency,frequency', '--segment-column', 'recency', '--out', 'x.csv'], /--segment-column recency: --out would replace column "recency" of "customers\.csv" with the new segments, and it is a feature \(--columns\)/],
    ['segment --segment-column naming a feature of --encode', ['segment', 'customers.csv', '--k', '2', '--encode', 'plan', '--segment-column', 'plan', '--out', 'x.csv'], /--segment-column plan: --out would replace column "plan" of "customers\.csv" with the new segments, and it is a feature \(--encode\)/],
    // a number column no flag names is a feature too: replacing it would change the segments by an output's name
    ['segment --segment-column naming a number column', ['segment', 'customers.csv', '--k', '2', '--segment-column', 'recency', '--out', 'x.csv'], /--segment-column recency: --out would replace column "recency" of "customers\.csv" with the new segments, and it is a feature \(a number column; --exclude recency leaves it out\)/],
    ['score --segment-column naming a column the model reads', ['score', 'customers.csv', '--model', 'out/model.json', '--out', 'x.csv', '--segment-column', 'recency'], /--segment-column recency: --out would replace column "recency" of "customers\.csv" with the segments, and the model reads it as a feature/],
    ['--out and --model one file', ['segment', 'customers.csv', '--out', 'x.csv', '--model', './x.csv'], /--out and --model name the same file \("\.\/x\.csv"\)/],
    ['--model over the input', ['segment', 'customers.csv', '--model', 'customers.csv'], /--model "customers\.csv" would replace the input/],
    ['score --out over its model', ['score', 'customers.csv', '--model', 'out/model.json', '--out', 'out/../out/model.json'], /--out ".*" would replace --model \("out\/model\.json"\)/],
    ['rfm --out over its log', [...RFM, '--customer', 'customer', '--out', 'log.csv'], /--out "log\.csv" would replace the input/],
    ['update --out over its new rows', ['update', 'out/model.json', 'customers.csv', '--out', 'customers.csv'], /--out "customers\.csv" would replace the input/],
    ['unknown option', ['segment', 'customers.csv', '--clusters', '3'], /unknown option '--clusters'/],
    ['missing argument', ['segment'], /missing required argument 'input'/],
    ['unknown command', ['segmnt', 'customers.csv'], /unknown command 'segmnt'/],
  ];

  it.each(usage)('exits 2 with a one-line reason: %s', (_label, args, pattern) => {
    const r = segkit(args);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    if (args.includes('--json')) {
      // under --json the error is JSON on stdout
      const { error } = JSON.parse(r.stdout);
      expect(error.code).toBe('E_USAGE');
      expect(`segkit: error: ${error.message}`).toMatch(pattern);
      return;
    }
    // notes about the data may come first; the reason is one error line
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('segkit: error: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(pattern);
    expect(r.stdout).toBe('');
  });

  it('exits 1 naming the file for an unreadable input and a CSV parse error; no stack trace unless SEGKIT_DEBUG=1', () => {
    let r = segkit(['segment', 'missing.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('segkit: error: cannot read "missing.csv": no such file');
    // the same when the records are kept to be written as read, and for a directory
    r = segkit(['segment', 'missing.csv', '--out', 'out/missing.csv', '--quiet']);
    expect(r.stderr.trim()).toBe('segkit: error: cannot read "missing.csv": no such file');
    mkdirSync(path('folder.csv'), { recursive: true });
    r = segkit(['segment', 'folder.csv', '--out', 'out/folder.csv', '--quiet']);
    expect(r.stderr.trim()).toBe('segkit: error: cannot read "folder.csv": it is a directory');
    writeFileSync(path('broken.csv'), 'customer_id,recency\nc1,3\nc2,"4\n');
    r = segkit(['segment', 'broken.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^segkit: error: "broken\.csv": line \d+.*quoted field/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    r = segkit(['segment', 'broken.csv'], { env: { SEGKIT_DEBUG: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  it('exits 1 when a value cannot be used, naming the file line and column', () => {
    writeFileSync(path('gaps.csv'), 'customer_id,recency,frequency\nc1,3,1\nc2,,2\nc3,5,3\nc4,9,1\n');
    const r = segkit(['segment', 'gaps.csv', '--impute', 'none', '--k', '2']);
    expect(r.code).toBe(1);
    // the file's own line: header = line 1, so the second customer is on line 3
    expect(r.stderr).toMatch(/"gaps\.csv": line 3, column "recency" is missing/);
  });

  it('a value the fit refuses is named by its file line, with the file\'s value', () => {
    // the mean is near 3.4e38: centred, line 9's -3.4e38 leaves float32 (the fit's row 7)
    const rows = Array.from({ length: 20 }, (_, i) => `${i + 1},${i === 7 ? '-3.4e38' : '3.4e38'},${i % 5}`);
    writeFileSync(path('overflow.csv'), ['id,a,b', ...rows].join('\n') + '\n');
    const r = segkit(['segment', 'overflow.csv', '--k', '2', '--scale', 'none', '--threads', '1', '--out', 'overflow-out.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"overflow\.csv": line 9, column "a" holds -3\.4e\+38 \(-3\.39\d+e\+38 once prepared for the model\), which overflows float32 once the column is centred/);
  });
});
