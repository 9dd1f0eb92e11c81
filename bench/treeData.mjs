// The benchmark's classification data, written once to a file that segkit, scikit-learn and ml-cart all read:
// Gaussian classes as the shared anchors' blobs (centres uniform in [-5, 5]^d, std 2 by default; std 4 overlaps
// them heavily, so trees grown to purity get deep), float32 rows then int32 labels.
import { closeSync, openSync, writeSync, readFileSync } from 'node:fs';
import { createRandom } from '../dist/index.js';

/** Writes `n` training and `test` held-out rows; file layout: [n, test, d] int32, X row-major float32, y int32. */
export function writeTreeData(file, n, test, d, k, seed = 0, std = 2) {
  const rng = createRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => -5 + 10 * rng.next()));
  const fd = openSync(file, 'w');
  writeSync(fd, Int32Array.of(n, test, d));
  const rows = n + test, chunk = 65_536;
  const y = new Int32Array(rows);
  for (let at = 0; at < rows; at += chunk) {
    const m = Math.min(chunk, rows - at);
    const X = new Float32Array(m * d);
    for (let i = 0; i < m; i++) {
      const c = rng.int(k);
      y[at + i] = c;
      for (let j = 0; j < d; j++) X[i * d + j] = centres[c][j] + std * rng.normal();
    }
    writeSync(fd, X);
  }
  writeSync(fd, y);
  closeSync(fd);
}

/** Reads a data file: training and test columns (float32, column-major) and labels. */
export function readTreeData(file) {
  const buf = readFileSync(file);
  const [n, test, d] = new Int32Array(buf.buffer, buf.byteOffset, 3);
  const rows = n + test;
  const X = new Float32Array(buf.buffer.slice(buf.byteOffset + 12, buf.byteOffset + 12 + rows * d * 4));
  const y = new Int32Array(buf.buffer.slice(buf.byteOffset + 12 + rows * d * 4, buf.byteOffset + 12 + rows * d * 4 + rows * 4));
  const cols = (from, to) => Array.from({ length: d }, (_, j) => Float32Array.from({ length: to - from }, (_, i) => X[(from + i) * d + j]));
  return { n, test, d, train: cols(0, n), trainY: y.slice(0, n), test: cols(n, rows), testY: y.slice(n), X };
}
