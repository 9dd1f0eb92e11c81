import { instantiate } from '@assemblyscript/loader';
import { plainWasm, sharedPatch, sharedWasm } from './wasmBytes.generated.js';

/** The raw kernel exports: every argument is a number (pointers are byte offsets into the memory). */
export interface KernelExports {
  assign(...args: number[]): number;
  assignBounded(...args: number[]): number;
  accumulate(...args: number[]): void;
  candidatePotentials(...args: number[]): void;
  updateClosest(...args: number[]): number;
  mergeClosest(...args: number[]): number;
  preselect(...args: number[]): number;
  labelDistances(...args: number[]): void;
  distances(...args: number[]): void;
  silhouetteSums(...args: number[]): void;
  columnSums(...args: number[]): void;
  centerColumns(...args: number[]): number;
  gmm(...args: number[]): number;
  primSingle(...args: number[]): void;
  wardChain(...args: number[]): void;
  keyCount(...args: number[]): number;
  gatherColumn(...args: number[]): void;
}
export type KernelName = keyof KernelExports;

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The bytes of the plain or the shared-memory build. The two differ only in the memory import's limits flag, so
 * unless the shared build is embedded in full it is the plain one with the bytes of `sharedPatch` set.
 */
export function kernelBinary(shared: boolean): Uint8Array<ArrayBuffer> {
  if (shared && sharedWasm !== '') return decode(sharedWasm);
  const bytes = decode(plainWasm);
  if (shared) for (let i = 0; i < sharedPatch.length; i += 2) bytes[sharedPatch[i]] = sharedPatch[i + 1];
  return bytes;
}

/** Compiles (once) the plain or the shared-memory build of the kernels from the bytes embedded in the package. */
export function kernelModule(shared: boolean): Promise<WebAssembly.Module> {
  let m = modules.get(shared);
  if (!m) {
    m = WebAssembly.compile(kernelBinary(shared));
    modules.set(shared, m);
  }
  return m;
}

/** Instantiates the kernels over a memory the host owns (the kernels never allocate), through AssemblyScript's loader. */
export async function instantiateKernels(memory: WebAssembly.Memory, shared: boolean): Promise<KernelExports> {
  const module = await kernelModule(shared);
  const { exports } = await instantiate<Record<string, unknown>>(module, { env: { memory } });
  return exports as unknown as KernelExports;
}
