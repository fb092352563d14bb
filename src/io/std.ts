/**
 * The process around a command: its environment, standard streams and whether
 * they are terminals. The CLI and the readers it calls take them from `io()`,
 * which is the real process unless a run was given another (the tests run
 * commands in one process, each with its own environment, stdin and buffers).
 */
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeAll } from './write.js';

/**
 * isatty(fd), loading node:tty (and with it net and every stream module: about
 * 5 ms of a start) only when `fd` can be a terminal: a character device, and on
 * Linux not a memory device (major 1: /dev/null, /dev/zero), which a command's
 * output often is. A pipe or a file is answered from one fstat.
 */
function isatty(fd: number): boolean {
  let rdev: number;
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    rdev = st.rdev;
  } catch {
    return false;
  }
  if (process.platform === 'linux' && ((rdev >>> 8) & 0xfff) === 1) return false;
  // builtins resolve from any path: no import.meta (the CLI is bundled as CommonJS, where createRequire gives the
  // bundle's own require: scripts/bundle.mjs leaves node:module out)
  const tty: typeof import('node:tty') = process.getBuiltinModule?.('node:tty') ?? createRequire(process.execPath)('node:tty');
  return tty.isatty(fd);
}

export interface Io {
  /** The environment variables read (DMAR_ROOT, DMAR_MAX_INPUT, DMAR_DEBUG, NO_COLOR, FORCE_COLOR). */
  env: Record<string, string | undefined>;
  /** Standard input: a file descriptor to read, or all its bytes. */
  stdin: number | Uint8Array;
  /** Write to standard output, synchronously: a failure (EPIPE...) throws here, as fs.writeSync does. */
  stdout: (data: Uint8Array) => void;
  /** Write a message to standard error. */
  stderr: (text: string) => void;
  isTTY: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** Terminal width of stdout, when it is a terminal. */
  columns?: number;
}

/** The real process: fd 0 and 1 read and written synchronously, process.env, process.stderr. */
export const PROCESS_IO: Io = {
  get env() {
    return process.env;
  },
  stdin: 0,
  stdout: (data) => writeAll(1, data),
  // fd 2 written directly, as stdout: process.stderr would build a stream (and load net or tty) at every start.
  // A message that cannot be written (stderr closed, a full disk) is dropped: there is no one left to tell, and
  // the exit status stays the command's (an edit that was written still exits 0).
  stderr: (text) => {
    try {
      writeAll(2, Buffer.from(text));
    } catch {
      // dropped
    }
  },
  // isatty, not process.stdin.isTTY: that would open stdin as a stream (and may make a shared pipe non-blocking)
  isTTY: {
    get stdin() {
      return isatty(0);
    },
    get stdout() {
      return isatty(1);
    },
    get stderr() {
      return isatty(2);
    },
  },
  // a terminal's width only: asking a pipe's would build process.stdout (and load net) for nothing
  get columns() {
    return isatty(1) ? process.stdout.columns : undefined;
  },
};

let current: Io = PROCESS_IO;

/** The process of the command being run. */
export function io(): Io {
  return current;
}

/** Run `fn` with `with` as the process (one run at a time: the CLI's runs do not overlap). */
export async function withIo<T>(w: Io, fn: () => Promise<T>): Promise<T> {
  const before = current;
  current = w;
  try {
    return await fn();
  } finally {
    current = before;
  }
}
