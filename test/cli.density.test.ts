// segkit segment / choose-k / score with dbscan, hdbscan and agglomerative, run as a user would (the built
// dist/cli/main.js; `npm test` builds it first), checked against the scikit-learn fixtures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../src/data/readTable.node.js';
import { adjustedRandScore, close, hdbscan } from '../src/index.node.js';
import { failure } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'main.js');
const fx = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

let dir = '';
const path = (name: string) => join(dir, name);

function segkit(args: readonly string[]) {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.SEGKIT_DEBUG;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input: '', encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: readonly string[]) {
  const r = segkit(args);
  if (r.code !== 0) throw new Error(`segkit ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const geo = fx('dbscan-geo-haversine');
const blobs = fx('blobs-600x4-k4');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-density-'));
  // coordinates at float32 precision, as the fixture was fitted; a spend column that must not become a feature
  const lines = ['customer_id,lat,lon,spend', ...geo.X_deg.map((r: number[], i: number) => `c${i},${r[0]},${r[1]},${(i * 37) % 500}`)];
  writeFileSync(path('geo.csv'), `${lines.join('\n')}\n`);
  writeFileSync(path('blobs.csv'), `${['id,a,b,c,d', ...blobs.X.map((r: number[], i: number) => `r${i},${r.join(',')}`)].join('\n')}\n`);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await close();
});

const col = (t: Awaited<ReturnType<typeof readTable>>, name: string) => Array.from(t.getChild(name)!.toArray() as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));

describe('segment --algorithm dbscan', () => {
  it('--metric haversine --lat --lon: scikit-learn\'s clusters; noise is "Unassigned", never a segment', async () => {
    const r = ok(['segment', 'geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', String(geo.eps_km),
      '--min-samples', String(geo.min_samples), '--out', 'geo-out.csv', '--model', 'geo-model.json', '--report', 'geo.html', '--json', '-q']);
    const s = JSON.parse(r.stdout);
    expect(s.algorithm).toBe('dbscan');
    expect(s.k).toBe(geo.n_clusters);
    expect(s.features).toEqual(['lat', 'lon']);
    expect(s.unassigned.size).toBe(geo.n_noise);
    expect(s.unassigned.share).toBeCloseTo(geo.n_noise / geo.X_deg.length, 12);
    expect(s.density.core.reduce((a: number, b: number) => a + b, 0)).toBe(geo.core_sample_indices.length);
    expect(s.segments.map((x: { size: number }) => x.size).reduce((a: number, b: number) => a + b, 0) + s.unassigned.size).toBe(geo.X_deg.length);
    expect(s.segments.some((x: { name: string }) => /unassigned/i.test(x.name))).toBe(false);
    const out = await readTable(path('geo-out.csv'));
    expect(col(out, 'segment')).toEqual(geo.labels);
    const names = col(out, 'segment_name');
    geo.labels.forEach((l: number, i: number) => expect(l < 0 ? names[i] === 'Unassigned' : names[i] !== 'Unassigned').toBe(true));
    const html = readFileSync(path('geo.html'), 'utf8');
    for (const chart of ['coreBorder', 'kDistance']) expect(html).toContain(`data-chart="${chart}"`);
    expect(html).toContain('data-segment="unassigned"');
    // the core/border chart names the segments as the sizes chart does, whole: "0: <persona name>"
    const texts = (key: string) => [...html.match(new RegExp(`data-chart="${key}"[\\s\\S]*?</figure>`))![0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    const segmentLabels = texts('sizes').filter((t) => /^\d+: /.test(t));
    expect(segmentLabels).toHaveLength(s.segments.length);
    expect(texts('coreBorder').filter((t) => /^\d+: /.test(t))).toEqual(segmentLabels);
    // the saved model scores the same file: core customers keep their cluster, the rest joins a core customer within eps or stays unassigned
    const counted = JSON.parse(ok(['score', 'geo.csv', '--model', 'geo-model.json', '--out', 'geo-scored.csv', '-q', '--json']).stdout);
    const scored = col(await readTable(path('geo-scored.csv')), 'segment') as number[];
    // --json counts the rows of each segment and the unassigned ones as the output holds them
    expect(counted.unscored).toBe(scored.filter((l) => l < 0).length);
    expect(counted.segments.map((x: { size: number }) => x.size)).toEqual(counted.segments.map((x: { id: number }) => scored.filter((l) => l === x.id).length));
    expect(counted.unscored).toBeGreaterThan(0);
    expect(scored).toHaveLength(geo.labels.length);
    for (const i of geo.core_sample_indices) expect(scored[i]).toBe(geo.labels[i]);
    geo.labels.forEach((l: number, i: number) => { if (l < 0) expect(scored[i]).toBe(-1); });
    expect(col(await readTable(path('geo-scored.csv')), 'segment_name').filter((v) => v === 'Unassigned').length).toBe(scored.filter((l) => l < 0).length);
  });

  it('--metric haversine names the features as --columns does: no other column is told as left out for its type', () => {
    // spend (numbers) was told as "neither numbers nor text", and a text column as one to --encode, which --metric
    // haversine refuses
    const lines = ['customer_id,lat,lon,spend,city', ...geo.X_deg.map((r: number[], i: number) => `c${i},${r[0]},${r[1]},${(i * 37) % 500},${['Oslo', 'Lima'][i % 2]}`)];
    writeFileSync(path('geo-city.csv'), `${lines.join('\n')}\n`);
    const args = ['segment', 'geo-city.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', String(geo.eps_km), '--min-samples', String(geo.min_samples)];
    const r = ok([...args, '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['lat', 'lon']);
    expect(s.leftOut).toEqual([]);
    expect(r.stderr).not.toContain('left out of the features');
    expect(segkit([...args, '--encode', 'city']).code).toBe(2);
  });

  it('the report counts the unassigned customers in every share, as --json does: of customers and of --value', () => {
    const args = ['segment', 'geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', String(geo.eps_km), '--min-samples', String(geo.min_samples)];
    const s = JSON.parse(ok([...args, '--report', 'geo-value.html', '--value', 'spend', '--json', '-q']).stdout);
    expect(s.unassigned.size).toBe(geo.n_noise);
    const html = readFileSync(path('geo-value.html'), 'utf8');
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    // spend is (i * 37) % 500 in row i; its shares are of every customer's spend, the unassigned ones' too
    const spend = geo.labels.map((_: number, i: number) => (i * 37) % 500);
    const total = spend.reduce((a: number, b: number) => a + b, 0);
    for (const seg of s.segments as { id: number; size: number; share: number }[]) {
      expect(seg.share).toBe(seg.size / geo.X_deg.length);
      expect(html).toContain(`<p class="meta">Segment ${seg.id} · ${seg.size.toLocaleString('en-US')} customers · ${pct(seg.share)}</p>`);
      const own = geo.labels.reduce((a: number, l: number, i: number) => a + (l === seg.id ? spend[i] : 0), 0);
      expect(html).toContain(`<b>${seg.size.toLocaleString('en-US')}</b> customers · ${pct(seg.share)} · <b>${pct(own / total)}</b> of spend</p>`);
    }
    expect(html).toContain(`<p class="meta">Noise · ${geo.n_noise} customers · ${pct(s.unassigned.share)}</p>`);
  });

  it('the unassigned customers\' means are their own float64 values, as the segments\' are (1e9 + 6.5, not the float32 1e9)', () => {
    // two tight groups 10 apart near 1e9 and two lone rows between and beyond them
    const rows = Array.from({ length: 40 }, (_, i) => `c${i},${1e9 + (i % 2) * 10 + (i % 5) * 0.1},${(i % 2) * 10 + (i % 7) * 0.1}`);
    writeFileSync(path('near1e9.csv'), `id,x,y\n${rows.join('\n')}\nn1,1000000005.3,5\nn2,1000000007.7,30\n`);
    const s = JSON.parse(ok(['segment', 'near1e9.csv', '--algorithm', 'dbscan', '--eps', '1', '--min-samples', '3', '--id', 'id', '--report', 'near1e9.html', '--json', '-q']).stdout);
    expect(s.unassigned.size).toBe(2);
    expect(s.unassigned.means.x).toBe(1000000006.5);
    expect(s.unassigned.means.y).toBe(17.5);
    // the unassigned card of the report: its mean of x, beside the clustered customers' 1,000,000,005
    const card = readFileSync(path('near1e9.html'), 'utf8').split('data-segment="unassigned"')[1];
    expect(card).toContain('<th scope="row">x</th><td class="num">1,000,000,007</td><td class="num muted">1,000,000,005</td>');
  });

  it('--metric haversine: the silhouette is of great-circle distances, as scikit-learn\'s silhouette_score(radians, metric="haversine")', async () => {
    const hs = fx('haversine-silhouette');
    const s = JSON.parse(ok(['segment', 'geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', String(geo.eps_km),
      '--min-samples', String(geo.min_samples), '--json', '-q']).stdout);
    expect(Math.abs(s.silhouette - hs.geo_clustered_score)).toBeLessThan(1e-9);
    // clusters across the antimeridian and around the pole: near in kilometres, far apart in degrees
    writeFileSync(path('antimeridian.csv'), `${['id,lat,lon', ...hs.X_deg.map((r: number[], i: number) => `a${i},${r[0]},${r[1]}`)].join('\n')}\n`);
    const t = JSON.parse(ok(['segment', 'antimeridian.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', '1000',
      '--min-samples', '1', '--out', 'antimeridian-out.csv', '--json', '-q']).stdout);
    expect(col(await readTable(path('antimeridian-out.csv')), 'segment')).toEqual(hs.labels);
    expect(Math.abs(t.silhouette - hs.score)).toBeLessThan(1e-9);
    const { haversineSilhouetteSamples, silhouette } = await import('../src/cli/silhouette.js');
    const ds = { n: hs.X_deg.length, d: 2, columns: [0, 1].map((j) => Float32Array.from(hs.X_deg, (r: number[]) => r[j])), names: ['lat', 'lon'] };
    const r = await silhouette(ds, Int32Array.from(hs.labels), { seed: 0, wantSamples: true, metric: 'haversine' });
    hs.samples.forEach((v: number, i: number) => expect(Math.abs(r.samples![i] - v)).toBeLessThan(1e-12));
    // a row at a time, as when the rows' sums over many segments would not fit
    const byRow = await haversineSilhouetteSamples(ds, hs.labels, undefined, 0);
    hs.samples.forEach((v: number, i: number) => expect(Math.abs(byRow[i] - v)).toBeLessThan(1e-12));
    // seconds of work on the calling thread: an abort is seen on the way, not after it
    const many = 12_000;
    const big = { n: many, d: 2, columns: [Float32Array.from({ length: many }, (_, i) => (i % 170) - 85), Float32Array.from({ length: many }, (_, i) => (i * 7) % 360 - 180)], names: ['lat', 'lon'] };
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 30);
    const t0 = performance.now();
    const e = await failure(() => haversineSilhouetteSamples(big, Int32Array.from({ length: many }, (_, i) => i % 5), ctl.signal));
    expect(e.code).toBe('E_ABORTED');
    expect(performance.now() - t0).toBeLessThan(400);
  });

  it('the printed table shows the unassigned row apart from the segments', () => {
    const r = ok(['segment', 'geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', '2', '-q']);
    expect(r.stdout).toMatch(/-\s+Unassigned \(noise, in no segment\)\s+66\s+16\.5%/);
  });
});

/** explain --rows on a customer in no segment (the first noise row) is a usage error naming it. */
function explainRefusesNoiseCustomer(file: string): void {
  const noise = geo.labels.indexOf(-1);
  const r = segkit(['explain', file, '--labels', 'segment_name', '--columns', 'lat,lon', '--rows', `c${noise}`]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`--rows: customer "c${noise}" is in no segment`);
}

describe('evaluate and explain on a density model\'s output', () => {
  // scikit-learn's clusters of geo.csv, as segment writes them (the tests below read this file, never change it)
  beforeAll(() => {
    ok(['segment', 'geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', String(geo.eps_km),
      '--min-samples', String(geo.min_samples), '--out', 'geo-labelled.csv', '-q']);
  });

  it('leave the unassigned rows (segment -1, "Unassigned") out, by the id or the name column alike, and say so', async () => {
    const sizes = Array.from({ length: geo.n_clusters }, (_, c) => geo.labels.filter((l: number) => l === c).length);
    const kept = geo.X_deg.length - geo.n_noise;
    const note = `left out: ${geo.n_noise} rows in no segment (column "segment" below 0: the noise of a density model)`;
    const byId = JSON.parse(ok(['evaluate', 'geo-labelled.csv', '--labels', 'segment', '--columns', 'lat,lon', '--json']).stdout);
    const byName = JSON.parse(ok(['evaluate', 'geo-labelled.csv', '--labels', 'segment_name', '--columns', 'lat,lon', '--json']).stdout);
    expect(byId.rows).toBe(kept);
    expect(byId.k).toBe(geo.n_clusters);
    expect(byId.sizes).toEqual(sizes);
    expect(byId.notices.some((m: string) => m.startsWith(note))).toBe(true);
    expect(byName.notices.some((m: string) => m.startsWith(note))).toBe(true);
    // the names are numbered in sorted order, so the sizes come in another order, named; the partition is the same
    expect([...byName.sizes].sort()).toEqual([...sizes].sort());
    expect(byId.names).toBeUndefined();
    expect(byName.names).toHaveLength(geo.n_clusters);
    expect(byName.names).not.toContain('Unassigned');
    const named = new Map(byName.names.map((name: string, c: number) => [name, byName.sizes[c]]));
    const labelled = await readTable(path('geo-labelled.csv'));
    const [ids, idNames] = [col(labelled, 'segment'), col(labelled, 'segment_name')];
    for (let c = 0; c < geo.n_clusters; c++) expect(named.get(idNames[ids.indexOf(c)])).toBe(sizes[c]);
    // (summed segment by segment, in the other order)
    for (const m of ['silhouette', 'calinskiHarabasz', 'daviesBouldin', 'inertia']) expect(Math.abs(byName[m] - byId[m])).toBeLessThan(1e-12 * Math.abs(byId[m]));
    for (const labels of ['segment', 'segment_name']) {
      const r = ok(['explain', 'geo-labelled.csv', '--labels', labels, '--columns', 'lat,lon', '--json']);
      expect(r.stderr).toContain(note);
      const e = JSON.parse(r.stdout);
      expect(e.rows).toBe(kept);
      expect(e.segments).toBe(geo.n_clusters);
      expect(e.rules.map((x: { size: number }) => x.size).sort()).toEqual([...sizes].sort());
      expect(e.rules.some((x: { name?: string }) => x.name === 'Unassigned')).toBe(false);
    }
    // one segment left beside the noise: nothing to compare, said in the command's terms
    const lines = readFileSync(path('geo-labelled.csv'), 'utf8').trimEnd().split('\n');
    const at = lines[0].split(',').indexOf('segment');
    writeFileSync(path('geo-one.csv'), `${lines.filter((l, q) => q === 0 || ['0', '-1'].includes(l.split(',')[at])).join('\n')}\n`);
    const one = segkit(['evaluate', 'geo-one.csv', '--labels', 'segment', '--columns', 'lat,lon']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain(`--labels: every row of "geo-one.csv" in a segment (${geo.n_noise} more are in none) is in one segment, column "segment"`);
    explainRefusesNoiseCustomer('geo-labelled.csv');
  });

  it('leave them out by the name alone when the file has no segment id column ("Unassigned" is no segment)', async () => {
    const t = await readTable(path('geo-labelled.csv'));
    const [ids, lat, lon, names] = ['customer_id', 'lat', 'lon', 'segment_name'].map((c) => col(t, c));
    writeFileSync(path('geo-names-only.csv'), `${['customer_id,lat,lon,segment_name', ...ids.map((id, i) => `${id},${lat[i]},${lon[i]},${JSON.stringify(names[i])}`)].join('\n')}\n`);
    const sizes = Array.from({ length: geo.n_clusters }, (_, c) => geo.labels.filter((l: number) => l === c).length);
    const kept = geo.X_deg.length - geo.n_noise;
    const byName = JSON.parse(ok(['evaluate', 'geo-labelled.csv', '--labels', 'segment_name', '--columns', 'lat,lon', '--json']).stdout);
    const r = ok(['evaluate', 'geo-names-only.csv', '--labels', 'segment_name', '--columns', 'lat,lon', '--json']);
    const only = JSON.parse(r.stdout);
    expect(only.rows).toBe(kept);
    expect(only.k).toBe(geo.n_clusters);
    expect(only.sizes).toEqual(byName.sizes);
    expect([...only.sizes].sort()).toEqual([...sizes].sort());
    for (const m of ['silhouette', 'calinskiHarabasz', 'daviesBouldin', 'inertia']) expect(only[m]).toBe(byName[m]);
    expect(r.stderr).toContain(`left out: ${geo.n_noise} rows in no segment (column "segment_name" is "Unassigned"`);
    const e = JSON.parse(ok(['explain', 'geo-names-only.csv', '--labels', 'segment_name', '--columns', 'lat,lon', '--json']).stdout);
    expect(e.rows).toBe(kept);
    expect(e.segments).toBe(geo.n_clusters);
    expect(e.rules.some((x: { name?: string }) => x.name === 'Unassigned')).toBe(false);
    explainRefusesNoiseCustomer('geo-names-only.csv');
  });

  it('evaluate --truth needs no known class for the rows it leaves out; a row it scores still does', async () => {
    const t = await readTable(path('geo-labelled.csv'));
    const [ids, lat, lon, seg] = ['customer_id', 'lat', 'lon', 'segment'].map((c) => col(t, c));
    // the known class: the segment itself, unknown for the unassigned rows
    const lines = ids.map((id, i) => `${id},${lat[i]},${lon[i]},${seg[i]},${(seg[i] as number) < 0 ? '' : `k${seg[i]}`}`);
    writeFileSync(path('geo-truth-gaps.csv'), `${['customer_id,lat,lon,segment,truth', ...lines].join('\n')}\n`);
    const e = JSON.parse(ok(['evaluate', 'geo-truth-gaps.csv', '--labels', 'segment', '--truth', 'truth', '--columns', 'lat,lon', '--json']).stdout);
    expect(e.rows).toBe(geo.X_deg.length - geo.n_noise);
    expect(e.external.adjustedRand).toBe(1);
    expect(e.external.vMeasure).toBeCloseTo(1, 12);
    const kept = (seg as number[]).findIndex((l) => l >= 0);
    writeFileSync(path('geo-truth-hole.csv'), `${['customer_id,lat,lon,segment,truth', ...lines.map((l, i) => (i === kept ? l.replace(/,k\d+$/, ',') : l))].join('\n')}\n`);
    const r = segkit(['evaluate', 'geo-truth-hole.csv', '--labels', 'segment', '--truth', 'truth', '--columns', 'lat,lon']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`line ${kept + 2}, column "truth" has no label`);
  });

  it('refuse a file with no row in a segment, naming the label column (exit 2)', () => {
    writeFileSync(path('all-noise.csv'), ['customer_id,lat,lon,segment,segment_name', 'c0,48.85,2.35,-1,Unassigned', 'c1,51.5,-0.12,-1,Unassigned', 'c2,40.4,-3.7,-1,Unassigned'].join('\n') + '\n');
    for (const command of ['evaluate', 'explain']) {
      for (const labels of ['segment', 'segment_name']) {
        const r = segkit([command, 'all-noise.csv', '--labels', labels, '--columns', 'lat,lon']);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`--labels: no row of "all-noise.csv" is in a segment (column "${labels}")`);
      }
    }
  });
});

describe('segment --algorithm agglomerative and hdbscan', () => {
  it('agglomerative --k 4 --linkage ward: scikit-learn\'s partition; the report draws the dendrogram', async () => {
    const r = ok(['segment', 'blobs.csv', '--algorithm', 'agglomerative', '--k', '4', '--linkage', 'ward', '--scale', 'none', '--out', 'agg.csv', '--model', 'agg.json', '--report', 'agg.html', '--json', '-q']);
    expect(JSON.parse(r.stdout).k).toBe(4);
    const labels = col(await readTable(path('agg.csv')), 'segment') as number[];
    expect(adjustedRandScore(blobs.agglomerative.ward, labels)).toBe(1);
    expect(readFileSync(path('agg.html'), 'utf8')).toContain('data-chart="dendrogram"');
    expect(JSON.parse(readFileSync(path('agg.json'), 'utf8')).model.kind).toBe('agglomerative');
  });

  it('score --proba names the agglomerative or dbscan model it cannot take soft memberships from', () => {
    ok(['segment', 'blobs.csv', '--algorithm', 'agglomerative', '--k', '4', '--model', 'agg-proba.json', '-q']);
    expect(segkit(['score', 'blobs.csv', '--model', 'agg-proba.json', '--out', 'agg-proba.csv', '--proba']).stderr).toContain('"agg-proba.json" holds an agglomerative model (segment with --algorithm gmm, or train a tree or forest)');
    ok(['segment', 'blobs.csv', '--algorithm', 'dbscan', '--eps', '0.5', '--model', 'db-proba.json', '-q']);
    expect(segkit(['score', 'blobs.csv', '--model', 'db-proba.json', '--out', 'db-proba.csv', '--proba']).stderr).toContain('"db-proba.json" holds a dbscan model (segment with --algorithm gmm, or train a tree or forest)');
  });

  it('agglomerative --k auto: one tree cut at every k of the sweep', () => {
    const r = JSON.parse(ok(['segment', 'blobs.csv', '--algorithm', 'agglomerative', '--linkage', 'average', '--scale', 'none', '--k-range', '2..6', '--json', '-q']).stdout);
    expect(r.kSweep.map((x: { k: number }) => x.k)).toEqual([2, 3, 4, 5, 6]);
    expect(r.recommendation.k).toBe(r.k);
    // the chosen k's scores are the sweep's, from the same tree
    const row = r.kSweep.find((x: { k: number }) => x.k === r.k);
    expect(r.silhouette).toBe(row.silhouette);
  });

  it('choose-k --algorithm agglomerative gives the sweep of segment', () => {
    const a = JSON.parse(ok(['choose-k', 'blobs.csv', '--algorithm', 'agglomerative', '--linkage', 'average', '--scale', 'none', '--k-range', '2..6', '--json', '-q']).stdout);
    const b = JSON.parse(ok(['segment', 'blobs.csv', '--algorithm', 'agglomerative', '--linkage', 'average', '--scale', 'none', '--k-range', '2..6', '--json', '-q']).stdout);
    expect(a.table).toEqual(b.kSweep);
    expect(a.recommendedK).toBe(b.k);
  });

  it('hdbscan: the library\'s clusters; its noise unassigned', async () => {
    const s = JSON.parse(ok(['segment', 'blobs.csv', '--algorithm', 'hdbscan', '--min-cluster-size', '20', '--min-samples', '5', '--scale', 'none', '--out', 'h.csv', '--json', '-q']).stdout);
    const want = await hdbscan(blobs.X, { minClusterSize: 20, minSamples: 5 });
    expect(s.algorithm).toBe('hdbscan');
    expect(s.k).toBe(want.k);
    const labels = col(await readTable(path('h.csv')), 'segment') as number[];
    expect(labels).toEqual(Array.from(want.labels));
    const noise = labels.filter((l) => l < 0).length;
    expect(s.unassigned?.size ?? 0).toBe(noise);
    expect(s.segments.reduce((a: number, x: { size: number }) => a + x.size, 0) + noise).toBe(blobs.X.length);
  });

  it('compare gives a dbscan segment the share segment gave it: of every row, the unassigned ones included', () => {
    const s = JSON.parse(ok(['segment', 'blobs.csv', '--algorithm', 'dbscan', '--eps', '0.5', '--model', 'db-share.json', '--json', '-q']).stdout);
    expect(s.unassigned.size).toBeGreaterThan(0);
    const c = JSON.parse(ok(['compare', 'blobs.csv', 'blobs.csv', '--model', 'db-share.json', '--id', 'id', '--json', '-q']).stdout);
    expect(c.migration.unscoredBefore).toBe(s.unassigned.size);
    const shares = s.segments.map((x: { share: number }) => x.share);
    expect(shares.reduce((a: number, b: number) => a + b, 0) + s.unassigned.share).toBeCloseTo(1, 12);
    expect(c.segments.map((x: { shareBefore: number }) => x.shareBefore)).toEqual(shares);
    expect(c.segments.map((x: { shareAfter: number }) => x.shareAfter)).toEqual(shares);
    expect(c.segments.map((x: { before: number }) => x.before / blobs.X.length)).toEqual(shares);
    // the printed table gives the unassigned rows a line of their own, as segment's does
    const n = s.unassigned.size;
    expect(ok(['compare', 'blobs.csv', 'blobs.csv', '--model', 'db-share.json', '--id', 'id', '-q']).stdout).toMatch(new RegExp(`\\nunassigned +${n} +${n} +\\+0 +${(100 * n / blobs.X.length).toFixed(1)}% +${(100 * n / blobs.X.length).toFixed(1)}%\\n`));
  });
});

describe('usage errors name the option (exit 2)', () => {
  it.each([
    [['--algorithm', 'dbscan'], '--eps'],
    [['--eps', '0.5'], '--eps applies only with --algorithm dbscan'],
    [['--algorithm', 'dbscan', '--eps', '0'], '--eps'],
    [['--algorithm', 'dbscan', '--eps', '1', '--min-samples', '0'], '--min-samples'],
    [['--algorithm', 'dbscan', '--eps', '1', '--metric', 'haversine'], '--lat and --lon'],
    [['--algorithm', 'dbscan', '--eps', '1', '--lat', 'a'], '--lat applies only with --metric haversine'],
    [['--algorithm', 'dbscan', '--eps', '1', '--metric', 'haversine', '--lat', 'a', '--lon', 'nope'], '--lon: column "nope"'],
    [['--algorithm', 'dbscan', '--eps', '1', '--k', '3'], '--k does not apply'],
    [['--algorithm', 'hdbscan', '--model', 'm.json'], '--model'],
    [['--algorithm', 'hdbscan', '--min-cluster-size', '1'], '--min-cluster-size'],
    [['--algorithm', 'agglomerative', '--linkage', 'median'], '--linkage'],
    [['--linkage', 'ward'], '--linkage applies only with --algorithm agglomerative'],
    [['--algorithm', 'agglomerative', '--k', '601'], '--k'],
    // --out would put the segments where the model reads a coordinate
    [['--algorithm', 'dbscan', '--eps', '1', '--metric', 'haversine', '--lat', 'a', '--lon', 'b', '--segment-column', 'a', '--out', 'll.csv'], '--segment-column a: --out would replace column "a" of "blobs.csv" with the new segments, and it is a feature (--lat)'],
    // the id is never a feature: --lat or --lon naming it is refused as --columns naming it is
    [['--algorithm', 'dbscan', '--eps', '1', '--metric', 'haversine', '--lat', 'a', '--lon', 'b', '--id', 'a'], '--lat: column "a" is the customer id (--id), never a feature'],
    [['--algorithm', 'dbscan', '--eps', '1', '--metric', 'haversine', '--lat', 'a', '--lon', 'b', '--id', 'b', '--out', 'll.csv'], '--lon: column "b" is the customer id (--id), never a feature'],
    // with --metric haversine the features are exactly --lat and --lon, in degrees: a preparation flag would be ignored
    ...([['--scale', 'minmax'], ['--scale', 'standard'], ['--impute', 'mean'], ['--impute', 'constant', '--fill-value', '0'], ['--exclude', 'a'], ['--encode', 'auto']] as const)
      .map((flag) => [['--algorithm', 'dbscan', '--eps', '1', '--metric', 'haversine', '--lat', 'a', '--lon', 'b', ...flag], `${flag[0]} does not apply with --metric haversine`] as [string[], string]),
    // with another algorithm, --metric is the flag that does not apply
    [['--algorithm', 'kmeans', '--metric', 'haversine', '--lat', 'a', '--lon', 'b', '--scale', 'minmax'], '--metric applies only with --algorithm dbscan (got --algorithm kmeans)'],
  ])('segment %j', (args, message) => {
    const r = segkit(['segment', 'blobs.csv', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('score: a row without a coordinate, or a missing value a model of --impute none cannot fill, is named with a hint in the command line\'s words', () => {
    ok(['segment', 'geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', String(geo.eps_km), '--model', 'geo-hint.json', '-q']);
    writeFileSync(path('geo-hole.csv'), 'customer_id,lat,lon,spend\nc0,48.8,2.3,1\nc1,,2.3,1\n');
    const geoHole = segkit(['score', 'geo-hole.csv', '--model', 'geo-hint.json', '--out', 'geo-hole-out.csv']);
    expect(geoHole.code).not.toBe(0);
    expect(geoHole.stderr).toContain('"geo-hole.csv": line 3, column "lat" is missing (leave out the rows without coordinates: the model never fills them in)');
    ok(['segment', 'blobs.csv', '--k', '3', '--impute', 'none', '--model', 'no-impute.json', '-q']);
    writeFileSync(path('blobs-hole.csv'), 'id,a,b,c,d\nr0,1,2,3,4\nr1,1,,3,4\n');
    const hole = segkit(['score', 'blobs-hole.csv', '--model', 'no-impute.json', '--out', 'blobs-hole-out.csv']);
    expect(hole.code).not.toBe(0);
    expect(hole.stderr).toContain('"blobs-hole.csv": line 3, column "b" is missing (the model\'s preparation fills in no missing values (segment --impute none): leave out those rows, or fit it again with --impute)');
    expect(hole.stderr).not.toContain('configure');
    // a column name holding a quote gets the same words
    writeFileSync(path('quoted.csv'), `${['id,a,"b""x",c,d', ...blobs.X.map((r: number[], i: number) => `r${i},${r.join(',')}`)].join('\n')}\n`);
    ok(['segment', 'quoted.csv', '--k', '3', '--impute', 'none', '--model', 'no-impute-quoted.json', '-q']);
    writeFileSync(path('quoted-hole.csv'), 'id,a,"b""x",c,d\nr0,1,2,3,4\nr1,1,,3,4\n');
    const quoted = segkit(['score', 'quoted-hole.csv', '--model', 'no-impute-quoted.json', '--out', 'quoted-hole-out.csv']);
    expect(quoted.code).not.toBe(0);
    expect(quoted.stderr).toContain('line 3, column "b"x" is missing (the model\'s preparation fills in no missing values (segment --impute none)');
  });

  it('haversine: a text column as --lat gets a hint in the flags\' words (--encode does not apply), and a column named like an id is read as numbers with --out too', () => {
    writeFileSync(path('geo-text.csv'), 'place,lon\nParis,2.3\nBerlin,13.4\n');
    const r = segkit(['segment', 'geo-text.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'place', '--lon', 'lon', '--eps', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('column "place" is categorical and no encoder took it (--lat and --lon name columns of numbers: latitude and longitude in degrees)');
    expect(r.stderr).not.toContain('--encode');
    // lat_id looks like an id column: named by --lat, it is a feature, as a column --columns names is
    const lines = ['lat_id,lon', ...geo.X_deg.map((x: number[]) => `${x[0]},${x[1]}`)];
    writeFileSync(path('geo-idlike.csv'), `${lines.join('\n')}\n`);
    const args = ['segment', 'geo-idlike.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat_id', '--lon', 'lon', '--eps', String(geo.eps_km), '--min-samples', String(geo.min_samples)];
    const plain = JSON.parse(ok([...args, '--json']).stdout);
    const written = JSON.parse(ok([...args, '--out', 'geo-idlike-out.csv', '--json']).stdout);
    expect(written.k).toBe(plain.k);
    expect(written.unassigned?.size).toBe(plain.unassigned?.size);
    const labels = readFileSync(path('geo-idlike-out.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    expect(adjustedRandScore(labels, geo.labels)).toBe(1);
    expect(labels.filter((l) => l < 0).length).toBe(geo.labels.filter((l: number) => l < 0).length);
  });

  it('--segment-column without --out replaces nothing: the column it names stays a feature', () => {
    const plain = JSON.parse(ok(['segment', 'blobs.csv', '--algorithm', 'dbscan', '--eps', '1', '--json']).stdout);
    const named = JSON.parse(ok(['segment', 'blobs.csv', '--algorithm', 'dbscan', '--eps', '1', '--segment-column', 'a', '--json']).stdout);
    expect(plain.features).toEqual(['a', 'b', 'c', 'd']);
    expect(named.features).toEqual(plain.features);
    expect(named.k).toBe(plain.k);
    expect(named.silhouette).toBe(plain.silhouette);
    expect(named.notices.join('\n')).not.toContain('segkit\'s own output');
  });

  it('haversine with a latitude beyond 90 names the row and column (exit 2)', () => {
    writeFileSync(path('bad-geo.csv'), 'lat,lon\n48.8,2.3\n91.2,2.3\n');
    const r = segkit(['segment', 'bad-geo.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', '1']);
    expect(r.code).toBe(2);
    // the file's line (header = line 1), as every command names rows
    expect(r.stderr).toContain('"bad-geo.csv": line 3, column "lat" holds latitude 91.2 (91.19999694824219 once prepared for the model), beyond [-90, 90]');
  });

  it('choose-k refuses the density algorithms', () => {
    const r = segkit(['choose-k', 'blobs.csv', '--algorithm', 'dbscan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('finds the number of segments itself');
  });
});

describe('few segments, few distinct customers', () => {
  it('dbscan finding one segment prints it with no comparison metrics, writes the report and a model score uses', async () => {
    // one column evenly spread: one dense group, no noise; standard-scaled, its sum of squares about the mean is n
    writeFileSync(path('one-group.csv'), `${['id,a', ...Array.from({ length: 20 }, (_, i) => `r${i},${(i / 10).toFixed(1)}`)].join('\n')}\n`);
    const s = JSON.parse(ok(['segment', 'one-group.csv', '--algorithm', 'dbscan', '--eps', '1', '--report', 'one-group.html', '--model', 'one-group.json', '--out', 'one-group-seg.csv', '--json', '--threads', '1']).stdout);
    expect(s.k).toBe(1);
    expect(s.segments.map((x: { size: number }) => x.size)).toEqual([20]);
    // silhouette, Calinski-Harabasz and Davies-Bouldin compare segments: none with one
    expect([s.silhouette, s.calinskiHarabasz, s.daviesBouldin]).toEqual([null, null, null]);
    expect(s.inertia).toBeCloseTo(20, 4);
    expect(readFileSync(path('one-group.html'), 'utf8')).toContain('<section id="segments"');
    ok(['score', 'one-group.csv', '--model', 'one-group.json', '--out', 'one-group-scored.csv', '--threads', '1']);
    expect(col(await readTable(path('one-group-scored.csv')), 'segment')).toEqual(new Array(20).fill(0));
    expect(ok(['segment', 'one-group.csv', '--algorithm', 'dbscan', '--eps', '1', '--threads', '1']).stdout).toContain('silhouette – · Calinski-Harabasz – · Davies-Bouldin – · inertia 20');
  });

  it('a small segment the silhouette\'s sample of 20,000 rows misses: no silhouette, the segments are still written', async () => {
    // 20,007 customers evenly spread in one dense group and 3 far away, placed on rows the seeded sample leaves out
    const { sampleRows } = await import('../src/metrics/silhouetteSamples.js');
    const n = 20_010, seed = 7;
    const inSample = new Set(sampleRows(n, 20_000, seed));
    const far = Array.from({ length: n }, (_, i) => i).filter((i) => !inSample.has(i)).slice(0, 3);
    expect(far).toHaveLength(3);
    const a = Array.from({ length: n }, (_, i) => (far.includes(i) ? 1000 + far.indexOf(i) * 0.001 : i * 0.001));
    writeFileSync(path('small-segment.csv'), `${['id,a', ...a.map((v, i) => `r${i},${v.toFixed(3)}`)].join('\n')}\n`);
    const s = JSON.parse(ok(['segment', 'small-segment.csv', '--algorithm', 'dbscan', '--eps', '0.05', '--min-samples', '3', '--scale', 'none', '--seed', String(seed),
      '--out', 'small-segment-out.csv', '--json', '-q']).stdout);
    expect(s.k).toBe(2);
    expect(s.segments.map((x: { size: number }) => x.size).sort((x: number, y: number) => x - y)).toEqual([3, n - 3]);
    expect(s.silhouette).toBeNull();
    expect(s.silhouetteSampleSize).toBe(20_000);
    expect(s.calinskiHarabasz).toBeGreaterThan(0);
    const seg = col(await readTable(path('small-segment-out.csv')), 'segment') as number[];
    expect(far.map((i) => seg[i])).toEqual([seg[far[0]], seg[far[0]], seg[far[0]]]);
    expect(seg.filter((l) => l === seg[far[0]])).toHaveLength(3);
    // evaluate on the same sample: no silhouette either, the other scores still given
    const e = JSON.parse(ok(['evaluate', 'small-segment-out.csv', '--labels', 'segment', '--columns', 'a', '--seed', String(seed), '--json']).stdout);
    expect(e.sizes.sort((x: number, y: number) => x - y)).toEqual([3, n - 3]);
    expect([e.silhouette, e.silhouetteSampleSize]).toEqual([null, 20_000]);
    expect(e.calinskiHarabasz).toBeGreaterThan(0);
  });

  it('dbscan putting every customer in a segment of its own (scikit-learn: 0 1 2 3 4) has no comparison metrics either', async () => {
    writeFileSync(path('apart.csv'), 'id,a,b\nr0,0,0\nr1,5,1\nr2,10,-3\nr3,-7,2\nr4,3,9\n');
    const s = JSON.parse(ok(['segment', 'apart.csv', '--algorithm', 'dbscan', '--eps', '0.0001', '--min-samples', '1', '--out', 'apart-seg.csv', '--report', 'apart.html', '--json', '--threads', '1']).stdout);
    expect(s.k).toBe(5);
    expect([s.silhouette, s.calinskiHarabasz, s.daviesBouldin, s.inertia]).toEqual([null, null, null, 0]);
    expect(col(await readTable(path('apart-seg.csv')), 'segment')).toEqual([0, 1, 2, 3, 4]);
    // no rules to learn from one customer per segment: the report leaves them out
    expect(readFileSync(path('apart.html'), 'utf8')).toContain('<section id="segments"');
  });

  it('never puts identical customers in different segments: a fixed k above the distinct customers is refused, a sweep stops there', () => {
    // 19 identical customers and one other: two distinct customers
    writeFileSync(path('twins.csv'), `${['id,a,b', ...Array.from({ length: 20 }, (_, i) => `r${i},${i === 19 ? 2 : 1},1`)].join('\n')}\n`);
    const fixed = segkit(['segment', 'twins.csv', '--algorithm', 'agglomerative', '--k', '3', '--json']);
    expect(fixed.code).toBe(2);
    expect(JSON.parse(fixed.stdout).error).toMatchObject({ code: 'E_TOO_FEW_DISTINCT', message: '--k: 3 segments are more than the 2 distinct customers (rows with the same features) the data has', hint: 'lower --k, or add features that tell the customers apart' });
    for (const algorithm of ['agglomerative', 'kmeans', 'gmm']) {
      const r = ok(['segment', 'twins.csv', '--algorithm', algorithm, '--json', '--threads', '1']);
      expect(r.stderr).toContain('--k-range 2..10 capped at 2: the data has only 2 distinct customers');
      expect(JSON.parse(r.stdout).segments.map((x: { size: number }) => x.size).sort()).toEqual([1, 19]);
    }
    const sweep = ok(['choose-k', 'twins.csv', '--algorithm', 'agglomerative', '--json', '--threads', '1']);
    expect(JSON.parse(sweep.stdout).table.map((r: { k: number }) => r.k)).toEqual([2]);
    // every customer the same: no k separates anyone
    writeFileSync(path('same.csv'), `${['id,a,b', ...Array.from({ length: 20 }, (_, i) => `r${i},1,1`)].join('\n')}\n`);
    const same = segkit(['segment', 'same.csv', '--algorithm', 'agglomerative', '--json']);
    expect(same.code).toBe(2);
    expect(JSON.parse(same.stdout).error).toMatchObject({ code: 'E_TOO_FEW_DISTINCT', message: '--k-range: every k in 2..10 is more segments than the 1 distinct customer (rows with the same features) the data has' });
  });
});
