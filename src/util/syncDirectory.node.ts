import { open, type FileHandle } from 'node:fs/promises';

/**
 * Flushes a directory, so that a rename in it survives a crash; platforms that cannot open directories skip it, and so
 * does a directory the process may write in but not read (mode 0733), which cannot be opened to flush.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (!(process.platform === 'win32' || code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'EACCES' || code === 'EBADF')) throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
