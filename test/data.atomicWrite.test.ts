// The order of the file-system calls behind every segkit write: a temporary file, flushed, renamed, the folder flushed.
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pattern } from './bytePattern.js';

const calls: string[] = [];
// set by a test: the handle's datasync fails as a disk that has gone away does
let failDatasync = false;
// set by a test: writes that bypass the page cache fail with this code (EINVAL: a file system that refuses them)
let failDirect: string | undefined;
// set by a test: every write, through either handle, fails with this code (ENOSPC: a full disk)
let failWrites: string | undefined;

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const name = (p: unknown) => (String(p).endsWith('.tmp') ? 'temp' : basename(String(p)));
  return {
    ...fs,
    open: async (path: string, flags: string | number) => {
      const handle = await fs.open(path, flags);
      // numeric flags: the second handle, whose writes bypass the page cache
      const what = `${name(path)}${typeof flags === 'number' ? ' direct' : ''}`;
      calls.push(`open ${what}${typeof flags === 'number' ? '' : ` ${flags}`}`);
      return new Proxy(handle, {
        get(target, key) {
          const value = Reflect.get(target, key);
          if (typeof value !== 'function') return value;
          if (key === 'sync' || key === 'write' || key === 'close' || key === 'datasync' || key === 'truncate') {
            return (...args: unknown[]) => {
              calls.push(`${String(key)} ${what}`);
              if (key === 'datasync' && failDatasync) return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
              if (key === 'write' && failDirect && typeof flags === 'number') return Promise.reject(Object.assign(new Error(`${failDirect}: write refused`), { code: failDirect }));
              if (key === 'write' && failWrites) return Promise.reject(Object.assign(new Error(`${failWrites}: write failed`), { code: failWrites }));
              return value.apply(target, args);
            };
          }
          return value.bind(target);
        },
      });
    },
    rename: async (from: string, to: string) => {
      calls.push(`rename ${name(from)} -> ${name(to)}`);
      return fs.rename(from, to);
    },
  };
});

const { AtomicFile, FLUSH_BYTES, STAGE_BYTES, commitAll, stageFile, writeFileAtomic } = await import('../src/data/writeFileAtomic.node.js');
const { writeTable } = await import('../src/data/writeTable.node.js');
const { readCsv } = await import('../src/data/readCsv.js');

const dir = mkdtempSync(join(tmpdir(), 'segkit-atomic-'));
const folder = basename(dir);
const closing = [`open ${folder} r`, `sync ${folder}`, `close ${folder}`];

/** Whether this folder's file system takes writes that bypass the page cache (from page-aligned memory, as segkit's). */
function directWorks(): boolean {
  const flag = (constants as Record<string, number | undefined>).O_DIRECT;
  if (flag === undefined) return false;
  const probe = join(dir, 'probe');
  try {
    const fd = openSync(probe, constants.O_WRONLY | constants.O_CREAT | flag);
    try {
      writeSync(fd, new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer, 0, 4096), 0, 4096, 0);
      return true;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}
const direct = directWorks();


afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  calls.length = 0;
  failDatasync = false;
  failDirect = undefined;
  failWrites = undefined;
});

describe('atomic writes', () => {
  it('writeFileAtomic: the data goes to a temporary file, which is flushed, closed, renamed over the target, and the folder is flushed', async () => {
    writeFileSync(join(dir, 'model.json'), 'old');
    await writeFileAtomic(join(dir, 'model.json'), 'new');
    expect(calls).toEqual(['open temp wx', 'write temp', 'sync temp', 'close temp', 'rename temp -> model.json', ...closing]);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('new');
  });

  it('writeTable and the streaming writer (segkit score) go the same way; a small file is written by one call', async () => {
    await writeTable(join(dir, 't.csv'), await readCsv('a\n1\n'));
    expect(calls).toEqual(['open temp wx', 'write temp', 'sync temp', 'close temp', 'rename temp -> t.csv', ...closing]);
    calls.length = 0;
    const file = await AtomicFile.open(join(dir, 'scored.csv'));
    await file.write('a,segment\n');
    await file.write(new TextEncoder().encode('1,0\n'));
    await file.writeAll([new TextEncoder().encode('2,'), new TextEncoder().encode('1\n')]);
    expect(file.route).toBe('staged');
    await file.commit();
    expect(calls).toEqual(['open temp wx', 'write temp', 'sync temp', 'close temp', 'rename temp -> scored.csv', ...closing]);
    expect(readFileSync(join(dir, 'scored.csv'), 'utf8')).toBe('a,segment\n1,0\n2,1\n');
  });

  it('a cancelled write leaves the target as it was and removes its temporary file', async () => {
    writeFileSync(join(dir, 'keep.json'), 'old');
    const controller = new AbortController();
    const file = await AtomicFile.open(join(dir, 'keep.json'));
    await file.write('new');
    controller.abort();
    await expect(file.commit(controller.signal)).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(calls).not.toContain('rename temp -> keep.json');
    expect(readFileSync(join(dir, 'keep.json'), 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expect(writeFileAtomic(join(dir, 'keep.json'), 'newer', controller.signal)).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(readFileSync(join(dir, 'keep.json'), 'utf8')).toBe('old');
  });

  it('commitAll: every file flushed before the first rename; a fired signal or a failure before the renames replaces none', async () => {
    const temps = () => readdirSync(dir).filter((n) => n.endsWith('.tmp'));
    writeFileSync(join(dir, 'out-a.csv'), 'old a');
    writeFileSync(join(dir, 'out-b.json'), 'old b');
    const controller = new AbortController();
    let staged = [await stageFile(join(dir, 'out-a.csv'), 'new a'), await stageFile(join(dir, 'out-b.json'), 'new b')];
    controller.abort();
    await expect(commitAll(staged, controller.signal)).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(calls.filter((c) => c.startsWith('rename'))).toEqual([]);
    expect([readFileSync(join(dir, 'out-a.csv'), 'utf8'), readFileSync(join(dir, 'out-b.json'), 'utf8')]).toEqual(['old a', 'old b']);
    expect(temps()).toEqual([]);
    // the second output fails as it is flushed: the first, ready by then, is not renamed either
    const failing = { flush: () => Promise.reject(Object.assign(new Error('cannot write "out-b.json": EIO'), { code: 'E_IO' })), commit: async () => undefined, discard: async () => undefined };
    await expect(commitAll([await stageFile(join(dir, 'out-a.csv'), 'new a'), failing])).rejects.toMatchObject({ code: 'E_IO' });
    expect(readFileSync(join(dir, 'out-a.csv'), 'utf8')).toBe('old a');
    expect(temps()).toEqual([]);
    calls.length = 0;
    staged = [await stageFile(join(dir, 'out-a.csv'), 'new a'), await stageFile(join(dir, 'out-b.json'), 'new b')];
    await commitAll(staged, new AbortController().signal);
    expect(calls).toEqual([
      'open temp wx', 'open temp wx', 'write temp', 'sync temp', 'close temp', 'write temp', 'sync temp', 'close temp',
      'rename temp -> out-a.csv', ...closing, 'rename temp -> out-b.json', ...closing,
    ]);
    expect([readFileSync(join(dir, 'out-a.csv'), 'utf8'), readFileSync(join(dir, 'out-b.json'), 'utf8')]).toEqual(['new a', 'new b']);
    expect(temps()).toEqual([]);
  });

  it.each([0, 1, 4095, 4097, STAGE_BYTES - 1, STAGE_BYTES, STAGE_BYTES + 1, 2 * STAGE_BYTES + 4096, 3 * STAGE_BYTES + 12_345])(
    'a file of %i bytes in uneven pieces arrives whole, byte for byte', async (size) => {
      const want = pattern(size, size);
      const file = await AtomicFile.open(join(dir, 'sized.bin'));
      // pieces of 1 byte to more than a stage, as text and as bytes
      let at = 0, turn = 0;
      while (at < size) {
        const piece = Math.min(size - at, [1, 3000, 70_000, STAGE_BYTES + 77][turn % 4]);
        const part = want.subarray(at, at + piece);
        if (turn % 3 === 0) await file.writeAll([part.subarray(0, piece >> 1), part.subarray(piece >> 1)]);
        else await file.write(part);
        at += piece;
        turn++;
      }
      await file.commit();
      const back = readFileSync(join(dir, 'sized.bin'));
      expect(back.length).toBe(size);
      expect(Buffer.compare(back, want)).toBe(0);
      rmSync(join(dir, 'sized.bin'));
    });

  it('a caller may reuse its buffer once a write resolves: what was written is what the buffer held then', async () => {
    const buffer = new Uint8Array(3 * STAGE_BYTES / 2);
    const file = await AtomicFile.open(join(dir, 'reused.bin'));
    for (const value of [1, 2, 3]) {
      buffer.fill(value);
      await file.write(buffer);
    }
    buffer.fill(9);
    await file.commit();
    const back = readFileSync(join(dir, 'reused.bin'));
    expect(back.length).toBe(3 * buffer.length);
    for (const [q, value] of [1, 2, 3].entries()) {
      const part = back.subarray(q * buffer.length, (q + 1) * buffer.length);
      expect([part[0], part[part.length - 1], part.indexOf(value === 1 ? 2 : 1)]).toEqual([value, value, -1]);
    }
    rmSync(join(dir, 'reused.bin'));
  });

  it('a large file is written a stage at a time, straight to the disk where the file system allows, its padded end cut back', async () => {
    const want = pattern(2 * STAGE_BYTES + 100, 5);
    const file = await AtomicFile.open(join(dir, 'big.bin'));
    await file.write(want.subarray(0, STAGE_BYTES - 1));
    expect(calls).toEqual(['open temp wx']);
    await file.write(want.subarray(STAGE_BYTES - 1));
    expect(file.route).toBe(direct ? 'direct' : 'page cache');
    await file.commit();
    expect(file.route).toBe(direct ? 'direct' : 'page cache');
    const writes = direct
      ? ['open temp direct', 'write temp direct', 'write temp direct', 'write temp direct', 'truncate temp', 'sync temp', 'close temp direct', 'close temp']
      : ['write temp', 'write temp', 'write temp', 'sync temp', 'close temp'];
    expect(calls).toEqual(['open temp wx', ...writes.filter((c) => !(direct === false && c.startsWith('open'))), 'rename temp -> big.bin', ...closing]);
    expect(Buffer.compare(readFileSync(join(dir, 'big.bin')), want)).toBe(0);
    rmSync(join(dir, 'big.bin'));
  });

  it('a file system that refuses the first direct write gets every part through the page cache, flushed in the background', async () => {
    failDirect = 'EINVAL';
    const want = pattern(FLUSH_BYTES + 3, 7);
    const file = await AtomicFile.open(join(dir, 'cached.bin'));
    await file.writeAll([want.subarray(0, 10), want.subarray(10)]);
    await file.commit();
    expect(file.route).toBe('page cache');
    const parts = calls.filter((c) => c === 'write temp').length;
    // FLUSH_BYTES / STAGE_BYTES whole parts, then the 3 bytes left
    expect(parts).toBe(FLUSH_BYTES / STAGE_BYTES + 1);
    if (direct) expect(calls.slice(0, 4)).toEqual(['open temp wx', 'open temp direct', 'write temp direct', 'close temp direct']);
    expect(calls.indexOf('datasync temp')).toBeGreaterThan(calls.indexOf('write temp'));
    expect(calls.indexOf('datasync temp')).toBeLessThan(calls.indexOf('sync temp'));
    expect(Buffer.compare(readFileSync(join(dir, 'cached.bin')), want)).toBe(0);
    rmSync(join(dir, 'cached.bin'));
  });

  it('SEGKIT_DIRECT_IO=0 keeps every part in the page cache', async () => {
    vi.stubEnv('SEGKIT_DIRECT_IO', '0');
    try {
      const want = pattern(STAGE_BYTES + 10, 11);
      const file = await AtomicFile.open(join(dir, 'cache-only.bin'));
      await file.write(want);
      await file.commit();
      expect(file.route).toBe('page cache');
      expect(calls.filter((c) => c.includes('direct'))).toEqual([]);
      expect(calls.filter((c) => c === 'write temp').length).toBe(2);
      expect(Buffer.compare(readFileSync(join(dir, 'cache-only.bin')), want)).toBe(0);
      rmSync(join(dir, 'cache-only.bin'));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.each([['a small file', 1000], ['a large one', 3 * STAGE_BYTES]])('a write that fails (a full disk) fails %s with E_IO naming the file: the target left as it was, no temporary file', async (_, size) => {
    writeFileSync(join(dir, 'full.bin'), 'old');
    failWrites = 'ENOSPC';
    const file = await AtomicFile.open(join(dir, 'full.bin'));
    // a part's write runs while the next fills: its failure ends a later write or the commit
    const err = await file.write(pattern(size, 9)).then(() => file.commit()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_IO' });
    expect(String((err as Error).message)).toContain('full.bin');
    expect(String((err as Error).message)).toContain('ENOSPC');
    expect(readFileSync(join(dir, 'full.bin'), 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expect(file.write('more')).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('a file discarded while its parts are written leaves no temporary file, and the next file is whole', async () => {
    const file = await AtomicFile.open(join(dir, 'dropped.bin'));
    const writing = file.write(pattern(3 * STAGE_BYTES, 12)).catch((e: unknown) => e);
    await file.discard();
    await writing;
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const want = pattern(2 * STAGE_BYTES + 5, 13);
    const next = await AtomicFile.open(join(dir, 'after.bin'));
    await next.write(want);
    await next.commit();
    expect(Buffer.compare(readFileSync(join(dir, 'after.bin')), want)).toBe(0);
    rmSync(join(dir, 'after.bin'));
  });

  it('a background flush that fails fails the commit: E_IO, the target left as it was, no temporary file', async () => {
    writeFileSync(join(dir, 'flaky.bin'), 'old');
    failDatasync = true;
    failDirect = 'EINVAL';
    const file = await AtomicFile.open(join(dir, 'flaky.bin'));
    await file.write(new Uint8Array(FLUSH_BYTES));
    const err = await file.commit().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_IO' });
    expect(String((err as Error).message)).toContain('flaky.bin');
    expect(String((err as Error).message)).toContain('EIO');
    expect(calls).toContain('datasync temp');
    expect(calls).not.toContain('rename temp -> flaky.bin');
    expect(readFileSync(join(dir, 'flaky.bin'), 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
