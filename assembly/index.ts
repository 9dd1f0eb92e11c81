// The core kernels, one per file; each takes raw pointers into the host's memory and never allocates. This module
// holds what k-means, scoring, metrics and drift statistics need; assembly/extra.ts holds the rest (mixtures,
// hierarchies), compiled to a second module over the same memory and instantiated when an op first needs it.
export { assign } from './assign';
export { assignBounded } from './assignBounded';
export { accumulate } from './accumulate';
export { candidatePotentials, updateClosest, takeClosest, mergeClosest, preselect, walkPotential } from './seedDistances';
export { labelDistances } from './labelDistances';
export { distances } from './distances';
export { columnSums, centerColumns, centreCopy } from './center';
export { keyCount } from './keyCount';
export { gatherColumn, gatherRowMajor } from './gather';
