// csvInfo: what reading a CSV table found out, kept beside the table.
import { describe, expect, it } from 'vitest';
import { csvInfo, readCsv, readJson } from '../src/index.js';

describe('csvInfo', () => {
  it('gives the delimiter, the file line of a row and the text columns holding numbers, with their first word', async () => {
    const table = await readCsv('id;spend;note\n1;2,5;a\n"2\nb";oops;b\n3;4;c\n4;5;\n', { delimiter: 'auto' });
    const info = csvInfo(table)!;
    expect(info.delimiter).toBe(';');
    expect(info.detected).toBe(true);
    // the quoted id runs over lines 3 and 4: a record over several lines is named by its last
    expect([0, 1, 2, 3].map((r) => info.line(r))).toEqual([2, 4, 5, 6]);
    expect(info.textStats.get('spend')).toEqual({ numbers: 2, texts: 2, row: 0, text: '2,5' });
    expect(info.textStats.has('note')).toBe(false);
    expect(csvInfo(await readJson('[{"a": 1}]'))).toBeUndefined();
  });
});
