// segkit's neutral entry: runs in Node, browsers and edge functions (no node:* imports anywhere below).

// errors
export { SegkitError, type SegkitErrorCode } from './errors.js';

// data
export { fromRows, fromColumns, fromArrow, toDataset, type Dataset, type DataInput } from './data/dataset.js';

// clustering
export { kmeans, kmeansDefaults, type KMeansOptions, type KMeansProgress } from './core/kmeans.js';
export { KMeansModel, type KMeansModelJSON, type RunOptions } from './core/kmeansModel.js';
export { createRandom, type Random } from './core/random.js';

// execution
export { close } from './parallel/defaultExecutor.js';
export type { Executor, KernelCall } from './parallel/executor.js';
