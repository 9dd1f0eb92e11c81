// The wasm twin of CsvLines.splitSlice's record loop (assembly/csvSplit.ts), over a memory of its own: the reader
// copies a slice of records in, the kernel splits them and reads their plain decimals, and the reader hands each
// record on from the kernel's tables. The TypeScript loop stays for everything the kernel does not take (multi-byte
// delimiters, slices over MAX_SLICE, a memory that cannot grow) and for the records it leaves to the reader (errors).
import { Heap, PAGE } from './heap.js';
import { instantiateCsvKernels, type CsvKernels } from './wasm.js';
import * as csvBytes from './wasmCsvBytes.generated.js';

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
  private src = 0;
  private lanes = 0;
  private meta = 0;
  private at = { starts: 0, ends: 0, values: 0, notes: 0, recEnds: 0, recSkips: 0 };
  private width = -1;
  /** The heap's blocks of the current layout. */
  private blocks: number[] = [];
  /** Records a call splits at most, for the current width. */
  maxRecords = 0;
  tables!: CsvTables;
  private u8!: Uint8Array;
  private meta32!: Int32Array;

  constructor(private readonly heap: Heap, private readonly kernels: CsvKernels) {}

  /**
   * Copies `bytes` in as the slice to split, laying the tables out for `width` fields a record; false (nothing
   * loaded: the caller splits the slice itself) for a slice over MAX_SLICE bytes, or when the memory cannot grow.
   */
  load(bytes: Uint8Array, size: number, width: number): boolean {
    if (size > MAX_SLICE) return false;
    const room = size + PAD;
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
    // the blocks before go back first, so the new ones take their place (nothing in them outlives a call)
    const before = this.blocks.length > 0 ? { bytes: this.bytes, width: this.width } : undefined;
    for (const p of this.blocks) this.heap.release(p);
    this.blocks = [];
    for (const n of [room, width, 8, fields * 4, fields * 4, fields * 8, fields * 4, maxRecords * 4, maxRecords * 4]) {
      const p = this.heap.alloc(n, true);
      if (p < 0) {
        // past the memory's maximum, or the engine's: the layout before, which fitted, is made again
        for (const q of this.blocks) this.heap.release(q);
        this.blocks = [];
        if (before) this.layout(before.bytes, before.width);
        return false;
      }
      this.blocks.push(p);
    }
    const [src, lanes, meta, starts, ends, values, notes, recEnds, recSkips] = this.blocks;
    this.bytes = room;
    this.width = width;
    this.maxRecords = maxRecords;
    this.src = src;
    this.lanes = lanes;
    this.meta = meta;
    this.at = { starts, ends, values, notes, recEnds, recSkips };
    // growing detaches every view: all made again
    const buf = this.heap.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.meta32 = new Int32Array(buf, meta, 2);
    this.tables = {
      starts: new Int32Array(buf, starts, fields), ends: new Int32Array(buf, ends, fields),
      values: new Float64Array(buf, values, fields), notes: new Int32Array(buf, notes, fields),
      recEnds: new Int32Array(buf, recEnds, maxRecords), recSkips: new Int32Array(buf, recSkips, maxRecords),
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
      const heap = new Heap(false, 2);
      kernel = new CsvKernel(heap, instantiateCsvKernels(heap.memory, csvBytes));
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
