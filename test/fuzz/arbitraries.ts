/**
 * fast-check arbitraries for table models, built from the schema rows: every
 * row of every structure type gets values by its kind, size and bits, so a
 * structure type added to STRUCTS is generated without a change here.
 */
import fc from 'fast-check';
import type { FieldDef, FieldValue } from '../../src/acpi/fields.js';
import { ACPI_HEADER_FIELDS } from '../../src/acpi/header.js';
import type { DeviceScope, DmarTable, Fields, Structure } from '../../src/dmar/model.js';
import { DMAR_FIELDS, PATH_FIELDS, SCOPE_FIELDS, STRUCTS, structDef, type StructDef } from '../../src/dmar/schema.js';

/** `latin1`: any byte (what the library must carry); `iasl`: what ACPICA source can spell (printable ASCII, no quote). */
export type Alphabet = 'latin1' | 'iasl';

export interface ModelOptions {
  alphabet: Alphabet;
  /** Also generate what only lenient decoding accepts: unterminated ANDD names, stray bytes after the last structure. */
  defects: boolean;
}

export interface Generated {
  table: DmarTable;
  /** Problem codes lenient decoding must report, in byte order (strict decoding throws the first). */
  defects: string[];
}

const latin1Char = (min: number) => fc.integer({ min, max: 0xff }).map((c) => String.fromCharCode(c));
const iaslChar = fc
  .integer({ min: 0x20, max: 0x7e })
  .filter((c) => c !== 0x22)
  .map((c) => String.fromCharCode(c));

function charArb(alphabet: Alphabet, allowNul: boolean) {
  return alphabet === 'iasl' ? iaslChar : latin1Char(allowNul ? 0 : 1);
}

function uintArb(f: FieldDef): fc.Arbitrary<FieldValue> {
  const max = (1n << BigInt(8 * f.size)) - 1n;
  const choices: fc.Arbitrary<bigint>[] = [fc.bigInt({ min: 0n, max }), fc.constantFrom(0n, max)];
  if (f.bits?.length) {
    // values made of the named bits only, the way firmware sets them
    choices.push(
      fc
        .tuple(...f.bits.map((b) => fc.bigInt({ min: 0n, max: (1n << BigInt(b.width ?? 1)) - 1n })))
        .map((vs) => vs.reduce((n, v, i) => n | (v << BigInt(f.bits![i]!.shift)), 0n)),
    );
  }
  if (f.enumNames) choices.push(fc.constantFrom(...Object.keys(f.enumNames).map((k) => BigInt(k))));
  return fc.oneof(...choices).map((n) => (f.size > 4 ? n : Number(n)));
}

/** A value for one row; framing values (length) are left 0: the encoder computes them. */
export function fieldArb(f: FieldDef, alphabet: Alphabet): fc.Arbitrary<FieldValue> {
  if (f.role === 'signature') return fc.constant('DMAR');
  if (f.role === 'length') return fc.constant(0);
  if (f.kind === 'bytes') return fc.uint8Array({ minLength: f.size, maxLength: f.size });
  // the decoder drops an ASCII field's trailing NULs (the encoder pads them back)
  if (f.kind === 'ascii') return fc.string({ unit: charArb(alphabet, true), maxLength: f.size }).map((s) => s.replace(/\0+$/, ''));
  return uintArb(f);
}

export function fieldsArb(rows: readonly FieldDef[], alphabet: Alphabet): fc.Arbitrary<Fields> {
  return fc.record(Object.fromEntries(rows.map((r) => [r.key, fieldArb(r, alphabet)]))) as fc.Arbitrary<Fields>;
}

function scopeArb(alphabet: Alphabet): fc.Arbitrary<DeviceScope> {
  return fc.record({
    offset: fc.constant(0),
    fields: fieldsArb(SCOPE_FIELDS, alphabet),
    path: fc.array(fieldsArb(PATH_FIELDS, alphabet) as unknown as fc.Arbitrary<{ device: number; function: number }>, { maxLength: 5 }),
  });
}

const optionalBytes = (arb: fc.Arbitrary<Uint8Array>) => arb.map((b) => (b.length ? b : undefined));

interface Made {
  s: Structure;
  defect?: string;
}

function structureArb(def: StructDef, opts: ModelOptions): fc.Arbitrary<Made> {
  const base = fieldsArb(def.fields, opts.alphabet).map((fields): Structure => ({ offset: 0, type: def.type, length: 0, fields }));
  if (def.body.kind === 'scopes') {
    return fc.tuple(base, fc.array(scopeArb(opts.alphabet), { maxLength: 4 })).map(([s, scopes]) => ({ s: { ...s, scopes } }));
  }
  if (def.body.kind === 'name') {
    const name = fc.string({ unit: charArb(opts.alphabet, false), maxLength: 24 });
    // after the NUL: zero padding as firmware writes it, or anything
    const padding = fc.oneof(
      fc.nat(8).map((n) => new Uint8Array(n)),
      fc.uint8Array({ maxLength: 8 }),
    );
    const terminated = fc
      .tuple(base, name, optionalBytes(padding))
      .map(([s, n, trailing]): Made => ({ s: { ...s, name: n, ...(trailing ? { trailing } : {}) } }));
    if (!opts.defects) return terminated;
    const unterminated = fc.tuple(base, name).map(([s, n]): Made => ({ s: { ...s, name: n, unterminated: true }, defect: 'DMAR-ANDD-NAME-UNTERMINATED' }));
    return fc.oneof({ arbitrary: terminated, weight: 3 }, { arbitrary: unterminated, weight: 1 });
  }
  return fc.tuple(base, optionalBytes(fc.uint8Array({ maxLength: 8 }))).map(([s, trailing]) => ({ s: trailing ? { ...s, trailing } : s }));
}

/** Structure types with no layout (reserved types, the future), kept as raw bytes. */
export const unknownTypeArb: fc.Arbitrary<number> = fc
  .oneof(fc.constantFrom(7, 8, 0x7fff, 0x8000, 0x8002, 0xffff), fc.integer({ min: 0, max: 0xffff }))
  .filter((t) => structDef(t) === undefined);

function rawArb(): fc.Arbitrary<Made> {
  return fc.tuple(unknownTypeArb, fc.uint8Array({ maxLength: 24 })).map(([type, raw]) => ({ s: { offset: 0, type, length: 0, fields: {}, raw } }));
}

export function modelArb(opts: ModelOptions): fc.Arbitrary<Generated> {
  const structure = fc.oneof(...STRUCTS.map((d) => structureArb(d, opts)), rawArb());
  const trailing = opts.defects ? fc.option(fc.uint8Array({ minLength: 1, maxLength: 3 }), { nil: undefined, freq: 4 }) : fc.constant(undefined);
  return fc
    .record({
      header: fieldsArb(ACPI_HEADER_FIELDS, opts.alphabet),
      fields: fieldsArb(DMAR_FIELDS, opts.alphabet),
      made: fc.array(structure, { maxLength: 6 }),
      trailing,
    })
    .map(({ header, fields, made, trailing }) => {
      const table: DmarTable = { header, fields, structures: made.map((m) => m.s) };
      const defects = made.flatMap((m) => (m.defect ? [m.defect] : []));
      if (trailing) {
        table.trailing = trailing;
        defects.push('DMAR-TABLE-TRAILING');
      }
      return { table, defects };
    });
}

/** The model without what the encoder recomputes (lengths, offsets) or what is absent. */
export function normalize(t: DmarTable): unknown {
  const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return {
    header: { ...t.header, length: 0 },
    fields: t.fields,
    structures: t.structures.map((s) =>
      clean({
        ...s,
        offset: 0,
        length: 0,
        scopes: s.scopes?.map((sc) => ({ ...sc, offset: 0, fields: { ...sc.fields, length: 0 } })),
      }),
    ),
    ...(t.trailing ? { trailing: t.trailing } : {}),
  };
}
