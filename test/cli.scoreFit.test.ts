// segkit score on the very file a model was fitted on gives the segments segkit segment wrote, byte for byte, for
// every model kind with a rule for new rows; an agglomerative model scores by its nearest final centroid instead.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentModel } from '../src/workflow/segmentModel.js';
import { readTable } from '../src/data/readTable.node.js';
import { close } from '../src/engine/defaultExecutor.js';
import { ok as okIn, ROOT } from './helpers/segkitCli.js';

let dir = '';
const path = (name: string) => join(dir, name);
const ok = (args: readonly string[]) => okIn(dir, args);
const segments = async (file: string): Promise<number[]> => Array.from((await readTable(path(file))).getChild('segment')!.toArray() as ArrayLike<number>, Number);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-scorefit-'));
  copyFileSync(join(ROOT, 'examples', 'customers.csv'), path('customers.csv'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await close();
});

describe('score on the fitted file', () => {
  const kinds: [string, string[]][] = [
    ['kmeans', ['--k', '4']],
    ['minibatch-kmeans', ['--k', '4']],
    ['gmm', ['--k', '4', '--proba']],
    ['dbscan', ['--eps', '1.5']],
  ];
  for (const [algorithm, extra] of kinds) {
    it(`${algorithm}: the bytes segment wrote, on 1 and 2 threads`, () => {
      ok(['segment', 'customers.csv', '--algorithm', algorithm, ...extra, '--out', `${algorithm}-fit.csv`, '--model', `${algorithm}.json`, '-q']);
      const proba = extra.includes('--proba') ? ['--proba'] : [];
      for (const threads of ['1', '2']) {
        ok(['score', 'customers.csv', '--model', `${algorithm}.json`, '--out', `${algorithm}-${threads}.csv`, '--threads', threads, ...proba]);
        expect(readFileSync(path(`${algorithm}-${threads}.csv`), 'utf8')).toBe(readFileSync(path(`${algorithm}-fit.csv`), 'utf8'));
      }
    });
  }

  it('agglomerative (single linkage): the nearest final centroid, which is not always the tree\'s cut', async () => {
    ok(['segment', 'customers.csv', '--algorithm', 'agglomerative', '--linkage', 'single', '--k', '4', '--out', 'agg-fit.csv', '--model', 'agg.json', '-q']);
    ok(['score', 'customers.csv', '--model', 'agg.json', '--out', 'agg-scored.csv', '--threads', '1']);
    const model = SegmentModel.fromJSON(readFileSync(path('agg.json'), 'utf8'));
    const table = await readTable(path('customers.csv'));
    const data = model.pipeline.transform(table).dataset;
    const centroids = (model.model as unknown as { centroids: number[][] }).centroids;
    const scored = await segments('agg-scored.csv');
    const fit = await segments('agg-fit.csv');
    expect(scored).toEqual(Array.from(await model.predict(table, { threads: 1 })));
    // each row's segment is its nearest centroid (float64 distances; no row lies near a tie here)
    for (let i = 0; i < data.n; i++) {
      const dist = centroids.map((c) => c.reduce((s, v, j) => s + (data.columns[j][i] - v) ** 2, 0));
      expect(scored[i]).toBe(dist.indexOf(Math.min(...dist)));
    }
    expect(scored.some((s, i) => s !== fit[i])).toBe(true);
  });
});
