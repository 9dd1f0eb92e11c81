// The one file that runs inside pool workers: it instantiates the kernels over the caller's shared memory and
// takes calls from a shared queue. It never allocates in that memory; it only receives pointers.
import { workerData } from 'piscina';
import { instantiateKernels } from '../kernels/wasm.js';
import { takeCalls, type QueueTask } from './queue.js';

const memory = (workerData as { memory: WebAssembly.Memory }).memory;
const kernels = await instantiateKernels(memory, true);

export default function run(task: QueueTask): number {
  return takeCalls(kernels, memory, task, Infinity);
}
