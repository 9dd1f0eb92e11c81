// `segkit score` reads CSV files on a thread of their own: the batches, their file lines, the records as read and
// the errors are those of the reader on the calling thread, batch for batch.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Table, tableToIPC } from 'apache-arrow';
import { csvInfo, csvRecordsWith } from '../src/data/csvCore.js';
import { RecordTexts } from '../src/data/recordTexts.js';
import { type AsReadRule, SentRecords, csvBatchesAhead, recordsAsRead } from '../src/cli/csvReadAhead.node.js';
import { SegkitError } from '../src/util/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'segkit-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const types = { spend: 'number', visits: 'number' } as const;
const rule: AsReadRule = { delimiter: ',', segmentColumn: 'segment', probaComma: false, used: ['spend', 'visits'] };

// quoted fields over two lines, empty lines, formula-like and non-ASCII text, missing values
function file(rows: number, extra = ''): string {
  const lines = ['id,spend,note,visits'];
  for (let i = 0; i < rows; i++) {
    if (i % 17 === 5) lines.push('');
    const note = i % 11 === 3 ? `"two\nlines ${i}"` : i % 7 === 2 ? '=SUM(A1)' : i % 5 === 1 ? 'Zürich' : `n${i}`;
    lines.push(`c${i},${i % 13 === 0 ? '' : (i * 1.25).toFixed(2)},${note},${i % 4}`);
  }
  const p = path.join(dir, `f${rows}-${lines.length}-${extra.length}.csv`);
  writeFileSync(p, lines.join('\n') + '\n' + extra);
  return p;
}

interface Read {
  // digests of each batch's bytes, file lines and records (equal digests, equal contents; deep equality of
  // megabytes is slow)
  tables: { ipc: string; lines: string; last: number; delimiter: string | undefined }[];
  blocks: string[];
  texts: { header?: string; newline: string; numeric: number[]; verbatim: boolean };
  error?: { code: string; message: string };
}

const digest = (a: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

async function readBoth(p: string, batchSize: number, keep: boolean): Promise<[Read, Read]> {
  const options = { batchSize, types, defaultType: 'string' as const, delimiter: 'auto' as const };
  const collect = async (batches: AsyncIterable<Table>, kept: RecordTexts | SentRecords | undefined): Promise<Read> => {
    const out: Read = { tables: [], blocks: [], texts: { newline: '', numeric: [], verbatim: false } };
    try {
      for await (const t of batches) {
        const info = csvInfo(t)!;
        const lines = Int32Array.from({ length: t.numRows }, (_, r) => info.line(r));
        out.tables.push({ ipc: digest(tableToIPC(t, 'stream')), lines: digest(lines), last: lines[t.numRows - 1], delimiter: info.delimiter });
        if (kept?.verbatim) {
          const b = kept.take(t.numRows);
          out.blocks.push([b.records, b.starts, b.ends, b.risky].map(digest).join(' '));
        }
      }
    } catch (e) {
      expect(e).toBeInstanceOf(SegkitError);
      out.error = { code: (e as SegkitError).code, message: (e as SegkitError).message };
    }
    if (kept) out.texts = { header: kept.header && Buffer.from(kept.header).toString(), newline: kept.newline, numeric: [...kept.numeric], verbatim: kept.verbatim };
    return out;
  };
  const here = keep ? new RecordTexts((name) => name !== 'spend' && name !== 'visits', (h, found) => (recordsAsRead(rule, h, found) ? new Set(h.filter((name) => !rule.used.includes(name))) : undefined)) : undefined;
  const { createReadStream } = await import('node:fs');
  const a = await collect(csvRecordsWith(createReadStream(p, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>, options, here), here);
  const handle = await open(p, 'r');
  try {
    const sent = keep ? new SentRecords() : undefined;
    let bytes = 0;
    const b = await collect(csvBatchesAhead({ fd: handle.fd, options, types, texts: keep ? rule : undefined, ahead: 2 }, (n) => (bytes = n), sent), sent);
    if (!b.error) expect(bytes).toBeGreaterThan(0);
    return [a, b];
  } finally {
    await handle.close();
  }
}

describe('CSV batches read on a thread of their own', () => {
  const p = file(500);
  for (const batchSize of [1, 7, 64, 65_536]) {
    it(`${batchSize} rows a batch: the same batches, file lines and records as read`, async () => {
      const [here, ahead] = await readBoth(p, batchSize, true);
      expect(here.error).toBeUndefined();
      expect(here.tables.length).toBe(Math.ceil(500 / batchSize));
      expect(here.texts.verbatim).toBe(true);
      expect(here.blocks.length).toBe(here.tables.length);
      expect(ahead).toEqual(here);
      // the lines run past the rows: a record over two lines and the empty lines count
      expect(here.tables.at(-1)!.last).toBeGreaterThan(501);
    }, 60_000);
  }

  it('without the records as read (a column the segments replace): the same batches, none kept', async () => {
    const q = path.join(dir, 'replaced.csv');
    writeFileSync(q, 'id,spend,visits,segment\na,1,2,x\nb,3,4,y\n');
    const [here, ahead] = await readBoth(q, 1, true);
    expect(here.texts.verbatim).toBe(false);
    expect(here.blocks).toEqual([]);
    expect(ahead).toEqual(here);
  });

  it('an error in a later chunk comes after the batches before it, as the same error', async () => {
    // over 1 MiB, so the bad record is in the second chunk read
    const rows = 60_000;
    const q = file(rows, 'c999,1.5,late,2,surplus\n');
    const line = 1 + rows + Math.ceil((rows - 5) / 17) + Math.ceil((rows - 3) / 11) + 1;
    for (const batchSize of [1000, 65_536]) {
      const [here, ahead] = await readBoth(q, batchSize, false);
      expect(here.error?.code).toBe('E_PARSE');
      // the header, the records, the empty lines and the second lines of two-line records before it
      expect(here.error?.message).toMatch(new RegExp(`^line ${line} has 5 fields`));
      if (batchSize === 1000) expect(here.tables.length).toBeGreaterThan(30);
      else expect(here.tables).toEqual([]);
      expect(ahead).toEqual(here);
    }
  }, 60_000);

  it('a cancel ends the wait for a batch with E_ABORTED (while the thread starts)', async () => {
    const handle = await open(p, 'r');
    try {
      const stop = new AbortController();
      const it = csvBatchesAhead({ fd: handle.fd, options: { batchSize: 5, types }, types, ahead: 2 }, () => undefined, undefined, stop.signal);
      const next = it.next();
      stop.abort();
      await expect(next).rejects.toMatchObject({ code: 'E_ABORTED' });
      expect((await it.next()).done).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('a batch that is not finished when the caller stops: the thread ends with the generator', async () => {
    const handle = await open(p, 'r');
    try {
      const it = csvBatchesAhead({ fd: handle.fd, options: { batchSize: 5, types }, types, ahead: 2 }, () => undefined);
      const first = await it.next();
      expect((first.value as Table).numRows).toBe(5);
      await it.return(undefined);
      expect((await it.next()).done).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
