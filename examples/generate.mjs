// Regenerates the sample data in this folder from the seeded generators:
//   npm run build && node examples/generate.mjs [outDir]
// customers.csv: 2,000 customers; transactions.csv: their purchases; events.csv: the web events of the first 200.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import { sampleCustomers, sampleEvents, sampleTransactions } from '../dist/sample/index.js';

const SEED = 7;
const outDir = process.argv[2] ?? fileURLToPath(new URL('.', import.meta.url));

// Write beside the target and rename, so a reader never sees a half-written file.
function writeCsv(name, table, dateColumns = []) {
  const fields = table.schema.fields.map((f) => f.name);
  const vectors = fields.map((f) => table.getChild(f));
  const rows = [fields];
  for (let i = 0; i < table.numRows; i++) {
    rows.push(vectors.map((v, j) => {
      const value = v.get(i);
      return dateColumns.includes(fields[j]) && value != null ? new Date(value).toISOString() : value;
    }));
  }
  const path = join(outDir, name);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(rows));
  renameSync(tmp, path);
  console.log(`${path}: ${table.numRows} rows`);
}

const customers = sampleCustomers({ n: 2000, seed: SEED });
writeCsv('customers.csv', customers);
writeCsv('transactions.csv', sampleTransactions(customers, { seed: SEED }), ['date']);
writeCsv('events.csv', sampleEvents(customers.slice(0, 200), { seed: SEED }), ['timestamp']);
