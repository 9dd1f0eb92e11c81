import { SegkitError, badOption } from '../util/errors.js';

export type TableFormat = 'csv' | 'tsv' | 'json' | 'ndjson' | 'arrow' | 'parquet';

export const TABLE_FORMATS: readonly TableFormat[] = Object.freeze(['csv', 'tsv', 'json', 'ndjson', 'arrow', 'parquet']);

const BY_EXTENSION: Readonly<Record<string, TableFormat>> = Object.freeze({
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  arrow: 'arrow',
  feather: 'arrow',
  ipc: 'arrow',
  arrows: 'arrow',
  parquet: 'parquet',
  pq: 'parquet',
});

/** The format named by `format`, else by the path's extension ("-" means CSV unless told). */
export function tableFormat(path: string, format: unknown): TableFormat {
  if (format !== undefined) {
    if (!TABLE_FORMATS.includes(format as TableFormat)) throw badOption('format', format, `one of ${TABLE_FORMATS.join(', ')}`);
    return format as TableFormat;
  }
  if (path === '-') return 'csv';
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  const ext = m ? m[1].toLowerCase() : '';
  const found = Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext] : undefined;
  if (!found) {
    throw new SegkitError(
      'E_BAD_OPTION',
      `cannot tell the format of "${path}" from its extension`,
      `use .csv, .tsv, .json, .ndjson, .jsonl, .arrow, .feather, .ipc or .parquet, or pass format`,
    );
  }
  return found;
}
