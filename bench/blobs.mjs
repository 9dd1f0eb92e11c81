// Seeded Gaussian blobs like scikit-learn's make_blobs (centres uniform in [-5, 5], std 2), column-major float32.
import { createRandom } from '../dist/index.js';

export function blobs(n, d, k, seed = 0, std = 2) {
  const rng = createRandom(seed);
  const centers = Array.from({ length: k }, () => Array.from({ length: d }, () => -5 + 10 * rng.next()));
  const columns = Array.from({ length: d }, () => new Float32Array(n));
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    for (let j = 0; j < d; j++) columns[j][i] = centers[c][j] + std * rng.normal();
  }
  return { columns, names: columns.map((_, j) => `x${j}`), truth, centers };
}
