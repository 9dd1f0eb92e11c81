import { SegkitError } from '../util/errors.js';

/** Bytes in a wasm memory page. */
export const PAGE = 65536;
const ALIGN = 64;
/** Bytes below this are left to the module's own static data. */
const BASE = PAGE;
/** 4 GiB: the most a 32-bit wasm memory can address. */
export const MAX_PAGES = 65536;

/**
 * The host-side allocator over a wasm memory: the only place that allocates; kernels and workers get pointers.
 * First-fit over a sorted free list with coalescing; blocks are 64-byte aligned so columns start on cache lines.
 */
export class Heap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private top = BASE;
  /** The end of the furthest block ever handed out: pages above it have never been written. */
  private reach = BASE;
  private free: { ptr: number; size: number }[] = [];
  private sizes = new Map<number, number>();
  /** Bytes the memory may grow to. */
  private readonly limit: number;

  constructor(shared: boolean, initialPages = 32, maxPages = MAX_PAGES) {
    this.shared = shared;
    this.limit = maxPages * PAGE;
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: maxPages, shared } as WebAssembly.MemoryDescriptor);
  }

  /** Bytes currently handed out (for memory reports). */
  get used(): number {
    let s = 0;
    for (const v of this.sizes.values()) s += v;
    return s;
  }

  /** A block of at least `bytes` bytes; when the memory has no room, -1 if `optional`, else E_MEMORY. */
  alloc(bytes: number, optional = false): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size >= size) {
        const ptr = b.ptr;
        if (b.size === size) this.free.splice(i, 1);
        else { b.ptr += size; b.size -= size; }
        this.sizes.set(ptr, size);
        return ptr;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    const full = (): number => {
      if (optional) return -1;
      throw new SegkitError('E_MEMORY', `cannot allocate ${size} bytes: the ${this.limit / 2 ** 30} GiB wasm memory is full`, 'use fewer rows or sample the data');
    };
    if (end > this.limit) return full();
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        // the host refused to grow the memory (a browser tab's limit, or the machine's)
        return full();
      }
    }
    this.top = end;
    this.reach = Math.max(this.reach, end);
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** The end of the furthest block handed out so far. */
  get reached(): number {
    return this.reach;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    // coalesce with neighbours, then give the tail back to the bump pointer
    if (i + 1 < this.free.length && ptr + size === this.free[i + 1].ptr) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].ptr + this.free[i - 1].size === ptr) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
      i--;
    }
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  // Views are made fresh on each call: growing the memory replaces its buffer.
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }
}

/** The operating system's page: one write each is what makes a page resident. */
export const OS_PAGE = 4096;

/** One write a page over bytes [from, to) of a buffer no one uses yet (never written, so still zero). */
export function touchPages(buffer: ArrayBufferLike, from: number, to: number): void {
  const bytes = new Uint8Array(buffer);
  for (let p = from; p < to; p += OS_PAGE) bytes[p] = 0;
}
