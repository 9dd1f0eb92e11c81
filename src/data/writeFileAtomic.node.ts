import { randomBytes } from 'node:crypto';
import { constants, unlinkSync } from 'node:fs';
import { open, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { syncDirectory } from '../util/syncDirectory.node.js';

/** The longest file name most file systems take, in bytes (NAME_MAX on Linux, macOS and Windows). */
const NAME_BYTES = 255;

/**
 * A temporary name beside `path`, so the final rename stays on one file system. A long name is cut (at a character)
 * so that the temporary name fits where the target's does: a target of up to NAME_BYTES bytes can always be written.
 */
export function tempPath(path: string): string {
  const tail = `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let name = basename(path);
  const room = NAME_BYTES - 1 - tail.length;
  if (Buffer.byteLength(name) > room) {
    const bytes = Buffer.from(name).subarray(0, room);
    // a character the cut split in two is dropped whole (the decoder makes it U+FFFD)
    name = bytes.toString('utf8').replace(/\uFFFD+$/, '');
  }
  return join(dirname(path), `.${name}${tail}`);
}

/** An E_IO error naming the file that could not be written and why. */
export function writeFailure(path: string, error: unknown): SegkitError {
  if (error instanceof SegkitError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const what = path === '-' ? 'standard output' : `"${path}"`;
  const reason =
    code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory'
      : code === 'ENOTDIR' ? 'a parent is not a directory' : (error as Error)?.message;
  return new SegkitError('E_IO', `cannot write ${what}: ${reason}`, undefined, { cause: error });
}

/**
 * E_IO naming the path unless the directory an output file goes in exists (output folders are never created
 * silently) and the path is no directory itself: both found before the work, not at the rename after it.
 */
export async function checkParent(path: string, option?: string): Promise<void> {
  if (path === '-') return;
  const dir = dirname(path);
  const what = `${option ? `${option}: ` : ''}cannot write "${path}"`;
  const parent = await stat(dir).catch(() => undefined);
  if (parent && !parent.isDirectory()) throw new SegkitError('E_IO', `${what}: "${dir}" is a file, not a folder`);
  if (!parent) throw new SegkitError('E_IO', `${what}: the folder "${dir}" does not exist`, `create it first (mkdir -p ${JSON.stringify(dir)})`);
  if (await stat(path).then((s) => s.isDirectory(), () => false)) throw new SegkitError('E_IO', `${what}: it is a directory`);
}

/** Links followed at most, as Linux's open follows them (then ELOOP). */
const MAX_LINKS = 40;

/**
 * The file a write to `path` replaces: the end of its chain of symbolic links, as open follows them (a dangling
 * link names the file it would create), or `path` itself when it is no link.
 */
async function linkTarget(path: string): Promise<string> {
  let p = path;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    // not a link (EINVAL), or nothing there yet (ENOENT): this is the file
    const to = await readlink(p).catch(() => undefined);
    if (to === undefined) return p;
    // relative to the folder the link sits in, as the kernel reads it (`..` after that folder's own links)
    const dir = dirname(p);
    p = resolve(await realpath(dir).catch(() => dir), to);
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

// Temporary files being written; a process stopped by a signal removes them on its way out.
const live = new Set<string>();

/** Removes the temporary files of writes still in progress; synchronous, so it can run in an 'exit' handler. */
export function removeTemporaryFiles(): void {
  for (const temp of live) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
  live.clear();
}

/**
 * Bytes written between background flushes of a large file written through the page cache. The kernel starts writing
 * dirty pages back on its own only past a share of memory (gigabytes here), so without these the whole file waited
 * for the final fsync: 0.72 s of `segkit score` writing a 1.4 GB Arrow file on the machine we measure on.
 */
export const FLUSH_BYTES = 64 * 2 ** 20;

/**
 * Bytes gathered before they are written: a file that never fills this much is written by one call at its commit;
 * a larger one is written this much at a time, straight to the disk where the file system allows it.
 */
export const STAGE_BYTES = 8 * 2 ** 20;

/** Offsets, lengths and memory of writes that bypass the page cache are multiples of this (every block size here). */
const ALIGN = 4096;

/** Linux's flag for writes that bypass the page cache; undefined elsewhere. */
const O_DIRECT: number | undefined = (constants as Record<string, number | undefined>).O_DIRECT;

/**
 * Staging areas for files larger than one part: two halves of STAGE_BYTES each, in a WebAssembly memory because that
 * memory starts on a page boundary (writes that bypass the page cache need aligned memory; a Buffer's address is not
 * known). At most two are kept for the next files; where such memory cannot be had (a virtual-memory limit,
 * --jitless) a plain array stands in and the parts go through the page cache.
 */
const spareStages: { bytes: Uint8Array; aligned: boolean }[] = [];
const KEPT_STAGES = 2;

function takeStage(): { bytes: Uint8Array; aligned: boolean } {
  const spare = spareStages.pop();
  if (spare) return spare;
  try {
    const pages = (2 * STAGE_BYTES) / 65536;
    return { bytes: new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer), aligned: true };
  } catch {
    return { bytes: new Uint8Array(2 * STAGE_BYTES), aligned: false };
  }
}

/** Codes with which a file system that took O_DIRECT at open refuses its writes: the page cache then. */
const DIRECT_REFUSED = new Set(['EINVAL', 'EOPNOTSUPP', 'ENOTSUP']);

/** Bytes a file's first part is gathered in before it needs a staging area (grown as the part grows). */
const FIRST_BYTES = 64 * 1024;

/** Writes all of `bytes` at `at` (a short write goes on from where it stopped). */
async function writeFully(handle: FileHandle, bytes: Uint8Array, at: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, at + done);
    if (bytesWritten <= 0) throw Object.assign(new Error('the disk accepted no bytes'), { code: 'EIO' });
    done += bytesWritten;
  }
}

/**
 * A file written under a temporary name beside its target, then flushed to disk, renamed over the target and the
 * directory flushed: readers see the old file or the whole new one, even after a crash, never a part.
 *
 * Writes are copied into a staging area and written STAGE_BYTES at a time, one write running while the next part
 * fills. A file larger than that goes straight to the disk (O_DIRECT) where the platform and file system allow it,
 * which on the machine we measure on costs a fraction of the kernel time the page cache does (bench/atomicWrite.bench.mjs
 * measures both). Elsewhere (when the file system refuses the first such write,
 * or with SEGKIT_DIRECT_IO=0) the parts go through the page cache, and every FLUSH_BYTES a flush of what is written so
 * far starts (one at a time, not waited for), so a large file goes to disk while the rest is made and the final flush
 * has little left.
 */
export class AtomicFile {
  #handle: FileHandle | undefined;
  #temp: string | undefined;
  #unflushed = 0;
  #flushing: Promise<void> | undefined;
  #flushError: unknown;
  /**
   * Where bytes are gathered: until the first part is full, a plain array grown as needed (a small file never takes a
   * staging area); then a staging area of two halves of STAGE_BYTES, one filling while the other is written.
   */
  #stage: Uint8Array | undefined;
  #staged: { bytes: Uint8Array; aligned: boolean } | undefined;
  #half = 0;
  #fill = 0;
  /** The file offset of the filling half. */
  #at = 0;
  /** The other half's write. */
  #sending: Promise<void> | undefined;
  /** A second handle on the temporary file for writes that bypass the page cache: undefined until tried, null when refused. */
  #direct: FileHandle | null | undefined;
  #directWrites = 0;

  /** The file replaced: `path`, or the file it links to. */
  readonly #target: string;
  /** The replaced file's permissions, given to the new file at the commit; undefined for a new file. */
  readonly #mode: number | undefined;

  private constructor(readonly path: string, target: string, mode: number | undefined, temp: string, handle: FileHandle) {
    this.#target = target;
    this.#mode = mode;
    this.#temp = temp;
    this.#handle = handle;
  }

  static async open(path: string): Promise<AtomicFile> {
    // a link is written through, as writeFile does: the file it names is replaced (or made) and the link kept
    let target: string;
    try {
      target = await linkTarget(path);
    } catch (error) {
      throw writeFailure(path, error);
    }
    // the file replaced keeps its permissions (a private file stays private), never a set-user or set-group id bit:
    // new contents do not inherit the old program's privileges
    const mode = await stat(target).then((s) => s.mode & 0o777, () => undefined);
    const temp = tempPath(target);
    live.add(temp);
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx');
      // set after opening, as the mode given to open is narrowed by the umask; the owner may write until the commit,
      // as a large file's parts go through a second handle opened by name (O_DIRECT)
      if (mode !== undefined) await handle.chmod(mode | 0o200);
      return new AtomicFile(path, target, mode, temp, handle);
    } catch (error) {
      if (handle) {
        await handle.close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
      }
      live.delete(temp);
      throw writeFailure(path, error);
    }
  }

  /** How the file's parts reach the disk so far: 'staged' (nothing written yet), 'direct' or 'page cache'. */
  get route(): 'staged' | 'direct' | 'page cache' {
    return this.#directWrites > 0 ? 'direct' : this.#at === 0 ? 'staged' : 'page cache';
  }

  /** Appends text (as UTF-8) or bytes; the caller may reuse `data` once this resolves. */
  async write(data: string | Uint8Array): Promise<void> {
    await this.writeAll([typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
  }

  /** Appends several byte arrays; the caller may reuse them once this resolves. */
  async writeAll(chunks: readonly Uint8Array[]): Promise<void> {
    if (!this.#handle) throw new SegkitError('E_IO', `cannot write "${this.path}": the file is already committed or discarded`);
    try {
      for (const bytes of chunks) {
        let off = 0;
        while (off < bytes.byteLength) {
          const n = Math.min(STAGE_BYTES - this.#fill, bytes.byteLength - off);
          const stage = this.room(this.#fill + n);
          stage.set(bytes.subarray(off, off + n), this.#half * STAGE_BYTES + this.#fill);
          this.#fill += n;
          off += n;
          if (this.#fill === STAGE_BYTES) await this.send();
        }
      }
    } catch (error) {
      await this.discard();
      throw writeFailure(this.path, error);
    }
  }

  /** The gathering array, with room for `fill` bytes in the filling half. */
  private room(fill: number): Uint8Array {
    const stage = this.#stage;
    if (this.#staged || (stage && stage.length >= fill)) return stage!;
    // the first part: a plain array, doubled as it fills
    const grown = new Uint8Array(Math.min(STAGE_BYTES, Math.max(FIRST_BYTES, 2 * fill)));
    if (stage) grown.set(stage.subarray(0, this.#fill));
    this.#stage = grown;
    return grown;
  }

  /** Starts writing the full half (after the other half's write has ended) and goes on filling the other. */
  private async send(): Promise<void> {
    await this.#sending;
    if (!this.#handle) throw new SegkitError('E_IO', `cannot write "${this.path}": the file was discarded`);
    if (!this.#staged) {
      // the first part is full: from now on the parts are gathered in a staging area
      this.#staged = takeStage();
      this.#staged.bytes.set(this.#stage!.subarray(0, STAGE_BYTES));
      this.#stage = this.#staged.bytes;
    }
    const start = this.#half * STAGE_BYTES;
    const sending = this.put(this.#stage!.subarray(start, start + STAGE_BYTES), this.#at);
    // awaited before the next half is sent, or by the commit; until then a failure must not count as unhandled
    sending.catch(() => undefined);
    this.#sending = sending;
    this.#at += STAGE_BYTES;
    this.#half ^= 1;
    this.#fill = 0;
  }

  /** Writes a whole number of ALIGN blocks at an aligned offset: straight to the disk where allowed. */
  private async put(bytes: Uint8Array, at: number): Promise<void> {
    if (this.#direct === undefined) {
      // SEGKIT_DIRECT_IO=0: always through the page cache
      const allowed = O_DIRECT !== undefined && this.#staged?.aligned === true && process.env.SEGKIT_DIRECT_IO !== '0';
      this.#direct = allowed ? await open(this.#temp!, constants.O_WRONLY | O_DIRECT!).catch(() => null) : null;
    }
    if (this.#direct) {
      try {
        await writeFully(this.#direct, bytes, at);
        this.#directWrites++;
        return;
      } catch (error) {
        // a file system that takes the flag at open but refuses its writes: the page cache from the start
        if (!DIRECT_REFUSED.has((error as NodeJS.ErrnoException)?.code ?? '') || this.#directWrites > 0) throw error;
        await this.#direct.close().catch(() => undefined);
        this.#direct = null;
      }
    }
    await writeFully(this.#handle!, bytes, at);
    this.wrote(bytes.byteLength);
  }

  /** Counts bytes written through the page cache; past FLUSH_BYTES, starts a background flush unless one is running. */
  private wrote(bytes: number): void {
    this.#unflushed += bytes;
    const handle = this.#handle;
    if (this.#unflushed < FLUSH_BYTES || this.#flushing || !handle) return;
    this.#unflushed = 0;
    this.#flushing = handle.datasync().then(
      () => { this.#flushing = undefined; },
      (error: unknown) => { this.#flushError ??= error; this.#flushing = undefined; },
    );
  }

  /** Writes what is staged: the last part, padded to whole blocks and cut back when it goes straight to the disk. */
  private async finish(handle: FileHandle): Promise<void> {
    await this.#sending;
    const fill = this.#fill, stage = this.#stage;
    if (fill === 0 || !stage) return;
    const start = this.#half * STAGE_BYTES;
    if (this.#direct) {
      const padded = Math.ceil(fill / ALIGN) * ALIGN;
      stage.fill(0, start + fill, start + padded);
      await writeFully(this.#direct, stage.subarray(start, start + padded), this.#at);
      await handle.truncate(this.#at + fill);
    } else {
      await writeFully(handle, stage.subarray(start, start + fill), this.#at);
    }
    this.#at += fill;
    this.#fill = 0;
  }

  /** Waits for a background flush; its failure is the write's failure. */
  private async flushed(): Promise<void> {
    await this.#flushing;
    if (this.#flushError !== undefined) throw this.#flushError;
  }

  /** Gives the staging area back and closes the second handle, once no write is running. */
  private async settle(): Promise<void> {
    // a write started meanwhile (a send that was waiting for the one before) is waited for too
    for (let sending = this.#sending; sending; sending = this.#sending === sending ? undefined : this.#sending) await sending.catch(() => undefined);
    this.#sending = undefined;
    if (this.#staged && spareStages.length < KEPT_STAGES) spareStages.push(this.#staged);
    this.#staged = undefined;
    this.#stage = undefined;
    const direct = this.#direct;
    this.#direct = undefined;
    await direct?.close().catch(() => undefined);
  }

  /**
   * Writes what is staged and flushes the file to disk under its temporary name: all of the commit but the rename,
   * so several files can be made ready first and then renamed one after another (see commitAll).
   */
  async flush(): Promise<void> {
    const handle = this.#handle;
    if (!handle || !this.#temp) throw new SegkitError('E_IO', `cannot write "${this.path}": the file is already committed or discarded`);
    try {
      await this.finish(handle);
      await this.flushed();
      if (this.#mode !== undefined && (this.#mode & 0o200) === 0) await handle.chmod(this.#mode);
      await handle.sync();
      await this.settle();
      await handle.close();
      this.#handle = undefined;
    } catch (error) {
      await this.discard();
      throw writeFailure(this.path, error);
    }
  }

  /** Replaces the target with what was written; a fired `signal` leaves the target untouched and the temporary file gone. */
  async commit(signal?: AbortSignal): Promise<void> {
    if (this.#handle) await this.flush();
    const temp = this.#temp;
    if (!temp) throw new SegkitError('E_IO', `cannot write "${this.path}": the file is already committed or discarded`);
    try {
      // the last moment at which a cancelled command can still leave the old file in place
      throwIfAborted(signal);
      await rename(temp, this.#target);
      this.#temp = undefined;
      live.delete(temp);
      await syncDirectory(dirname(this.#target));
    } catch (error) {
      await this.discard();
      throw writeFailure(this.path, error);
    }
  }

  /** Removes the temporary file; the target is left as it was. */
  async discard(): Promise<void> {
    const handle = this.#handle, temp = this.#temp;
    this.#handle = undefined;
    this.#temp = undefined;
    // a background flush or a staged write may still hold the handles: they end before the handles close
    await this.#flushing;
    await this.settle();
    await handle?.close().catch(() => undefined);
    if (temp !== undefined) {
      await unlink(temp).catch(() => undefined);
      live.delete(temp);
    }
  }
}

/** A file or standard output waiting to be written: `flush` (files) makes it ready, `commit` replaces the target. */
export interface Staged {
  flush?(): Promise<void>;
  commit(signal?: AbortSignal): Promise<void>;
  discard(): Promise<void>;
}

/**
 * The outputs of one command: each made ready under its temporary name, then, unless `signal` fired, all renamed
 * over their targets; a failure or a fired signal before the renames leaves every target as it was.
 */
export async function commitAll(files: readonly Staged[], signal?: AbortSignal): Promise<void> {
  try {
    for (const file of files) await file.flush?.();
    throwIfAborted(signal);
    // all of them once the first is: the signal is not checked between the renames
    for (const file of files) await file.commit();
  } catch (error) {
    await Promise.all(files.map((file) => file.discard()));
    throw error;
  }
}

/** Writes `data` under a temporary name beside `path`, for commitAll; a fired `signal` writes nothing. */
export async function stageFile(path: string, data: string | Uint8Array, signal?: AbortSignal): Promise<AtomicFile> {
  throwIfAborted(signal);
  const file = await AtomicFile.open(path);
  await file.write(data);
  return file;
}

/** Writes to `path` atomically (see AtomicFile); a fired `signal` stops before the target is replaced. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, signal?: AbortSignal): Promise<void> {
  await (await stageFile(path, data, signal)).commit(signal);
}
