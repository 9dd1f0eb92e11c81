import { instantiate, instantiateSync } from '@assemblyscript/loader';
import * as coreBytes from './wasmBytes.generated.js';
import { SegkitError } from '../util/errors.js';

/** The raw kernel exports: every argument is a number (pointers are byte offsets into the memory). */
export interface CoreKernels {
  assign(...args: number[]): number;
  assignBounded(...args: number[]): number;
  accumulate(...args: number[]): void;
  candidatePotentials(...args: number[]): void;
  updateClosest(...args: number[]): number;
  takeClosest(...args: number[]): number;
  mergeClosest(...args: number[]): number;
  preselect(...args: number[]): number;
  walkPotential(...args: number[]): number;
  labelDistances(...args: number[]): void;
  distances(...args: number[]): void;
  columnSums(...args: number[]): void;
  centerColumns(...args: number[]): number;
  centreCopy(...args: number[]): number;
  keyCount(...args: number[]): number;
  gatherColumn(...args: number[]): void;
  gatherRowMajor(...args: number[]): number;
}

/**
 * The kernels of the extra module (mixtures, hierarchies, the exact silhouette, mini-batch k-means's row-major copy):
 * callable once `loadExtraKernels` has run.
 */
export interface ExtraKernels {
  gmm(...args: number[]): number;
  primSingle(...args: number[]): void;
  wardChain(...args: number[]): void;
  silhouettePairs(...args: number[]): void;
  toRowMajor(...args: number[]): void;
}
export type KernelExports = CoreKernels & ExtraKernels;

/** One embedded module: its plain build, and its shared-memory build in full or as bytes to patch. */
export interface EmbeddedWasm {
  plainWasm: string;
  sharedWasm: string;
  sharedPatch: readonly number[];
}

/** The extra module's exports, every one: a name left out here would never be loaded. */
export const EXTRA_KERNELS = ['gmm', 'primSingle', 'wardChain', 'silhouettePairs', 'toRowMajor'] as const;
// the list and the interface name the same kernels (a compile error otherwise)
const sameNames: [Exclude<keyof ExtraKernels, (typeof EXTRA_KERNELS)[number]>] extends [never] ? true : never = true;
void sameNames;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The bytes of the plain or the shared-memory build of a module (the core one unless given). The two differ only in
 * the memory import's limits flag, so unless the shared build is embedded in full it is the plain one with the bytes
 * of `sharedPatch` set.
 */
export function kernelBinary(shared: boolean, embedded: EmbeddedWasm = coreBytes): Uint8Array<ArrayBuffer> {
  if (shared && embedded.sharedWasm !== '') return decode(embedded.sharedWasm);
  const bytes = decode(embedded.plainWasm);
  if (shared) for (let i = 0; i < embedded.sharedPatch.length; i += 2) bytes[embedded.sharedPatch[i]] = embedded.sharedPatch[i + 1];
  return bytes;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();
const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const compiled: string[] = [];

/**
 * Compiles (once) the plain or the shared-memory build of a module from the bytes embedded in the package; a failed
 * import or compile is forgotten, so the next call tries again.
 */
function kernelModule(which: 'core' | 'extra', shared: boolean, embedded: () => Promise<EmbeddedWasm>): Promise<WebAssembly.Module> {
  const key = `${which}:${shared}`;
  let m = modules.get(key);
  if (!m) {
    m = embedded().then((e) => WebAssembly.compile(kernelBinary(shared, e)));
    modules.set(key, m);
    m.then(() => { compiled.push(key); }, () => { modules.delete(key); });
  }
  return m;
}

async function exportsOf(which: 'core' | 'extra', memory: WebAssembly.Memory, shared: boolean, embedded: () => Promise<EmbeddedWasm>): Promise<Record<string, unknown>> {
  const module = await kernelModule(which, shared, embedded);
  const imports = { env: { memory } };
  // The loader's instantiate first asks whether its argument is a fetch Response, and in Node the first look at the
  // global Response loads the whole fetch implementation (undici): 16 ms of CPU in a profile of the command's start,
  // and the same load in each pool worker, which instantiates the kernels too. The module is compiled already, so
  // instantiating it in one step costs nothing there; browsers keep the asynchronous call (Chrome refuses a
  // synchronous one on its main thread for modules over 4 KiB).
  if (inNode) {
    try {
      return instantiateSync<Record<string, unknown>>(module, imports).exports;
    } catch (e) {
      // a Chrome main thread that also runs Node (Electron) refuses it with a RangeError: asynchronously there
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return (await instantiate<Record<string, unknown>>(module, imports)).exports;
}

/** The modules compiled in this realm so far, in order ('core' or 'extra', ':', shared or not): what a caller paid for. */
export const compiledKernelModules = (): string[] => [...compiled];

/** The CSV reader's kernel (assembly/csvSplit.ts): every argument is a number (pointers are byte offsets). */
export interface CsvKernels {
  csvSplit(...args: number[]): number;
}

/**
 * Instantiates the CSV reader's module (`embedded`: its bytes, wasmCsvBytes.generated.ts) over `memory`, plain. At
 * under 4 KiB it is compiled and instantiated in one step everywhere (browsers refuse that on their main thread only
 * for larger modules), so the reader waits for no compiling thread.
 */
export function instantiateCsvKernels(memory: WebAssembly.Memory, embedded: EmbeddedWasm): CsvKernels {
  const module = new WebAssembly.Module(kernelBinary(false, embedded));
  const e = instantiateSync<Record<string, unknown>>(module, { env: { memory } }).exports;
  return { csvSplit: e.csvSplit as CsvKernels['csvSplit'] };
}

/** Kernel tables whose extra module is loaded or loading. */
const extraLoads = new WeakMap<KernelExports, Promise<void>>();
/** Whether each table's memory is shared (its extra module must import the memory the same way). */
const sharedTables = new WeakMap<KernelExports, boolean>();

/**
 * Instantiates the core kernels over a memory the host owns (the kernels never allocate), through AssemblyScript's
 * loader. The extra kernels answer E_EXECUTOR until `loadExtraKernels` has run on the returned table.
 */
export async function instantiateKernels(memory: WebAssembly.Memory, shared: boolean): Promise<KernelExports> {
  const core = await exportsOf('core', memory, shared, async () => coreBytes);
  const table = {} as Record<string, unknown>;
  for (const [name, f] of Object.entries(core)) if (typeof f === 'function') table[name] = f;
  for (const name of EXTRA_KERNELS) {
    table[name] = () => {
      throw new SegkitError('E_EXECUTOR', `the wasm kernel "${name}" is in the extra module, which is not loaded here`, 'an op that calls it declares extraKernels: true');
    };
  }
  const kernels = table as unknown as KernelExports;
  sharedTables.set(kernels, shared);
  return kernels;
}

/**
 * Instantiates the extra module (mixtures, hierarchies, the exact silhouette, mini-batch k-means's row-major copy)
 * over the memory of `kernels` and puts its exports in that table: once per table, whatever the number of callers.
 * Scoring and Lloyd's k-means never need it, so it is compiled only when an op that declares `extraKernels` first runs.
 */
export function loadExtraKernels(mem: { kernels: KernelExports; memory: WebAssembly.Memory }): Promise<void> {
  let p = extraLoads.get(mem.kernels);
  if (!p) {
    const shared = sharedTables.get(mem.kernels);
    if (shared === undefined) throw new SegkitError('E_EXECUTOR', 'the kernel table was not made by instantiateKernels');
    p = exportsOf('extra', mem.memory, shared, () => import('./wasmExtraBytes.generated.js')).then(
      (extra) => {
        for (const name of EXTRA_KERNELS) {
          if (typeof extra[name] !== 'function') throw new SegkitError('E_EXECUTOR', `the extra wasm module has no kernel "${name}"`);
          (mem.kernels as unknown as Record<string, unknown>)[name] = extra[name];
        }
      },
      (e: unknown) => {
        throw e instanceof SegkitError ? e : new SegkitError('E_EXECUTOR', `the extra wasm module (mixtures, hierarchies, the exact silhouette) could not be loaded: ${e instanceof Error ? e.message : String(e)}`, 'the next operation that needs it tries again', { cause: e });
      },
    );
    // a failed load is tried again by the next op that needs it
    p.catch(() => extraLoads.delete(mem.kernels));
    extraLoads.set(mem.kernels, p);
  }
  return p;
}
