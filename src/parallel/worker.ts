// The one file that runs inside pool workers: it instantiates the kernels over the caller's shared memory
// and runs the calls it is sent. It never allocates in that memory; it only receives pointers.
import { workerData } from 'piscina';
import { instantiateKernels } from '../kernels/wasm.js';
import type { KernelCall } from './executor.js';

const kernels = await instantiateKernels((workerData as { memory: WebAssembly.Memory }).memory, true);

export default function run(calls: readonly KernelCall[]): number[] {
  return calls.map((c) => (kernels[c.kernel] as (...a: number[]) => number)(...c.args) ?? 0);
}
