import { DataType, type Table } from '#arrow';
import { readTable } from '../data/readTable.node.js';
import type { TableFormat } from '../data/tableFormat.js';
import { readerOptions } from './readInput.js';
import type { RunContext } from './runContext.js';
import { tableWithColumns } from '../data/arrowTable.js';
import { ColumnBuilder, type ColumnType } from '../data/columnBuilder.js';
import { csvInfo } from '../data/csvCore.js';
import { SegkitError, describe } from '../util/errors.js';

/**
 * The types of columns read as written (text, a missing-value token kept as its text), inferred for Arrow, Parquet
 * and JSON output as the streamed CSV reader infers them: from the first batch, then fixed. A column that is text
 * keeps its cells as written (`NA` for Namibia stays "NA"); a column of numbers, booleans or dates reads the tokens
 * as missing, as the reader does.
 */
export class KeptTypes {
  private frozen: Record<string, ColumnType> | undefined;
  // columns read as text because the first batch held no value there, until a value shows they are text
  private readonly pending = new Set<string>();

  constructor(private readonly nulls: ReadonlySet<string>, private readonly decimal: '.' | ',') {}

  /** `table` with its columns named in `names` (text as written) given their types. */
  typed(table: Table, names: readonly string[], what: string, before: number): Table {
    const fields = table.schema.fields;
    const frozen = this.frozen;
    const types: Record<string, ColumnType> = Object.create(null);
    const replaced = new Map<number, ReturnType<ColumnBuilder['finish']>>();
    for (const name of names) {
      const j = fields.findIndex((f) => f.name === name);
      const column = table.getChildAt(j);
      if (column && this.pending.has(name)) this.confirmText(column, name, table, what, before);
      if (!column || frozen?.[name] === 'string') continue;
      const builder = new ColumnBuilder(name, frozen?.[name], true, this.decimal, frozen !== undefined);
      for (let i = 0; i < table.numRows; i++) {
        const text = column.get(i) as string | null;
        if (text === null || this.nulls.has(text)) {
          builder.pushNull();
          continue;
        }
        const reason = builder.pushText(text);
        if (reason !== undefined) {
          const line = csvInfo(table)?.line(i) ?? before + i + 2;
          throw new SegkitError(
            'E_PARSE',
            `${what}: line ${line}, column "${name}": ${describe(text)} ${reason}`,
            `the type was inferred as ${frozen?.[name]} from the first batch: CSV output keeps the columns the model does not read as written, or a larger --batch-size infers the type from more rows`,
          );
        }
      }
      const type = builder.inferredType();
      types[name] = type === 'integer' ? 'number' : type;
      if (frozen === undefined && builder.length === builder.nullCount) this.pending.add(name);
      if (type !== 'string') replaced.set(j, builder.finish({ float32: false, integers: false }));
    }
    this.frozen ??= types;
    if (replaced.size === 0) return table;
    const keep = fields.map((_, j) => j).filter((j) => !replaced.has(j));
    const order = [...keep, ...replaced.keys()];
    const out = tableWithColumns(table, keep, order.map((j) => fields[j].name), [...replaced.values()]);
    // the columns in the input's order
    return out.select(fields.map((f) => f.name));
  }

  /**
   * The first value of a column typed as text for want of values in the first batch: text makes it text for good (as
   * reading the file whole would); a number, boolean or date is an error, since the file read whole would type the
   * column by it.
   */
  private confirmText(column: { get(i: number): unknown }, name: string, table: Table, what: string, before: number): void {
    for (let i = 0; i < table.numRows; i++) {
      const text = column.get(i) as string | null;
      if (text === null || this.nulls.has(text)) continue;
      const probe = new ColumnBuilder(name, undefined, true, this.decimal);
      const type = probe.pushText(text) === undefined ? probe.inferredType() : 'string';
      if (type === 'string') {
        this.pending.delete(name);
        return;
      }
      const kind = type === 'integer' ? 'number' : type;
      const line = csvInfo(table)?.line(i) ?? before + i + 2;
      throw new SegkitError(
        'E_PARSE',
        `${what}: line ${line}, column "${name}": ${describe(text)} is a ${kind}, but the column holds no value in the first batch, from which its type was inferred as text`,
        'CSV output keeps the columns the model does not read as written, or a larger --batch-size infers the type from more rows',
      );
    }
  }
}

/**
 * `table` (read whole from the CSV or TSV file `path`) with its text columns outside `features` that hold missing
 * cells read again as written: a missing-value token there is text (`NA` for Namibia), only an empty cell missing.
 * Only such columns are read again, and only when there are some.
 */
export async function textAsWritten(table: Table, path: string, format: TableFormat, ctx: RunContext, features: ReadonlySet<string>): Promise<Table> {
  const fields = table.schema.fields;
  const names = fields.filter((f) => DataType.isUtf8(f.type) && !features.has(f.name) && table.getChild(f.name)!.nullCount > 0).map((f) => f.name);
  if (names.length === 0) return table;
  const types = Object.fromEntries(names.map((c) => [c, 'string' as const]));
  const again = await readTable(path, { format, ...readerOptions(format, ctx.read), types, asWritten: names, threads: ctx.threads, signal: ctx.signal });
  const columns = names.map((c) => again.getChild(c)!.data);
  if (again.numRows !== table.numRows || columns.some((d) => d.length !== 1)) return table;
  const keep = fields.map((_, j) => j).filter((j) => !names.includes(fields[j].name));
  return tableWithColumns(table, keep, [...keep.map((j) => fields[j].name), ...names], columns.map((d) => d[0])).select(fields.map((f) => f.name));
}
