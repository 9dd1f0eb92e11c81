// Byte order marks in CSV input: UTF-16 files (as spreadsheets export "Unicode text") are read in the encoding their
// mark names, never as UTF-8 or Latin-1 text with a NUL between letters; UTF-16 without a mark is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Table } from 'apache-arrow';
import { csvRecords, readCsv, readJson, readNdjson, readTable } from '../src/index.node.js';
import { ok } from './helpers/segkitCli.js';

const TEXT = 'name,spend,city\nMüller,12.5,Köln\nMöller,3,Oslo\n"Ünal, A.",7.25,\n';
const utf16le = (s: string, bom = true) => new Uint8Array(Buffer.concat([Buffer.from(bom ? [0xff, 0xfe] : []), Buffer.from(s, 'utf16le')]));
const utf16be = (s: string, bom = true) => {
  const b = Buffer.from(s, 'utf16le').swap16();
  return new Uint8Array(Buffer.concat([Buffer.from(bom ? [0xfe, 0xff] : []), b]));
};
const utf8bom = (s: string) => new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]));
/** A stream of the bytes in chunks of `size`. */
const chunks = (bytes: Uint8Array, size: number) => new ReadableStream<Uint8Array>({
  start(c) {
    for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
    c.close();
  },
});
const shape = (t: Table) => ({ names: t.schema.fields.map((f) => f.name), types: t.schema.fields.map((f) => String(f.type)), rows: t.toArray().map((r) => r.toJSON()) });

describe('CSV input that begins with a byte order mark', () => {
  let want: ReturnType<typeof shape>;
  beforeAll(async () => {
    want = shape(await readCsv(TEXT));
    expect(want.names).toEqual(['name', 'spend', 'city']);
    expect(want.rows).toEqual([{ name: 'Müller', spend: 12.5, city: 'Köln' }, { name: 'Möller', spend: 3, city: 'Oslo' }, { name: 'Ünal, A.', spend: 7.25, city: null }]);
  });

  it.each([
    ['UTF-16LE', utf16le(TEXT)], ['UTF-16BE', utf16be(TEXT)], ['UTF-8', utf8bom(TEXT)],
  ])('is read in the encoding its mark names (%s), as bytes, an ArrayBuffer and a stream of any chunk size', async (_, bytes) => {
    expect(shape(await readCsv(bytes))).toEqual(want);
    expect(shape(await readCsv(bytes.slice().buffer))).toEqual(want);
    for (const size of [1, 2, 3, 7, 4096]) expect(shape(await readCsv(chunks(bytes, size)))).toEqual(want);
  });

  it('names the encoding whatever encoding was asked for, as the Encoding Standard decodes', async () => {
    // Latin-1 would read UTF-16 as letters between NULs, and a UTF-8 mark as "ï»¿" before the first name
    expect(shape(await readCsv(utf16le(TEXT), { encoding: 'latin1' }))).toEqual(want);
    expect(shape(await readCsv(utf8bom(TEXT), { encoding: 'latin1' }))).toEqual(want);
    expect(shape(await readCsv(utf16be(TEXT), { encoding: 'utf-16le' }))).toEqual(want);
    expect(shape(await readCsv(utf16le(TEXT), { encoding: 'utf-16be' }))).toEqual(want);
  });

  it('csvRecords reads UTF-16 too', async () => {
    const rows: unknown[] = [];
    for await (const batch of csvRecords(chunks(utf16le(TEXT), 5))) rows.push(...batch.toArray().map((r) => r.toJSON()));
    expect(rows).toEqual(want.rows);
  });

  it('refuses UTF-16 without a mark unless it is read as UTF-16, which it then is', async () => {
    // without a trailing line break the NULs made two text columns named "n\0a\0m\0e\0" and "\0s\0p\0e\0n\0d\0"
    const bare = 'name,spend\nMüller,12.5\nMöller,3';
    for (const bytes of [utf16le(bare, false), utf16be(bare, false)]) {
      await expect(readCsv(bytes)).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('UTF-16') });
      await expect(readCsv(bytes, { encoding: 'latin1' })).rejects.toMatchObject({ code: 'E_PARSE' });
    }
    expect(shape(await readCsv(utf16le(bare, false), { encoding: 'utf-16le' })).rows).toEqual([{ name: 'Müller', spend: 12.5 }, { name: 'Möller', spend: 3 }]);
    expect(shape(await readCsv(utf16be(bare, false), { encoding: 'utf-16be' })).rows).toEqual([{ name: 'Müller', spend: 12.5 }, { name: 'Möller', spend: 3 }]);
  });
});

/** `s` in UTF-32, with its byte order mark unless `bom` is false. */
const utf32 = (s: string, le: boolean, bom = true) => {
  const points = [...(bom ? [0xfeff] : []), ...[...s].map((c) => c.codePointAt(0)!)];
  const b = Buffer.alloc(points.length * 4);
  points.forEach((p, i) => (le ? b.writeUInt32LE(p, i * 4) : b.writeUInt32BE(p, i * 4)));
  return new Uint8Array(b);
};

describe('JSON and NDJSON input in UTF-16 or UTF-32, and UTF-32 CSV', () => {
  const JSON_TEXT = '[{"name":"Müller","spend":12.5},{"name":"Ünal","spend":3}]';
  const NDJSON_TEXT = '{"name":"Müller","spend":12.5}\r\n{"name":"Ünal","spend":3}\r\n';
  const ROWS = [{ name: 'Müller', spend: 12.5 }, { name: 'Ünal', spend: 3 }];
  const UTF16 = 'read UTF-16 with encoding "utf-16le" (or "utf-16be")';

  it('reads JSON and NDJSON with a UTF-16 mark in the encoding it names, as their UTF-8 twins, whole and in any chunk size', async () => {
    // they were refused with a hint to read them as UTF-16, which the CSV reader does by itself
    const json = shape(await readJson(JSON_TEXT));
    const ndjson = shape(await readNdjson(NDJSON_TEXT));
    expect(json.rows).toEqual(ROWS);
    expect(ndjson.rows).toEqual(ROWS);
    for (const encode of [utf16le, utf16be]) {
      expect(shape(await readJson(encode(JSON_TEXT)))).toEqual(json);
      expect(shape(await readNdjson(encode(NDJSON_TEXT)))).toEqual(ndjson);
      expect(shape(await readJson(encode(JSON_TEXT).slice().buffer))).toEqual(json);
      for (const size of [1, 2, 3, 7, 4096]) {
        expect(shape(await readJson(chunks(encode(JSON_TEXT), size)))).toEqual(json);
        expect(shape(await readNdjson(chunks(encode(NDJSON_TEXT), size)))).toEqual(ndjson);
      }
      // the mark names the encoding whatever was asked for, as for CSV
      expect(shape(await readJson(encode(JSON_TEXT), { encoding: 'latin1' }))).toEqual(json);
      expect(shape(await readNdjson(encode(NDJSON_TEXT), { encoding: 'utf-8' }))).toEqual(ndjson);
    }
  });

  it('refuses UTF-32 JSON and NDJSON naming it, and UTF-16 without a mark or with NUL characters with a hint naming UTF-16', async () => {
    for (const [encode, words] of [[(t: string) => utf32(t, true), 'UTF-32LE'], [(t: string) => utf32(t, false), 'UTF-32BE'], [(t: string) => utf32(t, true, false), 'UTF-32LE']] as const) {
      for (const size of [1, 4, 4096]) {
        await expect(readJson(chunks(encode(JSON_TEXT), size))).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining(`the JSON input is ${words} text, which segkit does not read`), hint: expect.stringContaining('convert it to UTF-8') });
        await expect(readNdjson(chunks(encode(NDJSON_TEXT), size))).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining(`the NDJSON input is ${words} text, which segkit does not read`) });
      }
    }
    // without a mark the NULs reached JSON.parse, whose error had no hint
    for (const bytes of [utf16le(JSON_TEXT, false), utf16be(JSON_TEXT, false)]) {
      await expect(readJson(bytes)).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('UTF-16'), hint: expect.stringContaining('utf-16le') });
    }
    await expect(readNdjson(utf16le(NDJSON_TEXT, false))).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('UTF-16') });
    // NUL characters later on keep the hint naming UTF-16 and UTF-32
    await expect(readJson(new Uint8Array(Buffer.from('[{"a":1}]\0', 'utf8')))).rejects.toMatchObject({ code: 'E_PARSE', hint: expect.stringContaining(UTF16) });
    // as the hint says, the encoding reads them; Latin-1 keeps its own hint
    expect(shape(await readJson(utf16le(JSON_TEXT, false), { encoding: 'utf-16le' })).rows).toEqual(ROWS);
    expect(shape(await readNdjson(chunks(utf16be(NDJSON_TEXT, false), 3), { encoding: 'utf-16be' })).rows).toEqual(ROWS);
    await expect(readJson(new Uint8Array(Buffer.from(JSON_TEXT, 'latin1')))).rejects.toMatchObject({ hint: expect.stringContaining('encoding "latin1"') });
  });

  it('refuses UTF-32 CSV, with its mark or without, naming it', async () => {
    // UTF-32LE's mark begins as UTF-16LE's: it was read as UTF-16 into columns named " s p e n d " with NULs between
    for (const [bytes, words] of [[utf32(TEXT, true), 'UTF-32LE'], [utf32(TEXT, false), 'UTF-32BE'], [utf32(TEXT, true, false), 'UTF-32LE']] as const) {
      for (const input of [bytes, chunks(bytes, 1), chunks(bytes, 4096)]) {
        await expect(readCsv(input)).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining(`the CSV input is ${words} text, which segkit does not read`) });
      }
      const e = await csvRecords(chunks(bytes, 3)).next().catch((error: unknown) => error);
      expect(e).toMatchObject({ code: 'E_PARSE', hint: expect.stringContaining('convert it to UTF-8') });
    }
  });
});

describe('a UTF-16 file', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'segkit-utf16-'));
    const lines = ['customer_id,spend,visits'];
    for (let i = 0; i < 60; i++) lines.push(`c${i},${(i % 3) * 40 + (i % 7)},${(i % 3) * 5 + (i % 4)}`);
    const text = `${lines.join('\r\n')}\r\n`;
    writeFileSync(join(dir, 'utf8.csv'), text);
    writeFileSync(join(dir, 'utf16.csv'), utf16le(text));
    const records = lines.slice(1).map((l) => l.split(',')).map(([customer_id, spend, visits]) => ({ customer_id, spend: +spend, visits: +visits }));
    const json = JSON.stringify(records, null, 1).replaceAll('\n', '\r\n');
    const ndjson = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
    writeFileSync(join(dir, 'utf8.json'), json);
    writeFileSync(join(dir, 'utf16.json'), utf16le(json));
    writeFileSync(join(dir, 'utf8.ndjson'), ndjson);
    writeFileSync(join(dir, 'utf16.ndjson'), utf16be(ndjson));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads through readTable as its UTF-8 twin does', async () => {
    expect(shape(await readTable(join(dir, 'utf16.csv')))).toEqual(shape(await readTable(join(dir, 'utf8.csv'))));
    for (const ext of ['json', 'ndjson']) {
      const want = shape(await readTable(join(dir, `utf8.${ext}`)));
      expect(want.rows).toHaveLength(60);
      expect(shape(await readTable(join(dir, `utf16.${ext}`)))).toEqual(want);
    }
  });

  it('segments on the command line as its UTF-8 twin does, its id column found by name', () => {
    const run = (file: string) => JSON.parse(ok(dir, ['segment', file, '--id', 'customer_id', '--k', '3', '--seed', '1', '--json']).stdout);
    const [a, b] = [run('utf16.csv'), run('utf8.csv')];
    expect(a.rows ?? a).toEqual(b.rows ?? b);
    expect(JSON.stringify(a).replaceAll('utf16.csv', 'utf8.csv')).toBe(JSON.stringify(b));
    // JSON and NDJSON (UTF-16LE and UTF-16BE) as well
    for (const ext of ['json', 'ndjson']) {
      const c = run(`utf16.${ext}`);
      expect(JSON.stringify(c).replaceAll(`utf16.${ext}`, 'utf8.csv')).toBe(JSON.stringify(b));
    }
  }, 60_000);
});
