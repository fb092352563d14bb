/**
 * The encoder: writes the same schema rows the parsers read. Lengths are
 * always computed from the content; the checksum is fixed unless kept.
 */
import type { FieldDef, FieldValue } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS, fixChecksum } from '../acpi/header.js';
import { scopeSize } from './body.js';
import { DmarError, excerpt } from './errors.js';
import { layout } from './layout.js';
import type { DmarTable, Fields, Structure } from './model.js';
import {
  DMAR_FIELDS,
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
    // a model a library user built: a value of another type is refused, not written as NULs
    if (v !== undefined && typeof v !== 'string') throw new DmarError(`${where}${f.name}: ${describe(v)} is not a string`, { code: 'DMAR-ENCODE' });
    const s = v ?? '';
    if (s.length > f.size) throw new DmarError(`${where}${f.name}: ${excerpt(s)} is longer than ${f.size} bytes`, { code: 'DMAR-ENCODE' });
    const b = latin1Bytes(s, `${where}${f.name}: `);
    out.set(b, at);
    out.fill(0, at + b.length, at + f.size);
  } else {
    if (v !== undefined && !(v instanceof Uint8Array))
      throw new DmarError(`${where}${f.name}: ${describe(v)} is not bytes (a Uint8Array)`, { code: 'DMAR-ENCODE' });
    const b = v ?? new Uint8Array(f.size);
    if (b.length !== f.size) throw new DmarError(`${where}${f.name}: ${b.length} bytes, expected ${f.size}`, { code: 'DMAR-ENCODE' });
    out.set(b, at);
  }
}

/** The keys each row set has, made once per row set. */
const ROW_KEYS = new WeakMap<readonly FieldDef[], ReadonlySet<string>>();
/**
 * A model's fields name only rows of their structure: a key no row has (a misspelt field a library user
 * set, `registerBaseAdress`) would be passed over and its row written as 0 without a word, as JSON and iasl
 * source refuse such a key.
 */
function knownKeys(fields: Readonly<Record<string, unknown>>, rows: readonly FieldDef[] | undefined, where: string): void {
  if (!rows) return;
  let keys = ROW_KEYS.get(rows);
  if (!keys) ROW_KEYS.set(rows, (keys = new Set(rows.map((r) => r.key))));
  for (const k in fields) {
    if (!keys.has(k)) throw new DmarError(`${where}no field ${excerpt(k)} (the fields are ${[...keys].join(', ')})`, { code: 'DMAR-ENCODE' });
  }
}

/** A value of the wrong type, for a message: its type, and a short excerpt when it is printable. */
function describe(v: unknown): string {
  if (typeof v === 'string') return excerpt(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? `a ${v.constructor?.name ?? 'object'}` : typeof v;
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
/** The Signature of a model: DMAR, as JSON and iasl source are refused without it (a table of another signature is no DMAR table). */
function dmarSignature(v: FieldValue | undefined): string {
  if (v === undefined || v === '' || v === DMAR_SIGNATURE) return DMAR_SIGNATURE;
  throw new DmarError(`header: Signature ${describe(v)} is not "${DMAR_SIGNATURE}"`, { code: 'DMAR-ENCODE' });
}

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
    knownKeys(t.header, ACPI_HEADER_FIELDS, where);
    knownKeys(t.fields, DMAR_FIELDS, '');
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
          if (!it.s.raw) knownKeys(it.s.fields, structDef(it.s.type)?.fields, where);
          structLength = structureSize(it.s);
          if (structLength >= 2 ** (8 * LENGTH.size))
            throw new DmarError(`${where}${structLength} bytes do not fit a ${8 * LENGTH.size}-bit Length`, { code: 'DMAR-ENCODE' });
          break;
        case 'scope':
          at = { structure: at.structure, scope: it.index };
          knownKeys(it.sc.fields, SCOPE_FIELDS, `${where}device scope ${it.index + 1}: `);
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
                ? dmarSignature(it.value)
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
