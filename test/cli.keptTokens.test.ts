// Columns the model does not read come out as they were written whenever segkit writes the cells itself (score
// --keep, another delimiter, TSV, Arrow, Parquet, JSON; segment to another delimiter or format): a missing-value
// token there (NA for Namibia, -, N/A) is text, an empty cell is empty. The model's own columns read the tokens as
// missing values, imputed as before.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../src/data/readTable.node.js';
import { BIN, ok, segkit } from './helpers/segkitCli.js';

let dir = '';
const run = (args: readonly string[]) => ok(dir, [...args, '-q']);
const file = (name: string) => readFileSync(join(dir, name), 'utf8');
/** Column `j` of each data line of delimited text (no quoted cells). */
const column = (text: string, j: number, sep = ',') => text.trimEnd().split('\n').slice(1).map((line) => line.split(sep)[j]);
const values = async (name: string, col: string): Promise<unknown[]> => [...(await readTable(join(dir, name))).getChild(col)!];

// country: tokens as text, an empty cell; loyalty: numbers with a token (a column of numbers: NA there is missing in
// typed output); spend and visits: the model's features, with missing cells
const ROWS = [
  'id,country,loyalty,spend,visits',
  '1,NA,1,10,1',
  '2,DE,NA,NA,2',
  '3,-,3,30,3',
  '4,N/A,4,40,',
  '5,,5,50,5',
  '6,FR,6,60,6',
  '7,null,7,70,7',
  '8,NA,8,80,8',
];
const COUNTRY = ['NA', 'DE', '-', 'N/A', '', 'FR', 'null', 'NA'];
// as writeCsv writes them: a text cell starting with "-" gets its apostrophe
const COUNTRY_CSV = COUNTRY.map((c) => (c === '-' ? "'-" : c));
const COUNTRY_TYPED = COUNTRY.map((c) => (c === '' ? null : c));

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-kept-tokens-'));
  writeFileSync(join(dir, 'na.csv'), `${ROWS.join('\n')}\n`);
  writeFileSync(join(dir, 'na-semi.csv'), `${ROWS.map((r) => r.replaceAll(',', ';')).join('\n')}\n`);
  run(['segment', 'na.csv', '--columns', 'spend,visits', '--k', '2', '--seed', '1', '--model', 'm.json', '--out', 'seg.csv', '--threads', '1']);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('score: kept columns as written', () => {
  it('--keep to CSV and TSV, and another delimiter: tokens stay, the empty cell stays empty', () => {
    const segments = column(file('seg.csv'), 5);
    run(['score', 'na.csv', '--model', 'm.json', '--keep', 'id,country,loyalty', '--out', 'k.csv']);
    expect(column(file('k.csv'), 1)).toEqual(COUNTRY_CSV);
    expect(column(file('k.csv'), 2)).toEqual(['1', 'NA', '3', '4', '5', '6', '7', '8']);
    // the features' NA and empty cells are missing values, imputed: the segments of the fit
    expect(column(file('k.csv'), 3)).toEqual(segments);
    run(['score', 'na.csv', '--model', 'm.json', '--keep', 'id,country', '--out', 'k.tsv']);
    expect(column(file('k.tsv'), 1, '\t')).toEqual(COUNTRY_CSV);
    run(['score', 'na-semi.csv', '--model', 'm.json', '--out', 'semi.csv']);
    expect(column(file('semi.csv'), 1)).toEqual(COUNTRY_CSV);
    expect(column(file('semi.csv'), 2)).toEqual(['1', 'NA', '3', '4', '5', '6', '7', '8']);
    expect(column(file('semi.csv'), 5)).toEqual(segments);
  });

  it('to Parquet, Arrow and JSON: a text column holds the tokens as strings, a number column reads them as missing', async () => {
    for (const out of ['k.parquet', 'k.arrow', 'k.json']) {
      run(['score', 'na.csv', '--model', 'm.json', '--keep', 'id,country,loyalty', '--out', out]);
      expect(await values(out, 'country')).toEqual(COUNTRY_TYPED);
      expect((await values(out, 'loyalty')).map((v) => (v === null ? null : Number(v)))).toEqual([1, null, 3, 4, 5, 6, 7, 8]);
    }
    run(['score', 'na.csv', '--model', 'm.json', '--out', 'all.parquet']);
    expect(await values('all.parquet', 'country')).toEqual(COUNTRY_TYPED);
  });

  it('gives the same bytes with any --batch-size and thread count', async () => {
    const outputs = (name: string, extra: string[]) => {
      run(['score', 'na.csv', '--model', 'm.json', '--keep', 'id,country,loyalty', '--out', `${name}.csv`, ...extra]);
      run(['score', 'na.csv', '--model', 'm.json', '--out', `${name}.json`, ...extra]);
      return [file(`${name}.csv`), file(`${name}.json`)];
    };
    const base = outputs('b0', ['--threads', '1']);
    expect(outputs('b1', ['--threads', '2'])).toEqual(base);
    expect(outputs('b2', ['--batch-size', '3', '--threads', '1'])).toEqual(base);
    expect(outputs('b3', ['--batch-size', '1', '--threads', '2'])).toEqual(base);
  });
});

describe('score: kept columns typed for Arrow, Parquet and JSON output', () => {
  it('refuses a number in a column the first batch held no value of, where it was written as text', async () => {
    // extra: empty in the first two rows, then numbers: read whole, a column of float64 (pandas reads it so)
    writeFileSync(join(dir, 'late.csv'), 'id,spend,visits,extra\n1,10,1,\n2,20,2,\n3,30,3,4.5\n4,40,4,5\n5,50,5,NA\n');
    for (const size of ['3', '100']) {
      run(['score', 'late.csv', '--model', 'm.json', '--out', `late${size}.parquet`, '--batch-size', size, '--threads', '1']);
      expect(await values(`late${size}.parquet`, 'extra')).toEqual([null, null, 4.5, 5, null]);
    }
    for (const size of ['1', '2']) {
      const r = segkit(dir, ['score', 'late.csv', '--model', 'm.json', '--out', `late${size}.parquet`, '--batch-size', size, '--threads', '1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('"late.csv": line 4, column "extra": "4.5" is a number, but the column holds no value in the first batch');
      expect(existsSync(join(dir, `late${size}.parquet`))).toBe(false);
    }
    // text first: a text column, as read whole, whatever the batch size
    writeFileSync(join(dir, 'late-text.csv'), 'id,spend,visits,extra\n1,10,1,\n2,20,2,x\n3,30,3,4.5\n');
    for (const size of ['1', '100']) {
      run(['score', 'late-text.csv', '--model', 'm.json', '--out', `late-text${size}.json`, '--batch-size', size, '--threads', '1']);
      expect(await values(`late-text${size}.json`, 'extra')).toEqual([null, 'x', '4.5']);
    }
  });
});

describe('segment: columns it does not read, as written', () => {
  it('to TSV, another delimiter, Parquet and Arrow', async () => {
    const seg = ['--columns', 'spend,visits', '--k', '2', '--seed', '1'];
    run(['segment', 'na.csv', ...seg, '--out', 's.tsv']);
    expect(column(file('s.tsv'), 1, '\t')).toEqual(COUNTRY_CSV);
    // the features: missing, written empty as before
    expect(column(file('s.tsv'), 3, '\t')).toEqual(['10', '', '30', '40', '50', '60', '70', '80']);
    for (const threads of ['1', '2']) {
      run(['segment', 'na-semi.csv', ...seg, '--out', `s${threads}.csv`, '--threads', threads]);
      expect(column(file(`s${threads}.csv`), 1)).toEqual(COUNTRY_CSV);
    }
    expect(file('s2.csv')).toBe(file('s1.csv'));
    for (const out of ['s.parquet', 's.arrow']) {
      run(['segment', 'na.csv', ...seg, '--out', out]);
      expect(await values(out, 'country')).toEqual(COUNTRY_TYPED);
    }
  });
});
