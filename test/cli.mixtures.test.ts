// The command line with mixtures and mini-batch k-means: runs the built command (dist/cli/main.js) as a user would.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentModel } from '../src/workflow/segmentModel.js';
import { loadModel } from '../src/core/loadModel.js';
import { readTable } from '../src/data/readTable.node.js';
import { close } from '../src/engine/defaultExecutor.js';
import type { GaussianMixtureModel } from '../src/core/gaussianMixtureModel.js';
import type { MiniBatchKMeansModel } from '../src/core/miniBatchKMeansModel.js';
import { createRandom } from '../src/util/random.js';

const BIN = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'cli', 'main.js');
let dir = '';
const path = (name: string) => join(dir, name);

function segkit(args: readonly string[]) {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.SEGKIT_DEBUG;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: readonly string[]) {
  const r = segkit(args);
  if (r.code !== 0) throw new Error(`segkit ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Three overlapping customer groups with correlated spend and visits. */
function csv(n: number, seed: number, shift = 0): string {
  const rng = createRandom(seed);
  const lines = ['customer_id,spend,visits,tenure'];
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    const a = rng.normal();
    lines.push([`c${seed}-${i}`, (50 + 40 * g + shift + 12 * a).toFixed(2), (5 + 4 * g + 2 * a + rng.normal()).toFixed(2), (10 * g + 3 * rng.normal()).toFixed(2)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-mix-'));
  writeFileSync(path('customers.csv'), csv(900, 1));
  writeFileSync(path('new.csv'), csv(500, 2, 15));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await close();
});

describe('segkit segment --algorithm gmm', () => {
  it('--proba adds one probability column per segment: rows sum to 1, the largest is the segment, the model gives the same', async () => {
    const s = JSON.parse(ok(['segment', 'customers.csv', '--algorithm', 'gmm', '--k', '3', '--covariance', 'diag', '--seed', '2', '--proba', '--out', 'gmm.csv', '--model', 'gmm.json', '--json']).stdout);
    expect(s.algorithm).toBe('gmm');
    expect(s.mixture.covarianceType).toBe('diag');
    const out = await readTable(path('gmm.csv'));
    const seg = Array.from(out.getChild('segment')!.toArray() as Int32Array);
    const p = [0, 1, 2].map((t) => Array.from(out.getChild(`segment_proba_${t}`)!.toArray() as Float64Array));
    const model = SegmentModel.fromJSON(readFileSync(path('gmm.json'), 'utf8'));
    expect(model.kind).toBe('gmm');
    const table = await readTable(path('customers.csv'));
    const again = await model.predictProba(table, { threads: 1 });
    expect(seg).toHaveLength(table.numRows);
    expect(again).toHaveLength(3 * seg.length);
    seg.forEach((l, i) => {
      const row = p.map((c) => c[i]);
      expect(Math.abs(row[0] + row[1] + row[2] - 1)).toBeLessThan(1e-12);
      expect(row[l]).toBe(Math.max(...row));
      row.forEach((v, t) => expect(v).toBe(again[i * 3 + t]));
    });
    // the summary's criteria are the model's own on the prepared rows
    const gmm = model.model as GaussianMixtureModel;
    const prepared = model.pipeline.transform(table).dataset;
    expect(s.mixture.bic).toBeCloseTo(await gmm.bic(prepared, { threads: 1 }), 6);
  });

  it('score --proba of a TSV with decimal commas writes every number with one decimal mark', () => {
    // the records, kept as read, would hold 1,5 beside probabilities written 0.25: the cells are written by segkit
    const tsv = readFileSync(path('customers.csv'), 'utf8').replaceAll(',', '\t').replace(/(\d)\.(\d)/g, '$1,$2');
    writeFileSync(path('comma.tsv'), tsv);
    ok(['score', 'comma.tsv', '--model', 'gmm.json', '--out', 'comma-scored.tsv', '--proba', '--decimal', ',']);
    const [head, ...rows] = readFileSync(path('comma-scored.tsv'), 'utf8').trimEnd().split('\n').map((l) => l.split('\t'));
    const numbers = ['spend', 'visits', 'tenure', 'segment_proba_0', 'segment_proba_1', 'segment_proba_2'].map((name) => head.indexOf(name));
    expect(numbers.every((j) => j >= 0)).toBe(true);
    expect(rows).toHaveLength(900);
    for (const r of rows) for (const j of numbers) expect(r[j]).toMatch(/^-?\d+(\.\d+)?(e-?\d+)?$/);
  });

  it('score --proba writes the probabilities segment --proba wrote, whatever the batch size; segment without --proba drops old ones', () => {
    // the previous test wrote gmm.csv and gmm.json
    ok(['score', 'customers.csv', '--model', 'gmm.json', '--out', 'scored.csv', '--proba', '--batch-size', '7']);
    const columns = (file: string) => {
      const [head, ...rows] = readFileSync(path(file), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
      const at = [0, 1, 2].map((t) => head.indexOf(`segment_proba_${t}`));
      expect(at.every((j) => j >= 0)).toBe(true);
      return rows.map((r) => at.map((j) => r[j]));
    };
    const segmented = columns('gmm.csv');
    expect(segmented).toHaveLength(900);
    expect(columns('scored.csv')).toEqual(segmented);
    // a fit without --proba on that output: the old probability columns described another segmentation
    const r = ok(['segment', 'gmm.csv', '--k', '2', '--seed', '1', '--out', 'again.csv']);
    expect(r.stderr).toContain('segment_proba_0');
    const head = readFileSync(path('again.csv'), 'utf8').split('\n')[0].split(',');
    expect(head.filter((h) => h.startsWith('segment_proba_'))).toEqual([]);
    expect(head).toContain('segment');
    // scoring that output without --proba drops them too, with a note
    const rescored = ok(['score', 'gmm.csv', '--model', 'gmm.json', '--out', 'rescored.csv']);
    expect(rescored.stderr).toContain('segment_proba_0');
    const head2 = readFileSync(path('rescored.csv'), 'utf8').split('\n')[0].split(',');
    expect(head2.filter((h) => h.startsWith('segment_proba_'))).toEqual([]);
    expect(head2).toContain('segment_name');
  });

  it('the probability columns of --proba are no features of evaluate, explain, train or choose-k, as segment leaves them out', () => {
    // gmm.csv (the test above): segment, segment_name and segment_proba_0..2 beside the features
    const features = ['spend', 'visits', 'tenure'];
    const json = (args: string[]) => JSON.parse(ok([...args, '--json']).stdout);
    const evaluated = json(['evaluate', 'gmm.csv', '--labels', 'segment']);
    expect(evaluated.features).toEqual(features);
    expect(evaluated.notices.join(' ')).toContain("segment_proba_0, segment_proba_1, segment_proba_2 (segkit's own output");
    // the same metrics as on the features named
    expect(evaluated.silhouette).toBe(json(['evaluate', 'gmm.csv', '--labels', 'segment', '--columns', features.join(',')]).silhouette);
    expect(json(['evaluate', 'gmm.csv', '--labels', 'segment_name']).features).toEqual(features);
    expect(json(['train', 'gmm.csv', '--target', 'segment', '--n-trees', '5']).features).toEqual(features);
    expect(json(['explain', 'gmm.csv', '--labels', 'segment']).features).toEqual(features);
    expect(json(['choose-k', 'gmm.csv', '--k-range', '2..3']).features).toEqual(features);
    // another segment column's probabilities, with its labels
    ok(['segment', 'customers.csv', '--algorithm', 'gmm', '--k', '3', '--seed', '2', '--proba', '--segment-column', 'cluster', '--out', 'cluster.csv']);
    expect(json(['evaluate', 'cluster.csv', '--labels', 'cluster']).features).toEqual(features);
    expect(json(['train', 'cluster.csv', '--target', 'cluster_name', '--n-trees', '5']).features).toEqual(features);
  });

  it('score takes bare library models: a mixture with --proba, and k-means (whose file carries its format), as the library scores them', async () => {
    // the first test wrote gmm.json; a bare model reads its feature columns as they are
    const table = await readTable(path('customers.csv'));
    const gmm = loadModel(JSON.parse(readFileSync(path('gmm.json'), 'utf8')).model) as GaussianMixtureModel;
    writeFileSync(path('bare-gmm.json'), JSON.stringify(gmm.toJSON()));
    ok(['score', 'customers.csv', '--model', 'bare-gmm.json', '--proba', '--out', 'bare-gmm.csv', '--threads', '1']);
    const scored = await readTable(path('bare-gmm.csv'));
    const proba = await gmm.predictProba(table, { threads: 1 });
    const labels = await gmm.predict(table, { threads: 1 });
    expect(Array.from(scored.getChild('segment')!.toArray() as ArrayLike<number>, Number)).toEqual(Array.from(labels));
    for (let t = 0; t < 3; t++) {
      const column = Array.from(scored.getChild(`segment_proba_${t}`)!.toArray() as ArrayLike<number>, Number);
      column.forEach((p, i) => expect(p).toBeCloseTo(proba[i * 3 + t], 12));
    }
    ok(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--scale', 'none', '--model', 'km.json', '--out', 'km.csv']);
    const kmFile = JSON.parse(readFileSync(path('km.json'), 'utf8')).model;
    expect(kmFile.format).toBe('segkit.kmeans');
    writeFileSync(path('bare-km.json'), JSON.stringify(kmFile));
    ok(['score', 'customers.csv', '--model', 'bare-km.json', '--out', 'bare-km.csv', '--threads', '1']);
    const km = await readTable(path('bare-km.csv'));
    const want = await loadModel(kmFile).predict(table, { threads: 1 });
    expect(new Set(want).size).toBe(3);
    expect(Array.from(km.getChild('segment')!.toArray() as ArrayLike<number>, Number)).toEqual(Array.from(want));
  });

  it('--k auto compares covariance types by BIC; the report shows membership certainty and the BIC curve', () => {
    const s = JSON.parse(ok(['segment', 'customers.csv', '--algorithm', 'gmm', '--covariance', 'full,spherical', '--k-range', '2..4', '--seed', '1', '--report', 'gmm.html', '--json']).stdout);
    expect(s.kSweep).toHaveLength(6);
    const best = s.kSweep.reduce((a: { bic: number }, b: { bic: number }) => (b.bic < a.bic ? b : a));
    expect(s.k).toBe(best.k);
    expect(s.recommendation.bicK).toBe(best.k);
    expect(s.recommendation.covarianceType).toBe(best.covarianceType);
    expect(s.mixture.covarianceType).toBe(best.covarianceType);
    expect(s.mixture.bic).toBe(best.bic);
    const html = readFileSync(path('gmm.html'), 'utf8');
    expect(html).toContain('Membership certainty');
    expect(html).toContain('BIC by number of segments');
  });

  it('a mixture leaving a component without customers prints it empty, with no comparison metrics, instead of failing', () => {
    // values of 1e-30 unscaled: the covariance regularisation (1e-6) swamps them, so one component takes every row,
    // as scikit-learn's GaussianMixture(2) gives on the same rows
    const rng = createRandom(4);
    const lines = ['id,a,b', ...Array.from({ length: 30 }, (_, i) => `r${i},${(rng.normal() * 1e-30).toExponential(6)},${(rng.normal() * 1e-30 + (i % 2) * 1e-29).toExponential(6)}`)];
    writeFileSync(path('tiny.csv'), `${lines.join('\n')}\n`);
    const s = JSON.parse(ok(['segment', 'tiny.csv', '--algorithm', 'gmm', '--k', '2', '--scale', 'none', '--json', '--threads', '1']).stdout);
    expect(s.segments.map((x: { size: number }) => x.size)).toEqual([30, 0]);
    expect([s.silhouette, s.calinskiHarabasz, s.daviesBouldin]).toEqual([null, null, null]);
  });
  it('names a component without customers once in the printed table and by its id in the model, keeping its parameters for scoring', () => {
    // the rows of the test above: one component takes every row
    const rng = createRandom(4);
    const lines = ['id,a,b', ...Array.from({ length: 30 }, (_, i) => `r${i},${(rng.normal() * 1e-30).toExponential(6)},${(rng.normal() * 1e-30 + (i % 2) * 1e-29).toExponential(6)}`)];
    writeFileSync(path('tiny-empty.csv'), `${lines.join('\n')}\n`);
    const text = ok(['segment', 'tiny-empty.csv', '--algorithm', 'gmm', '--k', '2', '--scale', 'none', '--model', 'tiny-empty.json', '--threads', '1']).stdout;
    expect(text).not.toContain('Empty segment');
    // the table describes segment 0 alone; segment 1 is named once, under it
    const table = text.split('\n\n')[1].split('\n');
    expect(table.slice(2).map((row) => row.trim().split(/\s{2,}/).slice(0, 3))).toEqual([['0', expect.any(String), '30'], ['segment 1 has no customers in these data']]);
    expect(text.match(/no customers/g)).toHaveLength(1);
    const json = JSON.parse(readFileSync(path('tiny-empty.json'), 'utf8'));
    expect(json.segments.map((s: { id: number; name: string; size: number; share: number }) => [s.id, s.name, s.size, s.share])).toEqual([[0, json.segments[0].name, 30, 1], [1, 'segment 1', 0, 0]]);
    expect(json.segments[0].name).not.toBe('segment 0');
    expect(json.segments[1].means).toEqual({ a: null, b: null });
    // the component keeps its weight, mean and covariance: the model scores with both
    const gmm = json.model;
    expect([gmm.k, gmm.weights.length, gmm.means.length, gmm.covariances.length]).toEqual([2, 2, 2, 2]);
    expect(gmm.weights.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 12);
    expect(gmm.means[1].every((v: number) => Number.isFinite(v))).toBe(true);
    const model = SegmentModel.fromJSON(readFileSync(path('tiny-empty.json'), 'utf8'));
    expect([...model.names]).toEqual([json.segments[0].name, 'segment 1']);
  });

  it('the same with --k auto and --report: the sweep has no comparisons where components are empty, the report draws no empty centre', () => {
    writeFileSync(path('tiny.csv'), `id,a,b\n${Array.from({ length: 30 }, (_, i) => `r${i},${(1 + (i % 7) * 0.1) * 1e-30},${(2 + (i % 5) * 0.1) * 1e-30}`).join('\n')}\n`);
    const s = JSON.parse(ok(['segment', 'tiny.csv', '--algorithm', 'gmm', '--k', 'auto', '--k-range', '2..4', '--scale', 'none', '--json', '--threads', '1', '--report', 'tiny.html']).stdout);
    expect(s.segments.filter((x: { size: number }) => x.size === 0).length).toBeGreaterThan(0);
    expect(s.kSweep.map((row: { silhouette: unknown }) => row.silhouette)).toEqual([null, null, null]);
    expect(s.recommendation.reason).toContain('its silhouette is not defined');
    const html = readFileSync(path('tiny.html'), 'utf8');
    expect(html).toContain('BIC by number of segments');
    expect(html).not.toContain('NaN');
    // the components without customers are named once, never described as segments
    const held = s.segments.filter((x: { size: number }) => x.size > 0).map((x: { id: number }) => x.id);
    const empty = s.segments.filter((x: { size: number }) => x.size === 0).map((x: { id: number }) => x.id);
    expect(html).not.toContain('Empty segment');
    expect([...html.matchAll(/<article class="card" data-segment="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(held);
    expect(html.match(/have no customers in these data|has no customers in these data/g)).toHaveLength(1);
    expect(html).toContain(empty.length === 1 ? `Segment ${empty[0]} has no customers` : `Segments ${empty.slice(0, -1).join(', ')} and ${empty.at(-1)} have no customers`);
    // choose-k marks no k as the best by a silhouette none has
    const table = ok(['choose-k', 'tiny.csv', '--algorithm', 'gmm', '--k-range', '2..4', '--scale', 'none', '--threads', '1']).stdout;
    expect(table).toContain('recommended (lowest BIC)');
    expect(table).not.toContain('best silhouette');
  });

  it('choose-k --algorithm gmm prints BIC and AIC by k', () => {
    const r = ok(['choose-k', 'customers.csv', '--algorithm', 'gmm', '--k-range', '2..4', '--seed', '1']);
    expect(r.stdout).toMatch(/BIC +AIC/);
    expect(r.stdout).toContain('recommended (lowest BIC)');
  });
});

describe('segkit update', () => {
  it('score and update name the rows whose category the model did not see at fit time (encoded as no category)', () => {
    const rows = Array.from({ length: 200 }, (_, i) => `c${i},${['basic', 'pro', 'team'][i % 3]},${(i * 7) % 50 + 1},${(i * 3) % 20}`);
    writeFileSync(path('plans.csv'), `id,plan,spend,visits\n${rows.join('\n')}\n`);
    // three new plans and a missing one (the fit saw no missing plan)
    const fresh = Array.from({ length: 10 }, (_, i) => `n${i},${i < 3 ? 'platinum' : i === 3 ? '' : 'pro'},${i + 1},${i}`);
    writeFileSync(path('plans-new.csv'), `id,plan,spend,visits\n${fresh.join('\n')}\n`);
    const note = '"plans-new.csv" holds categories (or missing values) the model did not see at fit time (plan 4 rows): they are encoded as no category (all zeros)';
    for (const algorithm of ['kmeans', 'minibatch-kmeans']) {
      ok(['segment', 'plans.csv', '--k', '3', '--seed', '1', '--encode', 'plan', '--algorithm', algorithm, '--model', `plans-${algorithm}.json`, '--quiet']);
      expect(JSON.parse(ok(['score', 'plans-new.csv', '--model', `plans-${algorithm}.json`, '--out', 'plans-scored.csv', '--json']).stdout).notices).toContain(note);
      // known categories only: no note
      expect(JSON.parse(ok(['score', 'plans.csv', '--model', `plans-${algorithm}.json`, '--out', 'plans-scored.csv', '--json']).stdout).notices).toEqual([]);
    }
    expect(ok(['update', 'plans-minibatch-kmeans.json', 'plans-new.csv', '--out', 'plans-updated.json']).stderr).toContain(note);
  });

  it('runs partialFit on the prepared rows and replaces the model atomically; the library gives the same model', async () => {
    ok(['segment', 'customers.csv', '--algorithm', 'minibatch-kmeans', '--k', '3', '--init', 'k-means||', '--batch-size', '128', '--seed', '3', '--model', 'mb.json']);
    const before = readFileSync(path('mb.json'), 'utf8');
    const s = JSON.parse(ok(['update', 'mb.json', 'new.csv', '--half-life', '4', '--json']).stdout);
    expect(s.rows).toBe(500);
    expect(s.steps).toBe(Math.ceil(500 / 128));
    const after = SegmentModel.fromJSON(readFileSync(path('mb.json'), 'utf8'));
    // the same update in the library, from the file as it was
    const old = SegmentModel.fromJSON(before);
    const mb = old.model as MiniBatchKMeansModel;
    await mb.partialFit(old.pipeline.transform(await readTable(path('new.csv'))).dataset, { halfLife: 4, threads: 1 });
    expect(JSON.stringify(after.model.toJSON())).toBe(JSON.stringify(mb.toJSON()));
    expect((after.model as MiniBatchKMeansModel).nSteps).toBe(mb.nSteps);
    // a failed update leaves the model as it was
    writeFileSync(path('bad.csv'), 'customer_id,spend,visits\nx,1,2\n');
    const saved = readFileSync(path('mb.json'), 'utf8');
    const r = segkit(['update', 'mb.json', 'bad.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tenure');
    expect(readFileSync(path('mb.json'), 'utf8')).toBe(saved);
    // --out writes elsewhere and leaves the model file alone
    ok(['update', 'mb.json', 'new.csv', '--out', 'mb2.json']);
    expect(readFileSync(path('mb.json'), 'utf8')).toBe(saved);
    expect(SegmentModel.fromJSON(readFileSync(path('mb2.json'), 'utf8')).kind).toBe('minibatch-kmeans');
  });

  it('reads the model\'s columns with their types, as score does: an empty column is imputed, a text cell names its line', () => {
    const rows = csv(40, 5).trimEnd().split('\n');
    // every visits cell empty: read as missing numbers (imputed by the model's pipeline), not inferred as text
    writeFileSync(path('novisits.csv'), `${rows.map((line, i) => (i === 0 ? line : line.replace(/^([^,]*,[^,]*,)[^,]*/, '$1'))).join('\n')}\n`);
    // and said so: every one of the 40 rows' visits is the model's fill value
    const filled = 'filled missing values of "novisits.csv" with the model\'s fill values (learnt at fit time): visits 40';
    expect(ok(['score', 'novisits.csv', '--model', 'mb.json', '--out', 'novisits-scored.csv']).stderr).toContain(filled);
    const r = ok(['update', 'mb.json', 'novisits.csv', '--out', 'mb-novisits.json', '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.rows).toBe(40);
    expect(r.stderr).toContain(filled);
    // none missing: no note
    expect(ok(['score', 'new.csv', '--model', 'mb.json', '--out', 'new-scored.csv']).stderr).not.toContain('filled missing');
    // a word among the numbers: the file line and the column, as score says it
    writeFileSync(path('word.csv'), `${rows.map((line, i) => (i === 3 ? line.replace(/^([^,]*,[^,]*,)[^,]*/, '$1twenty') : line)).join('\n')}\n`);
    for (const args of [['update', 'mb.json', 'word.csv', '--out', 'mb-word.json'], ['score', 'word.csv', '--model', 'mb.json', '--out', 'word-scored.csv']]) {
      const r = segkit(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('line 4, column "visits": "twenty" is not a number');
    }
    expect(existsSync(path('mb-word.json'))).toBe(false);
    // the same in a JSON array: its records counted from 1
    const [head, ...body] = rows;
    const keys = head.split(',');
    const records = body.map((line, i) => Object.fromEntries(line.split(',').map((v, j) => [keys[j], j === 0 ? v : i === 3 && j === 2 ? 'twenty' : Number(v)])));
    writeFileSync(path('word.json'), JSON.stringify(records));
    for (const args of [['update', 'mb.json', 'word.json', '--out', 'mb-word.json'], ['score', 'word.json', '--model', 'mb.json', '--out', 'word-scored.csv']]) {
      const r = segkit(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('"word.json": row 4, column "visits": "twenty" is not a number');
    }
    // a missing value in a model fitted with --impute none: its line and the remedy in the command's terms, as score says it
    ok(['segment', 'customers.csv', '--algorithm', 'minibatch-kmeans', '--k', '3', '--impute', 'none', '--seed', '3', '--model', 'mb-none.json']);
    writeFileSync(path('hole.csv'), `${rows.map((line, i) => (i === 3 ? line.replace(/^([^,]*,[^,]*,)[^,]*/, '$1') : line)).join('\n')}\n`);
    for (const args of [['update', 'mb-none.json', 'hole.csv', '--json'], ['score', 'hole.csv', '--model', 'mb-none.json', '--out', 'hole-scored.csv', '--json']]) {
      const r = segkit(args);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error).toEqual({
        code: 'E_NAN_INPUT', message: '"hole.csv": line 4, column "visits" is missing',
        hint: 'the model\'s preparation fills in no missing values (segment --impute none): leave out those rows, or fit it again with --impute',
      });
    }
    // a value of -1 or below in a model scaled with log1p: the remedy in the command's terms, not the library's option
    ok(['segment', 'customers.csv', '--algorithm', 'minibatch-kmeans', '--k', '3', '--columns', 'spend', '--scale', 'log', '--seed', '3', '--model', 'mb-log.json']);
    writeFileSync(path('minus.csv'), `${rows.map((line, i) => (i === 3 ? line.replace(/^([^,]*,)[^,]*/, '$1-5') : line)).join('\n')}\n`);
    for (const args of [['update', 'mb-log.json', 'minus.csv', '--json'], ['score', 'minus.csv', '--model', 'mb-log.json', '--out', 'minus-scored.csv', '--json']]) {
      const r = segkit(args);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error).toEqual({
        code: 'E_NAN_INPUT', message: '"minus.csv": line 4, column "spend" holds -5; log1p needs values greater than -1',
        hint: 'the model scales this column with log1p (segment --scale log), which takes values above -1 only: check the value, or fit the model again with another --scale',
      });
    }
  });

  it('refuses a row in the wrong units (one score could not label, or one dragging a centre beyond the others), naming its line; the model is unchanged', () => {
    const rows = csv(60, 6).trimEnd().split('\n');
    const withSpend = (v: string): string => `${rows.map((line, i) => (i === 41 ? line.replace(/^([^,]*,)[^,]*/, `$1${v}`) : line)).join('\n')}\n`;
    const saved = readFileSync(path('mb.json'), 'utf8');
    // past what scoring holds in float32 beside the model's centres: score and update refuse it alike
    writeFileSync(path('huge.csv'), withSpend('-3e38'));
    for (const args of [['update', 'mb.json', 'huge.csv'], ['score', 'huge.csv', '--model', 'mb.json', '--out', 'huge-scored.csv']]) {
      const r = segkit(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/"huge\.csv": line 42, column "spend" holds -3e\+38 \(-[\d.]+e\+3\d once prepared for the model\): the row lies too far from the model's centres/);
    }
    // scored, but learning from it would drag a centre 1e27 away, so that scoring sends that segment's customers elsewhere
    writeFileSync(path('far.csv'), withSpend('-3e28'));
    const r = segkit(['update', 'mb.json', 'far.csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"far\.csv": line 42, column "spend" holds -3e\+28 \(-[\d.]+e\+2\d once prepared for the model\), the new row farthest from the model: learning from these rows would move segment \d \("[^"]+"\) by [\d.]+e\+2\d, over 1,000 times as far as the two farthest segments lay apart \([\d.]+\); the model is unchanged/);
    expect(r.stderr).toContain('--allow-large-moves');
    expect(readFileSync(path('mb.json'), 'utf8')).toBe(saved);
    // an ordinary batch moves no centre that far; the flag saves the update anyway
    ok(['update', 'mb.json', 'far.csv', '--allow-large-moves', '--out', 'mb-far.json']);
    const moved = (SegmentModel.fromJSON(readFileSync(path('mb-far.json'), 'utf8')).model as MiniBatchKMeansModel).centroids.flat();
    expect(Math.max(...moved.map(Math.abs))).toBeGreaterThan(1e20);
    writeFileSync(path('fine.csv'), withSpend('95'));
    ok(['update', 'mb.json', 'fine.csv', '--out', 'mb-fine.json']);
    // customers who drifted, learnt from with fast forgetting: the centres follow them, a few segment spans away
    writeFileSync(path('drift.csv'), csv(300, 7, 150));
    const drift = JSON.parse(ok(['update', 'mb.json', 'drift.csv', '--half-life', '10', '--half-life-unit', 'rows', '--out', 'mb-drift.json', '--json']).stdout);
    expect(Math.max(...drift.segments.map((x: { moved: number }) => x.moved))).toBeGreaterThan(1);
  });

  it('refuses a bare mini-batch model (the library\'s toJSON) with a usage error rather than failing inside', () => {
    writeFileSync(path('bare-mb.json'), JSON.stringify(JSON.parse(readFileSync(path('mb.json'), 'utf8')).model));
    const r = segkit(['update', 'bare-mb.json', 'new.csv', '--out', 'bare-out.json', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toContain('"bare-mb.json" holds a bare minibatch-kmeans model');
    expect(existsSync(path('bare-out.json'))).toBe(false);
  });

  it('segkit score scores every kind; usage errors are exit 2', () => {
    ok(['segment', 'customers.csv', '--k', '3', '--seed', '1', '--model', 'km.json']);
    for (const model of ['km.json', 'mb.json', 'gmm.json']) {
      ok(['score', 'new.csv', '--model', model, '--out', `scored-${model}.csv`]);
      expect(readFileSync(path(`scored-${model}.csv`), 'utf8').split('\n')[0]).toContain('segment_name');
    }
    ok(['score', 'new.csv', '--model', 'gmm.json', '--out', 'p.csv', '--proba']);
    expect(readFileSync(path('p.csv'), 'utf8').split('\n')[0]).toContain('segment_proba_2');
    expect(segkit(['score', 'new.csv', '--model', 'km.json', '--out', 'x.csv', '--proba']).code).toBe(2);
    expect(segkit(['update', 'gmm.json', 'new.csv']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--covariance', 'diag', '--k', '3']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--init', 'kmeans', '--k', '3']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'gmm', '--batch-size', '10', '--k', '3']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--batch-size', '10', '--k', '3']).code).toBe(2);
    // given on the command line, even at its default, and with every algorithm
    expect(segkit(['segment', 'customers.csv', '--batch-size', '1024', '--k', '3']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'dbscan', '--eps', '1', '--batch-size', '10']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'hdbscan', '--covariance', 'diag']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'gmm', '--covariance', 'full,diag', '--k', '3']).code).toBe(2);
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'kmeans', '--proba', '--k', '3', '--out', 'x.csv']).code).toBe(2);
  });
});
