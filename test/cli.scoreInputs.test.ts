// segkit score on Arrow inputs that are not what the model read: columns of other types, files that start with
// empty record batches (run as a user would: the built dist/cli/main.js).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Float64, RecordBatchFileWriter, Table, TimestampSecond, Utf8, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, segkit } from './helpers/segkitCli.js';

const A = [1.5, 2.5, 10.0, 11.0, 1.0, 12.0, 2.0, 10.5];
const B = [10, 11, 50, 52, 9, 49, 12, 51];
let dir = '';
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-score-inputs-'));
  writeFileSync(file('base.csv'), ['id,a,b', ...A.map((a, i) => `${i + 1},${a},${B[i]}`)].join('\n') + '\n');
  ok(dir, ['segment', 'base.csv', '--k', '2', '--seed', '1', '--columns', 'a,b', '--model', 'm.json', '-q']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('score refuses a model column of another Arrow type, never reading its memory as numbers', () => {
  const cases: Array<[string, Table]> = [
    ['text', new Table({ a: vectorFromArray(A.map(String), new Utf8()), b: vectorFromArray(B, new Float64()) })],
    ['dictionary', new Table({ a: vectorFromArray(A.map(String)), b: vectorFromArray(B, new Float64()) })],
    ['timestamp', new Table({ a: vectorFromArray(A, new Float64()), b: vectorFromArray(B.map((s) => new Date(s * 1000)), new TimestampSecond()) })],
  ];
  for (const [what, table] of cases) {
    it(`a ${what} column`, () => {
      writeFileSync(file(`${what}.arrow`), tableToIPC(table, 'file'));
      const r = segkit(dir, ['score', `${what}.arrow`, '--model', 'm.json', '--out', `${what}-out.csv`, '--json']);
      expect(r.code).toBe(1);
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe('E_NON_NUMERIC');
      expect(error.message).toMatch(what === 'timestamp' ? /column "b" has Arrow type Timestamp/ : /column "a" has Arrow type (Utf8|Dictionary)/);
    });
  }
});

describe('an Arrow file whose first record batches are empty', () => {
  it('is scored as the same rows without them: one header, no made-up rows', () => {
    const table = tableFromArrays({ a: Float64Array.from(A), b: Float64Array.from(B) });
    const empty = table.slice(0, 0).batches[0];
    writeFileSync(file('plain.arrow'), tableToIPC(table, 'file'));
    writeFileSync(file('leading.arrow'), RecordBatchFileWriter.writeAll([empty, empty, ...table.batches]).toUint8Array(true));
    ok(dir, ['score', 'plain.arrow', '--model', 'm.json', '--out', 'plain.csv', '-q']);
    ok(dir, ['score', 'leading.arrow', '--model', 'm.json', '--out', 'leading.csv', '-q']);
    const text = readFileSync(file('leading.csv'), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('a,b,'))).toHaveLength(1);
    expect(text).toBe(readFileSync(file('plain.csv'), 'utf8'));
    expect(text.trim().split('\n')).toHaveLength(A.length + 1);
  });
});
