import { DataType, Float64, Int32, type Table, type Vector, vectorFromArray } from 'apache-arrow';
import { SegkitError, badOption } from '../util/errors.js';
import { tableFromColumns } from './arrowTable.js';

export type AggregateOp = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'distinct' | 'first' | 'last';

export const AGGREGATE_OPS: readonly AggregateOp[] = Object.freeze(['count', 'sum', 'mean', 'min', 'max', 'distinct', 'first', 'last']);

export interface Aggregation {
  /** The log column to aggregate; optional for "count", which then counts rows. */
  readonly column?: string;
  /**
   * count: non-null values (rows without a column); sum, mean, min, max: over non-null values (null when there are none);
   * distinct: distinct non-null values; first, last: the value in the customer's first or last row, in log order.
   */
  readonly op: AggregateOp;
}

export interface AggregateByCustomerOptions {
  /** The customer key column of the log. */
  readonly key: string;
  /** Output column name -> aggregation. */
  readonly aggregations: Readonly<Record<string, Aggregation>>;
}

const ROW = '\u0000segkit_row';

const ref = (name: string) => `d[${JSON.stringify(name)}]`;

function expression(agg: Aggregation): string {
  const c = agg.column === undefined ? '' : ref(agg.column);
  switch (agg.op) {
    case 'count':
      return agg.column === undefined ? 'd => op.count()' : `d => op.valid(${c})`;
    case 'distinct':
      // arquero counts null as one more distinct value; SQL's COUNT(DISTINCT) does not
      return `d => op.distinct(${c}) - (op.valid(${c}) < op.count() ? 1 : 0)`;
    case 'first':
      return `d => op.min(${ref(ROW)})`;
    case 'last':
      return `d => op.max(${ref(ROW)})`;
    default:
      return `d => op.${agg.op}(${c})`;
  }
}

/**
 * Aggregates an event or transaction log to one row per customer with arquero: the key column first
 * (customers in order of first appearance; rows without a key are dropped), then one column per aggregation.
 * count and distinct are Int32, sum and mean Float64, and min, max, first and last keep the column's type.
 * @example
 * const perCustomer = await aggregateByCustomer(orders, {
 *   key: 'customer_id',
 *   aggregations: { orders: { op: 'count' }, spend: { column: 'amount', op: 'sum' }, lastOrder: { column: 'date', op: 'max' } },
 * });
 */
export async function aggregateByCustomer(log: Table, options: AggregateByCustomerOptions): Promise<Table> {
  // arquero is loaded on first use: importing segkit stays light, as edge functions' cold starts need
  const aq = await import('arquero');
  if (!options || typeof options.key !== 'string' || options.key === '') throw badOption('key', options?.key, 'the name of the customer key column');
  const { key, aggregations } = options;
  if (!aggregations || typeof aggregations !== 'object' || Object.keys(aggregations).length === 0) {
    throw badOption('aggregations', aggregations, 'an object of output name -> { column, op }');
  }
  const available = log.schema.fields.map((f) => f.name);
  const column = (name: string, what: string): Vector => {
    const vector = log.getChild(name);
    if (!vector) throw new SegkitError('E_MISSING_COLUMN', `${what} names column "${name}", which the log does not have`, `it has: ${available.join(', ')}`);
    return vector;
  };
  const keyVector = column(key, 'option "key"');
  const outputs = Object.entries(aggregations);
  const used = new Set<string>([key]);
  for (const [out, agg] of outputs) {
    if (out === key) throw badOption(`aggregations.${out}`, out, 'a name other than the key column');
    if (!agg || typeof agg !== 'object' || !AGGREGATE_OPS.includes(agg.op)) {
      throw badOption(`aggregations.${out}.op`, agg?.op, `one of ${AGGREGATE_OPS.join(', ')}`);
    }
    if (agg.column === undefined) {
      if (agg.op !== 'count') throw badOption(`aggregations.${out}.column`, agg.column, `a column name (op "${agg.op}" needs one)`);
      continue;
    }
    if (typeof agg.column !== 'string') throw badOption(`aggregations.${out}.column`, agg.column, 'a column name');
    const vector = column(agg.column, `aggregation "${out}"`);
    const type = vector.type as DataType;
    if ((agg.op === 'sum' || agg.op === 'mean') && !DataType.isInt(type) && !DataType.isFloat(type)) {
      throw new SegkitError('E_NON_NUMERIC', `aggregation "${out}" takes the ${agg.op} of column "${agg.column}", which has type ${String(type)}, not a number type`);
    }
    used.add(agg.column);
  }

  const rows = Int32Array.from({ length: log.numRows }, (_, i) => i);
  // arquero's ArrowTable type says getChild never returns null; apache-arrow's allows it, and every name here exists
  const arrow = log as unknown as Parameters<typeof aq.fromArrow>[0];
  let all = aq.fromArrow(arrow, { columns: [...used] }).assign({ [ROW]: rows });
  // A dictionary key is grouped by its decoded values: arquero groups dictionary codes in dictionary order,
  // with a group for every entry, used or not.
  if (DataType.isDictionary(keyVector.type)) all = all.assign({ [key]: Array.from(keyVector, (v) => v ?? null) });
  // Rows without a key are dropped through a mask: arquero rewrites `key != null` on a dictionary column
  // without nulls to false, which dropped every row.
  const base = keyVector.nullCount === 0 ? all : all.filter(aq.escape((d: Record<string, number>) => keyVector.isValid(d[ROW])));
  const grouped = base
    .groupby(key)
    .rollup(Object.fromEntries(outputs.map(([, agg], j) => [`a${j}`, expression(agg)])));

  const names = [key];
  const columns = [vectorFromArray(Array.from(grouped.array(key) as ArrayLike<unknown>, nullish), keyVector.type).data[0]];
  outputs.forEach(([out, agg], j) => {
    const values = Array.from(grouped.array(`a${j}`) as ArrayLike<unknown>, nullish);
    names.push(out);
    let vector: Vector;
    if (agg.op === 'count' || agg.op === 'distinct') vector = vectorFromArray(values, new Int32());
    else if (agg.op === 'sum' || agg.op === 'mean') vector = vectorFromArray(values.map(toNumber), new Float64());
    else {
      const source = log.getChild(agg.column!)!;
      const picked = agg.op === 'first' || agg.op === 'last' ? values.map((r) => (r === null ? null : nullish(source.get(r as number)))) : values;
      vector = vectorFromArray(picked, source.type);
    }
    columns.push(vector.data[0]);
  });
  return tableFromColumns(names, columns);
}

// arquero marks a missing aggregate (no non-null values) as undefined; Arrow builders only take null
const nullish = (v: unknown): unknown => (v === undefined ? null : v);

const toNumber = (v: unknown): number | null => (v === null ? null : Number(v));
