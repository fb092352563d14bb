/**
 * File output. A regular file is replaced atomically: a temporary file beside
 * it, written, fsynced, given the old file's owner and mode, renamed over it,
 * then the directory fsynced, so a reader sees the old or the new bytes, never
 * a mix. A symlink is followed (the file it names is replaced, the link stays);
 * a device or FIFO is written through (`-o /dev/null` never replaces the node).
 *
 * In-place edits also take a lock beside the file (created with O_EXCL, stale
 * when its process is gone), so two edits of one file at once cannot lose one,
 * and refuse a write-protected or hard-linked file unless forced.
 *
 * Temporaries are named `.dmar-tmp-PID-RANDOM.NAME` (the lock
 * `.dmar-tmp-lock.NAME`): removed on SIGINT, SIGTERM and SIGHUP, and a later
 * write to NAME removes those left by a process that no longer exists.
 */
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hexDigits } from '../acpi/hex.js';
import { isInputFile, pause } from './input.js';
import { DmarError } from '../dmar/errors.js';

/** A file that cannot be written: one line, naming it. */
export const writeError = (message: string, file: string) => new DmarError(message, { file, kind: 'output' });

/** A write failure in a few words (no errno jargon, no path: the caller names the file). */
export function writeErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code !== undefined && WRITE_ERRORS.get(err.code)) || err.message;
}

const WRITE_ERRORS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOENT: 'no such directory',
    EROFS: 'read-only file system',
    EISDIR: 'is a directory',
    ENOTDIR: 'a parent is not a directory',
    ENAMETOOLONG: 'file name too long',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EIO: 'input/output error',
    EFBIG: 'file too large',
    ENXIO: 'no process reads this FIFO',
    ELOOP: 'too many levels of symbolic links',
  }),
);

const TMP_PREFIX = '.dmar-tmp-';
/**
 * A file name no longer than 200 bytes: `name` itself, or, for a longer one
 * (whose temporary and lock names would pass NAME_MAX, 255 bytes), its first
 * 150 bytes and a hash of the whole (the same in every process).
 */
export function shortName(name: string): string {
  if (Buffer.byteLength(name) <= 200) return name;
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  let head = name.slice(0, 150);
  while (Buffer.byteLength(head) > 150) head = head.slice(0, -1);
  return `${head}~${hexDigits(h, 8)}`;
}
/**
 * How a temporary or lock name ends for `name`: `.NAME`, or `~` and its
 * shortName when that differs (a separator no unshortened name gives, so a
 * short name can never share a lock with a long one).
 */
function tail(name: string): string {
  const short = shortName(name);
  return short === name ? `.${name}` : `~${short}`;
}
const lockName = (name: string) => `${TMP_PREFIX}lock${tail(name)}`;
const TMP_RE = /^\.dmar-tmp-(\d+)-[0-9a-f]+([.~].*)$/s;

// ---- removal on SIGINT/SIGTERM/SIGHUP ----------------------------------------

const pending = new Set<string>();
/** What to put back after removing a pending path, should a signal come (capture: a directory's mode). */
const undos = new Map<string, () => void>();
/** The listeners removeOnSignal installed, while a temporary is pending and for two turns of the event loop after. */
let listeners: [NodeJS.Signals, () => void][] | undefined;

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * The signals that remove a pending temporary file, with their numbers (the
 * same on every system Node delivers them on; the exit status is 128 + the
 * number, as a shell reports it). Not from node:os: loading it costs every
 * start some 0.5 ms.
 */
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/**
 * Remove `path` should a signal end the process before `release` is called (then `undo`, when given).
 * A listener runs only once the synchronous work around it is done: the
 * temporary is then gone or renamed. It removes what is still pending; then,
 * when it is the signal's only listener (the CLI), it ends the process as the
 * signal would have, 128 + its number (see signalsSettled); a program that
 * listens itself (a library user) keeps its own handling. The listeners are
 * removed once nothing is pending and two turns of the event loop have read
 * any signal that came meanwhile: a program's signals are its own again.
 */
export function removeOnSignal(path: string, undo?: () => void): void {
  listeners ??= (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const on = () => {
      for (const p of pending) {
        rmSync(p, { recursive: true, force: true });
        try {
          undos.get(p)?.();
        } catch {
          // put back what can be
        }
      }
      pending.clear();
      undos.clear();
      if (process.listenerCount(sig) <= 1) process.exit(128 + SIGNALS[sig]);
    };
    process.on(sig, on);
    return [sig, on];
  });
  pending.add(path);
  if (undo) undos.set(path, undo);
}

/** Remove the listeners once nothing is pending, after two turns of the event loop (signalsSettled says why two). */
function unlistenSoon(): void {
  if (pending.size || !listeners) return;
  setImmediate(() =>
    setImmediate(() => {
      if (pending.size || !listeners) return;
      for (const [sig, on] of listeners) process.off(sig, on);
      listeners = undefined;
    }),
  );
}

/**
 * Once a command is done, before it exits: give a signal that came during its
 * synchronous writes its listener (which exits 128 + its number), instead of
 * exiting as if none had come. Two turns of the event loop: the first may end
 * before the loop next reads its signals, the second cannot.
 */
export async function signalsSettled(): Promise<void> {
  if (!listeners) return;
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
}

/**
 * `path` is no longer to be removed by a signal; `remove`: remove it now. `waiting`: the caller goes on
 * waiting to try again (the lock), and a signal meanwhile must still end that wait: the listeners stay.
 */
export function release(path: string, remove: boolean, waiting = false): void {
  if (remove) unlinkQuietly(path);
  pending.delete(path);
  undos.delete(path);
  if (!waiting) unlistenSoon();
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the temporaries for `name` in `dir` that a process no longer running left behind. */
function removeStaleTemporaries(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = TMP_RE.exec(e);
    if (m && m[2] === tail(name) && !alive(Number(m[1]))) unlinkQuietly(join(dir, e));
  }
}

// ---- writing ------------------------------------------------------------------

/** Write all of `buf`, waiting out EAGAIN (a non-blocking pipe or FIFO whose reader is slow). */
export function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') pause(5);
      else throw e;
    }
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // some file systems cannot fsync a directory; the rename is done
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replace the regular file `path` (or create it) with `data`: a temporary file
 * with `old`'s owner, group and mode (set-id bits dropped unless owner and
 * group are both kept), fsynced, renamed over it, the directory fsynced.
 * `unchanged` is checked just before the rename (a last guard against a writer
 * that took no lock).
 */
function replaceRegular(path: string, data: Uint8Array, old: Stats | undefined, unchanged?: () => boolean): void {
  const dir = dirname(path);
  removeStaleTemporaries(dir, basename(path));
  // Math.random, not node:crypto (loading crypto costs every command ~8 ms of start): the name need
  // only differ between runs; 'wx' below refuses to open a name that exists.
  const tmp = join(dir, `${TMP_PREFIX}${process.pid}-${hexDigits(Math.floor(Math.random() * 2 ** 32), 8)}${tail(basename(path))}`);
  removeOnSignal(tmp);
  let fd: number | undefined;
  let renamed = false;
  try {
    fd = openSync(tmp, 'wx', old ? 0o600 : 0o666);
    writeAll(fd, data);
    if (old) {
      try {
        fchownSync(fd, old.uid, old.gid);
      } catch {
        // not root and not the owner: the file becomes the writer's; its group stays when the writer is in it
        try {
          fchownSync(fd, -1, old.gid);
        } catch {
          // not in the file's group either: the writer's group
        }
      }
      const now = fstatSync(fd);
      const kept = now.uid === old.uid && now.gid === old.gid;
      // never a set-id file with an owner or group it did not have
      fchmodSync(fd, old.mode & (kept ? 0o7777 : 0o1777));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (unchanged && !unchanged()) throw writeError('changed by another program while being edited: not rewritten (run the edit again)', path);
    renameSync(tmp, path);
    renamed = true;
    fsyncDir(dir);
  } finally {
    if (fd !== undefined) closeSync(fd);
    release(tmp, !renamed);
  }
}

/** The descriptor of this process that /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N names, if the path is one. */
function ownDescriptor(path: string): number | undefined {
  const m = /^\/dev\/std(out|err)$|^\/(?:dev\/fd|proc\/self\/fd)\/(\d+)$/.exec(path);
  if (!m) return undefined;
  return m[1] === 'out' ? 1 : m[1] === 'err' ? 2 : Number(m[2]);
}

/** Whether `stat` (lstatSync: the link itself; statSync: what it leads to) finds `p`. */
function found(stat: (p: string) => unknown, p: string): boolean {
  try {
    stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Follow symlinks to the path that is finally written (which may not exist yet). */
export function resolveTarget(path: string): string {
  let p = resolve(path);
  for (let i = 0; i < 40; i++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    const next = resolve(dirname(p), readlinkSync(p));
    // /proc's links to a pipe or socket (/dev/stdout -> /proc/self/fd/1 -> "pipe:[N]") name no path, yet
    // open through the link: write through it, as to any FIFO
    if (!found(lstatSync, next) && found(statSync, p)) return p;
    p = next;
  }
  throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

function asWriteError(e: unknown, path: string): DmarError {
  return e instanceof DmarError ? e : writeError(`cannot write: ${writeErrorText(e)}`, path);
}

/**
 * `-o PATH`: a regular file (new or existing, or what a symlink names) is
 * replaced atomically; a device or FIFO is written through; an input of this
 * process is refused.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    const target = resolveTarget(path);
    let st: Stats | undefined;
    try {
      st = statSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st && isInputFile(st))
      throw writeError('is an input of this command: not overwritten (write elsewhere; an edit of a binary table rewrites it in place when given no -o)', path);
    if (!st || st.isFile()) {
      replaceRegular(target, buf, st);
      return;
    }
    if (st.isDirectory()) throw writeError('cannot write: is a directory', path);
    // a socket cannot be opened by its /proc link: /dev/stdout, /dev/fd/N, /proc/self/fd/N name a descriptor of this
    // process, written as it is (a socket is what some runners give as stdout)
    const own = st.isSocket() ? ownDescriptor(path) : undefined;
    if (own !== undefined) {
      writeAll(own, buf);
      return;
    }
    if (!st.isFIFO() && !st.isCharacterDevice() && !st.isBlockDevice()) throw writeError('cannot write: not a regular file, device or FIFO', path);
    // O_NONBLOCK: a FIFO nobody reads fails (ENXIO) instead of waiting for ever
    const fd = openSync(target, constants.O_WRONLY | (st.isFIFO() ? constants.O_NONBLOCK : 0));
    try {
      writeAll(fd, buf);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw asWriteError(e, path);
  }
}

// ---- editing in place ---------------------------------------------------------

/** How long an edit waits for another dmar editing the same file. */
const LOCK_WAIT_MS = 3000;
/** A lock file with no readable process id is stale after this long (its writer died between create and write). */
const LOCK_STALE_MS = 10_000;

/** A lock's content (the holder's PID), read without waiting: a FIFO put in its place reads as empty. */
function readLock(lock: string): string {
  const fd = openSync(lock, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(32);
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    return buf.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Take the lock beside `path`, waiting up to LOCK_WAIT_MS for another dmar's.
 * The wait is asynchronous: the signal listeners (installed before the first
 * try, so that a lock made just before a signal is removed too) run during
 * it, and SIGINT, SIGTERM or SIGHUP end it at once.
 */
async function takeLock(path: string, name: string): Promise<string> {
  const lock = join(dirname(path), lockName(basename(path)));
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let tries = 0; ; tries++) {
    // between tries, a turn of the event loop: a signal that came meanwhile ends the edit before it takes the lock
    if (tries) await new Promise((resolve) => setTimeout(resolve, 0));
    removeOnSignal(lock);
    let created = false;
    try {
      const fd = openSync(lock, 'wx', 0o600);
      created = true;
      try {
        writeAll(fd, Buffer.from(`${process.pid}\n`));
      } finally {
        closeSync(fd);
      }
      return lock;
    } catch (e) {
      // created but not written (a full disk): not left behind to hold up the next edit
      const busy = (e as NodeJS.ErrnoException).code === 'EEXIST';
      release(lock, created, busy);
      if (!busy) throw e;
    }
    let holder = NaN;
    let age = 0;
    let readable = true;
    try {
      holder = Number.parseInt(readLock(lock), 10);
      age = Date.now() - lstatSync(lock).mtimeMs;
    } catch {
      readable = false; // released meanwhile, or a lock that is no file (a directory, a dangling link): tried again until the deadline
    }
    // a stale lock is removed and the lock tried again at once; one this user cannot remove (another's, in a sticky directory) holds until the deadline
    if (readable && (Number.isInteger(holder) ? !alive(holder) : age > LOCK_STALE_MS)) {
      unlinkQuietly(lock);
      if (!existsSync(lock) && Date.now() <= deadline) continue;
    }
    if (Date.now() > deadline) {
      unlistenSoon();
      throw writeError(
        `being edited by another dmar${Number.isInteger(holder) ? ` (process ${holder})` : ''}: not rewritten (try again; a lock ${lockName(basename(path))} left by a crash can be removed)`,
        name,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function protection(st: Stats): string | undefined {
  // as rm sees it: no write bit at all (root included), or none this user may use
  let writable = (st.mode & 0o222) !== 0;
  if (writable && process.getuid?.() !== 0) {
    const uid = process.getuid?.();
    const groups = process.getgroups?.() ?? [];
    writable = uid === st.uid ? (st.mode & 0o200) !== 0 : groups.includes(st.gid) ? (st.mode & 0o020) !== 0 : (st.mode & 0o002) !== 0;
  }
  if (!writable) return `is write-protected (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): not rewritten (--force rewrites it, keeping the mode)`;
  if (st.nlink > 1)
    return `has ${st.nlink} hard links: rewriting it would leave the other names with the old table, so it is not rewritten (--force writes a new file under this name only)`;
  return undefined;
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

/**
 * Edit the regular file `path` in place (symlinks followed): under the lock,
 * `edit` reads it and returns the new bytes, or undefined to leave it as it is.
 * `name` is what messages call it.
 */
export async function editFileInPlace<T>(path: string, name: string, opts: { force?: boolean }, edit: () => { bytes?: Uint8Array; result: T }): Promise<T> {
  let target: string;
  let lock: string;
  try {
    target = resolveTarget(path);
    if (!existsSync(target)) return edit().result; // the reader reports what is missing
  } catch (e) {
    throw asWriteError(e, name);
  }
  try {
    lock = await takeLock(target, name);
  } catch (e) {
    // no lock to be had in a directory this process cannot write (read-only, another user's, full), or
    // another dmar holds it: an edit that changes nothing needs none, writes nothing and is not refused
    const { bytes, result } = edit();
    if (bytes === undefined) return result;
    throw asWriteError(e, name);
  }
  try {
    const before = statSync(target);
    const { bytes, result } = edit();
    if (bytes === undefined) return result;
    const refused = opts.force ? undefined : protection(before);
    if (refused) throw writeError(refused, name);
    try {
      replaceRegular(target, bytes, before, () => {
        try {
          return sameFile(statSync(target), before);
        } catch {
          return false;
        }
      });
    } catch (e) {
      // named as the user named it, not by the path the symlinks led to
      if (e instanceof DmarError) e.file = name;
      throw asWriteError(e, name);
    }
    return result;
  } finally {
    release(lock, true);
  }
}
