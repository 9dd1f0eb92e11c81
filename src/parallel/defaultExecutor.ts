import { badOption } from '../util/errors.js';
import type { Executor } from './executor.js';
import { InlineExecutor } from './inline.js';

type Factory = (threads: number) => Executor;

let factory: Factory | undefined;
let defaultThreads = 1;
let inline: InlineExecutor | undefined;
const pools = new Map<number, Executor>();

/** Installed by the Node entry: how to build a multi-threaded executor, and how many cores there are. */
export function registerExecutorFactory(make: Factory, cores: number): void {
  factory = make;
  defaultThreads = Math.max(1, cores);
}

/** The executor for a `threads` option: inline for 1 (or where no threads exist), a shared pool otherwise. */
export function executorFor(threads: number | undefined): Executor {
  const t = threads ?? defaultThreads;
  if (!Number.isInteger(t) || t < 1) throw badOption('threads', threads, 'a positive integer');
  if (t === 1 || !factory) return (inline ??= new InlineExecutor());
  let ex = pools.get(t);
  if (!ex) {
    ex = factory(t);
    pools.set(t, ex);
  }
  return ex;
}

/** Stops every worker pool so the process can exit; later calls create new pools as needed. */
export async function close(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
