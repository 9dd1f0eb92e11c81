// segkit score --proba with the classifiers of segkit train: a tree's or forest's class probabilities, one column per
// segment id as for mixtures, checked against the library's predictProba and, for a tree, scikit-learn's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentModel } from '../src/workflow/segmentModel.js';
import { readTable } from '../src/data/readTable.node.js';
import { close } from '../src/engine/defaultExecutor.js';
import { createRandom } from '../src/util/random.js';
import { ok as okIn, segkit as segkitIn } from './helpers/segkitCli.js';

let dir = '';
const path = (name: string) => join(dir, name);
const ok = (args: readonly string[]) => okIn(dir, args);
const segkit = (args: readonly string[]) => segkitIn(dir, args);

/** Three overlapping groups; `label` holds the group's id (times `step`, so ids may skip) and `plan` a name. */
function csv(n: number, seed: number, step = 1): string {
  const rng = createRandom(seed);
  const lines = ['customer_id,spend,visits,tenure,label,plan'];
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    lines.push([`c${seed}-${String(i).padStart(4, '0')}`, (50 + 25 * g + 15 * rng.normal()).toFixed(2), (5 + 3 * g + 3 * rng.normal()).toFixed(2), (10 * g + 6 * rng.normal()).toFixed(2), g * step, ['basic', 'plus', 'pro'][g]].join(','));
  }
  return `${lines.join('\n')}\n`;
}

const column = (t: Awaited<ReturnType<typeof readTable>>, name: string): number[] => {
  const c = t.getChild(name);
  if (!c) throw new Error(`no column ${name}`);
  return Array.from(c.toArray() as ArrayLike<number>, Number);
};
const probaNames = (t: Awaited<ReturnType<typeof readTable>>): string[] => t.schema.fields.map((f) => f.name).filter((n) => n.startsWith('segment_proba_'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-treeproba-'));
  writeFileSync(path('customers.csv'), csv(600, 1));
  writeFileSync(path('new.csv'), csv(300, 2));
  writeFileSync(path('sparse.csv'), csv(300, 3, 2));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await close();
});

describe('segkit score --proba with tree and forest models', () => {
  it('a tree on iris writes scikit-learn\'s predict_proba (DecisionTreeClassifier, max_depth 3) and the library\'s', async () => {
    const fx = JSON.parse(readFileSync(new URL('./fixtures/tree-iris.json', import.meta.url), 'utf8')) as { X: number[][]; y: number[]; predict: number[]; predict_proba: number[][] };
    // the fixture's float32 values, written in full: read back, they are the same float32 values
    writeFileSync(path('iris.csv'), `id,sepal_length,sepal_width,petal_length,petal_width,species\n${fx.X.map((r, i) => [`f${i}`, ...r.map(String), fx.y[i]].join(',')).join('\n')}\n`);
    ok(['train', 'iris.csv', '--target', 'species', '--algorithm', 'tree', '--max-depth', '3', '--model', 'iris-tree.json', '-q']);
    ok(['score', 'iris.csv', '--model', 'iris-tree.json', '--out', 'iris-scored.csv', '--proba', '--threads', '1']);
    const scored = await readTable(path('iris-scored.csv'));
    expect(probaNames(scored)).toEqual(['segment_proba_0', 'segment_proba_1', 'segment_proba_2']);
    expect(column(scored, 'segment')).toEqual(fx.predict);
    const model = SegmentModel.fromJSON(readFileSync(path('iris-tree.json'), 'utf8'));
    const lib = await model.predictWithProba(await readTable(path('iris.csv')), { threads: 1 });
    for (let c = 0; c < 3; c++) {
      const p = column(scored, `segment_proba_${c}`);
      p.forEach((v, i) => {
        expect(v).toBeCloseTo(fx.predict_proba[i][c], 12);
        expect(v).toBe(lib.proba[i * 3 + c]);
      });
    }
    // the leaves are not all pure: some rows have a probability strictly between 0 and 1
    expect(fx.predict_proba.some((r) => r.some((p) => p > 0 && p < 1))).toBe(true);
  });

  it('a forest writes the library\'s predictProba, columns by segment id, the same bytes on 1 and 2 threads and in any batch size', async () => {
    ok(['train', 'customers.csv', '--target', 'label', '--algorithm', 'forest', '--n-trees', '15', '--exclude', 'plan', '--model', 'forest.json', '-q']);
    ok(['score', 'new.csv', '--model', 'forest.json', '--out', 'f1.csv', '--proba', '--threads', '1']);
    ok(['score', 'new.csv', '--model', 'forest.json', '--out', 'f2.csv', '--proba', '--threads', '2', '--batch-size', '37']);
    expect(readFileSync(path('f2.csv'), 'utf8')).toBe(readFileSync(path('f1.csv'), 'utf8'));
    const scored = await readTable(path('f1.csv'));
    expect(scored.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'spend', 'visits', 'tenure', 'label', 'plan', 'segment', 'segment_name', 'segment_proba_0', 'segment_proba_1', 'segment_proba_2']);
    const model = SegmentModel.fromJSON(readFileSync(path('forest.json'), 'utf8'));
    const table = await readTable(path('new.csv'));
    const lib = await model.predictWithProba(table, { threads: 1 });
    const p = [0, 1, 2].map((c) => column(scored, `segment_proba_${c}`));
    const labels = column(scored, 'segment');
    expect(labels).toEqual(Array.from(lib.labels));
    let soft = 0;
    for (let i = 0; i < labels.length; i++) {
      for (let c = 0; c < 3; c++) expect(p[c][i]).toBe(lib.proba[i * 3 + c]);
      expect(p[0][i] + p[1][i] + p[2][i]).toBeCloseTo(1, 12);
      // the segment is the first largest probability
      const best = [0, 1, 2].reduce((b, c) => (p[c][i] > p[b][i] ? c : b), 0);
      expect(labels[i]).toBe(best);
      if (Math.max(p[0][i], p[1][i], p[2][i]) < 1) soft++;
    }
    expect(soft).toBeGreaterThan(0);

    // Parquet and Arrow output, and --keep: the same probabilities beside the kept columns
    ok(['score', 'new.csv', '--model', 'forest.json', '--out', 'f.parquet', '--proba', '--keep', 'customer_id']);
    ok(['score', 'new.csv', '--model', 'forest.json', '--out', 'f.arrow', '--proba', '--keep', 'customer_id']);
    for (const file of ['f.parquet', 'f.arrow']) {
      const t = await readTable(path(file));
      expect(t.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'segment', 'segment_name', 'segment_proba_0', 'segment_proba_1', 'segment_proba_2']);
      expect(Array.from(t.getChild('customer_id')!.toArray() as ArrayLike<string>)).toEqual(Array.from(table.getChild('customer_id')!.toArray() as ArrayLike<string>));
      for (let c = 0; c < 3; c++) expect(column(t, `segment_proba_${c}`)).toEqual(p[c]);
    }
    // a bare forest from the library (its own toJSON) scores the same
    writeFileSync(path('bare-forest.json'), JSON.stringify(model.model.toJSON()));
    ok(['score', 'new.csv', '--model', 'bare-forest.json', '--out', 'bare.csv', '--proba', '--threads', '1']);
    const bare = await readTable(path('bare.csv'));
    for (let c = 0; c < 3; c++) expect(column(bare, `segment_proba_${c}`)).toEqual(p[c]);
  });

  it('segment ids that skip get a column each, 0 where the classifier never saw the segment; text targets as well', async () => {
    // ids 0, 2 and 4: five columns, as the library's predictProba gives them
    ok(['train', 'sparse.csv', '--target', 'label', '--algorithm', 'tree', '--exclude', 'plan', '--model', 'sparse.json', '-q']);
    ok(['score', 'sparse.csv', '--model', 'sparse.json', '--out', 'sparse-scored.csv', '--proba', '--threads', '1']);
    const scored = await readTable(path('sparse-scored.csv'));
    expect(probaNames(scored)).toEqual([0, 1, 2, 3, 4].map((c) => `segment_proba_${c}`));
    expect(column(scored, 'segment_proba_1').every((v) => v === 0)).toBe(true);
    expect(column(scored, 'segment_proba_3').every((v) => v === 0)).toBe(true);
    const lib = await SegmentModel.fromJSON(readFileSync(path('sparse.json'), 'utf8')).predictWithProba(await readTable(path('sparse.csv')), { threads: 1 });
    for (let c = 0; c < 5; c++) column(scored, `segment_proba_${c}`).forEach((v, i) => expect(v).toBe(lib.proba[i * 5 + c]));

    // a text target: segments named by the classes, probabilities by their ids
    ok(['train', 'customers.csv', '--target', 'plan', '--algorithm', 'forest', '--n-trees', '5', '--exclude', 'label', '--model', 'named.json', '-q']);
    ok(['score', 'new.csv', '--model', 'named.json', '--out', 'named.csv', '--proba', '--threads', '1', '--segment-column', 'tier']);
    const named = await readTable(path('named.csv'));
    const model = SegmentModel.fromJSON(readFileSync(path('named.json'), 'utf8'));
    expect(named.schema.fields.map((f) => f.name).slice(-5)).toEqual(['tier', 'tier_name', 'tier_proba_0', 'tier_proba_1', 'tier_proba_2']);
    const plib = await model.predictWithProba(await readTable(path('new.csv')), { threads: 1 });
    for (let c = 0; c < 3; c++) column(named, `tier_proba_${c}`).forEach((v, i) => expect(v).toBe(plib.proba[i * 3 + c]));
  });

  it('a Binary target (Parquet strings written without their UTF8 annotation) names the segments by its text, not its bytes', async () => {
    // the same customers and labels as text and as bytes: "basic" was the segment named "98,97,115,105,99", sorted
    // after "112,108,117,115" ("plus"), so the ids and names of the classes were not the text target's
    const { Binary, Float64, Table, Utf8, tableToIPC, vectorFromArray } = await import('apache-arrow');
    const t = await readTable(path('customers.csv'));
    const plans = Array.from({ length: t.numRows }, (_, i) => String(t.getChild('plan')!.get(i)));
    const enc = new TextEncoder();
    const num = (name: string) => vectorFromArray(column(t, name), new Float64());
    const table = (plan: Vector) => new Table({ spend: num('spend'), visits: num('visits'), tenure: num('tenure'), plan });
    writeFileSync(path('plan-text.arrow'), tableToIPC(table(vectorFromArray(plans, new Utf8())), 'file'));
    // non-UTF-8 bytes (a hash) read as their hexadecimal
    const bytes = plans.map((p) => (p === 'pro' ? Uint8Array.of(0xfe, 0x01) : enc.encode(p)));
    writeFileSync(path('plan-bytes.arrow'), tableToIPC(table(vectorFromArray(bytes, new Binary())), 'file'));
    const train = (file: string) => JSON.parse(ok(['train', file, '--target', 'plan', '--algorithm', 'tree', '--max-depth', '3', '--json', '-q']).stdout);
    const text = train('plan-text.arrow'), raw = train('plan-bytes.arrow');
    expect(text.segments).toEqual(['basic', 'plus', 'pro']);
    expect(raw.segments).toEqual(['basic', 'fe01', 'plus']);
    expect(raw.trainAccuracy).toBe(text.trainAccuracy);
    // the bytes fe 01 and the text "fe01" read alike: two labels that would be one segment are refused
    writeFileSync(path('plan-both.arrow'), tableToIPC(table(vectorFromArray(bytes.map((b, i) => (i === 5 ? enc.encode('fe01') : b)), new Binary())), 'file'));
    const both = segkit(['train', 'plan-both.arrow', '--target', 'plan', '--algorithm', 'tree', '-q']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('column "plan" holds "fe01" both as text and as the hexadecimal of bytes that are not UTF-8');
    // numeric ids named by a Binary companion column, as by a text one
    const ids = vectorFromArray(plans.map((p) => ['basic', 'plus', 'pro'].indexOf(p)), new Float64());
    const withNames = new Table({ spend: num('spend'), visits: num('visits'), tenure: num('tenure'), plan: ids, plan_name: vectorFromArray(plans.map((p) => enc.encode(p)), new Binary()) });
    writeFileSync(path('plan-named.arrow'), tableToIPC(withNames, 'file'));
    ok(['train', 'plan-named.arrow', '--target', 'plan', '--algorithm', 'tree', '--max-depth', '3', '--model', 'plan-named.json', '-q']);
    const saved = SegmentModel.fromJSON(readFileSync(path('plan-named.json'), 'utf8'));
    expect(saved.segments.map((s) => s.name)).toEqual(['basic', 'plus', 'pro']);
  });

  it('a classifier whose segment ids skip past 255 is refused for --proba, naming the ids, and still scores without it', () => {
    // 300 rows of segments 0 and 299: --proba wrote 300 columns, 298 of them always 0 (and ids near the rows of a large
    // file asked for rows x ids cells: a RangeError or a process that never finished)
    const rows = Array.from({ length: 300 }, (_, i) => `s${i},${((i % 2) * 5 + (i % 7) / 7).toFixed(3)},${(i % 11) / 11},${i % 2 ? 299 : 0}`);
    writeFileSync(path('skip.csv'), `id,a,b,label\n${rows.join('\n')}\n`);
    ok(['train', 'skip.csv', '--target', 'label', '--algorithm', 'tree', '--model', 'skip.json', '-q']);
    const r = segkit(['score', 'skip.csv', '--model', 'skip.json', '--out', 'skip-scored.csv', '--proba', '--threads', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('segment ids up to 299: probabilities take a column per id, 300 for 2 segments');
    ok(['score', 'skip.csv', '--model', 'skip.json', '--out', 'skip-scored.csv', '--threads', '1']);
    expect(readFileSync(path('skip-scored.csv'), 'utf8').split('\n')[2]).toMatch(/,299,/);
  });

  it('a bare tree file declaring a billion segments is refused at once, where its empty summaries took hours', async () => {
    const { decisionTree } = await import('../src/core/treeModel.js');
    const tree = await decisionTree({ columns: [Float32Array.from([1, 2, 3, 4, 5, 6])], names: ['spend'] }, [0, 0, 0, 1, 1, 1], { maxDepth: 1 });
    const bare = tree.toJSON() as unknown as Record<string, unknown> & { tree: Record<string, unknown> };
    const writeBare = (k: number, file: string) => {
      // classes 0 and k - 1 on k rows each: a file the tree's own checks accept
      bare.k = k;
      bare.classes = [0, k - 1];
      bare.nSamples = 2 * k;
      bare.tree = { ...bare.tree, count: [2 * k, k, k], value: [[k, k], [k, 0], [0, k]] };
      writeFileSync(path(file), JSON.stringify(bare));
    };
    writeBare(1e9, 'bare-huge.json');
    const r = segkit(['score', 'new.csv', '--model', 'bare-huge.json', '--out', 'huge.csv', '--threads', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('model field "k" must be at most 65536 in a model file saved without its preparation, got 1000000000');
    // segment ids up to the limit still score: spend 3 and below is segment 0, above it segment 299
    writeBare(300, 'bare-300.json');
    ok(['score', 'new.csv', '--model', 'bare-300.json', '--out', 'bare-300.csv', '--threads', '1']);
    const scored = await readTable(path('bare-300.csv'));
    const spend = column(scored, 'spend');
    column(scored, 'segment').forEach((s, i) => expect(s).toBe(spend[i] <= 3.5 ? 0 : 299));
  });

  it('a bare k-means file is not held to the segment limit of a classifier\'s ids: its segments are the centroids it holds', async () => {
    const { kmeans } = await import('../src/core/kmeans.js');
    const { bareModel } = await import('../src/cli/bareModel.js');
    const model = await kmeans({ columns: [Float32Array.from([0, 1, 2, 3])], names: ['spend'] }, { k: 2, seed: 1 });
    const k = 70_000;
    const file = { ...(model.toJSON() as unknown as Record<string, unknown>), k, nSamples: k, centroids: Array.from({ length: k }, (_, t) => [t]) };
    const bare = bareModel(file)!;
    expect(bare.model.k).toBe(k);
    expect(bare.segments).toHaveLength(k);
    expect(Array.from(await bare.predict([{ spend: 5.2 }] as never))).toEqual([5]);
  });

  it('models with no probabilities are still refused, naming what gives them', () => {
    ok(['segment', 'customers.csv', '--k', '3', '--exclude', 'label', '--model', 'km.json', '-q']);
    const r = segkit(['score', 'new.csv', '--model', 'km.json', '--out', 'x.csv', '--proba']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"km.json" holds a kmeans model (segment with --algorithm gmm, or train a tree or forest)');
  });
});
