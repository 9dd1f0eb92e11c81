// The CSV reader's kernel, a module of its own: the reader instantiates it over a memory of its own, and nothing
// else (the engine's shard ops, their workers) carries it.
export { csvSplit } from './csvSplit';
