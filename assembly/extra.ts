// The second kernel module: Gaussian-mixture EM, the hierarchies' loops, the exact silhouette's pairs of blocks and
// the row-major copy mini-batch k-means draws its rows from.
// It imports the same memory as the core module (assembly/index.ts) and, like it, never allocates; executors
// instantiate it before the first op that declares `extraKernels`, so scoring and Lloyd's k-means never compile it.
export { gmm } from './gmm';
export { primSingle } from './primSingle';
export { wardChain } from './wardChain';
export { silhouettePairs } from './silhouettePairs';
export { toRowMajor } from './rowMajor';
