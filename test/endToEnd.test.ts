import { afterAll, describe, expect, it } from 'vitest';
import {
  rfm, joinCustomers, pipeline, Pipeline, kmeans, KMeansModel,
  adjustedRandScore, close, writeCsv, readCsv,
} from '../src/index.node.js';
import { sampleCustomers, sampleTransactions } from '../src/sample/index.js';

afterAll(close);

describe('end to end: generated customers -> features -> pipeline -> k-means', () => {
  const customers = sampleCustomers({ n: 3_000, seed: 11 });
  const transactions = sampleTransactions(customers, { seed: 12 });
  const truth = customers.getChild('segment_truth')!.toArray() as string[];
  const names = [...new Set(truth)].sort();
  const truthIds = truth.map((t) => names.indexOf(t));

  it('recovers the generated segments (ARI >= 0.8) from the customer table joined with RFM features', async () => {
    const r = rfm(transactions, { customer: 'customer_id', date: 'date', amount: 'amount', invoice: 'invoice' });
    const view = await joinCustomers(customers, [{ table: r, key: 'customer_id', prefix: 'rfm_' }], { key: 'customer_id' });
    expect(view.numRows).toBe(customers.numRows);
    const prep = pipeline({
      id: 'customer_id',
      exclude: ['segment_truth', 'rfm_rfm_code', 'rfm_segment'],
      impute: 'median',
      scale: 'log1p',
    });
    const { dataset } = await prep.fitTransform(view);
    expect(dataset.names).toContain('rfm_recency');
    const model = await kmeans(dataset, { k: names.length, seed: 3, nInit: 4 });
    const ari = adjustedRandScore(truthIds, model.labels);
    console.log(`end-to-end adjusted Rand index: ${ari.toFixed(4)} (${dataset.n} customers, ${dataset.d} features)`);
    expect(ari).toBeGreaterThanOrEqual(0.8);

    // the saved pipeline and model, applied to the raw rows after a CSV round trip, give the same segments
    const prep2 = Pipeline.fromJSON(JSON.parse(JSON.stringify(prep.toJSON())));
    const model2 = KMeansModel.fromJSON(JSON.stringify(model));
    const again = await readCsv(writeCsv(view, { escapeFormulas: false }), { types: { customer_id: 'string' } });
    const labels = await model2.predict(prep2.transform(again).dataset);
    expect(Array.from(labels)).toEqual(Array.from(model.labels));
  });
});
