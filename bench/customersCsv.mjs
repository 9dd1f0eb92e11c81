// Writes a seeded customer-like CSV for the end-to-end benchmarks: a UUID id and 16 features (log-normal spend,
// counts, rates, flags, a few missing cells), about 120 bytes a row.
// Usage: node bench/customersCsv.mjs [rows] [file]   (default 1000000 rows, bench/.data/customers-<rows>.csv)
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '../dist/util/random.js';

export const FEATURES = [
  'recency_days', 'frequency', 'monetary', 'avg_order_value', 'tenure_days', 'sessions', 'page_views', 'email_open_rate',
  'click_rate', 'returns', 'discount_share', 'support_tickets', 'has_app', 'newsletter', 'age', 'income',
];

/** The default file of `rows` rows (in bench/.data, ignored by git). */
export function customersFile(rows) {
  return join(dirname(fileURLToPath(import.meta.url)), '.data', `customers-${rows}.csv`);
}

const HEX = '0123456789abcdef';

// a version-4-shaped UUID from the seeded stream, as CRM exports carry them
function uuid(rng) {
  let s = '';
  for (let k = 0; k < 32; k++) {
    s += HEX[k === 12 ? 4 : k === 16 ? 8 + rng.int(4) : rng.int(16)];
    if (k === 7 || k === 11 || k === 15 || k === 19) s += '-';
  }
  return s;
}

function row(rng) {
  const activity = Math.exp(rng.normal() * 0.8);
  const frequency = Math.max(1, Math.round(activity * 6 + rng.next() * 3));
  const aov = Math.exp(3.6 + rng.normal() * 0.6);
  const monetary = frequency * aov * (0.8 + rng.next() * 0.4);
  const recency = Math.min(730, Math.round(-Math.log(1 - rng.next()) * 90 / activity));
  const tenure = recency + Math.round(rng.next() * 2500);
  const sessions = Math.round(activity * 20 * (0.5 + rng.next()));
  const pageViews = Math.round(sessions * (2 + rng.next() * 6));
  const open = Math.min(1, Math.max(0, 0.25 + rng.normal() * 0.15));
  const click = open * rng.next() * 0.4;
  const returns = rng.next() < 0.7 ? 0 : Math.round(rng.next() * frequency * 0.3);
  const discount = rng.next() ** 2;
  const tickets = rng.next() < 0.8 ? 0 : 1 + rng.int(5);
  const app = rng.next() < 0.35 ? 1 : 0;
  const news = rng.next() < 0.5 ? 1 : 0;
  // missing cells: about 2% of ages and 5% of incomes, as CRM exports have them
  const age = rng.next() < 0.02 ? '' : String(18 + Math.round(Math.min(62, Math.abs(rng.normal() * 14 + 24))));
  const income = rng.next() < 0.05 ? '' : String(Math.round(Math.exp(10.6 + rng.normal() * 0.5) / 100) * 100);
  return `${uuid(rng)},${recency},${frequency},${monetary.toFixed(2)},${aov.toFixed(2)},${tenure},${sessions},${pageViews},` +
    `${open.toFixed(6)},${click.toFixed(6)},${returns},${discount.toFixed(6)},${tickets},${app},${news},${age},${income}\n`;
}

/** Writes the CSV (seed 1) unless `file` exists with the right size marker; returns the path. */
export async function writeCustomers(rows, file = customersFile(rows)) {
  mkdirSync(dirname(file), { recursive: true });
  await new Promise((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('error', reject);
    const rng = createRandom(1);
    let i = 0;
    out.write(`customer_id,${FEATURES.join(',')}\n`);
    const pump = () => {
      while (i < rows) {
        let chunk = '';
        for (let r = 0; r < 5000 && i < rows; r++, i++) chunk += row(rng);
        if (!out.write(chunk)) return out.once('drain', pump);
      }
      out.end(resolve);
    };
    pump();
  });
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const file = await writeCustomers(rows, process.argv[3] ?? customersFile(rows));
  console.log(file);
}
