import { HeapExecutor } from './heapExecutor.js';
import type { Executor, Handle, LoadOptions, ShardSource } from './executor.js';
import type { ShardOp } from './shardOp.js';

class InlineExecutor extends HeapExecutor {
  readonly kind = 'inline';
  readonly threads = 1;
  constructor() {
    super(false);
  }
  scanAndMap<S, P>(source: ShardSource, op: ShardOp<S, P>, state: S, options: LoadOptions = {}): Promise<{ handle: Handle; partials: P[] }> {
    return this.scanHere(source, op, state, options);
  }
}

/**
 * Runs every shard on the calling thread, in one plain wasm memory: browsers without workers, edge functions,
 * one-core machines, `threads: 1`. It lets the event loop run between shards, at least every 20 ms, so an
 * AbortSignal, a timer or Ctrl-C is seen during a long fit; a shard itself runs to its end (agglomerative
 * clustering's hierarchy is one shard).
 */
export function inlineExecutor(): Executor {
  return new InlineExecutor();
}
