/** Cells that mean "no value" in exported files; with the empty cell, the readers' default nullValues. */
export const MISSING_TOKENS: readonly string[] = Object.freeze(['NA', 'N/A', 'n/a', 'null', 'NULL', 'NaN', '-', '?']);
