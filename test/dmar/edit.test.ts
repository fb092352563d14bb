// Byte-level edits (src/dmar/edit.ts) on every real table: only the bytes an
// edit is about change, and every edit undone gives back the original.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checksumValid } from '../../src/acpi/header.js';
import { decodeDmar } from '../../src/dmar/decode.js';
import { fixTable, flagStates, removeVirtDescriptors, setDmarFlag, setVirtDescriptor, virtDescriptors, walkedLength } from '../../src/dmar/edit.js';
import { DmarError } from '../../src/dmar/errors.js';
import { DMAR_FLAG_CLI } from '../../src/dmar/schema.js';
import { FIXTURES, HAVE_CORPUS, corpusFiles } from '../helpers.js';

const tables = corpusFiles().map((f) => ({ id: f.slice(-17, -5), bytes: new Uint8Array(readFileSync(f)) }));

/** Offsets at which two equally long arrays differ. */
function changedOffsets(a: Uint8Array, b: Uint8Array): number[] {
  expect(b.length).toBe(a.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

describe.skipIf(!HAVE_CORPUS)('on all corpus tables', () => {
  test('the corpus is all there', () => {
    expect(tables.length).toBe(205);
  });

  test('set-flag then clear-flag (or the reverse) changes only the Flags byte and the Checksum, and undoes exactly', () => {
    for (const { id, bytes } of tables) {
      for (const cli of Object.keys(DMAR_FLAG_CLI)) {
        const bit = 1 << flagStates(0xff).find((s) => s.cli === cli)!.bit;
        const wasSet = (bytes[37]! & bit) !== 0;
        const first = setDmarFlag(bytes, cli, !wasSet);
        expect(first.changed, `${id} ${cli}`).toBe(true);
        expect(changedOffsets(bytes, first.bytes), `${id} ${cli}`).toEqual([9, 37]);
        expect(first.bytes[37], `${id} ${cli}`).toBe(bytes[37]! ^ bit);
        expect(checksumValid(first.bytes), id).toBe(true);
        expect(decodeDmar(first.bytes).table.fields.flags).toBe(bytes[37]! ^ bit);
        const back = setDmarFlag(first.bytes, cli, wasSet);
        expect(Buffer.from(back.bytes).equals(Buffer.from(bytes)), `${id} ${cli}`).toBe(true);
      }
    }
  });

  test('setting a flag that is already set changes nothing', () => {
    for (const { id, bytes } of tables) {
      const on = setDmarFlag(bytes, 'intr-remap', (bytes[37]! & 1) === 1);
      expect(on.changed, id).toBe(false);
      expect(Buffer.from(on.bytes).equals(Buffer.from(bytes)), id).toBe(true);
      expect(on.changes[0]).toMatch(/already (set|clear)/);
    }
  });

  test('virt set appends exactly one 32-byte descriptor after the last structure, and virt remove gives back the original', () => {
    for (const { id, bytes } of tables) {
      const len = u32(bytes, 4);
      const r = setVirtDescriptor(bytes, { virtualized: true, signature: 'KVMKVMKVM', features: ['ims', 'remappable-direct'] });
      expect(r.bytes.length, id).toBe(bytes.length + 32);
      // Before the descriptor only Table Length and Checksum differ; after it, the rest of the input follows unchanged.
      expect(
        changedOffsets(bytes.subarray(0, len), r.bytes.subarray(0, len)).filter((o) => o < 4 || o > 9),
        id,
      ).toEqual([]);
      expect(Buffer.from(r.bytes.subarray(len + 32)).equals(Buffer.from(bytes.subarray(len))), id).toBe(true);
      expect(u32(r.bytes, 4), id).toBe(len + 32);
      expect(checksumValid(r.bytes), id).toBe(true);
      const d = Buffer.from(r.bytes.subarray(len, len + 32));
      expect(d.toString('hex'), id).toBe(
        '0180' + '2000' + '01' + '01' + '0000' + Buffer.from('KVMKVMKVM\0\0\0').toString('hex') + '00000000' + '0500000000000000',
      );
      const { table } = decodeDmar(r.bytes);
      expect(table.structures.at(-1)!.type).toBe(0x8001);
      expect(table.structures.length).toBe(decodeDmar(bytes).table.structures.length + 1);
      const back = removeVirtDescriptors(r.bytes);
      expect(Buffer.from(back.bytes).equals(Buffer.from(bytes)), id).toBe(true);
    }
  });

  test('changing a descriptor writes only the values given, and changing them back undoes it', () => {
    for (const { id, bytes } of tables) {
      const added = setVirtDescriptor(bytes, { virtualized: false }).bytes;
      const at = u32(bytes, 4);
      const r = setVirtDescriptor(added, { virtualized: true, features: ['msi-compose'] });
      // Flags (descriptor offset 5), the low byte of Supported Features (24) and the Checksum.
      expect(changedOffsets(added, r.bytes), id).toEqual([9, at + 5, at + 24]);
      const sig = setVirtDescriptor(r.bytes, { signature: 'XenVMMXenVMM' });
      expect(
        changedOffsets(r.bytes, sig.bytes).filter((o) => o !== 9),
        id,
      ).toEqual([...Array(12).keys()].map((i) => at + 8 + i));
      const back = setVirtDescriptor(sig.bytes, { virtualized: false, signature: '', features: [] });
      expect(Buffer.from(back.bytes).equals(Buffer.from(added)), id).toBe(true);
    }
  });

  test('fix changes nothing on a valid table, and repairs a broken Checksum or Table Length exactly', () => {
    for (const { id, bytes } of tables) {
      expect(fixTable(bytes).changed, id).toBe(false);
      const badSum = new Uint8Array(bytes);
      badSum[9] = (badSum[9]! + 1) & 0xff;
      expect(Buffer.from(fixTable(badSum).bytes).equals(Buffer.from(bytes)), id).toBe(true);
      const badLen = new Uint8Array(bytes);
      badLen[4] = (badLen[4]! + 7) & 0xff;
      expect(Buffer.from(fixTable(badLen).bytes).equals(Buffer.from(bytes)), id).toBe(true);
    }
  });
});

describe('edits on fixtures', () => {
  const qemu = fixture('edit/qemu-q35.bin');

  test('reserved bits and reserved garbage stay byte for byte', () => {
    const garbage = new Uint8Array(qemu);
    garbage[37] = 0xf1; // INTR_REMAP and reserved bits 4..7
    garbage[40] = 0xaa; // DMAR Reserved
    const fixed = fixTable(garbage).bytes;
    const r = setDmarFlag(fixed, 'ims-optout', true);
    expect(changedOffsets(fixed, r.bytes)).toEqual([9, 37]);
    expect(r.bytes[37]).toBe(0xf9);
    expect(r.bytes[40]).toBe(0xaa);
    expect(
      flagStates(0xf9)
        .filter((s) => s.reserved)
        .map((s) => s.bit),
    ).toEqual([4, 5, 6, 7]);
  });

  test('the descriptor reserved bits are kept when its named values change', () => {
    const added = setVirtDescriptor(qemu, { virtualized: true, features: ['ims'] }).bytes;
    const at = u32(qemu, 4);
    const dirty = new Uint8Array(added);
    dirty[at + 5]! |= 0x80; // a reserved Flags bit
    dirty[at + 31] = 0x40; // Supported Features bit 62, reserved
    dirty[at + 6] = 0x55; // Reserved
    const base = fixTable(dirty).bytes;
    const r = setVirtDescriptor(base, { virtualized: false, features: ['ims', 'msi-compose'] });
    expect(r.bytes[at + 5]).toBe(0x80);
    expect(r.bytes[at + 31]).toBe(0x40);
    expect(r.bytes[at + 24]).toBe(0x03);
    expect(r.bytes[at + 6]).toBe(0x55);
    expect(changedOffsets(base, r.bytes)).toEqual([9, at + 5, at + 24]);
  });

  test('an edit keeps a wrong Checksum wrong by the same amount, says so, and still undoes exactly', () => {
    const bad = new Uint8Array(qemu);
    bad[9] = (bad[9]! + 3) & 0xff;
    const r = setDmarFlag(bad, 'ims-optout', true);
    expect(r.warnings.join()).toMatch(/Checksum was already wrong/);
    expect(checksumValid(r.bytes)).toBe(false);
    expect(Buffer.from(setDmarFlag(r.bytes, 'ims-optout', false).bytes).equals(Buffer.from(bad))).toBe(true);
  });

  test('bytes after Table Length stay after the table when a descriptor is added', () => {
    const padded = new Uint8Array(qemu.length + 5);
    padded.set(qemu);
    padded.set([1, 2, 3, 4, 5], qemu.length);
    const r = setVirtDescriptor(padded, { virtualized: true });
    expect(Array.from(r.bytes.subarray(-5))).toEqual([1, 2, 3, 4, 5]);
    expect(u32(r.bytes, 4)).toBe(qemu.length + 32);
    expect(Buffer.from(removeVirtDescriptors(r.bytes).bytes).equals(Buffer.from(padded))).toBe(true);
  });

  test('adding a descriptor needs --virtualized or --bare-metal; a second one is not added', () => {
    expect(() => setVirtDescriptor(qemu, { features: ['ims'] })).toThrow(/say --virtualized or --bare-metal/);
    const one = setVirtDescriptor(qemu, { virtualized: true }).bytes;
    const again = setVirtDescriptor(one, { virtualized: true });
    expect(again.changed).toBe(false);
    expect(virtDescriptors(decodeDmar(one).table.structures)).toHaveLength(1);
  });

  test('a table with two descriptors is refused for set, and remove takes both', () => {
    const one = setVirtDescriptor(qemu, { virtualized: true }).bytes;
    const at = u32(qemu, 4);
    const two = new Uint8Array(one.length + 32);
    two.set(one);
    two.set(one.subarray(at, at + 32), one.length);
    two[4] = two.length;
    const fixed = fixTable(two).bytes;
    expect(() => setVirtDescriptor(fixed, { virtualized: false })).toThrow(/has 2 descriptors of type 0x8001 \(proposed\) at 0x50, 0x70/);
    const r = removeVirtDescriptors(fixed);
    expect(r.changes.filter((c) => c.startsWith('removed'))).toHaveLength(2);
    expect(virtDescriptors(decodeDmar(r.bytes).table.structures)).toHaveLength(0);
    expect(r.bytes.length).toBe(qemu.length);
  });

  test('unknown flag and feature names and bad signatures are argument errors', () => {
    expect(() => setDmarFlag(qemu, 'ims', true)).toThrow(/unknown flag "ims"/);
    expect(() => setVirtDescriptor(qemu, { virtualized: true, features: ['imss'] })).toThrow(/unknown feature "imss"/);
    expect(() => setVirtDescriptor(qemu, { virtualized: true, signature: 'ThirteenChars' })).toThrow(/longer than 12/);
    expect(() => setVirtDescriptor(qemu, { virtualized: true, signature: 'tab\there' })).toThrow(/not printable ASCII/);
  });

  test('--bare-metal with a signature or features warns (validation does too)', () => {
    const r = setVirtDescriptor(qemu, { virtualized: false, signature: 'KVMKVMKVM', features: ['ims'] });
    expect(r.warnings.join('\n')).toMatch(/VIRTUALIZED=0 with Hypervisor Signature "KVMKVMKVM"/);
    expect(r.warnings.join('\n')).toMatch(/VIRTUALIZED=0 with Supported Features IMS/);
  });

  test('remove on a table without a descriptor changes nothing', () => {
    const r = removeVirtDescriptors(qemu);
    expect(r.changed).toBe(false);
    expect(Buffer.from(r.bytes).equals(Buffer.from(qemu))).toBe(true);
  });
});

describe('tables that do not decode cleanly', () => {
  const qemu = fixture('edit/qemu-q35.bin');
  // The ATSR (the last structure, at 0x48) claims 12 bytes where 8 are left.
  const broken = new Uint8Array(qemu);
  broken[0x48 + 2] = 12;

  test('are refused with the reason and its offset', () => {
    let err: unknown;
    try {
      setDmarFlag(broken, 'ims-optout', true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DmarError);
    expect((err as DmarError).offset).toBe(0x4a);
    expect((err as DmarError).message).toMatch(/runs past the end of the table/);
    expect(() => setVirtDescriptor(broken, { virtualized: true })).toThrow(DmarError);
    expect(() => removeVirtDescriptors(broken)).toThrow(DmarError);
  });

  test('are edited at the byte level with force', () => {
    const r = setDmarFlag(broken, 'ims-optout', true, { force: true });
    expect(changedOffsets(broken, r.bytes)).toEqual([9, 37]);
    // Behind the overrunning ATSR no walker would reach a descriptor: refused even with force, at the ATSR.
    expect(() => setVirtDescriptor(broken, { virtualized: true }, { force: true })).toThrow(/stop framing at 0x48: .* would be unreachable/);
    try {
      setVirtDescriptor(broken, { virtualized: true }, { force: true });
    } catch (e) {
      expect((e as DmarError).offset).toBe(0x48);
    }
    // A Table Length 4 bytes past the data: the descriptor goes at the end of the data, where the walk finds it.
    const long = new Uint8Array(qemu);
    long[4]! += 4;
    expect(() => setVirtDescriptor(long, { virtualized: true })).toThrow(/runs past the end of the data/);
    const v = setVirtDescriptor(long, { virtualized: true }, { force: true });
    expect(u32(v.bytes, 4)).toBe(qemu.length + 4 + 32);
    expect(virtDescriptors(decodeDmar(v.bytes, { strict: false }).table.structures)).toHaveLength(1);
    expect(Buffer.from(removeVirtDescriptors(v.bytes, { force: true }).bytes).equals(Buffer.from(long))).toBe(true);
  });

  test('fix sets Table Length to where the structures end and leaves padding outside', () => {
    const padded = new Uint8Array(qemu.length + 16);
    padded.set(qemu);
    expect(walkedLength(padded)).toBe(qemu.length);
    expect(fixTable(padded).changed).toBe(false);
    const r = fixTable(broken);
    // The overrunning ATSR is no whole structure: the table ends before it, and fix says what stays outside.
    expect(u32(r.bytes, 4)).toBe(0x48);
    expect(r.warnings.join()).toMatch(/8 bytes after the last whole structure \(0x48\) stay outside the table/);
    expect(checksumValid(r.bytes.subarray(0, 0x48))).toBe(true);
  });

  test('input that is not a DMAR table is refused even with force', () => {
    const notDmar = new Uint8Array(qemu);
    notDmar[0] = 0x46; // "FMAR"
    expect(() => setDmarFlag(notDmar, 'ims-optout', true, { force: true })).toThrow(/signature/);
    expect(() => fixTable(notDmar)).toThrow(/signature/);
  });
});

test("an edit that changes nothing still returns a buffer of its own: the caller's input is not the result", () => {
  const input = Buffer.from(readFileSync(join(FIXTURES, 'qemu-q35-ir.bin'))); // INTR_REMAP set, no descriptor, a valid table
  const keep = Buffer.from(input);
  for (const r of [setDmarFlag(input, 'intr-remap', true), removeVirtDescriptors(input), fixTable(input)]) {
    expect(r.changed).toBe(false);
    expect(r.bytes).not.toBe(input);
    expect(Buffer.from(r.bytes).equals(keep)).toBe(true);
    r.bytes[10] = 0x58;
    expect(input.equals(keep)).toBe(true);
  }
  const spec = { virtualized: true, signature: 'KVMKVMKVM', features: ['ims'] as const };
  const once = setVirtDescriptor(input, { ...spec, features: [...spec.features] }).bytes;
  const again = setVirtDescriptor(once, { ...spec, features: [...spec.features] });
  expect(again.changed).toBe(false);
  expect(again.bytes).not.toBe(once);
});
