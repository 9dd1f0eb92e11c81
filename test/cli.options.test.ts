// Options of the command line as a user types them (dist/cli/main.js): an option given twice, a flag the chosen
// algorithm would ignore.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, segkit as segkitIn } from './helpers/segkitCli.js';
import { Pipeline } from '../src/prep/pipeline.js';
import { readCsv } from '../src/data/readCsv.js';

let dir = '';
const segkit = (args: readonly string[]) => segkitIn(dir, args);

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-options-'));
  // three groups of customers, 10 each
  const lines = ['customer_id,income,spend,visits'];
  for (let i = 0; i < 30; i++) {
    const g = i % 3;
    lines.push(`c${i},${[20, 50, 80][g] + (i % 5)},${[10, 60, 30][g] + (i % 7)},${[1, 5, 9][g] + (i % 2)}`);
  }
  writeFileSync(join(dir, 'customers.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'labelled.csv'), ['income,spend,gender,segment', ...Array.from({ length: 20 }, (_, i) => `${i},${i % 4},${i % 3 ? 'f' : 'm'},${i < 10 ? 0 : 1}`)].join('\n') + '\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an option given twice', () => {
  it('with two values is a usage error naming the option and both values, never the last one silently', () => {
    const k = segkit(['segment', 'customers.csv', '--k', '3', '--k', '4']);
    expect(k.code).toBe(2);
    expect(k.stderr).toContain(`segkit: error: option '--k <n|auto>' given twice ("3", then "4"): give it once`);
    const columns = segkit(['segment', 'customers.csv', '--k', '3', '--columns', 'income,spend', '--columns=visits', '--json']);
    expect(columns.code).toBe(2);
    expect(JSON.parse(columns.stdout).error).toMatchObject({ code: 'E_USAGE', message: `option '--columns <list>' given twice ("income,spend", then "visits"): give it once` });
    const out = segkit(['score', 'customers.csv', '--model', 'm.json', '--out', 'a.csv', '--out', 'b.csv']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`option '--out <file>' given twice ("a.csv", then "b.csv")`);
  });

  it('with the same value, or a flag without a value, is taken once', () => {
    const r = segkit(['segment', 'customers.csv', '--k', '3', '--k', '3', '-q', '--quiet', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).k).toBe(3);
  });
});

describe('a number option', () => {
  it('takes decimal numbers only: 0x10 and 0b101 are usage errors, never read as 16 and 5', () => {
    const cases: [string[], string][] = [
      [['--impute', 'constant', '--fill-value', '0b101'], `option '--fill-value <number>' argument '0b101' is invalid. must be a number.`],
      [['--algorithm', 'dbscan', '--eps', '0x1'], `option '--eps <number>' argument '0x1' is invalid. must be a number > 0.`],
    ];
    for (const [flags, message] of cases) {
      const r = segkit(['segment', 'customers.csv', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(`segkit: error: ${message}`);
    }
    const half = segkit(['update', 'm.json', 'customers.csv', '--half-life', '0x10']);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain(`segkit: error: option '--half-life <n>' argument '0x10' is invalid. must be a number.`);
    // decimal forms people write are taken
    const r = segkit(['segment', 'customers.csv', '--k', '3', '--impute', 'constant', '--fill-value', ' -1.5e1 ', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).k).toBe(3);
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'dbscan', '--eps', '.5', '-q']).code).toBe(0);
  });
});

describe('errors of the preparation and reading flags', () => {
  it('name the flags, never the library options behind them (impute.fillValue, decimal, `encode`)', () => {
    // a fill value beyond float32, which a saved model holds, in every command that prepares features
    for (const command of [['segment', 'customers.csv', '--k', '3'], ['choose-k', 'customers.csv'], ['train', 'labelled.csv', '--target', 'segment']]) {
      for (const value of ['1e39', '-3.5e38']) {
        const r = segkit([...command, '--impute', 'constant', '--fill-value', value, '--json']);
        expect(r.code, `${command[0]} ${value}`).toBe(2);
        expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_USAGE', message: `option '--fill-value <number>' argument '${value}' is invalid. must be a number within the float32 range a saved model holds (|x| <= 3.4e38).` });
      }
    }
    const largest = segkit(['segment', 'customers.csv', '--k', '3', '--impute', 'constant', '--fill-value', '3.4e38', '--json']);
    expect(largest.code).toBe(0);
    // a delimiter that is the decimal mark, given or by default
    const comma = segkit(['segment', 'customers.csv', '--k', '3', '--delimiter', ',', '--decimal', ',', '--json']);
    expect(comma.code).toBe(2);
    expect(JSON.parse(comma.stdout).error).toMatchObject({ code: 'E_USAGE', message: '--delimiter , is also the decimal mark (--decimal): a file separated by "," cannot use it as its decimal mark; give --decimal .' });
    const dot = segkit(['segment', 'customers.csv', '--k', '3', '--delimiter', '.']);
    expect(dot.code).toBe(2);
    expect(dot.stderr).toContain('segkit: error: --delimiter . is also the decimal mark (the default of --decimal): a file separated by "." cannot use it as its decimal mark; give --decimal ,');
    // a table of text columns only: the hint names --encode
    writeFileSync(join(dir, 'texts.csv'), 'customer_id,plan\nc1,a\nc2,b\nc3,a\n');
    const texts = segkit(['segment', 'texts.csv', '--k', '2', '--json']);
    expect(texts.code).toBe(1);
    expect(JSON.parse(texts.stdout).error).toMatchObject({ code: 'E_EMPTY_DATA', hint: 'the table has: customer_id, plan; numeric columns are used by default, categorical ones when listed in --encode' });
  });
});

describe('--scale log on a column with values of -1 or below', () => {
  it('is an error naming the line and the flags that cure it, not a library option', () => {
    writeFileSync(join(dir, 'negative.csv'), 'id,a,b\n1,3,1\n2,-5,2\n3,10,3\n4,7,4\n');
    const r = segkit(['segment', 'negative.csv', '--k', '2', '--scale', 'log', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toEqual({
      code: 'E_NAN_INPUT', message: '"negative.csv": line 3, column "a" holds -5; log1p needs values greater than -1',
      hint: '--scale log scales every feature alike: choose another --scale, or leave the column out with --exclude a',
    });
  });

  it('names the flags for a column whose name holds double quotes too, as for a missing value with --impute none', () => {
    // the library's hints (its `byColumn` and `impute` options) were shown for such a column
    writeFileSync(join(dir, 'negative-quoted.csv'), 'id,"a ""q""",b\n1,3,1\n2,-5,2\n3,10,3\n4,7,4\n');
    const r = segkit(['segment', 'negative-quoted.csv', '--k', '2', '--scale', 'log', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.hint).toBe('--scale log scales every feature alike: choose another --scale, or leave the column out with --exclude \'"a ""q"""\'');
    writeFileSync(join(dir, 'hole-quoted.csv'), 'id,"a ""q""",b\n1,3,1\n2,,2\n3,10,3\n4,7,4\n');
    const m = segkit(['segment', 'hole-quoted.csv', '--k', '2', '--impute', 'none', '--json']);
    expect(m.code).toBe(1);
    expect(JSON.parse(m.stdout).error).toEqual({
      code: 'E_NAN_INPUT', message: '"hole-quoted.csv": line 3, column "a "q"" is missing', hint: '--impute median, mean, most-frequent or constant fills missing values',
    });
  });
});

describe('--impute constant with a --fill-value that --scale log cannot take', () => {
  it('is a usage error naming --fill-value, never a line whose cell was empty', () => {
    // line 3's a is empty: it was said to hold -5
    writeFileSync(join(dir, 'gap.csv'), 'id,a,b\n1,3,1\n2,,2\n3,10,3\n4,7,4\n');
    for (const command of [['segment', 'gap.csv', '--k', '2'], ['choose-k', 'gap.csv', '--k-range', '2..3']]) {
      for (const [scale, value] of [['log', '-5'], ['log1p', '-1']]) {
        const r = segkit([...command, '--scale', scale, '--impute', 'constant', '--fill-value', value, '--json']);
        expect(r.code, `${command[0]} ${scale} ${value}`).toBe(2);
        expect(JSON.parse(r.stdout).error).toMatchObject({
          code: 'E_USAGE',
          message: `--fill-value ${value}: --scale ${scale} takes values greater than -1 only, and --impute constant puts the fill value in every missing cell; give a --fill-value greater than -1, or another --scale`,
        });
      }
    }
    // a fill value above -1 is scaled as the column's other values: log1p(-0.5) among log1p(3), log1p(10), log1p(7)
    const r = segkit(['segment', 'gap.csv', '--k', '2', '--scale', 'log', '--impute', 'constant', '--fill-value', '-0.5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).missing).toEqual([{ column: 'a', count: 1 }]);
  });
});

describe('--value naming the customer id', () => {
  it('is a usage error, whether the id is found by its name or given with --id', () => {
    // found by its name, the ids were read as numbers and summed per segment as money; given with --id, they were
    // read as written and refused as "not numbers"
    writeFileSync(join(dir, 'numbered.csv'), ['customer_id,income,spend', ...Array.from({ length: 12 }, (_, i) => `${i},${[20, 80][i % 2] + i},${[10, 60][i % 2]}`)].join('\n') + '\n');
    for (const [flags, id] of [[[], ''], [['--id', 'customer_id'], ' (--id)']] as const) {
      const r = segkit(['segment', 'numbered.csv', '--k', '2', '--report', 'value.html', '--value', 'customer_id', ...flags, '--json']);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_USAGE', message: `--value: column "customer_id" is the customer id${id}, not an amount; give a money column (amount, revenue)` });
    }
    expect(existsSync(join(dir, 'value.html'))).toBe(false);
    // another column as the id: customer_id is then a column like any other
    const r = segkit(['segment', 'numbered.csv', '--k', '2', '--report', 'value.html', '--value', 'customer_id', '--id', 'spend', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).features).toEqual(['income']);
  });
});

describe('a numeric column named like an id beside the id column', () => {
  it('is a feature, as every numeric column is, and a note says so and how to leave it out', () => {
    const lines = ['id,customer_id,store_id,spend', ...Array.from({ length: 12 }, (_, i) => `r${i},${1000 + i},${i % 3},${[5, 6, 40, 41][i % 4]}`)];
    writeFileSync(join(dir, 'two-ids.csv'), `${lines.join('\n')}\n`);
    const r = segkit(['segment', 'two-ids.csv', '--k', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['customer_id', 'store_id', 'spend']);
    expect(s.notices).toContain('customer_id, store_id are named like an id but are features (numbers; the id is "id"): --exclude customer_id,store_id leaves them out');
    // left out, or chosen with --columns: nothing to say
    for (const flags of [['--exclude', 'customer_id,store_id'], ['--columns', 'customer_id,spend']]) {
      const quiet = JSON.parse(segkit(['segment', 'two-ids.csv', '--k', '2', '--json', ...flags]).stdout);
      expect(quiet.notices.some((n: string) => n.includes('named like an id'))).toBe(false);
    }
  });
});

describe('feature flags that contradict each other', () => {
  it('a column in both --columns and --exclude, or the --id column in --columns or --encode, is a usage error', () => {
    const cases: [string[], string][] = [
      [['--columns', 'income,spend', '--exclude', 'spend'], '--columns and --exclude both name column "spend": give it in one of them'],
      [['--id', 'visits', '--columns', 'income,visits'], '--columns: column "visits" is the customer id (--id), never a feature'],
      [['--id', 'visits', '--encode', 'visits'], '--encode: column "visits" is the customer id (--id), never a feature'],
    ];
    for (const [flags, message] of cases) {
      const r = segkit(['segment', 'customers.csv', '--k', '3', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(`segkit: error: ${message}`);
    }
    const train = segkit(['train', 'labelled.csv', '--target', 'segment', '--id', 'income', '--encode', 'income', '--json']);
    expect(train.code).toBe(2);
    expect(JSON.parse(train.stdout).error).toMatchObject({ code: 'E_USAGE', message: '--encode: column "income" is the customer id (--id), never a feature' });
    // --encode and --exclude too, said in the flags' words (it was the library's "option "exclude" must be not a column listed in encode")
    const encode = segkit(['segment', 'labelled.csv', '--k', '2', '--encode', 'gender', '--exclude', 'gender,segment', '--json']);
    expect(encode.code).toBe(2);
    expect(JSON.parse(encode.stdout).error).toMatchObject({ code: 'E_USAGE', message: '--encode and --exclude both name column "gender": give it in one of them' });
  });

  it('a column another flag keeps out of the features, in --columns or --encode, is named with that flag', () => {
    // --encode was the library's "option "exclude" must be not a column listed in encode"; --columns said every
    // such column held the labels, a --value or --audit column too
    const cases: [string[], string][] = [
      [['segment', 'labelled.csv', '--k', '2', '--report', 'r.html', '--encode', 'gender', '--audit', 'gender'], '--encode: column "gender" is an --audit column'],
      [['segment', 'labelled.csv', '--k', '2', '--report', 'r.html', '--columns', 'income,spend', '--value', 'spend'], '--columns: column "spend" is the --value column'],
      [['explain', 'labelled.csv', '--labels', 'segment', '--encode', 'gender', '--audit', 'gender'], '--encode: column "gender" is an --audit column'],
      [['evaluate', 'labelled.csv', '--labels', 'segment', '--encode', 'gender', '--truth', 'gender'], '--encode: column "gender" holds the known classes (--truth)'],
      [['evaluate', 'labelled.csv', '--labels', 'segment', '--columns', 'income,gender', '--truth', 'gender'], '--columns: column "gender" holds the known classes (--truth)'],
      [['train', 'labelled.csv', '--target', 'gender', '--encode', 'gender'], '--encode: column "gender" holds the labels'],
      [['train', 'labelled.csv', '--target', 'segment', '--columns', 'income,segment'], '--columns: column "segment" holds the labels'],
    ];
    for (const [args, message] of cases) {
      const r = segkit([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout).error, args.join(' ')).toMatchObject({ code: 'E_USAGE', message: `${message} and cannot also be a feature` });
    }
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });
});

describe('a flag the chosen algorithm does not use', () => {
  it('segment and choose-k: --init, --n-init and --max-iter with dbscan, hdbscan or agglomerative are usage errors', () => {
    const cases: [string[], string][] = [
      [['segment', 'customers.csv', '--algorithm', 'agglomerative', '--k', '3', '--init', 'random'], '--init applies to kmeans, minibatch-kmeans and gmm, not agglomerative'],
      [['segment', 'customers.csv', '--algorithm', 'agglomerative', '--k', '3', '--n-init', '5'], '--n-init applies to kmeans, minibatch-kmeans and gmm, not agglomerative'],
      [['segment', 'customers.csv', '--algorithm', 'dbscan', '--eps', '1', '--max-iter', '5'], '--max-iter applies to kmeans, minibatch-kmeans and gmm, not dbscan'],
      [['segment', 'customers.csv', '--algorithm', 'hdbscan', '--n-init', '2'], '--n-init applies to kmeans, minibatch-kmeans and gmm, not hdbscan'],
      [['choose-k', 'customers.csv', '--algorithm', 'agglomerative', '--k-range', '2..4', '--n-init', '3'], '--n-init applies to kmeans, minibatch-kmeans and gmm, not agglomerative'],
    ];
    for (const [args, message] of cases) {
      const r = segkit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`segkit: error: ${message}`);
    }
    // where they apply they are taken
    expect(segkit(['segment', 'customers.csv', '--algorithm', 'gmm', '--k', '3', '--n-init', '2', '--max-iter', '50', '-q']).code).toBe(0);
  });

  it('segment: a k-means or mixture fit stopped by --max-iter before converging says so; a converged one does not', () => {
    const stopped = /stopped after \d+ iterations? \(--max-iter\) before converging/;
    for (const [algorithm, what] of [['kmeans', 'k-means fit'], ['gmm', 'mixture']]) {
      const cut = JSON.parse(segkit(['segment', 'customers.csv', '--algorithm', algorithm, '--k', '3', '--init', 'random', '--max-iter', '1', '--json']).stdout);
      expect(cut.converged).toBe(false);
      expect(cut.notices).toContain(`the ${what} at k = 3 stopped after 1 iteration (--max-iter) before converging: its segments may still move; raise --max-iter`);
      const settled = JSON.parse(segkit(['segment', 'customers.csv', '--algorithm', algorithm, '--k', '3', '--json']).stdout);
      expect(settled.converged).toBe(true);
      expect(settled.notices.filter((n: string) => stopped.test(n))).toEqual([]);
    }
  });

  it('train: --n-trees with --algorithm tree is a usage error', () => {
    const r = segkit(['train', 'labelled.csv', '--target', 'segment', '--algorithm', 'tree', '--n-trees', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('segkit: error: --n-trees applies to --algorithm forest, not tree');
    expect(segkit(['train', 'labelled.csv', '--target', 'segment', '--algorithm', 'forest', '--n-trees', '5', '-q']).code).toBe(0);
  });
});

describe('report flags that would change nothing', () => {
  it('segment: --title, --value and --audit need --report, and --audit-threshold needs --audit and --report', () => {
    const cases: [string[], string][] = [
      [['--title', 'Q3'], '--title applies only with --report'],
      [['--audit-threshold', '0.2'], '--audit-threshold applies only with --audit'],
      [['--audit', 'visits', '--audit-threshold', '0.2'], '--audit-threshold applies only with --report'],
      // shown only in the report: without it they would only take the column out of the features
      [['--value', 'visits'], '--value applies only with --report'],
      [['--audit', 'visits'], '--audit applies only with --report'],
    ];
    for (const [flags, message] of cases) {
      const r = segkit(['segment', 'customers.csv', '--k', '3', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(`segkit: error: ${message}`);
    }
    expect(segkit(['segment', 'customers.csv', '--k', '3', '--audit', 'visits', '--audit-threshold', '0.2', '--title', 'Q3', '--report', 'r.html', '-q']).code).toBe(0);
  });

  it('explain: --title and --value need --report, --audit-threshold needs --audit (whose mix is printed without a report)', () => {
    const base = ['explain', 'labelled.csv', '--labels', 'segment'];
    const cases: [string[], string][] = [
      [['--title', 'Q3'], '--title applies only with --report'],
      [['--audit-threshold', '0.2'], '--audit-threshold applies only with --audit'],
      [['--value', 'income'], '--value applies only with --report'],
    ];
    for (const [flags, message] of cases) {
      const r = segkit([...base, ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(`segkit: error: ${message}`);
    }
    const audit = segkit([...base, '--audit', 'gender', '--audit-threshold', '0.2', '--json']);
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout).composition[0]).toMatchObject({ column: 'gender', threshold: 0.2 });
  });
});

describe('--encode and categories named like its own columns', () => {
  it('a category named "other" or "(missing)" keeps its own column: the bucket of rare categories and the missing values take "(other)" and "((missing))"', async () => {
    // 17 categories of 5 rows, "other" and "(missing)" of 6, three of one row (the rare ones), three empty cells
    const plans: string[] = [];
    for (let c = 0; c < 17; c++) for (let r = 0; r < 5; r++) plans.push(`c${String(c).padStart(2, '0')}`);
    for (let r = 0; r < 6; r++) plans.push('other', '(missing)');
    plans.push('c17', 'c18', 'c19', '', '', '');
    const text = ['customer_id,spend,plan', ...plans.map((p, i) => `${i},${(i * 37) % 101},${p}`)].join('\n') + '\n';
    writeFileSync(join(dir, 'plans.csv'), text);
    const r = segkit(['segment', 'plans.csv', '--encode', 'plan', '--k', '2', '--model', 'plans.json']);
    expect(r.stderr).toContain('--encode plan: 22 values; the 19 most frequent have their own columns and 3 go into "plan=(other)": c17, c18, c19');
    expect(r.code).toBe(0);
    const model = JSON.parse(readFileSync(join(dir, 'plans.json'), 'utf8'));
    const prep = Pipeline.fromJSON(model.pipeline);
    const { dataset } = prep.transform(await readCsv(text));
    const column = (name: string) => Array.from(dataset.columns[dataset.names.indexOf(name)] ?? [], Number);
    const is = (test: (p: string) => boolean) => plans.map((p) => (test(p) ? 1 : 0));
    expect(column('plan=other')).toEqual(is((p) => p === 'other'));
    expect(column('plan=(missing)')).toEqual(is((p) => p === '(missing)'));
    expect(column('plan=(other)')).toEqual(is((p) => ['c17', 'c18', 'c19'].includes(p)));
    expect(column('plan=((missing))')).toEqual(is((p) => p === ''));
    expect(dataset.names.filter((n) => n.startsWith('plan='))).toHaveLength(21);
    // --encode auto: the same labels where a column it encodes holds such a category, the plain ones elsewhere
    writeFileSync(join(dir, 'tiers.csv'), ['customer_id,spend,tier', ...Array.from({ length: 12 }, (_, i) => `${i},${i * 3},${['gold', '(missing)', ''][i % 3]}`)].join('\n') + '\n');
    expect(segkit(['segment', 'tiers.csv', '--encode', 'auto', '--k', '2', '--model', 'tiers.json']).code).toBe(0);
    const encoder = JSON.parse(readFileSync(join(dir, 'tiers.json'), 'utf8')).pipeline.steps.find((s: { kind: string }) => s.kind === 'oneHotEncoder');
    expect(encoder).toMatchObject({ otherLabel: 'other', missingLabel: '((missing))', columns: [{ name: 'tier', categories: ['(missing)', 'gold'], missingColumn: true }] });
  });
});

describe('--store with a file: URL of a relative path', () => {
  it('is a usage error naming the flag and the folder it would be, in score and worker alike', () => {
    for (const command of [['score', 'customers.csv', '--model', 'm.json', '--out', 'o.csv', '--executor', 'redis://127.0.0.1:1'], ['worker', '--redis', 'redis://127.0.0.1:1']]) {
      const r = segkit([...command, '--store', 'file:./shared']);
      expect(r.code, command[0]).toBe(2);
      expect(r.stderr).toContain('segkit: error: --store must name an absolute path, as in file:///shared/segkit, got "file:./shared" (read as file:///shared)');
    }
  });
});

describe('--store with a file: URL encoding a "/" in its path', () => {
  it('is a usage error naming the flag, not an internal error', () => {
    for (const command of [['score', 'customers.csv', '--model', 'm.json', '--out', 'o.csv', '--executor', 'redis://127.0.0.1:1'], ['worker', '--redis', 'redis://127.0.0.1:1']]) {
      const r = segkit([...command, '--store', 'file:///tmp/a%2Fb']);
      expect(r.code, command[0]).toBe(2);
      expect(r.stderr).toContain('segkit: error: --store names no folder: "file:///tmp/a%2Fb" encodes a "/" or a NUL (%2F, %00) in its path');
    }
  });
});
