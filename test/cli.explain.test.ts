// segkit explain, segkit train and segkit score with a classifier, run as a user would (the built dist/cli/main.js).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binary, Float64, Int32, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { close, createRandom, decisionTree, fromColumns, permutationImportance, readTable, SegmentModel, segmentRules } from '../src/index.node.js';
import { hashInts } from '../src/util/hash.js';
import { BIN, ok as okIn, segkit as segkitIn } from './helpers/segkitCli.js';

let dir = '';
const path = (name: string) => join(dir, name);
const segkit = (args: readonly string[]) => segkitIn(dir, args);
const ok = (args: readonly string[]) => okIn(dir, args);

// three groups a customer base would have, with a gender column skewed in one group
function customers(n: number, seed: number): string {
  const rng = createRandom(seed);
  const lines = ['customer_id,income,spend,visits,gender,country,segment,segment_name'];
  const names = ['Affluent savers', 'Frequent spenders', 'Occasional visitors'];
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    const income = [95, 45, 30][g] * (1 + 0.1 * rng.normal());
    const spend = [20, 70, 10][g] * (1 + 0.1 * rng.normal());
    const visits = Math.round([4, 14, 1][g] * (1 + 0.2 * rng.normal()));
    const gender = rng.next() < (g === 1 ? 0.85 : 0.5) ? 'female' : 'male';
    lines.push([`c${i}`, income.toFixed(2), spend.toFixed(2), Math.max(0, visits), gender, ['FR', 'DE'][i % 2], g, names[g]].join(','));
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-explain-'));
  writeFileSync(path('labelled.csv'), customers(300, 1));
  writeFileSync(path('new.csv'), customers(120, 2).split('\n').map((l) => l.split(',').slice(0, 6).join(',')).join('\n'));
});
afterAll(async () => {
  await close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('segkit explain', () => {
  it('refuses --rows naming an id two customers share, rather than explaining one of them', () => {
    writeFileSync(path('dupid.csv'), ['id,spend,segment', '1,10,0', '2,12,0', '1,50,1', '3,52,1'].join('\n') + '\n');
    const r = segkit(['explain', 'dupid.csv', '--labels', 'segment', '--id', 'id', '--rows', '1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_DUPLICATE_ID', message: '--rows: id "1" is in lines 2 and 4 of column "id": which customer to explain is ambiguous' });
    // an id asked for once and held once is explained
    expect(segkit(['explain', 'dupid.csv', '--labels', 'segment', '--id', 'id', '--rows', '2', '-q']).code).toBe(0);
  });

  it('suggests deeper rules only when the rules stopped at --max-depth, and counts one customer as one', () => {
    // segment 2's one customer has segment 0's spend: no depth tells them apart
    writeFileSync(path('norule.csv'), ['spend,segment', '1,0', '1,0', '1,0', '1,2', '5,1', '5,1', '5,1'].join('\n') + '\n');
    const lines = ok(['explain', 'norule.csv', '--labels', 'segment', '--max-depth', '5', '--threads', '1']).stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('  segment 2 ('));
    expect(lines.slice(at, at + 2)).toEqual([
      '  segment 2 (1 customer; the rules find 0.0% of them, 0.0% of those they pick are in it)',
      '    no rule picks it out: other segments\' customers outnumber its own wherever the rules look',
    ]);
    // three segments on one feature: a rule of one condition finds two of them, one more condition all three
    writeFileSync(path('deep.csv'), ['spend,segment', '1,0', '1,0', '1,0', '5,1', '5,1', '5,1', '9,2', '9,2', '9,2'].join('\n') + '\n');
    const shallow = ok(['explain', 'deep.csv', '--labels', 'segment', '--max-depth', '1', '--threads', '1']).stdout;
    expect(shallow).toContain('  segment 2 (3 customers; the rules find 0.0% of them, 0.0% of those they pick are in it)\n    no rule of this depth picks it out (try --max-depth 2)\n');
    expect(ok(['explain', 'deep.csv', '--labels', 'segment', '--max-depth', '2', '--threads', '1']).stdout).toContain('3 < spend <= 7 -> segment 1: 100% of 3 customers');
  });

  it('says the rules are in scaled units when --scale is given, and not otherwise', () => {
    writeFileSync(path('scaled.csv'), ['spend,segment', '10,0', '12,0', '14,0', '50,1', '52,1', '54,1'].join('\n') + '\n');
    const note = "--scale standard: the rules' thresholds are in scaled units, not the customers'";
    const scaled = ok(['explain', 'scaled.csv', '--labels', 'segment', '--scale', 'standard', '--threads', '1']);
    // the threshold between 14 and 50 standardised: 0 rather than 32
    expect(scaled.stdout).toContain('spend <= 0 -> segment 0');
    expect(scaled.stderr).toContain(note);
    const plain = ok(['explain', 'scaled.csv', '--labels', 'segment', '--threads', '1']);
    expect(plain.stdout).toContain('spend <= 32 -> segment 0');
    expect(plain.stderr).not.toContain('scaled units');
    expect(ok(['explain', 'scaled.csv', '--labels', 'segment', '--scale', 'none', '--threads', '1']).stderr).not.toContain('scaled units');
  });

  it('suggests deeper rules only when a rule at --max-depth holds some of the segment\'s customers', () => {
    // segment 2's ten customers share segment 0's spend (a leaf at depth 1 no depth splits); segments 1 and 3 need
    // depth 2, so the tree reaches the limit elsewhere: a deeper rule would still not find segment 2
    const rows = [...Array(30).fill('1,0'), ...Array(10).fill('1,2'), '5,1', '5,1', '5,1', '9,3', '9,3', '9,3'];
    writeFileSync(path('apart.csv'), ['spend,segment', ...rows].join('\n') + '\n');
    const run = (depth: string) => ok(['explain', 'apart.csv', '--labels', 'segment', '--max-depth', depth, '--threads', '1']).stdout;
    expect(run('2')).toContain('  segment 2 (10 customers; the rules find 0.0% of them, 0.0% of those they pick are in it)\n    no rule picks it out: other segments\' customers outnumber its own wherever the rules look\n');
    expect(run('3')).toContain('  segment 2 (10 customers; the rules find 0.0% of them, 0.0% of those they pick are in it)\n    no rule picks it out: other segments\' customers outnumber its own wherever the rules look\n');
    // at depth 1 its customers are in a rule at the limit: deeper rules are worth trying (and find segments 1 and 3)
    expect(run('1')).toContain('  segment 2 (10 customers; the rules find 0.0% of them, 0.0% of those they pick are in it)\n    no rule of this depth picks it out (try --max-depth 2)\n');
  });

  it('--rows finds a customer by the text of a Binary id (Parquet text without its UTF8 annotation), as rfm reads it', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    writeFileSync(path('binary-ids.arrow'), tableToIPC(new Table({
      id: vectorFromArray(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map(enc), new Binary()),
      spend: vectorFromArray([10, 12, 11, 50, 52, 55], new Float64()),
      segment: vectorFromArray([0, 0, 0, 1, 1, 1], new Int32()),
    }), 'file'));
    // read as its byte values ("99,50"), no customer had the id c2
    const r = JSON.parse(ok(['explain', 'binary-ids.arrow', '--labels', 'segment', '--id', 'id', '--rows', 'c2,c5', '--threads', '1', '--json']).stdout);
    expect(r.customers.map((c: { id: string; segment: number }) => [c.id, c.segment])).toEqual([['c2', 0], ['c5', 1]]);
  });

  it('--rows finds a customer of a column of numbers by the id as the file writes it (12003.0, 1E5)', () => {
    // ids as a spreadsheet exports them: numbers with a decimal point, one in exponent form
    const ids = ['12000.0', '12001.0', '12002.0', '12003.0', '1E5', '12005.0'];
    const rows = ids.map((id, i) => `${id},${[10, 12, 11, 50, 52, 55][i]},${[0, 0, 0, 1, 1, 1][i]}`);
    writeFileSync(path('float-ids.csv'), `CustomerID,spend,segment\n${rows.join('\n')}\n`);
    const r = JSON.parse(ok(['explain', 'float-ids.csv', '--labels', 'segment', '--rows', '12003.0,1E5,12001.0', '--threads', '1', '--json']).stdout);
    expect(r.customers.map((c: { id: string; segment: number }) => [c.id, c.segment])).toEqual([['12003.0', 1], ['1E5', 1], ['12001.0', 0]]);
    // the number as a reader gives it finds the same customer
    const same = JSON.parse(ok(['explain', 'float-ids.csv', '--labels', 'segment', '--rows', '12003', '--threads', '1', '--json']).stdout);
    expect(same.customers.map((c: { segment: number }) => c.segment)).toEqual([1]);
    expect(segkit(['explain', 'float-ids.csv', '--labels', 'segment', '--rows', '12003.5', '-q']).code).toBe(2);
  });

  it('--rows names customer ids: one given twice, or an empty one, is a usage error that says so', () => {
    const twice = segkit(['explain', 'dupid.csv', '--labels', 'segment', '--id', 'id', '--rows', '2,2', '--json']);
    expect(twice.code).toBe(2);
    expect(JSON.parse(twice.stdout).error).toMatchObject({ code: 'E_USAGE', message: `option '--rows <ids>' argument '2,2' is invalid. names id "2" twice.` });
    const empty = segkit(['explain', 'dupid.csv', '--labels', 'segment', '--id', 'id', '--rows', '2,', '--json']);
    expect(empty.code).toBe(2);
    expect(JSON.parse(empty.stdout).error.message).toBe(`option '--rows <ids>' argument '2,' is invalid. must be customer ids separated by commas (an id holding a comma in double quotes: "a,b").`);
  });

  it('refuses a --value column of text (amounts with a currency sign) instead of counting it as 0', () => {
    writeFileSync(path('money.csv'), ['id,visits,amount,segment', '1,1,$10.00,0', '2,2,$12.00,0', '3,1,$11.00,0', '4,8,$50.00,1', '5,9,$52.00,1', '6,7,$55.00,1'].join('\n') + '\n');
    const r = segkit(['explain', 'money.csv', '--labels', 'segment', '--value', 'amount', '--report', 'money.html', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_NON_NUMERIC', message: '"money.csv": the --value column "amount" holds values such as "$10.00", not numbers' });
  });

  it('prints rules with fidelity and importance, explains customers by id, writes the report', () => {
    const r = ok(['explain', 'labelled.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'c0,c4', '--report', 'report.html', '--value', 'spend', '--audit', 'gender', '--json', '--threads', '1']);
    const s = JSON.parse(r.stdout);
    expect(s.rows).toBe(300);
    // spend, the --value column, is shown in the report and left out of the features, with a note that says so
    expect(s.features).toEqual(['income', 'visits']);
    expect(r.stderr).toContain('left out of the features: "spend", named by --value or --audit');
    expect(s.fidelity).toBe(1);
    expect(s.rules.map((x: { segment: number }) => x.segment)).toEqual([0, 1, 2]);
    expect(s.rules[0].rules[0].text).toMatch(/^income >=? [\d.]+ -> segment 0: 100% of 100 customers$/);
    expect(s.importance.features.find((f: { feature: string }) => f.feature === 'income').importance).toBeGreaterThan(0.3);
    expect(s.customers.map((c: { id: string; segment: number }) => [c.id, c.segment])).toEqual([['c0', 0], ['c4', 1]]);
    expect(s.customers[0].method).toBe('decision path');
    expect(s.composition[0].flagged.some((g: { segment: number; group: string }) => g.segment === 1 && g.group === 'female')).toBe(true);
    const html = readFileSync(path('report.html'), 'utf8');
    expect(html).toContain('<section id="segments"');
    expect(html).toContain('data-chart="value"');
    expect(html).toContain('data-audit="gender"');
    expect(html).toContain('data-chart="mix-country"');
  });


  it("importance without --model is the share of customers whose segment in the rules changes, whatever the rules' fidelity", async () => {
    // labels the rules cannot all follow: a fifth of them drawn at random
    const rng = createRandom(4);
    const rows = ['x,y,segment'];
    for (let i = 0; i < 300; i++) {
      const x = Math.round(rng.next() * 1000) / 100, y = Math.round(rng.next() * 1000) / 100;
      rows.push(`${x},${y},${rng.next() < 0.2 ? rng.int(3) : x < 3.3 ? 0 : x < 6.6 ? 1 : 2}`);
    }
    writeFileSync(path('noisy.csv'), rows.join('\n') + '\n');
    const s = JSON.parse(ok(['explain', 'noisy.csv', '--labels', 'segment', '--repeats', '3', '--seed', '0', '--json', '--threads', '1']).stdout);
    expect(s.fidelity).toBeLessThan(0.9);
    // the twin: the same rules, each feature shuffled as the command shuffles it, the rules' segments before and after
    const table = await readTable(path('noisy.csv'));
    const ds = fromColumns({ columns: ['x', 'y'].map((c) => Float32Array.from(table.getChild(c)!.toArray() as Float64Array)), names: ['x', 'y'] });
    const labels = Int32Array.from(table.getChild('segment')!.toArray() as ArrayLike<number>, Number);
    const rules = await segmentRules(ds, labels, { maxDepth: 3 });
    expect(s.fidelity).toBe(rules.fidelity);
    const twin = await permutationImportance(rules.tree, ds, undefined, { repeats: 3, seed: 0 });
    expect(s.importance.baseline).toBe(1);
    expect(s.importance.features.map((f: { importance: number }) => f.importance)).toEqual([...twin.importances]);
    // each shuffle's share of changed segments, counted here: rows whose rule segment differs from the unshuffled one
    const before = await rules.tree.predict(ds);
    const shareChanged = async (j: number, r: number) => {
      const col = Float32Array.from(ds.columns[j]);
      const q = createRandom(hashInts(0, j, r));
      for (let i = col.length - 1; i > 0; i--) { const t = q.int(i + 1); [col[i], col[t]] = [col[t], col[i]]; }
      const after = await rules.tree.predict(fromColumns({ columns: ds.columns.map((c, p) => (p === j ? col : c)), names: ds.names }));
      return after.reduce((a, l, i) => a + (l !== before[i] ? 1 : 0), 0) / ds.n;
    };
    for (const j of [0, 1]) {
      const mean = ((await shareChanged(j, 0)) + (await shareChanged(j, 1)) + (await shareChanged(j, 2))) / 3;
      expect(s.importance.features[j].importance).toBeCloseTo(mean, 12);
    }
  });
  it('explains with the model that made the segments (centroid gaps in its own features)', () => {
    ok(['segment', 'labelled.csv', '--k', '3', '--seed', '1', '--exclude', 'segment', '--out', 'seg.csv', '--model', 'km.json', '--threads', '1', '--segment-column', 'cluster']);
    const r = ok(['explain', 'seg.csv', '--labels', 'cluster', '--model', 'km.json', '--exclude', 'segment', '--id', 'customer_id', '--rows', 'c7', '--json', '--threads', '1']);
    const s = JSON.parse(r.stdout);
    expect(s.importance.of).toBe('the model (kmeans)');
    expect(s.importance.baseline).toBe(1);
    const c = s.customers[0];
    expect(c.method).toBe('centroid distance');
    const sum = Object.values(c.contributions as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(c.gap, 12);
  });

  it("states a customer's own segment beside the rules' one, the count of segments present, and the values it filled in", () => {
    // two groups told apart by x; c7 sits in the first group's range but is labelled 1, c3 has no x; segment ids 0 and 5
    const lines = ['customer_id,x,y,segment'];
    for (let i = 0; i < 40; i++) {
      const g = i % 2;
      const x = i === 3 ? '' : i === 7 ? '0.2' : (g * 10 + (i % 5) * 0.1).toFixed(2);
      lines.push(`c${i},${x},${((i * 7) % 10) / 10},${g * 5}`);
    }
    writeFileSync(path('odd.csv'), `${lines.join('\n')}\n`);
    const r = ok(['explain', 'odd.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'c7,c3,c2', '--max-depth', '1', '--threads', '1']);
    expect(r.stdout).toMatch(/^40 customers · 2 segments in "segment"/);
    expect(r.stdout).toContain('customer c7: segment 5; the rules put it in segment 0, runner-up segment 5');
    expect(r.stdout).toMatch(/customer c3: segment 5; the rules put it in segment 0, runner-up segment 5 [^\n]*\n {2}missing in the file, filled by the preparation: x\n/);
    expect(r.stdout).toMatch(/customer c2: segment 0, runner-up segment 5 \(decision path; gap [\d.]+\)\n {2}path:/);
    expect(r.stderr).toContain("filled missing values with the column's median: x 1");
    // a value that cannot be used is named by its file line, as segment names it
    writeFileSync(path('inf.csv'), 'customer_id,x,segment\nc1,1,0\nc2,Infinity,1\nc3,3,1\n');
    for (const command of [['explain', 'inf.csv', '--labels', 'segment'], ['train', 'inf.csv', '--target', 'segment', '--model', 'inf.json']]) {
      const bad = segkit(command);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('"inf.csv": line 3, column "x" holds Infinity');
    }
    const s = JSON.parse(ok(['explain', 'odd.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'c7,c3,c2', '--max-depth', '1', '--threads', '1', '--json']).stdout);
    expect(s.segments).toBe(2);
    expect(s.customers.map((c: { segment: number; assigned: number; filled: string[] }) => [c.segment, c.assigned, c.filled])).toEqual([[5, 0, []], [5, 0, ['x']], [0, 0, []]]);
  });

  it("prints a customer's path with the digits that tell its value from the split's bound, as the rules do", () => {
    // p up to 1234567, q from 1234568: the tree splits big at 1234567.5
    const lines = ['customer_id,big,small,segment'];
    for (let i = 0; i < 40; i++) lines.push(`c${i},${1234560 + (i % 10)},${((i % 7) * 1e-4).toFixed(4)},${i % 10 <= 7 ? 'p' : 'q'}`);
    writeFileSync(path('digits.csv'), `${lines.join('\n')}\n`);
    const r = ok(['explain', 'digits.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'c7,c8', '--threads', '1']);
    expect(r.stdout).toContain('big <= 1234567.5 -> p');
    // two decimals printed "big = 1,234,568 > 1,234,568", which no reader can follow
    expect(r.stdout).toMatch(/customer c7: [^\n]*\n {2}path: big = 1234567 <= 1234567\.5\n/);
    expect(r.stdout).toMatch(/customer c8: [^\n]*\n {2}path: big = 1234568 > 1234567\.5\n/);
  });

  it('describes only the segments in the file, by their own ids, and names the ids with no customer once', () => {
    // the three groups as segments 0, 1 and 3: a file holding some of a model's segments, none of segment 2
    const lines = readFileSync(path('labelled.csv'), 'utf8').trim().split('\n');
    writeFileSync(path('gap.csv'), `${[lines[0], ...lines.slice(1).map((l) => l.replace(/,2,(?=[^,]*$)/, ',3,'))].join('\n')}\n`);
    const args = ['explain', 'gap.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'c2', '--value', 'spend', '--audit', 'gender', '--threads', '1'];
    const s = JSON.parse(ok([...args, '--json', '--report', 'gap.html']).stdout);
    expect(s.segments).toBe(3);
    expect(s.absentSegments).toEqual([2]);
    expect(s.rules.map((x: { segment: number; size: number }) => [x.segment, x.size])).toEqual([[0, 100], [1, 100], [3, 100]]);
    expect(s.customers.map((c: { segment: number }) => c.segment)).toEqual([3]);
    const html = readFileSync(path('gap.html'), 'utf8');
    expect(html).not.toContain('Empty segment');
    expect([...html.matchAll(/<article class="(?:tile|card|find)" data-segment="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([0, 1, 3, 0, 1, 3, 0, 1, 3]);
    expect([...html.matchAll(/<p class="meta">Segment (\d+) · (\d+) customers/g)].map((m) => [Number(m[1]), Number(m[2])])).toEqual([[0, 100], [1, 100], [3, 100]]);
    expect(html).toContain('300 customers · 2 features · 3 segments</p>');
    expect(html.match(/Segment 2 has no customers in these data and is left out\./g)).toHaveLength(1);
    // the charts (sizes, profiles, centres, map, value, mix) name segments 0, 1 and 3, never a segment 2
    expect(new Set([...html.matchAll(/segment: (\d+): /g)].map((m) => Number(m[1])))).toEqual(new Set([0, 1, 3]));
    const text = ok([...args, '--report', 'gap-text.html']).stdout;
    expect(text).toMatch(/^300 customers · 3 segments in "segment" · 2 features\nsegment 2 has no customers in this file\n\n/);
    expect(text).toContain('\n  segment 3 (100 customers;');
    expect(text).toMatch(/\ncustomer c2: segment 3, runner-up segment [01] /);
    // with the model that made the segments, its ids past the largest in the file are known to have no customer too
    ok(['segment', 'labelled.csv', '--k', '3', '--seed', '1', '--exclude', 'segment', '--out', 'gap-seg.csv', '--model', 'gap-km.json', '--threads', '1', '-q', '--segment-column', 'cluster']);
    const seg = readFileSync(path('gap-seg.csv'), 'utf8').trim().split('\n');
    writeFileSync(path('gap-seg2.csv'), `${[seg[0], ...seg.slice(1).filter((l) => !/^(?:[^,]*,){8}2,/.test(l))].join('\n')}\n`);
    const m = JSON.parse(ok(['explain', 'gap-seg2.csv', '--labels', 'cluster', '--model', 'gap-km.json', '--exclude', 'segment', '--report', 'gap-model.html', '--json', '--threads', '1']).stdout);
    expect(m.segments).toBe(2);
    expect(m.absentSegments).toEqual([2]);
    const modelHtml = readFileSync(path('gap-model.html'), 'utf8');
    expect(modelHtml).not.toContain('Empty segment');
    expect(modelHtml.match(/Segment 2 has no customers in these data and is left out\./g)).toHaveLength(1);
    expect([...modelHtml.matchAll(/<article class="card" data-segment="(\d+)"/g)].map((x) => Number(x[1]))).toEqual([0, 1]);
  });

  it("the report's mix of text columns leaves out the labels: each segment would be all of its own label", () => {
    // the labels in a column not named like a name column (persona), with the segment ids beside them (segment)
    const lines = readFileSync(path('labelled.csv'), 'utf8').trimEnd().split('\n');
    writeFileSync(path('persona.csv'), `${lines.map((l, i) => (i === 0 ? l.replace(/segment_name$/, 'persona') : l)).join('\n')}\n`);
    ok(['explain', 'persona.csv', '--labels', 'persona', '--exclude', 'segment', '--report', 'persona.html', '--threads', '1', '-q']);
    const html = readFileSync(path('persona.html'), 'utf8');
    const mixes = [...html.matchAll(/data-chart="(mix-[^"]*)"/g)].map((m) => m[1]);
    // gender and country are what the customers are; persona is what the segments are
    expect(mixes).toEqual(['mix-gender', 'mix-country']);
  });

  it('names the segments by their text labels in the rules, the customers, the composition and the report', () => {
    // segment_name holds the names; text labels are numbered in sorted order, and shown by their names
    const r = ok(['explain', 'labelled.csv', '--labels', 'segment_name', '--exclude', 'segment', '--id', 'customer_id', '--rows', 'c0,c1', '--audit', 'gender', '--report', 'named.html', '--threads', '1']);
    expect(r.stdout).toMatch(/^300 customers · 3 segments in "segment_name"/);
    expect(r.stdout).toContain('\n  segment "Affluent savers" (100 customers; the rules find 100.0% of them');
    expect(r.stdout).toMatch(/\n {4}income >=? [\d.]+ -> Affluent savers: 100% of 100 customers\n/);
    expect(r.stdout).toContain('\n  segment "Frequent spenders" (100 customers;');
    expect(r.stdout).toContain('\n  segment "Occasional visitors" (100 customers;');
    expect(r.stdout).toMatch(/customer c0: segment "Affluent savers", runner-up segment "(Frequent spenders|Occasional visitors)" \(decision path/);
    expect(r.stdout).toMatch(/\n {2}for segment "Frequent spenders" over segment "(Affluent savers|Occasional visitors)": /);
    expect(r.stdout).toMatch(/\n {2}segment "Frequent spenders": female \d/);
    expect(r.stdout).not.toMatch(/segment \d/);
    const html = readFileSync(path('named.html'), 'utf8');
    for (const name of ['Affluent savers', 'Frequent spenders', 'Occasional visitors']) expect(html).toContain(`<h3 class="persona">${name}</h3>`);
    // the cards are headed by the same names, not by names made up from the profiles
    expect([...html.matchAll(/<article class="card" data-segment="\d+"[^>]*>\n<header>.*?<h3>([^<]*)<\/h3>/g)].map((m) => m[1])).toEqual(['Affluent savers', 'Frequent spenders', 'Occasional visitors']);
    const s = JSON.parse(ok(['explain', 'labelled.csv', '--labels', 'segment_name', '--exclude', 'segment', '--id', 'customer_id', '--rows', 'c0,c1', '--audit', 'gender', '--json', '--threads', '1']).stdout);
    expect(s.rules.map((x: { segment: number; name: string }) => [x.segment, x.name])).toEqual([[0, 'Affluent savers'], [1, 'Frequent spenders'], [2, 'Occasional visitors']]);
    expect(s.rules[0].rules[0].text).toMatch(/^income >=? [\d.]+ -> Affluent savers: 100% of 100 customers$/);
    expect(s.customers.map((c: { segment: number; segmentName: string; assignedName: string }) => [c.segment, c.segmentName, c.assignedName])).toEqual([[0, 'Affluent savers', 'Affluent savers'], [1, 'Frequent spenders', 'Frequent spenders']]);
    expect(s.composition[0].flagged.find((g: { segment: number; group: string }) => g.segment === 1 && g.group === 'female')).toMatchObject({ name: 'Frequent spenders' });
    // whole-number labels keep their ids, with no names beside them
    const ids = JSON.parse(ok(['explain', 'labelled.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'c0', '--json', '--threads', '1']).stdout);
    expect(ids.rules[0]).not.toHaveProperty('name');
    expect(ids.customers[0]).not.toHaveProperty('segmentName');
    expect(ids.rules[0].rules[0].text).toMatch(/ -> segment 0: /);
  });

  it("with a model and text labels, compares a customer's label with the model's segment by name, not by number", () => {
    ok(['segment', 'labelled.csv', '--k', '3', '--seed', '1', '--exclude', 'segment,segment_name', '--out', 'named-seg.csv', '--model', 'named-km.json', '--threads', '1', '-q', '--segment-column', 'cluster']);
    const model = SegmentModel.fromJSON(readFileSync(path('named-km.json'), 'utf8'));
    // the model's names, sorted, number the text labels differently from the model's own ids
    expect([...model.names].sort()).not.toEqual([...model.names]);
    const r = ok(['explain', 'named-seg.csv', '--labels', 'cluster_name', '--model', 'named-km.json', '--exclude', 'segment,segment_name', '--id', 'customer_id', '--rows', 'c0,c1,c2', '--json', '--threads', '1']);
    const s = JSON.parse(r.stdout);
    for (const c of s.customers) {
      // every customer was put in its segment by this model: the names agree
      expect(c.assignedName).toBe(c.segmentName);
      expect(c.assignedName).toBe(model.names[c.assigned]);
    }
    const text = ok(['explain', 'named-seg.csv', '--labels', 'cluster_name', '--model', 'named-km.json', '--exclude', 'segment,segment_name', '--id', 'customer_id', '--rows', 'c0,c1,c2', '--threads', '1']).stdout;
    expect(text).not.toContain('put it in');
    expect(text).toContain(`customer c0: segment ${JSON.stringify(s.customers[0].segmentName)}, runner-up segment ${JSON.stringify(s.customers[0].runnerUpName)} (centroid distance`);
  });
  it("with a model and text labels, names the model's segments with no customer in the file once, by the model's ids and names", () => {
    ok(['segment', 'labelled.csv', '--k', '3', '--seed', '1', '--exclude', 'segment,segment_name', '--out', 'absent-seg.csv', '--model', 'absent-km.json', '--threads', '1', '-q', '--segment-column', 'cluster']);
    const model = SegmentModel.fromJSON(readFileSync(path('absent-km.json'), 'utf8'));
    // the file keeps the customers of segments 0 and 2: the model's segment 1 has none in it
    const seg = readFileSync(path('absent-seg.csv'), 'utf8').trim().split('\n');
    const cluster = seg[0].split(',').indexOf('cluster');
    writeFileSync(path('absent-seg1.csv'), `${[seg[0], ...seg.slice(1).filter((l) => l.split(',')[cluster] !== '1')].join('\n')}\n`);
    const args = ['explain', 'absent-seg1.csv', '--labels', 'cluster_name', '--model', 'absent-km.json', '--exclude', 'segment,segment_name', '--threads', '1'];
    const s = JSON.parse(ok([...args, '--json', '--report', 'absent-named.html']).stdout);
    expect(s.segments).toBe(2);
    expect(s.absentSegments).toEqual([1]);
    expect(s.absentSegmentNames).toEqual([model.names[1]]);
    // the segments present keep the model's ids and names
    expect(s.rules.map((x: { segment: number; name: string; size: number }) => [x.segment, x.name, x.size])).toEqual([[0, model.names[0], model.segments[0].size], [2, model.names[2], model.segments[2].size]]);
    const text = ok(args).stdout;
    expect(text).toMatch(new RegExp(`^\\d+ customers · 2 segments in "cluster_name" · \\d features\\nsegment ${JSON.stringify(model.names[1]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no customers in this file\\n\\n`));
    const html = readFileSync(path('absent-named.html'), 'utf8');
    expect(html).not.toContain('Empty segment');
    expect(html.match(/has no customers in these data/g)).toHaveLength(1);
    expect(html).toContain(`Segment 1 (${model.names[1]}) has no customers in these data and is left out.`);
    expect([...html.matchAll(/<article class="card" data-segment="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([0, 2]);
  });

  it("with a model and text labels, the report numbers and colours the segments by the model's ids, as segment's own report does", () => {
    ok(['segment', 'labelled.csv', '--k', '3', '--seed', '1', '--exclude', 'segment,segment_name', '--out', 'ids-seg.csv', '--model', 'ids-km.json', '--report', 'ids-seg.html', '--threads', '1', '-q', '--segment-column', 'cluster']);
    const model = SegmentModel.fromJSON(readFileSync(path('ids-km.json'), 'utf8'));
    // the model's names, sorted, number the text labels differently from the model's own ids
    expect([...model.names].sort()).not.toEqual([...model.names]);
    ok(['explain', 'ids-seg.csv', '--labels', 'cluster_name', '--model', 'ids-km.json', '--exclude', 'segment,segment_name', '--report', 'ids-explain.html', '--threads', '1', '-q']);
    const tiles = (html: string) => [...html.matchAll(/<article class="tile" data-segment="(\d+)" style="border-top-color:([^"]+)">\n<h3 class="persona">([^<]*)<\/h3>/g)].map((m) => ({ id: Number(m[1]), color: m[2], name: m[3] }));
    const own = tiles(readFileSync(path('ids-seg.html'), 'utf8'));
    const explained = tiles(readFileSync(path('ids-explain.html'), 'utf8'));
    expect(own.map((t) => t.id)).toEqual([0, 1, 2]);
    // the same segment has the model's id and the same colour in both reports, and the model's name in explain's
    expect(explained.map((t) => [t.id, t.color, t.name])).toEqual(own.map((t) => [t.id, t.color, model.names[t.id]]));
    const cards = [...readFileSync(path('ids-explain.html'), 'utf8').matchAll(/<p class="meta">Segment (\d+) · ([\d,]+) customers/g)].map((m) => [Number(m[1]), Number(m[2].replace(/,/g, ''))]);
    expect(cards).toEqual(model.segments.map((x) => [x.id, x.size]));
  });

  it('explains customers with a bare tree (the library\'s toJSON), as with the model file it came from', () => {
    ok(['train', 'labelled.csv', '--target', 'segment', '--exclude', 'segment_name', '--algorithm', 'tree', '--model', 'rules-tree.json', '--threads', '1', '-q']);
    writeFileSync(path('bare-tree.json'), JSON.stringify(JSON.parse(readFileSync(path('rules-tree.json'), 'utf8')).model));
    const args = ['explain', 'labelled.csv', '--labels', 'segment', '--exclude', 'segment_name', '--id', 'customer_id', '--rows', 'c0,c1', '--json', '--threads', '1'];
    const full = JSON.parse(ok([...args, '--model', 'rules-tree.json']).stdout);
    const bare = JSON.parse(ok([...args, '--model', 'bare-tree.json']).stdout);
    expect(bare.customers[0].method).toBe('decision path');
    expect(bare.customers).toEqual(full.customers);
  });

  it('counts rows in no segment in the report\'s shares, as its own unassigned group, as segment\'s report does', () => {
    // 10 customers in segment 0, 6 in segment 1, 4 in none (-1): 50%, 30% and 20% of all 20
    const lines = ['customer_id,income,spend,amount,segment'];
    for (let i = 0; i < 20; i++) {
      const g = i < 10 ? 0 : i < 16 ? 1 : -1;
      lines.push([`c${i}`, [20, 80, 500][g < 0 ? 2 : g] + (i % 3), [5, 50, 900][g < 0 ? 2 : g] + (i % 4), g < 0 ? 10 : 1, g].join(','));
    }
    writeFileSync(path('noise.csv'), `${lines.join('\n')}\n`);
    ok(['explain', 'noise.csv', '--labels', 'segment', '--value', 'amount', '--report', 'noise.html', '--threads', '1']);
    const html = readFileSync(path('noise.html'), 'utf8');
    const sizes = [...html.matchAll(/<p class="size"><b>([\d,]+)<\/b> customers · ([\d.]+%) · <b>([\d.]+%)<\/b>/g)].map((m) => [m[1], m[2], m[3]]);
    // amount: 10 + 6 in segments, 40 in none, 56 in all
    expect(sizes).toEqual([['10', '50.0%', '17.9%'], ['6', '30.0%', '10.7%']]);
    expect(html).toContain('4 more unassigned (20.0%), in no segment');
    // the unassigned rows' mean income: (501 + 502 + 500 + 501) / 4
    const card = html.match(/<article class="card unassigned"[\s\S]*?<\/article>/)![0];
    expect(card).toContain('Noise · 4 customers · 20.0%');
    expect(card).toMatch(/<th scope="row">income<\/th><td class="num">501.0<\/td>/);
  });

  it('bad usage: a label column that is not there, an unknown id', () => {
    const missing = segkit(['explain', 'labelled.csv', '--labels', 'segmnt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--labels: column "segmnt" is not in "labelled.csv"');
    const id = segkit(['explain', 'labelled.csv', '--labels', 'segment', '--id', 'customer_id', '--rows', 'nobody']);
    expect(id.code).toBe(2);
    expect(id.stderr).toContain('no customer has id "nobody"');
  });
});

describe('segkit train and score', () => {
  it('cross-validates, saves a classifier that segkit score uses, with the segment names', async () => {
    const r = ok(['train', 'labelled.csv', '--target', 'segment', '--model', 'clf.json', '--cv', '3', '--n-trees', '20', '--json', '--threads', '1']);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['income', 'spend', 'visits']);
    expect(s.cv.folds).toHaveLength(3);
    expect(s.cv.mean.accuracy).toBeGreaterThan(0.95);
    expect(s.cv.folds.reduce((a: number, f: { rows: number }) => a + f.rows, 0)).toBe(300);
    expect(s.segments).toEqual(['Affluent savers', 'Frequent spenders', 'Occasional visitors']);
    const model = SegmentModel.fromJSON(readFileSync(path('clf.json'), 'utf8'));
    expect(model.kind).toBe('forest');
    ok(['score', 'new.csv', '--model', 'clf.json', '--out', 'scored.csv', '--threads', '1']);
    const scored = await readTable(path('scored.csv'));
    const fresh = await readTable(path('new.csv'));
    const want = await model.predict(fresh, { threads: 1 });
    expect(Array.from(scored.getChild('segment')!.toArray() as Int32Array)).toEqual(Array.from(want));
    expect(scored.getChild('segment_name')!.get(0)).toBe(model.names[want[0]]);
    // the true groups are i % 3
    expect(Array.from(want).filter((v, i) => v === i % 3).length).toBeGreaterThan(115);
  });

  it('cross-validates segment ids past a fold\'s rows (100, 200 and 300 of 350 customers) as the same target numbered 0, 1, 2', () => {
    const rng = createRandom(5);
    const rows = Array.from({ length: 350 }, () => [rng.normal(), rng.normal()]);
    const label = ([a, b]: number[]) => (a > 0.5 ? 2 : b > 0 ? 1 : 0);
    const file = (ids: number[]) => ['a,b,segment', ...rows.map((r) => `${r[0].toFixed(4)},${r[1].toFixed(4)},${ids[label(r)]}`)].join('\n') + '\n';
    writeFileSync(path('ids100.csv'), file([100, 200, 300]));
    writeFileSync(path('ids012.csv'), file([0, 1, 2]));
    // a fold's fit saw 280 rows and refused segment id 300 ("use fewer folds", though two folds fail alike)
    const cv = (name: string) => JSON.parse(ok(['train', name, '--target', 'segment', '--algorithm', 'tree', '--cv', '5', '--threads', '1', '--json']).stdout).cv;
    const sparse = cv('ids100.csv'), dense = cv('ids012.csv');
    expect(sparse.labels).toEqual([100, 200, 300]);
    expect(dense.labels).toEqual([0, 1, 2]);
    expect({ ...sparse, labels: null }).toEqual({ ...dense, labels: null });
    expect(sparse.mean.accuracy).toBeGreaterThan(0.9);
    // a target no fit takes is still said of the file and its column
    writeFileSync(path('oneclass.csv'), file([4, 4, 4]));
    const one = segkit(['train', 'oneclass.csv', '--target', 'segment', '--cv', '5', '--threads', '1']);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('"oneclass.csv": the --target column "segment" has one class (4) in all 350 rows');
  });

  it('describes a small filtered file under its own ids (six customers of segments 7 and 9)', () => {
    writeFileSync(path('few.csv'), ['customer_id,spend,segment', 'c1,10,7', 'c2,12,7', 'c3,11,7', 'c4,50,9', 'c5,52,9', 'c6,55,9'].join('\n') + '\n');
    const s = JSON.parse(ok(['explain', 'few.csv', '--labels', 'segment', '--id', 'customer_id', '--threads', '1', '--json']).stdout);
    expect([s.segments, s.absentSegments, s.rules.map((x: { segment: number; size: number }) => [x.segment, x.size])]).toEqual([2, [0, 1, 2, 3, 4, 5, 6, 8], [[7, 3], [9, 3]]]);
  });

  it('counts the segments the target holds: an id with no row (1, of segments 0 and 2) is named once, not counted', () => {
    writeFileSync(path('gap.csv'), ['spend,segment', '10,0', '12,0', '11,0', '50,2', '52,2', '55,2'].join('\n') + '\n');
    const r = ok(['train', 'gap.csv', '--target', 'segment', '--algorithm', 'tree', '--threads', '1']);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['6 rows · 1 feature · 2 segments · decision tree', 'segment 1 has no customers in this file']);
    const s = JSON.parse(ok(['train', 'gap.csv', '--target', 'segment', '--algorithm', 'tree', '--threads', '1', '--json']).stdout);
    expect([s.k, s.absentSegments, s.segments]).toEqual([3, [1], ['segment 0', 'segment 1', 'segment 2']]);
  });

  it('the target\'s companion (cluster for cluster_name) is the label again, never a feature', () => {
    writeFileSync(path('leak.csv'), ['spend,cluster,cluster_name', '10,0,low', '12,0,low', '11,0,low', '50,1,high', '52,1,high', '55,1,high'].join('\n') + '\n');
    ok(['train', 'leak.csv', '--target', 'cluster_name', '--algorithm', 'tree', '--model', 'leak.json', '--threads', '1', '-q']);
    expect(JSON.parse(readFileSync(path('leak.json'), 'utf8')).pipeline.featureNames).toEqual(['spend']);
  });

  it('names each segment id by its companion name, and refuses an id the companion names two ways', () => {
    const rows = (last: string) => ['spend,cluster,cluster_name', '10,0,low', '12,0,low', '11,0,low', '50,1,high', '52,1,high', `55,1,${last}`].join('\n') + '\n';
    writeFileSync(path('named.csv'), rows('high'));
    ok(['train', 'named.csv', '--target', 'cluster', '--algorithm', 'tree', '--model', 'named.json', '--threads', '1', '-q']);
    expect(JSON.parse(readFileSync(path('named.json'), 'utf8')).segments.map((s: { name: string }) => s.name)).toEqual(['low', 'high']);
    // refused with E_BAD_LABELS, no model written
    const refused = (file: string, csv: string, message: string, hint: string) => {
      writeFileSync(path(file), csv);
      const model = file.replace('.csv', '.json');
      const r = segkit(['train', file, '--target', 'cluster', '--algorithm', 'tree', '--model', model, '--threads', '1', '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error).toEqual({ code: 'E_BAD_LABELS', message, hint });
      expect(existsSync(path(model))).toBe(false);
    };
    // the last row's name named segment 1 ("low"), so both segments were "low" in the saved model
    refused('renamed.csv', rows('low'), '"renamed.csv": column "cluster_name" names segment 1 both "high" (line 5) and "low" (line 7)',
      'give each segment one name, or leave the "cluster_name" column out of the file');
    // two segments of one name: the scored file's cluster_name column would merge them
    refused('samename.csv', ['spend,cluster,cluster_name', '10,0,vip', '12,0,vip', '11,0,vip', '50,1,vip', '52,1,vip', '55,1,vip'].join('\n') + '\n',
      '"samename.csv": column "cluster_name" names segments 0 (line 2) and 1 (line 5) both "vip"',
      'give each segment its own name, or leave the "cluster_name" column out of the file');
    // an id with no row (1) gets "segment 1" unless the file gave that name to another id
    writeFileSync(path('gapname.csv'), ['spend,cluster,cluster_name', '10,0,segment 1', '12,0,segment 1', '11,0,segment 1', '50,2,top', '52,2,top', '55,2,top'].join('\n') + '\n');
    ok(['train', 'gapname.csv', '--target', 'cluster', '--algorithm', 'tree', '--model', 'gapname.json', '--threads', '1', '-q']);
    expect(JSON.parse(readFileSync(path('gapname.json'), 'utf8')).segments.map((s: { name: string }) => s.name)).toEqual(['segment 1', 'segment 1 (2)', 'top']);
  });

  it('saves segment means of the customers\' float64 values, as segment does (float32 holds 1e7 only to 1)', () => {
    const rows = [[10000000.4, 1, 0], [10000002.4, 2, 0], [10000004.4, 1, 0], [10000100.4, 2, 1], [10000102.4, 1, 1], [10000104.4, 2, 1]];
    writeFileSync(path('f32m.csv'), ['balance,x,segment', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    ok(['train', 'f32m.csv', '--target', 'segment', '--algorithm', 'tree', '--model', 'f32m.json', '--threads', '1', '-q']);
    const means = JSON.parse(readFileSync(path('f32m.json'), 'utf8')).segments.map((x: { means: { balance: number } }) => x.means.balance);
    const mean = (seg: number) => { const v = rows.filter((r) => r[2] === seg).map((r) => r[0]); return v.reduce((a, b) => a + b, 0) / v.length; };
    expect(means[0]).toBeCloseTo(mean(0), 6);
    expect(means[1]).toBeCloseTo(mean(1), 6);
  });

  it('a tree prints readable cross-validated scores; score takes a bare library model too', async () => {
    const r = ok(['train', 'labelled.csv', '--target', 'segment_name', '--algorithm', 'tree', '--cv', '4', '--threads', '1', '--model', 'named.json']);
    expect(r.stdout).toMatch(/cross-validated \(4 stratified folds, seed 0\):/);
    // the segment ids beside the names are the label again, never a feature
    expect(JSON.parse(readFileSync(path('named.json'), 'utf8')).pipeline.featureNames).toEqual(['income', 'spend', 'visits']);
    expect(r.stdout).toMatch(/\n\s*mean\s+\d+\.\d%/);
    const table = await readTable(path('labelled.csv'));
    const cols = ['income', 'spend', 'visits'].map((n) => Float32Array.from(table.getChild(n)!.toArray() as Float64Array));
    const tree = await decisionTree({ columns: cols, names: ['income', 'spend', 'visits'] }, Int32Array.from(table.getChild('segment')!.toArray() as Int32Array), { maxDepth: 3, threads: 1 });
    writeFileSync(path('bare.json'), JSON.stringify(tree.toJSON()));
    ok(['score', 'new.csv', '--model', 'bare.json', '--out', 'bare.csv', '--threads', '1']);
    const scored = await readTable(path('bare.csv'));
    const fresh = await readTable(path('new.csv'));
    expect(Array.from(scored.getChild('segment')!.toArray() as Int32Array)).toEqual(Array.from(await tree.predict(fresh, { threads: 1 })));
    expect(scored.getChild('segment_name')!.get(0)).toMatch(/^segment \d$/);
  });

  it('a target with one class or no label is refused, naming the row', () => {
    writeFileSync(path('one.csv'), 'income,spend,segment\n1,2,0\n2,3,0\n3,1,0\n');
    const one = segkit(['train', 'one.csv', '--target', 'segment', '--threads', '1']);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('one class');
    writeFileSync(path('hole.csv'), 'income,spend,segment\n1,2,0\n2,3,\n3,1,1\n4,1,1\n');
    const hole = segkit(['train', 'hole.csv', '--target', 'segment', '--threads', '1']);
    expect(hole.code).toBe(1);
    expect(hole.stderr).toContain('line 3, column "segment" has no label');
    // numbers are ids as they are: a -1 (noise) is refused, never turned into text and renumbered
    writeFileSync(path('noise.csv'), 'income,spend,segment\n1,2,0\n2,3,-1\n3,1,1\n4,1,1\n5,2,0\n');
    const noise = segkit(['train', 'noise.csv', '--target', 'segment', '--threads', '1']);
    expect(noise.code).toBe(1);
    expect(noise.stderr).toContain('line 3, column "segment" holds -1; numeric labels are segment ids');
  });
});
