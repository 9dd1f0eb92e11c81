// The library end to end on the bundled sample data: read, prepare, choose k, fit, explain, score.
//   npm run build && node examples/segment-customers.mjs
import {
  readTable, pipeline, chooseK, kmeans, silhouetteScore, profileSegments, adjustedRandScore, rfm, joinCustomers, close,
} from '../dist/index.node.js';

const here = (name) => new URL(name, import.meta.url).pathname;
const customers = await readTable(here('customers.csv'));
const transactions = await readTable(here('transactions.csv'));

// RFM per customer from the order log, joined onto the customer table
const scores = rfm(transactions, { customer: 'customer_id', date: 'date', amount: 'amount', invoice: 'invoice' });
const view = await joinCustomers(customers, [{ table: scores, key: 'customer_id', prefix: 'rfm_' }], { key: 'customer_id' });

// numeric behaviour and RFM features, missing values imputed, log-scaled (counts are skewed); net spend can be
// negative after returns, so it is standardised instead
const prep = pipeline({
  id: 'customer_id',
  exclude: ['segment_truth', 'converted', 'age', 'rfm_r_score', 'rfm_f_score', 'rfm_m_score'],
  impute: 'median',
  scale: { method: 'log1p', byColumn: { rfm_monetary: 'standard' } },
});
const { dataset } = await prep.fitTransform(view);
console.log(`${dataset.n} customers, ${dataset.d} features: ${dataset.names.join(', ')}`);

const sweep = await chooseK(dataset, { kRange: [2, 8], seed: 1 });
console.log(sweep.reason);
const model = await kmeans(dataset, { k: sweep.recommendedK, seed: 1, nInit: 4 });
console.log(`inertia ${model.inertia.toFixed(1)}, silhouette ${(await silhouetteScore(dataset, model.labels)).toFixed(3)}`);

// how well the segments match the generator's ground truth
const truth = Array.from(view.getChild('segment_truth').toArray());
const ids = [...new Set(truth)];
console.log(`adjusted Rand index vs the generated segments: ${adjustedRandScore(truth.map((t) => ids.indexOf(t)), model.labels).toFixed(3)}`);

// profiles in the customers' own units (the unscaled features of the same rows)
const raw = (await pipeline({ columns: dataset.names, impute: 'median', scale: 'none' }).fitTransform(view)).dataset;
const profiles = profileSegments(raw, model.labels, model.k, { rfmSegments: Array.from(view.getChild('rfm_segment').toArray(), (s) => s ?? 'none') });
for (const s of profiles.segments) {
  const mix = Object.entries(s.rfmMix ?? {}).slice(0, 2).map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`).join(', ');
  console.log(`${String(s.id).padStart(2)}  ${s.name.padEnd(60)} ${String(s.size).padStart(5)} customers  (${mix})`);
}

// score "new" customers with the same preparation and centroids
const labels = await model.predict(prep.transform(view).dataset);
console.log(`re-scored ${labels.length} customers; ${labels.filter((l, i) => l === model.labels[i]).length} keep their segment`);
await close();
