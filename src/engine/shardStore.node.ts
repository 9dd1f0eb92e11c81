import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SegkitError, describe } from '../util/errors.js';
import { syncDirectory } from '../util/syncDirectory.node.js';

/**
 * Where a distributed executor puts what jobs refer to (the claim-check pattern): each shard of loaded data, large
 * op states, written per-row values and large partials. Keys are relative paths like `3f2a.../shard-000003.arrow`.
 * The caller and every worker must reach the same store. An S3-compatible object store implements the same four
 * methods (PutObject, GetObject with 404 as undefined, DeleteObject, and a listed delete of a prefix).
 */
export interface ShardStore {
  /** Where the store is, for messages (never with secrets). */
  readonly url: string;
  /** Stores the bytes under the key, whole or not at all. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under the key, or undefined when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
  remove(key: string): Promise<void>;
  /** Removes every key that starts with `prefix` (a "directory", ending with "/"). */
  removeAll(prefix: string): Promise<void>;
  /**
   * Optional: each top-level "directory" (`prefix` ending with "/") and when anything in it was last written
   * (`modified`, milliseconds since 1970). Workers use it to remove the data a crashed caller left; a store without
   * it keeps such data until it is removed by hand.
   */
  folders?(): Promise<{ prefix: string; modified: number }[]>;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?$/;

function checkKey(key: string): string {
  if (typeof key !== 'string' || !KEY.test(key)) throw new SegkitError('E_EXECUTOR', `store key ${describe(key)} is not a relative path of plain names`);
  return key;
}

/**
 * `mkdir -p` in steps, each parent made once before its child: Node's own recursive mkdir never returns where a
 * parent exists but refuses children with ENOENT (a folder under /proc), and this gives that ENOENT. The parent of
 * each folder made is flushed, so the folder survives a crash as the files renamed into it do.
 */
async function makeDirs(dir: string): Promise<void> {
  // the second try follows the parent's making: a second ENOENT is the final answer
  for (let tried = false; ; tried = true) {
    try {
      await mkdir(dir);
      await syncDirectory(path.dirname(dir));
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && (await stat(dir)).isDirectory()) return;
      const parent = path.dirname(dir);
      if (code !== 'ENOENT' || tried || parent === dir) throw e;
      await makeDirs(parent);
    }
  }
}

/**
 * A directory, local or on a file system every worker mounts (NFS, a shared volume): a write goes to a temporary
 * name, is flushed to disk, renamed into place and the directory flushed, so a crash leaves the old file or the
 * whole new one, never a part.
 */
class FileStore implements ShardStore {
  private readonly made = new Set<string>();
  constructor(readonly url: string, private readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.file(key);
    const dir = path.dirname(file);
    if (!this.made.has(dir)) {
      try {
        await makeDirs(dir);
      } catch (e) {
        throw new SegkitError('E_IO', `cannot write ${key} to the store ${this.url}: ${(e as Error).message}`, undefined, { cause: e });
      }
      this.made.add(dir);
    }
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx');
      await handle.writeFile(bytes);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(temp, file);
      await syncDirectory(dir);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw new SegkitError('E_IO', `cannot write ${key} to the store ${this.url}: ${(e as Error).message}`, undefined, { cause: e });
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const b = await readFile(this.file(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SegkitError('E_IO', `cannot read ${key} from the store ${this.url}: ${(e as Error).message}`, undefined, { cause: e });
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async removeAll(prefix: string): Promise<void> {
    const dir = this.file(prefix.replace(/\/$/, ''));
    for (const d of this.made) if (d === dir || d.startsWith(dir + path.sep)) this.made.delete(d);
    await rm(dir, { recursive: true, force: true });
  }

  /** The folder's own time (a write renames into it) or, if later, its newest entry's. */
  async folders(): Promise<{ prefix: string; modified: number }[]> {
    const out: { prefix: string; modified: number }[] = [];
    const gone = (e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new SegkitError('E_IO', `cannot list the store ${this.url}: ${(e as Error).message}`, undefined, { cause: e });
      return undefined;
    };
    const tops = await readdir(this.root, { withFileTypes: true }).catch(gone);
    for (const top of tops ?? []) {
      if (!top.isDirectory() || !KEY.test(top.name)) continue;
      const dir = path.join(this.root, top.name);
      // removed meanwhile (by its caller, or another worker): nothing to report
      const own = await lstat(dir).catch(gone);
      if (!own) continue;
      let modified = own.mtimeMs;
      for (const name of (await readdir(dir).catch(gone)) ?? []) modified = Math.max(modified, (await lstat(path.join(dir, name)).catch(gone))?.mtimeMs ?? 0);
      out.push({ prefix: `${top.name}/`, modified });
    }
    return out;
  }
}

export function isShardStore(x: unknown): x is ShardStore {
  const s = x as ShardStore;
  return !!s && typeof s === 'object' && typeof s.url === 'string' && ['put', 'get', 'remove', 'removeAll'].every((m) => typeof (s as unknown as Record<string, unknown>)[m] === 'function');
}

/** The store for a `file:///dir` URL (the directory is created on first write), or the given store itself. */
export function openStore(store: unknown, option = 'store'): ShardStore {
  if (isShardStore(store)) return store;
  if (typeof store !== 'string') throw new SegkitError('E_BAD_OPTION', `option "${option}" must be a file:/// URL or a ShardStore, got ${describe(store)}`);
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    throw new SegkitError('E_BAD_OPTION', `option "${option}" must be a URL like file:///shared/segkit, got ${describe(store)}`);
  }
  if (url.protocol !== 'file:') {
    throw new SegkitError('E_BAD_OPTION', `option "${option}" uses ${url.protocol}, but only file:/// stores are built in`, 'pass an object implementing ShardStore (put, get, remove, removeAll) for an object store');
  }
  if (url.host && url.host !== 'localhost') throw new SegkitError('E_BAD_OPTION', `option "${option}" names host "${url.host}"; a file store is a path: file:///dir`);
  // "file:shared" and "file:./shared" parse as file:///shared: a folder at the root, not the one they seem to name
  if (!/^file:\//i.test(store)) throw new SegkitError('E_BAD_OPTION', `option "${option}" must name an absolute path, as in file:///shared/segkit, got ${describe(store)} (read as ${url.href})`, 'give the folder\'s full path, or pass fileStore(dir) for a path relative to the working directory');
  // an encoded "/" ("%2F") has no path form, and an encoded NUL ("%00") names no file
  let dir: string;
  try {
    dir = fileURLToPath(url);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_INVALID_FILE_URL_PATH') throw new SegkitError('E_BAD_OPTION', `option "${option}" names no folder: ${describe(store)}: ${(e as Error).message}`);
    dir = '\0';
  }
  if (dir.includes('\0')) throw new SegkitError('E_BAD_OPTION', `option "${option}" names no folder: ${describe(store)} encodes a "/" or a NUL (%2F, %00) in its path`);
  return new FileStore(url.href, dir);
}

/** A file store over a directory. */
export function fileStore(dir: string | URL): ShardStore {
  return openStore(typeof dir === 'string' && !dir.startsWith('file:') ? pathToFileURL(path.resolve(dir)).href : String(dir));
}
