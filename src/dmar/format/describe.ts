/** How a field's value reads to a person: shared by the text and hex writers. */
import { bitValue, namedMask, type FieldDef, type FieldValue } from '../../acpi/fields.js';
import { quoted } from '../../acpi/escape.js';
import { bytesHex, hex } from '../../acpi/hex.js';
import type { StructDef } from '../schema.js';
import { structDef } from '../schema.js';
import type { Paint } from './paint.js';

export interface Described {
  value: string;
  notes: string[];
}

export interface DescribeContext {
  where: 'header' | 'dmar' | 'subtable' | 'structure' | 'scope';
  /** For a device-scope field: the structure it sits in. */
  scopeParent?: StructDef;
  /** Checksum verdict, for the header's Checksum row. */
  checksumOk?: boolean;
}

/** The value in hex (strings quoted), and notes: named bits, enum names, units, reserved bits that are set. */
export function describe(row: FieldDef, v: FieldValue, ctx: DescribeContext, p: Paint): Described {
  if (row.kind === 'ascii') return { value: quoted(v as string), notes: [] };
  if (row.kind === 'bytes') {
    const b = v as Uint8Array;
    const zero = b.every((x) => x === 0);
    return { value: zero ? `${b.length} zero bytes` : bytesHex(b), notes: zero || !row.reserved ? [] : [p.warn('reserved, should be 0')] };
  }
  const n = BigInt(v as number | bigint);
  const value = hex(n, row.size * 2);
  const notes: string[] = [];
  if (row.role === 'type' && ctx.where === 'subtable') {
    const def = structDef(Number(n));
    notes.push(def ? `${def.abbrev} ${def.proposed ? p.proposed(def.title) : def.title}` : p.warn('reserved type (skipped by Linux)'));
  } else if (row.enumNames) {
    const name = row.enumNames[Number(n)];
    notes.push(name ?? p.warn(Number(n) === 0 ? 'reserved type 0' : 'unknown type'));
  } else if (row.role === 'length' || row.radix === 10) {
    notes.push(String(n));
  }
  if (row.note) notes.push(row.note(n));
  if (row.role === 'checksum' && ctx.checksumOk !== undefined) notes.push(ctx.checksumOk ? p.ok('valid') : p.error('INVALID'));
  const bitsNamed = row.bits && (ctx.where !== 'scope' || ctx.scopeParent?.scopeFlagsNamed);
  if (bitsNamed) {
    for (const b of row.bits!) {
      const bv = bitValue(n, b);
      if ((b.width ?? 1) > 1) {
        notes.push(`${b.name} ${bv}${b.note ? ` (${b.note(bv)})` : ''}`);
      } else if (bv) {
        notes.push(b.proposed ? p.proposed(`${b.name} (proposed)`) : p.set(b.name));
      }
    }
    const rest = n & ~namedMask(row);
    if (rest) notes.push(p.warn(`reserved bits ${hex(rest, 2)}`));
  } else if ((row.reserved || row.bits) && n !== 0n) {
    notes.push(p.warn('reserved, should be 0'));
  }
  return { value, notes };
}
