/** What every command shares: loading a table, writing output, reporting failure. */
import { readSource, type Source } from '../io/input.js';
import { writeError, writeErrorText, writeFileAtomic } from '../io/write.js';
import { io } from '../io/std.js';
import { termText } from '../acpi/escape.js';
import { decodeDmar, type DecodeResult } from '../dmar/decode.js';
import { DmarError, naming } from '../dmar/errors.js';
import { DMAR_SIGNATURE } from '../dmar/schema.js';
import { compileSource } from '../dmar/source.js';

/** Exit status: 0 success, 1 findings at or above the failing severity (or a difference), 2 bad input or usage. */
export const EXIT = { OK: 0, FINDINGS: 1, BAD_INPUT: 2 } as const;

/** A mistake on the command line: one line, exit status 2, no file named. */
export function usageError(message: string): DmarError {
  return new DmarError(message, { kind: 'usage' });
}

export interface Loaded extends DecodeResult {
  source: Source;
}

/**
 * The input of every reading command: a file, `-` for stdin, or this machine's
 * table; a binary table, acpidump text, or the source `dmar encode` reads (JSON,
 * iasl), told apart by content.
 */
export function readTableSource(file: string | undefined): Source {
  return told(readSource(file, DMAR_SIGNATURE, compileSource));
}

/** A source's warnings (how its table was picked), on stderr as they come, each naming the input. */
export function told(source: Source): Source {
  for (const w of source.warnings ?? []) io().stderr(`dmar: warning: ${termText(source.name)}: ${termText(w)}\n`);
  return source;
}

/** Read and strictly decode a table; any defect becomes a DmarError naming the file. */
export function loadTable(file: string | undefined, opts: { strict?: boolean } = {}): Loaded {
  return decodeSource(readTableSource(file), opts);
}

/** Strictly decode a source already read (one of a batch); any defect becomes a DmarError naming the file. */
export function decodeSource(source: Source, opts: { strict?: boolean } = {}): Loaded {
  return { source, ...naming(source.name, () => decodeDmar(source.bytes, { strict: opts.strict ?? true })) };
}

/** `-o PATH`: `-` is stdout, as for inputs. */
export function writeOutput(path: string, data: Uint8Array | string): void {
  if (path === '-') stdoutWrite(data);
  else writeFileAtomic(path, data);
}

/** The one line printed for a failure, or undefined when it is a bug. */
export function failureLine(e: unknown): string | undefined {
  if (e instanceof DmarError) return e.oneLine();
  // V8's longest string is under 512 MiB (1 GiB on 64-bit builds of newer Node): an output built whole that
  // would be longer (a log of 170,000 unit lines explained as JSON) cannot be made; a limit met, not a defect
  if (e instanceof RangeError && e.message === 'Invalid string length')
    return 'the output is too large to build in memory (over the longest string Node can hold): give less input at a time, or the text format';
  return undefined;
}

/**
 * Exit status when the reader of stdout went away (EPIPE, as in `dmar ... | head -1`):
 * 128 + SIGPIPE, what a shell shows for a tool that SIGPIPE ended. Not 1: that means findings.
 */
export const EXIT_BROKEN_PIPE = 141;

/** What a failed write to stdout does: a gone reader ends quietly, anything else is one line, exit 2. */
export function stdoutFailed(e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
  throw writeError(`cannot write: ${writeErrorText(e)}`, 'stdout');
}

/**
 * The one output sink of every command: synchronous writes to fd 1, so a
 * write error is known here, before the exit status is chosen.
 */
export function stdoutWrite(data: string | Uint8Array): void {
  try {
    io().stdout(typeof data === 'string' ? Buffer.from(data) : data);
  } catch (e) {
    stdoutFailed(e);
  }
}
