// Edges of the staged write path: memory that cannot be had, stages kept after the files are done, file systems
// that take O_DIRECT at open and refuse its writes with another code, short writes.
import { constants, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pattern } from './bytePattern.js';

// set by a test: writes that bypass the page cache fail with this code
let failDirect: string | undefined;
// set by a test: every write through either handle takes at most this many bytes
let shortWrites: number | undefined;

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    open: async (path: string, flags: string | number) => {
      const handle = await fs.open(path, flags);
      return new Proxy(handle, {
        get(target, key) {
          const value = Reflect.get(target, key);
          if (typeof value !== 'function') return value;
          if (key === 'write') {
            return (buffer: Uint8Array, offset: number, length: number, position: number) => {
              if (failDirect && typeof flags === 'number') return Promise.reject(Object.assign(new Error(`${failDirect}: write refused`), { code: failDirect }));
              return target.write(buffer, offset, shortWrites ? Math.min(length, shortWrites) : length, position);
            };
          }
          return value.bind(target);
        },
      });
    },
  };
});

const atomic = await import('../src/data/writeFileAtomic.node.js');
const { AtomicFile, writeFileAtomic } = atomic;
// (8 MiB where the module names no stage)
const STAGE_BYTES: number = (atomic as { STAGE_BYTES?: number }).STAGE_BYTES ?? 8 * 2 ** 20;

const dir = mkdtempSync(join(tmpdir(), 'segkit-atomic-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  failDirect = undefined;
  shortWrites = undefined;
});


describe('staged writes, edges', () => {
  it('a file name of up to 255 bytes is written, its temporary name cut to fit beside it (at a character)', async () => {
    const { writeTable } = await import('../src/data/writeTable.node.js');
    const { readCsv } = await import('../src/data/readCsv.js');
    // 255 bytes of ASCII; 254 bytes of two-byte characters (a cut at 233 bytes would split one)
    for (const name of [`${'a'.repeat(251)}.csv`, `${'ü'.repeat(125)}.csv`]) {
      expect(Buffer.byteLength(name)).toBeGreaterThanOrEqual(254);
      await writeFileAtomic(join(dir, name), 'old');
      await writeTable(join(dir, name), await readCsv('a,b\n1,2\n'));
      expect(readFileSync(join(dir, name), 'utf8')).toBe('a,b\n1,2\n');
      expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      rmSync(join(dir, name));
    }
    const temp = atomic.tempPath(join(dir, `${'ü'.repeat(125)}.csv`));
    expect(Buffer.byteLength(temp.slice(dir.length + 1))).toBeLessThanOrEqual(255);
    expect(temp.slice(dir.length + 1)).toMatch(/^\.ü+\.\d+\.[0-9a-f]{12}\.tmp$/);
  });

  it('a small file is written when WebAssembly memory cannot be had (ulimit -v, --jitless), as it was before staging', async () => {
    // what V8 throws under a virtual-memory limit: "WebAssembly.Memory(): could not allocate memory"
    vi.stubGlobal('WebAssembly', { ...WebAssembly, Memory: class { constructor() { throw new RangeError('WebAssembly.Memory(): could not allocate memory'); } } });
    try {
      await writeFileAtomic(join(dir, 'model.json'), '{"k":2}\n');
    } finally {
      vi.unstubAllGlobals();
    }
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('{"k":2}\n');
  });

  it('files written at the same time keep no more than two stages once they are done', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const files = 6;
    gc();
    const before = process.memoryUsage().external;
    await Promise.all(Array.from({ length: files }, async (_, i) => {
      const file = await AtomicFile.open(join(dir, `many${i}.bin`));
      await file.write(pattern(1000, i));
      await file.commit();
    }));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const kept = process.memoryUsage().external - before;
    // each stage is two halves of STAGE_BYTES
    expect(kept).toBeLessThan(2 * 2 * STAGE_BYTES + STAGE_BYTES);
  });

  it.each(['EOPNOTSUPP', 'ENOTSUP'])('a file system that takes O_DIRECT at open but refuses its first write with %s gets the page cache', async (code) => {
    if ((constants as Record<string, number | undefined>).O_DIRECT === undefined) return;
    failDirect = code;
    const want = pattern(STAGE_BYTES + 10, 3);
    const file = await AtomicFile.open(join(dir, 'refused.bin'));
    await file.write(want);
    await file.commit();
    expect(Buffer.compare(readFileSync(join(dir, 'refused.bin')), want)).toBe(0);
  });

  it('short writes go on where they stopped, through either handle', async () => {
    shortWrites = 1 << 20;
    const want = pattern(2 * STAGE_BYTES + 777, 4);
    const file = await AtomicFile.open(join(dir, 'short.bin'));
    await file.write(want);
    await file.commit();
    expect(Buffer.compare(readFileSync(join(dir, 'short.bin')), want)).toBe(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
