/**
 * Edits at the byte level. An edit writes only the bytes it is about (the
 * DMAR Flags byte, the virtualization descriptor's bytes) plus the header's
 * Table Length and Checksum; every other byte, reserved garbage included, is
 * copied through. Offsets and bits come from the schema rows; the result is
 * decoded again before it is handed back.
 *
 * The checksum is adjusted by the difference the edit made to the byte sum,
 * not recomputed: a valid table stays valid, a table whose checksum was
 * already wrong stays wrong by the same amount (`fixTable` repairs it), and
 * every edit undone gives back the original bytes, checksum included.
 */
import { bitByKey, bitValue, flagsMask, fieldBytes, namedMask, readField, type BitDef } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS, byteSum, computeChecksum } from '../acpi/header.js';
import { quoted } from '../acpi/escape.js';
import { hex } from '../acpi/hex.js';
import { decodeDmar, frames, type DecodeResult } from './decode.js';
import { writeField } from './encode.js';
import { DmarError } from './errors.js';
import type { Structure } from './model.js';
import { asciiValue } from './parsers.js';
import {
  bareMetalClaims,
  DEFS,
  DMAR_FIELDS,
  DMAR_FLAG_CLI,
  DMAR_FIXED_SIZE,
  SUBTABLE_HEADER_FIELDS,
  VIRT_DESCRIPTOR_TYPE,
  VIRT_FEATURE_CLI,
  VIRT_LENGTH,
  VIRT_REVISION,
  VIRT_ROWS,
  VIRTUALIZED_BIT,
  dmarFlagKey,
  fieldByKey,
  virtFeatureKey,
} from './schema.js';

export interface EditOptions {
  /** Edit a table that does not decode cleanly (decoded leniently instead of refused). */
  force?: boolean;
}

export interface EditResult {
  /** The whole new input: the table, and any bytes that followed Table Length. */
  bytes: Uint8Array;
  changed: boolean;
  /** One line per value that changed (or, when nothing did, why not). */
  changes: string[];
  /** Things the user should know about the result. */
  warnings: string[];
}

const LENGTH = fieldByKey(ACPI_HEADER_FIELDS, 'length');
const CHECKSUM = fieldByKey(ACPI_HEADER_FIELDS, 'checksum');
const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');
const TYPE = fieldByKey(SUBTABLE_HEADER_FIELDS, 'type');
const SUB_LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');
const VIRT = DEFS.VIRT;
const { revision: V_REVISION, flags: V_FLAGS, signature: V_SIGNATURE, features: V_FEATURES } = VIRT_ROWS;
const VIRTUALIZED = VIRTUALIZED_BIT;

const proposedLabel = (b: BitDef) => (b.proposed ? `${b.name} (proposed)` : b.name);

/** A copy, even of a Buffer (whose slice() is a view of the same memory). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function decodeFor(bytes: Uint8Array, opts: EditOptions): DecodeResult {
  return decodeDmar(bytes, { strict: !opts.force });
}

/**
 * Keep the table's byte sum as it was before the edit: the checksum byte takes
 * up whatever the edited bytes changed.
 */
function rebalanceChecksum(before: Uint8Array, after: Uint8Array): void {
  const lenBefore = Number(readField(before, 0, LENGTH));
  const lenAfter = Number(readField(after, 0, LENGTH));
  const want = byteSum(before.subarray(0, lenBefore));
  const got = byteSum(after.subarray(0, lenAfter));
  const at = CHECKSUM.offset;
  after[at] = (after[at]! + want - got + 0x200) & 0xff;
}

function checksumWarnings(bytes: Uint8Array): string[] {
  const len = Number(readField(bytes, 0, LENGTH));
  if (byteSum(bytes.subarray(0, len)) === 0) return [];
  return ['the Checksum was already wrong before this edit and still is (dmar fix recomputes it)'];
}

function headerChanges(before: Uint8Array, after: Uint8Array): string[] {
  const out: string[] = [];
  const l0 = readField(before, 0, LENGTH);
  const l1 = readField(after, 0, LENGTH);
  if (l0 !== l1) out.push(`${LENGTH.name}: ${l0} -> ${l1}`);
  const c0 = before[CHECKSUM.offset]!;
  const c1 = after[CHECKSUM.offset]!;
  if (c0 !== c1) out.push(`${CHECKSUM.name}: ${hex(c0, 2)} -> ${hex(c1, 2)}`);
  return out;
}

function fail(message: string, opts: { offset?: number; code?: string } = {}): never {
  throw new DmarError(message, { code: 'DMAR-EDIT', ...opts });
}

/** A decode of the result that disagrees with what the edit meant is a bug in the edit, not in the input. */
function verify(ok: boolean, what: string): void {
  if (!ok) throw new Error(`edit verification failed: ${what}`);
}

// ---- DMAR Flags ----------------------------------------------------------

/** The DMAR Flags bit a name stands for: its CLI name (`ims-optout`) or its name (`IMS_OPTOUT`), in any case. */
export function dmarFlagBit(cli: string): BitDef {
  const name = dmarFlagKey(cli);
  const bit = name === undefined ? undefined : bitByKey(FLAGS, name);
  if (!bit) fail(`unknown flag ${JSON.stringify(cli)} (known: ${Object.keys(DMAR_FLAG_CLI).join(', ')})`, { code: 'DMAR-EDIT-ARG' });
  return bit;
}

export interface FlagState {
  bit: number;
  /** Schema name; `reserved` for bits no row names. */
  name: string;
  /** CLI name, for the bits set-flag/clear-flag accept. */
  cli?: string;
  set: boolean;
  proposed?: true;
  reserved?: true;
  doc?: string;
}

/** Every named bit of the Flags byte, and the reserved bits that are set. */
export function flagStates(value: number): FlagState[] {
  const cliOf = new Map<string, string>(Object.entries(DMAR_FLAG_CLI).map(([cli, name]) => [name, cli]));
  const out: FlagState[] = [];
  const named = namedMask(FLAGS);
  for (const b of FLAGS.bits!) {
    const s: FlagState = { bit: b.shift, name: b.name, set: bitValue(value, b) === 1 };
    const cli = cliOf.get(b.name);
    if (cli) s.cli = cli;
    if (b.proposed) s.proposed = true;
    if (b.doc) s.doc = b.doc;
    out.push(s);
  }
  for (let bit = 0; bit < 8 * FLAGS.size; bit++) {
    if ((named >> BigInt(bit)) & 1n) continue;
    if ((value >> bit) & 1) out.push({ bit, name: 'reserved', set: true, reserved: true });
  }
  return out.sort((x, y) => x.bit - y.bit);
}

/** Set (`on`) or clear one DMAR Flags bit, named by its CLI name. */
export function setDmarFlag(bytes: Uint8Array, cli: string, on: boolean, opts: EditOptions = {}): EditResult {
  const bit = dmarFlagBit(cli);
  decodeFor(bytes, opts);
  const old = Number(readField(bytes, 0, FLAGS));
  const mask = 1 << bit.shift;
  const value = on ? old | mask : old & ~mask;
  const label = proposedLabel(bit);
  if (value === old) {
    return {
      bytes: copy(bytes),
      changed: false,
      changes: [`${label} is already ${on ? 'set' : 'clear'} (${FLAGS.name} ${hex(old, 2)}): nothing to do`],
      warnings: [],
    };
  }
  const out = copy(bytes);
  writeField(out, 0, FLAGS, value, '');
  rebalanceChecksum(bytes, out);
  const back = decodeFor(out, opts).table;
  verify(back.fields[FLAGS.key] === value, `${FLAGS.name} reads ${String(back.fields[FLAGS.key])}, expected ${value}`);
  return {
    bytes: out,
    changed: true,
    changes: [`${FLAGS.name}: ${hex(old, 2)} -> ${hex(value, 2)} (${label} ${on ? 'set' : 'cleared'})`, ...headerChanges(bytes, out)],
    warnings: checksumWarnings(bytes),
  };
}

// ---- the virtualization descriptor (proposed) ------------------------------

/** What `setVirtDescriptor` changes; undefined leaves a value as it is (or, for a new descriptor, zero). */
export interface VirtSpec {
  /** Flags bit 0 VIRTUALIZED. Required when the table has no descriptor yet. */
  virtualized?: boolean;
  /** Hypervisor Signature, up to 12 ASCII characters ('' for all zero). */
  signature?: string;
  /** Supported Features by CLI name; replaces the named feature bits, keeps reserved ones. */
  features?: readonly string[];
}

/** The Supported Features bits that names stand for (CLI names or bit names, in any case). */
export function featureMask(names: readonly string[]): bigint {
  const unknown = names.find((n) => virtFeatureKey(n) === undefined);
  if (unknown !== undefined) fail(`unknown feature ${JSON.stringify(unknown)} (known: ${Object.keys(VIRT_FEATURE_CLI).join(', ')})`, { code: 'DMAR-EDIT-ARG' });
  return flagsMask(
    V_FEATURES,
    names.map((n) => virtFeatureKey(n)!),
  );
}

/** Check a Hypervisor Signature before any byte is touched. */
export function checkSignature(s: string): void {
  if (s.length > V_SIGNATURE.size) fail(`signature ${JSON.stringify(s)} is longer than ${V_SIGNATURE.size} characters`, { code: 'DMAR-EDIT-ARG' });
  if (!/^[\x20-\x7e]*$/.test(s)) fail(`signature ${JSON.stringify(s)} is not printable ASCII`, { code: 'DMAR-EDIT-ARG' });
}

export function virtDescriptors(structures: readonly Structure[]): Structure[] {
  return structures.filter((s) => s.type === VIRT_DESCRIPTOR_TYPE);
}

function describeFeatures(v: bigint): string {
  const names = V_FEATURES.bits!.filter((b) => bitValue(v, b) === 1).map((b) => b.name);
  const rest = v & ~namedMask(V_FEATURES);
  if (rest) names.push(`reserved ${hex(rest)}`);
  return names.length ? names.join(', ') : 'none';
}

/** The 32 bytes of a new descriptor. */
function newDescriptor(spec: VirtSpec): Uint8Array {
  const d = new Uint8Array(VIRT_LENGTH);
  const where = `${VIRT.title}: `;
  writeField(d, 0, TYPE, VIRT.type, where);
  writeField(d, 0, SUB_LENGTH, VIRT_LENGTH, where);
  writeField(d, 0, V_REVISION, VIRT_REVISION, where);
  writeField(d, 0, V_FLAGS, spec.virtualized ? 1 << VIRTUALIZED.shift : 0, where);
  writeField(d, 0, V_SIGNATURE, spec.signature ?? '', where);
  writeField(d, 0, V_FEATURES, featureMask(spec.features ?? []), where);
  return d;
}

function bareMetalWarnings(d: { flags: number; signature: string; features: bigint }): string[] {
  return bareMetalClaims(d).map((c) =>
    c === 'signature'
      ? `VIRTUALIZED=0 with Hypervisor Signature ${quoted(d.signature)}: bare metal should have none`
      : `VIRTUALIZED=0 with Supported Features ${describeFeatures(d.features)}: they mean nothing on bare metal`,
  );
}

/**
 * Add the descriptor after the last structure, or change the one there.
 * Changing writes only the fields `spec` gives, and of those only the bits it names.
 */
export function setVirtDescriptor(bytes: Uint8Array, spec: VirtSpec, opts: EditOptions = {}): EditResult {
  if (spec.signature !== undefined) checkSignature(spec.signature);
  const wanted = spec.features === undefined ? undefined : featureMask(spec.features);
  const { table, end, problems } = decodeFor(bytes, opts);
  const clean = problems.every((p) => p.severity !== 'error');
  const found = virtDescriptors(table.structures);
  const title = VIRT.title;
  if (found.length > 1) {
    const where = found.map((s) => hex(s.offset)).join(', ');
    fail(`the table has ${found.length} descriptors of type ${hex(VIRT.type)} (proposed) at ${where}: remove them first (dmar virt remove)`, {
      offset: found[1]!.offset,
      code: 'DMAR-VIRT-DUPLICATE',
    });
  }
  const out0 = copy(bytes);
  let out: Uint8Array;
  const changes: string[] = [];
  let at: number;
  let expect: { flags: number; signature: string; features: bigint };
  if (found.length === 0) {
    if (spec.virtualized === undefined) fail(`the table has no ${title} yet: say --virtualized or --bare-metal`, { code: 'DMAR-EDIT-ARG' });
    if (table.trailing?.length) {
      // even forced: a descriptor behind bytes the walk cannot frame is one no consumer would find
      const stop = end - table.trailing.length;
      fail(`the structures stop framing at ${hex(stop)}: a ${title} appended at ${hex(end)} would be unreachable; repair the table first`, {
        offset: stop,
        code: 'DMAR-EDIT-UNREACHABLE',
      });
    }
    const d = newDescriptor(spec);
    at = end;
    out = new Uint8Array(bytes.length + d.length);
    out.set(bytes.subarray(0, at), 0);
    out.set(d, at);
    out.set(bytes.subarray(at), at + d.length);
    writeField(out, 0, LENGTH, Number(readField(bytes, 0, LENGTH)) + d.length, 'header: ');
    expect = { flags: Number(readField(d, 0, V_FLAGS)), signature: spec.signature ?? '', features: wanted ?? 0n };
    changes.push(
      `added ${title} at ${hex(at)}: VIRTUALIZED=${spec.virtualized ? 1 : 0}, ` +
        `Hypervisor Signature ${quoted(expect.signature)}, Supported Features ${describeFeatures(expect.features)}`,
    );
  } else {
    const s = found[0]!;
    if (s.raw)
      fail(`${title} at ${hex(s.offset)} has Length ${s.length}, too short to edit: remove it first (dmar virt remove)`, {
        offset: s.offset + SUB_LENGTH.offset,
        code: 'DMAR-VIRT-LENGTH',
      });
    at = s.offset;
    out = out0;
    const where = `${title} at ${hex(at)}`;
    const oldFlags = Number(readField(bytes, at, V_FLAGS));
    let flags = oldFlags;
    if (spec.virtualized !== undefined) {
      const m = 1 << VIRTUALIZED.shift;
      flags = spec.virtualized ? oldFlags | m : oldFlags & ~m;
      if (flags !== oldFlags) {
        writeField(out, at, V_FLAGS, flags, where);
        changes.push(`${where}: ${V_FLAGS.name} ${hex(oldFlags, 2)} -> ${hex(flags, 2)} (${VIRTUALIZED.name} ${spec.virtualized ? 'set' : 'cleared'})`);
      }
    }
    const oldSig = asciiValue(fieldBytes(bytes, at, V_SIGNATURE));
    let signature = oldSig;
    if (spec.signature !== undefined) {
      const before = fieldBytes(out, at, V_SIGNATURE).slice();
      writeField(out, at, V_SIGNATURE, spec.signature, where);
      const after = fieldBytes(out, at, V_SIGNATURE);
      // Bytes after an embedded NUL make two different fields read the same string: compare bytes.
      if (before.some((b, i) => b !== after[i])) {
        changes.push(`${where}: ${V_SIGNATURE.name} ${quoted(oldSig)} -> ${quoted(spec.signature)}`);
      }
      signature = spec.signature;
    }
    const oldFeatures = readField(bytes, at, V_FEATURES);
    let features = oldFeatures;
    if (wanted !== undefined) {
      features = (oldFeatures & ~namedMask(V_FEATURES)) | wanted;
      if (features !== oldFeatures) {
        writeField(out, at, V_FEATURES, features, where);
        changes.push(`${where}: ${V_FEATURES.name} ${describeFeatures(oldFeatures)} -> ${describeFeatures(features)}`);
      }
    }
    expect = { flags, signature, features };
    if (changes.length === 0) {
      return { bytes: copy(bytes), changed: false, changes: [`${where} already says so: nothing to do`], warnings: [] };
    }
  }
  rebalanceChecksum(bytes, out);
  const check = decodeFor(out, opts);
  // A forced edit of a malformed table may put the descriptor where no walker reaches it: check its bytes instead.
  const reached = clean ? virtDescriptors(check.table.structures) : [];
  const d = reached[0];
  verify(!clean || (reached.length === 1 && d!.offset === at), `expected one ${title} at ${hex(at)}`);
  const readBack = d?.fields ?? {
    [V_FLAGS.key]: Number(readField(out, at, V_FLAGS)),
    [V_SIGNATURE.key]: asciiValue(fieldBytes(out, at, V_SIGNATURE)),
    [V_FEATURES.key]: readField(out, at, V_FEATURES),
  };
  verify(
    readBack[V_FLAGS.key] === expect.flags && readBack[V_SIGNATURE.key] === expect.signature && readBack[V_FEATURES.key] === expect.features,
    `${title} reads back different values`,
  );
  return {
    bytes: out,
    changed: true,
    changes: [...changes, ...headerChanges(bytes, out)],
    warnings: [...bareMetalWarnings({ ...expect, features: expect.features & namedMask(V_FEATURES) }), ...checksumWarnings(bytes)],
  };
}

/** Remove every virtualization descriptor, Length bytes each. */
export function removeVirtDescriptors(bytes: Uint8Array, opts: EditOptions = {}): EditResult {
  const { table } = decodeFor(bytes, opts);
  const found = virtDescriptors(table.structures);
  if (found.length === 0) return { bytes: copy(bytes), changed: false, changes: [`no ${VIRT.title} in the table: nothing to do`], warnings: [] };
  let removed = 0;
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const s of found) {
    parts.push(bytes.subarray(from, s.offset));
    from = s.offset + s.length;
    removed += s.length;
  }
  parts.push(bytes.subarray(from));
  const out = new Uint8Array(bytes.length - removed);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  writeField(out, 0, LENGTH, Number(readField(bytes, 0, LENGTH)) - removed, 'header: ');
  rebalanceChecksum(bytes, out);
  const back = decodeFor(out, opts).table;
  verify(virtDescriptors(back.structures).length === 0, `a ${VIRT.title} is still there`);
  verify(back.structures.length === table.structures.length - found.length, 'structures were lost');
  return {
    bytes: out,
    changed: true,
    changes: [...found.map((s) => `removed ${VIRT.title} at ${hex(s.offset)} (${s.length} bytes)`), ...headerChanges(bytes, out)],
    warnings: checksumWarnings(bytes),
  };
}

// ---- fix -------------------------------------------------------------------

/**
 * Where the structures end when walked over all the bytes there are: the
 * Table Length a table should declare. A zero or short Length, or a structure
 * running past the data, ends the walk (zero padding after a table stays outside it).
 */
export function walkedLength(bytes: Uint8Array): number {
  const walk = frames(bytes, bytes.length);
  let step = walk.next();
  while (!step.done) step = walk.next();
  return Math.min(step.value.stop, bytes.length);
}

/** Recompute Table Length (by walking the structures) and Checksum; nothing else. */
export function fixTable(bytes: Uint8Array): EditResult {
  // Throws, whatever the options, for what is not a DMAR table at all; but a Table Length short of the
  // fixed part, with the bytes there, is what fix repairs
  try {
    decodeDmar(bytes, { strict: false });
  } catch (e) {
    if (!(e instanceof DmarError && e.code === 'DMAR-HDR-LENGTH-SHORT' && bytes.length >= DMAR_FIXED_SIZE)) throw e;
  }
  const out = copy(bytes);
  const length = walkedLength(bytes);
  writeField(out, 0, LENGTH, length, 'header: ');
  out[CHECKSUM.offset] = computeChecksum(out.subarray(0, length));
  const { problems } = decodeDmar(out, { strict: false });
  const changes = headerChanges(bytes, out);
  const warnings = problems.filter((p) => p.severity === 'error').map((p) => `still malformed: offset ${hex(p.offset)}: ${p.message}`);
  if (length < bytes.length) warnings.push(`${bytes.length - length} bytes after the last whole structure (${hex(length)}) stay outside the table`);
  if (changes.length === 0)
    return {
      bytes: copy(bytes),
      changed: false,
      changes: [`${LENGTH.name} ${length} and ${CHECKSUM.name} ${hex(bytes[CHECKSUM.offset]!, 2)} are right: nothing to do`],
      warnings,
    };
  return { bytes: out, changed: true, changes, warnings };
}
