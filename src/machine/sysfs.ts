/** Reading sysfs/procfs-style files of a machine root: small text files and directory listings that may be absent. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DmarError } from '../dmar/errors.js';
import { readInputBytes } from '../io/input.js';

/**
 * A small text file, trimmed; undefined when it cannot be read. Read like every
 * input (src/io/input.ts): a capture is input too, and a FIFO or device
 * planted in one must not block or flood the reader.
 */
export function readText(path: string): string | undefined {
  try {
    return readInputBytes(path).toString('latin1').trim();
  } catch {
    return undefined;
  }
}

/**
 * A small text file, trimmed; undefined when it is absent. One that is there but
 * cannot be read (permission denied, a directory, a device) throws the reader's
 * error, naming the file: a file a reader needs is then not taken for missing.
 */
export function readTextIfPresent(path: string): string | undefined {
  try {
    return readInputBytes(path).toString('latin1').trim();
  } catch (e) {
    if (e instanceof DmarError && e.errno === 'ENOENT') return undefined;
    throw e;
  }
}

/** A directory's entries; undefined when it cannot be listed. */
export function listDir(path: string): string[] | undefined {
  try {
    return readdirSync(path);
  } catch {
    return undefined;
  }
}

/** An ACPI table of a machine root (root/sys/firmware/acpi/tables/SIG); undefined when it cannot be read. */
export function acpiTable(root: string, signature: string): Uint8Array | undefined {
  try {
    return new Uint8Array(readInputBytes(join(root, 'sys/firmware/acpi/tables', signature)));
  } catch {
    return undefined;
  }
}
