// segkit evaluate's label column: rows in no segment (ids below 0) are left out whatever the width of the other ids.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Binary, Float64, Int32, Table, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const blobs = JSON.parse(readFileSync(new URL('./fixtures/blobs-600x4-k4.json', import.meta.url), 'utf8'));

let dir = '';
const path = (name: string) => join(dir, name);

function evaluate(file: string): { summary: Record<string, unknown> & { notices: string[] } } {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.SEGKIT_DEBUG;
  const args = ['evaluate', file, '--labels', 'segment', '--truth', 'truth', '--scale', 'none', '--json', '-q'];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input: '', encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`segkit ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { summary: JSON.parse(r.stdout) };
}

// The fixture's 600 rows with their k-means labels, then 25 rows of noise (segment -1) far from every blob.
const X: number[][] = blobs.X;
const labels: number[] = blobs.kmeans.labels;
const truth: number[] = blobs.truth;
const NOISE = 25;
function write(name: string, id: (label: number) => number): void {
  const lines = ['a,b,c,d,segment,truth', ...X.map((r, i) => `${r.join(',')},${id(labels[i])},${truth[i]}`)];
  for (let q = 0; q < NOISE; q++) lines.push(`${40 + q},${-40 - q},${q % 3},${q},-1,${q % 4}`);
  writeFileSync(path(name), `${lines.join('\n')}\n`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-evaluate-labels-'));
  write('small-ids.csv', (l) => l);
  // one segment id past 32 bits (an int64 key from a database): the ids are read as names, in ascending order
  write('wide-ids.csv', (l) => (l === 3 ? 3_000_000_000 : l));
  // Int64 ids from 2^53 up (a database key): as float64, 2^53 + 1 would round to 2^53 and two segments would merge
  const big = 2n ** 53n;
  const rows = [...X, ...Array.from({ length: NOISE }, (_, q) => [40 + q, -40 - q, q % 3, q])];
  writeFileSync(path('int64-ids.arrow'), tableToIPC(tableFromArrays({
    ...Object.fromEntries(['a', 'b', 'c', 'd'].map((name, j) => [name, Float64Array.from(rows, (r) => r[j])])),
    segment: BigInt64Array.from(rows, (_, i) => (i < X.length ? big + BigInt(labels[i]) : -1n)),
    truth: BigInt64Array.from(rows, (_, i) => big + BigInt(i < X.length ? truth[i] : (i - X.length) % 4)),
  }), 'file'));
  // Binary labels: bytes ff 01 (not UTF-8) read as their hexadecimal "ff01", which is also the text of other bytes
  const enc = (t: string) => new TextEncoder().encode(t);
  const bytes = [Uint8Array.of(0xff, 1), enc('ff01'), enc('s2'), enc('s3')];
  for (const [name, at] of [['binary-twins.arrow', 0], ['binary-apart.arrow', 1]] as const) {
    writeFileSync(path(name), tableToIPC(new Table({
      ...Object.fromEntries(['a', 'b', 'c', 'd'].map((col, j) => [col, vectorFromArray(X.map((r) => r[j]), new Float64())])),
      // binary-apart.arrow: segment 0 as bytes fe 01, whose hexadecimal is no other label's text
      segment: vectorFromArray(labels.map((l) => (l === 0 && at === 1 ? Uint8Array.of(0xfe, 1) : bytes[l])), new Binary()),
      truth: vectorFromArray(truth, new Int32()),
    }), 'file'));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segkit evaluate leaves segment -1 out', () => {
  const want = blobs.metrics_on_kmeans_labels;
  const note = `left out: ${NOISE} rows in no segment (column "segment" below 0`;
  for (const file of ['small-ids.csv', 'wide-ids.csv', 'int64-ids.arrow']) {
    it(`${file}: scikit-learn's scores of the 600 clustered rows`, () => {
      const s = evaluate(file).summary;
      expect(s.rows).toBe(X.length);
      expect(s.k).toBe(4);
      expect(s.notices.some((m) => m.startsWith(note))).toBe(true);
      expect(Math.abs((s.silhouette as number) - want.silhouette)).toBeLessThan(1e-4 * Math.abs(want.silhouette));
      expect(Math.abs((s.calinskiHarabasz as number) - want.calinski_harabasz)).toBeLessThan(1e-4 * want.calinski_harabasz);
      expect(Math.abs((s.daviesBouldin as number) - want.davies_bouldin)).toBeLessThan(1e-4 * want.davies_bouldin);
      const ext = s.external as Record<string, number>;
      expect(ext.adjustedRand).toBeCloseTo(blobs.metrics_vs_truth.adjusted_rand, 12);
      expect(ext.vMeasure).toBeCloseTo(blobs.metrics_vs_truth.v_measure, 12);
    });
  }

  it('the wide ids name the same segments in ascending order, -1 not among them', () => {
    const small = evaluate('small-ids.csv').summary;
    const wide = evaluate('wide-ids.csv').summary;
    expect(wide.names).toEqual(['0', '1', '2', '3000000000']);
    expect(wide.sizes).toEqual(small.sizes);
    for (const m of ['silhouette', 'calinskiHarabasz', 'daviesBouldin', 'inertia', 'external']) expect(wide[m]).toEqual(small[m]);
  });

  it('Binary labels: bytes that are not UTF-8 and the text of their hexadecimal ("ff01") are refused, not one segment', () => {
    const args = ['evaluate', 'binary-twins.arrow', '--labels', 'segment', '--truth', 'truth', '--scale', 'none', '--json', '-q'];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input: '', encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_BAD_LABELS' });
    expect(JSON.parse(r.stdout).error.message).toContain('holds "ff01" both as text and as the hexadecimal of bytes that are not UTF-8');
    // bytes fe 01 beside the text "ff01" are two labels, as the fixture's four segments
    const apart = evaluate('binary-apart.arrow').summary;
    const small = evaluate('small-ids.csv').summary;
    expect(apart.names).toEqual(['fe01', 'ff01', 's2', 's3']);
    expect(apart.sizes).toEqual(small.sizes);
    for (const m of ['silhouette', 'calinskiHarabasz', 'daviesBouldin', 'inertia', 'external']) expect(apart[m]).toEqual(small[m]);
  });

  it('a segment for every row is refused before any score, where past the silhouette sample it scored Calinski-Harabasz 1 and Davies-Bouldin 0', () => {
    // 20,001 rows: more than the silhouette's sample, which then holds a segment per row and is skipped
    const n = 20_001;
    writeFileSync(path('each-own.csv'), `a,segment\n${Array.from({ length: n }, (_, i) => `${i},${i}`).join('\n')}\n`);
    const args = ['evaluate', 'each-own.csv', '--labels', 'segment', '--scale', 'none', '--json', '-q'];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input: '', encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_BAD_LABELS', message: expect.stringContaining(`the labels form ${n} clusters; valid values are 2 to n - 1 (${n - 1})`) });
  });

  it('labels that differ only by Unicode normalisation stay two labels, as different strings, and a note shows them apart', () => {
    // segment 0 as "café" with a composed é (U+00E9), segment 1 with an e and a combining acute (U+0301)
    const word = ['caf\u00e9', 'cafe\u0301', 'tea', 'tee'];
    const lines = ['a,b,c,d,segment,truth', ...X.map((r, i) => `${r.join(',')},${word[labels[i]]},${word[truth[i]]}`)];
    writeFileSync(path('forms.csv'), `${lines.join('\n')}\n`);
    const s = evaluate('forms.csv').summary;
    const small = evaluate('small-ids.csv').summary;
    // sorted as JavaScript sorts strings: "cafe\u0301" before "caf\u00e9"; the four segments as the fixture's
    expect(s.names).toEqual(['cafe\u0301', 'caf\u00e9', 'tea', 'tee']);
    expect([...(s.sizes as number[])].sort()).toEqual([...(small.sizes as number[])].sort());
    expect((s.external as Record<string, number>).adjustedRand).toBeCloseTo(blobs.metrics_vs_truth.adjusted_rand, 12);
    const note = (option: string, column: string) => `${option}: column "${column}" holds "cafe\\u0301" and "caf\\u00e9", which look alike but differ in Unicode normalisation`;
    expect(s.notices.some((m) => m.startsWith(note('--labels', 'segment')))).toBe(true);
    expect(s.notices.some((m) => m.startsWith(note('--truth', 'truth')))).toBe(true);
    for (const args of [['explain', 'forms.csv', '--labels', 'segment', '--exclude', 'truth'], ['train', 'forms.csv', '--target', 'segment', '--exclude', 'truth', '--n-trees', '5']]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input: '', encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(note(args[2], 'segment'));
    }
  });

  it('Int64 ids past 2^53 stay distinct and exact (2^53 and 2^53 + 1 are two segments), labels and truth alike', () => {
    const small = evaluate('small-ids.csv').summary;
    const big = evaluate('int64-ids.arrow').summary;
    expect(big.names).toEqual(['9007199254740992', '9007199254740993', '9007199254740994', '9007199254740995']);
    expect(big.sizes).toEqual(small.sizes);
    for (const m of ['silhouette', 'calinskiHarabasz', 'daviesBouldin', 'inertia', 'external']) expect(big[m]).toEqual(small[m]);
  });
});

describe('segkit train reads whole-number labels past 32 bits exactly', () => {
  const train = (file: string) => spawnSync(process.execPath, [BIN, 'train', file, '--target', 'segment', '--exclude', 'truth', '--n-trees', '5', '--json', '-q'], { cwd: dir, input: '', encoding: 'utf8', timeout: 120_000 });

  it('refuses 2^32 + label (which an int32 target wrapped to segments 0 to 3) and 2^53 + 1, naming the exact id', () => {
    const lines = ['a,b,c,d,segment,truth', ...X.map((r, i) => `${r.join(',')},${2 ** 32 + labels[i]},${truth[i]}`)];
    writeFileSync(path('wrapped-ids.csv'), `${lines.join('\n')}\n`);
    const wrapped = train('wrapped-ids.csv');
    expect(wrapped.status).not.toBe(0);
    expect(JSON.parse(wrapped.stdout).error).toMatchObject({ code: 'E_BAD_LABELS', message: `"wrapped-ids.csv": line 2, column "segment" holds segment id ${2 ** 32 + labels[0]}, which means more segments than a target can have` });
    // Int64 labels from 2^53 + 1: as float64 the first is 2^53, as int32 0
    writeFileSync(path('int64-target.arrow'), tableToIPC(tableFromArrays({
      ...Object.fromEntries(['a', 'b', 'c', 'd'].map((name, j) => [name, Float64Array.from(X, (r) => r[j])])),
      segment: BigInt64Array.from(X, (_, i) => 2n ** 53n + 1n + BigInt(labels[i])),
      truth: Int32Array.from(truth),
    }), 'file'));
    const big = train('int64-target.arrow');
    expect(big.status).not.toBe(0);
    expect(JSON.parse(big.stdout).error).toMatchObject({ code: 'E_BAD_LABELS', message: `"int64-target.arrow": row 1, column "segment" holds segment id ${2n ** 53n + 1n + BigInt(labels[0])}, which means more segments than a target can have` });
    // the same rows labelled 0 to 3 train
    writeFileSync(path('plain-target.csv'), `${['a,b,c,d,segment,truth', ...X.map((r, i) => `${r.join(',')},${labels[i]},${truth[i]}`)].join('\n')}\n`);
    const plain = train('plain-target.csv');
    expect(plain.status, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout).k).toBe(4);
  });
});
