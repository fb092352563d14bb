/**
 * The encoder: writes the same schema rows the parsers read. Lengths are
 * always computed from the content; the checksum is fixed unless kept.
 */
import type { FieldDef, FieldValue } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS, fixChecksum } from '../acpi/header.js';
import { DmarError } from './errors.js';
import { nameSize, type DeviceScope, type DmarTable, type Fields, type Structure } from './model.js';
import {
  DMAR_FIELDS, DMAR_FIXED_SIZE, DMAR_SIGNATURE, PATH_ENTRY_SIZE, PATH_FIELDS, SCOPE_FIELDS, SCOPE_HEADER_SIZE,
  SUBTABLE_HEADER_FIELDS, SUBTABLE_HEADER_SIZE, fieldByKey, structDef, structureLabeller,
} from './schema.js';

const LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');
const SCOPE_LENGTH = fieldByKey(SCOPE_FIELDS, 'length');

export interface EncodeOptions {
  /** Keep header.checksum as given instead of computing it. */
  keepChecksum?: boolean;
}

/** Write one row's value into `out` at `base + f.offset`. */
export function writeField(out: Uint8Array, base: number, f: FieldDef, v: FieldValue | undefined, where: string): void {
  const at = base + f.offset;
  if (f.kind === 'uint' && f.size <= 4 && typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** (8 * f.size)) {
    // the common case, without BigInt
    for (let i = 0, n = v; i < f.size; i++, n = Math.floor(n / 256)) out[at + i] = n & 0xff;
  } else if (f.kind === 'uint') {
    let n: bigint;
    if (v === undefined) n = 0n;
    else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
    else if (typeof v === 'bigint') n = v;
    else throw new DmarError(`${where}${f.name}: ${String(v)} is not an integer`, { code: 'DMAR-ENCODE' });
    if (n < 0n || n >= 1n << BigInt(8 * f.size)) {
      throw new DmarError(`${where}${f.name}: ${n} does not fit in ${f.size} byte${f.size > 1 ? 's' : ''}`, { code: 'DMAR-ENCODE' });
    }
    for (let i = 0; i < f.size; i++) {
      out[at + i] = Number(n & 0xffn);
      n >>= 8n;
    }
  } else if (f.kind === 'ascii') {
    const s = typeof v === 'string' ? v : '';
    if (s.length > f.size) throw new DmarError(`${where}${f.name}: "${s}" is longer than ${f.size} bytes`, { code: 'DMAR-ENCODE' });
    const b = latin1Bytes(s, `${where}${f.name}: `);
    out.set(b, at);
    out.fill(0, at + b.length, at + f.size);
  } else {
    const b = v instanceof Uint8Array ? v : new Uint8Array(f.size);
    if (b.length !== f.size) throw new DmarError(`${where}${f.name}: ${b.length} bytes, expected ${f.size}`, { code: 'DMAR-ENCODE' });
    out.set(b, at);
  }
}

function writeFields(out: Uint8Array, base: number, rows: readonly FieldDef[], values: Fields, where: string): void {
  for (const f of rows) writeField(out, base, f, values[f.key], where);
}

function latin1Bytes(s: string, where: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new DmarError(`${where}character ${JSON.stringify(s[i])} is not one byte`, { code: 'DMAR-ENCODE' });
    b[i] = c;
  }
  return b;
}

/** The size a device scope encodes to. */
export function scopeSize(sc: DeviceScope): number {
  return SCOPE_HEADER_SIZE + PATH_ENTRY_SIZE * sc.path.length;
}

/** The size a structure encodes to. */
export function structureSize(s: Structure): number {
  if (s.raw) return SUBTABLE_HEADER_SIZE + s.raw.length;
  const def = structDef(s.type);
  if (!def) throw new DmarError(`structure type ${s.type} has no layout; give its bytes as raw data`, { code: 'DMAR-ENCODE' });
  let n = def.fixedSize;
  for (const sc of s.scopes ?? []) n += scopeSize(sc);
  if (def.body === 'name') n += nameSize(s);
  return n + (s.trailing?.length ?? 0);
}

function encodeStructure(out: Uint8Array, at: number, s: Structure, label: string): number {
  const size = structureSize(s);
  const where = `${label}: `;
  if (size >= 2 ** (8 * LENGTH.size)) throw new DmarError(`${where}${size} bytes do not fit a ${8 * LENGTH.size}-bit Length`, { code: 'DMAR-ENCODE' });
  writeFields(out, at, SUBTABLE_HEADER_FIELDS, { type: s.type, length: size }, where);
  if (s.raw) {
    out.set(s.raw, at + SUBTABLE_HEADER_SIZE);
    return size;
  }
  const def = structDef(s.type)!;
  writeFields(out, at, def.fields, s.fields, where);
  let o = at + def.fixedSize;
  for (const sc of s.scopes ?? []) {
    const n = scopeSize(sc);
    if (n >= 2 ** (8 * SCOPE_LENGTH.size)) throw new DmarError(`${where}device scope with ${sc.path.length} path entries exceeds 255 bytes`, { code: 'DMAR-ENCODE' });
    writeFields(out, o, SCOPE_FIELDS, { ...sc.fields, length: n }, where);
    let p = o + SCOPE_HEADER_SIZE;
    for (const e of sc.path) {
      writeFields(out, p, PATH_FIELDS, { device: e.device, function: e.function }, where);
      p += PATH_ENTRY_SIZE;
    }
    o += n;
  }
  if (def.body === 'name') {
    const name = latin1Bytes(s.name ?? '', where);
    out.set(name, o);
    o += nameSize(s);
  }
  if (s.trailing) out.set(s.trailing, o);
  return size;
}

/** Encode a table model to bytes: Table Length computed, Checksum fixed unless kept. */
export function encodeDmar(t: DmarTable, opts: EncodeOptions = {}): Uint8Array {
  let total = DMAR_FIXED_SIZE;
  for (const s of t.structures) total += structureSize(s);
  total += t.trailing?.length ?? 0;
  const out = new Uint8Array(total);
  writeFields(out, 0, ACPI_HEADER_FIELDS, { ...t.header, length: total, signature: t.header.signature ?? DMAR_SIGNATURE }, 'header: ');
  writeFields(out, 0, DMAR_FIELDS, t.fields, '');
  let at = DMAR_FIXED_SIZE;
  const label = structureLabeller();
  for (const s of t.structures) at += encodeStructure(out, at, s, label(s.type));
  if (t.trailing) out.set(t.trailing, at);
  if (!opts.keepChecksum) fixChecksum(out);
  return out;
}
