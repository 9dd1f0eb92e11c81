/** hdbscan's defaults (minSamples defaults to minClusterSize). */
export const hdbscanDefaults = Object.freeze({ minClusterSize: 5, clusterSelectionMethod: 'eom' as const });
