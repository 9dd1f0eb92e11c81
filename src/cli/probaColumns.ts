import { Float64, type Table } from '#arrow';
import { dataFromValues, tableWithColumns } from '../data/arrowTable.js';
import { columnNames } from './withSegments.js';
import { isProba } from '../prep/segkitColumns.js';

/** The --proba column of each segment: `<column>_proba_<id>`. */
export const probaColumnNames = (column: string, k: number): string[] => Array.from({ length: k }, (_, t) => `${column}_proba_${t}`);

/** The input's probability columns (segkit's own --proba output, read back): the new ones replace them. */
export function replacedProbaColumns(table: Table | readonly string[], column: string): string[] {
  return columnNames(table).filter((name) => isProba(name, column));
}

/** The table without earlier probability columns of `column` (they describe another segmentation). */
export function withoutProbabilities(table: Table, column: string): Table {
  const fields = table.schema.fields.map((f, j) => ({ name: f.name, j })).filter((f) => !isProba(f.name, column));
  if (fields.length === table.schema.fields.length) return table;
  return tableWithColumns(table, fields.map((f) => f.j), fields.map((f) => f.name), []);
}

/**
 * The table (less any old probability columns) followed by each row's membership probability of every segment
 * (row-major rows x k; NaN, written as null, for a row without a segment).
 */
export function withProbabilities(table: Table, proba: Float64Array, k: number, column: string): Table {
  const n = table.numRows;
  const fields = table.schema.fields.map((f, j) => ({ name: f.name, j })).filter((f) => !isProba(f.name, column));
  const cols = Array.from({ length: k }, (_, t) => {
    const values = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const v = proba[i * k + t];
      values[i] = Number.isNaN(v) ? null : v;
    }
    return dataFromValues(values, new Float64());
  });
  return tableWithColumns(table, fields.map((f) => f.j), [...fields.map((f) => f.name), ...probaColumnNames(column, k)], cols);
}
