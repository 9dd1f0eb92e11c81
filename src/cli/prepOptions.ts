import type { Table } from 'apache-arrow';
import { type Command, Option } from 'commander';
import { TABLE_FORMATS, type TableFormat } from '../data/tableFormat.js';
import { inspectTable } from '../prep/frame.js';
import type { PipelineOptions } from '../prep/pipeline.js';
import { UsageError } from './exitCodes.js';
import { IMPUTE_CHOICES, SCALE_CHOICES, columnList, encodeValue, finiteNumber } from './optionParsers.js';
import { inputName, requireColumn } from './readInput.js';

/** The feature-preparation flags shared by segment, evaluate and choose-k. */
export interface PrepFlags {
  readonly columns?: string[];
  readonly exclude?: string[];
  readonly id?: string;
  readonly scale: string;
  readonly impute: string;
  readonly fillValue?: number;
  readonly encode: 'auto' | false | string[];
}

export function addFormatOption(cmd: Command): Command {
  return cmd.addOption(new Option('--format <format>', 'input format when the extension does not tell (stdin "-" is CSV)').choices(TABLE_FORMATS));
}

export function formatFlag(flags: { format?: string }): TableFormat | undefined {
  return flags.format as TableFormat | undefined;
}

export function addPrepOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--columns <list>', 'feature columns, comma-separated (default: every numeric column but the id)').argParser(columnList))
    .addOption(new Option('--exclude <list>', 'columns never used as features, comma-separated').argParser(columnList))
    .option('--id <column>', 'customer id column, never a feature (default: the first column named like id, customer_id, customerId)')
    .addOption(new Option('--scale <method>', 'feature scaling').choices(Object.keys(SCALE_CHOICES)).default('standard'))
    .addOption(new Option('--impute <strategy>', 'fill missing values').choices(Object.keys(IMPUTE_CHOICES)).default('median'))
    .addOption(new Option('--fill-value <number>', 'the value --impute constant fills in').argParser(finiteNumber))
    .addOption(new Option('--encode <auto|none|list>', 'one-hot encode text columns: auto (text columns with few values), none, or a list').argParser(encodeValue).default(false, 'none'));
}

/**
 * Pipeline options from the flags, after checking that every column they name is in the table, so a typo is a
 * usage error naming the flag and the file rather than a failure deep in the fit. `alsoExclude` keeps label
 * columns out of the features.
 */
export function pipelineOptions(flags: PrepFlags, table: Table, path: string, alsoExclude: readonly string[] = []): PipelineOptions {
  for (const name of flags.columns ?? []) requireColumn(table, name, '--columns', path);
  for (const name of flags.exclude ?? []) requireColumn(table, name, '--exclude', path);
  if (flags.id !== undefined) requireColumn(table, flags.id, '--id', path);
  const encodeList = Array.isArray(flags.encode) ? flags.encode : [];
  for (const name of encodeList) requireColumn(table, name, '--encode', path);
  if (flags.fillValue !== undefined && flags.impute !== 'constant') throw new UsageError(`--fill-value only applies with --impute constant (got --impute ${flags.impute})`);
  const types = new Map(inspectTable(table).fields.map((f) => [f.name, f.type]));
  for (const name of flags.columns ?? []) {
    if (alsoExclude.includes(name)) throw new UsageError(`--columns: column "${name}" holds the labels and cannot also be a feature`);
    const type = types.get(name);
    if (type === 'categorical' && flags.encode !== 'auto' && !encodeList.includes(name)) {
      throw new UsageError(`--columns: column "${name}" in ${inputName(path)} holds text; list it in --encode to one-hot encode it`);
    }
    if (type === 'other') throw new UsageError(`--columns: column "${name}" in ${inputName(path)} holds neither numbers nor text (dates, or only empty cells)`);
  }
  const scale = SCALE_CHOICES[flags.scale];
  const impute = IMPUTE_CHOICES[flags.impute];
  const exclude = [...new Set([...(flags.exclude ?? []), ...alsoExclude])];
  return {
    ...(flags.columns ? { columns: flags.columns } : {}),
    ...(exclude.length > 0 ? { exclude } : {}),
    ...(flags.id !== undefined ? { id: flags.id } : {}),
    scale: scale === false ? false : { method: scale },
    impute: impute === false ? false : { strategy: impute, ...(flags.fillValue !== undefined ? { fillValue: flags.fillValue } : {}) },
    encode: flags.encode,
  };
}
