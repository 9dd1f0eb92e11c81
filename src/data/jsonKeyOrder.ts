// The order of the keys of JSON records as the text gives it, loaded where a JSON table has a column named like an
// array index ("2024"): JSON.parse puts such keys before every other key of an object, so the readers' columns
// would not be in the file's order (pandas.read_json keeps it).
import type { Table } from '#arrow';

/**
 * The keys of the objects at nesting `depth` of each text (1: the record of an NDJSON line; 2: the records of an
 * array), in their first appearance; with `under`, only those of the object that is the value of that key of the
 * top-level object (the columns layout's "columns").
 */
function keyOrder(texts: readonly string[], depth: number, under: string | undefined, columns: number): string[] {
  const seen = new Set<string>();
  for (const text of texts) {
    // every column met: the order is known, the rest of the text need not be read
    if (seen.size >= columns) break;
    let level = 0;
    let active = under === undefined;
    let outerKey: string | undefined;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        // a string, to its closing quote past escaped characters: a key when a colon follows it
        const start = i;
        for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
        let k = i + 1;
        while (k < text.length && text.charCodeAt(k) <= 32) k++;
        if (text.charCodeAt(k) !== 58) continue;
        const token = text.slice(start, i + 1);
        const key = token.includes('\\') ? (JSON.parse(token) as string) : token.slice(1, -1);
        if (level === 1) outerKey = key;
        if (level === depth && active && seen.add(key).size >= columns) break;
      } else if (c === 123 || c === 91) {
        level++;
        if (under !== undefined && level === 2) active = c === 123 && outerKey === under;
      } else if (c === 125 || c === 93) level--;
    }
  }
  return [...seen];
}

/**
 * `table` with its columns in the order their keys first appear in `texts` (see keyOrder); a column the texts do not
 * name keeps its place after them.
 */
export function inTextOrder(table: Table, texts: readonly string[], depth: number, under?: string): Table {
  const names = table.schema.fields.map((f) => f.name);
  const order = keyOrder(texts, depth, under, names.length).filter((name) => names.includes(name));
  const rest = names.filter((name) => !order.includes(name));
  return table.select([...order, ...rest]);
}
