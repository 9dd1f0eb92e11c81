// The kernels, one per file; each takes raw pointers into the host's memory and never allocates.
export { assign } from './assign';
export { assignBounded } from './assignBounded';
export { accumulate } from './accumulate';
export { candidatePotentials, updateClosest, mergeClosest, preselect } from './seedDistances';
export { labelDistances } from './labelDistances';
export { distances } from './distances';
export { silhouetteSums } from './silhouette';
export { columnSums, centerColumns } from './center';
export { gmm } from './gmm';
export { primSingle } from './primSingle';
export { wardChain } from './wardChain';
export { keyCount } from './keyCount';
export { gatherColumn } from './gather';
