/**
 * Where a table comes from: a file or stdin (raw binary or acpidump text,
 * told apart by content), or the running machine's sysfs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AcpidumpError, looksLikeAcpidump, parseAcpidump, type DumpedTable } from './acpidump.js';

export class InputError extends Error {
  constructor(message: string, readonly file: string, readonly offset = -1) {
    super(message);
  }
}

export interface Source {
  /** What to call the input in messages. */
  name: string;
  kind: 'binary' | 'acpidump' | 'sysfs';
  /** The requested table's bytes. */
  bytes: Uint8Array;
  /** Every table of an acpidump (the requested one included). */
  tables?: DumpedTable[];
  /** True when the source cannot be rewritten in place (stdin, sysfs). */
  readOnly: boolean;
}

/** Root of the live system's files; tests point it at a fake tree. */
export function liveRoot(): string {
  return process.env.DMAR_ROOT ?? '/';
}

export function sysfsTablePath(signature = 'DMAR'): string {
  return join(liveRoot(), 'sys/firmware/acpi/tables', signature);
}

export function readAll(path: string | 0, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied'
      : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new InputError(why, name);
  }
}

/** Pick `signature` out of raw bytes or acpidump text. */
export function sourceFromBytes(data: Uint8Array, name: string, kind: 'binary' | 'sysfs', signature = 'DMAR'): Source {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 4096)).toString('latin1');
  if (kind === 'binary' && looksLikeAcpidump(head)) {
    let tables: DumpedTable[];
    try {
      tables = parseAcpidump(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'));
    } catch (e) {
      if (e instanceof AcpidumpError) throw new InputError(`line ${e.line}: ${e.message}`, name);
      throw e;
    }
    const hit = tables.find((t) => t.signature === signature);
    if (!hit) {
      const sigs = [...new Set(tables.map((t) => t.signature))].join(', ');
      throw new InputError(`no ${signature} table in this acpidump (it holds ${sigs || 'no tables'})`, name);
    }
    return { name, kind: 'acpidump', bytes: hit.bytes, tables, readOnly: true };
  }
  return { name, kind, bytes: data, readOnly: kind === 'sysfs' };
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Why the running machine's table cannot be read, as it is: sysfs shows every
 * table the firmware gave to everyone, so a missing file is a missing table
 * (root or not); only a file there that cannot be read is a matter of root.
 */
export function machineTableError(code: string | undefined, signature = 'DMAR', root = isRoot()): string | undefined {
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    if (signature !== 'DMAR') return `no ${signature} table on this machine`;
    const dir = dirname(sysfsTablePath(signature));
    if (!existsSync(dir)) return `no DMAR table on this machine: ${dir} does not exist (no ACPI, or sysfs not mounted here); give a file`;
    return 'no DMAR table on this machine: not an Intel VT-d platform, or VT-d is disabled in the firmware setup; give a file';
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return `cannot read the ${signature} table: permission denied${root ? '' : ' (it is readable by root only: run as root, or give a copy of it)'}`;
  }
  return undefined;
}

/** Read a table: `file`, `-` for stdin, or undefined for the running machine's table. */
export function readSource(file: string | undefined, signature = 'DMAR'): Source {
  if (file === undefined) {
    const path = sysfsTablePath(signature);
    try {
      return sourceFromBytes(readFileSync(path), path, 'sysfs', signature);
    } catch (e) {
      const why = machineTableError((e as NodeJS.ErrnoException).code, signature);
      if (why) throw new InputError(why, path);
      throw e;
    }
  }
  if (file === '-') {
    const s = sourceFromBytes(readAll(0, 'stdin'), 'stdin', 'binary', signature);
    return { ...s, readOnly: true };
  }
  return sourceFromBytes(readAll(file, file), file, 'binary', signature);
}
