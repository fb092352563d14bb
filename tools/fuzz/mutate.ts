/**
 * Mutations of a table, each aimed at one way firmware tables break: cut
 * short, bits flipped, a length field set to a value that is too small, too
 * large or absurd, junk appended, a structure repeated or lost.
 */
import { fieldByKey, fieldEnd, readUint } from '../../src/acpi/fields.js';
import { ACPI_HEADER_FIELDS, ACPI_HEADER_SIZE, fixChecksum } from '../../src/acpi/header.js';
import { hex } from '../../src/acpi/hex.js';
import { DMAR_FIXED_SIZE } from '../../src/dmar/schema.js';
import { frame, SCOPE_LENGTH_FIELD, STRUCT_LENGTH_FIELD, TABLE_LENGTH_FIELD, writeUint, type Frame } from './frame.js';
import type { Prng } from './prng.js';

/** One applied mutation: the new bytes and a line saying what was done. */
interface Applied {
  bytes: Uint8Array;
  what: string;
}

type Mutator = (b: Uint8Array, rng: Prng, f: Frame) => Applied | undefined;

const INTERESTING_BYTES = [0x00, 0x01, 0x03, 0x04, 0x06, 0x07, 0x08, 0x7f, 0x80, 0xfe, 0xff];
/** A table shorter than this has no Checksum byte to fix. */
const CHECKSUM_END = fieldEnd(fieldByKey(ACPI_HEADER_FIELDS, 'checksum'));
/** Where the header and the DMAR fixed part begin and end, and the bytes either side. */
const HEADER_EDGES = [
  0,
  TABLE_LENGTH_FIELD.offset,
  ACPI_HEADER_SIZE - 1,
  ACPI_HEADER_SIZE,
  ACPI_HEADER_SIZE + 1,
  DMAR_FIXED_SIZE - 1,
  DMAR_FIXED_SIZE,
  DMAR_FIXED_SIZE + 1,
];

function declaredLength(b: Uint8Array): number {
  return readUint(b, TABLE_LENGTH_FIELD.offset, TABLE_LENGTH_FIELD.size);
}

function setTableLength(b: Uint8Array, n: number): void {
  writeUint(b, TABLE_LENGTH_FIELD.offset, TABLE_LENGTH_FIELD.size, n);
}

/** Keep Table Length in step with an insertion or removal half of the time (both are realistic bugs). */
function maybeFollow(b: Uint8Array, rng: Prng, delta: number): string {
  if (b.length < TABLE_LENGTH_FIELD.offset + TABLE_LENGTH_FIELD.size || !rng.chance(0.5)) return '';
  setTableLength(b, Math.max(0, declaredLength(b) + delta));
  return ', Table Length adjusted';
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

/** Cut points where the walker's decisions change: header edges, structure and scope edges, and anywhere. */
function cutPoint(b: Uint8Array, rng: Prng, f: Frame): number {
  const edges = [...HEADER_EDGES];
  for (const s of [...f.structures, ...f.scopes]) edges.push(s.offset, s.offset + 1, s.offset + 3, s.offset + 4, s.offset + s.length - 1);
  const at = rng.chance(0.5) ? rng.pick(edges) : rng.int(b.length);
  return Math.max(0, Math.min(at, b.length - 1));
}

export const MUTATORS: Readonly<Record<string, Mutator>> = {
  truncate(b, rng, f) {
    if (b.length === 0) return undefined;
    const at = cutPoint(b, rng, f);
    return { bytes: b.slice(0, at), what: `truncated to ${at} bytes` };
  },
  'bit-flip'(b, rng) {
    if (b.length === 0) return undefined;
    const out = b.slice();
    const n = rng.range(1, 8);
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = rng.int(out.length);
      out[o]! ^= 1 << rng.int(8);
      at.push(o);
    }
    return { bytes: out, what: `flipped bits at ${at.map(hex).join(',')}` };
  },
  'byte-set'(b, rng) {
    if (b.length === 0) return undefined;
    const out = b.slice();
    const n = rng.range(1, 4);
    const at: string[] = [];
    for (let i = 0; i < n; i++) {
      const o = rng.int(out.length);
      out[o] = rng.chance(0.7) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
      at.push(`${hex(o)}=${hex(out[o]!)}`);
    }
    return { bytes: out, what: `set bytes ${at.join(',')}` };
  },
  'table-length'(b, rng) {
    if (b.length < TABLE_LENGTH_FIELD.offset + TABLE_LENGTH_FIELD.size) return undefined;
    const out = b.slice();
    const v = rng.pick([0, 1, 3, 0xffff, DMAR_FIXED_SIZE - 1, DMAR_FIXED_SIZE, b.length - 1, b.length + 1, b.length + rng.range(2, 64), 0xffffffff]);
    setTableLength(out, Math.max(0, v));
    return { bytes: out, what: `Table Length = ${Math.max(0, v)}` };
  },
  'length-past-end'(b, rng) {
    if (b.length < TABLE_LENGTH_FIELD.offset + TABLE_LENGTH_FIELD.size) return undefined;
    const out = b.slice();
    const v = b.length + rng.range(1, 4096);
    setTableLength(out, v);
    return { bytes: out, what: `Table Length = ${v} (data: ${b.length})` };
  },
  'structure-length'(b, rng, f) {
    if (f.structures.length === 0) return undefined;
    const s = rng.pick(f.structures);
    const v = rng.pick([0, 1, 3, 0xffff, 4, 5, s.length - 1, s.length + 1, s.length - 2, s.length + 2, rng.int(0x10000)]);
    const out = b.slice();
    writeUint(out, s.offset + STRUCT_LENGTH_FIELD.offset, STRUCT_LENGTH_FIELD.size, Math.max(0, v));
    return { bytes: out, what: `structure at ${hex(s.offset)}: Length = ${Math.max(0, v)}` };
  },
  'scope-length'(b, rng, f) {
    if (f.scopes.length === 0) return undefined;
    const sc = rng.pick(f.scopes);
    const v = rng.pick([0, 1, 3, 0xff, 5, 6, 7, sc.length - 1, sc.length + 1, sc.length + 2, rng.int(0x100)]);
    const out = b.slice();
    writeUint(out, sc.offset + SCOPE_LENGTH_FIELD.offset, SCOPE_LENGTH_FIELD.size, Math.max(0, v));
    return { bytes: out, what: `device scope at ${hex(sc.offset)}: Entry Length = ${Math.max(0, v)}` };
  },
  tail(b, rng) {
    const extra = rng.chance(0.3) ? new Uint8Array(rng.range(1, 16)) : rng.bytes(rng.range(1, 64));
    const out = splice(b, b.length, 0, extra);
    return { bytes: out, what: `appended ${extra.length} bytes${maybeFollow(out, rng, extra.length)}` };
  },
  duplicate(b, rng, f) {
    if (f.structures.length === 0) return undefined;
    const s = rng.pick(f.structures);
    const copy = b.slice(s.offset, s.offset + s.length);
    const at = rng.chance(0.5) ? s.offset + s.length : rng.pick(f.structures).offset;
    const out = splice(b, at, 0, copy);
    return { bytes: out, what: `structure at ${hex(s.offset)} copied to ${hex(at)}${maybeFollow(out, rng, copy.length)}` };
  },
  remove(b, rng, f) {
    if (f.structures.length === 0) return undefined;
    const s = rng.pick(f.structures);
    const out = splice(b, s.offset, s.length);
    return { bytes: out, what: `structure at ${hex(s.offset)} removed${maybeFollow(out, rng, -s.length)}` };
  },
};

export const MUTATOR_NAMES: readonly string[] = Object.keys(MUTATORS);

export interface Mutation {
  bytes: Uint8Array;
  /** What was done, in order: the mutator's name, a colon, the details. */
  steps: string[];
}

/** One to three mutations in a row; sometimes the Checksum is made right afterwards (then only the structure is wrong). */
export function mutate(input: Uint8Array, rng: Prng): Mutation {
  let bytes: Uint8Array = input.slice();
  const steps: string[] = [];
  const n = rng.chance(0.6) ? 1 : rng.range(2, 3);
  for (let tries = 0; steps.length < n && tries < 20; tries++) {
    const name = rng.pick(MUTATOR_NAMES);
    const r = MUTATORS[name]!(bytes, rng, frame(bytes));
    if (!r) continue;
    bytes = r.bytes;
    steps.push(`${name}: ${r.what}`);
  }
  if (bytes.length >= CHECKSUM_END && rng.chance(0.3)) {
    const len = Math.min(bytes.length, declaredLength(bytes));
    if (len >= CHECKSUM_END) {
      const view = bytes.subarray(0, len);
      fixChecksum(view);
      steps.push('checksum: fixed');
    }
  }
  return { bytes, steps };
}
