// Options of the command line as a user types them (dist/cli/main.js): an option given twice, a flag the chosen
// algorithm would ignore.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, segkit as segkitIn } from './helpers/segkitCli.js';

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
