import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failure } from './helpers.js';
import { DenseUnion, Field, Float64, Int32, SparseUnion, Table, makeData, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import { writeCsv } from '../src/data/writeCsv.js';
import { readArrow } from '../src/data/readArrow.js';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';
import { readJson } from '../src/data/readJson.js';
import { readParquet } from '../src/data/readParquet.js';
import { writeArrow } from '../src/data/writeArrow.js';
import { readTable } from '../src/data/readTable.node.js';
import { writeTable } from '../src/data/writeTable.node.js';

const dir = mkdtempSync(join(tmpdir(), 'segkit-io-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Arrow columns named ""', () => {
  const table = new Table({ '': makeVector(new Float64Array([1.5, 2])), b: vectorFromArray([null, 'x']), null: makeVector(new Float64Array([3, 4])) });

  it('read back under their own name, not "null" (which would also clash with a column named "null")', async () => {
    for (const format of ['file', 'stream'] as const) {
      const back = await readArrow(await writeArrow(table, { format }));
      expect(back.schema.fields.map((f) => f.name)).toEqual(['', 'b', 'null']);
      expect([...back.getChild('')!]).toEqual([1.5, 2]);
      expect([...back.getChild('null')!]).toEqual([3, 4]);
    }
  });

  it('read back so by readTable and by the batch reader', async () => {
    const path = join(dir, 'unnamed.arrow');
    await writeTable(path, table);
    expect((await readTable(path)).schema.fields.map((f) => f.name)).toEqual(['', 'b', 'null']);
    for (const recycle of [false, true]) {
      const names: string[][] = [];
      for await (const batch of readArrowBatches(path, { recycle })) names.push(batch.schema.fields.map((f) => f.name));
      expect(names).toEqual([['', 'b', 'null']]);
    }
    writeFileSync(join(dir, 'unnamed.arrows'), await writeArrow(table, { format: 'stream' }));
    expect((await readTable(join(dir, 'unnamed.arrows'))).schema.fields.map((f) => f.name)).toEqual(['', 'b', 'null']);
  });
});

describe('readJson of parsed values holding bigints', () => {
  it('keeps a 64-bit id a float64 would round as its digits, as CSV inference does', async () => {
    // 2^53 + 1 and 2^53 are two customers; as float64 both are 9007199254740992
    const columns = await readJson({ columns: { id: new BigInt64Array([9007199254740993n, 9007199254740992n, 7n]) } });
    expect(String(columns.schema.fields[0].type)).toBe('Utf8');
    expect([...columns.getChild('id')!]).toEqual(['9007199254740993', '9007199254740992', '7']);
    const records = await readJson([{ id: 2n }, { id: -9007199254740993n }, { id: null }]);
    expect([...records.getChild('id')!]).toEqual(['2', '-9007199254740993', null]);
  });

  it('reads bigints a float64 holds exactly as numbers, and a number type still reads them as numbers', async () => {
    const exact = await readJson([{ id: 3n }, { id: 9007199254740992n }]);
    expect(exact.schema.fields[0].type).toBeInstanceOf(Float64);
    expect([...exact.getChild('id')!]).toEqual([3, 9007199254740992]);
    const typed = await readJson([{ id: 9007199254740993n }], { types: { id: 'number' } });
    expect([...typed.getChild('id')!]).toEqual([9007199254740992]);
    const text = await readJson([{ id: 9007199254740993n }, { id: 1n }], { types: { id: 'string' } });
    expect([...text.getChild('id')!]).toEqual(['9007199254740993', '1']);
  });
});

// Files written by writeParquet with a few bytes altered. In the first, the chunk of column "d" names a column "f" and
// column "a"'s page is corrupt: hyparquet started decoding "a", then threw on the chunk of "f", and the failure of "a"
// went unhandled (a process that reads such a file stops). In the second, the root's count of children runs past
// the schema's elements.
const UNKNOWN_CHUNK_PARQUET = [
  'UEFSMRUGFUAVNlwVCBUAFQgVABUAFQAAACAAAAUBBPg/BQf/AABACQgkCEAAAAAAAAD4fxUGFSQVKFwVCBUCFQgVABUEFQAAAAMNEDwBAAAAeA',
  'IAAAB5eQEAAAB6FQYVHBUgXBUIFQIVCBUAFQQVAAAAAwsMLAEAAAACAAAABAAAABUGFSIVJlwVCBUCFQgVABUEFQAAAAMHDzgBAAAAcAEAAABx',
  'AQAAAHAVBhUGFQpcFQgVAhUIFQAVBBUAAAADCwEABRUEGWxIBHJvb3QVCgAVCiUAGAFhABUMJQIYAWIlAAAVAiUCGAFjABUMJQIYAWQlAAAVAC',
  'UCGAFlABYIGRwZXCYIHBUKGRUAGRgBYRUCFggWahZgJgg8NgAoCAAAAAAAAAhAGAgAAABNAAD4PzYCABkcFQYVABUCAAAAJmgcFQwZFQAZGAFi',
  'FQIWCBZOFlImaDw2AigBehgBeAAZHBUGFQAVAgAAACa6ARwVAhkVABkYAWMVAhYIFkYWSia6ATw2AigEBAAAABgEAQAAAAAZHBUGFQAVAgAAAC',
  'aEAhwVDBkVABkYAWYVAhYIFkwWUCaEAjw2AigBcRgBcAAZHBUGFQAVAgAAACbUAhwVABkVABkYAWUVAhYIFjAWNCbUAjw2AigBARgBAAAZHBUG',
  'FQAVAgAAABb6AhYINoADABkcGBlzZWdraXQ6ZGljdGlvbmFyeS1jb2x1bW5zGAVbImQi/wAYCWh5cGFycXVldBlcHAAAHAAAHAAAHAAAHAAAAH',
  '0BAABQQVIx',
].join('');
const SCHEMA_OVERRUN_PARQUET = [
  'UEFSMRUGFUAVQFwVCBUAFacVABUAFQAAAAAAAAAAAPg/AAAAAAAAAEAAAAAAAAAIQAAAAAAAAPh/FQYVJBUkXBUIFQIVCBUAFQQVAAAAAw0BAA',
  'AAeAIAAAB5eQEAAAB6FQYVHBUcXBUIFQIVCBUAFQQVAAAAAwsBAAAAAgAAAAQAAAAVBhUiFSJcFQgVAhUIFQAVBBUAAAADBwEAAABwAQAAAHEB',
  'AAAAcBUGFQYVBlwVCBUCFQgVABUEFQAAAAMLBRUEGWxIBHJvb3QVCgAVCjYAGAFhABUMJQIYAWIlAAAVAiUCGAFjABUMJQIYAWQlAAAVACUCGA',
  'FlABYIGRwZXCYIHBUKGRUAGRgBYRUAFggWahZqJgg8NgAoCAAAAAAAAAhAGAgAAAAAAAD4PzYCABkcFQYVABUCAAAAJnIcFQwZFQAZGAFiFQAW',
  'CBZOFk4mcjw2AigBehgBeAAZHBUGFQAVAgAAACbAARwVAhkVABkYAWMVABYIFkYWRibAATw2AigEBAAAABgEAQAAAAAZHBUGFQAVAgAAACaGAh',
  'wVDBkVABkYAWQVABYIFkwWTCaGAjw2AigBcRgBcAAZHBUGFQAVAgAAACbSAhwVABkVABkYAWUVABYIFjAWMCbSAjw2AigBARgBAAAZHBUGFQAV',
  'AgAAABb6AhYINvoCABkcGBlzZWdraXQ6ZGljdGlvbmFyeS1jb2x1bW5zGAVbImQiXQAYCWh5cGFycXVldBlcHAAAHAAAHAAAHAAAHAAAAH0BAA',
  'BQQVIx',
].join('');

describe('corrupt Parquet footers', () => {
  it('are E_PARSE errors naming what is wrong, with no failure left unhandled', async () => {
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      const unknown = await failure(() => readParquet(Buffer.from(UNKNOWN_CHUNK_PARQUET, 'base64')));
      expect(unknown.code).toBe('E_PARSE');
      expect(unknown.message).toBe('the Parquet input is a corrupt file: a chunk of row group 0 is of column "f", which its schema does not have (the file was truncated or altered after it was written; export it again)');
      const overrun = await failure(() => readParquet(Buffer.from(SCHEMA_OVERRUN_PARQUET, 'base64')));
      expect(overrun.code).toBe('E_PARSE');
      expect(overrun.message).toBe('the Parquet input is a corrupt file: its schema cannot be read (the file was truncated or altered after it was written; export it again)');
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', note);
    }
    expect(unhandled).toEqual([]);
  });
});

// Files written by writeArrow with a few bytes altered: a stream whose schema message claims 12,910,597 fields in its
// 376 bytes, and a file whose dictionary batch claims more nodes and buffers than its metadata holds. apache-arrow
// built objects for every claimed entry until memory ran out.
const FIELDS_OVERRUN_ARROW = [
  '/////3gBAAAQAAAAAAAKABAADgAHAAgACgAAAAAAAAEIAAAAAAAEAHz///8EAAAABQDFABgBAADYAAAAjAAAAEAAAAAEAAAASP///xQAAAAAAA',
  'ABFAAAAAAAAAYQAAAAAQAAAGUAAAAAAAAAOP///xAAHAAIAA8AFwAYAAQAEAAQAAAAMAAAABQAAAAAAAABFAAAAAAAAAUQAAAAAQAAAGQAAAAA',
  'AAAAdP///wgACAAAAAQACAAAAAQAAADQ////AAAAASAAAADI////FAAAAAAAAAEUAAAAAAAAAhgAAAABAAAAYwAAAAAAAAAIAAwACAAHAEUAAA',
  'AAAAABIAAAABAAGAAEAAsAEwAUAAAADAAQAAAAFAAAAAAAAAEUAAAAAAAABRQAAAABAAAAYgAAAAAAAAAEAAQABAAAABAAFAAEAAAADwAQAAAA',
  'CAAQAAAAEAAAABQAAAAAAAADGAAAAAEAAABhAAAAAAAAAAAABgAIAAYABgAAAAAAAgAAAAAA/////7AAAAAUAAAAAAAAAAwAHAAaABMAFAAEAA',
  'wAAAAYAAAAAAAAAAAAAAAAAAACEAAAAAAABAAIAAoAAAAEAAgAAAAQAAAAAAAKABgADAAIAAQACgAAABQAAABIAAAAAgAAAAAAAAAAAAAAAwAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAIAAAAAAAAAAAAAAABAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAg',
  'AAAAAAAABwcQAAAAAAAP////9YAQAAFAAAAAAAAAAMABYAFAAPABAABAAMAAAAoAEAAAAAAAAAAAADEAAAAAQACgAYAAwACAAEAAoAAAAUAAAA',
  'yAAAAAQAAAAAAAAAAAAAAAsAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAACAAAAAAAAAAQAAAAAAAAABgAAAAAAAAABgAAAAAAA',
  'AAeAAAAAAAAAAIAAAAAAAAAIAAAAAAAAAAQAAAAAAAAADAAAAAAAAAABAAAAAAAAAA0AAAAAAAAABAAAAAAAAAABABAAAAAAAAEAAAAAAAAAAg',
  'AQAAAAAAAEAAAAAAAAAAYAEAAAAAAABAAAAAAAAAAAAAAAAFAAAABAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAAQAAAAAAAAAEAAAAAAAAAAEAAA',
  'AAAAAABAAAAAAAAAABAAAAAAAAAAQAAAAAAAAAAQAAAAAAAAAAAAAAAAD4PwAAAAAAAABAAAAAAAAACEAAAAAAAAD4fw0AAAAAAAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAEAAAADAAAABAAAAAAAAAB4eXl6AAAAAA',
  'sAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAgAAAAAAAAAEAAAABwAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAACcAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAALAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAP////8AAAAA',
].join('');
const NODES_OVERRUN_ARROW = [
  'QVJST1cxAAD/////sAAAABQAAAAAAAAADAAcABoAEwAUAAQADAAAABgAAAAAAAAAAAAAAAAAAAIQAAAAAAAEAAgACgAAAAQACAAAABAAAAAAAA',
  'oAGAAMAAgABAAKAAAAFAAAAEgAAAACAAAAAAAAAAAAAAADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAQAAAAAAAAAAgAAAAA',
  'AAAAAAAAAAEAABACAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAACAAAAAAAAAHBxAAAAAAAA/////1gBAAAUAAAAAAAAAAwAFgAUAA8AEAAEAAwAAA',
  'CgAQAAAAAAAAAAAAMQAAAABAAKABgADAAIAAQACgAAABQAAADIAAAABAAAAAAAAAAAAAAACwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAA',
  'AAAAAAAAIAAAAAAAAABAAAAAAAAAAGAAAAAAAAAAGAAAAAAAAAB4AAAAAAAAAAgAAAAAAAAAgAAAAAAAAABAAAAAAAAAAMAAAAAAAAAAEAAAAA',
  'AAAADQAAAAAAAAAEAAAAAAAAAAEAEAAAAAAAAQAAAAAAAAACABAAAAAAAAQAAAAAAAAABgAQAAAAAAAEAAAAAAAAAAAAAAAAUAAAAEAAAAAAAA',
  'AAAAAAAAAAAABAAAAAAAAAABAAAAAAAAAAQAAAAAAAAAAQAAAAAAAAAEAAAAAAAAAAEAAAAAAAAABAAAAAAAAAABAAAAAAAAAAAAAAAAAPg/AA',
  'AAAAAAAEAAAAAAAAAIQAAAAAAAAPh/DQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'AAAAAAAAAAABAAAAAQAAAAMAAAAEAAAAAAAAAHh5eXoAAAAACwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAEAAAACAAAAAAAAAAQAAAAHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAsAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'AAAAAAAAAAAAAAAAAJAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/////wAA',
  'AAAQAAAADAAUAA4AEAAEAAgADAAAABAAAAAsAAAAAAAEAEQAAAABAAAACAAAAAAAAAC4AAAAAAAAABgAAAAAAAAAAAAAAAEAAADYAAAAAAAAAG',
  'ABAAAAAAAAoAEAAAAAAAAAAAAAfP///wQAAAAFAAAAGAEAANgAAACMAAAAQAAAAAQAAABI////FAAAAAAAAAEUAAAAAAAABhAAAAABAAAAZQAA',
  'AAAAAAA4////EAAcAAgADwAXABgABAAQABAAAAAwAAAAFAAAAAAAAAEUAAAAAAAABRAAAAABAAAAZAAAAAAAAAB0////CAAIAAAABAAIAAAABA',
  'AAAND///8AAAABIAAAAMj///8UAAAAAAAAARQAAAAAAAACGAAAAAEAAABjAAAAAAAAAAgADAAIAAcACAAAAAAAAAEgAAAAEAAYAAQACwATABQA',
  'AAAMABAAAAAUAAAAAAAAARQAAAAAAAAF/wAAAAEAAABiAAAAAAAAAAQABAAEAAAAEAAUAAQAAAAPABAAAAAIABAAAAAQAAAAFAAAAAAAAAMYAA',
  'AAAQAAAGEAAAAAAAAAAAAGAAgABgAGAAAAAAACALgBAABBUlJPVzE=',
].join('');

describe('Arrow metadata claiming more entries than it holds', () => {
  it('is an E_PARSE error, read in memory or from a file, batch by batch, with recycled buffers or not', async () => {
    for (const [name, base64] of [['fields.arrows', FIELDS_OVERRUN_ARROW], ['nodes.arrow', NODES_OVERRUN_ARROW]]) {
      const bytes = Buffer.from(base64, 'base64');
      const e = await failure(() => readArrow(bytes));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toMatch(/^the input is not valid Arrow IPC data: its metadata holds a list of \d+ entries in \d+ bytes$/);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      for (const recycle of [false, true]) {
        const b = await failure(async () => {
          for await (const _ of readArrowBatches(path, { recycle })) {
            // read them all
          }
        });
        expect(b.message).toMatch(/is not valid Arrow IPC data: its metadata holds a list of \d+ entries in \d+ bytes \(expected an Arrow IPC file or stream\)$/);
      }
    }
  });
});

describe('an Arrow union column whose rows name a child it does not have', () => {
  // n: 5, 6, 7 and s: 1.5, 2.5, 3.5, three rows; `ids` the rows' type ids (the union's are 0 and 1)
  const file = (mode: 'dense' | 'sparse', ids: number[], offsets = [0, 0, 1]) => {
    const fields = [new Field('n', new Int32(), true), new Field('s', new Float64(), true)];
    const type = mode === 'dense' ? new DenseUnion([0, 1], fields) : new SparseUnion([0, 1], fields);
    const children = [makeData({ type: new Int32(), length: 3, data: Int32Array.of(5, 6, 7) }), makeData({ type: new Float64(), length: 3, data: Float64Array.of(1.5, 2.5, 3.5) })];
    const u = makeData({ type, length: 3, nullCount: 0, typeIds: Int8Array.from(ids), ...(mode === 'dense' ? { valueOffsets: Int32Array.from(offsets) } : {}), children } as never);
    return tableToIPC(new Table({ id: makeVector(Int32Array.of(1, 2, 3)), u: makeVector(u) }), 'file');
  };

  it('reads a sound one, dense or sparse', async () => {
    expect(writeCsv(await readArrow(file('dense', [0, 1, 0])))).toBe('id,u\n1,5\n2,1.5\n3,6\n');
    expect(writeCsv(await readArrow(file('sparse', [0, 1, 0])))).toBe('id,u\n1,5\n2,2.5\n3,7\n');
  });

  it('is an E_PARSE error naming the column, read in memory or batch by batch (every value of it was a TypeError)', async () => {
    const message = 'is corrupt: a row of union column "u" names a child the union does not have, or a row past the child\'s end';
    for (const [name, bytes] of [['dense.arrow', file('dense', [0, 3, 0])], ['sparse.arrow', file('sparse', [1, 7, 0])], ['past.arrow', file('dense', [0, 1, 0], [0, 9, 1])]] as const) {
      const e = await failure(() => readArrow(bytes));
      expect([e.code, e.message]).toEqual(['E_PARSE', `the Arrow input ${message}`]);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const b = await failure(async () => {
        for await (const _ of readArrowBatches(path)) {
          // read them all
        }
      });
      expect([b.code, b.message]).toEqual(['E_PARSE', `"${path}" ${message}`]);
    }
  });
});

describe('an Arrow stream whose last message has a negative metadata length', () => {
  it('is an E_PARSE error read batch by batch from a file (it read as the end of the stream, and other such lengths made the reader wait for ever)', async () => {
    const stream = await writeArrow(new Table({ x: makeVector(new Float64Array([1, 2])) }), { format: 'stream' });
    // the end-of-stream marker (continuation, length 0) replaced by a continuation and a length of -16,776,872
    const bytes = Buffer.concat([stream.subarray(0, stream.length - 8), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x58, 0x01, 0x00, 0xff)]);
    const path = join(dir, 'negative.arrows');
    writeFileSync(path, bytes);
    const e = await failure(async () => {
      for await (const _ of readArrowBatches(path)) {
        // read them all
      }
    });
    expect(e.message).toBe(`"${path}" is not valid Arrow IPC data: a message's metadata runs outside the data (-16776872 bytes at byte ${stream.length}) (expected an Arrow IPC file or stream)`);
    expect((await failure(() => readArrow(bytes))).code).toBe('E_PARSE');
  }, 10_000);
});

describe('readTable options', () => {
  it('refuses a misspelt option, and one the file format does not read, which it ignored', async () => {
    const table = new Table({ id: makeVector(new Float64Array([7, 8])) });
    for (const ext of ['csv', 'json', 'parquet']) await writeTable(join(dir, `opts.${ext}`), table);
    const misspelt = await failure(() => readTable(join(dir, 'opts.csv'), { delimeter: ';' } as never));
    expect(misspelt.code).toBe('E_BAD_OPTION');
    expect(misspelt.message).toMatch(/^readTable: unknown option "delimeter"; did you mean "delimiter"\?/);
    const types = await failure(() => readTable(join(dir, 'opts.parquet'), { types: { id: 'string' } }));
    expect(types.code).toBe('E_BAD_OPTION');
    expect(types.message).toMatch(/^readTable: option "types" does not apply to parquet input, which would ignore it/);
    expect((await failure(() => readTable(join(dir, 'opts.json'), { delimiter: ';' }))).message).toMatch(/^readTable: option "delimiter" does not apply to json input/);
    // what applies is read, and options given as undefined are none
    expect([...(await readTable(join(dir, 'opts.json'), { types: { id: 'string' }, threads: 1 })).getChild('id')!]).toEqual(['7', '8']);
    expect([...(await readTable(join(dir, 'opts.parquet'), { threads: 1, delimiter: undefined })).getChild('id')!]).toEqual([7, 8]);
  });
});
