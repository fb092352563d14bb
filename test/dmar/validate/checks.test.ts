// Behaviour of individual checks beyond their fixtures: scope flags inside SIDP, framing that
// does not stop validation, labels, ordering, real firmware quirks, the MADT cross-check.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readSource } from '../../../src/io/input.js';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { encodeDmar } from '../../../src/dmar/encode.js';
import { fromJson } from '../../../src/dmar/codec/json.js';
import { checkById, validateBytes } from '../../../src/dmar/validate/index.js';
import { baselineDoc } from '../../../tools/fixtures/invalid.js';
import { ACPIDUMPS, corpusFiles, corpusTable, dmar, FIXTURES, HAVE_CORPUS } from '../../helpers.js';

const INVALID = join(FIXTURES, 'invalid');

/** The baseline every invalid fixture starts from (tools/fixtures/invalid.ts). */
const baseline = (): Record<string, any> => baselineDoc();
const encode = (doc: unknown) => encodeDmar(fromJson(doc));

describe('the baseline of the invalid fixtures', () => {
  test('has no finding at all', () => {
    expect(validateBytes(encode(baseline()))).toEqual([]);
  });
});

describe('header IDs (DMAR-HDR-ID-UNPRINTABLE)', () => {
  const ids = (header: Record<string, string>) => {
    const d = baseline();
    Object.assign(d.header, header);
    return validateBytes(encode(d)).filter((f) => f.id === 'DMAR-HDR-ID-UNPRINTABLE');
  };
  test('NUL padding at the end is no finding; a NUL inside, a control byte or a byte above 0x7e is', () => {
    expect(ids({ oemId: 'AB', oemTableId: 'X', creatorId: '' })).toEqual([]);
    const f = ids({ oemId: 'AB\0CD ', oemTableId: '\x1b[2J', creatorId: 'INT\xa9' });
    expect(f.map((x) => [x.offset, x.severity, x.message])).toEqual([
      [0x0a, 'warning', 'Oem ID "AB\\x00CD " holds non-printable byte 0x00'],
      [0x10, 'warning', 'Oem Table ID "\\x1b[2J" holds non-printable byte 0x1b'],
      [0x1c, 'warning', 'Asl Compiler ID "INT\\xa9" holds non-ASCII byte 0xa9'],
    ]);
  });
  // a quote inside is escaped as decode, diff and ims escape it: a name cannot close its own quotes
  test('a quote in a firmware string is escaped in the message, as in every other view', () => {
    expect(ids({ oemId: 'A" B\x01' }).map((x) => x.message)).toEqual(['Oem ID "A\\" B\\x01" holds non-printable byte 0x01']);
    const d = baseline();
    d.structures.push({ kind: 'ANDD', deviceNumber: 1, deviceName: 'X"Y' });
    const andd = validateBytes(encode(d)).find((f) => f.id === 'DMAR-ANDD-NAME-INVALID');
    expect(andd?.message).toBe('Device Name "X\\"Y" is not a fully qualified ACPI path');
  });
  test.skipIf(!HAVE_CORPUS)('no table of the corpus has one', () => {
    const flagged = corpusFiles().filter((f) => validateBytes(readFileSync(f), { only: new Set(['DMAR-HDR-ID-UNPRINTABLE']) }).length);
    expect(flagged).toEqual([]);
  });
});

describe('device scope Flags', () => {
  const sidp = (flags: number) => {
    const d = baseline();
    d.structures.push({ kind: 'SIDP', segment: 0, deviceScopes: [{ type: 1, flags, bus: 0, path: [{ device: 2, function: 0 }] }] });
    return validateBytes(encode(d));
  };
  test('name device properties inside a SIDP (bits 0..4 are no finding)', () => {
    expect(sidp(0x1f)).toEqual([]);
  });
  test('bits 5..7 inside a SIDP are reserved', () => {
    const f = sidp(0x3f).filter((x) => x.id === 'DMAR-SCOPE-FLAGS-RESERVED');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('reserved bit 0x20');
    expect(f[0]!.structure).toBe('SIDP #1');
    expect(f[0]!.scope).toBe(1);
    expect(f[0]!.offset).toBe(136 + 8 + 2);
  });
});

describe('framing defects do not stop validation', () => {
  test('a zero-length structure after a broken DRHD: both are reported, each at its offset', () => {
    const d = baseline();
    d.structures[0].registerBaseAddress = '0x0';
    const bytes = encode(d);
    bytes[106] = 0; // RMRR Length
    bytes[107] = 0;
    const ids = validateBytes(bytes).map((f) => `${f.id}@${f.offset}`);
    expect(ids).toContain('DMAR-DRHD-BASE-ZERO@56');
    expect(ids).toContain('DMAR-STRUCT-ZERO-LENGTH@106');
    expect(ids).toContain('DMAR-HDR-CHECKSUM@9');
  });

  test('a structure the walker could not frame is named from its Type', () => {
    const bytes = readFileSync(join(INVALID, 'DMAR-STRUCT-ZERO-LENGTH.bin'));
    const f = validateBytes(bytes).find((x) => x.id === 'DMAR-STRUCT-ZERO-LENGTH')!;
    expect(f.structure).toBe('RMRR #1');
    expect(f.message).not.toMatch(/at 0x/);
  });

  test('a bad device scope is located by structure and scope number', () => {
    const f = validateBytes(readFileSync(join(INVALID, 'DMAR-SCOPE-LENGTH.bin'))).find((x) => x.id === 'DMAR-SCOPE-LENGTH')!;
    expect(f).toMatchObject({ structure: 'RMRR #1', scope: 1, offset: 129 });
  });

  test('findings come in byte order', () => {
    const d = baseline();
    d.structures[2].baseAddress = '0x7b800800';
    d.structures[0].registerBaseAddress = '0xfed80800';
    d.flags = 0x13;
    const offsets = validateBytes(encode(d)).map((f) => f.offset);
    expect(offsets.length).toBeGreaterThanOrEqual(3);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  });
});

describe('an IOAPIC or HPET named twice by one DRHD (DMAR-DRHD-SCOPE-ID-REPEATED)', () => {
  const ioapic = (id: number) => ({ type: 3, enumerationId: id, bus: 240, path: [{ device: 31, function: 0 }] });
  const hpet = (id: number, fn = 0) => ({ type: 4, enumerationId: id, bus: 0, path: [{ device: 31, function: fn }] });
  /** DRHD #2 of the baseline (its IOAPIC 2 and HPET 0 scopes first) lists these scopes too. */
  const repeated = (extra: object[]) => {
    const d = baseline();
    d.structures[1].deviceScopes.push(...extra);
    return validateBytes(encode(d))
      .filter((f) => f.id === 'DMAR-DRHD-SCOPE-ID-REPEATED')
      .map((f) => `${f.structure} ${f.scope}: ${f.message}`);
  };

  test('one finding per repeated ID, at its second scope, with how many scopes have it; the same number as IOAPIC and HPET is no repeat', () => {
    const before = baseline().structures[1].deviceScopes.length;
    expect(repeated([])).toEqual([]);
    expect(repeated([hpet(2), ioapic(5), hpet(7)])).toEqual([]);
    expect(repeated([hpet(0, 1), ioapic(2), hpet(0, 2)])).toEqual([
      `DRHD #2 ${before + 1}: HPET 0 appears in 3 scopes of this DRHD: Linux keeps the first (scope 2, 00:1f.0) and ignores this one and 1 more`,
      `DRHD #2 ${before + 2}: IOAPIC 2 appears in 2 scopes of this DRHD: Linux keeps the first (scope 1, f0:1f.0) and ignores this one`,
    ]);
  });

  test('a DRHD of thousands of scopes is walked once (every ID twice: 512 findings)', () => {
    const extra = [];
    for (let round = 0; round < 8; round++) for (let id = 0; id < 256; id++) extra.push(round % 2 ? hpet(id) : ioapic(id));
    const f = repeated(extra);
    // the baseline's IOAPIC 2 and HPET 0 are the first of their IDs, repeated first (findings in byte order)
    expect(f).toHaveLength(512);
    expect(f[0]).toMatch(/^DRHD #2 \d+: IOAPIC 2 appears in 5 scopes/);
    expect(f.filter((x) => /: IOAPIC 0 appears in 4 scopes/.test(x))).toHaveLength(1);
    expect(f.filter((x) => /: HPET 0 appears in 5 scopes/.test(x))).toHaveLength(1);
    expect(f.filter((x) => /: HPET 255 appears in 4 scopes/.test(x))).toHaveLength(1);
  });
});

describe('the same PCI device listed twice (DMAR-DRHD-DEVICE-DUPLICATE)', () => {
  type Hop = [number, number];
  const scope = (type: number, bus: number, hops: Hop[]) => ({ type, bus, path: hops.map(([device, fn]) => ({ device, function: fn })) });
  /** DRHD #1 of the baseline (segment 0) lists these scopes after its own endpoint 00:02.0; DRHD #2 is moved to `seg2`. */
  const duplicates = (extra: ReturnType<typeof scope>[], seg2 = 0, extra2: ReturnType<typeof scope>[] = []) => {
    const d = baseline();
    d.structures[0].deviceScopes.push(...extra);
    d.structures[1].segment = seg2;
    d.structures[1].deviceScopes.push(...extra2);
    return validateBytes(encode(d))
      .filter((f) => f.id === 'DMAR-DRHD-DEVICE-DUPLICATE')
      .map((f) => `${f.structure} ${f.scope}: ${f.message}`);
  };

  test('one hop, several hops: the same device again is reported, at the repeat', () => {
    expect(duplicates([scope(1, 0, [[2, 0]])])).toEqual(['DRHD #1 2: device 00:02.0 on segment 0 is listed twice in this DRHD']);
    expect(
      duplicates([
        scope(1, 0x10, [
          [0x1c, 4],
          [0, 0],
        ]),
        scope(1, 0x10, [
          [0x1c, 4],
          [0, 0],
        ]),
      ]),
    ).toEqual(['DRHD #1 3: device 10:1c.4/00.0 on segment 0 is listed twice in this DRHD']);
    expect(duplicates([], 0, [scope(1, 0, [[2, 0]])])).toEqual(['DRHD #2 3: device 00:02.0 on segment 0 is listed also by DRHD #1']);
  });

  test('what differs is no repeat: the hops after the first, the start bus, bridge against endpoint, the segment, no path', () => {
    expect(
      duplicates([
        scope(1, 0, [
          [2, 0],
          [0, 0],
        ]),
      ]),
    ).toEqual([]);
    expect(duplicates([scope(1, 1, [[2, 0]])])).toEqual([]);
    expect(duplicates([scope(2, 0, [[2, 0]])])).toEqual([]);
    expect(duplicates([], 1, [scope(1, 0, [[2, 0]])])).toEqual([]);
    expect(duplicates([scope(1, 0, [[2, 0x100 - 1]]), scope(1, 0, [[0xff, 2]])])).toEqual([]);
    expect(duplicates([scope(1, 0, []), scope(1, 0, [[0, 0]])])).toEqual([]);
  });
});

describe('an RHSA and the DRHD it names', () => {
  const withRhsa = (at: number, base: string) => {
    const d = baseline();
    d.structures.splice(at, 0, { kind: 'RHSA', baseAddress: base, proximityDomain: 1 });
    return validateBytes(encode(d));
  };
  const base = () => baseline().structures[0].registerBaseAddress as string;

  test("placed before that DRHD: an error with Linux's message (Linux walks the table once)", () => {
    const f = withRhsa(0, base()).filter((x) => x.severity === 'error');
    expect(f.map((x) => x.id)).toEqual(['DMAR-RHSA-BEFORE-DRHD']);
    expect(f[0]!.structure).toBe('RHSA #1');
    expect(f[0]!.offset).toBe(48 + 8);
    expect(f[0]!.message).toContain('names DRHD #1, which comes after it');
    expect(f[0]!.message).toContain(`Linux: "[Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at ${BigInt(base()).toString(16)}"`);
  });
  test('placed after it: no finding', () => {
    expect(withRhsa(baseline().structures.length, base())).toEqual([]);
  });
  test('naming no DRHD at all: DMAR-RHSA-NO-DRHD alone, with the same Linux message', () => {
    const f = withRhsa(0, '0xabc000').filter((x) => x.severity === 'error');
    expect(f.map((x) => x.id)).toEqual(['DMAR-RHSA-NO-DRHD']);
    expect(f[0]!.message).toContain('RHSA refers to non-existent DMAR unit at abc000');
  });
});

describe('X2APIC_OPT_OUT without INTR_REMAP', () => {
  test('is info from the VT-d spec, so --fail-on warning passes', () => {
    const d = baseline();
    d.flags = 2;
    const bytes = encode(d);
    const f = validateBytes(bytes);
    expect(f.map((x) => `${x.id}:${x.severity}`)).toEqual(['DMAR-FLAGS-X2APIC-NO-IR:info']);
    expect(checkById('DMAR-FLAGS-X2APIC-NO-IR')!.source).toEqual(['VT-d spec']);
    const dir = mkdtempSync(join(tmpdir(), 'dmar-x2apic-'));
    writeFileSync(join(dir, 't.bin'), bytes);
    const r = dmar(['validate', join(dir, 't.bin'), '--fail-on', 'warning']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('DMAR-FLAGS-X2APIC-NO-IR');
  });
});

describe('proposal checks are labelled', () => {
  test('findings of the proposed descriptor carry proposed: true, the others do not', () => {
    const d = baseline();
    d.flags = 0x10;
    d.structures.push({ kind: 'VIRT', revision: 2, flags: 1, hypervisorSignature: 'KVMKVMKVM', supportedFeatures: '0x1' });
    const f = validateBytes(encode(d));
    expect(f.find((x) => x.id === 'DMAR-VIRT-REVISION')?.proposed).toBe(true);
    expect(f.find((x) => x.id === 'DMAR-FLAGS-RESERVED')?.proposed).toBeUndefined();
  });
});

describe('DRHD Size with reserved bits (DMAR-DRHD-SIZE-RESERVED)', () => {
  test('says what Linux maps, reading the whole byte (1UL << (Size + 12))', () => {
    const sized = (size: number) => {
      const b = Buffer.from(encode(baseline()));
      // the first structure is a DRHD: its Size byte at offset 5
      expect(b.readUInt16LE(48)).toBe(0);
      b[48 + 5] = size;
      b[9] = 0;
      b[9] = -b.reduce((a, x) => a + x, 0) & 0xff;
      return validateBytes(b).filter((f) => f.id === 'DMAR-DRHD-SIZE-RESERVED');
    };
    expect(sized(0x03)).toEqual([]);
    expect(sized(0x14).map((f) => f.message)).toEqual([
      'Size (decoded below) 0x14 sets reserved bit 0x10: Linux reads the whole byte and maps 4 GiB of registers',
    ]);
    expect(sized(0xf4)[0]!.message).toMatch(
      /sets reserved bits 0xf0: Linux reads the whole byte and shifts 1 by 256 bits, past its 64-bit width: undefined in C/,
    );
  });
});

describe('a virtualization descriptor shorter than its fields', () => {
  test("is reported once, as DMAR-VIRT-LENGTH, the proposal's (not as DMAR-STRUCT-TOO-SHORT, a VT-d check); a longer one too", () => {
    const d = baseline();
    d.flags = 9;
    d.structures.push({ kind: 'VIRT', revision: 1, flags: 1, hypervisorSignature: 'KVMKVMKVM', supportedFeatures: '0x1' });
    const full = encode(d);
    // cut the descriptor (the last structure, 32 bytes) to 16, fixing Table Length and Checksum
    const at = full.length - 32;
    expect(full[at]! | (full[at + 1]! << 8)).toBe(0x8001);
    const cut = Buffer.from(full.subarray(0, at + 16));
    cut.writeUInt16LE(16, at + 2);
    cut.writeUInt32LE(cut.length, 4);
    cut[9] = 0;
    cut[9] = -cut.reduce((a, b) => a + b, 0) & 0xff;
    const f = validateBytes(cut).filter((x) => x.severity === 'error');
    expect(f.map((x) => [x.id, x.offset, x.proposed])).toEqual([['DMAR-VIRT-LENGTH', at + 2, true]]);
    expect(f[0]!.message).toBe('Length is 16, must be 32');
    // decode --lenient names it as the proposal's too
    const dir = mkdtempSync(join(tmpdir(), 'dmar-virt-short-'));
    writeFileSync(join(dir, 't.bin'), cut);
    expect(dmar(['decode', '--lenient', join(dir, 't.bin')]).stdout).toContain(
      'VIRT #1  Virtualization Descriptor (proposed), shorter than its fields (kept as raw bytes)  16 bytes',
    );
    const long = validateBytes(readFileSync(join(INVALID, 'DMAR-VIRT-LENGTH.bin'))).filter((x) => x.severity === 'error');
    expect(long.map((x) => x.id)).toEqual(['DMAR-VIRT-LENGTH']);
  });
});

describe.skipIf(!HAVE_CORPUS)('real firmware', () => {
  test('Sandy Bridge laptops list HPET 0 once per comparator: one info, no duplicate error', () => {
    const f = validateBytes(corpusTable('00EC1CA477D6'));
    expect(f.map((x) => x.id)).toEqual(['DMAR-DRHD-SCOPE-ID-REPEATED']);
    expect(f[0]).toMatchObject({ severity: 'info', structure: 'DRHD #1', offset: 0x54 });
    expect(f[0]!.message).toContain('HPET 0 appears in 8 scopes');
  });

  test('the acpidumps: the MADT I/O APICs all sit behind a DRHD', () => {
    for (const name of ['055F3A7CF9A9', '0AD635180FE5', '85CAC5E8B9EA']) {
      const src = readSource(join(ACPIDUMPS, `${name}.acpidump.txt`));
      expect(src.tables?.some((t) => t.signature === 'APIC')).toBe(true);
      expect(validateBytes(src.bytes, { tables: src.tables })).toEqual([]);
    }
  });

  test('an acpidump whose DRHD lost an IOAPIC scope: Linux would disable interrupt remapping', () => {
    const src = readSource(join(ACPIDUMPS, '0AD635180FE5.acpidump.txt'));
    const bytes = Uint8Array.from(src.bytes);
    // Renumber the scope of IOAPIC 1 to an ID the MADT lacks: MADT IOAPIC 1 is then in no scope.
    const { table } = decodeDmar(bytes);
    const sc = table.structures.flatMap((s) => s.scopes ?? []).find((x) => x.fields.type === 3 && x.fields.enumerationId === 1)!;
    bytes[sc.offset + 4] = 0x41;
    const ids = validateBytes(bytes, { tables: src.tables }).map((f) => f.id);
    expect(ids).toContain('DMAR-MADT-IOAPIC-UNMAPPED');
    expect(ids).toContain('DMAR-MADT-IOAPIC-UNKNOWN');
    expect(ids).toContain('DMAR-HDR-CHECKSUM');
    expect(validateBytes(bytes).map((f) => f.id)).not.toContain('DMAR-MADT-IOAPIC-UNMAPPED');
  });
});
