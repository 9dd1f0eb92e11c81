import type { Table } from 'apache-arrow';
import { parse } from 'csv-parse';
import type { ByteSource } from './byteSource.js';
import { type ReadCsvOptions, readCsvWith } from './csvCore.js';

/** `readCsv` bound to csv-parse's Node build, which uses native Buffers and parses about three times faster in Node. */
export function readCsv(input: ByteSource, options: ReadCsvOptions = {}): Promise<Table> {
  return readCsvWith((o) => parse(o), input, options);
}
