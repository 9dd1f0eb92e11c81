import { SegkitError, badOption, describe } from '../util/errors.js';
import type { Executor } from './executor.js';
import { inlineExecutor } from './inline.js';

type Factory = (threads: number) => Executor;

let factory: Factory | undefined;
let cores = 1;
const made = new Map<number, Executor>();

/** Installed by the Node entry: how to build a multi-threaded executor, and how many cores there are. */
export function registerExecutorFactory(make: Factory, available: number): void {
  factory = make;
  cores = Math.max(1, available);
}

/** The shared executor for a thread count: inline for 1 (or where no threads exist), a pool otherwise. */
export function executorFor(threads?: number): Executor {
  const t = threads ?? cores;
  if (!Number.isInteger(t) || t < 1) throw badOption('threads', threads, 'a positive integer');
  const key = t === 1 || !factory ? 1 : t;
  let ex = made.get(key);
  if (!ex) {
    ex = key === 1 ? inlineExecutor() : factory!(key);
    made.set(key, ex);
  }
  return ex;
}

export function isExecutor(x: unknown): x is Executor {
  const e = x as Executor;
  return !!e && typeof e === 'object' && typeof e.load === 'function' && typeof e.map === 'function' && typeof e.release === 'function' && typeof e.readRows === 'function';
}

/** The executor a call runs on: its `executor` option, else the shared one for `threads` (never both). */
export function resolveExecutor(o: { executor?: unknown; threads?: number }): Executor {
  if (o.executor !== undefined) {
    if (!isExecutor(o.executor)) throw badOption('executor', o.executor, 'an executor (inlineExecutor(), piscinaExecutor(), loopbackExecutor(), ...)');
    if (o.threads !== undefined) throw new SegkitError('E_BAD_OPTION', `options "executor" and "threads" were both given (threads ${describe(o.threads)})`, 'the executor decides its threads: give one or the other');
    return o.executor;
  }
  return executorFor(o.threads);
}

/** Stops every shared executor (worker pools, memories) so the process can exit; later calls make new ones. */
export async function close(): Promise<void> {
  const all = [...made.values()];
  made.clear();
  await Promise.all(all.map((e) => e.close()));
}
