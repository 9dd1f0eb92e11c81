// segkit compare and segkit abtest, run as a user would (dist/cli/main.js; `npm test` builds it first).
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Float64, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interrupted, segkit as segkitIn } from './helpers/segkitCli.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/snapshots.json', import.meta.url), 'utf8'));
let dir = '';
const segkit = (args: readonly string[]) => segkitIn(dir, args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-overtime-'));
  for (const tag of ['before', 'after'] as const) {
    const s = fx[tag];
    const lines = ['customer_id,recency,frequency,monetary,revenue', ...s.id.map((id: number, i: number) => [id, ...s.X[i], s.value[i]].join(','))];
    writeFileSync(join(dir, `${tag}.csv`), lines.join('\n') + '\n');
  }
  const ab = ['customer_id,segment,variant,converted'];
  let i = 0;
  for (const [seg, xc, nc, xt, nt] of [['Champions', 120, 600, 168, 600], ['At risk', 30, 500, 34, 500], ['New', 50, 400, 74, 400]] as const) {
    for (let q = 0; q < nc; q++) ab.push(`${i++},${seg},control,${q < xc ? 1 : 0}`);
    for (let q = 0; q < nt; q++) ab.push(`${i++},${seg},treatment,${q < xt ? 1 : 0}`);
  }
  writeFileSync(join(dir, 'ab.csv'), ab.join('\n') + '\n');
  writeFileSync(join(dir, 'ab3.csv'), ab.map((l, q) => (q > 0 && q % 3 === 0 ? l.replace(/,(control|treatment),/, ',other,') : l)).join('\n') + '\n');
  writeFileSync(join(dir, 'abtext.csv'), ab.map((l, q) => (q === 0 ? l : l.replace(/,1$/, ',yes').replace(/,0$/, ',no'))).join('\n') + '\n');
  const r = segkit(['segment', 'before.csv', '--k', '4', '--seed', '1', '--id', 'customer_id', '--columns', 'recency,frequency,monetary', '--model', 'model.json', '-q']);
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segkit compare', () => {
  it('prints the migration, growth, drift and the recommendation; writes the movers and the report; --json', () => {
    const r = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--value', 'revenue', '--out', 'moves.csv', '--report', 'changes.html', '--json', '-q']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.migration.moved).toBe(112);
    expect(out.migration.new.reduce((a: number, b: number) => a + b)).toBe(300);
    expect(out.migration.gone.reduce((a: number, b: number) => a + b)).toBe(150);
    expect(out.recommendation.action).toBe('refit');
    const monetary = out.drift.find((d: { feature: string }) => d.feature === 'monetary');
    expect(monetary.ks.statistic).toBe(fx.ks_2samp.monetary.auto.statistic);
    expect(Math.abs(monetary.psi.value - fx.psi.monetary.psi)).toBeLessThan(1e-12);
    const moves = readFileSync(join(dir, 'moves.csv'), 'utf8').trim().split('\n');
    expect(moves[0]).toBe('customer_id,segment_before,segment_after,segment_before_id,segment_after_id');
    expect(moves.length).toBe(113);
    expect(moves[1]).toMatch(/^\d+,/);
    const html = readFileSync(join(dir, 'changes.html'), 'utf8');
    expect(html).toContain('Who moved where');
    expect(html).toContain('Recommendation: refit');
    const text = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '-q']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/REFIT: /);
    expect(text.stdout).toMatch(/PSI levels are conventions/);
  });

  it('writes whole-number ids beyond 32 bits in the movers file as written, never 9876543210.0', () => {
    const shift = (file: string) => readFileSync(join(dir, file), 'utf8').trimEnd().split('\n')
      .map((l, q) => (q === 0 ? l : l.replace(/^(\d+),/, (_, id: string) => `${9876543210 + Number(id)},`))).join('\n') + '\n';
    writeFileSync(join(dir, 'before-big.csv'), shift('before.csv'));
    writeFileSync(join(dir, 'after-big.csv'), shift('after.csv'));
    const base = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--out', 'moves-small.csv', '-q']);
    expect(base.code, base.stderr).toBe(0);
    const big = segkit(['compare', 'before-big.csv', 'after-big.csv', '--model', 'model.json', '--id', 'customer_id', '--out', 'moves-big.csv', '-q']);
    expect(big.code, big.stderr).toBe(0);
    const ids = (file: string) => readFileSync(join(dir, file), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]);
    const small = ids('moves-small.csv');
    expect(small.length).toBe(112);
    expect(ids('moves-big.csv')).toEqual(small.map((id) => String(9876543210 + Number(id))));
  });

  it('writes number-like ids in the movers file as the later snapshot wrote them (12000.0, +49, 1E5, 1200e-2), matched as numbers', () => {
    const forms = [(id: string) => `${id}.0`, (id: string) => `+${id}`, (id: string) => `${id}E0`, (id: string) => `${id}00e-2`];
    const form = (id: string) => forms[Number(id) % 4](id);
    const rewrite = (file: string, to: string) => writeFileSync(join(dir, to), readFileSync(join(dir, file), 'utf8').trimEnd().split('\n')
      .map((l, q) => (q === 0 ? l : l.replace(/^(\d+),/, (_, id: string) => `${form(id)},`))).join('\n') + '\n');
    rewrite('after.csv', 'after-forms.csv');
    rewrite('before.csv', 'before-forms.csv');
    const ids = (text: string) => text.trimEnd().split('\n').slice(1).map((l) => l.split(/[,\t]/)[0]);
    const base = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--out', '-']);
    expect(base.code, base.stderr).toBe(0);
    const small = ids(base.stdout);
    expect(small.length).toBe(112);
    // the earlier snapshot's plain integers match the later one's other forms of the same numbers
    for (const [before, out] of [['before.csv', 'moves-forms.csv'], ['before-forms.csv', 'moves-forms.tsv']]) {
      const r = segkit(['compare', before, 'after-forms.csv', '--model', 'model.json', '--id', 'customer_id', '--out', out, '--json', '-q']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).migration.moved).toBe(112);
      expect(ids(readFileSync(join(dir, out), 'utf8'))).toEqual(small.map((id) => form(id)));
    }
    // an error names the file's lines, as without --out
    const lines = readFileSync(join(dir, 'after-forms.csv'), 'utf8').split('\n');
    // line 3 takes line 2's id, written as a plain number: the same customer twice
    lines[2] = lines[2].replace(/^[^,]+/, String(Number(lines[1].split(',')[0])));
    writeFileSync(join(dir, 'after-forms-twice.csv'), lines.join('\n'));
    const twice = segkit(['compare', 'before.csv', 'after-forms-twice.csv', '--model', 'model.json', '--id', 'customer_id', '--out', 'moves-twice.csv']);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toMatch(/"after-forms-twice\.csv" \(after\) has customer_id \d+ twice \(lines 2 and 3\)/);
    expect(segkit(['compare', 'before.csv', 'after-forms-twice.csv', '--model', 'model.json', '--id', 'customer_id']).stderr).toBe(twice.stderr);
    // from standard input too
    const stdin = segkitIn(dir, ['compare', 'before.csv', '-', '--model', 'model.json', '--id', 'customer_id', '--out', '-'], { input: readFileSync(join(dir, 'after-forms.csv')) });
    expect(stdin.code, stdin.stderr).toBe(0);
    expect(ids(stdin.stdout)).toEqual(small.map((id) => form(id)));
  });

  it('prints a PSI just below the significant-shift threshold with the digits that keep it below (0.2495, never 0.250)', () => {
    // before: 1..1000, 100 customers per decile bin; after: 18, 73 x 4, 127 x 4 and 182 customers in the bins
    const spread = (counts: number[], from: number) => ['id,spend', ...counts.flatMap((c, b) => Array.from({ length: c }, (_, q) => `${from++},${100 * b + 1 + (q % 100)}`))].join('\n') + '\n';
    const counts = [18, 73, 73, 73, 73, 127, 127, 127, 127, 182];
    writeFileSync(join(dir, 'psi-before.csv'), spread(new Array(10).fill(100), 0));
    writeFileSync(join(dir, 'psi-after.csv'), spread(counts, 1000));
    expect(segkit(['segment', 'psi-before.csv', '--k', '2', '--id', 'id', '--model', 'psi.json', '-q']).code).toBe(0);
    const r = segkit(['compare', 'psi-before.csv', 'psi-after.csv', '--model', 'psi.json', '--id', 'id', '-q']);
    expect(r.code).toBe(0);
    const psi = counts.reduce((a, c) => a + (c / 1000 - 0.1) * Math.log(c / 100), 0);
    expect(psi.toFixed(3)).toBe('0.250');
    expect(r.stdout).toMatch(/^spend\s+moderate\s+0\.2495\s/m);
    expect(r.stdout).toContain('spend (PSI 0.2495) shifted moderately (PSI 0.1 to 0.25)');
  });

  it('refuses the id column as the --value column: the ids were summed per segment as money', () => {
    const r = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--value', 'customer_id', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_USAGE', message: '--id and --value both name column "customer_id": give the value column (revenue, margin) to --value' });
  });

  it('refuses both snapshots from standard input: the first would read it all', () => {
    const r = segkitIn(dir, ['compare', '-', '-', '--model', 'model.json', '--id', 'customer_id', '--json'], { input: readFileSync(join(dir, 'before.csv')) });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toBe('<before> and <after> both read standard input (-): give at least one of them as a file');
  });

  it('a KS p-value that is not defined (asymp, one customer in each snapshot) prints as a dash, never "NaN"', () => {
    writeFileSync(join(dir, 'one-before.csv'), 'customer_id,recency,frequency,monetary\n1,10,2,100\n');
    writeFileSync(join(dir, 'one-after.csv'), 'customer_id,recency,frequency,monetary\n1,40,3,900\n');
    const r = segkit(['compare', 'one-before.csv', 'one-after.csv', '--model', 'model.json', '--id', 'customer_id', '--ks-method', 'asymp', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('NaN');
    expect(r.stdout).toMatch(/recency\s.*\s1\.0000\s+–\s/);
  });

  it('shares of missing values: one missing cell in 3000 reads <0.1%, all but one of 3150 >99.9%, never 0.0% or 100.0%', () => {
    const blank = (file: string, keep: (q: number) => boolean) => readFileSync(join(dir, file), 'utf8').trim().split('\n')
      .map((l, q) => (q === 0 || keep(q) ? l : l.split(',').map((c, j) => (j === 3 ? '' : c)).join(','))).join('\n') + '\n';
    writeFileSync(join(dir, 'before-one-gap.csv'), blank('before.csv', (q) => q !== 7));
    writeFileSync(join(dir, 'after-one-left.csv'), blank('after.csv', (q) => q === 9));
    const r = segkit(['compare', 'before-one-gap.csv', 'after-one-left.csv', '--model', 'model.json', '--id', 'customer_id', '--json', '-q']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const f = out.drift.find((d: { feature: string }) => d.feature === 'monetary');
    expect([f.missingBefore, f.nBefore, f.missingAfter, f.nAfter]).toEqual([1, 2999, 3149, 1]);
    expect(out.recommendation.reasons[0]).toBe('monetary (>99.9% missing after, <0.1% before) went missing: check the data before reading its drift');
  });

  it('a feature with no value in the earlier snapshot has no drift figure, and the recommendation says why', () => {
    const before = readFileSync(join(dir, 'before.csv'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'before-nomoney.csv'), before.map((l, q) => (q === 0 ? l : l.split(',').map((c, j) => (j === 3 ? '' : c)).join(','))).join('\n') + '\n');
    const r = segkit(['compare', 'before-nomoney.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--json', '-q']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const f = out.drift.find((d: { feature: string }) => d.feature === 'monetary');
    expect([f.nBefore, f.missingBefore, f.psi, f.ks, f.level]).toEqual([0, 3000, null, null, null]);
    expect(out.recommendation.reasons[0]).toBe('monetary (no value in the earlier snapshot) has no drift figure: check the data');
    expect(out.recommendation.action).not.toBe('keep');
    const text = segkit(['compare', 'before-nomoney.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '-q']);
    expect(text.stdout).toContain('monetary (no value in the earlier snapshot) has no drift figure');
    expect(text.stdout).not.toMatch(/no feature moved past/);
  });

  it('a feature gone missing after is named first in the recommendation; a missing value cell is refused by its line', () => {
    const after = readFileSync(join(dir, 'after.csv'), 'utf8').trim().split('\n');
    // the monetary cells emptied (the model imputes them): a data problem, named before the drift it causes
    writeFileSync(join(dir, 'after-nomoney.csv'), after.map((l, q) => (q === 0 ? l : l.split(',').map((c, j) => (j === 3 ? '' : c)).join(','))).join('\n') + '\n');
    const r = segkit(['compare', 'before.csv', 'after-nomoney.csv', '--model', 'model.json', '--id', 'customer_id', '--json', '-q']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.recommendation.reasons[0]).toBe('monetary (100.0% missing after, 0.0% before) went missing: check the data before reading its drift');
    // an empty revenue cell would count as 0 in its segment's value
    writeFileSync(join(dir, 'after-norevenue.csv'), after.map((l, q) => (q === 4 ? l.replace(/,[^,]*$/, ',') : l)).join('\n') + '\n');
    const v = segkit(['compare', 'before.csv', 'after-norevenue.csv', '--model', 'model.json', '--id', 'customer_id', '--value', 'revenue', '-q']);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('"after-norevenue.csv" (after): line 5: the value column "revenue" holds no value');
    // a model of --impute none: the missing cell is named with the command line's words, the hint kept apart
    expect(segkit(['segment', 'before.csv', '--k', '3', '--impute', 'none', '--model', 'no-impute.json', '-q']).code).toBe(0);
    const hole = segkit(['compare', 'before.csv', 'after-nomoney.csv', '--model', 'no-impute.json', '--id', 'customer_id', '--json', '-q']);
    expect(hole.code).toBe(1);
    expect(JSON.parse(hole.stdout).error).toEqual({
      code: 'E_NAN_INPUT',
      message: '"after-nomoney.csv" (after): line 2, column "monetary" is missing',
      hint: 'the model\'s preparation fills in no missing values (segment --impute none): leave out those rows, or fit it again with --impute',
    });
  });

  it('bad usage and bad data: a missing id column is exit 2, a missing feature column exit 1 naming the snapshot', () => {
    const r = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'cust']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--id: column "cust" is not in "before.csv"');
    writeFileSync(join(dir, 'after-cut.csv'), readFileSync(join(dir, 'after.csv'), 'utf8').split('\n').map((l) => l.split(',').filter((_, j) => j !== 2).join(',')).join('\n'));
    const cut = segkit(['compare', 'before.csv', 'after-cut.csv', '--model', 'model.json', '--id', 'customer_id']);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain('frequency');
    expect(cut.stderr).toContain('after');
    // a word among the numbers: its file line and column; a repeated id: its two file lines; one file named
    const lines = readFileSync(join(dir, 'after.csv'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'after-word.csv'), `${lines.map((l, q) => (q === 6 ? l.replace(/^([^,]*,[^,]*,[^,]*,)[^,]*/, '$1abc') : l)).join('\n')}\n`);
    const word = segkit(['compare', 'before.csv', 'after-word.csv', '--model', 'model.json', '--id', 'customer_id']);
    expect(word.code).toBe(1);
    expect(word.stderr).toContain('"after-word.csv": line 7, column "monetary": "abc" is not a number');
    const id3 = lines[3].split(',')[0];
    writeFileSync(join(dir, 'after-dup.csv'), `${lines.map((l, q) => (q === 9 ? l.replace(/^[^,]*/, id3) : l)).join('\n')}\n`);
    const dup = segkit(['compare', 'before.csv', 'after-dup.csv', '--model', 'model.json', '--id', 'customer_id']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`"after-dup.csv" (after) has customer_id ${id3} twice (lines 4 and 10)`);
    expect(dup.stderr).not.toContain('before.csv');
    // ids with leading zeros (read as text) against the same ids as numbers: refused naming both files, not all gone and new
    const returning = lines.findIndex((l, q) => q > 0 && readFileSync(join(dir, 'before.csv'), 'utf8').includes(`\n${l.split(',')[0]},`));
    writeFileSync(join(dir, 'after-zeros.csv'), `${lines.map((l, q) => (q === 0 ? l : l.replace(/^[^,]*/, (id) => id.padStart(8, '0')))).join('\n')}\n`);
    const zeros = segkit(['compare', 'before.csv', 'after-zeros.csv', '--model', 'model.json', '--id', 'customer_id']);
    expect(zeros.code).toBe(1);
    const zid = lines[returning].split(',')[0];
    expect(zeros.stderr).toContain(`"after-zeros.csv" (after) has customer_id "${zid.padStart(8, '0')}" (line ${returning + 1}) as text, and "before.csv" (before) has the number ${zid}`);
    // bytes that are not UTF-8 in one file against the number their hexadecimal reads as in the other: each file's
    // row named as that file names its rows (a row of the Arrow file, a line of the CSV)
    const enc = new TextEncoder();
    const bytes = new Table({
      customer_id: vectorFromArray(fx.before.id.map((id: number, i: number) => (i === 5 ? Uint8Array.of(0x80) : enc.encode(String(id)))), new Binary()),
      ...Object.fromEntries(['recency', 'frequency', 'monetary'].map((name, j) => [name, vectorFromArray(fx.before.X.map((x: number[]) => x[j]), new Float64())])),
    });
    writeFileSync(join(dir, 'before-bytes.arrow'), tableToIPC(bytes, 'file'));
    writeFileSync(join(dir, 'after-80.csv'), `${lines.map((l, q) => (q === 6 ? l.replace(/^[^,]*/, '80') : l)).join('\n')}\n`);
    const hex = segkit(['compare', 'before-bytes.arrow', 'after-80.csv', '--model', 'model.json', '--id', 'customer_id']);
    expect(hex.code).toBe(1);
    expect(hex.stderr).toContain('"before-bytes.arrow" (before) has customer_id "80" (row 6) as bytes that are not UTF-8, read as their hexadecimal, and "after-80.csv" (after) has the number 80 (line 7): two ids read as one');
    // --value names a text column: refused naming the flag and a value, as segment's --value is
    writeFileSync(join(dir, 'before-eur.csv'), `${readFileSync(join(dir, 'before.csv'), 'utf8').trimEnd().split('\n').map((l, q) => (q === 0 ? l : l.replace(/,([^,]*)$/, ',EUR $1'))).join('\n')}\n`);
    const text = segkit(['compare', 'before-eur.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--value', 'revenue']);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/"before-eur\.csv": the --value column "revenue" holds values such as "EUR [\d.]+", not numbers/);
  });

  it('Ctrl-C while the report is drawn, the movers written: exit 130, neither the movers nor the report replaced', async () => {
    writeFileSync(join(dir, 'kept-moves.csv'), 'old movers\n');
    writeFileSync(join(dir, 'kept-changes.html'), '<p>old report</p>\n');
    const r = await interrupted(dir, ['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--out', 'kept-moves.csv', '--report', 'kept-changes.html', '--json'], 'SIGINT', (stderr) => stderr.includes('segkit: writing kept-changes.html'));
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'E_ABORTED', message: 'cancelled (Ctrl-C); no output file was replaced', hint: null } });
    expect(readFileSync(join(dir, 'kept-moves.csv'), 'utf8')).toBe('old movers\n');
    expect(readFileSync(join(dir, 'kept-changes.html'), 'utf8')).toBe('<p>old report</p>\n');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('checks its output paths before any work: a missing folder writes no file, and --out - refuses --json', () => {
    // the movers' file is not written when the report cannot be
    const r = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--out', 'moves-first.csv', '--report', 'no-such-folder/changes.html']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('segkit: error: --report: cannot write "no-such-folder/changes.html": the folder "no-such-folder" does not exist');
    expect(existsSync(join(dir, 'moves-first.csv'))).toBe(false);
    // the movers on stdout would come before the JSON summary, which would then not parse
    const both = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--out', '-', '--json']);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error).toMatchObject({ code: 'E_USAGE', message: '--out - and --json both write to stdout; write the table to a file or drop --json' });
  });
});

describe('segkit compare --out -', () => {
  it('writes only the movers on stdout, the summary on stderr', () => {
    const r = segkit(['compare', 'before.csv', 'after.csv', '--model', 'model.json', '--id', 'customer_id', '--out', '-']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('customer_id,segment_before,segment_after,segment_before_id,segment_after_id');
    // 112 movers, as the --json summary counts them, and nothing else
    expect(lines.length).toBe(113);
    expect(lines.slice(1).every((l) => /^\d+,.*,\d+,\d+$/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/REFIT: /);
    expect(r.stderr).not.toContain('movers to -');
  });

  it('refuses an id column named like a column of the movers\' file, which would replace the ids', () => {
    for (const name of ['segment_before', 'segment_after_id']) {
      for (const tag of ['before', 'after']) {
        writeFileSync(join(dir, `${tag}-${name}.csv`), readFileSync(join(dir, `${tag}.csv`), 'utf8').replace(/^customer_id,/, `${name},`));
      }
      const r = segkit(['compare', `before-${name}.csv`, `after-${name}.csv`, '--model', 'model.json', '--id', name, '--out', '-']);
      expect(r.code, r.stdout.split('\n')[0]).toBe(2);
      expect(r.stderr).toContain(`segkit: error: --id: column "${name}" has the name of a column of the movers' file --out writes (segment_before, segment_after, segment_before_id, segment_after_id); rename the column`);
      expect(r.stdout).toBe('');
      // without --out there is no such file: the comparison runs
      expect(segkit(['compare', `before-${name}.csv`, `after-${name}.csv`, '--model', 'model.json', '--id', name, '-q']).code).toBe(0);
    }
  });
});

describe('segkit abtest', () => {
  it('keeps segments that differ only by Unicode normalisation apart, and a note shows the two forms', () => {
    // "New" customers split between "Café" with a composed é (U+00E9) and with an e and a combining accent (U+0301)
    const lines = readFileSync(join(dir, 'ab.csv'), 'utf8').trimEnd().split('\n');
    let q = 0;
    writeFileSync(join(dir, 'ab-forms.csv'), `${[lines[0], ...lines.slice(1).map((l) => l.replace(/,New,/, () => (q++ % 2 ? ',Cafe\u0301,' : ',Caf\u00e9,')))].join('\n')}\n`);
    const r = segkit(['abtest', 'ab-forms.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const n = (name: string) => out.segments.find((c: { segment: string }) => c.segment === name);
    expect([n('Caf\u00e9').nControl + n('Cafe\u0301').nControl, n('Caf\u00e9').nTreatment + n('Cafe\u0301').nTreatment]).toEqual([400, 400]);
    expect(r.stderr).toContain('--segment: column "segment" holds "Cafe\\u0301" and "Caf\\u00e9", which look alike but differ in Unicode normalisation');
  });

  it('--control written as the file writes a number ("1.0") names the arm a column of numbers holds as 1', () => {
    // arms 1.0 and 2.0, read as the numbers 1 and 2; 1.0 converts 3 of 10, 2.0 6 of 10 in each segment
    const rows = Array.from({ length: 40 }, (_, i) => `${i < 20 ? 'A' : 'B'},${i % 20 < 10 ? '1.0' : '2.0'},${(i % 20 < 10 ? i % 10 < 3 : i % 10 < 6) ? 1 : 0}`);
    writeFileSync(join(dir, 'ab-numbers.csv'), `segment,variant,converted\n${rows.join('\n')}\n`);
    const args = ['abtest', 'ab-numbers.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--json'];
    for (const control of ['1.0', '1', '01']) {
      const r = segkit([...args, '--control', control]);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.control).toBe('1');
      expect(out.segments.map((c: { segment: string; treatment: string; controlValue: number; treatmentValue: number }) => [c.segment, c.treatment, c.controlValue, c.treatmentValue])).toEqual([['A', '2', 0.3, 0.6], ['B', '2', 0.3, 0.6]]);
    }
    expect(JSON.parse(segkit([...args, '--control', '2.00']).stdout).control).toBe('2');
    // a number no arm holds is refused as written
    const bad = segkit([...args, '--control', '3.0']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toBe('"ab-numbers.csv": --control "3.0" is not a value of the --group column "variant" ("1", "2")');
    // spaces and an exponent as the CSV reader reads them; hexadecimal, binary and a no-break space are no number it reads
    for (const control of [' 1', '1e0', '+1.']) expect(JSON.parse(segkit([...args, '--control', control]).stdout).control).toBe('1');
    for (const control of ['0x1', '0b1', '0o1', '\u00a01']) {
      const r = segkit([...args, '--control', control]);
      expect(r.code, control).toBe(2);
      expect(JSON.parse(r.stdout).error.message).toBe(`"ab-numbers.csv": --control ${JSON.stringify(control)} is not a value of the --group column "variant" ("1", "2")`);
    }
  });

  it('prints small means with two significant digits, never 0.000 or -0.000 (an outcome in thousands)', () => {
    // the conversions times 3e-5: means of 6e-6 and so on, with a significant uplift in Champions
    const lines = readFileSync(join(dir, 'ab.csv'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'ab-small.csv'), `${[lines[0], ...lines.slice(1).map((l) => l.replace(/,([01])$/, (_, c: string) => `,${Number(c) * 3e-5}`))].join('\n')}\n`);
    const args = ['abtest', 'ab-small.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--metric', 'mean', '-q'];
    const text = segkit(args).stdout;
    const json = JSON.parse(segkit([...args, '--json']).stdout);
    expect(text).not.toMatch(/(^|\s)-?0\.000(\s|$)/m);
    for (const c of json.segments) {
      const row = text.split('\n').find((l) => l.startsWith(`${c.segment} `))!;
      const cells = row.split(/\s{2,}/);
      const shown = [cells[4], cells[5], cells[6], ...cells[7].split(' to ')].map(Number);
      [c.controlValue, c.treatmentValue, c.uplift, c.ci[0], c.ci[1]].forEach((v: number, q: number) => expect(Math.abs(shown[q] - v)).toBeLessThanOrEqual(Math.abs(v) * 0.05));
    }
    expect(text).toMatch(/Champions\s+treatment\s+600\s+600\s+0\.0000060\s+0\.0000084\s+0\.0000024/);
  });

  it('a segment named ALL keeps its row apart from the overall rows, which read "ALL (overall)"', () => {
    // segment ALL: control converts 2 of 10, treatment 8 of 10; segment B: 5 of 10 in both
    const rows = Array.from({ length: 40 }, (_, i) => {
      const seg = i < 20 ? 'ALL' : 'B', arm = i % 20 < 10 ? 'control' : 'treatment', j = i % 10;
      return `${seg},${arm},${(seg === 'ALL' ? (arm === 'control' ? j < 2 : j < 8) : j < 5) ? 1 : 0}`;
    });
    writeFileSync(join(dir, 'ab-all.csv'), `segment,variant,converted\n${rows.join('\n')}\n`);
    const text = segkit(['abtest', 'ab-all.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '-q']).stdout;
    const cells = (first: string) => text.split('\n').map((l) => l.split(/\s{2,}/).slice(0, 6)).filter((c) => c[0] === first);
    expect(cells('ALL')).toEqual([['ALL', 'treatment', '10', '10', '20.00', '80.00']]);
    expect(cells('ALL (overall)')).toEqual([['ALL (overall)', 'treatment', '20', '20', '35.00', '65.00']]);
  });

  it('a p-value just above 1 - confidence keeps the digits that show it above, beside a blank "significant"', () => {
    // Champions: Holm-adjusted p = 3 x 0.0011769 = 0.0035306, which four decimals would print as 0.0035, below alpha 0.00352
    const args = ['abtest', 'ab.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--confidence', '0.99648'];
    const json = JSON.parse(segkit([...args, '--json']).stdout);
    const champions = json.segments.find((c: { segment: string }) => c.segment === 'Champions');
    const alpha = 1 - 0.99648;
    expect(champions.adjustedPValue).toBeGreaterThan(alpha);
    expect(Number(champions.adjustedPValue.toFixed(4))).toBeLessThanOrEqual(alpha);
    expect(champions.significant).toBe(false);
    const row = segkit([...args, '-q']).stdout.split('\n').find((l) => l.startsWith('Champions '))!.split(/\s{2,}/);
    expect(row.slice(8)).toEqual(['0.0012', '0.00353']);
    // a p-value away from alpha, and one below it, in four decimals as before
    const overall = segkit([...args, '-q']).stdout.split('\n').find((l) => l.startsWith('ALL '))!.split(/\s{2,}/);
    expect(overall.slice(8)).toEqual(['0.0001', '–', 'yes']);
  });

  it('a conversion rate below 100% never prints as 100.00: 29,999 of 30,000 reads 99.997', () => {
    const lines = ['segment,variant,converted'];
    for (let i = 0; i < 30000; i++) lines.push(`A,control,${i === 0 ? 0 : 1}`, `A,treatment,1`);
    writeFileSync(join(dir, 'ab-high.csv'), `${lines.join('\n')}\n`);
    const text = segkit(['abtest', 'ab-high.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '-q']).stdout;
    const cells = (segment: string) => text.split('\n').find((l) => l.startsWith(`${segment} `))!.split(/\s{2,}/);
    for (const segment of ['A', 'ALL']) {
      // every customer of the variant converted: 100.00; the control is 29,999 / 30,000 = 99.99667%
      expect(cells(segment).slice(4, 7)).toEqual(['99.997', '100.00', '0.0033']);
    }
  });

  it('prints per-segment uplift with intervals, Holm-adjusted p-values, the overall effect and the assumptions; --chart', () => {
    const r = segkit(['abtest', 'ab.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--chart', 'ab.svg', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Champions\s+treatment\s+600\s+600\s+20\.00\s+28\.00\s+8\.00/);
    expect(r.stdout).toMatch(/no correction for peeking/);
    expect(readFileSync(join(dir, 'ab.svg'), 'utf8')).toMatch(/^<svg/);
    const json = JSON.parse(segkit(['abtest', 'ab.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--json']).stdout);
    expect(json.control).toBe('control');
    expect(json.segments).toHaveLength(3);
  });

  it('--segment, --group and --outcome naming one column twice is a usage error, not a readout of the arms as outcomes', () => {
    const r = segkit(['abtest', 'ab.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'variant']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--group and --outcome name the same column "variant"');
    const s = segkit(['abtest', 'ab.csv', '--segment', 'variant', '--group', 'variant', '--outcome', 'converted']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--segment and --group name the same column "variant"');
  });

  it('an interval bound beyond the float64 range prints as past the largest double, not as a missing dash', () => {
    writeFileSync(join(dir, 'abhuge.csv'), 'segment,variant,revenue\ns,B,1.7e308\ns,B,-1.7e308\ns,control,1.7e308\ns,control,1.6e308\n');
    const r = segkit(['abtest', 'abhuge.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'revenue', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('below -1.798e+308 to above 1.798e+308');
    expect(r.stdout).not.toMatch(/– to –|Infinity/);
  });

  it('--confidence 0.975 is printed as 97.5% intervals, not rounded to 98%', () => {
    const r = segkit(['abtest', 'ab.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--confidence', '0.975']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('· 97.5% intervals');
    expect(r.stdout).toContain('(family-wise error rate 0.025)');
    expect(r.stdout).not.toContain('98%');
  });

  it('more than two arms needs --control (the error names the values); a text outcome is refused naming its values', () => {
    const three = segkit(['abtest', 'ab3.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted']);
    expect(three.code).toBe(2); // a usage problem: name the control
    expect(three.stderr).toContain('3 values ("control", "other", "treatment")');
    expect(three.stderr).toContain('--control');
    const chosen = segkit(['abtest', 'ab3.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted', '--control', 'control', '--json']);
    expect(chosen.code).toBe(0);
    expect(JSON.parse(chosen.stdout).treatments).toEqual(['other', 'treatment']);
    const text = segkit(['abtest', 'abtext.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted']);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/"yes"|"no"/);
  });

  it('--chart needs a file path in a folder that exists, checked before any work', () => {
    const args = ['abtest', 'ab.csv', '--segment', 'segment', '--group', 'variant', '--outcome', 'converted'];
    const dash = segkit([...args, '--chart', '-']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain('segkit: error: --chart needs a file path');
    expect(existsSync(join(dir, '-'))).toBe(false);
    const missing = segkit([...args, '--chart', 'no-such-folder/uplift.svg']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('segkit: error: --chart: cannot write "no-such-folder/uplift.svg": the folder "no-such-folder" does not exist');
    // nothing was printed: the check came before the test was read
    expect(missing.stdout).toBe('');
  });
});

describe('segkit compare under a density model', () => {
  it('prints an unassigned row and column whose cells, with the segments\', hold every returning customer', () => {
    // two tight groups and scattered rows dbscan leaves unassigned; after, some customers move into or out of them
    const row = (id: number, x: number, y: number) => `${id},${x},${y}`;
    const group = (id0: number, cx: number, n: number) => Array.from({ length: n }, (_, i) => row(id0 + i, cx + (i % 5) * 0.01, (i % 7) * 0.01));
    const before = ['id,x,y', ...group(0, 0, 30), ...group(100, 10, 30), row(200, 50, 50), row(201, -50, 50), row(202, 50, -50), row(203, 30, 30)];
    // 200 and 201 stay far (unassigned both times), 202 joins the first group, customer 5 leaves for nowhere
    const after = ['id,x,y', ...group(0, 0, 30).map((l) => (l.startsWith('5,') ? row(5, -80, -80) : l)), ...group(100, 10, 30), row(200, 51, 50), row(201, -51, 50), row(202, 0.02, 0.03), row(203, 31, 30)];
    writeFileSync(join(dir, 'dbefore.csv'), before.join('\n') + '\n');
    writeFileSync(join(dir, 'dafter.csv'), after.join('\n') + '\n');
    const fit = segkit(['segment', 'dbefore.csv', '--algorithm', 'dbscan', '--eps', '0.5', '--min-samples', '3', '--id', 'id', '--model', 'dmodel.json', '-q']);
    expect(fit.code, fit.stderr).toBe(0);
    const r = segkit(['compare', 'dbefore.csv', 'dafter.csv', '--model', 'dmodel.json', '--id', 'id', '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout).migration;
    expect(m.returning).toBe(64);
    expect(m.unassignedBoth).toBe(3);
    expect(m.toUnassigned.reduce((a: number, b: number) => a + b)).toBe(1);
    expect(m.fromUnassigned.reduce((a: number, b: number) => a + b)).toBe(1);
    const text = segkit(['compare', 'dbefore.csv', 'dafter.csv', '--model', 'dmodel.json', '--id', 'id', '-q']);
    expect(text.code, text.stderr).toBe(0);
    // the unassigned row: one customer came from nowhere into a segment, three stayed without one, none left
    const line = text.stdout.split('\n').find((l) => l.trimStart().startsWith('unassigned'))!;
    expect(line.trim().split(/\s+/)).toEqual(['unassigned', ...m.fromUnassigned.map(String), '3', '0']);
    expect(m.unassignedGone).toBe(0);
    // customer 203 (unassigned before) left: the unassigned row's "gone" counts it
    writeFileSync(join(dir, 'dafter2.csv'), after.filter((l) => !l.startsWith('203,')).join('\n') + '\n');
    const left = segkit(['compare', 'dbefore.csv', 'dafter2.csv', '--model', 'dmodel.json', '--id', 'id', '-q']);
    expect(left.code, left.stderr).toBe(0);
    const row2 = left.stdout.split('\n').find((l) => l.trimStart().startsWith('unassigned'))!;
    expect(row2.trim().split(/\s+/)).toEqual(['unassigned', ...m.fromUnassigned.map(String), '2', '1']);
  });
});

describe('segkit compare with a bare k-means model (the library\'s toJSON)', () => {
  it('measures each segment\'s distance to its centre, as the library does with the model', async () => {
    const { fromRows, kmeans } = await import('../src/index.node.js');
    const { compareSnapshots } = await import('../src/workflow/compareSnapshots.js');
    const features = ['recency', 'frequency', 'monetary'];
    const model = await kmeans(fromRows(fx.before.X, { names: features }), { k: 4, seed: 1 });
    writeFileSync(join(dir, 'bare-kmeans.json'), JSON.stringify(model.toJSON()));
    const records = (s: { id: number[]; X: number[][] }) => s.id.map((id, i) => ({ customer_id: id, ...Object.fromEntries(features.map((f, j) => [f, s.X[i][j]])) }));
    const lib = await compareSnapshots(model, records(fx.before), records(fx.after), { id: 'customer_id' });
    expect(lib.segments.every((s) => s.distanceBefore > 0 && s.distanceAfter > 0)).toBe(true);
    const r = segkit(['compare', 'before.csv', 'after.csv', '--model', 'bare-kmeans.json', '--id', 'customer_id', '--json', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.segments.map((s: { distanceBefore: number }) => s.distanceBefore)).toEqual(lib.segments.map((s) => s.distanceBefore));
    expect(out.segments.map((s: { distanceAfter: number }) => s.distanceAfter)).toEqual(lib.segments.map((s) => s.distanceAfter));
    expect(out.recommendation).toEqual(lib.recommendation);
  });
});
