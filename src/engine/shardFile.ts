import { DataType, Field, Float32, Float64, Int32, makeData, Precision, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, type Data } from '#arrow';
import { SegkitError } from '../util/errors.js';
import type { AnyTypedArray } from '../kernels/shard.js';

/** One shard's rows as stored: float columns x0..x(d-1), then per-row inputs as `row.<name>` columns. */
export interface ShardRows {
  readonly columns: readonly (Float32Array | Float64Array)[];
  readonly inputs: Readonly<Record<string, AnyTypedArray>>;
}

const INPUT = 'row.';
const typeFor = (a: AnyTypedArray): DataType => (a instanceof Float32Array ? new Float32() : a instanceof Float64Array ? new Float64() : new Int32());

/** A shard as an Arrow IPC file (the stored form any Arrow reader opens). */
export function encodeShard(rows: ShardRows): Uint8Array {
  const named: [string, AnyTypedArray][] = [
    ...rows.columns.map((c, j): [string, AnyTypedArray] => [`x${j}`, c]),
    ...Object.entries(rows.inputs).map(([k, a]): [string, AnyTypedArray] => [INPUT + k, a]),
  ];
  const data = named.map(([, a]) => makeData({ type: typeFor(a), length: a.length, nullCount: 0, data: a } as never) as Data);
  const fields = named.map(([name], j) => new Field(name, data[j].type, false));
  const schema = new Schema(fields);
  const length = named[0]?.[1].length ?? 0;
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: data });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'file');
}

/** Expected shape of a stored shard. */
export interface ShardShape {
  readonly rows: number;
  readonly d: number;
  readonly dtype: 'f32' | 'f64';
  /** Per-row inputs by name and element type. */
  readonly inputs: readonly (readonly [string, 'f32' | 'f64' | 'i32'])[];
}

/** Reads a shard file back, checking it has exactly the expected columns, types and rows; `what` names it in errors. */
export function decodeShard(bytes: Uint8Array, shape: ShardShape, what: string): ShardRows {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new SegkitError('E_EXECUTOR', `${what} is corrupt: not an Arrow IPC file (${e instanceof Error ? e.message : String(e)})`);
  }
  const bad = (why: string): never => { throw new SegkitError('E_EXECUTOR', `${what} is corrupt: ${why}`); };
  if (table.numRows !== shape.rows) bad(`${table.numRows} rows, expected ${shape.rows}`);
  const want = [...Array.from({ length: shape.d }, (_, j): [string, string] => [`x${j}`, shape.dtype]), ...shape.inputs.map(([k, t]): [string, string] => [INPUT + k, t])];
  const fields = table.schema.fields;
  if (fields.length !== want.length) bad(`${fields.length} columns, expected ${want.length}`);
  const values = want.map(([name, type], j) => {
    const f = fields[j];
    const t = DataType.isFloat(f.type) ? ((f.type as Float32).precision === Precision.DOUBLE ? 'f64' : (f.type as Float32).precision === Precision.SINGLE ? 'f32' : '?') : DataType.isInt(f.type) && (f.type as Int32).bitWidth === 32 && (f.type as Int32).isSigned ? 'i32' : '?';
    if (f.name !== name || t !== type) bad(`column ${j} is "${f.name}" (${t}), expected "${name}" (${type})`);
    const col = table.getChildAt(j)!;
    if (col.nullCount > 0) bad(`column "${name}" has nulls`);
    return col.toArray() as AnyTypedArray;
  });
  return {
    columns: values.slice(0, shape.d) as (Float32Array | Float64Array)[],
    inputs: Object.fromEntries(shape.inputs.map(([k], q) => [k, values[shape.d + q]])),
  };
}
