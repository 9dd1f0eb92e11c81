// The wasm twin of CsvLines.splitSlice's record loop (assembly/csvSplit.ts), over a memory of its own: the reader
// copies a slice of records in, the kernel splits them and reads their plain decimals, and the reader hands each
// record on from the kernel's tables. The TypeScript loop stays for everything the kernel does not take (multi-byte
// delimiters, and until the kernel is loaded) and for the records it leaves to the reader (errors).
import { instantiateCsvKernels, type CsvKernels } from './wasm.js';

const PAGE = 1 << 16;
// the kernel reads up to 16 bytes past a slice's last line feed
const PAD = 16;
/** Fields the kernel's tables hold per call: records per call = this / width. */
const TABLE_FIELDS = 1 << 16;

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

  /** Copies `bytes` in as the slice to split, laying the tables out for `width` fields a record. */
  load(bytes: Uint8Array, size: number, width: number): void {
    const room = size + PAD;
    if (room > this.bytes || width !== this.width) this.layout(Math.max(room, this.bytes), width);
    this.u8.set(bytes.subarray(0, size), this.src);
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

  private layout(bytes: number, width: number): void {
    // room for a slice of twice the size asked, so slices a little larger do not grow the memory each time
    this.bytes = bytes === this.bytes ? bytes : Math.ceil((bytes * 2) / PAGE) * PAGE;
    this.width = width;
    this.maxRecords = Math.max(1, Math.floor(TABLE_FIELDS / width));
    const fields = this.maxRecords * width;
    let top = this.src + this.bytes;
    const take = (n: number) => {
      const p = top;
      top += Math.ceil(n / 8) * 8;
      return p;
    };
    this.lanes = take(width);
    this.meta = take(8);
    this.at = { starts: take(fields * 4), ends: take(fields * 4), values: take(fields * 8), notes: take(fields * 4), recEnds: take(this.maxRecords * 4), recSkips: take(this.maxRecords * 4) };
    const need = Math.ceil(top / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (need > have) this.memory.grow(need - have);
    // growing detaches every view: all made again
    const buf = this.memory.buffer;
    const a = this.at;
    this.u8 = new Uint8Array(buf);
    this.meta32 = new Int32Array(buf, this.meta, 2);
    this.tables = {
      starts: new Int32Array(buf, a.starts, fields), ends: new Int32Array(buf, a.ends, fields),
      values: new Float64Array(buf, a.values, fields), notes: new Int32Array(buf, a.notes, fields),
      recEnds: new Int32Array(buf, a.recEnds, this.maxRecords), recSkips: new Int32Array(buf, a.recSkips, this.maxRecords),
    };
  }
}

let loading: Promise<void> | undefined;
let kernel: CsvKernel | undefined;
let enabled = true;

/** Loads the kernel (once; a failure leaves the TypeScript loop to do the work). */
export function loadCsvKernel(): Promise<void> {
  loading ??= (async () => {
    try {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
      kernel = new CsvKernel(memory, await instantiateCsvKernels(memory));
    } catch {
      kernel = undefined;
    }
  })();
  return loading;
}

/** The kernel, once loaded (and not turned off). */
export function csvKernel(): CsvKernel | undefined {
  return enabled ? kernel : undefined;
}

/** Turns the kernel off (or on again), so tests can hold its tables against the TypeScript loop's. @internal */
export function useCsvKernel(on: boolean): void {
  enabled = on;
}
