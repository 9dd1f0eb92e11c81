// CSV written chunk by chunk (files are streamed, never held whole) is writeCsvBytes' text, byte for byte; segment
// names as a dictionary column print as the plain text column does; whole floats of scored batches print as integers.
import { describe, expect, it } from 'vitest';
import { Float64, Int32, Table, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import { tableFromColumns } from '../src/data/arrowTable.js';
import { writeCsvBytes, writeCsvChunks } from '../src/data/writeCsv.js';
import { withSegments } from '../src/cli/withSegments.js';
import { wholeNumbersAsIntegers } from '../src/cli/wholeNumbers.js';
import { createRandom } from '../src/util/random.js';

const r = createRandom(3);
const n = 1_000;
const text = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : ['plain', 'with, comma', 'with "quote"', '=formula', 'Zürich', ''][i % 6]));
const base = tableFromColumns(['id', 'spend', 'note'], [
  vectorFromArray(Array.from({ length: n }, (_, i) => i), new Int32()).data[0],
  vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : Math.round(r.normal() * 1e4) / 100)), new Float64()).data[0],
  vectorFromArray(text, new Utf8()).data[0],
]);
// several chunks per column, with edges at different rows
const chunked = new Table([...base.slice(0, 300).batches, ...base.slice(300, 301).batches, ...base.slice(301).batches]);

const joined = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks].map((c) => Buffer.from(c)));

describe('CSV chunks', () => {
  for (const [label, table] of [['one chunk', base], ['three chunks', chunked]] as const) {
    for (const rows of [1, 7, 64, 300, 5_000]) {
      it(`joined, ${rows} rows a chunk (${label}), equal writeCsvBytes`, () => {
        for (const options of [{}, { delimiter: ';', eol: '\r\n' as const, bom: true }, { header: false }]) {
          // each chunk is a view of one reused buffer: copied as it comes
          const parts: Buffer[] = [];
          for (const c of writeCsvChunks(table, options, rows)) parts.push(Buffer.from(c));
          expect(Buffer.concat(parts).equals(Buffer.from(writeCsvBytes(table, options)))).toBe(true);
        }
      });
    }
  }

  it('writes segment names from a dictionary column as from a text column', () => {
    const labels = Int32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -1 : i % 3));
    const names = ['Loyal, high spend', 'New "trial" users', '=odd'];
    const plain = withSegments(base, labels, names, 'segment');
    const dict = withSegments(base, labels, names, 'segment', undefined, { dictionary: true });
    expect(String(dict.schema.fields.at(-1)!.type)).toMatch(/Dictionary/);
    expect(joined(writeCsvChunks(dict)).equals(Buffer.from(writeCsvBytes(plain)))).toBe(true);
  });

  it('writes float64 values as String() does (-0 with its sign), whatever decimals the values before had', () => {
    const g = createRandom(9);
    // runs of values sharing their decimals, then changing: the decimals tried first must never shorten or lengthen a value
    const values = Float64Array.from({ length: 20_000 }, (_, i) => {
      const k = Math.floor(i / 50) % 9;
      const x = g.next() * 10 ** (g.int(8) - 2);
      const v = k === 8 ? x : Math.round(x * 10 ** k) / 10 ** k;
      return i % 3 === 0 ? -v : v;
    });
    const t = tableFromColumns(['v'], [makeData({ type: new Float64(), length: values.length, nullCount: 0, data: values })]);
    const want = ['v', ...Array.from(values, (v) => (Object.is(v, -0) ? '-0.0' : Number.isInteger(v) ? `${v}.0` : String(v)))].join('\n') + '\n';
    expect(Buffer.from(writeCsvBytes(t)).toString()).toBe(want);
  });

  it('scored batches write whole float64 columns as integers, and only columns all whole', () => {
    const whole = makeData({ type: new Float64(), length: 4, nullCount: 1, nullBitmap: Uint8Array.of(0b1011), data: Float64Array.of(3, -12, 0.5, 9007199254740991) });
    const mixed = makeData({ type: new Float64(), length: 4, nullCount: 0, data: Float64Array.of(1, 2, 2.5, 4) });
    const negZero = makeData({ type: new Float64(), length: 4, nullCount: 0, data: Float64Array.of(1, -0, 3, 4) });
    const t = tableFromColumns(['w', 'm', 'z'], [whole, mixed, negZero]);
    const csv = (whole = false) => Buffer.from(writeCsvBytes(whole ? wholeNumbersAsIntegers(t) : t)).toString();
    expect(csv()).toBe('w,m,z\n3.0,1.0,1.0\n-12.0,2.0,-0.0\n,2.5,3.0\n9007199254740991.0,4.0,4.0\n');
    // -0 keeps its column a float column (it would print as 0, losing its sign)
    expect(csv(true)).toBe('w,m,z\n3,1.0,1.0\n-12,2.0,-0.0\n,2.5,3.0\n9007199254740991,4.0,4.0\n');
  });
});
