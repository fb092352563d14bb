/**
 * Structure-aware difference of two DMAR tables. Structures are matched by
 * identity (a DRHD is its segment and Register Base Address, an ANDD its
 * Device Number, ...), then what is left of each type by order; matched
 * structures are compared field by field, their device scopes by identity
 * (type, Enumeration ID, bus, path). Every byte of either input belongs to
 * some compared value, so two inputs are `equal` exactly when their bytes are.
 */
import { bitValue, namedMask, type FieldDef, type FieldValue } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS } from '../acpi/header.js';
import { bytesHex, hex, hexDigits } from '../acpi/hex.js';
import { decodeDmar, type Problem } from './decode.js';
import type { JsonScalar } from '../types/json.js';
import { plainJson } from './codec/json.js';
import { pathEntryText, type DeviceScope, type DmarTable, type Structure } from './model.js';
import {
  DMAR_FIELDS,
  SCOPE_FIELDS,
  scopeTypeName,
  SUBTABLE_HEADER_FIELDS,
  SUBTABLE_HEADER_SIZE,
  fieldByKey,
  structDef,
  structTitle,
  structureLabels,
} from './schema.js';

export const DIFF_FORMAT = 'dmar-diff/1';

/** Where a value sits in one input, and what it is there (JSON as in the dmar/1 document). */
export interface Side {
  offset: number;
  value: JsonScalar;
}

export interface BitDiff {
  name: string;
  a: boolean | number;
  b: boolean | number;
  proposed?: true;
}

export interface FieldDiff {
  /** JSON key of the value (`flags`, `registerBaseAddress`, `deviceName`, `trailing`, ...). */
  field: string;
  /** ACPICA's name. */
  name: string;
  /** null: the value is only in the other input. */
  a: Side | null;
  b: Side | null;
  /** For fields with named bits: the bits that differ (`reserved` for the unnamed ones). */
  bits?: BitDiff[];
  /** Present for a field (or bit) of the proposals. */
  proposed?: true;
  /** The schema row, when there is one (for formatting; not part of the JSON). */
  row?: FieldDef;
}

export interface Place {
  index: number;
  /** "DRHD #2" (structureLabels: 1-based per type); scopes have none. */
  label?: string;
  offset: number;
  length: number;
}

export type Change = 'added' | 'removed' | 'changed';

export interface ScopeDiff {
  change: Change;
  /** `IOAPIC Device id 8 f0:1f.0`. */
  scope: string;
  a: Place | null;
  b: Place | null;
  fields: FieldDiff[];
  /** A scope of both tables whose place among the structure's scopes changed (another order of the same scopes). */
  moved?: true;
}

export interface StructureDiff {
  change: Change;
  /** DRHD, RMRR, ..., VIRT, or UNKNOWN. */
  kind: string;
  type: number;
  title: string;
  /** What identifies the structure: `DRHD segment 0 base 0xfed90000`. */
  key: string;
  proposed?: true;
  a: Place | null;
  b: Place | null;
  /** Its position among the matched structures changed. */
  moved?: true;
  /** Changed fields; every field, one side null, for an added or removed structure. */
  fields: FieldDiff[];
  scopes: ScopeDiff[];
}

export interface TableDiff {
  format: typeof DIFF_FORMAT;
  equal: boolean;
  a: { name: string; size: number };
  b: { name: string; size: number };
  header: FieldDiff[];
  /** The DMAR fixed part: Host Address Width, Flags, Reserved. */
  dmar: FieldDiff[];
  structures: StructureDiff[];
  /** Bytes after the last structure, inside and after Table Length. */
  tail: FieldDiff[];
  /** Framing problems of each input (both are decoded leniently). */
  problems: { a: Problem[]; b: Problem[] };
}

const SUB_LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');

/** As the dmar/1 document writes it, bits not split out; an absent value is zero. */
function valueJson(f: FieldDef, v: FieldValue | undefined): JsonScalar {
  return plainJson(f, v ?? 0);
}

function same(f: FieldDef, x: FieldValue | undefined, y: FieldValue | undefined): boolean {
  return valueJson(f, x) === valueJson(f, y);
}

function bitDiffs(f: FieldDef, x: FieldValue | undefined, y: FieldValue | undefined): BitDiff[] | undefined {
  if (!f.bits || f.kind !== 'uint') return undefined;
  const a = BigInt((x ?? 0) as number | bigint);
  const b = BigInt((y ?? 0) as number | bigint);
  const out: BitDiff[] = [];
  for (const bit of f.bits) {
    const va = bitValue(a, bit);
    const vb = bitValue(b, bit);
    if (va === vb) continue;
    const one = (bit.width ?? 1) === 1;
    const d: BitDiff = { name: bit.key ?? bit.name, a: one ? va === 1 : va, b: one ? vb === 1 : vb };
    if (bit.proposed) d.proposed = true;
    out.push(d);
  }
  const m = namedMask(f);
  const ra = a & ~m;
  const rb = b & ~m;
  if (ra !== rb) out.push({ name: 'reserved', a: Number(ra), b: Number(rb) });
  return out;
}

function fieldDiff(f: FieldDef, a: { base: number; v: FieldValue | undefined } | null, b: { base: number; v: FieldValue | undefined } | null): FieldDiff {
  const d: FieldDiff = {
    field: f.key,
    name: f.name,
    a: a ? { offset: a.base + f.offset, value: valueJson(f, a.v) } : null,
    b: b ? { offset: b.base + f.offset, value: valueJson(f, b.v) } : null,
    row: f,
  };
  if (a && b) {
    const bits = bitDiffs(f, a.v, b.v);
    if (bits?.length) d.bits = bits;
  }
  if (f.proposed || d.bits?.some((x) => x.proposed)) d.proposed = true;
  return d;
}

function compareRows(rows: readonly FieldDef[], va: Record<string, FieldValue>, baseA: number, vb: Record<string, FieldValue>, baseB: number): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const f of rows) {
    if (same(f, va[f.key], vb[f.key])) continue;
    out.push(fieldDiff(f, { base: baseA, v: va[f.key] }, { base: baseB, v: vb[f.key] }));
  }
  return out;
}

function oneSided(rows: readonly FieldDef[], v: Record<string, FieldValue>, base: number, side: 'a' | 'b'): FieldDiff[] {
  return rows.map((f) => fieldDiff(f, side === 'a' ? { base, v: v[f.key] } : null, side === 'b' ? { base, v: v[f.key] } : null));
}

/** A value with no schema row (names, trailing bytes). */
function extraDiff(field: string, name: string, a: Side | null, b: Side | null): FieldDiff {
  return { field, name, a, b };
}

// ---- keys ------------------------------------------------------------------

const h2 = (n: number) => hexDigits(n, 2);

function structureKey(s: Structure): string {
  const def = s.raw ? undefined : structDef(s.type);
  const keys = def?.identity;
  if (!def || !keys) return `${structDef(s.type)?.abbrev ?? 'UNKNOWN'} type ${hex(s.type)}`;
  return [
    def.abbrev,
    ...keys.map(([k, label]) => {
      const f = fieldByKey(def.fields, k);
      const v = valueJson(f, s.fields[k]);
      return `${label} ${typeof v === 'number' && f.radix === 16 ? hex(v) : v}`;
    }),
  ].join(' ');
}

function scopeKey(sc: DeviceScope): string {
  const type = Number(sc.fields.type ?? 0);
  const id = Number(sc.fields.enumerationId ?? 0);
  const bus = Number(sc.fields.bus ?? 0);
  const path = sc.path.map(pathEntryText).join('/');
  return `${scopeTypeName(type)} id ${id} ${h2(bus)}:${path || '-'}`;
}

/** Pair items by key (the n-th of a key with the n-th), then what is left of each group by order. */
function match<T>(as: readonly T[], bs: readonly T[], key: (x: T) => string, group: (x: T) => string): [number, number][] {
  const occurrence = (xs: readonly T[]) => {
    const seen = new Map<string, number>();
    return xs.map((x) => {
      const k = key(x);
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      return `${k}#${n}`;
    });
  };
  const ka = occurrence(as);
  const kb = occurrence(bs);
  const byKey = new Map(kb.map((k, j) => [k, j]));
  const pairs: [number, number][] = [];
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  ka.forEach((k, i) => {
    const j = byKey.get(k);
    if (j === undefined) return;
    pairs.push([i, j]);
    usedA.add(i);
    usedB.add(j);
  });
  // Linear at any size: a queue per group, read with a cursor (no copying, no shift()).
  const left = new Map<string, { js: number[]; next: number }>();
  bs.forEach((x, j) => {
    if (usedB.has(j)) return;
    const g = group(x);
    const q = left.get(g);
    if (q) q.js.push(j);
    else left.set(g, { js: [j], next: 0 });
  });
  as.forEach((x, i) => {
    if (usedA.has(i)) return;
    const q = left.get(group(x));
    if (q && q.next < q.js.length) pairs.push([i, q.js[q.next++]!]);
  });
  return pairs.sort((p, q) => p[0] - q[0]);
}

/** Indexes (into `seq`) of a longest increasing subsequence: the pairs that did not move. */
function longestIncreasing(seq: readonly number[]): Set<number> {
  const tails: number[] = [];
  const prev: number[] = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < seq[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const keep = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) keep.add(i);
  return keep;
}

// ---- structures --------------------------------------------------------------

function place(s: Structure, index: number, label: string): Place {
  return { index, label, offset: s.offset, length: s.length };
}

function scopePlace(sc: DeviceScope, index: number): Place {
  return { index, offset: sc.offset, length: Number(sc.fields.length ?? 0) };
}

const KEY_SCOPE_FIELDS = new Set(['type', 'enumerationId', 'bus']);

function scopeDiffs(sa: readonly DeviceScope[], sb: readonly DeviceScope[]): ScopeDiff[] {
  const pairs = match(sa, sb, scopeKey, () => '');
  // Scopes pair only by identity: a scope whose path changed is another device.
  const exact = pairs.filter(([i, j]) => scopeKey(sa[i]!) === scopeKey(sb[j]!));
  // as for structures: the longest run of pairs in the same order stays, the others moved
  const still = longestIncreasing(exact.map((p) => p[1]));
  const out: ScopeDiff[] = [];
  const usedA = new Set(exact.map((p) => p[0]));
  const usedB = new Set(exact.map((p) => p[1]));
  sa.forEach((sc, i) => {
    if (!usedA.has(i)) out.push({ change: 'removed', scope: scopeKey(sc), a: scopePlace(sc, i), b: null, fields: [] });
  });
  exact.forEach(([i, j], n) => {
    const rows = SCOPE_FIELDS.filter((f) => !KEY_SCOPE_FIELDS.has(f.key));
    const fields = compareRows(rows, sa[i]!.fields, sa[i]!.offset, sb[j]!.fields, sb[j]!.offset);
    const moved = !still.has(n);
    if (!fields.length && !moved) return;
    const d: ScopeDiff = { change: 'changed', scope: scopeKey(sa[i]!), a: scopePlace(sa[i]!, i), b: scopePlace(sb[j]!, j), fields };
    if (moved) d.moved = true;
    out.push(d);
  });
  sb.forEach((sc, j) => {
    if (!usedB.has(j)) out.push({ change: 'added', scope: scopeKey(sc), a: null, b: scopePlace(sc, j), fields: [] });
  });
  return out;
}

function bodyDiffs(sa: Structure, bytesA: Uint8Array, sb: Structure, bytesB: Uint8Array): FieldDiff[] {
  const out: FieldDiff[] = [];
  const def = structDef(sa.type);
  if (sa.raw || sb.raw || !def || sa.type !== sb.type) {
    const ra = bytesA.subarray(sa.offset + SUBTABLE_HEADER_SIZE, sa.offset + sa.length);
    const rb = bytesB.subarray(sb.offset + SUBTABLE_HEADER_SIZE, sb.offset + sb.length);
    if (bytesHex(ra) !== bytesHex(rb)) {
      out.push(
        extraDiff(
          'raw',
          'Raw Data',
          { offset: sa.offset + SUBTABLE_HEADER_SIZE, value: bytesHex(ra) },
          { offset: sb.offset + SUBTABLE_HEADER_SIZE, value: bytesHex(rb) },
        ),
      );
    }
    return out;
  }
  out.push(...compareRows(def.fields, sa.fields, sa.offset, sb.fields, sb.offset));
  const nameAt = (s: Structure) => s.offset + def.fixedSize;
  if (def.body.kind === 'name') {
    if (sa.name !== sb.name)
      out.push(extraDiff('deviceName', def.body.title ?? 'Name', { offset: nameAt(sa), value: sa.name ?? '' }, { offset: nameAt(sb), value: sb.name ?? '' }));
    if (!!sa.unterminated !== !!sb.unterminated) {
      out.push(
        extraDiff(
          'nameTerminated',
          `${def.body.title ?? 'Name'} NUL terminated`,
          { offset: nameAt(sa), value: !sa.unterminated },
          { offset: nameAt(sb), value: !sb.unterminated },
        ),
      );
    }
  }
  const ta = sa.trailing ? bytesHex(sa.trailing) : '';
  const tb = sb.trailing ? bytesHex(sb.trailing) : '';
  if (ta !== tb) {
    const at = (s: Structure) => s.offset + s.length - (s.trailing?.length ?? 0);
    out.push(extraDiff('trailing', 'Trailing bytes', { offset: at(sa), value: ta }, { offset: at(sb), value: tb }));
  }
  return out;
}

function wholeStructure(s: Structure, bytes: Uint8Array, side: 'a' | 'b'): { fields: FieldDiff[]; scopes: ScopeDiff[] } {
  const def = structDef(s.type);
  const sideOf = (v: Side) => (side === 'a' ? [v, null] : [null, v]) as [Side | null, Side | null];
  const fields = oneSided([SUB_LENGTH], { length: s.length }, s.offset, side);
  if (s.raw || !def) {
    fields.push(
      extraDiff(
        'raw',
        'Raw Data',
        ...sideOf({ offset: s.offset + SUBTABLE_HEADER_SIZE, value: bytesHex(bytes.subarray(s.offset + SUBTABLE_HEADER_SIZE, s.offset + s.length)) }),
      ),
    );
    return { fields, scopes: [] };
  }
  fields.push(...oneSided(def.fields, s.fields, s.offset, side));
  if (def.body.kind === 'name')
    fields.push(extraDiff('deviceName', def.body.title ?? 'Name', ...sideOf({ offset: s.offset + def.fixedSize, value: s.name ?? '' })));
  if (s.trailing?.length) {
    fields.push(extraDiff('trailing', 'Trailing bytes', ...sideOf({ offset: s.offset + s.length - s.trailing.length, value: bytesHex(s.trailing) })));
  }
  const scopes = (s.scopes ?? []).map(
    (sc, i): ScopeDiff => ({
      change: side === 'a' ? 'removed' : 'added',
      scope: scopeKey(sc),
      a: side === 'a' ? scopePlace(sc, i) : null,
      b: side === 'b' ? scopePlace(sc, i) : null,
      fields: [],
    }),
  );
  return { fields, scopes };
}

function structureDiff(change: Change, s: Structure, a: Place | null, b: Place | null): Omit<StructureDiff, 'fields' | 'scopes'> {
  const def = structDef(s.type);
  const d: Omit<StructureDiff, 'fields' | 'scopes'> = {
    change,
    kind: def?.abbrev ?? 'UNKNOWN',
    type: s.type,
    title: structTitle(s.type),
    key: structureKey(s),
    a,
    b,
  };
  if (def?.proposed) d.proposed = true;
  return d;
}

function structureDiffs(ta: DmarTable, bytesA: Uint8Array, tb: DmarTable, bytesB: Uint8Array): StructureDiff[] {
  const A = ta.structures;
  const B = tb.structures;
  const LA = structureLabels(A);
  const LB = structureLabels(B);
  const pairs = match(A, B, structureKey, (s) => `type ${s.type}`);
  const still = longestIncreasing(pairs.map((p) => p[1]));
  const partnerOfB = new Map<number, number>();
  const pairOfB = new Map<number, number>();
  const changedPairs = new Map<number, StructureDiff>();
  pairs.forEach(([i, j], n) => {
    partnerOfB.set(j, i);
    pairOfB.set(j, n);
    const sa = A[i]!;
    const sb = B[j]!;
    const fields = [...compareRows([SUB_LENGTH], { length: sa.length }, sa.offset, { length: sb.length }, sb.offset), ...bodyDiffs(sa, bytesA, sb, bytesB)];
    const scopes = scopeDiffs(sa.scopes ?? [], sb.scopes ?? []);
    const moved = !still.has(n);
    if (!fields.length && !scopes.length && !moved) return;
    const d: StructureDiff = { ...structureDiff('changed', sa, place(sa, i, LA[i]!), place(sb, j, LB[j]!)), fields, scopes };
    if (moved) d.moved = true;
    changedPairs.set(j, d);
  });
  const matchedA = new Set(pairs.map((p) => p[0]));
  // In B's order, each removed structure just before what followed it in A.
  const out: StructureDiff[] = [];
  let nextA = 0;
  const flushRemoved = (upto: number) => {
    for (; nextA < upto; nextA++) {
      if (matchedA.has(nextA)) continue;
      const s = A[nextA]!;
      out.push({ ...structureDiff('removed', s, place(s, nextA, LA[nextA]!), null), ...wholeStructure(s, bytesA, 'a') });
    }
  };
  B.forEach((s, j) => {
    const i = partnerOfB.get(j);
    if (i === undefined) {
      out.push({ ...structureDiff('added', s, null, place(s, j, LB[j]!)), ...wholeStructure(s, bytesB, 'b') });
      return;
    }
    if (still.has(pairOfB.get(j)!)) flushRemoved(i);
    const d = changedPairs.get(j);
    if (d) out.push(d);
  });
  flushRemoved(A.length);
  return out;
}

// ---- the table ---------------------------------------------------------------

function tailDiffs(ta: DmarTable, endA: number, bytesA: Uint8Array, tb: DmarTable, endB: number, bytesB: Uint8Array): FieldDiff[] {
  const out: FieldDiff[] = [];
  const inside = (t: DmarTable, end: number) => ({ offset: end - (t.trailing?.length ?? 0), value: t.trailing ? bytesHex(t.trailing) : '' });
  const ia = inside(ta, endA);
  const ib = inside(tb, endB);
  if (ia.value !== ib.value) out.push(extraDiff('trailing', 'Bytes after the last structure', ia, ib));
  const xa = { offset: endA, value: bytesHex(bytesA.subarray(endA)) };
  const xb = { offset: endB, value: bytesHex(bytesB.subarray(endB)) };
  if (xa.value !== xb.value) out.push(extraDiff('extraData', 'Bytes after Table Length', xa, xb));
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Compare two inputs (each a DMAR table, decoded leniently). Throws DmarError for input that is not a DMAR table. */
export function diffTables(bytesA: Uint8Array, bytesB: Uint8Array, names: { a: string; b: string } = { a: 'a', b: 'b' }): TableDiff {
  const ra = decodeDmar(bytesA, { strict: false });
  const rb = decodeDmar(bytesB, { strict: false });
  const ta = ra.table;
  const tb = rb.table;
  const d: TableDiff = {
    format: DIFF_FORMAT,
    equal: false,
    a: { name: names.a, size: bytesA.length },
    b: { name: names.b, size: bytesB.length },
    header: compareRows(ACPI_HEADER_FIELDS, ta.header, 0, tb.header, 0),
    dmar: compareRows(DMAR_FIELDS, ta.fields, 0, tb.fields, 0),
    structures: structureDiffs(ta, bytesA, tb, bytesB),
    tail: tailDiffs(ta, ra.end, bytesA, tb, rb.end, bytesB),
    problems: { a: ra.problems, b: rb.problems },
  };
  const found = d.header.length + d.dmar.length + d.structures.length + d.tail.length > 0;
  const at = firstDifference(bytesA, bytesB);
  if (!found && at >= 0) {
    // Should not happen (every byte belongs to a compared value); never call different bytes equal.
    d.tail.push(
      extraDiff('bytes', 'Bytes', { offset: at, value: bytesHex(bytesA.subarray(at, at + 16)) }, { offset: at, value: bytesHex(bytesB.subarray(at, at + 16)) }),
    );
  }
  d.equal = at < 0;
  return d;
}

/** The number of differences a summary counts: one per field, bit-level detail aside, and one per added or removed structure or scope. */
export function countDifferences(d: TableDiff): number {
  let n = d.header.length + d.dmar.length + d.tail.length;
  for (const s of d.structures) {
    if (s.change !== 'changed') n++;
    else n += s.fields.length + s.scopes.length + (s.moved ? 1 : 0);
  }
  return n;
}

/** The documented JSON (format dmar-diff/1): the diff without schema rows. */
export function diffJson(d: TableDiff): unknown {
  return JSON.parse(JSON.stringify(d, (k, v: unknown) => (k === 'row' ? undefined : v)));
}
