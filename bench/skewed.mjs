// A skewed, customer-like feature set with no clear clusters, column-major float32 and standardised (as a
// StandardScaler would leave it): log-normal spend, frequency, basket and session counts that are correlated through
// a latent "engagement", exponential recency, uniform tenure, a few rare or common binary flags.
import { createRandom } from '../dist/index.js';

export function skewed(n, d = 16, seed = 0) {
  const rng = createRandom(seed);
  const raw = Array.from({ length: d }, () => new Float64Array(n));
  const flags = Math.min(4, Math.max(1, d >> 2));
  const cont = d - flags;
  const flagP = [0.08, 0.3, 0.55, 0.15];
  for (let i = 0; i < n; i++) {
    const engagement = rng.normal();
    const price = rng.normal();
    for (let j = 0; j < cont; j++) {
      const kind = j % 6;
      const e = rng.normal();
      let v;
      if (kind === 0) v = Math.exp(3 + 1.1 * (0.7 * engagement + 0.3 * price) + 0.6 * e); // spend
      else if (kind === 1) v = Math.exp(1 + 0.9 * engagement + 0.5 * e); // frequency
      else if (kind === 2) v = Math.exp(2.5 + 0.8 * price + 0.4 * e); // basket
      else if (kind === 3) v = -Math.log(1 - rng.next()) * 40 * Math.exp(-0.5 * engagement); // recency (days)
      else if (kind === 4) v = rng.next() * 1000; // tenure (days)
      else v = Math.exp(0.5 * engagement + 0.8 * e); // sessions
      raw[j][i] = v;
    }
    for (let f = 0; f < flags; f++) raw[cont + f][i] = rng.next() < flagP[f % 4] * (1 + 0.3 * Math.tanh(engagement)) ? 1 : 0;
  }
  const columns = raw.map((c) => {
    let s = 0, q = 0;
    for (let i = 0; i < n; i++) s += c[i];
    const mean = s / n;
    for (let i = 0; i < n; i++) q += (c[i] - mean) ** 2;
    const sd = Math.sqrt(q / n) || 1;
    return Float32Array.from(c, (v) => (v - mean) / sd);
  });
  return { columns, names: columns.map((_, j) => `f${j}`) };
}
