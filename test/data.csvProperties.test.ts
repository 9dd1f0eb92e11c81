// writeCsv against csv-stringify and readCsv against csv-parse, on random tables full of the awkward cases:
// quotes, bare CR, LF, CRLF, delimiters, formula starts, empty cells and nulls, one-column tables.
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { tableFromColumns } from '../src/data/arrowTable.js';
import { readCsv } from '../src/data/readCsv.js';
import { writeCsv } from '../src/data/writeCsv.js';
import { createRandom, type Random } from '../src/util/random.js';

const PIECES = ['a', 'b', 'Zürich', ' ', '"', '""', ',', ';', '\t', '\n', '\r', '\r\n', '=', '-', '+', '@', '1', '0.5', 'x y'];

function text(rand: Random, allowEmpty: boolean): string {
  const parts = rand.int(4) + (allowEmpty ? 0 : 1);
  let s = '';
  for (let p = 0; p < parts; p++) s += PIECES[rand.int(PIECES.length)];
  return s;
}

interface RandomTable {
  table: Table;
  names: string[];
  /** Rows as csv-stringify takes them: strings, numbers, or null. */
  rows: (string | number | null)[][];
}

function randomTable(rand: Random, withNumbers: boolean): RandomTable {
  const width = 1 + rand.int(4);
  const n = rand.int(10);
  const names: string[] = [];
  while (names.length < width) {
    const name = `${text(rand, false)}${names.length}`;
    if (!names.includes(name)) names.push(name);
  }
  const numeric = names.map(() => withNumbers && rand.int(4) === 0);
  const columns = names.map((_, j) =>
    Array.from({ length: n }, () => {
      const r = rand.int(6);
      if (r === 0) return null;
      if (numeric[j]) return rand.int(2001) - 1000;
      return r === 1 ? '' : text(rand, false);
    }),
  );
  // tableFromColumns keeps the order of names that look like integers, which an object's keys would not
  const table = tableFromColumns(names, columns.map((c, j) => vectorFromArray(c, numeric[j] ? new Int32() : new Utf8()).data[0]));
  const rows = Array.from({ length: n }, (_, i) => columns.map((c) => c[i]));
  return { table, names, rows };
}

const DIALECTS = [
  { delimiter: ',', eol: '\n' },
  { delimiter: ';', eol: '\n' },
  { delimiter: '\t', eol: '\r\n' },
  { delimiter: ',', eol: '\r\n' },
] as const;

/**
 * csv-stringify's text for a table; a one-column table quotes its empty cells so that no record is an empty line, and
 * its cells of only spaces and tabs, a blank line to pandas.read_csv.
 */
function reference(t: RandomTable, dialect: (typeof DIALECTS)[number], escapeFormulas: boolean): string {
  return stringify(t.rows, {
    header: true,
    columns: t.names,
    delimiter: dialect.delimiter,
    // quote_record_delimiter: CR and LF are quoted whatever the line ending (the default only without record_delimiter)
    ...(dialect.eol === '\n' ? {} : { record_delimiter: dialect.eol, quote_record_delimiter: true }),
    escape_formulas: escapeFormulas,
    // one deliberate difference: text that is a signed number ("-1", "+0.5", "-4,78") is a number to a spreadsheet,
    // not a formula, and is written as it is, as csv-stringify writes negative numbers
    cast: { string: (v: string) => (/^[+-](?:(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][+-]?\d+)?|Infinity)$/.test(v) ? { value: v, escape_formulas: false } : v) },
    // (a cell beginning with a tab gets the formula apostrophe when those are escaped, and is then no blank line)
    ...(t.names.length === 1 ? { quoted_empty: true, quoted_match: escapeFormulas ? /^ [ \t]*$/ : /^[ \t]+$/ } : {}),
  });
}

describe('writeCsv matches csv-stringify byte for byte', () => {
  it('on 2,000 random tables with quotes, CR, LF, CRLF, delimiters, formulas, empty cells and one column', () => {
    const rand = createRandom(20240611);
    let oneColumn = 0, withCr = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const t = randomTable(rand, true);
      const dialect = DIALECTS[trial % DIALECTS.length];
      const escapeFormulas = trial % 3 !== 0;
      const ours = writeCsv(t.table, { delimiter: dialect.delimiter, eol: dialect.eol, escapeFormulas });
      expect(ours, `table ${trial}: ${JSON.stringify(t.rows)}`).toBe(reference(t, dialect, escapeFormulas));
      if (t.names.length === 1 && t.rows.some((r) => r[0] === null || r[0] === '')) oneColumn++;
      if (t.rows.some((r) => r.some((v) => typeof v === 'string' && /\r(?!\n)/.test(v)))) withCr++;
    }
    // the awkward cases really occurred
    expect(oneColumn).toBeGreaterThan(50);
    expect(withCr).toBeGreaterThan(200);
  });

  it('quotes a bare CR, as csv-stringify does', () => {
    const table = new Table({ note: vectorFromArray(['a\rb', 'plain'], new Utf8()), n: vectorFromArray([1, 2], new Int32()) });
    expect(writeCsv(table)).toBe('note,n\n"a\rb",1\nplain,2\n');
  });
});

describe('readCsv matches csv-parse', () => {
  it('on 1,000 random tables written by csv-stringify, cell for cell', async () => {
    const rand = createRandom(77);
    for (let trial = 0; trial < 1000; trial++) {
      const t = randomTable(rand, false);
      const dialect = DIALECTS[trial % DIALECTS.length];
      const text = reference(t, dialect, false);
      const expected = parse(text, { delimiter: dialect.delimiter, skip_empty_lines: true }) as string[][];
      const types = Object.fromEntries(t.names.map((name) => [name, 'string' as const]));
      const table = await readCsv(text, { delimiter: dialect.delimiter, types, nullValues: [] });
      const got = [table.schema.fields.map((f) => f.name), ...Array.from({ length: table.numRows }, (_, i) => t.names.map((name) => table.getChild(name)!.get(i) as string))];
      expect(got, `table ${trial}: ${JSON.stringify(text)}`).toEqual(expected);
    }
  });
});

describe('readCsv with a quote other than \'"\' matches csv-parse', () => {
  // csv-stringify escapes that quote, and '"' itself, with '"' inside a quoted field: `"'` and `""`
  const APOSTROPHES = ['a', "'", "''", '"', '""', '"\'', '\'"', ',', ';', '\n', '\r\n', 'x y', 'Zürich', '1'];
  const piece = (rand: Random): string => {
    let s = '';
    for (let p = 1 + rand.int(4); p > 0; p--) s += APOSTROPHES[rand.int(APOSTROPHES.length)];
    return s;
  };
  /** Async chunks of a few characters, so that a record and an escape are cut between them. */
  async function* chunks(text: string, size: number): AsyncGenerator<string> {
    for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
  }

  it("on 1,000 random tables written by csv-stringify with quote \"'\", read whole and in small chunks", async () => {
    const rand = createRandom(4242);
    let escapedQuote = 0, escapedEscape = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const width = 1 + rand.int(3), n = 1 + rand.int(6);
      const names = Array.from({ length: width }, (_, j) => `${piece(rand)}${j}`);
      const rows = Array.from({ length: n }, () => names.map(() => piece(rand)));
      const dialect = DIALECTS[trial % DIALECTS.length];
      const options = { quote: "'", escape: '"', delimiter: dialect.delimiter };
      const text = stringify([names, ...rows], { ...options, ...(dialect.eol === '\n' ? {} : { record_delimiter: dialect.eol, quote_record_delimiter: true }) });
      if (/'[^\n]*"'/.test(text)) escapedQuote++;
      if (/'[^\n]*""/.test(text)) escapedEscape++;
      const expected = parse(text, { ...options, skip_empty_lines: true }) as string[][];
      expect(expected).toEqual([names, ...rows]);
      const types = Object.fromEntries(names.map((name) => [name, 'string' as const]));
      for (const source of [text, chunks(text, 1 + (trial % 7))]) {
        const table = await readCsv(source, { quote: "'", delimiter: dialect.delimiter, types, nullValues: [] });
        const got = [table.schema.fields.map((f) => f.name), ...Array.from({ length: table.numRows }, (_, i) => names.map((_, j) => table.getChildAt(j)!.get(i) as string))];
        expect(got, `table ${trial}: ${JSON.stringify(text)}`).toEqual(expected);
      }
    }
    expect(escapedQuote).toBeGreaterThan(300);
    expect(escapedEscape).toBeGreaterThan(300);
  });

  it('reads `""` inside a quoted field as one \'"\', also right before the closing quote, and `\'\'` as "\'"', async () => {
    const table = await readCsv('note,n\n\'it"\'s ""x""\',1\n\'ends in ""\',2\n\'a""b\',3\n\'it\'\'s\',4\n', { quote: "'" });
    expect([...table.getChild('note')!]).toEqual(['it\'s "x"', 'ends in "', 'a"b', "it's"]);
    expect([...table.getChild('n')!]).toEqual([1, 2, 3, 4]);
  });
});

describe('round trips', () => {
  it('a one-column table with empty cells and nulls keeps every row', async () => {
    const table = new Table({ email: vectorFromArray(['a@x.org', null, '', 'b@y.org', null], new Utf8()) });
    const text = writeCsv(table);
    expect(text).toBe('email\na@x.org\n""\n""\nb@y.org\n""\n');
    const back = await readCsv(text);
    expect(back.numRows).toBe(5);
    expect([...back.getChild('email')!]).toEqual(['a@x.org', null, null, 'b@y.org', null]);
  });
});
