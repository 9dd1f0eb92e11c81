// The order of the file-system calls behind every segkit write: a temporary file, flushed, renamed, the folder flushed.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];
// set by a test: the handle's datasync fails as a disk that has gone away does
let failDatasync = false;

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const name = (p: unknown) => (String(p).endsWith('.tmp') ? 'temp' : basename(String(p)));
  return {
    ...fs,
    open: async (path: string, flags: string) => {
      const handle = await fs.open(path, flags);
      const what = name(path);
      calls.push(`open ${what} ${flags}`);
      return new Proxy(handle, {
        get(target, key) {
          const value = Reflect.get(target, key);
          if (typeof value !== 'function') return value;
          if (key === 'sync' || key === 'writeFile' || key === 'close' || key === 'datasync' || key === 'writev') {
            return (...args: unknown[]) => {
              calls.push(`${String(key)} ${what}`);
              if (key === 'datasync' && failDatasync) return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
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

const { AtomicFile, FLUSH_BYTES, writeFileAtomic } = await import('../src/data/writeFileAtomic.node.js');
const { writeTable } = await import('../src/data/writeTable.node.js');
const { readCsv } = await import('../src/data/readCsv.js');

const dir = mkdtempSync(join(tmpdir(), 'segkit-atomic-'));
const folder = basename(dir);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  calls.length = 0;
  failDatasync = false;
});

describe('atomic writes', () => {
  it('writeFileAtomic: the data goes to a temporary file, which is flushed, closed, renamed over the target, and the folder is flushed', async () => {
    writeFileSync(join(dir, 'model.json'), 'old');
    await writeFileAtomic(join(dir, 'model.json'), 'new');
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'sync temp', 'close temp', 'rename temp -> model.json', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('new');
  });

  it('writeTable and the streaming writer (segkit score) go the same way', async () => {
    await writeTable(join(dir, 't.csv'), await readCsv('a\n1\n'));
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'sync temp', 'close temp', 'rename temp -> t.csv', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    calls.length = 0;
    const file = await AtomicFile.open(join(dir, 'scored.csv'));
    await file.write('a,segment\n');
    await file.write(new TextEncoder().encode('1,0\n'));
    await file.commit();
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'writeFile temp', 'sync temp', 'close temp', 'rename temp -> scored.csv', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    expect(readFileSync(join(dir, 'scored.csv'), 'utf8')).toBe('a,segment\n1,0\n');
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

  it('a large file is flushed in the background as it is written, and the whole of it arrives', async () => {
    const half = new Uint8Array(FLUSH_BYTES / 2).fill(7);
    const file = await AtomicFile.open(join(dir, 'big.bin'));
    await file.write(half);
    expect(calls).not.toContain('datasync temp');
    await file.write(half);
    // the second half reaches FLUSH_BYTES: a flush starts, and the commit waits for it before its own
    await file.writeAll([new Uint8Array([1, 2, 3]), new Uint8Array([4])]);
    await file.commit();
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'writeFile temp', 'datasync temp', 'writev temp', 'sync temp', 'close temp', 'rename temp -> big.bin', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    const back = readFileSync(join(dir, 'big.bin'));
    expect(back.length).toBe(FLUSH_BYTES + 4);
    expect([...back.subarray(FLUSH_BYTES - 2)]).toEqual([7, 7, 1, 2, 3, 4]);
    expect(back.indexOf(0)).toBe(-1);
    rmSync(join(dir, 'big.bin'));
  });

  it('vectored writes count towards the next background flush', async () => {
    const file = await AtomicFile.open(join(dir, 'chunks.bin'));
    await file.writeAll([new Uint8Array(FLUSH_BYTES / 2), new Uint8Array(FLUSH_BYTES / 2)]);
    await file.commit();
    expect(calls.slice(0, 4)).toEqual(['open temp wx', 'writev temp', 'datasync temp', 'sync temp']);
    expect(readFileSync(join(dir, 'chunks.bin')).length).toBe(FLUSH_BYTES);
    rmSync(join(dir, 'chunks.bin'));
  });

  it('a background flush that fails fails the commit: E_IO, the target left as it was, no temporary file', async () => {
    writeFileSync(join(dir, 'flaky.bin'), 'old');
    failDatasync = true;
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
