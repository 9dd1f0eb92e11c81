// The one file that runs inside pool workers: it instantiates the kernels over the caller's shared memory, loads
// the op's module into this thread's registry, and runs shards handed out by the shared atomic counter.
// It never allocates in that memory: the caller reserved this thread's scratch region in the task.
import { move, workerData } from 'piscina';
import { Scratch } from '../kernels/shard.js';
import { instantiateKernels } from '../kernels/wasm.js';
import { layoutShard, raiseStop, runOp } from './heapExecutor.js';
import { kernelsFor, opByName } from './shardOp.js';
import type { PoolFresh, PoolGather, PoolResult, PoolTask, PoolTouch } from './piscina.node.js';
import { copyGathered } from './gatherCopy.js';
import { touchPages } from '../kernels/heap.js';
import { SegkitError, baseMessage } from '../util/errors.js';

const memory = (workerData as { memory: WebAssembly.Memory }).memory;
// The kernels are instantiated on the first task, not at the module's top level: piscina loads this file with
// require(), which a graph with top-level await makes fail on Node 20.19 and later, and its fallback to import()
// mixes both loaders over one graph.
let ready: Promise<{ kernels: Awaited<ReturnType<typeof instantiateKernels>>; memory: WebAssembly.Memory }> | undefined;
const kernelsOnce = () => (ready ??= instantiateKernels(memory, true).then((kernels) => ({ kernels, memory })));

export default async function run(task: PoolTask | PoolTouch | PoolGather | PoolFresh): Promise<PoolResult | ArrayBuffer> {
  if ('fresh' in task) {
    // the first touches are taken here, and the buffer is handed over (moved, not copied)
    const buf = new ArrayBuffer(task.fresh);
    touchPages(buf, 0, buf.byteLength);
    return move(buf) as ArrayBuffer;
  }
  if ('touch' in task) {
    touchPages(memory.buffer, task.touch[0], task.touch[1]);
    return { partials: [] };
  }
  const mem = await kernelsOnce();
  if ('gather' in task) {
    copyGathered(memory, mem.kernels, task.gather, task.range[0], task.range[1]);
    return { partials: [] };
  }
  const partials: [number, unknown][] = [];
  const ctl = new Int32Array(memory.buffer, task.ctl, 4);
  try {
    if (task.module) await import(task.module);
    const op = opByName(task.op);
    await kernelsFor(op, mem);
    const scratch = new Scratch(task.slot, task.slotBytes);
    const buffers = new Map(task.layout.buffers);
    while (Atomics.load(ctl, 1) === 0) {
      const i = Atomics.add(ctl, 0, 1);
      if (i >= task.list.length) break;
      // shard i's rows may still be copying in: wait until the ready count passes it (a stop raises it too), or the
      // end of the workers' shards falls to it (the calling thread runs the shards from there on)
      for (let r = Atomics.load(ctl, 2); r <= i && Atomics.load(ctl, 1) === 0 && i < Atomics.load(ctl, 3); r = Atomics.load(ctl, 2)) Atomics.wait(ctl, 2, r, 50);
      if (Atomics.load(ctl, 1) !== 0 || i >= Atomics.load(ctl, 3)) break;
      scratch.reset();
      partials.push([i, runOp(op, layoutShard(task.layout, task.list[i], mem, scratch, buffers), task.state, task.columns)]);
    }
    return { partials };
  } catch (e) {
    raiseStop(ctl);
    const err = e instanceof SegkitError ? { code: e.code, message: baseMessage(e), hint: e.hint } : { message: e instanceof Error ? e.message : String(e) };
    return { partials, error: err };
  }
}
