// Evidence: each fact's value and the source it names, checked against the bytes; live evidence from a fake tree.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { bareMetalProven, derivedFacts, gatherEvidence, virtEvidence, type DescriptorFact } from '../../src/ims/evidence.js';
import {
  cachingModeFromSysfs,
  dmiVendorFromSysfs,
  hypervisorFromCpuinfo,
  kernelRelease,
  liveEvidence,
  smbiosVmFromSysfs,
  tdxFromCpuinfo,
} from '../../src/ims/live.js';
import { matchDmi, matchHypervisorVendor, smbiosVirtualMachine } from '../../src/ims/dmi.js';
import { SIGNALS } from '../../src/ims/signals.js';
import { matchVirtualFirmware } from '../../src/ims/virtual-firmware.js';
import { evidenceOf, fixtureBytes, NO_TABLE } from './load.js';

describe('facts from the table', () => {
  test('flags: values from the Flags byte, sources name bit and offset', () => {
    const bytes = fixtureBytes('qemu-ims-optout');
    const ev = evidenceOf('qemu-ims-optout').evidence;
    expect(bytes[0x25]).toBe(0b1001);
    expect(ev['flags.intrRemap']).toEqual({ value: true, source: 'DMAR Flags bit 0 at offset 0x25' });
    expect(ev['flags.x2apicOptOut']).toEqual({ value: false, source: 'DMAR Flags bit 1 at offset 0x25' });
    expect(ev['flags.imsOptOut']).toEqual({ value: true, source: 'DMAR Flags bit 3 at offset 0x25', proposed: true });
    expect(ev['dmar.present'].value).toBe(true);
  });

  test('descriptor: read at the offset the source names, fields from the schema rows', () => {
    const bytes = fixtureBytes('qemu-descriptor-ims');
    const ev = evidenceOf('qemu-descriptor-ims').evidence;
    const d = ev.descriptor.value as DescriptorFact;
    expect(d.offset).toBe(0x48);
    expect(bytes.readUInt16LE(d.offset)).toBe(0x8001);
    expect(bytes.readUInt16LE(d.offset + 2)).toBe(32);
    expect(bytes[d.offset + 5]).toBe(1);
    expect(bytes.subarray(d.offset + 8, d.offset + 17).toString('latin1')).toBe('KVMKVMKVM');
    expect(bytes.readBigUInt64LE(d.offset + 24)).toBe(1n);
    expect(d).toEqual({
      offset: 0x48,
      virtualized: true,
      hypervisorSignature: 'KVMKVMKVM',
      features: { IMS: true, MSI_COMPOSE: false, REMAPPABLE_DIRECT: false },
      unknownFeatures: 0n,
    });
    expect(ev.descriptor.proposed).toBe(true);
    expect(ev.descriptor.source).toBe('structure type 0x8001 at offset 0x48 (Flags bit 0 at 0x4d, Supported Features at 0x60)');
  });

  test('descriptor absent: says how many structures were searched', () => {
    const ev = evidenceOf('qemu-legacy').evidence;
    expect(ev.descriptor.value).toBe('absent');
    expect(ev.descriptor.source).toContain('1 structure');
  });

  test('unnamed feature bits are kept, warned about and not a feature', () => {
    const g = evidenceOf('descriptor-unknown-feature');
    const d = g.evidence.descriptor.value as DescriptorFact;
    expect(d.unknownFeatures).toBe(8n);
    expect(Object.values(d.features).some(Boolean)).toBe(false);
    expect(g.warnings.join('\n')).toMatch(/bits 0x8 that have no name: treated as not supported/);
  });

  test('two descriptors: the first is read and a warning names both offsets', () => {
    const g = evidenceOf('two-descriptors');
    expect((g.evidence.descriptor.value as DescriptorFact).features.IMS).toBe(true);
    expect(g.warnings).toEqual([expect.stringMatching(/2 virtualization descriptors .* at offsets 0x48, 0x68/)]);
  });

  test('VIRTUALIZED=0 with a signature or features: warned, still bare metal', () => {
    const g = evidenceOf('bare-metal-descriptor-signature');
    expect((g.evidence.descriptor.value as DescriptorFact).virtualized).toBe(false);
    expect(g.warnings.join('\n')).toMatch(/VIRTUALIZED=0 but it carries a hypervisor signature or feature bits/);
    expect(bareMetalProven(g.evidence)).toBe(true);
  });

  test("oem.virtualFirmware: QEMU's IDs are weak evidence of a VM, a vendor's are not", () => {
    const q = evidenceOf('qemu-legacy').evidence['oem.virtualFirmware'];
    expect(q).toMatchObject({
      value: true,
      weak: true,
      strength: 'weak',
      source: 'Oem ID "BOCHS " at offset 0xa, Oem Table ID "BXPC    " at offset 0x10: written by QEMU',
    });
    expect(q.spoof).toContain('patched to vendor strings');
    const v = evidenceOf('bare-metal').evidence['oem.virtualFirmware'];
    expect(v.value).toBe(false);
    expect(v.source).toContain('"INTEL "');
    expect(fixtureBytes('qemu-legacy').subarray(0xa, 0x10).toString('latin1')).toBe('BOCHS ');
  });

  test('known virtual firmware is matched by either ID, padding ignored', () => {
    expect(matchVirtualFirmware('BOCHS ', 'OTHER   ')?.who).toBe('QEMU');
    expect(matchVirtualFirmware('ACME  ', 'BXPC    ')?.who).toBe('QEMU');
    expect(matchVirtualFirmware('VRTUAL', 'MICROSFT')?.who).toBe('Hyper-V');
    expect(matchVirtualFirmware('INTEL ', 'EDK2    ')).toBeUndefined();
    expect(matchVirtualFirmware('BOCHSX', 'BXPCX   ')).toBeUndefined();
  });

  test('no table: dmar.present false, every table fact unknown or absent', () => {
    const ev = NO_TABLE.evidence;
    expect(ev['dmar.present']).toEqual({ value: false, source: 'no table here' });
    expect(ev['flags.imsOptOut'].value).toBe('unknown');
    expect(ev.descriptor.value).toBe('absent');
    expect(ev['oem.virtualFirmware'].value).toBe('unknown');
  });
});

describe('facts from the command line', () => {
  test('not given: unknown, and the source says which option gives it', () => {
    const ev = evidenceOf('bare-metal').evidence;
    expect(ev['cpu.hypervisor'].value).toBe('unknown');
    expect(ev['cpu.hypervisor'].source).toContain('--hypervisor or --bare-metal');
    expect(ev['iommu.cachingMode'].value).toBe('unknown');
    expect(ev['iommu.cachingMode'].source).toContain('--caching-mode on|off');
  });
  test('given: the option is the source', () => {
    const ev = evidenceOf('bare-metal', { hypervisor: false, cachingMode: true }).evidence;
    expect(ev['cpu.hypervisor']).toMatchObject({ value: false, source: '--bare-metal', strength: 'medium' });
    expect(ev['iommu.cachingMode']).toMatchObject({ value: true, source: '--caching-mode on', strength: 'weak', weak: true });
  });
  test('a flag for each machine signal: --tdx, --smbios-vm, --dmi-vendor VENDOR[:PRODUCT]', () => {
    const ev = evidenceOf('bare-metal', { tdx: true, smbiosVm: false, dmiVendor: 'Microsoft Corporation:Virtual Machine' }).evidence;
    expect(ev['cpu.tdx']).toMatchObject({ value: true, source: '--tdx on', strength: 'strong' });
    expect(ev['smbios.virtualMachine']).toMatchObject({ value: false, source: '--smbios-vm off', strength: 'medium' });
    expect(ev['dmi.hypervisorVendor']).toMatchObject({ value: true, strength: 'weak' });
    expect(ev['dmi.hypervisorVendor'].source).toContain('Hyper-V');
    // Microsoft makes physical machines too: the product name decides.
    expect(evidenceOf('bare-metal', { dmiVendor: 'Microsoft Corporation:Surface Laptop 5' }).evidence['dmi.hypervisorVendor'].value).toBe(false);
    expect(evidenceOf('bare-metal', { dmiVendor: 'Dell Inc.' }).evidence['dmi.hypervisorVendor'].value).toBe(false);
  });
  test('every signal carries its strength and how it is faked, as proposals.md ranks them', () => {
    expect(SIGNALS.map((x) => [x.name, x.strength])).toEqual([
      ['cpu.tdx', 'strong'],
      ['cpu.hypervisor', 'medium'],
      ['smbios.virtualMachine', 'medium'],
      ['dmi.hypervisorVendor', 'weak'],
      ['iommu.cachingMode', 'weak'],
      ['oem.virtualFirmware', 'weak'],
    ]);
    const ev = evidenceOf('bare-metal').evidence;
    for (const x of SIGNALS) {
      expect(ev[x.name].strength).toBe(x.strength);
      expect(ev[x.name].spoof).toBe(x.spoof);
    }
  });
});

describe('derived facts', () => {
  test('a strong or medium signal vetoes bare metal like a weak one; none of them proves it', () => {
    expect(bareMetalProven(evidenceOf('bare-metal', { hypervisor: false, tdx: true }).evidence)).toBe(false);
    expect(bareMetalProven(evidenceOf('bare-metal', { hypervisor: false, smbiosVm: true }).evidence)).toBe(false);
    expect(bareMetalProven(evidenceOf('bare-metal', { hypervisor: false, dmiVendor: 'QEMU' }).evidence)).toBe(false);
    expect(bareMetalProven(evidenceOf('bare-metal', { tdx: false, smbiosVm: false, dmiVendor: 'Dell Inc.', cachingMode: false }).evidence)).toBe(false);
    expect(derivedFacts(evidenceOf('bare-metal', { tdx: true }).evidence).virtEvidence.source).toBe('cpu.tdx is true');
  });
  test('virtEvidence: any of cpu.hypervisor, caching mode, virtual firmware', () => {
    expect(virtEvidence(evidenceOf('bare-metal').evidence)).toBe(false);
    expect(virtEvidence(evidenceOf('bare-metal', { hypervisor: true }).evidence)).toBe(true);
    expect(virtEvidence(evidenceOf('bare-metal', { cachingMode: true }).evidence)).toBe(true);
    expect(virtEvidence(evidenceOf('qemu-legacy').evidence)).toBe(true);
    expect(derivedFacts(evidenceOf('qemu-legacy').evidence).virtEvidence.source).toBe('oem.virtualFirmware is true');
  });
  test('bareMetalProven: by the descriptor, or by a clear hypervisor bit; never by unknown', () => {
    expect(bareMetalProven(evidenceOf('bare-metal-descriptor').evidence)).toBe(true);
    expect(bareMetalProven(evidenceOf('bare-metal').evidence)).toBe(false);
    expect(bareMetalProven(evidenceOf('bare-metal', { hypervisor: false }).evidence)).toBe(true);
    expect(bareMetalProven(evidenceOf('bare-metal', { hypervisor: false, cachingMode: true }).evidence)).toBe(false);
    expect(bareMetalProven(evidenceOf('bare-metal-descriptor', { hypervisor: true }).evidence)).toBe(false);
    expect(derivedFacts(evidenceOf('bare-metal').evidence).bareMetalProven.source).toMatch(/cpu.hypervisor is unknown \(unknown is not proof\)/);
  });
});

describe('live evidence', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  function fakeRoot(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'dmar-ims-live-'));
    roots.push(root);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), text);
    }
    return root;
  }
  const CPU_VM =
    'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n\nprocessor\t: 1\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n';
  const CPU_BARE = 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr lahf_lm\n';

  test('the hypervisor flag of /proc/cpuinfo', () => {
    const w: string[] = [];
    expect(hypervisorFromCpuinfo(fakeRoot({ 'proc/cpuinfo': CPU_VM }), w).value).toBe(true);
    expect(hypervisorFromCpuinfo(fakeRoot({ 'proc/cpuinfo': CPU_BARE }), w).value).toBe(false);
    expect(w).toEqual([]);
    // A word that merely contains "hypervisor" is not the flag.
    expect(hypervisorFromCpuinfo(fakeRoot({ 'proc/cpuinfo': 'flags\t: fpu nothypervisor\n' }), w).value).toBe(false);
  });
  test('no flags line (not x86) or no file: unknown', () => {
    const w: string[] = [];
    expect(hypervisorFromCpuinfo(fakeRoot({ 'proc/cpuinfo': 'processor\t: 0\nFeatures\t: fp asimd\n' }), w).value).toBe('unknown');
    expect(w).toHaveLength(1);
    expect(hypervisorFromCpuinfo(fakeRoot({}), w).value).toBe('unknown');
  });
  test("caching mode: bit 7 of any unit's cap, hex with or without 0x", () => {
    const w: string[] = [];
    const on = fakeRoot({
      'sys/class/iommu/dmar0/intel-iommu/cap': 'd2008c40660462\n',
      'sys/class/iommu/dmar1/intel-iommu/cap': '0x00d2008c406604e2\n',
    });
    const f = cachingModeFromSysfs(on, w);
    expect(f.value).toBe(true);
    expect(f.source).toContain('dmar1/intel-iommu/cap = 0x00d2008c406604e2 (bit 7 set)');
    const off = fakeRoot({ 'sys/class/iommu/dmar0/intel-iommu/cap': 'd2008c40660462\n' });
    expect(cachingModeFromSysfs(off, w).value).toBe(false);
    expect(cachingModeFromSysfs(fakeRoot({}), w).value).toBe('unknown');
    expect(w).toEqual([]);
  });
  test('a cap that is not hex: warned, unknown', () => {
    const w: string[] = [];
    expect(cachingModeFromSysfs(fakeRoot({ 'sys/class/iommu/dmar0/intel-iommu/cap': 'garbage\n' }), w).value).toBe('unknown');
    expect(w[0]).toContain('is not a hex number');
  });
  test('the command line overrides live evidence and says what it overrode', () => {
    const live = liveEvidence(fakeRoot({ 'proc/cpuinfo': CPU_VM, 'sys/class/iommu/dmar0/intel-iommu/cap': 'e2\n' }));
    expect(live['cpu.hypervisor']!.value).toBe(true);
    expect(live['iommu.cachingMode']!.value).toBe(true);
    const ev = gatherEvidence({ tableSource: 'x', live, cli: { hypervisor: false, cachingMode: false } }).evidence;
    expect(ev['cpu.hypervisor'].value).toBe(false);
    expect(ev['cpu.hypervisor'].source).toMatch(/^--bare-metal \(overrides .*proc\/cpuinfo.*: true\)$/);
    expect(ev['iommu.cachingMode'].value).toBe(false);
    expect(ev['iommu.cachingMode'].source).toMatch(/^--caching-mode off \(overrides/);
    const kept = gatherEvidence({ tableSource: 'x', live }).evidence;
    expect(kept['cpu.hypervisor'].source).toContain('proc/cpuinfo');
  });

  test('a capture with FIFOs where the files should be: every fact unknown, read once, no hang', () => {
    const root = fakeRoot({});
    for (const rel of [
      'proc/cpuinfo',
      'proc/sys/kernel/osrelease',
      'sys/firmware/dmi/tables/DMI',
      'sys/class/dmi/id/sys_vendor',
      'sys/class/iommu/dmar0/intel-iommu/cap',
    ]) {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      execFileSync('mkfifo', [join(root, rel)]);
    }
    const live = liveEvidence(root);
    for (const k of ['cpu.tdx', 'cpu.hypervisor', 'smbios.virtualMachine', 'dmi.hypervisorVendor', 'iommu.cachingMode'] as const)
      expect(live[k]!.value, k).toBe('unknown');
    expect(live.warnings).toEqual([expect.stringContaining('intel-iommu/cap is not readable')]);
    expect(kernelRelease(root)).toBeUndefined();
  });

  test('cpuinfo without a flags line: one warning for both CPU facts', () => {
    const live = liveEvidence(fakeRoot({ 'proc/cpuinfo': 'processor\t: 0\nmodel name\t: ARM\n' }));
    expect(live['cpu.tdx']!.value).toBe('unknown');
    expect(live.warnings.filter((w) => w.includes('no x86 "flags" line'))).toHaveLength(1);
  });

  test('TDX guest: the tdx_guest flag of /proc/cpuinfo', () => {
    expect(tdxFromCpuinfo(fakeRoot({ 'proc/cpuinfo': 'flags\t\t: fpu hypervisor tdx_guest lahf_lm\n' })).value).toBe(true);
    expect(tdxFromCpuinfo(fakeRoot({ 'proc/cpuinfo': CPU_VM })).value).toBe(false);
    expect(tdxFromCpuinfo(fakeRoot({})).value).toBe('unknown');
  });

  test('kernel release from proc/sys/kernel/osrelease under the root', () => {
    expect(kernelRelease(fakeRoot({ 'proc/sys/kernel/osrelease': '6.9.3-arch1-1\n' }))?.version).toBe('6.9.3-arch1-1');
    expect(kernelRelease(fakeRoot({}))).toBeUndefined();
  });

  test('DMI vendor strings of known hypervisors; vendors that also sell hardware need the product name', () => {
    expect(matchHypervisorVendor('QEMU')?.who).toBe('QEMU');
    expect(matchHypervisorVendor('VMware, Inc.')?.who).toBe('VMware');
    expect(matchHypervisorVendor('innotek GmbH')?.who).toBe('VirtualBox');
    expect(matchHypervisorVendor('Oracle Corporation', 'VirtualBox')?.who).toBe('VirtualBox');
    expect(matchHypervisorVendor('Oracle Corporation', 'SUN FIRE X4170 M2 SERVER')).toBeUndefined();
    expect(matchHypervisorVendor('Parallels Software International Inc.')?.who).toBe('Parallels');
    expect(matchHypervisorVendor('BHYVE')?.who).toBe('bhyve');
    expect(matchHypervisorVendor('Xen')?.who).toBe('Xen');
    expect(matchHypervisorVendor('Bochs')?.who).toBe('Bochs');
    // the name as a word: a vendor whose name only begins with a hypervisor's is no hypervisor
    for (const v of ['Xenon Systems', 'KVMtec', 'QEMUx', 'Bochsler AG', 'VMwarez', 'Parallelstar']) expect(matchHypervisorVendor(v), v).toBeUndefined();
    expect(matchHypervisorVendor('Microsoft Corporation', 'Virtual Machines Inc')).toBeUndefined();
    expect(matchHypervisorVendor('Xen ')?.who).toBe('Xen');
    expect(matchHypervisorVendor('QEMU-KVM')?.who).toBe('QEMU');
    expect(matchHypervisorVendor('LENOVO')).toBeUndefined();
    expect(matchDmi({ sys_vendor: 'Red Hat', product_name: 'KVM' })).toMatchObject({ file: 'product_name', hit: { who: 'KVM' } });
    const f = dmiVendorFromSysfs(fakeRoot({ 'sys/class/dmi/id/sys_vendor': 'Microsoft Corporation\n', 'sys/class/dmi/id/product_name': 'Virtual Machine\n' }));
    expect(f.value).toBe(true);
    expect(f.source).toMatch(/sys_vendor = "Microsoft Corporation": Hyper-V$/);
    expect(dmiVendorFromSysfs(fakeRoot({ 'sys/class/dmi/id/sys_vendor': 'Dell Inc.\n' })).value).toBe(false);
    expect(dmiVendorFromSysfs(fakeRoot({})).value).toBe('unknown');
  });

  /** SMBIOS structures: [type, formatted area length, extension byte 2 (type 0 only)], each with one string. */
  function smbios(structs: [number, number, number?][]): Buffer {
    return Buffer.concat(
      structs.map(([type, len, ext2]) => {
        const b = Buffer.alloc(len);
        b[0] = type;
        b[1] = len;
        if (ext2 !== undefined) b[0x13] = ext2;
        return Buffer.concat([b, type === 127 ? Buffer.from([0, 0]) : Buffer.from('str\0\0', 'latin1')]);
      }),
    );
  }

  test('SMBIOS: the BIOS Information structure found by walking, bit 4 of Characteristics Extension Byte 2', () => {
    const vm = smbios([
      [1, 0x1b],
      [0, 0x18, 0x14],
      [127, 4],
    ]);
    expect(smbiosVirtualMachine(vm)).toEqual({ found: true, vm: true, offset: 0x20 + 0x13, byte: 0x14 });
    expect(vm[0x20 + 0x13]).toBe(0x14);
    expect(
      smbiosVirtualMachine(
        smbios([
          [0, 0x18, 0x0c],
          [127, 4],
        ]),
      ),
    ).toMatchObject({ found: true, vm: false, byte: 0x0c });
    // A structure without strings still ends with two zero bytes.
    const bare = Buffer.concat([Buffer.from([1, 4, 0, 0, 0, 0]), smbios([[0, 0x18, 0x10]])]);
    expect(smbiosVirtualMachine(bare)).toMatchObject({ found: true, vm: true, offset: 6 + 0x13 });
  });

  test('SMBIOS: every defect is a reason, never a throw or a guess', () => {
    expect(smbiosVirtualMachine(smbios([[0, 0x12]]))).toEqual({
      found: false,
      why: 'BIOS Information at 0x0 has Length 0x12: no Characteristics Extension Byte 2 (before SMBIOS 2.4)',
    });
    expect(
      smbiosVirtualMachine(
        smbios([
          [1, 0x1b],
          [127, 4],
        ]),
      ),
    ).toEqual({ found: false, why: 'no BIOS Information structure (type 0)' });
    expect(smbiosVirtualMachine(Buffer.from([1, 2, 0, 0]))).toMatchObject({ found: false, why: expect.stringContaining('less than its 4-byte header') });
    expect(smbiosVirtualMachine(smbios([[0, 0x18, 0x10]]).subarray(0, 0x10))).toMatchObject({
      found: false,
      why: expect.stringContaining('runs past the end'),
    });
    expect(smbiosVirtualMachine(Buffer.concat([Buffer.alloc(0x1b, 1).fill(0x1b, 1, 2), Buffer.from('abc')]).fill(1, 0, 1))).toMatchObject({ found: false });
    expect(smbiosVirtualMachine(Buffer.alloc(0))).toEqual({ found: false, why: 'no BIOS Information structure (type 0)' });
    const w: string[] = [];
    const f = smbiosVmFromSysfs(fakeRoot({ 'sys/firmware/dmi/tables/DMI': 'garbage' }), w);
    expect(f.value).toBe('unknown');
    expect(w).toHaveLength(1);
  });
});
