// segkit's Node entry: everything in the neutral entry, plus the piscina worker pool as the default executor.
import { availableParallelism } from 'node:os';
import { registerExecutorFactory } from './engine/defaultExecutor.js';
import { piscinaExecutor } from './engine/piscina.node.js';

registerExecutorFactory((threads) => piscinaExecutor({ threads }), availableParallelism());

export * from './index.js';
export { piscinaExecutor, type PiscinaExecutorOptions } from './engine/piscina.node.js';

// many machines: shard ops through BullMQ on Redis, shards in a store every worker reaches
export { bullmqExecutor, type BullmqExecutorOptions } from './engine/bullmq.node.js';
export { serveShards, type ShardWorker, type ShardWorkerOptions } from './engine/bullmqWorker.node.js';
export { fileStore, type ShardStore } from './engine/shardStore.node.js';

// files, by extension, written atomically
export { readTable, type ReadTableOptions } from './data/readTable.node.js';
export { writeTable, type WriteTableOptions } from './data/writeTable.node.js';
