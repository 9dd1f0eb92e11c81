// The wasm twin of CsvLines.splitSlice's record loop (assembly/csvSplit.ts), over a memory of its own: the reader
// copies a slice of records in, the kernel splits them and reads their plain decimals, and the reader hands each
// record on from the kernel's tables. The TypeScript loop stays for everything the kernel does not take (multi-byte
// delimiters, and until the kernel is loaded) and for the records it leaves to the reader (errors).
import { instantiateCsvKernels, type CsvKernels } from './wasm.js';
import * as csvBytes from './wasmCsvBytes.generated.js';

const PAGE = 1 << 16;
// the kernel reads up to 16 bytes past a slice's last line feed
const PAD = 16;
/** Fields the kernel's tables hold per call: records per call = this / width. */
const TABLE_FIELDS = 1 << 16;
/**
 * The largest slice the kernel takes (a chunk is 1 MiB; a longer one holds a record that runs past its chunk): the
 * TypeScript loop splits larger ones, so the kernel's memory, which never shrinks, stays within about twice this.
 */
export const MAX_SLICE = 1 << 24;

/** The tables one call fills, as views into the kernel's memory (made again whenever the memory grows). */
export interface CsvTables {
  starts: Int32Array;
  ends: Int32Array;
  values: Float64Array;
  notes: Int32Array;
  recEnds: Int32Array;
  recSkips: Int32Array;
}

export class CsvKernel {
  private bytes = 0;
  private src = PAGE;
  private lanes = 0;
  private meta = 0;
  private at = { starts: 0, ends: 0, values: 0, notes: 0, recEnds: 0, recSkips: 0 };
  private width = -1;
  /** Records a call splits at most, for the current width. */
  maxRecords = 0;
  tables!: CsvTables;
  private u8!: Uint8Array;
  private meta32!: Int32Array;

  constructor(private readonly memory: WebAssembly.Memory, private readonly kernels: CsvKernels) {}

  /**
   * Copies `bytes` in as the slice to split, laying the tables out for `width` fields a record; false (nothing
   * loaded: the caller splits the slice itself) for a slice over MAX_SLICE bytes, or when the memory cannot grow.
   */
  load(bytes: Uint8Array, size: number, width: number): boolean {
    const room = size + PAD;
    if (size > MAX_SLICE) return false;
    if ((room > this.bytes || width !== this.width) && !this.layout(Math.max(room, this.bytes), width)) return false;
    this.u8.set(bytes.subarray(0, size), this.src);
    return true;
  }

  /** Splits records from `pos` of the slice loaded (with `lanes`); returns how many, and where it stopped. */
  split(size: number, pos: number, lanes: Uint8Array, delimiter: number): { records: number; stop: number; trailing: number } {
    this.u8.set(lanes.subarray(0, this.width), this.lanes);
    const a = this.at;
    const records = this.kernels.csvSplit(this.src, size, pos, this.width, this.lanes, delimiter,
      a.starts, a.ends, a.values, a.notes, a.recEnds, a.recSkips, this.maxRecords, this.meta);
    return { records, stop: this.meta32[0], trailing: this.meta32[1] };
  }

  /** Whether `lanes` differ from those of the last split. */
  lanesDiffer(lanes: Uint8Array): boolean {
    const u8 = this.u8, at = this.lanes;
    for (let j = 0; j < this.width; j++) if (lanes[j] !== u8[at + j]) return true;
    return false;
  }

  private layout(bytes: number, width: number): boolean {
    // room for a slice of twice the size asked, so slices a little larger do not grow the memory each time
    const room = bytes === this.bytes ? bytes : Math.ceil((bytes * 2) / PAGE) * PAGE;
    const maxRecords = Math.max(1, Math.floor(TABLE_FIELDS / width));
    const fields = maxRecords * width;
    let top = this.src + room;
    const take = (n: number) => {
      const p = top;
      top += Math.ceil(n / 8) * 8;
      return p;
    };
    const lanes = take(width);
    const meta = take(8);
    const a = { starts: take(fields * 4), ends: take(fields * 4), values: take(fields * 8), notes: take(fields * 4), recEnds: take(maxRecords * 4), recSkips: take(maxRecords * 4) };
    const need = Math.ceil(top / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    try {
      if (need > have) this.memory.grow(need - have);
    } catch {
      // past the memory's maximum, or the engine's: the layout before stays as it was
      return false;
    }
    this.bytes = room;
    this.width = width;
    this.maxRecords = maxRecords;
    this.lanes = lanes;
    this.meta = meta;
    this.at = a;
    // growing detaches every view: all made again
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.meta32 = new Int32Array(buf, meta, 2);
    this.tables = {
      starts: new Int32Array(buf, a.starts, fields), ends: new Int32Array(buf, a.ends, fields),
      values: new Float64Array(buf, a.values, fields), notes: new Int32Array(buf, a.notes, fields),
      recEnds: new Int32Array(buf, a.recEnds, maxRecords), recSkips: new Int32Array(buf, a.recSkips, maxRecords),
    };
    return true;
  }
}

let tried = false;
let kernel: CsvKernel | undefined;
let enabled = true;

/** The kernel (made on first use; where it cannot be, the TypeScript loop does the work), unless turned off. */
export function csvKernel(): CsvKernel | undefined {
  if (!enabled) return undefined;
  if (!tried) {
    tried = true;
    try {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
      kernel = new CsvKernel(memory, instantiateCsvKernels(memory, csvBytes));
    } catch {
      kernel = undefined;
    }
  }
  return kernel;
}

/** Turns the kernel off (or on again), so tests can hold its tables against the TypeScript loop's. @internal */
export function useCsvKernel(on: boolean): void {
  enabled = on;
}
