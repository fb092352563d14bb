import type { FieldValue } from '../acpi/fields.js';
import { hexDigits } from '../acpi/hex.js';
import type { FieldKey } from './schema.js';

export type Fields = Record<string, FieldValue>;

export interface PathEntry {
  device: number;
  function: number;
}

/** A PCI Path entry as people write it: `1f.0` (device in two hex digits, function in one). */
export function pathEntryText(e: PathEntry): string {
  return `${hexDigits(e.device, 2)}.${hexDigits(e.function)}`;
}

export interface DeviceScope {
  /** Byte offset in the table (informational; recomputed on encode). */
  offset: number;
  /** Every SCOPE_FIELDS value, type and length included. */
  fields: Fields;
  path: PathEntry[];
}

/** A scope's start bus and path as people write them: `00:1f.0`, `00:1c.0/00.0`, `00:(no path)`. */
export function scopePath(sc: DeviceScope): string {
  const hops = sc.path.map(pathEntryText);
  return `${hexDigits(sc.fields.bus as number, 2)}:${hops.join('/') || '(no path)'}`;
}

export interface Structure {
  offset: number;
  type: number;
  /** Length as read (informational; recomputed on encode). */
  length: number;
  /** Values of the type's fixed fields (not type and length). */
  fields: Fields;
  scopes?: DeviceScope[];
  /** ANDD Device Name, without its terminating NUL. */
  name?: string;
  /** ANDD name with no NUL within Length (kept that way on encode). */
  unterminated?: boolean;
  /** Bytes inside Length that follow the decoded content (ANDD padding, garbage). */
  trailing?: Uint8Array;
  /** Unknown or undecodable structure: the bytes after the 4-byte header. */
  raw?: Uint8Array;
}

export interface DmarTable {
  /** ACPI header values. */
  header: Fields;
  /** DMAR fixed-part values (Host Address Width, Flags, Reserved). */
  fields: Fields;
  structures: Structure[];
  /** Bytes inside Table Length after the last structure. */
  trailing?: Uint8Array;
}

/** Bytes an ANDD name takes: the name and its NUL (none when the table gave none). */
export function nameSize(s: Pick<Structure, 'name' | 'unterminated'>): number {
  return (s.name ?? '').length + (s.unterminated ? 0 : 1);
}

/**
 * A field's value as a number, whatever its size (a bigint of 8 bytes converted). Its look-up by a key given as a
 * value is one site for every key and structure, which V8 cannot specialise: the checks a validator runs per table
 * read their busiest fields by name at their own site instead (`l.s.fields.segment as number`), as decodeDmar
 * makes them (parsers.ts: an integer of up to 4 bytes a number, of 8 bytes a bigint).
 */
export function num(fields: Fields, key: FieldKey): number {
  const v = fields[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`field ${key} is not a number`);
}

export function big(fields: Fields, key: FieldKey): bigint {
  const v = fields[key];
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  throw new TypeError(`field ${key} is not a number`);
}

export function str(fields: Fields, key: FieldKey): string {
  const v = fields[key];
  if (typeof v === 'string') return v;
  throw new TypeError(`field ${key} is not a string`);
}
