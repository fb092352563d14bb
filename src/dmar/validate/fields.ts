/**
 * Field checks driven by the schema rows alone: a row marked `reserved` must
 * be zero, and an integer with named bits must not set the bits no name
 * covers. Areas with their own ID for some rows (DMAR Flags, DRHD Size, scope
 * Flags, the proposed descriptor) claim those rows with reservedOf(); the
 * generic checks report every other row.
 */
import { namedMask, readBigUint, type FieldDef, type FieldValue } from '../../acpi/fields.js';
import { bytesHex, hex } from '../../acpi/hex.js';
import { DMAR_FIELDS, SCOPE_FIELDS, type StructDef } from '../schema.js';
import { defineCheck, type Check, type Context, type Report, type Reporter } from './check.js';

export interface FieldAt {
  offset: number;
  row: FieldDef;
  value: FieldValue;
  structure?: number;
  scope?: number;
  /** The structure the field (or its device scope) belongs to. */
  def?: StructDef;
  inScope: boolean;
}

/** Rows a reserved-field check can report: reserved rows and integers with named bits. */
const mayReserve = (row: FieldDef) => row.kind !== 'ascii' && (row.reserved === true || row.bits !== undefined);
const reservable = new WeakMap<readonly FieldDef[], readonly FieldDef[]>();
/** The rows of a row set that a reserved-field check can report, filtered once per row set. */
const reservableRows = (rows: readonly FieldDef[]) => {
  let r = reservable.get(rows);
  if (!r) reservable.set(rows, (r = rows.filter(mayReserve)));
  return r;
};

/**
 * The fields whose reserved part is not zero, with that part: what every
 * reserved-field check reports from. Built once per table, in table order,
 * from the rows and the decoded offsets; a field whose reserved part is zero
 * (nearly all of them) is passed over before anything is made for it.
 */
function reservedHits(ctx: Context): readonly Hit[] {
  return ctx.once('reservedHits', makeReservedHits);
}
function makeReservedHits(ctx: Context): Hit[] {
  const out: Hit[] = [];
  rowHits(out, reservableRows(DMAR_FIELDS), ctx.table.fields, 0, undefined, undefined, undefined, false);
  const scopeRows = reservableRows(SCOPE_FIELDS);
  const all = ctx.all();
  for (let i = 0; i < all.length; i++) {
    const l = all[i]!;
    rowHits(out, reservableRows(l.def.fields), l.s.fields, l.s.offset, l.index, undefined, l.def, false);
    const scopes = l.s.scopes;
    if (!scopes) continue;
    for (let j = 0; j < scopes.length; j++) rowHits(out, scopeRows, scopes[j]!.fields, scopes[j]!.offset, l.index, j, l.def, true);
  }
  return out;
}

interface Hit {
  f: FieldAt;
  bad: bigint;
}

/** The hits among one structure's (or scope's, or the header's) reservable rows: one loop, shared by all three. */
function rowHits(
  out: Hit[],
  rows: readonly FieldDef[],
  fields: Readonly<Record<string, FieldValue>>,
  base: number,
  structure: number | undefined,
  scope: number | undefined,
  def: StructDef | undefined,
  inScope: boolean,
): void {
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const value = fields[row.key];
    // nearly every value: zero, or a number whose reserved part is zero (told without a BigInt), or bytes all zero
    if (value === undefined || value === 0 || (value instanceof Uint8Array && allZero(value))) continue;
    const bad = reservedBits(row, value, inScope, def);
    if (!bad) continue;
    const f: FieldAt = { offset: base + row.offset, row, value, inScope };
    if (structure !== undefined) {
      f.structure = structure;
      f.def = def;
    }
    if (scope !== undefined) f.scope = scope;
    out.push({ f, bad });
  }
}

/** Whether every byte is 0 (a Reserved row of bytes, per structure and device scope: no BigInt made for it). */
function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The low 32 bits of a row's named-bit mask, as a number. */
const masks32 = new Map<FieldDef, number>();
const mask32Of = (row: FieldDef) => {
  let m = masks32.get(row);
  if (m === undefined) masks32.set(row, (m = Number(maskOf(row) & 0xffffffffn)));
  return m;
};

function asBig(v: FieldValue): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return v === 0 ? 0n : BigInt(v);
  if (v instanceof Uint8Array) return readBigUint(v, 0, v.length);
  return 0n;
}

const masks = new Map<FieldDef, bigint>();
const maskOf = (row: FieldDef) => {
  let m = masks.get(row);
  if (m === undefined) masks.set(row, (m = namedMask(row)));
  return m;
};

/**
 * The reserved part of a field's value: all of it for a reserved row; the
 * unnamed bits of a row with named bits. Device scope Flags name their bits
 * only inside structures that define them (SIDP); elsewhere the byte is reserved.
 */
function reservedBits(row: FieldDef, value: FieldValue, inScope: boolean, def: StructDef | undefined): bigint {
  if (row.kind === 'ascii' || value === 0 || value === 0n) return 0n;
  if (!row.reserved && !row.bits) return 0n;
  const whole = row.reserved === true || (inScope && !def?.scopeFlagsNamed);
  // an integer of up to 32 bits (every field of 4 bytes or less): told without a BigInt, made only for a hit
  if (typeof value === 'number' && value >>> 0 === value) {
    const bad = whole ? value : (value & ~mask32Of(row)) >>> 0;
    return bad === 0 ? 0n : BigInt(bad);
  }
  const v = asBig(value);
  return whole ? v : v & ~maskOf(row);
}

function describe(f: FieldAt, bad: bigint): string {
  if (f.row.reserved) {
    const shown = f.value instanceof Uint8Array ? bytesHex(f.value) : hex(asBig(f.value));
    return `${f.row.name} is ${shown}, must be 0`;
  }
  return `${f.row.name} ${hex(asBig(f.value))} sets reserved bit${bad & (bad - 1n) ? 's' : ''} ${hex(bad)}`;
}

function toReport(f: FieldAt, bad: bigint): Report {
  return { offset: f.offset, structure: f.structure, scope: f.scope, message: describe(f, bad) };
}

const claimed = new Set<FieldDef>();

/** A check's run function that reports the reserved part of exactly these rows. */
export function reservedOf(rows: readonly FieldDef[], filter: (f: FieldAt) => boolean = () => true) {
  for (const r of rows) claimed.add(r);
  const mine = new Set(rows);
  return (ctx: Context, report: Reporter) => {
    const hits = reservedHits(ctx);
    for (let i = 0; i < hits.length; i++) {
      const { f, bad } = hits[i]!;
      if (mine.has(f.row) && filter(f)) report(toReport(f, bad));
    }
  };
}

function unclaimed(pick: (f: FieldAt) => boolean) {
  return (ctx: Context, report: Reporter) => {
    const hits = reservedHits(ctx);
    for (let i = 0; i < hits.length; i++) {
      const { f, bad } = hits[i]!;
      if (!claimed.has(f.row) && pick(f)) report(toReport(f, bad));
    }
  };
}

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-RESERVED-FIELD',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'a field the specification reserves is not zero',
    hint: 'reserved fields must be 0: a later revision may give them a meaning',
    run: unclaimed((f) => f.row.reserved === true),
  }),
  defineCheck({
    id: 'DMAR-RESERVED-BITS',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'a flags field sets bits the specification leaves reserved',
    hint: 'reserved bits must be 0: a later revision may give them a meaning',
    run: unclaimed((f) => !f.row.reserved && f.row.bits !== undefined),
  }),
];
