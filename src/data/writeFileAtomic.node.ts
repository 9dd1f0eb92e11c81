import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SegkitError } from '../util/errors.js';

/** A temporary name beside `path`, so the final rename stays on one file system. */
export function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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

/** Creates the directory an output file goes in, as `mkdir -p` does. */
export async function ensureParent(path: string): Promise<void> {
  if (path === '-') return;
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw writeFailure(path, error);
  }
}

/** Writes to `path` atomically: a temporary file in the same directory, flushed to disk, then renamed over the target. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPath(path);
  try {
    const fh = await open(temp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw writeFailure(path, error);
  }
}
