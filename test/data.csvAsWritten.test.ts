// readCsv's asWritten: the named columns keep missing-value tokens as text; every other column reads them as missing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/data/readCsv.js';
import { readCsvFile } from '../src/data/readCsvFile.node.js';

const CSV = 'country,spend\nNA,1\nDE,NA\n-,3\n,4\nN/A,\n';

describe('asWritten', () => {
  it('keeps the tokens of the named columns as text; the empty cell stays missing; other columns read tokens as missing', async () => {
    const t = await readCsv(CSV, { asWritten: ['country'] });
    expect([...t.getChild('country')!]).toEqual(['NA', 'DE', '-', null, 'N/A']);
    expect([...t.getChild('spend')!]).toEqual([1, null, 3, 4, null]);
    // without it, as before: every token is missing
    expect([...(await readCsv(CSV)).getChild('country')!]).toEqual([null, 'DE', null, null, null]);
    // an empty cell is text when nullValues leaves it out
    expect([...(await readCsv(CSV, { asWritten: ['country'], nullValues: ['NA'] })).getChild('country')!]).toEqual(['NA', 'DE', '-', '', 'N/A']);
  });

  it('gives the same table read in parts on two threads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-as-written-'));
    try {
      const body = Array.from({ length: 4000 }, (_, i) => `${['NA', 'DE', '-', '', 'null'][i % 5]},${i % 7 === 0 ? 'NA' : i}`).join('\n');
      writeFileSync(join(dir, 'a.csv'), `country,spend\n${body}\n`);
      const one = await readCsvFile(join(dir, 'a.csv'), { asWritten: ['country'], threads: 1 });
      const two = await readCsvFile(join(dir, 'a.csv'), { asWritten: ['country'], threads: 2, minPartBytes: 1024 });
      expect([...two.getChild('country')!]).toEqual([...one.getChild('country')!]);
      expect([...two.getChild('spend')!]).toEqual([...one.getChild('spend')!]);
      expect([...one.getChild('country')!].slice(0, 5)).toEqual(['NA', 'DE', '-', null, 'null']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused unless an array', async () => {
    await expect(readCsv(CSV, { asWritten: 'country' as never })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
  });
});
