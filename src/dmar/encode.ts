/**
 * The encoder: writes the same schema rows the parsers read. Lengths are
 * always computed from the content; the checksum is fixed unless kept.
 */
import type { FieldDef, FieldValue } from '../acpi/fields.js';
import { fixChecksum } from '../acpi/header.js';
import { scopeSize } from './body.js';
import { DmarError, excerpt } from './errors.js';
import { layout } from './layout.js';
import type { DmarTable, Fields, Structure } from './model.js';
import {
  DMAR_FIXED_SIZE,
  DMAR_SIGNATURE,
  SCOPE_FIELDS,
  SUBTABLE_HEADER_FIELDS,
  SUBTABLE_HEADER_SIZE,
  fieldByKey,
  structDef,
  structureLabeller,
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
      // a number of thousands of digits (a model built by a library user) is named by its size, not printed
      const text = n < 0n ? 'a negative number' : n.toString(16).length > 32 ? `a number of ${n.toString(2).length} bits` : String(n);
      throw new DmarError(`${where}${f.name}: ${text} does not fit in ${f.size} byte${f.size > 1 ? 's' : ''}`, { code: 'DMAR-ENCODE' });
    }
    for (let i = 0; i < f.size; i++) {
      out[at + i] = Number(n & 0xffn);
      n >>= 8n;
    }
  } else if (f.kind === 'ascii') {
    const s = typeof v === 'string' ? v : '';
    if (s.length > f.size) throw new DmarError(`${where}${f.name}: ${excerpt(s)} is longer than ${f.size} bytes`, { code: 'DMAR-ENCODE' });
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

/** Why a string cannot be written one byte per character: its first character over 0xff; undefined when it can. */
export function notOneByte(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return `character ${JSON.stringify(s[i])} is not one byte`;
  return undefined;
}

function latin1Bytes(s: string, where: string): Uint8Array {
  const why = notOneByte(s);
  if (why) throw new DmarError(`${where}${why}`, { code: 'DMAR-ENCODE' });
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

export { scopeSize };

/** The size a structure encodes to. */
export function structureSize(s: Structure): number {
  if (s.raw) return SUBTABLE_HEADER_SIZE + s.raw.length;
  const def = structDef(s.type);
  if (!def) throw new DmarError(`structure type ${s.type} has no layout; give its bytes as raw data`, { code: 'DMAR-ENCODE' });
  return def.fixedSize + def.body.size(s) + (s.trailing?.length ?? 0);
}

/**
 * Encode a table model to bytes: Table Length computed, Checksum fixed unless
 * kept. The bytes are written by following layout(), the one walk of a table
 * that every writer follows, with each Length recomputed from the content.
 */
export function encodeDmar(t: DmarTable, opts: EncodeOptions = {}): Uint8Array {
  let total = DMAR_FIXED_SIZE;
  for (const s of t.structures) total += structureSize(s);
  total += t.trailing?.length ?? 0;
  const out = new Uint8Array(total);
  const label = structureLabeller();
  let where = 'header: ';
  let structLength = 0;
  let scopeLength = 0;
  // where a defect of the model is, for errors that a source reader can map to its lines (encodeSource in source.ts)
  let at: { structure?: number; scope?: number } = {};
  try {
    encodeItems();
  } catch (e) {
    if (e instanceof DmarError && e.code === 'DMAR-ENCODE' && e.structure === undefined && at.structure !== undefined)
      throw new DmarError(e.message, { code: e.code, offset: e.offset, ...at });
    throw e;
  }
  if (!opts.keepChecksum) fixChecksum(out);
  return out;

  function encodeItems(): void {
    for (const it of layout(t)) {
      switch (it.kind) {
        case 'section':
          at = {};
          where = it.section === 'header' ? 'header: ' : '';
          break;
        case 'structure':
          at = { structure: it.index };
          where = `${label(it.s.type)}: `;
          structLength = structureSize(it.s);
          if (structLength >= 2 ** (8 * LENGTH.size))
            throw new DmarError(`${where}${structLength} bytes do not fit a ${8 * LENGTH.size}-bit Length`, { code: 'DMAR-ENCODE' });
          break;
        case 'scope':
          at = { structure: at.structure, scope: it.index };
          scopeLength = scopeSize(it.sc);
          if (scopeLength >= 2 ** (8 * SCOPE_LENGTH.size))
            throw new DmarError(`${where}device scope ${it.index + 1} with ${it.sc.path.length} path entries exceeds 255 bytes`, { code: 'DMAR-ENCODE' });
          break;
        case 'field': {
          const { row } = it;
          const value =
            row.role === 'length'
              ? { header: total, subtable: structLength, scope: scopeLength }[it.where as 'header']
              : row.role === 'signature'
                ? (it.value ?? DMAR_SIGNATURE)
                : it.value;
          writeField(out, it.offset - row.offset, row, value, where);
          break;
        }
        case 'path':
          writeFields(out, it.offset, it.rows, { device: it.device, function: it.function }, where);
          break;
        case 'name':
          out.set(latin1Bytes(it.name, where), it.offset);
          break;
        case 'trailing':
        case 'raw':
          out.set(it.bytes, it.offset);
          break;
        case 'end':
          break;
      }
    }
  }
}
