import { SegkitError } from '../util/errors.js';
import { fromArrow, fromColumns, isArrowTable, toDataset, type DataInput, type Dataset } from '../data/dataset.js';

/** Whether names are the ones a Dataset gets when none are given (x0, x1, ...): the columns then go by position. */
const positional = (names: readonly string[]): boolean => names.every((name, j) => name === `x${j}`);

/** The columns of rows or of `{ columns }` given without names (they take the model's, so errors name them), else -1. */
function unnamedWidth(data: DataInput): number {
  if (Array.isArray(data)) return Array.isArray(data[0]) ? (data[0] as unknown[]).length : -1;
  const c = data as { columns?: unknown; names?: unknown; n?: unknown };
  return c && typeof c === 'object' && Array.isArray(c.columns) && c.names === undefined && c.n === undefined ? c.columns.length : -1;
}

/**
 * Rows for a fitted model, checked against its features: Arrow tables and named datasets matched by column name
 * (columns in another order are put in the model's), rows and unnamed datasets (or a model fitted on unnamed data)
 * by position. `fn`, when given, leads the mismatch message (the models that name their method there).
 */
export function datasetFor(data: DataInput, featureNames: readonly string[], fn?: string): Dataset {
  const lead = fn ? `${fn}: ` : '';
  const ds = isArrowTable(data) ? fromArrow(data, { columns: featureNames }) : toDataset(data, unnamedWidth(data) === featureNames.length ? { names: featureNames } : {});
  const names = ds.names;
  // named columns go by name, so a dataset may carry more columns than the model reads, as a table may; a model
  // fitted on unnamed columns (x0, x1, ...) reads data by those names when it has them all (x1, x0 is not x0, x1)
  const byName = !positional(names) && (!positional(featureNames) || featureNames.every((name) => names.includes(name)));
  if (!byName && ds.d !== featureNames.length) {
    throw new SegkitError('E_SHAPE_MISMATCH', `${lead}the data has ${ds.d} features, the model was fitted on ${featureNames.length} (${featureNames.join(', ')})`);
  }
  if (names.length === featureNames.length && names.every((name, j) => name === featureNames[j])) return ds;
  // unnamed columns, by position, take the model's names
  if (!byName) return positional(featureNames) ? ds : fromColumns({ columns: ds.columns, names: featureNames });
  const at = new Map(names.map((name, j) => [name, j]));
  const missing = featureNames.find((name) => !at.has(name));
  if (missing !== undefined) {
    throw new SegkitError(
      'E_MISSING_COLUMN',
      `${lead}the data has no column "${missing}", which the model reads (the data's columns: ${names.join(', ')}; the model's: ${featureNames.join(', ')})`,
      'name the columns as the model does, or give them without names to match them by position',
    );
  }
  return fromColumns({ columns: featureNames.map((name) => ds.columns[at.get(name)!]), names: featureNames });
}
