// The copy behind `Executor.gather` on executors whose shards share one memory: plain numbers, so a pool worker
// can take a range of the target rows.
import type { KernelExports } from '../kernels/wasm.js';

/** Where a gather reads and writes, as byte offsets into the memory. */
export interface GatherPlan {
  /** Target rows, and where their source row numbers lie (int32). */
  n: number;
  rows: number;
  /** Column j's row i is at x + bytes * (j * stride + i), in the source and in the target. */
  d: number;
  bytes: 4 | 8;
  srcX: number;
  srcStride: number;
  dstX: number;
  dstStride: number;
  /** Per-row buffers copied along: [source pointer, target pointer, bytes per row]. */
  buffers: [number, number, number][];
  /** A row-major copy of the source's float32 values (d a row, row i at srcRows + 4 d i), read instead of its columns. */
  srcRows?: number;
}

/** Copies target rows [q0, q1): row q of every column and buffer from source row rows[q] (bits as they are). */
export function copyGathered(memory: WebAssembly.Memory, kernels: KernelExports, p: GatherPlan, q0: number, q1: number): void {
  const runs: [number, number, number][] = [];
  // each drawn row is one cache line of the row-major copy, against one a value in the columns
  if (p.srcRows !== undefined) kernels.gatherRowMajor(p.srcRows, p.d, p.dstX, p.dstStride, p.rows, q0, q1);
  else for (let j = 0; j < p.d; j++) runs.push([p.srcX + p.bytes * j * p.srcStride, p.dstX + p.bytes * j * p.dstStride, p.bytes]);
  runs.push(...p.buffers);
  for (const [from, to, bytes] of runs) {
    if (bytes === 4) {
      kernels.gatherColumn(from, to, p.rows, q0, q1);
      continue;
    }
    // wider values as int32 words: a copy never touches a NaN's payload
    const buf = memory.buffer, w = bytes >> 2;
    const rows = new Int32Array(buf, p.rows, p.n), src = new Int32Array(buf, from), dst = new Int32Array(buf, to);
    for (let q = q0; q < q1; q++) {
      const a = rows[q] * w, b = q * w;
      for (let t = 0; t < w; t++) dst[b + t] = src[a + t];
    }
  }
}
