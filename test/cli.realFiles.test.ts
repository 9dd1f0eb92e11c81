// The command line on files as customers send them, and on the ways a run can go wrong: every case here once
// gave a silently wrong answer, lost a file or failed without saying where.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Dictionary, Field, Int32, List, Struct, type Table, Table as ArrowTable, makeData, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet/src/index.js';
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../src/data/readTable.node.js';
import { createRandom } from '../src/util/random.js';
import { BIN, interrupted, ok, segkit } from './helpers/segkitCli.js';

let dir = '';
const path = (name: string) => join(dir, name);
const run = (args: readonly string[], options?: { input?: string | Buffer }) => segkit(dir, args, options);
const pass = (args: readonly string[], options?: { input?: string | Buffer }) => ok(dir, args, options);
const column = (t: Table, name: string) => Array.from(t.getChild(name)!.toArray() as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
const tempFiles = () => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

// Eight customers in two obvious groups; line 4 (the third customer) has no income.
const EIGHT = ['customer_id,age,income', 'c1,25,30000', 'c2,27,32000', 'c3,24,NA', 'c4,26,31000', 'c5,55,90000', 'c6,58,95000', 'c7,60,88000', 'c8,57,92000'];

/** n customers with `d` numeric features in two groups, seeded. */
function bigCsv(n: number, d: number, seed: number): string {
  const rand = createRandom(seed);
  const names = Array.from({ length: d }, (_, j) => `f${String(j).padStart(2, '0')}`);
  const lines = [['customer_id', ...names].join(',')];
  for (let i = 0; i < n; i++) {
    const g = i % 2;
    lines.push([`c${i}`, ...names.map(() => (g * 10 + rand.normal()).toFixed(3))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-real-'));
  writeFileSync(path('na.csv'), `${EIGHT.join('\n')}\n`);
  writeFileSync(path('big.csv'), bigCsv(100_000, 8, 5));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('missing values and stray words in numeric columns', () => {
  it('imputes one NA instead of dropping the income column, and says so on stderr and in --json', () => {
    const r = pass(['segment', 'na.csv', '--k', '2', '--seed', '1', '--threads', '2', '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['age', 'income']);
    expect(s.missing).toEqual([{ column: 'income', count: 1 }]);
    expect(r.stderr).toContain("filled missing values with the column's median: income 1\n");
    expect(s.notices).toContain("filled missing values with the column's median: income 1");
    // the NA took the median of the other seven incomes, 88,000: the segment means add up to it
    const total = s.segments.reduce((sum: number, seg: { size: number; means: { income: number } }) => sum + seg.size * seg.means.income, 0);
    expect(total).toBeCloseTo(30000 + 32000 + 88000 + 31000 + 90000 + 95000 + 88000 + 92000, 6);
    expect(s.segments.map((seg: { size: number }) => seg.size).sort()).toEqual([4, 4]);
  });

  it('choose-k keeps the column too', () => {
    const s = JSON.parse(pass(['choose-k', 'na.csv', '--k-range', '2..3', '--threads', '2', '--json', '--quiet']).stdout);
    expect(s.features).toEqual(['age', 'income']);
    expect(s.missing).toEqual([{ column: 'income', count: 1 }]);
  });

  it('keeps all 16 features when one of 100,000 rows holds N/A', () => {
    const lines = bigCsv(100_000, 16, 9).split('\n');
    const cells = lines[50_001].split(',');
    cells[8] = 'N/A';
    lines[50_001] = cells.join(',');
    writeFileSync(path('wide-na.csv'), lines.join('\n'));
    const s = JSON.parse(pass(['segment', 'wide-na.csv', '--k', '2', '--seed', '1', '--threads', '2', '--json']).stdout);
    expect(s.features).toHaveLength(16);
    expect(s.missing).toEqual([{ column: 'f07', count: 1 }]);
    expect(s.rows).toBe(100_000);
  });

  it('refuses real text in a numeric column, naming the file line and the column', () => {
    writeFileSync(path('twenty.csv'), `${EIGHT.map((l, i) => (i === 3 ? 'c3,24,twenty' : l)).join('\n')}\n`);
    for (const command of ['segment', 'choose-k']) {
      const r = run([command, 'twenty.csv', '--threads', '2']);
      expect(r.code, command).toBe(1);
      expect(r.stderr, command).toBe(
        'segkit: error: "twenty.csv": line 4, column "income": "twenty" is not a number, though 7 of the column\'s 8 values are ' +
          '(correct it, add it to the missing-value tokens with --na, or leave the column out with --exclude income)\n',
      );
    }
  });

  it('refuses a word among the numbers of a JSON or NDJSON column too, naming the record', () => {
    const records = EIGHT.slice(1).map((l, i) => {
      const [customer_id, age, income] = l.split(',');
      return { customer_id, age: Number(age), income: i === 2 ? 'twenty' : Number(income) };
    });
    writeFileSync(path('twenty.ndjson'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    writeFileSync(path('twenty.json'), JSON.stringify(records));
    for (const file of ['twenty.ndjson', 'twenty.json']) {
      const r = run(['segment', file, '--k', '2', '--threads', '2']);
      expect(r.code, file).toBe(1);
      expect(r.stderr, file).toContain(`"${file}": record 3, column "income": "twenty" is not a number, though 7 of the column's 8 values are`);
    }
  });

  it('in JSON, a missing-value token among numbers is no stray word; Arrow string columns (codes) are the writer\'s choice and no error', async () => {
    const records = EIGHT.slice(1).map((l, i) => {
      const [customer_id, age, income] = l.split(',');
      return { customer_id, age: Number(age), income: i === 2 ? 'NA' : Number(income), store: i === 5 ? 'WEB' : `0${i}` };
    });
    writeFileSync(path('na.json'), JSON.stringify(records));
    // the JSON reader keeps "NA" as text, so the column is text and left out with a note, as before
    const s = JSON.parse(pass(['segment', 'na.json', '--k', '2', '--exclude', 'store', '--json']).stdout);
    expect(s.features).toEqual(['age']);
    const { tableFromArrays, tableToIPC } = await import('apache-arrow');
    const t = tableFromArrays({ customer_id: records.map((r) => r.customer_id), age: Float64Array.from(records, (r) => r.age), store: records.map((r) => r.store) });
    writeFileSync(path('codes.arrow'), tableToIPC(t, 'file'));
    const a = JSON.parse(pass(['segment', 'codes.arrow', '--k', '2', '--encode', 'auto', '--json', '--quiet']).stdout);
    expect(a.features.some((f: string) => f.startsWith('store='))).toBe(true);
  });

  it('--na sets the missing-value tokens', () => {
    writeFileSync(path('unknown.csv'), `${EIGHT.map((l, i) => (i === 3 ? 'c3,24,unknown' : l)).join('\n')}\n`);
    expect(run(['segment', 'unknown.csv', '--k', '2']).stderr).toContain('line 4, column "income": "unknown" is not a number');
    const s = JSON.parse(pass(['segment', 'unknown.csv', '--k', '2', '--na', 'unknown', '--json', '--quiet']).stdout);
    expect(s.missing).toEqual([{ column: 'income', count: 1 }]);
    // with --na replacing the list, NA is a word like any other
    expect(run(['segment', 'na.csv', '--k', '2', '--na', 'unknown']).stderr).toContain('line 4, column "income": "NA" is not a number');
    // tokens are trimmed as list options' names are: "NA, unknown" names the cell "unknown", never " unknown"
    const spaced = JSON.parse(pass(['segment', 'unknown.csv', '--k', '2', '--na', 'NA, unknown', '--json', '--quiet']).stdout);
    expect(spaced.missing).toEqual([{ column: 'income', count: 1 }]);
    // a text column too, where an untrimmed token left "unknown" a category of its own, with no error
    writeFileSync(path('plans.csv'), 'id,spend,plan\n1,5,basic\n2,6,unknown\n3,7,pro\n4,8,basic\n5,9,pro\n6,3,unknown\n');
    const plans = JSON.parse(pass(['segment', 'plans.csv', '--k', '2', '--encode', 'plan', '--na', 'NA, unknown', '--json', '--quiet']).stdout);
    expect(plans.features).toEqual(['spend', 'plan=basic', 'plan=pro', 'plan=(missing)']);
    // a token in double quotes keeps its spaces; an empty token is a usage error
    writeFileSync(path('spaced-na.csv'), `${EIGHT.map((l, i) => (i === 3 ? 'c3,24, NA' : l)).join('\n')}\n`);
    expect(JSON.parse(pass(['segment', 'spaced-na.csv', '--k', '2', '--na', '" NA"', '--json', '--quiet']).stdout).missing).toEqual([{ column: 'income', count: 1 }]);
    expect(run(['segment', 'unknown.csv', '--k', '2', '--na', 'NA,,unknown']).code).toBe(2);
    // the hint for such a cell gives the token in its quotes, and that token reads it as missing
    writeFileSync(path('blank-na.csv'), `${EIGHT.map((l, i) => (i === 3 ? 'c3,24, ' : l)).join('\n')}\n`);
    expect(run(['segment', 'blank-na.csv', '--k', '2']).stderr).toContain(`add it to the missing-value tokens with --na (in double quotes: --na '" "')`);
    expect(JSON.parse(pass(['segment', 'blank-na.csv', '--k', '2', '--na', '" "', '--json', '--quiet']).stdout).missing).toEqual([{ column: 'income', count: 1 }]);
  });
});

describe("segkit's own output read back", () => {
  it('segments its own output: the old segment columns are no features and are replaced, with a note', async () => {
    pass(['segment', 'na.csv', '--k', '2', '--seed', '1', '--out', 'seg.csv', '--quiet']);
    const r = pass(['segment', 'seg.csv', '--k', '2', '--seed', '1', '--out', 'again.csv', '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['age', 'income']);
    expect(r.stderr).toContain('replacing the "segment" and "segment_name" columns of "seg.csv" with the new segments');
    const again = await readTable(path('again.csv'));
    expect(again.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'age', 'income', 'segment', 'segment_name']);
    expect(column(again, 'segment')).toEqual(column(await readTable(path('seg.csv')), 'segment'));
  });

  it('segments output written under another --segment-column as its own too, whatever this run\'s flag', () => {
    pass(['segment', 'na.csv', '--k', '2', '--seed', '1', '--algorithm', 'gmm', '--proba', '--segment-column', 'grp', '--out', 'grp.csv', '--quiet']);
    expect(readFileSync(path('grp.csv'), 'utf8').split('\n')[0]).toBe('customer_id,age,income,grp,grp_name,grp_proba_0,grp_proba_1');
    // the default column name: grp and its probabilities were features (the segment ids fitted as customers' values)
    const s = JSON.parse(pass(['segment', 'grp.csv', '--k', '2', '--seed', '1', '--json']).stdout);
    expect(s.features).toEqual(['age', 'income']);
    expect(s.leftOut).toEqual([
      { column: 'customer_id', reason: 'id' },
      ...['grp', 'grp_name', 'grp_proba_0', 'grp_proba_1'].map((column) => ({ column, reason: 'segkit output' })),
    ]);
    // a number column beside a text one that names no segment (two names for tier 1) stays a feature
    writeFileSync(path('tier.csv'), `${EIGHT.map((l, i) => `${l},${i === 0 ? 'tier,tier_name' : `${i % 2},${i === 3 ? 'gold' : ['low', 'high'][i % 2]}`}`).join('\n')}\n`);
    expect(JSON.parse(pass(['segment', 'tier.csv', '--k', '2', '--seed', '1', '--json']).stdout).features).toEqual(['age', 'income', 'tier']);
    // nor does one with a row without an id (segkit writes -1 for a row in no segment, never an empty cell)
    writeFileSync(path('tier-gap.csv'), `${EIGHT.map((l, i) => `${l},${i === 0 ? 'tier,tier_name' : `${i === 2 ? '' : i % 2},${['low', 'high'][i % 2]}`}`).join('\n')}\n`);
    expect(JSON.parse(pass(['segment', 'tier-gap.csv', '--k', '2', '--seed', '1', '--json']).stdout).features).toEqual(['age', 'income', 'tier']);
  });

  it('never uses rfm scores, codes or segment names as features', () => {
    const log = ['customer,invoice,date,amount', 'a,1,2024-01-01,10', 'b,2,2024-01-05,20', 'c,3,2024-01-09,30', 'a,4,2024-01-10,15', 'd,5,2024-01-02,5', 'e,6,2024-01-03,7'];
    writeFileSync(path('log.csv'), `${log.join('\n')}\n`);
    pass(['rfm', 'log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--invoice', 'invoice', '--out', 'rfm.csv', '--quiet']);
    const s = JSON.parse(pass(['segment', 'rfm.csv', '--k', '2', '--seed', '1', '--json']).stdout);
    expect(s.features).toEqual(['recency', 'frequency', 'monetary']);
    expect(s.leftOut).toEqual([
      { column: 'customer', reason: 'text' },
      { column: 'r_score', reason: 'segkit output' },
      { column: 'f_score', reason: 'segkit output' },
      { column: 'm_score', reason: 'segkit output' },
      { column: 'rfm_code', reason: 'segkit output' },
      { column: 'segment', reason: 'segkit output' },
    ]);
  });
});

describe('segkit rfm', () => {
  it('reports customers whose every order was cancelled, and writes money exact to the cent', async () => {
    const log = [
      'customer,invoice,date,amount',
      'K,4001,2024-03-28,12.3',
      'K,C4001,2024-03-29,-12.3',
      'L,5001,2024-03-27,1.1',
      'L,5001,2024-03-27,2.2',
      'M,6001,2024-03-01,10.1',
      'M,6002,2024-03-02,20.2',
      'M,6003,2024-03-03,-30.3',
    ];
    writeFileSync(path('cancel.csv'), `${log.join('\n')}\n`);
    const r = pass(['rfm', 'cancel.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--invoice', 'invoice', '--out', 'cancel-rfm.csv', '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.cancelledCustomers).toBe(1);
    expect(r.stderr).toContain('1 customer cancelled every order: segment "Cancelled", frequency 0, no scores');
    const text = readFileSync(path('cancel-rfm.csv'), 'utf8').trim().split('\n');
    expect(text[0]).toBe('customer,recency,frequency,monetary,r_score,f_score,m_score,rfm_code,segment');
    expect(text[1]).toBe('K,2,0,0.0,,,,,Cancelled');
    expect(text[2].split(',').slice(0, 4)).toEqual(['L', '3', '1', '3.3']);
    // as of 03-30, the day after the last row: M bought last on 03-02
    expect(text[3].split(',').slice(0, 4)).toEqual(['M', '28', '2', '0.0']);
  });

  it('refuses a date outside the calendar, naming its row', () => {
    // dates as epoch milliseconds, the third 1e20
    writeFileSync(path('log.ndjson'), ['{"customer":"a","date":1704067200000,"amount":1}', '{"customer":"b","date":1704153600000,"amount":2}', '{"customer":"c","date":1e20,"amount":3}'].join('\n'));
    const r = run(['rfm', 'log.ndjson', '--customer', 'customer', '--date', 'date', '--amount', 'amount']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"log.ndjson": row 3, column "date" holds 100000000000000000000, outside the dates a calendar can hold');
  });
});

describe('Ctrl-C and SIGTERM never leave a replaced or partial file', () => {
  const OLD = { 'cancel-out.csv': 'old segments\n', 'cancel-model.json': '{"old": "model"}\n', 'cancel-report.html': '<p>old report</p>\n' };
  const args = (threads: number) => ['segment', 'big.csv', '--k', 'auto', '--k-range', '2..10', '--seed', '1', '--threads', String(threads), '--out', 'cancel-out.csv', '--model', 'cancel-model.json', '--report', 'cancel-report.html'];

  async function cancelled(threads: number): Promise<void> {
    for (const [name, text] of Object.entries(OLD)) writeFileSync(path(name), text);
    const r = await interrupted(dir, args(threads), 'SIGINT', (stderr) => stderr.includes('segkit: fitting'));
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('cancelled');
    for (const [name, text] of Object.entries(OLD)) expect(readFileSync(path(name), 'utf8'), name).toBe(text);
    expect(tempFiles()).toEqual([]);
  }

  it('Ctrl-C during the fit on 2 threads: exit 130, the old output, model and report stay as they were', async () => {
    await cancelled(2);
  });

  // The inline executor yields to the event loop at least every 20 ms during a fit, so the signal is seen while it
  // runs (test/executor.test.ts holds that timing for a 1M-row fit); here: the exit code and the untouched files.
  it('Ctrl-C during the fit on 1 thread: exit 130, the old output, model and report stay as they were', async () => {
    await cancelled(1);
  });

  it('Ctrl-C once the segments are written and the model is being saved: exit 130, no output replaced, no temporary file', async () => {
    for (const [name, text] of Object.entries(OLD)) writeFileSync(path(name), text);
    const twoSegments = ['segment', 'big.csv', '--k', '2', '--seed', '1', '--threads', '2', '--out', 'cancel-out.csv', '--model', 'cancel-model.json', '--report', 'cancel-report.html', '--json'];
    // the report is drawn after the model is written: the signal comes while the outputs are being made
    const r = await interrupted(dir, twoSegments, 'SIGINT', (stderr) => stderr.includes('segkit: writing cancel-model.json'));
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'E_ABORTED', message: 'cancelled (Ctrl-C); no output file was replaced', hint: null } });
    for (const [name, text] of Object.entries(OLD)) expect(readFileSync(path(name), 'utf8'), name).toBe(text);
    expect(tempFiles()).toEqual([]);
  });

  it('SIGTERM while score streams its output: exit 143, the temporary file removed, the old output kept', async () => {
    writeFileSync(path('small.csv'), bigCsv(2_000, 8, 5));
    pass(['segment', 'small.csv', '--k', '2', '--seed', '1', '--model', 'score-model.json', '--quiet']);
    writeFileSync(path('scored-big.csv'), 'old scores\n');
    const r = await interrupted(dir, ['score', 'big.csv', '--model', 'score-model.json', '--out', 'scored-big.csv', '--batch-size', '200', '--threads', '2', '--json'], 'SIGTERM', () => tempFiles().length > 0);
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(143);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'E_ABORTED', message: 'stopped (SIGTERM); no output file was replaced', hint: null } });
    expect(tempFiles()).toEqual([]);
    expect(readFileSync(path('scored-big.csv'), 'utf8')).toBe('old scores\n');
  });

  it('SIGHUP (the terminal closed) while score streams its output: exit 129, the temporary file removed, the old output kept', async () => {
    writeFileSync(path('scored-big.csv'), 'old scores\n');
    const r = await interrupted(dir, ['score', 'big.csv', '--model', 'score-model.json', '--out', 'scored-big.csv', '--batch-size', '200', '--threads', '2', '--json'], 'SIGHUP', () => tempFiles().length > 0);
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(129);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'E_ABORTED', message: 'stopped (SIGHUP); no output file was replaced', hint: null } });
    expect(tempFiles()).toEqual([]);
    expect(readFileSync(path('scored-big.csv'), 'utf8')).toBe('old scores\n');
  });

  it('Ctrl-C in a terminal (SIGINT to every process of the command): one orderly cancel, exit 130, nothing replaced', async () => {
    // On Linux the command may run as two processes (a launcher and the run, see src/cli/hugePages.node.ts): both
    // receive a terminal's Ctrl-C, and the launcher passes its copy on; the run takes the two as one. The copy
    // often arrives before the first is handled and merges with it; here it comes 50 ms later, as it may.
    writeFileSync(path('scored-big.csv'), 'old scores\n');
    const r = await interrupted(dir, ['score', 'big.csv', '--model', 'score-model.json', '--out', 'scored-big.csv', '--batch-size', '200', '--threads', '2', '--json'], 'SIGINT', () => tempFiles().length > 0, { group: true, againAfterMs: 50 });
    expect(r.signalled).toBe(true);
    expect(r.code).toBe(130);
    // a second Ctrl-C would have ended the run at once, without this report
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'E_ABORTED', message: 'cancelled (Ctrl-C); no output file was replaced', hint: null } });
    expect(tempFiles()).toEqual([]);
    expect(readFileSync(path('scored-big.csv'), 'utf8')).toBe('old scores\n');
  });

  it('a finished score writes its output and leaves no temporary file', async () => {
    pass(['score', 'small.csv', '--model', 'score-model.json', '--out', 'scored-small.csv', '--threads', '2', '--quiet']);
    expect((await readTable(path('scored-small.csv'))).numRows).toBe(2_000);
    expect(tempFiles()).toEqual([]);
  });
});

describe('reading real files', () => {
  it('segments a semicolon file with decimal commas, detecting the delimiter with a note', () => {
    const lines = ['customer_id;age;income', 'c1;25;30000,50', 'c2;27;32000,25', 'c3;24;31000,75', 'c4;26;31500', 'c5;55;90000,10', 'c6;58;95000,90', 'c7;60;88000', 'c8;57;92000,40'];
    writeFileSync(path('semi.csv'), `${lines.join('\n')}\n`);
    const r = pass(['segment', 'semi.csv', '--decimal', ',', '--k', '2', '--seed', '1', '--json']);
    const s = JSON.parse(r.stdout);
    expect(r.stderr).toContain('reading "semi.csv" with the delimiter ";", detected from its header (--delimiter to choose another)');
    expect(s.features).toEqual(['age', 'income']);
    // features are float32: 90000.1 is 90000.1015625 there; profiles keep float32 values where float32 moves none by
    // 1e-5 of the column's range
    const total = s.segments.reduce((sum: number, seg: { size: number; means: { income: number } }) => sum + seg.size * seg.means.income, 0);
    const expected = [30000.5, 32000.25, 31000.75, 31500, 90000.1, 95000.9, 88000, 92000.4].reduce((a, v) => a + Math.fround(v), 0);
    expect(total).toBeCloseTo(expected, 3);
    expect(s.segments.map((seg: { size: number }) => seg.size).sort()).toEqual([4, 4]);
    // --delimiter given: no detection and no note
    const given = pass(['segment', 'semi.csv', '--delimiter', ';', '--decimal', ',', '--k', '2', '--json']);
    expect(given.stderr).not.toContain('detected');
  });

  it('refuses a Latin-1 file as UTF-8 naming the line, and reads it with --encoding latin1 (Müller and Möller stay two customers)', () => {
    const text = 'customer,date,amount\nMüller,2024-01-01,10\nMöller,2024-01-02,20\n';
    writeFileSync(path('latin.csv'), Buffer.from(text, 'latin1'));
    const bad = run(['rfm', 'latin.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"latin.csv": line 2: the CSV input is not valid UTF-8 (byte 0xFC)');
    expect(bad.stderr).toContain('--encoding latin1');
    const s = JSON.parse(pass(['rfm', 'latin.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--encoding', 'latin1', '--json']).stdout);
    expect(s.customers).toBe(2);
  });

  it('refuses a corrupt Parquet footer and a 1,000,000-column header as E_PARSE naming the file', () => {
    const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: new Int32Array([1, 2, 3]), type: 'INT32', nullable: false }] }));
    const footerLength = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    const start = bytes.length - 8 - footerLength;
    const metadata = parquetMetadata(bytes.slice().buffer);
    metadata.num_rows = 30_000_000n;
    const writer = new ByteWriter();
    writeMetadata(writer, metadata);
    const footer = new Uint8Array(writer.getBuffer());
    const corrupt = Buffer.concat([bytes.subarray(0, start), footer, Buffer.from(new Uint32Array([footer.length]).buffer), Buffer.from('PAR1')]);
    writeFileSync(path('claims.parquet'), corrupt);
    const r = run(['segment', 'claims.parquet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"claims.parquet": the Parquet input is a corrupt file: its footer says 30,000,000 rows but its row groups hold 3');
    writeFileSync(path('wide.csv'), `${Array.from({ length: 1_000_000 }, (_, j) => `c${j}`).join(',')}\n`);
    const w = run(['segment', 'wide.csv']);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('"wide.csv": line 1 has 1,000,000 columns; segkit reads at most 16,384');
  });

  it('names the same file line for the same bad cell in segment, choose-k, evaluate, score and rfm', () => {
    // the second customer's note spans lines 3 and 4, so the bad recency on line 6 is the fourth row
    const lines = ['customer_id,recency,frequency,monetary,label,note', 'c1,10,5,100,a,x', 'c2,12,4,110,a,"two', 'lines"', 'c3,200,1,10,b,y', 'c4,abc,1,12,b,z', 'c5,190,2,11,b,w', 'c6,11,5,105,a,v'];
    writeFileSync(path('lines.csv'), `${lines.join('\n')}\n`);
    writeFileSync(path('clean.csv'), `${lines.map((l) => l.replace('abc', '205')).join('\n')}\n`);
    pass(['segment', 'clean.csv', '--k', '2', '--exclude', 'label', '--model', 'lines-model.json', '--quiet']);
    const cell = '"lines.csv": line 6, column "recency": "abc" is not a number';
    const runs: string[][] = [
      ['segment', 'lines.csv', '--k', '2'],
      ['choose-k', 'lines.csv', '--k-range', '2..3'],
      ['evaluate', 'lines.csv', '--labels', 'label'],
      ['score', 'lines.csv', '--model', 'lines-model.json', '--out', 'lines-scored.csv'],
    ];
    for (const args of runs) {
      const r = run(args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toContain(cell);
    }
    const log = ['customer,date,amount', 'a,2024-01-01,1', 'b,2024-01-02,"2', '"', 'c,2024-01-03,3', 'd,2024-01-04,abc'];
    writeFileSync(path('lines-log.csv'), `${log.join('\n')}\n`);
    const r = run(['rfm', 'lines-log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"lines-log.csv": line 6, column "amount"');
    expect(r.stderr).toContain('"abc"');
  });
});

describe('text columns', () => {
  const countries = ['de', 'fr', 'it', 'es', 'pt', 'nl', 'be', 'at', 'ch', 'pl', 'cz', 'sk', 'hu', 'ro', 'bg', 'gr', 'se', 'no', 'dk', 'fi', 'ie', 'uk', 'ee', 'lv', 'lt'];

  beforeAll(() => {
    const lines = ['customer_id,email,country,age,spend'];
    for (let i = 0; i < 100; i++) {
      // de 40 times, fr 20, it 10, the other 22 once or twice
      const country = i < 40 ? 'de' : i < 60 ? 'fr' : i < 70 ? 'it' : countries[3 + ((i - 70) % 22)];
      lines.push(`c${i},user${i}@example.org,${country},${20 + (i % 50)},${(i * 37) % 500}`);
    }
    writeFileSync(path('countries.csv'), `${lines.join('\n')}\n`);
  });

  it('names the text columns left out, once, with --encode', () => {
    const r = pass(['segment', 'countries.csv', '--k', '2', '--seed', '1', '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.features).toEqual(['age', 'spend']);
    expect(r.stderr).toBe('left out of the features: customer_id (the id); email, country (text: --encode email,country to one-hot encode)\n');
  });

  it('a column of only empty cells is named as such, not offered to --encode', () => {
    const lines = ['customer_id,age,notes,spend', ...Array.from({ length: 40 }, (_, i) => `c${i},${20 + (i % 30)},,${(i * 37) % 500}`)];
    writeFileSync(path('empty-notes.csv'), `${lines.join('\n')}\n`);
    const r = pass(['segment', 'empty-notes.csv', '--k', '2', '--seed', '1', '--json']);
    expect(JSON.parse(r.stdout).features).toEqual(['age', 'spend']);
    expect(r.stderr).toBe('left out of the features: customer_id (the id); notes (neither numbers nor text: dates, or only empty cells)\n');
  });

  it('an Arrow column of numbers that holds only nulls is left out as the empty CSV column is, with the same note', async () => {
    const { Float64, Table: ArrowTable, tableToIPC, vectorFromArray } = await import('apache-arrow');
    const rows = Array.from({ length: 40 }, (_, i) => i);
    const table = new ArrowTable({
      age: vectorFromArray(rows.map((i) => 20 + (i % 30)), new Float64()),
      notes: vectorFromArray(rows.map(() => null), new Float64()),
      spend: vectorFromArray(rows.map((i) => (i * 37) % 500), new Float64()),
    });
    writeFileSync(path('empty-notes.arrow'), tableToIPC(table, 'file'));
    const r = pass(['segment', 'empty-notes.arrow', '--k', '2', '--seed', '1', '--impute', 'median', '--json']);
    expect(JSON.parse(r.stdout).features).toEqual(['age', 'spend']);
    expect(r.stderr).toBe('left out of the features: notes (neither numbers nor text: dates, or only empty cells)\n');
    // the labels of the CSV file that holds the same values
    writeFileSync(path('empty-notes-same.csv'), ['age,notes,spend', ...rows.map((i) => `${20 + (i % 30)},,${(i * 37) % 500}`)].join('\n') + '\n');
    const csv = JSON.parse(pass(['segment', 'empty-notes-same.csv', '--k', '2', '--seed', '1', '--json']).stdout);
    expect(csv.segments.map((s: { size: number }) => s.size)).toEqual([22, 18]);
    // --encode auto: a column with no category to encode is left out too, not made one constant column "notes=(missing)"
    const auto = pass(['segment', 'empty-notes-same.csv', '--k', '2', '--seed', '1', '--encode', 'auto', '--json']);
    expect(JSON.parse(auto.stdout).features).toEqual(['age', 'spend']);
    expect(auto.stderr).toBe('left out of the features: notes (neither numbers nor text: dates, or only empty cells)\n');
    expect(JSON.parse(r.stdout).segments.map((s: { size: number }) => s.size)).toEqual(csv.segments.map((s: { size: number }) => s.size));
    const named = segkit(dir, ['segment', 'empty-notes.arrow', '--k', '2', '--columns', 'age,notes', '--json']);
    expect(named.code).toBe(2);
    expect(JSON.parse(named.stdout).error.message).toContain('column "notes" in "empty-notes.arrow" holds neither numbers nor text (dates, or only empty cells)');
  });

  it('an Arrow float column of NaN (with or without nulls) is a column of missing values: left out with the same note', async () => {
    const { Float32, Float64, Table: ArrowTable, tableToIPC, vectorFromArray } = await import('apache-arrow');
    const rows = Array.from({ length: 40 }, (_, i) => i);
    const table = new ArrowTable({
      age: vectorFromArray(rows.map((i) => 20 + (i % 30)), new Float64()),
      // NaN is how pyarrow (from_pandas=False) and Polars write a missing float; the pipeline reads it as missing
      notes: vectorFromArray(rows.map(() => NaN), new Float64()),
      score: vectorFromArray(rows.map((i) => (i % 3 === 0 ? null : NaN)), new Float32()),
      spend: vectorFromArray(rows.map((i) => (i * 37) % 500), new Float64()),
    });
    writeFileSync(path('nan-notes.arrow'), tableToIPC(table, 'file'));
    const r = pass(['segment', 'nan-notes.arrow', '--k', '2', '--seed', '1', '--json']);
    expect(JSON.parse(r.stdout).features).toEqual(['age', 'spend']);
    expect(r.stderr).toBe('left out of the features: notes, score (neither numbers nor text: dates, or only empty cells)\n');
    // the same segments as the CSV file whose column is empty
    writeFileSync(path('nan-notes-same.csv'), ['age,notes,spend', ...rows.map((i) => `${20 + (i % 30)},,${(i * 37) % 500}`)].join('\n') + '\n');
    const csv = JSON.parse(pass(['segment', 'nan-notes-same.csv', '--k', '2', '--seed', '1', '--json']).stdout);
    expect(JSON.parse(r.stdout).segments.map((s: { size: number }) => s.size)).toEqual(csv.segments.map((s: { size: number }) => s.size));
    const named = segkit(dir, ['segment', 'nan-notes.arrow', '--k', '2', '--columns', 'age,notes', '--json']);
    expect(named.code).toBe(2);
    expect(JSON.parse(named.stdout).error.message).toContain('column "notes" in "nan-notes.arrow" holds neither numbers nor text (dates, or only empty cells)');
    // explain leaves it out of the rules too, rather than failing to impute it
    const labelled = new ArrowTable({ age: table.getChild('age')!, notes: table.getChild('notes')!, score: table.getChild('score')!, spend: table.getChild('spend')!, segment: vectorFromArray(rows.map((i) => i % 2), new Float64()) });
    writeFileSync(path('nan-notes-labelled.arrow'), tableToIPC(labelled, 'file'));
    const explained = pass(['explain', 'nan-notes-labelled.arrow', '--labels', 'segment', '--json']);
    expect(explained.stderr).toContain('left out of the rules: "notes", "score", with no value in any row');
  });

  it('--encode with more than 20 values says what went into "other"', () => {
    const r = pass(['segment', 'countries.csv', '--k', '2', '--seed', '1', '--encode', 'country', '--json']);
    const s = JSON.parse(r.stdout);
    expect(s.features).toContain('country=other');
    // de, fr, it, eight countries seen twice, then the first eight of the fourteen seen once in sorted order
    expect(s.encoded).toEqual([{ column: 'country', values: 25, other: ['lv', 'no', 'ro', 'se', 'sk', 'uk'] }]);
    expect(r.stderr).toContain('--encode country: 25 values; the 19 most frequent have their own columns and 6 go into "country=other": lv, no, ro, se, sk, uk');
  });

  it('refuses to encode a column with a different value in every row', () => {
    const r = run(['segment', 'countries.csv', '--encode', 'email']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('segkit: error: --encode: column "email" in "countries.csv" has a different value in every row (100 values), like an id or an email, so it cannot describe a segment; leave it out of --encode\n');
  });

  it('refuses to encode a column of lists or records, naming its type, where it said their three values differed in every row', () => {
    const n = 40;
    const table = new ArrowTable({
      x: makeVector(Float64Array.from({ length: n }, (_, i) => (i * 37) % 11)),
      tags: vectorFromArray(Array.from({ length: n }, (_, i) => [i % 3]), new List(new Field('item', new Int32()))),
      place: makeVector(makeData({ type: new Struct([new Field('a', new Int32())]), length: n, nullCount: 0, children: [makeData({ type: new Int32(), length: n, data: Int32Array.from({ length: n }, (_, i) => i % 2) })] })),
    });
    writeFileSync(path('nested.arrow'), tableToIPC(table, 'file'));
    for (const [name, type] of [['tags', 'List<Int32>'], ['place', 'Struct<{a:Int32}>']]) {
      const r = run(['segment', 'nested.arrow', '--k', '2', '--encode', name]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`segkit: error: --encode: column "${name}" in "nested.arrow" holds lists or records (Arrow type ${type}), neither numbers nor text; leave it out of --encode\n`);
    }
  });

  it('refuses to encode a column of bytes, dictionary-encoded or not, naming its type', () => {
    const n = 40;
    const values = vectorFromArray([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)], new Binary());
    const table = new ArrowTable({
      x: makeVector(Float64Array.from({ length: n }, (_, i) => (i * 37) % 11)),
      raw: vectorFromArray(Array.from({ length: n }, (_, i) => Uint8Array.of(i % 3)), new Binary()),
      plan: makeVector(makeData({ type: new Dictionary(new Binary(), new Int32()), length: n, nullCount: 0, data: Int32Array.from({ length: n }, (_, i) => i % 3), dictionary: values })),
    });
    writeFileSync(path('bytes.arrow'), tableToIPC(table, 'file'));
    for (const [name, type] of [['raw', 'Binary'], ['plan', 'Dictionary<Int32, Binary>']]) {
      const r = run(['segment', 'bytes.arrow', '--k', '2', '--encode', name]);
      expect(r.stderr).toBe(`segkit: error: --encode: column "${name}" in "bytes.arrow" holds bytes (Arrow type ${type}), neither numbers nor text; leave it out of --encode\n`);
      expect(r.code).toBe(2);
    }
  });
});

describe('outputs', () => {
  it('refuses --out, --model or --report into a folder that does not exist, before any work, creating nothing', () => {
    for (const option of ['--out', '--model', '--report']) {
      const target = `missing-folder/out.${option === '--out' ? 'csv' : option === '--model' ? 'json' : 'html'}`;
      const r = run(['segment', 'na.csv', '--k', '2', option, target]);
      expect(r.code, option).toBe(1);
      expect(r.stderr, option).toContain(`segkit: error: ${option}: cannot write "${target}": the folder "missing-folder" does not exist`);
    }
    expect(run(['score', 'na.csv', '--model', 'score-model.json', '--out', 'missing-folder/s.csv']).stderr).toContain('the folder "missing-folder" does not exist');
    expect(run(['rfm', 'log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--out', 'missing-folder/r.csv']).stderr).toContain('the folder "missing-folder" does not exist');
    expect(existsSync(path('missing-folder'))).toBe(false);
  });

  it('refuses an output that is a directory before any work, leaving the other outputs as they were', () => {
    mkdirSync(path('model-folder.json'), { recursive: true });
    writeFileSync(path('kept-out.csv'), 'old segments\n');
    const r = run(['segment', 'na.csv', '--k', '2', '--out', 'kept-out.csv', '--model', 'model-folder.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('segkit: error: --model: cannot write "model-folder.json": it is a directory\n');
    // the segments were not written ahead of the model that failed
    expect(readFileSync(path('kept-out.csv'), 'utf8')).toBe('old segments\n');
    expect(tempFiles()).toEqual([]);
    // a file where the output's folder should be: named as such, not as a folder that does not exist
    writeFileSync(path('plain-file.txt'), 'text\n');
    const under = run(['rfm', 'log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--out', 'plain-file.txt/r.csv']);
    expect(under.code).toBe(1);
    expect(under.stderr).toBe('segkit: error: --out: cannot write "plain-file.txt/r.csv": "plain-file.txt" is a file, not a folder\n');
  });

  // a summary printed into a full disk (here /dev/full, which takes no byte) is lost: the run fails saying so
  it.skipIf(!existsSync('/dev/full'))('a result that cannot be written to standard output is exit 1 naming it, not exit 0', () => {
    writeFileSync(path('stdout-log.csv'), 'customer,date,amount\na,2024-01-01,10\nb,2024-01-05,20\na,2024-01-09,5\n');
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['rfm', 'stdout-log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--json'], ['segment', 'na.csv', '--k', '2', '--seed', '1']]) {
        const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
        expect(r.status, args[0]).toBe(1);
        expect(r.stderr, args[0]).toContain('segkit: error: cannot write standard output: ENOSPC');
      }
    } finally {
      closeSync(full);
    }
  });

  it('says when --k-range is capped by the number of rows', () => {
    const r = pass(['segment', 'na.csv', '--k-range', '2..10', '--threads', '2', '--json']);
    const s = JSON.parse(r.stdout);
    expect(r.stderr).toContain('--k-range 2..10 capped at 7: k must be below the 8 rows\n');
    expect(s.notices).toContain('--k-range 2..10 capped at 7: k must be below the 8 rows');
    expect(s.kSweep.map((x: { k: number }) => x.k)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});

describe('--json errors', () => {
  it('prints usage, data and file errors as JSON on stdout with the same exit codes', () => {
    const usage = run(['segment', 'na.csv', '--k', 'abc', '--json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('');
    expect(JSON.parse(usage.stdout)).toEqual({ error: { code: 'E_USAGE', message: "option '--k <n|auto>' argument 'abc' is invalid. must be an integer >= 2 or \"auto\".", hint: 'segkit <command> --help shows the options and examples' } });
    const data = run(['segment', 'twenty.csv', '--json']);
    expect(data.code).toBe(1);
    expect(data.stderr).toBe('');
    expect(JSON.parse(data.stdout)).toEqual({
      error: {
        code: 'E_PARSE',
        message: '"twenty.csv": line 4, column "income": "twenty" is not a number, though 7 of the column\'s 8 values are',
        hint: 'correct it, add it to the missing-value tokens with --na, or leave the column out with --exclude income',
      },
    });
    const missing = run(['score', 'nope.csv', '--model', 'score-model.json', '--out', 'x.csv', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: 'E_IO', message: 'cannot read "nope.csv": no such file', hint: null } });
  });

  it('refuses a tampered model (a centroid of 1e39) with E_BAD_MODEL naming the field', () => {
    const model = JSON.parse(readFileSync(path('score-model.json'), 'utf8'));
    model.model.centroids[0][1] = 1e39;
    writeFileSync(path('tampered.json'), JSON.stringify(model));
    const r = run(['score', 'small.csv', '--model', 'tampered.json', '--out', 'never.csv', '--json']);
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe('E_BAD_MODEL');
    expect(error.message).toBe('model "tampered.json": model field "model.centroids[0][1]" must be a finite number within the float32 range (|x| <= 3.4e38), got 1e+39');
    expect(existsSync(path('never.csv'))).toBe(false);
  });
});
