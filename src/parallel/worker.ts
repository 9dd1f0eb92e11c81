// The one file that runs inside pool workers: it instantiates the kernels over the caller's shared memory
// and runs the calls it is sent. It never allocates in that memory; it only receives pointers.
import { workerData } from 'piscina';
import { instantiateKernels } from '../kernels/wasm.js';
import type { KernelCall } from './executor.js';

const memory = (workerData as { memory: WebAssembly.Memory }).memory;
const kernels = await instantiateKernels(memory, true);

/** Runs the calls in order; stops early (returning what ran) once the caller sets the int32 at `stop` to 1. */
export default function run({ calls, stop }: { calls: readonly KernelCall[]; stop: number }): number[] {
  const out: number[] = [];
  for (const c of calls) {
    if (stop && Atomics.load(new Int32Array(memory.buffer, stop, 1), 0) !== 0) break;
    out.push((kernels[c.kernel] as (...a: number[]) => number)(...c.args) ?? 0);
  }
  return out;
}
