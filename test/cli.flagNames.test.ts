// Errors and notes of the command line name its own flags (--k, --min-samples, --rows ...), never the library's
// option or function names (option "k", minSamples, explainAssignment ...), run as a user would (dist/cli/main.js).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, createRandom } from '../src/index.node.js';
import { BIN, ok as okIn, segkit as segkitIn, type Run } from './helpers/segkitCli.js';

let dir = '';
const path = (name: string) => join(dir, name);
const segkit = (args: readonly string[]) => segkitIn(dir, args);
const ok = (args: readonly string[]) => okIn(dir, args);

/** What the library says and a person never typed: `option "x"`, and camelCase option or function names. */
const LIBRARY_WORDS = /option "|\b(?:[a-z]+[A-Z][A-Za-z]*)\b/;

/** A failed run: its exit code and its one error line, which must hold none of the library's words. */
function failure(r: Run): { code: number | null; error: string } {
  const error = r.stderr.split('\n').find((l) => l.startsWith('segkit: error: ')) ?? '';
  expect(error, r.stderr).not.toBe('');
  expect(error).not.toMatch(LIBRARY_WORDS);
  return { code: r.code, error: error.slice('segkit: error: '.length) };
}

// four groups of customers, with a text column of three tiers
function customers(n: number, seed: number): string {
  const rng = createRandom(seed);
  const lines = ['customer_id,income,spend,tier'];
  for (let i = 0; i < n; i++) {
    const g = i % 4;
    lines.push(`c${i},${([90, 40, 30, 60][g] * (1 + 0.05 * rng.normal())).toFixed(2)},${([20, 70, 10, 40][g] * (1 + 0.05 * rng.normal())).toFixed(2)},${['gold', 'silver', 'bronze', 'silver'][g]}`);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-flags-'));
  writeFileSync(path('customers.csv'), customers(200, 1));
  // six rows, two distinct customers
  writeFileSync(path('twins.csv'), 'customer_id,income,spend\nc1,1,2\nc2,1,2\nc3,1,2\nc4,5,5\nc5,5,5\nc6,1,2\n');
});
afterAll(async () => {
  await close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('segment', () => {
  it('--k above the distinct customers names --k and their count, for every algorithm with a k', () => {
    for (const algorithm of ['kmeans', 'minibatch-kmeans', 'gmm', 'agglomerative']) {
      const { code, error } = failure(segkit(['segment', 'twins.csv', '--k', '3', '--algorithm', algorithm]));
      expect(code).toBe(2);
      expect(error).toBe('--k: 3 segments are more than the 2 distinct customers (rows with the same features) the data has (lower --k, or add features that tell the customers apart)');
    }
  });

  it('hdbscan with a minimum above the rows names the flag that set it, or its default', () => {
    const cases: [string[], string][] = [
      [['--min-cluster-size', '7'], '--min-cluster-size 7: --algorithm hdbscan needs at least that many rows, the data has 6'],
      [['--min-samples', '9'], '--min-samples 9: --algorithm hdbscan needs at least that many rows, the data has 6'],
      [['--min-cluster-size', '3', '--min-samples', '7'], '--min-samples 7: --algorithm hdbscan needs at least that many rows, the data has 6'],
    ];
    for (const [flags, message] of cases) {
      const { code, error } = failure(segkit(['segment', 'twins.csv', '--algorithm', 'hdbscan', ...flags]));
      expect(code).toBe(2);
      expect(error).toBe(message);
    }
    writeFileSync(path('four.csv'), 'customer_id,income,spend\nc1,1,2\nc2,2,2\nc3,3,2\nc4,5,5\n');
    expect(failure(segkit(['segment', 'four.csv', '--algorithm', 'hdbscan'])).error).toBe('--min-cluster-size (default 5): --algorithm hdbscan needs at least that many rows, the data has 4');
    // at the limit it fits (and finds every row noise)
    expect(failure(segkit(['segment', 'twins.csv', '--algorithm', 'hdbscan', '--min-cluster-size', '2', '--min-samples', '6'])).error).toMatch(/^--algorithm hdbscan found no segment/);
  });

  it('complete and average linkage past the 2 GiB distance matrix name --linkage, in segment and choose-k', () => {
    // 23,200 rows: 269,108,400 distances, 2.005 GiB of float64 (refused before any is computed)
    writeFileSync(path('many.csv'), `x\n${Array.from({ length: 23_200 }, (_, i) => i).join('\n')}\n`);
    const tail = 'needs the 23200-row distance matrix (2.0 GiB; the limit is 2 GiB) (--linkage ward and --linkage single work from the vectors in O(n d) memory; or sample the rows)';
    const runs: [string[], string][] = [
      [['segment', 'many.csv', '--algorithm', 'agglomerative', '--linkage', 'complete', '--k', '3'], `"many.csv": --linkage complete ${tail}`],
      [['segment', 'many.csv', '--algorithm', 'agglomerative', '--linkage', 'average', '--k', 'auto'], `"many.csv": --linkage average ${tail}`],
      [['choose-k', 'many.csv', '--algorithm', 'agglomerative', '--linkage', 'complete'], `--linkage complete ${tail}`],
    ];
    for (const [args, message] of runs) {
      const { code, error } = failure(segkit(args));
      expect(code).toBe(2);
      expect(error).toBe(message);
    }
  });
});

describe('explain and train', () => {
  it('explain --rows with a model it cannot explain customers of is a usage error naming --rows and --model, before any work', () => {
    ok(['segment', 'customers.csv', '--algorithm', 'dbscan', '--eps', '0.5', '--model', 'dbscan.json', '--out', 'dbscan.csv', '-q']);
    ok(['segment', 'customers.csv', '--algorithm', 'gmm', '--k', '4', '--model', 'gmm.json', '--out', 'gmm.csv', '-q']);
    for (const [model, out, kind] of [['dbscan.json', 'dbscan.csv', 'a dbscan'], ['gmm.json', 'gmm.csv', 'a gmm']]) {
      const { code, error } = failure(segkit(['explain', out, '--labels', 'segment_name', '--model', model, '--rows', 'c0,c1']));
      expect(code).toBe(2);
      expect(error).toBe(`--rows with --model: "${model}" holds ${kind} model, and single customers are explained with a kmeans, minibatch-kmeans, tree or forest model; leave out --model to explain them by the rules`);
    }
    // without --rows the model explains importance; without --model the rules explain the customers
    ok(['explain', 'gmm.csv', '--labels', 'segment', '--model', 'gmm.json', '-q']);
    const r = JSON.parse(ok(['explain', 'gmm.csv', '--labels', 'segment', '--rows', 'c0,c1', '--json', '-q']).stdout);
    expect(r.customers.map((c: { id: string }) => c.id)).toEqual(['c0', 'c1']);
  });

  it('a label column a classifier cannot learn is named by --labels (explain) or --target (train), not "target"', () => {
    writeFileSync(path('labels.csv'), 'customer_id,income,spend,tier\nc1,1,2,gold\nc2,2,3,gold\nc3,3,3,gold\nc4,3,4,gold\n');
    let f = failure(segkit(['explain', 'labels.csv', '--labels', 'tier']));
    expect(f.error).toBe('"labels.csv": the --labels column "tier" has one class ("gold") in all 4 rows; a classifier needs at least two');
    f = failure(segkit(['train', 'labels.csv', '--target', 'tier']));
    expect(f.error).toBe('"labels.csv": the --target column "tier" has one class ("gold") in all 4 rows; a classifier needs at least two');
    expect(f.code).toBe(1);
    f = failure(segkit(['train', 'labels.csv', '--target', 'customer_id']));
    expect(f.error).toBe('"labels.csv": the --target column "customer_id" has 4 classes in 4 rows; a classifier needs more rows than classes (is the --target column an id column?)');
  });

  it('train --cv above the rows names --cv', () => {
    const { code, error } = failure(segkit(['train', 'customers.csv', '--target', 'tier', '--cv', '201']));
    expect(code).toBe(2);
    expect(error).toBe('--cv 201: more folds than the 200 rows "customers.csv" has to train on');
    expect(JSON.parse(ok(['train', 'customers.csv', '--target', 'tier', '--cv', '5', '--json', '-q']).stdout).cv.folds).toHaveLength(5);
  });
});

describe('abtest and rfm', () => {
  // two segments, a control and a variant (three arms in arms3.csv), 0/1 conversions and revenue
  const trial = (arms: readonly string[]) => ['segment,arm,converted,revenue', ...Array.from({ length: 120 }, (_, i) => `${i % 2 ? 'A' : 'B'},${arms[i % arms.length]},${i % 5 === 0 ? 1 : 0},${(i * 7.25) % 90}`)].join('\n');

  it('abtest names --confidence, --control, --metric, --outcome and the column flags, and a row by its line', () => {
    writeFileSync(path('trial.csv'), `${trial(['control', 'variant'])}\n`);
    writeFileSync(path('arms3.csv'), `${trial(['control', 'v1', 'v2'])}\n`);
    // the column flags, each unless the case gives its own (an option given twice is refused)
    const run = (file: string, ...flags: string[]) => {
      const base = [['--segment', 'segment'], ['--group', 'arm'], ['--outcome', 'converted']].filter(([flag]) => !flags.includes(flag)).flat();
      return failure(segkit(['abtest', file, ...base, ...flags]));
    };
    for (const level of ['0', '1', '95']) {
      expect(run('trial.csv', '--confidence', level)).toEqual({ code: 2, error: `option '--confidence <level>' argument '${level}' is invalid. must be a number between 0 and 1, e.g. 0.95.` });
    }
    expect(run('trial.csv', '--control', 'holdout')).toEqual({ code: 2, error: '"trial.csv": --control "holdout" is not a value of the --group column "arm" ("control", "variant")' });
    expect(run('trial.csv', '--metric', 'proportion', '--outcome', 'revenue')).toEqual({ code: 2, error: '"trial.csv": --metric proportion needs 0/1 outcomes, but the --outcome column "revenue" holds 7.25' });
    expect(run('arms3.csv').error).toBe('"arms3.csv": the group column "arm" has 3 values ("control", "v1", "v2"); name the control arm (pass --control NAME: every other arm is compared with it)');
    expect(run('trial.csv', '--segment', 'region')).toEqual({ code: 2, error: '--segment: column "region" is not in "trial.csv" (it has: segment, arm, converted, revenue)' });
    // an empty arm is named by its file line (the header is line 1)
    writeFileSync(path('gap.csv'), `${trial(['control', 'variant']).replace('\nB,control,1,0\nA,variant,0,7.25\n', '\nB,control,1,0\nA,,0,7.25\n')}\n`);
    expect(run('gap.csv').error).toBe('"gap.csv": line 3: the group column "arm" is empty (every row needs a group)');
    // and a word among the outcomes, by the line of the first one named
    writeFileSync(path('word.csv'), `${trial(['control', 'variant']).replace('\nA,variant,0,7.25\n', '\nA,variant,yes,7.25\n')}\n`);
    expect(run('word.csv').error).toBe('"word.csv": line 3: the outcome column "converted" holds "yes": an outcome must be 0/1 (converted or not) or a number (revenue, orders) (recode it, e.g. yes -> 1, no -> 0)');
    expect(JSON.parse(ok(['abtest', 'trial.csv', '--segment', 'segment', '--group', 'arm', '--outcome', 'converted', '--confidence', '0.9', '--json', '-q']).stdout).confidence).toBe(0.9);
  });

  it('rfm names --as-of and --customer', () => {
    writeFileSync(path('orders.csv'), 'cust,date,amount\nc1,2024-01-02,10\nc2,2024-01-03,20\nc1,2024-02-01,5\n');
    const f = failure(segkit(['rfm', 'orders.csv', '--customer', 'cust', '--date', 'date', '--amount', 'amount', '--as-of', '2023-12-31']));
    expect(f).toEqual({ code: 1, error: '"orders.csv": the log has no rows with a customer id on or before --as-of 2023-12-31' });
    writeFileSync(path('named.csv'), 'recency,date,amount\nc1,2024-01-02,10\n');
    expect(failure(segkit(['rfm', 'named.csv', '--customer', 'recency', '--date', 'date', '--amount', 'amount']))).toEqual({
      code: 2,
      error: '"named.csv": --customer: column "recency" has the name of an output column (recency, frequency, monetary, r_score, f_score, m_score, rfm_code, segment); rename the column',
    });
    // a row without a customer id: the hint names the flag that skips such rows
    writeFileSync(path('anonymous.csv'), 'cust,date,amount\nc1,2024-01-02,10\n,2024-01-03,20\n');
    expect(failure(segkit(['rfm', 'anonymous.csv', '--customer', 'cust', '--date', 'date', '--amount', 'amount']))).toEqual({
      code: 1,
      error: '"anonymous.csv": line 3, column "cust" has no customer id (drop those rows first or pass --skip-missing-customers)',
    });
    expect(JSON.parse(ok(['rfm', 'anonymous.csv', '--customer', 'cust', '--date', 'date', '--amount', 'amount', '--skip-missing-customers', '--json', '-q']).stdout).customers).toBe(1);
  });
});

describe('worker, score --executor and app', () => {
  it('worker names --redis, --store and --queue, with no password shown, before it connects', () => {
    const run = (...flags: string[]) => failure(segkit(['worker', '--redis', 'redis://127.0.0.1:1', '--store', 'file:///tmp/segkit-shards', ...flags]));
    expect(run('--queue', 'a:b')).toEqual({ code: 2, error: '--queue must be 1 to 64 letters, digits, "_" or "-", got "a:b"' });
    expect(run('--redis', 'http://:secret@cache:6379')).toEqual({ code: 2, error: '--redis must be a Redis URL like redis://host:6379 or rediss://user:password@host:6380/0, got "http://:***@cache:6379/"' });
    expect(run('--store', 's3://bucket/shards')).toEqual({ code: 2, error: '--store uses s3:, but only file:/// stores are built in' });
    expect(run('--store', 'file://nas/shards')).toEqual({ code: 2, error: '--store names host "nas"; a file store is a path: file:///dir' });
    expect(run('--store', '/mnt/shards')).toEqual({ code: 2, error: '--store must be a URL like file:///shared/segkit, got "/mnt/shards"' });
    // beyond a Node timer's longest delay, BullMQ's lock renewal and stalled-job check would run every millisecond
    expect(run('--lock-ms', '5000000000')).toEqual({ code: 2, error: 'option \'--lock-ms <ms>\' argument \'5000000000\' is invalid. must be an integer from 1000 to 2147483647.' });
  });

  it('score names --executor and --store', () => {
    ok(['segment', 'customers.csv', '--k', '4', '--model', 'kmeans.json', '-q']);
    const run = (...flags: string[]) => failure(segkit(['score', 'customers.csv', '--model', 'kmeans.json', '--out', 'scored.csv', ...flags]));
    expect(run('--executor', 'redis://cache:6379', '--store', 's3://bucket')).toEqual({ code: 2, error: '--store uses s3:, but only file:/// stores are built in' });
    expect(run('--executor', 'redis://ca che', '--store', 'file:///tmp/segkit-shards')).toEqual({ code: 2, error: '--executor must be a Redis URL like redis://host:6379 or rediss://user:password@host:6380/0, got "(unparsable URL)"' });
    expect(existsSync(path('scored.csv'))).toBe(false);
  });

  it('app --port above 65535 is refused by its parser (no internal error)', () => {
    expect(failure(segkit(['app', '--port', '65536']))).toEqual({ code: 2, error: 'option \'--port <n>\' argument \'65536\' is invalid. must be a port number from 0 to 65535.' });
  });
});

describe('haversine', () => {
  it('a latitude beyond 90 is refused naming --metric haversine (segment) or the model (score), not option "metric"', () => {
    writeFileSync(path('places.csv'), 'customer_id,lat,lon\nc1,48.85,2.35\nc2,48.86,2.34\nc3,48.85,2.36\nc4,95,2.35\n');
    let f = failure(segkit(['segment', 'places.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', '5']));
    expect(f).toEqual({ code: 2, error: '"places.csv": line 5, column "lat" holds latitude 95, beyond [-90, 90] (--metric haversine) (--lat names the latitude column and --lon the longitude, both in degrees)' });
    writeFileSync(path('paris.csv'), 'customer_id,lat,lon\nc1,48.85,2.35\nc2,48.86,2.34\nc3,48.85,2.36\n');
    ok(['segment', 'paris.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', '5', '--min-samples', '2', '--model', 'paris.json', '-q']);
    f = failure(segkit(['score', 'places.csv', '--model', 'paris.json', '--out', 'places-scored.csv']));
    expect(f).toEqual({ code: 2, error: '"places.csv": line 5, column "lat" holds latitude 95, beyond [-90, 90] (the model measures haversine distances, in degrees) (a latitude is from -90 to 90 degrees: check the value, and that the latitude and longitude columns are not swapped)' });
  });
});

describe('evaluate', () => {
  it('a silhouette sample too small for the segments names --sample-size; a sample of 2 never works and is refused', () => {
    // 39 rows in segment 0 and one in segment 1: a sample of 3 drawn with this seed holds segment 0 alone
    const rows = Array.from({ length: 40 }, (_, i) => `c${i},${i},${(i * 7) % 13},${i === 39 ? 1 : 0}`);
    writeFileSync(path('lopsided.csv'), `customer_id,a,b,segment\n${rows.join('\n')}\n`);
    const { code, error } = failure(segkit(['evaluate', 'lopsided.csv', '--labels', 'segment', '--sample-size', '3', '--seed', '1']));
    expect(code).toBe(2);
    expect(error).toMatch(/^--sample-size 3: the sampled rows fall in too few segments, or in one segment each, for a silhouette \(the labels form 1 cluster; .*\); raise --sample-size$/);
    expect(segkit(['evaluate', 'lopsided.csv', '--labels', 'segment', '--sample-size', '2']).code).toBe(2);
    // every row: the exact silhouette of the two segments
    ok(['evaluate', 'lopsided.csv', '--labels', 'segment']);
  });
});

describe('a missing value nothing fills', () => {
  it('names --impute, or says coordinates are never filled in, never the library\'s impute option', () => {
    writeFileSync(path('holes.csv'), 'customer_id,lat,lon\nc1,52.5,13.4\nc2,,13.5\nc3,52.6,13.3\nc4,48.1,11.6\nc5,48.2,11.5\n');
    const none = failure(segkit(['segment', 'holes.csv', '--impute', 'none', '--k', '2']));
    expect(none.error).toBe('"holes.csv": line 3, column "lat" is missing (--impute median, mean, most-frequent or constant fills missing values)');
    const geo = failure(segkit(['segment', 'holes.csv', '--algorithm', 'dbscan', '--metric', 'haversine', '--lat', 'lat', '--lon', 'lon', '--eps', '50']));
    expect(geo.error).toBe('"holes.csv": line 3, column "lat" is missing (leave out the rows without coordinates: they are never filled in)');
  });
});
