import { Float64, type Table } from 'apache-arrow';
import { dataFromValues, singleChunk, tableFromColumns } from '../data/arrowTable.js';
import { UsageError } from './exitCodes.js';

/** The --proba column of each segment: `<column>_proba_<id>`. */
export const probaColumnNames = (column: string, k: number): string[] => Array.from({ length: k }, (_, t) => `${column}_proba_${t}`);

/** A usage error when the input already has a column --proba would add. */
export function checkProbaColumns(table: Table, column: string, k: number, input: string): void {
  const taken = new Set(table.schema.fields.map((f) => f.name));
  for (const name of probaColumnNames(column, k)) {
    if (taken.has(name)) throw new UsageError(`--proba: ${input} already has a column "${name}"; choose another --segment-column`);
  }
}

/** Membership probabilities of the table's rows (row-major rows x k; null where a row has none), as k more columns. */
export function withProbabilities(table: Table, proba: Float64Array, k: number, column: string): Table {
  const n = table.numRows;
  const fields = table.schema.fields;
  const data = fields.map((_, j) => singleChunk(table.getChildAt(j)!));
  const cols = Array.from({ length: k }, (_, t) => {
    const values = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const v = proba[i * k + t];
      values[i] = Number.isNaN(v) ? null : v;
    }
    return dataFromValues(values, new Float64());
  });
  return tableFromColumns([...fields.map((f) => f.name), ...probaColumnNames(column, k)], [...data, ...cols], table.schema.metadata);
}
