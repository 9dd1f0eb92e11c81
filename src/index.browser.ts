// segkit's browser entry (bundled as segkit/browser, one ES module beside its worker script): everything in the
// neutral entry, plus Web Workers as the default executor, with navigator.hardwareConcurrency threads.
import { registerExecutorFactory } from './engine/defaultExecutor.js';
import { webWorkerExecutor } from './engine/webWorkerExecutor.js';

if (typeof Worker === 'function') registerExecutorFactory((threads) => webWorkerExecutor({ threads }), globalThis.navigator?.hardwareConcurrency ?? 1);

export * from './index.js';
export { webWorkerExecutor, type WebWorkerExecutor, type WebWorkerExecutorOptions } from './engine/webWorkerExecutor.js';
