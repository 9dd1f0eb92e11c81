// segkit's neutral entry: runs in Node, browsers and edge functions (no node:* imports anywhere below).

// errors
export { SegkitError, type SegkitErrorCode } from './util/errors.js';

// data
export { fromRows, fromColumns, fromArrow, toDataset, type Dataset, type DataInput } from './data/dataset.js';

// data: readers and writers
export { readCsv, MISSING_TOKENS, type ReadCsvOptions, type ColumnType } from './data/readCsv.js';
export { csvInfo, type CsvInfo, type TextStats } from './data/csvInfo.js';
export { csvRecords, type CsvRecordsOptions } from './data/csvRecords.js';
export { readJson, type ReadJsonOptions, type JsonTable } from './data/readJson.js';
export { readNdjson } from './data/readNdjson.js';
export { readArrow } from './data/readArrow.js';
export { readParquet } from './data/readParquet.js';
export { writeCsv, type WriteCsvOptions } from './data/writeCsv.js';
export { writeArrow, type WriteArrowOptions } from './data/writeArrow.js';
export { writeParquet, type WriteParquetOptions } from './data/writeParquet.js';
export { writeJson, type WriteJsonOptions } from './data/writeJson.js';
export { withColumns, type NewColumn } from './data/withColumns.js';
export type { ByteSource } from './data/byteSource.js';
export type { TableFormat } from './data/tableFormat.js';

// data: the customer view (hash joins and group-bys, no code generated at run time: edge functions too)
export { joinCustomers, type CustomerSource, type JoinCustomersOptions } from './data/joinCustomers.js';
export { aggregateByCustomer, type Aggregation, type AggregateOp, type AggregateByCustomerOptions } from './data/aggregateByCustomer.js';

// features
export { rfm, RFM_AFTER_AS_OF, RFM_AS_OF, RFM_NO_PURCHASE, type RfmOptions } from './features/rfm.js';
export { rfmSegment, RFM_SEGMENT_RULES, CANCELLED_SEGMENT, type RfmSegmentName, type RfmSegmentRule } from './features/rfmSegment.js';
export { behaviourFeatures, BEHAVIOUR_AFTER_AS_OF, type BehaviourFeaturesOptions } from './features/behaviourFeatures.js';
export type { LogInput } from './data/logInput.js';

// preparation
export { SEGKIT_COLUMNS, segkitColumns } from './prep/segkitColumns.js';
export { Pipeline, pipeline, type PipelineOptions, type PipelineSelection, type PipelineResult, type PipelineReport, type PipelineJSON } from './prep/pipeline.js';
export { Imputer, type ImputerOptions, type ImputeStrategy, type ImputerReport } from './prep/imputer.js';
export { Scaler, type ScalerOptions, type ScaleMethod, type ScalerReport } from './prep/scaler.js';
export { OneHotEncoder, type OneHotEncoderOptions, type OneHotEncoderReport } from './prep/oneHotEncoder.js';
export { Outliers, type OutliersOptions, type OutliersReport } from './prep/outliers.js';
export { FeatureFilter, type FeatureFilterOptions, type FeatureFilterReport, type DroppedFeature } from './prep/featureFilter.js';
export type { PrepStep, StepReport, StepJSON } from './prep/step.js';
export type { Frame, FrameColumn, ColumnMeta, TableInput } from './prep/frame.js';

// clustering
export { kmeans, kmeansDefaults, type KMeansOptions, type KMeansProgress } from './core/kmeans.js';
export { KMeansModel, type KMeansModelJSON } from './core/kmeansModel.js';
export { gaussianMixture, gaussianMixtureDefaults, type GaussianMixtureOptions, type GaussianMixtureProgress, type GaussianMixtureStart } from './core/gaussianMixture.js';
export { GaussianMixtureModel, type GaussianMixtureModelJSON, type CovarianceArray } from './core/gaussianMixtureModel.js';
export { COVARIANCE_TYPES, type CovarianceType } from './core/gmmParams.js';
export { miniBatchKMeans, miniBatchKMeansDefaults, type MiniBatchKMeansOptions, type MiniBatchProgress } from './core/miniBatchKMeans.js';
export { MiniBatchKMeansModel, type MiniBatchKMeansModelJSON, type PartialFitOptions } from './core/miniBatchKMeansModel.js';
export { loadModel, MODEL_KINDS } from './core/loadModel.js';
export type { SegmentationModel, ModelJSON, RunOptions } from './core/model.js';
export { SegmentModel, SEGMENT_MODEL_FORMAT, SEGMENT_MODEL_VERSION, type SegmentModelJSON, type SegmentModelParts, type SegmentSummary } from './workflow/segmentModel.js';
export { chooseK, chooseKDefaults, defaultRestarts, type ChooseKOptions, type ChooseKResult, type KScore } from './workflow/chooseK.js';
export { dbscan, dbscanDefaults, EARTH_RADIUS_KM, type DbscanOptions, type DbscanMetric } from './core/dbscan.js';
export { DBSCANModel, type DBSCANModelJSON, type DensityCounts } from './core/dbscanModel.js';
export { kDistances, type KDistancesOptions } from './core/kDistances.js';
export { agglomerative, agglomerativeDefaults, type AgglomerativeOptions } from './core/agglomerative.js';
export { AgglomerativeModel, LINKAGES, type Linkage, type AgglomerativeModelJSON } from './core/agglomerativeModel.js';
export type { DendrogramData } from './core/linkageTree.js';
export { hdbscan, hdbscanDefaults, type HdbscanOptions, type HdbscanResult } from './core/hdbscanLazy.js';
export type { CondensedTree } from './core/condensedTree.js';
export { kneedle, type KneedleOptions, type KneedleResult, type KneeCurve, type KneeDirection } from './core/kneedle.js';
export { createRandom, type Random } from './util/random.js';

// classifiers that assign segments: histogram CART trees and random forests
export { decisionTree, TreeModel, type TreeModelJSON } from './core/treeModel.js';
export { randomForest, ForestModel, type ForestModelJSON, type ForestOptions } from './core/forestModel.js';
export type { TreeOptions } from './core/fitTrees.js';
export { TreeEnsemble, type TreeRule, type ToSqlOptions } from './core/treeEnsemble.js';
export type { TreeNodes } from './core/tree.js';
export type { Target, ClassWeight } from './core/classTarget.js';

// validating a classifier
export { classificationScores, type ClassificationScores } from './metrics/classificationScores.js';
export { splitFolds, type SplitFoldsOptions } from './workflow/splitFolds.js';
export { trainTestSplit, type TrainTestSplitOptions, type SplitPart } from './workflow/trainTestSplit.js';
export { crossValidate, type CrossValidateOptions, type CrossValidation, type FoldResult, type FitFn } from './workflow/crossValidate.js';

// metrics: internal (features + labels)
export { silhouetteScore } from './metrics/silhouetteScore.js';
export { silhouetteSamples, type SilhouetteOptions } from './metrics/silhouetteSamples.js';
export { simplifiedSilhouetteScore } from './metrics/simplifiedSilhouetteScore.js';
export { inertia } from './metrics/inertia.js';
export { calinskiHarabaszScore } from './metrics/calinskiHarabaszScore.js';
export { daviesBouldinScore } from './metrics/daviesBouldinScore.js';
export { clusterStats, type ClusterStats, type MetricOptions } from './metrics/clusterStats.js';

// metrics: external (against known labels)
export type { Labels } from './metrics/checkLabels.js';
export { contingencyMatrix, type ContingencyMatrix } from './metrics/contingencyMatrix.js';
export { homogeneityCompletenessVMeasure, type HomogeneityCompletenessVMeasure, type VMeasureOptions } from './metrics/homogeneityCompletenessVMeasure.js';
export { homogeneityScore } from './metrics/homogeneityScore.js';
export { completenessScore } from './metrics/completenessScore.js';
export { vMeasureScore } from './metrics/vMeasureScore.js';
export { adjustedRandScore } from './metrics/adjustedRandScore.js';
export { mutualInfoScore } from './metrics/mutualInfoScore.js';
export { normalizedMutualInfoScore, type AverageMethod, type MutualInfoOptions } from './metrics/normalizedMutualInfoScore.js';
export { adjustedMutualInfoScore } from './metrics/adjustedMutualInfoScore.js';

// explaining segments
export { profileSegments, type SegmentProfiles, type SegmentProfile, type TopFeature, type ProfileSegmentsOptions } from './explain/profileSegments.js';
export { nameSegment, type FeatureZ, type NameSegmentOptions } from './explain/nameSegment.js';
export { pca2, type Pca2Options, type Pca2Result } from './explain/pca2.js';
export { chartSpecs, type ChartSpecs, type ChartSpecsInput, type KSweepRow } from './report/chartSpecs.js';
export { explainAssignment, type Assignment } from './explain/explainAssignment.js';
export { treeShap, type TreeShapResult } from './explain/treeShap.js';
export { permutationImportance, type PermutationImportance, type PermutationImportanceOptions } from './explain/permutationImportance.js';
export { segmentRules, type SegmentRules, type SegmentRuleSet, type SegmentRulesOptions } from './explain/segmentRules.js';
export { segmentComposition, type SegmentComposition, type CompositionGroup } from './explain/segmentComposition.js';
export type { RowsInput } from './explain/readRows.js';
export { personaNames, describeSegment, shortLabels, type PersonaNameOptions } from './explain/personaName.js';

// the report: vega and vega-lite draw the charts (loaded on the first report), expressions interpreted, no code generated
export { renderSvg, type RenderSvgOptions } from './report/renderSvg.js';
export { buildReport, REPORT_SECTIONS, type BuildReportInput, type ReportContext, type ReportSection } from './report/buildReport.js';

// execution: the shard-op seam and its executors
export { close } from './engine/defaultExecutor.js';
export { inlineExecutor } from './engine/inline.js';
export { loopbackExecutor } from './engine/loopback.js';
export { defineOp, type ShardOp, type RowSpec } from './engine/shardOp.js';
export type { Executor, Handle, LoadOptions, MapOptions, ShardSource } from './engine/executor.js';
export { sumInShardOrder, sumNumbers, concatInShardOrder } from './engine/merge.js';
export { shardColumn, rowValues, type Shard } from './kernels/shard.js';
