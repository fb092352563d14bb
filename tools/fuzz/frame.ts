/**
 * Where the length fields of a (possibly broken) table are, found by a walk
 * of its own: the mutator must not depend on the decoder it is testing. Every
 * offset and size comes from the schema rows.
 */
import { readUint, type FieldDef } from '../../src/acpi/fields.js';
import { ACPI_HEADER_FIELDS } from '../../src/acpi/header.js';
import { DMAR_FIXED_SIZE, SCOPE_FIELDS, SUBTABLE_HEADER_FIELDS, SUBTABLE_HEADER_SIZE, fieldByKey, structDef } from '../../src/dmar/schema.js';

export const TABLE_LENGTH_FIELD: FieldDef = fieldByKey(ACPI_HEADER_FIELDS, 'length');
const STRUCT_TYPE_FIELD: FieldDef = fieldByKey(SUBTABLE_HEADER_FIELDS, 'type');
export const STRUCT_LENGTH_FIELD: FieldDef = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');
export const SCOPE_LENGTH_FIELD: FieldDef = fieldByKey(SCOPE_FIELDS, 'length');

export interface Span {
  /** Table offset of the first byte. */
  offset: number;
  length: number;
}

export interface Frame {
  /** Structures that fit the data, in order. */
  structures: Span[];
  /** Device scopes that fit their structure. */
  scopes: Span[];
}

/** Write `value` (truncated to `size` bytes) little endian at `at`, inside `bytes` only. */
export function writeUint(bytes: Uint8Array, at: number, size: number, value: number): void {
  let v = value;
  for (let i = 0; i < size; i++) {
    if (at + i < bytes.length) bytes[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** Walk as far as the lengths make sense: over all the data, whatever Table Length says. */
export function frame(bytes: Uint8Array): Frame {
  const structures: Span[] = [];
  const scopes: Span[] = [];
  let off = DMAR_FIXED_SIZE;
  while (off + SUBTABLE_HEADER_SIZE <= bytes.length) {
    const len = readUint(bytes, off + STRUCT_LENGTH_FIELD.offset, STRUCT_LENGTH_FIELD.size);
    if (len < SUBTABLE_HEADER_SIZE || off + len > bytes.length) break;
    structures.push({ offset: off, length: len });
    const def = structDef(readUint(bytes, off + STRUCT_TYPE_FIELD.offset, STRUCT_TYPE_FIELD.size));
    if (def?.body.kind === 'scopes' && len >= def.fixedSize) {
      let o = off + def.fixedSize;
      while (o + SCOPE_LENGTH_FIELD.offset < off + len) {
        const slen = readUint(bytes, o + SCOPE_LENGTH_FIELD.offset, SCOPE_LENGTH_FIELD.size);
        if (slen === 0 || o + slen > off + len) break;
        scopes.push({ offset: o, length: slen });
        o += slen;
      }
    }
    off += len;
  }
  return { structures, scopes };
}
