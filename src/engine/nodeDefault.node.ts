// Node's default executor, registered on import: the piscina worker pool, sized by the machine's cores. Imported by
// the Node entry and by the command line (which loads only the modules a command needs).
import { availableParallelism } from 'node:os';
import { registerExecutorFactory } from './defaultExecutor.js';
import { piscinaExecutor } from './piscina.node.js';

registerExecutorFactory((threads) => piscinaExecutor({ threads }), availableParallelism());
