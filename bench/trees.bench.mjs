// Trees and forests side by side with scikit-learn (and ml-cart, the best-known npm tree) in one run, on the same
// data file: a depth-6 tree on 1M x 16 with 8 classes, a 100-tree forest on 100k x 16, and ml-cart's depth-4 tree
// on 10k rows. Each workload runs in its own process; prints seconds, held-out accuracy, peak RSS and ratios.
// Data: the shared anchors' blobs (8 classes, std 2; --std 4 for heavily overlapping classes and deep trees).
// Usage: npm run build && node bench/trees.bench.mjs [--tree-rows 1000000] [--forest-rows 100000] [--cart-rows 10000]
//        [--std 2] [--only tree,forest,cart] [--quick]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeTreeData } from './treeData.mjs';

const { values } = parseArgs({ options: {
  'tree-rows': { type: 'string', default: '1000000' }, 'forest-rows': { type: 'string', default: '100000' },
  'cart-rows': { type: 'string', default: '10000' }, trees: { type: 'string', default: '100' }, quick: { type: 'boolean', default: false },
  std: { type: 'string', default: '2' }, only: { type: 'string', default: 'tree,forest,cart' },
} });
const scale = values.quick ? 0.1 : 1;
const treeRows = Math.round(Number(values['tree-rows']) * scale);
const forestRows = Math.round(Number(values['forest-rows']) * scale);
const cartRows = Math.round(Number(values['cart-rows']) * (values.quick ? 0.2 : 1));
const d = 16, k = 8, std = Number(values.std);
const only = new Set(values.only.split(','));
const python = '/usr/bin/python3';
const haveSklearn = existsSync(python) && (() => { try { execFileSync(python, ['-c', 'import sklearn']); return true; } catch { return false; } })();
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'segkit-trees-'));

const segkit = (args) => JSON.parse(execFileSync(process.execPath, ['--max-old-space-size=8192', here('./treeRun.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop());
const sklearn = (args) => (haveSklearn ? JSON.parse(execFileSync(python, [here('./sklearn_trees.py'), ...args], { encoding: 'utf8' }).trim().split('\n').pop()) : null);
const fmt = (r) => (r ? `${r.seconds.toFixed(2)} s, acc ${r.accuracy === null ? '–' : r.accuracy.toFixed(3)}, peak ${Math.round(r.peakMB)} MB` : 'not run');
const ratio = (a, b) => (a && b ? `${(b.seconds / a.seconds).toFixed(1)}x` : '–');

console.log(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; scikit-learn ${haveSklearn ? 'found' : 'not found (column skipped)'}; class std ${std}`);
try {
  if (only.has('tree')) {
  const treeFile = join(dir, 'tree.bin');
  writeTreeData(treeFile, treeRows, Math.min(100_000, Math.round(treeRows / 4)), d, k, 1, std);
  const t2 = segkit(['tree', treeFile, '--threads', '2', '--depth', '6']);
  const t1 = segkit(['tree', treeFile, '--threads', '1', '--depth', '6']);
  const ts = sklearn(['tree', treeFile, '--depth', '6']);
  console.log(`\ndepth-6 tree, ${treeRows.toLocaleString('en-US')} x ${d}, ${k} classes`);
  console.log(`  segkit 2 threads   ${fmt(t2)}`);
  console.log(`  segkit 1 thread    ${fmt(t1)}`);
  console.log(`  scikit-learn       ${fmt(ts)}   (DecisionTreeClassifier)`);
  console.log(`  ratio scikit-learn / segkit 2 threads: ${ratio(t2, ts)}; 1 thread: ${ratio(t1, ts)}`);
  }
  if (only.has('forest')) {

  const forestFile = join(dir, 'forest.bin');
  writeTreeData(forestFile, forestRows, Math.round(forestRows / 4), d, k, 2, std);
  const f2 = segkit(['forest', forestFile, '--threads', '2', '--trees', values.trees]);
  const fs = sklearn(['forest', forestFile, '--trees', values.trees, '--jobs', '2']);
  console.log(`\n${values.trees}-tree forest, ${forestRows.toLocaleString('en-US')} x ${d}, ${k} classes (std ${std}), grown to purity`);
  console.log(`  segkit 2 threads   ${fmt(f2)}`);
  console.log(`  scikit-learn       ${fmt(fs)}   (RandomForestClassifier, n_jobs=2)`);
  console.log(`  ratio scikit-learn / segkit: ${ratio(f2, fs)}`);
  }
  if (only.has('cart')) {

  const cartFile = join(dir, 'cart.bin');
  writeTreeData(cartFile, cartRows, Math.round(cartRows / 4), d, k, 3, std);
  const c2 = segkit(['tree', cartFile, '--threads', '2', '--depth', '4']);
  const cs = sklearn(['tree', cartFile, '--depth', '4']);
  const cm = segkit(['mlcart', cartFile, '--depth', '4']);
  console.log(`\ndepth-4 tree, ${cartRows.toLocaleString('en-US')} x ${d}, ${k} classes`);
  console.log(`  segkit 2 threads   ${fmt(c2)}`);
  console.log(`  scikit-learn       ${fmt(cs)}`);
  console.log(`  ml-cart            ${fmt(cm)}`);
  console.log(`  ratio ml-cart / segkit: ${ratio(c2, cm)}; scikit-learn / segkit: ${ratio(c2, cs)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nload average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
