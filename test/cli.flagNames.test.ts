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

// four groups of customers, a few of them sharing their features
function customers(n: number, seed: number): string {
  const rng = createRandom(seed);
  const lines = ['customer_id,income,spend'];
  for (let i = 0; i < n; i++) {
    const g = i % 4;
    lines.push(`c${i},${([90, 40, 30, 60][g] * (1 + 0.05 * rng.normal())).toFixed(2)},${([20, 70, 10, 40][g] * (1 + 0.05 * rng.normal())).toFixed(2)}`);
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
});
