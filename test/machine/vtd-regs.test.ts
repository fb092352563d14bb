import { describe, expect, it } from 'vitest';
import { CAP_FIELDS, decodeCap, decodeEcap, ECAP_FIELDS, faultReason, parseRegister, parseVersion, unitCapabilities } from '../../src/machine/vtd-regs.js';

// Register values from real kernel logs (fixtures/logs/README.md says where each came from).
const ALIENWARE_DMAR0 = { cap: 0x1c0000c40660462n, ecap: 0x7e3ff0501en }; // graphics unit, Coffee Lake laptop
const ALIENWARE_DMAR1 = { cap: 0xd2008c40660462n, ecap: 0xf050dan }; // INCLUDE_PCI_ALL unit
const HP_DMAR0 = { cap: 0xc9008020e30272n, ecap: 0x1000n }; // 2010-era desktop: no IR, no QI

const field = (d: ReturnType<typeof decodeCap>, key: string) => d.fields.find((f) => f.key === key)!;

describe('CAP_REG', () => {
  it('decodes a Coffee Lake graphics unit as Linux does', () => {
    const d = decodeCap(ALIENWARE_DMAR0.cap);
    expect(field(d, 'nd').value).toBe(2); // cap_ndoms: 1 << (4 + 2*2) = 256
    expect(field(d, 'nd').meaning).toBe('256 domains');
    expect(field(d, 'sagaw').value).toBe(0b00100); // 48-bit only
    expect(field(d, 'sagaw').meaning).toBe('48-bit (4-level)');
    expect(field(d, 'mgaw').meaning).toBe('39 bits');
    expect(field(d, 'cm').value).toBe(0);
    expect(field(d, 'zlr').value).toBe(1);
    expect(field(d, 'fro').value).toBe(0x40); // fault registers at 0x400
    expect(field(d, 'fro').meaning).toBe('registers at +0x400');
    expect(field(d, 'nfr').meaning).toBe('1');
    expect(field(d, 'pi').value).toBe(0);
    expect(field(d, 'sllps').meaning).toBe('2 MiB, 1 GiB');
    expect(field(d, 'psi').value).toBe(0);
    expect(field(d, 'mamv').value).toBe(0);
    // 0x1c0... in bits 63:52: FL1GP (56), DRD (55), DWD (54)
    expect([field(d, 'fl1gp').value, field(d, 'drd').value, field(d, 'dwd').value]).toEqual([1, 1, 1]);
    expect(d.reservedBits).toEqual([]);
    expect(field(d, 'sagaw').bits).toBe('12:8');
    expect(field(d, 'cm').bits).toBe('7');
  });

  it('field table: no two fields share a bit, every field fits 64 bits', () => {
    for (const defs of [CAP_FIELDS, ECAP_FIELDS]) {
      let used = 0n;
      for (const f of defs) {
        const w = f.width ?? 1;
        expect(f.shift + w).toBeLessThanOrEqual(64);
        const mask = ((1n << BigInt(w)) - 1n) << BigInt(f.shift);
        expect(used & mask).toBe(0n);
        used |= mask;
      }
      expect(new Set(defs.map((f) => f.key)).size).toBe(defs.length);
    }
  });

  it('reserved set bits are reported, not dropped', () => {
    expect(decodeCap((1n << 57n) | (1n << 38n)).reservedBits).toEqual([38, 57]);
    expect(decodeEcap(1n << 5n).reservedBits).toEqual([5]);
  });
});

describe('ECAP_REG', () => {
  it("decodes IR, EIM, QI, PT as Linux's ecap_* macros", () => {
    const caps = unitCapabilities(ALIENWARE_DMAR1.cap, ALIENWARE_DMAR1.ecap);
    // 0xf050da: bit1 QI, bit3 IR, bit4 EIM, bit6 PT, bit7 SC
    expect(caps.queuedInvalidation).toBe(true);
    expect(caps.interruptRemapping).toBe(true);
    expect(caps.extendedInterruptMode).toBe(true);
    expect(caps.passThrough).toBe(true);
    expect(caps.cachingMode).toBe(false);
    expect(caps.mgawBits).toBe(39);
    expect(caps.sagawBits).toEqual([48]);
    expect(caps.allOnes).toBe(false);
    const e = decodeEcap(ALIENWARE_DMAR1.ecap);
    expect(e.fields.find((f) => f.key === 'iro')!.value).toBe(0x50); // IOTLB registers at 0x500
    expect(e.fields.find((f) => f.key === 'mhmv')!.value).toBe(0xf);
  });

  it('a unit without interrupt remapping (old desktop)', () => {
    const caps = unitCapabilities(HP_DMAR0.cap, HP_DMAR0.ecap);
    expect(caps.interruptRemapping).toBe(false);
    expect(caps.queuedInvalidation).toBe(false);
    expect(caps.sagawBits).toEqual([39]);
    expect(caps.mgawBits).toBe(36);
  });

  it('scalable-mode bits of a Sapphire-Rapids-class value', () => {
    const ecap = (1n << 43n) | (1n << 47n) | (1n << 46n) | (1n << 40n) | (19n << 35n) | (1n << 49n);
    const caps = unitCapabilities(0n, ecap);
    expect(caps.scalableMode).toBe(true);
    expect(caps.pasid).toBe(true);
    const d = decodeEcap(ecap);
    expect(d.fields.find((f) => f.key === 'pss')!.meaning).toBe('20-bit PASIDs');
    expect(d.fields.find((f) => f.key === 'rps')!.value).toBe(1);
  });

  it('PSS means nothing without PASID: no meaning at zero (explain hid nothing: "PSS=0x0 (1-bit PASIDs)"), unused when set', () => {
    const pss = (ecap: bigint) => decodeEcap(ecap).fields.find((f) => f.key === 'pss')!;
    expect(pss(0xf0101an).value).toBe(0);
    expect(pss(0xf0101an).meaning).toBeUndefined();
    expect(pss(19n << 35n)).toMatchObject({ value: 19, meaning: 'unused: PASID (bit 40) is clear' });
    // VT-d 2.x units set the early drafts' bit 28 (Linux ignores it: ecap_broken_pasid); the note names bit 40
    expect(pss(0x7e3ff0505en).meaning).toBe('unused: PASID (bit 40) is clear');
    expect(pss((1n << 40n) | (0n << 35n)).meaning).toBe('1-bit PASIDs');
  });

  it('caching mode: QEMU intel-iommu with caching-mode=on', () => {
    // QEMU's VTD_CAP_CM is bit 7.
    expect(unitCapabilities(1n << 7n, 0n).cachingMode).toBe(true);
  });

  it('all ones is what firmware pointing at nothing reads', () => {
    expect(unitCapabilities(0xffffffffffffffffn, 0xffffffffffffffffn).allOnes).toBe(true);
  });
});

describe('parsing and fault reasons', () => {
  it("reads Linux's %llx and the version", () => {
    expect(parseRegister('1c0000c40660462')).toBe(0x1c0000c40660462n);
    expect(parseRegister('0xffffffffffffffff\n')).toBe(0xffffffffffffffffn);
    expect(parseRegister('1c0000c40660462z')).toBeUndefined();
    expect(parseRegister('11112222333344445')).toBeUndefined();
    expect(parseVersion('1:0\n')).toEqual({ major: 1, minor: 0 });
    expect(parseVersion('x')).toBeUndefined();
  });

  it('fault reasons as dmar_get_fault_reason()', () => {
    expect(faultReason(0x06)).toMatchObject({ kind: 'dma', text: 'PTE Read access is not set' });
    expect(faultReason(0x05).text).toBe('PTE Write access is not set');
    expect(faultReason(0x25)).toMatchObject({ kind: 'interrupt', text: 'Blocked a compatibility format interrupt request' });
    expect(faultReason(0x26).text).toBe('Blocked an interrupt request due to source-id verification failure');
    expect(faultReason(0x27)).toMatchObject({ kind: 'unknown', text: 'Unknown' });
    expect(faultReason(0x59)).toMatchObject({ kind: 'dma', scalable: true, text: 'SM: Present bit in PASID Table Entry is clear' });
    expect(faultReason(0x33).text).toBe('Unknown');
    expect(faultReason(0x90).text).toBe('SM: A/D bit update needed in first-level entry when set up in no snoop');
    expect(faultReason(0x0d).text).toBe('PCE for translation request specifies blocking');
    expect(faultReason(0x0e).kind).toBe('unknown');
    expect(faultReason(0x91).kind).toBe('unknown');
  });
});

it('the library entry point exports the register, fault and kernel-log API', async () => {
  const lib = await import('../../src/index.js');
  expect(lib.faultReason(0x25).text).toBe('Blocked a compatibility format interrupt request');
  expect(lib.unitCapabilities(0xd2008020660462n, 0xf010dan).passThrough).toBe(true);
  const x = lib.explainLog(lib.parseKernelLog('DMAR-IR: [Firmware Bug]: ioapic 0 has no mapping iommu, interrupt remapping will be disabled\n', 'x'));
  expect(x.entries[0]!.checks).toEqual(['DMAR-MADT-IOAPIC-UNMAPPED']);
});
