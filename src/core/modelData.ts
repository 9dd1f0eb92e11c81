import { SegkitError } from '../util/errors.js';
import { fromArrow, isArrowTable, toDataset, type DataInput, type Dataset } from '../data/dataset.js';

/**
 * Rows for a fitted model: Arrow tables matched by column name, other inputs by position, checked against its features.
 * `fn`, when given, leads the mismatch message (the models that name their method there).
 */
export function datasetFor(data: DataInput, featureNames: readonly string[], fn?: string): Dataset {
  const ds = isArrowTable(data) ? fromArrow(data, { columns: featureNames }) : toDataset(data);
  if (ds.d !== featureNames.length) {
    throw new SegkitError('E_SHAPE_MISMATCH', `${fn ? `${fn}: ` : ''}the data has ${ds.d} features, the model was fitted on ${featureNames.length} (${featureNames.join(', ')})`);
  }
  return ds;
}
