/** Reading sysfs/procfs-style files of a machine root: small text files and directory listings that may be absent. */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { inputText } from '../acpi/escape.js';
import { DmarError } from '../dmar/errors.js';
import { readInputBytes } from '../io/input.js';

/**
 * A small text file, trimmed; undefined when it cannot be read. Read like every
 * input (src/io/input.ts): a capture is input too, and a FIFO or device
 * planted in one must not block or flood the reader.
 */
export function readText(path: string): string | undefined {
  try {
    return inputText(readInputBytes(path)).trim();
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
    return inputText(readInputBytes(path)).trim();
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
  return readAcpiTable(root, signature).bytes;
}

/**
 * An ACPI table of a machine root, or why a table that is there cannot be read (`why`, a clause: "cannot be
 * read: ...", "was not captured: ..."; neither: the machine has none). The tables are root's alone on a real machine: read as a user, a MADT or HPET is there but
 * unreadable, and the checks that need it must say so rather than take it for absent. A capture made as a
 * user holds no copy of such a table; its manifest says why, and that is the reason given.
 */
export function readAcpiTable(root: string, signature: string): { bytes?: Uint8Array; why?: string } {
  const path = join(root, 'sys/firmware/acpi/tables', signature);
  try {
    return { bytes: new Uint8Array(readInputBytes(path)) };
  } catch (e) {
    if (!(e instanceof DmarError) || e.errno !== 'ENOENT') {
      const code = e instanceof DmarError ? e.errno : undefined;
      return {
        why: `cannot be read: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied (run as root)' : e instanceof DmarError ? e.message : String(e)}`,
      };
    }
    const item = capturedItem(root, `/sys/firmware/acpi/tables/${signature}`);
    return item && (item.status === 'denied' || item.status === 'error') ? { why: `was not captured: ${item.reason ?? item.status}` } : {};
  }
}

interface CapturedItem {
  path: string;
  status?: string;
  reason?: string;
}

/** The items of the manifest of the capture whose root this is (dmar capture's); [] for a live root. */
function capturedItems(root: string): CapturedItem[] {
  if (basename(root) !== 'root') return [];
  const text = readText(join(dirname(root), 'manifest.json'));
  if (text === undefined) return [];
  try {
    const items = (JSON.parse(text) as { items?: unknown }).items;
    if (!Array.isArray(items)) return [];
    return items
      .filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null && typeof (i as { path?: unknown }).path === 'string')
      .map((i) => ({
        path: i.path as string,
        status: typeof i.status === 'string' ? i.status : undefined,
        reason: typeof i.reason === 'string' ? i.reason : undefined,
      }));
  } catch {
    return [];
  }
}

/** What the manifest of the capture whose root this is says of one live path; undefined for a live root. */
function capturedItem(root: string, path: string): CapturedItem | undefined {
  return capturedItems(root).find((i) => i.path === path);
}

/**
 * The paths under `prefix` the capture whose root this is could not read (denied, failed), with why, as its
 * manifest says: "3/start: permission denied (run as root for it)". [] for a live root.
 */
export function capturedFailures(root: string, prefix: string): string[] {
  return capturedItems(root)
    .filter((i) => i.path.startsWith(prefix) && (i.status === 'denied' || i.status === 'error'))
    .map((i) => `${i.path.slice(prefix.length)}: ${i.reason ?? i.status}`);
}
