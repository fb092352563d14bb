/**
 * The process around a command: its environment, standard streams and whether
 * they are terminals. The CLI and the readers it calls take them from `io()`,
 * which is the real process unless a run was given another (the tests run
 * commands in one process, each with its own environment, stdin and buffers).
 */
import { isatty } from 'node:tty';
import { writeAll } from './write.js';

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
  stderr: (text) => void process.stderr.write(text),
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
  get columns() {
    return process.stdout.columns;
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
