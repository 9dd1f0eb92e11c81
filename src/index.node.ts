// segkit's Node entry: everything in the neutral entry, plus the piscina worker pool as the default executor.
import { availableParallelism } from 'node:os';
import { registerExecutorFactory } from './engine/defaultExecutor.js';
import { piscinaExecutor } from './engine/piscina.node.js';

registerExecutorFactory((threads) => piscinaExecutor({ threads }), availableParallelism());

export * from './index.js';
export { piscinaExecutor, type PiscinaExecutorOptions } from './engine/piscina.node.js';

// files, by extension, written atomically
export { readTable, type ReadTableOptions } from './data/readTable.node.js';
export { writeTable, type WriteTableOptions } from './data/writeTable.node.js';
