/**
 * The vocabulary of declarative field descriptions, in the spirit of ACPICA's
 * ACPI_DMTABLE_INFO rows: every consumer (decoder, encoder, text/JSON/iasl/hex
 * writers, iasl reader, validation) reads these rows; none restates a field.
 */

/** A named bit or bit range inside an integer field. */
export interface BitDef {
  /** The name printed to people (ACPICA's spelling where it has one); the JSON key unless `key` is given. */
  readonly name: string;
  readonly key?: string;
  /** The name the command line takes for it (`ims-optout`), when it can be set there. */
  readonly cli?: string;
  readonly shift: number;
  /** Width in bits; 1 when omitted (a flag). */
  readonly width?: number;
  /** Not in any published specification (proposals.md). */
  readonly proposed?: boolean;
  /** What the bit means, one line. */
  readonly doc?: string;
  /** How a multi-bit value reads to people (e.g. a log2 size as KiB). */
  readonly note?: (v: number) => string;
}

export type FieldKind =
  /** Little-endian unsigned integer of `size` bytes (1, 2, 3, 4 or 8). */
  | 'uint'
  /** Fixed-size ASCII, NUL padded; kept byte for byte. */
  | 'ascii'
  /** Fixed-size opaque bytes (ACPICA's BUFn). */
  | 'bytes';

export interface FieldDef {
  /** JSON key (camelCase). */
  readonly key: string;
  /** ACPICA's field name, as `iasl -d` prints it and `iasl` compiles it. */
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly kind: FieldKind;
  /** Named bits; the bits not named are reserved and kept. */
  readonly bits?: readonly BitDef[];
  /** Names of values (ACPICA's bracketed annotation). */
  readonly enumNames?: Readonly<Record<number, string>>;
  /** Spelled out as reserved by the specification (0 expected). */
  readonly reserved?: boolean;
  /** Framing role: recomputed by the encoder, checked by the walker. */
  readonly role?: 'type' | 'length' | 'checksum' | 'signature';
  /** Not in any published specification (proposals.md). */
  readonly proposed?: boolean;
  /**
   * How ACPICA 20200925 (Debian's acpica-tools) spells this field, when it
   * differs: a different name, or (merge) the field is printed together with
   * the next one as one wider integer named `name`.
   */
  readonly iasl2020?: { readonly name: string; readonly mergeNext?: boolean };
  /** Line of documentation for the JSON Schema and `--format text`. */
  readonly doc?: string;
  /** How people read the number: 16 for addresses, 10 for counts and IDs (hex is always shown too). */
  readonly radix?: 10 | 16;
  /** What the value means in words (e.g. Host Address Width N as N+1 bits). */
  readonly note?: (v: bigint) => string;
}

export type FieldValue = number | bigint | string | Uint8Array;

export function fieldEnd(f: FieldDef): number {
  return f.offset + f.size;
}

/** Where a row set ends: the end of its last row (0 for none). */
export function rowsEnd(fields: readonly FieldDef[]): number {
  const last = fields[fields.length - 1];
  return last ? fieldEnd(last) : 0;
}

declare const LITERAL: unique symbol;
declare const BIT_KEYS: unique symbol;

/**
 * A row set declared through rows(): every row a FieldDef, and the set
 * remembers (as a type only) each row as written, so that its keys and its
 * bits' keys are known to the compiler.
 */
export type Rows<R extends readonly FieldDef[] = readonly FieldDef[]> = readonly (FieldDef & { readonly key: R[number]['key'] })[] & { readonly [LITERAL]?: R };

/** Declare a row set: `rows([...])` is the rows as written (`as const`), checked against FieldDef. */
export function rows<const R extends readonly FieldDef[]>(r: R): Rows<R> {
  return r as Rows<R>;
}

/** The rows as written, for a row set declared through rows(); the row set itself otherwise. */
type LiteralOf<F extends readonly FieldDef[]> = F extends { readonly [LITERAL]?: infer R }
  ? unknown extends R
    ? F
    : NonNullable<R> extends readonly FieldDef[]
      ? NonNullable<R>
      : F
  : F;

/** The keys of a row set: literal for one declared through rows(), any string otherwise. */
export type KeyOf<F extends readonly FieldDef[]> = LiteralOf<F>[number]['key'];

/** The keys of the bits of a row as written (a bit's key is its name unless it has a key); any string for a row not known. */
type BitKeysOfRow<Row> = Row extends { readonly bits: readonly (infer B)[] }
  ? B extends { readonly key: infer K extends string }
    ? K
    : B extends { readonly name: infer N extends string }
      ? N
      : never
  : string;

type BitKeysOf<Row> = [Row] extends [never] ? string : BitKeysOfRow<Row>;

/** A row as a lookup hands it back: a FieldDef that remembers (as a type only) the keys of its bits. */
export type Row<B extends string = string, K extends string = string> = FieldDef & { readonly key: K; readonly [BIT_KEYS]?: B };

/**
 * The row with this key. For a row set declared through rows(), a key no row
 * has fails to compile; otherwise a missing one throws, a bug of the caller
 * caught when its module loads.
 */
export function fieldByKey<F extends readonly FieldDef[], K extends KeyOf<F>>(
  fields: F,
  key: K,
): Row<BitKeysOf<Extract<LiteralOf<F>[number], { readonly key: K }>>, NoInfer<K>> {
  const f = fields.find((x) => x.key === key);
  if (!f) throw new Error(`schema: no field ${key}`);
  return f as Row<BitKeysOf<Extract<LiteralOf<F>[number], { readonly key: K }>>, K>;
}

/** The bytes of a row at `base + f.offset` (a view, not a copy). */
export function fieldBytes(bytes: Uint8Array, base: number, f: FieldDef): Uint8Array {
  return bytes.subarray(base + f.offset, base + fieldEnd(f));
}

/** Little-endian unsigned integer of `size` bytes at `at` (exact up to 6 bytes); bytes past the end read as 0. */
export function readUint(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[at + i] ?? 0);
  return v;
}

/** The same for any size, as a bigint. */
export function readBigUint(bytes: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

/** A row's unsigned value at `base + f.offset` (a bigint: rows go up to 8 bytes). */
export function readField(bytes: Uint8Array, base: number, f: FieldDef): bigint {
  return readBigUint(bytes, base + f.offset, f.size);
}

/** The bit or bit range with this key (its name, unless it has a key); a missing one is a bug of the caller. */
export function bitByKey<B extends string, K extends string>(f: Row<B, K>, key: NoInfer<B>): BitDef {
  const b = f.bits?.find((x) => (x.key ?? x.name) === key);
  if (!b) throw new Error(`schema: ${f.name} has no bit ${key}`);
  return b;
}

/** Mask of the one-bit flags given by key. */
export function flagsMask<B extends string, K extends string>(f: Row<B, K>, keys: readonly NoInfer<B>[]): bigint {
  let m = 0n;
  for (const k of keys) m |= 1n << BigInt(bitByKey(f, k).shift);
  return m;
}

/** Mask of all bits a field's BitDefs name. */
export function namedMask(f: FieldDef): bigint {
  let m = 0n;
  for (const b of f.bits ?? []) m |= ((1n << BigInt(b.width ?? 1)) - 1n) << BigInt(b.shift);
  return m;
}

export function bitValue(value: number | bigint, b: BitDef): number {
  const width = b.width ?? 1;
  // a number of 32 bits and a bit field below bit 30 (nearly every read, per table and check): no BigInt made
  if (typeof value === 'number' && value >= 0 && value <= 0xffffffff && b.shift + width <= 30) return (value >>> b.shift) & ((1 << width) - 1);
  return Number((BigInt(value) >> BigInt(b.shift)) & ((1n << BigInt(width)) - 1n));
}
