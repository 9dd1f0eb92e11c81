// The script every Web Worker of webWorkerExecutor runs (bundled as segkit.worker.js): segkit's own shard ops,
// registered by importing the modules that define them (test/browser.build.test.ts checks the list is whole),
// and the worker loop. Ops defined elsewhere are loaded by their module URL when a pass first names them.
import './engine/matrix.js';
import './core/kmeansOps.js';
import './core/transformLabelOp.js';
import './core/kmeansParallelOps.js';
import './core/miniBatchOps.js';
import './core/gmmOps.js';
import './metrics/metricOps.js';
import './prep/statsOps.js';
import './core/treeOps.js';
import './core/treeLocalOp.js';
import './core/dbscanOps.js';
import './core/dbscanModel.js';
import './core/hdbscanOps.js';
import './core/agglomerativeOps.js';
import './metrics/driftOps.js';
import './workflow/driftLabelScanOp.js';
import { serveWebWorker } from './engine/webWorker.js';

serveWebWorker(globalThis as unknown as Parameters<typeof serveWebWorker>[0]);
