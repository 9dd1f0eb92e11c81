// RFM over a synthetic transaction log of N rows, in a fresh process so the peak memory is its own.
import { tableFromArrays } from 'apache-arrow';
import { rfm, createRandom } from '../dist/index.node.js';

const n = Number(process.argv[2] ?? 10_000_000);
const customers = Math.max(1, Math.floor(n / 20));
const rng = createRandom(3);
const customer = new Int32Array(n), invoice = new Int32Array(n), date = new Float64Array(n), amount = new Float64Array(n);
const start = Date.UTC(2023, 0, 1);
for (let i = 0; i < n; i++) {
  customer[i] = rng.int(customers);
  invoice[i] = Math.floor(i / 3);
  date[i] = start + rng.int(365) * 86_400_000 + rng.int(86_400_000);
  amount[i] = rng.next() < 0.02 ? -(1 + rng.int(50)) : 1 + rng.int(200);
}
const log = tableFromArrays({ customer, invoice, date, amount });
const logMB = (n * (4 + 4 + 8 + 8)) / 2 ** 20;
const t = performance.now();
const out = rfm(log, { customer: 'customer', date: 'date', amount: 'amount', invoice: 'invoice' });
const ms = performance.now() - t;
console.log(JSON.stringify({ transactions: n, customers: out.numRows, ms, peakMB: process.resourceUsage().maxRSS / 1024, logMB }));
