// Names from the data (segments, columns, categories) holding right-to-left text or bidirectional controls, in the
// report, the changes report and the command line's text: each is isolated, so the numbers after it read in order.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '../src/util/bidiText.js';
import { formatTable } from '../src/cli/formatTable.js';
import { buildReport } from '../src/report/buildReport.js';
import { migrationSankeySpec } from '../src/report/changesReport.js';
import { fromRows } from '../src/data/dataset.js';
import { profileSegments } from '../src/explain/profileSegments.js';
import { close, createRandom, decisionTree, describeSegment, fromColumns, kmeans, personaNames, segmentRules } from '../src/index.node.js';
import { compareSnapshots } from '../src/workflow/compareSnapshots.js';
import { ok as okIn } from './helpers/segkitCli.js';

const RLO = '\u202E', FSI = '\u2068', PDI = '\u2069';

/**
 * The embeddings, overrides and isolates open at `at` in its line (a line is a paragraph), as the Unicode
 * bidirectional algorithm's rules X1-X8 keep them: a PDF closes the last embedding unless an isolate was opened after
 * it, a PDI closes the last isolate and everything opened inside it, and one with no isolate open does nothing.
 */
function openAt(text: string, at: number): string[] {
  const stack: string[] = [];
  for (let i = text.lastIndexOf('\n', at - 1) + 1; i < at; i++) {
    const c = text[i];
    if ('\u202A\u202B\u202D\u202E'.includes(c)) stack.push('embedding');
    else if ('\u2066\u2067\u2068'.includes(c)) stack.push('isolate');
    else if (c === '\u202C' && stack.at(-1) === 'embedding') stack.pop();
    else if (c === PDI && stack.includes('isolate')) while (stack.pop() !== 'isolate');
  }
  return stack;
}

/**
 * Whether a number at `at` reads in order: nothing open there, or it is inside an isolate (part of a name: "c1"). A
 * number after a name is outside it, so this holds for it only if the name opened nothing that is still open.
 */
const inOrder = (text: string, at: number): boolean => {
  const open = openAt(text, at);
  return open.length === 0 || open[0] === 'isolate';
};

/** Every place `what` occurs in `text`, each with what is open there. */
const openAtEach = (text: string, what: string): string[][] => [...text.matchAll(new RegExp(what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'))].map((m) => openAt(text, m.index!));

describe('isolate', () => {
  it('keeps text without right-to-left letters or bidirectional controls as it is', () => {
    for (const s of ['', 'spend', 'Müller', '東京', 'a\u200Bb', '❤️ fans', '\uFEFFoslo', 'x\u2013y']) expect(isolate(s)).toBe(s);
  });

  it('isolates an override, a mark or right-to-left letters, closing what the text leaves open', () => {
    expect(isolate(`${RLO}abc`)).toBe(`${FSI}${RLO}abc${PDI}`);
    expect(isolate('a\u200Fb')).toBe(`${FSI}a\u200Fb${PDI}`);
    expect(isolate('לקוחות')).toBe(`${FSI}לקוחות${PDI}`);
    // an isolate of its own left open is closed; a closing one that closes nothing of its own is left out
    expect(isolate('\u2067ab')).toBe(`${FSI}\u2067ab${PDI}${PDI}`);
    expect(isolate(`${PDI}${RLO}ab`)).toBe(`${FSI}${RLO}ab${PDI}`);
    for (const s of [`${RLO}abc`, `${PDI}${PDI}${RLO}x`, `\u2066\u2067${RLO}`, `\u202B\u202Ca${PDI}\u2068`]) expect(openAt(`${isolate(s)} 42%`, isolate(s).length)).toEqual([]);
  });
});

describe('plain-text tables', () => {
  it('isolate a cell holding an override, pad it by its visible width and leave other tables as they were', () => {
    expect(formatTable(['feature', 'changed'], [['spend', '42.0%'], ['visits', '7.5%']], [false, true])).toBe('feature  changed\n-------  -------\nspend      42.0%\nvisits      7.5%');
    const table = formatTable(['feature', 'changed'], [[`${RLO}spend`, '42.0%'], ['visits', '7.5%']], [false, true]);
    expect(table).toBe(`feature  changed\n-------  -------\n${FSI}${RLO}spend${PDI}     42.0%\nvisits      7.5%`);
    expect(openAtEach(table, '42.0%')).toEqual([[]]);
  });
});

describe('the library\'s own texts', () => {
  /** Every number in `text` reads in order: nothing open where it starts, unless it is inside a name. */
  const numbersInOrder = (text: string): number => {
    let numbers = 0;
    for (const m of text.matchAll(/\d+(\.\d+)?/g)) {
      numbers++;
      expect(inOrder(text, m.index!), text).toBe(true);
    }
    return numbers;
  };
  const rng = createRandom(5);
  const n = 120;
  const spend = Float32Array.from({ length: n }, (_, i) => (i % 3) * 10 + rng.normal());
  const visits = Float32Array.from({ length: n }, (_, i) => (i % 3) * -5 + rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);

  it('describeSegment isolates feature labels and the population from the figures after them', () => {
    const profiles = profileSegments(fromColumns({ columns: [spend, visits], names: [`${RLO}spend`, 'visits'] }), labels, 3);
    const text = describeSegment(profiles, 2, { population: `${RLO}all` });
    expect(text).toContain(`${FSI}${RLO}`);
    expect(numbersInOrder(text)).toBeGreaterThan(3);
    // names without right-to-left text are written as they were
    const plain = describeSegment(profileSegments(fromColumns({ columns: [spend, visits], names: ['spend', 'visits'] }), labels, 3), 2);
    expect(plain).not.toMatch(/[\u2066-\u2069]/);
    expect(plain).toMatch(/^Spend far above average \(/);
  });

  it('generated segment names isolate a feature\'s words from the words and numbers after them', () => {
    const profiles = profileSegments(fromColumns({ columns: [spend, visits], names: [`${RLO}spend`, 'visit_rate'] }), labels, 3);
    expect(profiles.segments.map((s) => s.name.includes(`${FSI}${RLO}spend${PDI}`))).toEqual([true, false, true]);
    for (const s of profiles.segments) {
      // ", low visit rate" after the feature reads in order, not under its override
      expect(openAt(s.name, s.name.length), s.name).toEqual([]);
    }
    // names without right-to-left text are written as they were
    expect(profileSegments(fromColumns({ columns: [spend, visits], names: ['spend_rate', 'visit_rate'] }), labels, 3).segments.map((s) => s.name))
      .toEqual(['Customers with very low spend rate, very high visit rate', 'Typical customers', 'Customers with very high spend rate, very low visit rate']);
    // two segments of one persona: the number after the second, and a label cut to fit, stand outside the override
    const twin = { features: [`${RLO}spend more`, 'visits'], segments: [{ size: 5, z: [1.5, 0] }, { size: 5, z: [1.2, 0] }, { size: 5, z: [-0.5, 0.3] }] } as never;
    for (const maxWords of [2, 4, 5]) {
      const names = personaNames(twin, { maxWords });
      expect(new Set(names).size).toBe(3);
      for (const name of names) expect(openAt(name, name.length), name).toEqual([]);
      expect(numbersInOrder(names.join('\n'))).toBeGreaterThan(0);
    }
    expect(personaNames(twin)).toEqual([`Very high ${FSI}${RLO}spend more${PDI}`, `Very high ${FSI}${RLO}spend more${PDI} 2`, `Low ${FSI}${RLO}spend more${PDI}, high visits`]);
  });

  it('rule texts isolate features and segment names from the thresholds and shares after them', async () => {
    const data = fromColumns({ columns: [spend, visits], names: [`${RLO}spend`, `visits${RLO}`] });
    const { rules } = await segmentRules(data, labels, { names: [`${RLO}Loyal`, 'Bargain', 'Lapsed'] });
    const text = rules.map((r) => r.text).join('\n');
    expect(text).toContain(`${FSI}${RLO}Loyal${PDI}`);
    expect(numbersInOrder(text)).toBeGreaterThan(rules.length);
    const model = await decisionTree(data, labels, { maxDepth: 2 });
    expect(model.rules().every((r) => r.text.includes(FSI))).toBe(true);
  });

  it('the recommendation of compareSnapshots isolates the features it names from their PSI', async () => {
    const x = `${RLO}x`;
    const before = Array.from({ length: 40 }, (_, i) => ({ id: i, [x]: (i < 20 ? 0 : 10) + (i % 5) / 10 }));
    const after = before.map((r) => ({ ...r, [x]: (r[x] as number) + 4 }));
    const model = await kmeans(fromColumns({ columns: [Float32Array.from(before, (r) => r[x] as number)], names: [x] }), { k: 2, seed: 0 });
    const r = await compareSnapshots(model, before, after, { id: 'id' });
    expect(r.recommendation.text).toContain(`${FSI}${x}${PDI} (PSI `);
    expect(numbersInOrder(r.recommendation.text)).toBeGreaterThan(1);
  });
});

describe('the HTML report', () => {
  const rng = createRandom(3);
  const rows = Array.from({ length: 90 }, (_, i) => [(i % 3) * 10 + rng.normal(), (i % 3) * -5 + rng.normal()]);
  const names = [`${RLO}spend`, 'visits'];
  const data = fromRows(rows, { names });
  const labels = Int32Array.from(rows, (_, i) => i % 3);
  const profiles = profileSegments(data, labels, 3);
  const input = {
    data, labels, k: 3, profiles, centroids: profiles.segments.map((s) => s.mean), seed: 1,
    segmentNames: [`${RLO}Loyal`, 'Bargain hunters', `ל${RLO}`],
    value: { name: `${RLO}amount`, values: Float64Array.from(rows, (_, i) => 1 + (i % 3)) },
    audit: [{ name: 'city', values: Array.from(rows, (_, i) => (i % 3 === 0 ? `${RLO}Oslo` : 'Rome')) }],
  };

  it('leaves no override open before a number after a name', async () => {
    const html = await buildReport(input);
    // segment, feature, value column and category names each stand isolated
    for (const name of [`${RLO}Loyal`, `ל${RLO}`, `${RLO}spend`, `${RLO}amount`, `${RLO}Oslo`]) expect(html).toContain(`${FSI}${name}${PDI}`);
    expect(html).toContain('<h3 class="persona">Bargain hunters</h3>');
    // the text between tags: every number in it starts with nothing open
    const text = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]*>/g, '');
    let numbers = 0;
    for (const m of text.matchAll(/\d+(\.\d+)?%/g)) {
      numbers++;
      expect(inOrder(text, m.index!), text.slice(Math.max(0, m.index! - 60), m.index! + 10)).toBe(true);
    }
    expect(numbers).toBeGreaterThan(10);
  });

  it('is byte for byte the same for names without right-to-left text', async () => {
    const plain = { ...input, data: fromRows(rows, { names: ['spend', 'visits'] }), segmentNames: ['Loyal', 'Bargain hunters', 'Lapsed'], value: { ...input.value, name: 'amount' }, audit: [{ name: 'city', values: input.audit[0].values.map((v) => v.replace(RLO, '')) }] };
    const html = await buildReport({ ...plain, profiles: profileSegments(plain.data, labels, 3) });
    expect(html).not.toMatch(/[\u2066-\u2069\u202A-\u202E]/);
  });

  it('labels the migration Sankey\'s segments isolated from their counts', () => {
    const spec = migrationSankeySpec({ migration: { segments: [`${RLO}Loyal`, 'Lapsed'], counts: [[5, 1], [2, 7]], new: [1, 0], gone: [0, 2], toUnassigned: [0, 0], fromUnassigned: [0, 0], unassignedBoth: 0 } } as never);
    const flows = (spec.data as { name: string; values?: { from: string; to: string }[] }[]).find((d) => d.values)!.values!;
    expect(new Set(flows.flatMap((f) => [f.from, f.to]))).toContain(`${FSI}${RLO}Loyal${PDI}`);
    expect(flows.some((f) => f.from === 'Lapsed')).toBe(true);
  });
});

describe('segkit explain', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'segkit-bidi-'));
    const rng = createRandom(5);
    const lines = [`customer_id,${RLO}income,spend,${RLO}seg,gender`];
    const names = [`${RLO}Affluent`, 'Frequent', 'Occasional'];
    for (let i = 0; i < 240; i++) {
      const g = i % 3;
      lines.push([`${RLO}c${i}`, ([95, 45, 30][g] * (1 + 0.1 * rng.normal())).toFixed(2), ([20, 70, 10][g] * (1 + 0.1 * rng.normal())).toFixed(2), names[g], g === 1 && i % 5 ? `${RLO}female` : 'male'].join(','));
    }
    writeFileSync(join(dir, 'in.csv'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints names, features, groups and ids isolated: every share and count after them starts with nothing open', async () => {
    const out = okIn(dir, ['explain', 'in.csv', '--labels', `${RLO}seg`, '--id', 'customer_id', '--rows', `${RLO}c1`, '--audit', 'gender', '--report', 'r.html']).stdout;
    expect(out).toContain(`${FSI}"${RLO}Affluent"${PDI}`);
    expect(out).toContain(`${FSI}${RLO}income${PDI}`);
    let numbers = 0;
    for (const m of out.matchAll(/\d[\d,.]*%?/g)) {
      numbers++;
      expect(inOrder(out, m.index!), out.slice(out.lastIndexOf('\n', m.index!) + 1, m.index! + 10)).toBe(true);
    }
    expect(numbers).toBeGreaterThan(20);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain(`${FSI}${RLO}Affluent${PDI}`);
  }, 60_000);

  it('segment and score print segment and feature names isolated from the counts, shares and z after them', () => {
    const numbersInOrder = (text: string) => {
      let numbers = 0;
      for (const m of text.matchAll(/\d[\d,.]*%?/g)) {
        numbers++;
        expect(inOrder(text, m.index!), text.slice(text.lastIndexOf('\n', m.index!) + 1, m.index! + 10)).toBe(true);
      }
      return numbers;
    };
    const seg = okIn(dir, ['segment', 'in.csv', '--id', 'customer_id', '--k', '3', '--seed', '1', '--threads', '1', '--out', 'seg.csv', '--model', 'm.json']);
    // the features' names ("‮income +1.2 sd") in the table's "stands out by" column
    expect(seg.stdout + seg.stderr).toContain(`${FSI}${RLO}income${PDI} `);
    expect(numbersInOrder(seg.stdout + seg.stderr)).toBeGreaterThan(10);
    const scored = okIn(dir, ['score', 'in.csv', '--model', 'm.json', '--out', 'scored.csv', '--threads', '1']);
    // "  0  Customers with very high ‮income: 80 (33.3%)": the generated names hold the feature's name
    expect(scored.stderr).toMatch(new RegExp(`${FSI}[^\n]*${RLO}[^\n]*${PDI}: \\d`));
    expect(numbersInOrder(scored.stderr)).toBeGreaterThan(6);
  }, 60_000);

  it('abtest prints the control arm and the segments isolated from the rates and intervals after them', () => {
    const lines = ['segment,arm,converted'];
    for (let i = 0; i < 400; i++) lines.push([i % 2 ? `${RLO}Loyal` : 'New', i % 4 < 2 ? `${RLO}holdout` : 'offer', +(i % 5 < (i % 4 < 2 ? 1 : 2))].join(','));
    writeFileSync(join(dir, 'ab.csv'), `${lines.join('\n')}\n`);
    const out = okIn(dir, ['abtest', 'ab.csv', '--segment', 'segment', '--group', 'arm', '--outcome', 'converted', '--control', `${RLO}holdout`]).stdout;
    expect(out).toContain(`control: ${FSI}${RLO}holdout${PDI} · conversion rates (%) · 95% intervals`);
    let numbers = 0;
    // the table and the control line (the summary and assumptions after them are the library's own text)
    const head = out.slice(0, out.indexOf('\n\n', out.indexOf('---')));
    for (const m of head.matchAll(/\d[\d,.]*%?/g)) {
      numbers++;
      expect(inOrder(head, m.index!), head.slice(head.lastIndexOf('\n', m.index!) + 1, m.index! + 10)).toBe(true);
    }
    expect(numbers).toBeGreaterThan(20);
  }, 60_000);
});
