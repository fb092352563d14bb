/** What every command shares: loading a table, writing output, reporting failure. */
import { InputError, readSource, type Source } from '../acpi/input.js';
import { WriteError, writeFileAtomic } from '../acpi/write.js';
import { decodeDmar, type DecodeResult } from '../dmar/decode.js';
import { DmarError } from '../dmar/errors.js';

/** A failure the CLI reports in one line with exit status 2. */
export class UsageError extends Error {}

export interface Loaded extends DecodeResult {
  source: Source;
}

/** Read and strictly decode a table; any defect becomes a DmarError naming the file. */
export function loadTable(file: string | undefined, opts: { strict?: boolean } = {}): Loaded {
  return decodeSource(readSource(file), opts);
}

/** Strictly decode a source already read (one of a batch); any defect becomes a DmarError naming the file. */
export function decodeSource(source: Source, opts: { strict?: boolean } = {}): Loaded {
  try {
    return { source, ...decodeDmar(source.bytes, { strict: opts.strict ?? true }) };
  } catch (e) {
    if (e instanceof DmarError) e.file = source.name;
    throw e;
  }
}

export function writeOutput(path: string, data: Uint8Array | string): void {
  writeFileAtomic(path, data);
}

/** The one line printed for a failure, or undefined when it is a bug. */
export function failureLine(e: unknown): string | undefined {
  if (e instanceof DmarError) return e.oneLine();
  if (e instanceof InputError || e instanceof WriteError) {
    const off = e instanceof InputError && e.offset >= 0 ? `offset 0x${e.offset.toString(16)}: ` : '';
    return `${e.file}: ${off}${e.message}`;
  }
  if (e instanceof UsageError) return e.message;
  return undefined;
}

export function stdoutWrite(s: string): void {
  process.stdout.write(s);
}
