import type { Table } from 'apache-arrow';
import { parse } from 'csv-parse';
import type { ByteSource } from './byteSource.js';
import { type CsvRecordsOptions, csvRecordsWith } from './csvCore.js';

/** `csvRecords` bound to csv-parse's Node build, which parses about three times faster in Node. */
export function csvRecords(input: ByteSource, options: CsvRecordsOptions = {}): AsyncGenerator<Table> {
  return csvRecordsWith((o) => parse(o), input, options);
}
