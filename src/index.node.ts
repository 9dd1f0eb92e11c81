// segkit's Node entry: everything in the neutral entry, plus the piscina worker pool as the default executor.
import './engine/nodeDefault.node.js';
// a process serving shards (serveShards, `segkit worker`) runs only the ops it has loaded: the op that grows trees' small
// nodes, whose module the neutral entry loads where a tree is first fitted, and the command line's fused scoring op
// are registered here with the rest (test/nodeEntry.ops.test.ts checks the set is whole)
import './core/treeLocalOp.js';
import './core/transformLabelOp.js';

export * from './index.js';
export { piscinaExecutor, type PiscinaExecutorOptions } from './engine/piscina.node.js';

// many machines: shard ops through BullMQ on Redis, shards in a store every worker reaches
export { bullmqExecutor, type BullmqExecutorOptions } from './engine/bullmq.node.js';
export { serveShards, type ShardWorker, type ShardWorkerOptions } from './engine/bullmqWorker.node.js';
export { fileStore, type ShardStore } from './engine/shardStore.node.js';

// files, by extension, written atomically
export { readTable, type ReadTableOptions } from './data/readTable.node.js';
export { writeTable, type WriteTableOptions } from './data/writeTable.node.js';

// segments over time: drift, migration, refits, A/B readouts (here rather than in the neutral entry, which keeps to
// its size budget; the modules themselves are neutral TypeScript)
export { compareSnapshots, driftThresholdDefaults, type CompareSnapshotsOptions, type CompareSnapshotsResult, type DriftThresholds, type DriftLevel, type FeatureDriftReport, type SegmentChange, type Migration, type Movers, type Recommendation } from './workflow/compareSnapshots.js';
export { ksTwoSample, ksPValue, type KsMethod, type KsResult } from './metrics/ksTwoSample.js';
export type { FeatureDrift, PsiResult } from './metrics/twoSampleDrift.js';
export { abTest, type AbTestOptions, type AbTestResult, type AbComparison } from './workflow/abTest.js';
export { newcombeInterval } from './metrics/newcombeInterval.js';
export { welchTTest, type WelchResult } from './metrics/welchTTest.js';
export { twoProportionZTest } from './metrics/twoProportionZTest.js';
export { holm } from './metrics/holm.js';
export { refit, type RefitOptions, type RefitResult, type SegmentMatch } from './workflow/refit.js';
export { linearSumAssignment } from './core/linearSumAssignment.js';
export { abTestChart } from './report/abTestChart.js';
export { buildChangesReport, migrationSankeySpec, growthBarsSpec, driftTableHtml } from './report/changesReport.js';
export { renderVegaSvg } from './report/renderSvg.js';

