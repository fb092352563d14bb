/**
 * Atomic file output: write a temporary file in the target's directory, then
 * rename it over the target, so a reader never sees a half-written table.
 */
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class WriteError extends Error {
  constructor(message: string, readonly file: string) {
    super(message);
  }
}

/** A write failure in a few words (no errno jargon, no path: the caller names the file). */
export function writeErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
    : err.code === 'ENOENT' ? 'no such directory' : err.code === 'EROFS' ? 'read-only file system'
    : err.code === 'EISDIR' ? 'is a directory' : err.code === 'ENOTDIR' ? 'a parent is not a directory'
    : err.code === 'ENAMETOOLONG' ? 'file name too long' : err.code === 'ENOSPC' ? 'no space left on device'
    : err.code === 'EDQUOT' ? 'disk quota exceeded' : err.code === 'EIO' ? 'input/output error'
    : err.code === 'EFBIG' ? 'file too large' : err.message;
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    // a new file gets the default mode
  }
  const tmp = join(dirname(path), `.${basename(path)}.dmar-tmp-${process.pid}-${Date.now().toString(36)}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was created
    }
    throw new WriteError(`cannot write: ${writeErrorText(e)}`, path);
  }
}
