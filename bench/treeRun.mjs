// One tree workload in a fresh process, so its peak memory is its own: segkit (tree | forest) or ml-cart.
// Usage: node bench/treeRun.mjs WORKLOAD FILE [--threads T] [--depth D] [--trees N]
import { parseArgs } from 'node:util';
import { decisionTree, randomForest, close, fromColumns } from '../dist/index.node.js';
import { readTreeData } from './treeData.mjs';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { threads: { type: 'string', default: '2' }, depth: { type: 'string' }, trees: { type: 'string', default: '100' } } });
const [workload, file] = positionals;
const data = readTreeData(file);
const names = data.train.map((_, j) => `x${j}`);
const train = fromColumns({ columns: data.train, names });
const test = fromColumns({ columns: data.test, names });
const threads = Number(values.threads);
const depth = values.depth ? Number(values.depth) : undefined;
const accuracy = (pred) => pred.reduce((a, p, i) => a + (p === data.testY[i] ? 1 : 0), 0) / pred.length;
const rssBefore = process.resourceUsage().maxRSS / 1024;
let model, seconds, pred;
if (workload === 'mlcart') {
  const { DecisionTreeClassifier } = await import('ml-cart');
  const rows = Array.from({ length: data.n }, (_, i) => Array.from(data.train, (c) => c[i]));
  const t = performance.now();
  model = new DecisionTreeClassifier({ gainFunction: 'gini', maxDepth: depth ?? 4, minNumSamples: 1 });
  model.train(rows, Array.from(data.trainY));
  seconds = (performance.now() - t) / 1000;
  pred = model.predict(Array.from({ length: data.test.length ? data.testY.length : 0 }, (_, i) => Array.from(data.test, (c) => c[i])));
} else {
  const t = performance.now();
  model = workload === 'tree'
    ? await decisionTree(train, data.trainY, { maxDepth: depth ?? 6, threads })
    : await randomForest(train, data.trainY, { nTrees: Number(values.trees), threads, seed: 0, ...(depth ? { maxDepth: depth } : {}) });
  seconds = (performance.now() - t) / 1000;
  pred = Array.from(await model.predict(test, { threads }));
}
console.log(JSON.stringify({ workload, seconds, accuracy: accuracy(pred), peakMB: process.resourceUsage().maxRSS / 1024, dataMB: rssBefore }));
await close();
