import { describe, expect, it } from 'vitest';
import { DmarError } from '../../src/dmar/errors.js';
import { e820Kind, logLines, logUnits, parseE820Line, parseKernelLog, parseKernelRelease } from '../../src/machine/kernel-log.js';
import { explainLog } from '../../src/machine/log-explain.js';

// Lines quoted from public bug reports (fixtures/logs/README.md cites each source).
describe('prefixes', () => {
  it('takes off dmesg, dmesg -T, journalctl, syslog-with-stamp and <N> prefixes', () => {
    const lines = logLines(
      [
        '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x0000000000057fff] usable',
        '[Mon Nov 25 10:00:00 2024] DMAR: Host address width 39',
        'oct. 13 21:14:33 ordi kernel: DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x0000000088800000-0x000000008cffffff]',
        'Dec 17 07:20:09 debian kernel: [    0.000000] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved',
        '<3>DMAR: DRHD: handling fault status reg 2',
        '2024-03-01T10:00:00+0100 host kernel: DMAR-IR: Enabled IRQ remapping in x2apic mode',
        'kern  :info  : [    1.5] DMAR: IOMMU enabled',
        'DMAR: dmar0: Using Queued invalidation',
      ].join('\n'),
    );
    expect(lines.map((l) => l.text)).toEqual([
      'BIOS-e820: [mem 0x0000000000000000-0x0000000000057fff] usable',
      'DMAR: Host address width 39',
      'DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x0000000088800000-0x000000008cffffff]',
      'e820: update [mem 0x00000000-0x00000fff] usable ==> reserved',
      'DMAR: DRHD: handling fault status reg 2',
      'DMAR-IR: Enabled IRQ remapping in x2apic mode',
      'DMAR: IOMMU enabled',
      'DMAR: dmar0: Using Queued invalidation',
    ]);
    expect(lines[0]!.seconds).toBe(0);
    expect(lines[6]!.seconds).toBe(1.5);
    expect(lines[7]!.line).toBe(8);
  });

  it("a serial console's or test rig's own prefix before the kernel's stamp", () => {
    const log = [
      'host # [    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
      'ttyS0 | [    1.234567] DMAR: IOMMU enabled',
      '2026/11/27 10:00:00.123 sol: [    2.000001] [    T1] DMAR: Host address width 46',
      // the stamp must be the kernel's (six digits) and near the start: a message that holds a number in brackets stays
      'DMAR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x28 [fault reason 0x25] Blocked a compatibility format interrupt request',
      `${'x'.repeat(100)} [    3.000000] DMAR: not a prefix this long`,
    ];
    const lines = logLines(log.join('\n'));
    expect(lines.map((l) => l.text)).toEqual([
      'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
      'DMAR: IOMMU enabled',
      'DMAR: Host address width 46',
      log[3],
      log[4],
    ]);
    expect(lines.map((l) => l.seconds)).toEqual([0, 1.234567, 2.000001, undefined, undefined]);
    // the map and the units read through it
    const parsed = parseKernelLog(log.join('\n'), 'serial.log');
    expect(parsed.memoryMap!.regions).toHaveLength(1);
    expect(parsed.dmar.map((d) => d.text)).toContain('DMAR: IOMMU enabled');
    // a stamp that ends its line has no message after it: the line stays
    expect(logLines('mce: logged [   12.345678]')[0]!.text).toBe('mce: logged [   12.345678]');
  });

  it("another program's lines in a syslog file (a guest's console relayed there) are not this kernel's", () => {
    const log = parseKernelLog(
      [
        'Nov 25 10:00:00 host kernel: Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP',
        'Nov 25 10:00:00 host kernel: Command line: BOOT_IMAGE=/vmlinuz intel_iommu=on',
        'Nov 25 10:00:00 host kernel: BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
        'Nov 25 10:00:00 host kernel: BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable',
        'Nov 25 10:00:00 host kernel: DMAR: IOMMU enabled',
        'Nov 25 10:05:00 host firecracker[1234]: [    0.000000] Linux version 5.10.0 (guest)',
        'Nov 25 10:05:00 host firecracker[1234]: [    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable',
        'Nov 25 10:05:00 host firecracker[1234]: [    0.100000] DMAR: IOMMU enabled',
      ].join('\n'),
      'messages',
    );
    expect(log.boots).toBe(1);
    expect(log.kernel?.release).toBe('6.8.0-45-generic');
    expect(log.commandLine).toBe('BOOT_IMAGE=/vmlinuz intel_iommu=on');
    expect(log.memoryMap!.regions).toHaveLength(2);
    expect(log.dmar).toHaveLength(1);
  });
});

describe('BIOS-e820', () => {
  it('every type e820_print_type() prints', () => {
    expect(
      ['usable', 'reserved', 'soft reserved', 'ACPI data', 'ACPI NVS', 'unusable', 'persistent (type 7)', 'persistent (type 12)', 'type 20'].map(e820Kind),
    ).toEqual(['ram', 'reserved', 'soft-reserved', 'acpi', 'nvs', 'unusable', 'pmem', 'pmem', 'other']);
    // the words of the 2025 rework of e820.c (`System RAM`, `device reserved`: real logs of 7.0 and 7.1), and
    // e820_type_to_string()'s of its later patches (which /sys/firmware/memmap shows too)
    expect(
      [
        'System RAM',
        'device reserved',
        'persistent RAM (type 12)',
        'ACPI tables',
        'ACPI non-volatile storage',
        'Unusable memory',
        'Persistent memory',
        'Device reserved',
      ].map(e820Kind),
    ).toEqual(['ram', 'reserved', 'pmem', 'acpi', 'nvs', 'unusable', 'pmem', 'reserved']);
  });

  it('3.x+ lines are inclusive; 2.6 lines are exclusive', () => {
    expect(parseE820Line('BIOS-e820: [mem 0x00000000ad853000-0x00000000ad859fff] ACPI NVS')).toEqual({
      start: 0xad853000n,
      end: 0xad859fffn,
      kind: 'nvs',
      type: 'ACPI NVS',
    });
    expect(parseE820Line(' BIOS-e820: 0000000000000000 - 000000000009f800 (usable)')).toEqual({ start: 0n, end: 0x9f7ffn, kind: 'ram', type: 'usable' });
    expect(parseE820Line('e820: BIOS-provided physical RAM map:')).toBeUndefined();
  });

  it('a range no kernel prints (over 64 bits, or ending before its start) is refused with its line', () => {
    const bad = (line: string) => () => parseKernelLog(`[    0.000000] Linux version 6.8.0 (x@y) #1\n[    0.000000] ${line}\n`, 'boot.log');
    for (const line of [
      'BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffffffff] reserved',
      'BIOS-e820: [mem 0x00000000c0000000-0x00000000bfffffff] usable',
      ' BIOS-e820: 00000000000a0000 - 00000000000a0000 (reserved)',
      'e820: update [mem 0x10000000000000000-0x10000000000000fff] usable ==> reserved',
      'Reserving Intel graphics memory at [mem 0x8c000000-0x7bffffff]',
    ]) {
      expect(bad(line), line).toThrow(DmarError);
      expect(bad(line), line).toThrow(/^line 2: ".*": not a range of the 64-bit address space \(a damaged log\)$/);
    }
    // the largest range there is, and a one-byte one, are ranges
    expect(
      parseKernelLog('BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] reserved\nBIOS-e820: [mem 0x1000-0x1000] usable\n', 'x').memoryMap?.regions,
    ).toHaveLength(2);
  });

  it('a boot log gives the map, the kernel and the command line', () => {
    const log = parseKernelLog(
      [
        '[    0.000000] Linux version 3.16.7-13-desktop (geeko@buildhost) (gcc version 4.8.3) #1 SMP PREEMPT',
        '[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-3.16.7-13-desktop root=UUID=649d ro quiet',
        '[    0.000000] e820: BIOS-provided physical RAM map:',
        '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x0000000000057fff] usable',
        '[    0.000000] BIOS-e820: [mem 0x0000000000058000-0x0000000000058fff] reserved',
        '[    0.000000] BIOS-e820: [mem 0x00000000ad853000-0x00000000ad859fff] ACPI NVS',
        '[    0.000000] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved',
      ].join('\n'),
      'boot.log',
    );
    expect(log.kernel).toEqual({ release: '3.16.7-13-desktop', major: 3, minor: 16, patch: 7 });
    expect(log.commandLine).toBe('BOOT_IMAGE=/boot/vmlinuz-3.16.7-13-desktop root=UUID=649d ro quiet');
    expect(log.memoryMap!.origin).toBe('dmesg-e820');
    expect(log.memoryMap!.source).toBe('boot.log (BIOS-e820 lines)');
    expect(log.memoryMap!.regions.map((r) => [r.start, r.end, r.kind])).toEqual([
      [0n, 0x57fffn, 'ram'],
      [0x58000n, 0x58fffn, 'reserved'],
      [0xad853000n, 0xad859fffn, 'nvs'],
    ]);
    expect(log.e820Updates).toEqual([{ line: 7, start: 0n, end: 0xfffn, from: 'usable', to: 'reserved' }]);
    expect(log.boots).toBe(1);
  });

  it('two boots: the last boot that printed a map', () => {
    const log = parseKernelLog(
      [
        'Linux version 5.4.0 (x)',
        'BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] reserved',
        'Linux version 6.8.0-45-generic (y)',
        'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
      ].join('\n'),
      'two',
    );
    expect(log.boots).toBe(2);
    expect(log.kernel!.release).toBe('6.8.0-45-generic');
    expect(log.memoryMap!.regions).toHaveLength(1);
    expect(log.memoryMap!.regions[0]!.kind).toBe('ram');
  });

  it('Debian and Ubuntu releases: the upstream patch level from the rest of the line', () => {
    const k = (line: string) => parseKernelLog(line + '\n', 'x').kernel;
    // fixtures/logs/surface-pro-3.log and a Ubuntu line from a hw-probe report (PRIME Z590M-PLUS)
    expect(
      k(
        '[    0.000000] Linux version 5.10.0-8parrot1-amd64 (XXX@XXX) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.46-8parrot1 (2021-07-21)',
      ),
    ).toEqual({ release: '5.10.0-8parrot1-amd64', major: 5, minor: 10, patch: 46 });
    expect(
      k(
        '[    0.000000] Linux version 5.13.0-52-generic (XXX@XXX) (gcc (Ubuntu 9.4.0-1ubuntu1~20.04.1) 9.4.0, GNU ld (GNU Binutils for Ubuntu) 2.34) #59~20.04.1-Ubuntu SMP Thu Jun 16 21:21:28 UTC 2022 (Ubuntu 5.13.0-52.59~20.04.1-generic 5.13.19)',
      ),
    ).toEqual({ release: '5.13.0-52-generic', major: 5, minor: 13, patch: 19 });
    expect(k('Linux version 6.1.0 (x) #1 SMP Debian 5.10.46-1')!.patch).toBe(0);
  });

  it('no e820 lines: no map', () => {
    expect(parseKernelLog('DMAR: Host address width 39\n', 'x').memoryMap).toBeUndefined();
    expect(parseKernelRelease('not-a-version')).toBeUndefined();
  });
});

describe('DMAR lines', () => {
  const events = (text: string) => parseKernelLog(text, 't').dmar.map((d) => d.event);

  it('RMRR firmware bugs, with the BIOS vendor line attached', () => {
    const log = parseKernelLog(
      [
        'DMAR: RMRR base: 0x00000038800000 end: 0x0000003cffffff',
        'DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x0000000038800000-0x000000003cffffff], contact BIOS vendor for fixes',
        'DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x0000000038800000-0x000000003cffffff]',
        'BIOS vendor: Alienware; Ver: 1.13.1; Product Version: 1.13.1',
      ].join('\n'),
      't',
    );
    expect(log.dmar.map((d) => d.event)).toEqual([
      { kind: 'rmrr', start: 0x38800000n, end: 0x3cffffffn },
      { kind: 'rmrr-not-reserved', start: 0x38800000n, end: 0x3cffffffn, firmwareBug: true },
      { kind: 'bad-rmrr', start: 0x38800000n, end: 0x3cffffffn, firmwareBug: true },
    ]);
    expect(log.dmar[2]!.continuation).toEqual(['BIOS vendor: Alienware; Ver: 1.13.1; Product Version: 1.13.1']);
  });

  it('register base, RHSA, I/O APIC and ANDD firmware bugs', () => {
    expect(
      events(
        [
          'DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address fed90000 returns all ones!',
          'DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!',
          'DMAR: [Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at fbffe000',
          'DMAR-IR: [Firmware Bug]: ioapic 8 has no mapping iommu, interrupt remapping will be disabled',
          'DMAR: [Firmware Bug]: Your BIOS is broken; ANDD object name is not NUL-terminated',
          'DMAR: [Firmware Bug]: RMRR entry for device 03:00.0 is broken - applying workaround',
          'DMAR: Device scope type does not match for 0000:00:1f.0',
          'DMAR: [Firmware Bug]: No DRHD structure found in DMAR table',
        ].join('\n'),
      ),
    ).toEqual([
      { kind: 'drhd-invalid-address', address: 0xfed90000n, allOnes: true, firmwareBug: true },
      { kind: 'drhd-invalid-address', address: 0n, allOnes: false, firmwareBug: true },
      { kind: 'rhsa-no-drhd', address: 0xfbffe000n, firmwareBug: true },
      { kind: 'ioapic-no-iommu', ioapic: 8, firmwareBug: true },
      { kind: 'andd-unterminated', firmwareBug: true },
      { kind: 'rmrr-path-broken', device: '03:00.0', firmwareBug: true },
      { kind: 'scope-type-mismatch', device: '0000:00:1f.0', firmwareBug: false },
      { kind: 'no-drhd', firmwareBug: true },
    ]);
  });

  it('unit lines: register values', () => {
    expect(events('DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 1c0000c40660462 ecap 7e3ff0501e')).toEqual([
      { kind: 'unit', unit: 'dmar0', base: 0xfed90000n, version: '1:0', cap: 0x1c0000c40660462n, ecap: 0x7e3ff0501en },
    ]);
  });

  it('DMA faults in every format', () => {
    expect(
      events(
        [
          // 5.13+: 0x reason, NO_PASID
          'DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0x7ff00000 [fault reason 0x06] PTE Read access is not set',
          'DMAR: [DMA Write PASID 0x1] Request device [3b:00.0] fault addr 0xfffff000 [fault reason 0x05] PTE Write access is not set',
          // 5.2-5.12: PASID ffffffff, decimal reason
          'DMAR: [DMA Read] Request device [00:02.0] PASID ffffffff fault addr 7ff00000 [fault reason 06] PTE Read access is not set',
          // 4.x: no PASID, decimal reason
          'DMAR: [DMA Write] Request device [02:00.0] fault addr 95a4e000 [fault reason 05] PTE Write access is not set',
          // 3.x: reason on its own line
          'DMAR:[DMA Read] Request device [00:1d.0] fault addr bb5c0000 ',
          'DMAR:[fault reason 06] PTE Read access is not set',
        ].join('\n'),
      ),
    ).toEqual([
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x7ff00000n, reason: 6, reasonText: 'PTE Read access is not set' },
      { kind: 'dma-fault', access: 'write', pasid: 1, device: '3b:00.0', address: 0xfffff000n, reason: 5, reasonText: 'PTE Write access is not set' },
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x7ff00000n, reason: 6, reasonText: 'PTE Read access is not set' },
      { kind: 'dma-fault', access: 'write', device: '02:00.0', address: 0x95a4e000n, reason: 5, reasonText: 'PTE Write access is not set' },
      { kind: 'dma-fault', access: 'read', device: '00:1d.0', address: 0xbb5c0000n, reason: 6, reasonText: 'PTE Read access is not set' },
    ]);
  });

  it('a fault reason wider than the 8-bit field is no reason a kernel printed: kept as printed, no code (it was shown rounded, then lost)', () => {
    expect(
      events(
        [
          'DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0x1000 [fault reason 0x20000000000001] x',
          'DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0x1000 [fault reason 0xff] x',
          'DMAR: [DMA Read] Request device [00:02.0] fault addr 1000 [fault reason 255] y',
          // decimal and hex alike: 300 and 0x100 are no u8, 006 is 6
          'DMAR: [DMA Read] Request device [00:02.0] fault addr 1000 [fault reason 300] z',
          'DMAR: [DMA Read] Request device [00:02.0] fault addr 1000 [fault reason 0x100] z',
          'DMAR: [DMA Read] Request device [00:02.0] fault addr 1000 [fault reason 006] z',
        ].join('\n'),
      ),
    ).toEqual([
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x1000n, reasonPrinted: '0x20000000000001', reasonText: 'x' },
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x1000n, reason: 255, reasonText: 'x' },
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x1000n, reason: 255, reasonText: 'y' },
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x1000n, reasonPrinted: '300', reasonText: 'z' },
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x1000n, reasonPrinted: '0x100', reasonText: 'z' },
      { kind: 'dma-fault', access: 'read', device: '00:02.0', address: 0x1000n, reason: 6, reasonText: 'z' },
    ]);
    const x = explainLog(parseKernelLog('DMAR: [DMA Read] Request device [00:02.0] fault addr 1000 [fault reason 0x100] z\n', 'x')).entries[0]!;
    expect(x.fault?.reasonPrinted).toBe('0x100');
    expect(x.meaning).toContain('fault reason 0x100 as printed, which is no reason a kernel prints (the field is 8 bits: a damaged log)');
  });

  it('interrupt remapping faults: 0x25 printed as decimal 37 before 5.13', () => {
    expect(
      events(
        [
          'DMAR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x0 [fault reason 0x25] Blocked a compatibility format interrupt request',
          'DMAR: [INTR-REMAP] Request device [00:1f.0] fault index 2f [fault reason 37] Blocked a compatibility format interrupt request',
          'INTR-REMAP: Request device [[f0:1f.7] fault index 0',
          'INTR-REMAP:[fault reason 34] Present field in the IRTE entry is clear',
        ].join('\n'),
      ),
    ).toEqual([
      { kind: 'intr-fault', device: 'f0:1f.0', index: 0n, reason: 0x25, reasonText: 'Blocked a compatibility format interrupt request' },
      { kind: 'intr-fault', device: '00:1f.0', index: 0x2fn, reason: 37, reasonText: 'Blocked a compatibility format interrupt request' },
      { kind: 'intr-fault', device: 'f0:1f.7', index: 0n, reason: 34, reasonText: 'Present field in the IRTE entry is clear' },
    ]);
  });

  it('known informational lines; unknown lines of these drivers are kept as unrecognised; other lines ignored', () => {
    const log = parseKernelLog(
      [
        'DMAR: IOMMU enabled',
        'DMAR: Frobnicating the widgets',
        'DMAR: [Firmware Bug]: something new',
        'usb 1-1: new high-speed USB device number 2 using xhci_hcd',
        'vfio-pci 0000:01:00.0: Device is ineligible for IOMMU domain attach due to platform RMRR requirement.  Contact your platform vendor.',
        'DMAR: DRHD: handling fault status reg 3',
        'vfio-pci 0000:02:00.1: Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.',
        'DMAR: No RMRR found',
        'DMAR: dmar0: Using Register based invalidation',
        'DMAR: IOMMU batching disallowed due to virtualization',
        "x2apic: IRQ remapping doesn't support X2APIC mode",
      ].join('\n'),
      't',
    );
    expect(log.dmar.map((d) => d.event.kind)).toEqual([
      'info',
      'unrecognised',
      'firmware-bug',
      'rmrr-locked',
      'fault-status',
      'rmrr-locked',
      'info',
      'info',
      'info',
      'x2apic-off',
    ]);
    expect(log.dmar[9]!.subsystem).toBe('x2apic');
    // the IOMMU core's words for the same refusal (later kernels)
    expect(log.dmar[5]!.event).toEqual({ kind: 'rmrr-locked', device: '0000:02:00.1' });
    expect(log.dmar[3]!.event).toEqual({ kind: 'rmrr-locked', device: '0000:01:00.0' });
    expect(log.dmar[3]!.subsystem).toBe('device');
    expect(log.dmar[4]!.event).toEqual({ kind: 'fault-status', status: 3 });
  });
});

// Formats an audit found missed: real lines of older kernels and of the tools people paste logs from.
describe('older kernels and other log tools', () => {
  const entries = (text: string) => parseKernelLog(text, 't').dmar.map((d) => [d.line, d.subsystem, d.event.kind]);

  it("3.x: dmar.c's lowercase `dmar: ` prefix, `IOMMU N: reg_base_addr`, and the interrupt-remapping lines it printed bare", () => {
    // a 3.13 boot (MacBookPro9,2), and the old fault form of the DPDK known-issues page
    const log = parseKernelLog(
      [
        '[    0.025124] dmar: Host address width 36',
        '[    0.025133] dmar: IOMMU 0: reg_base_addr fed90000 ver 1:0 cap c0000020e60262 ecap f0101a',
        '[    0.025140] dmar: RMRR base: 0x0000008b800000 end: 0x0000008f9fffff',
        '[    0.025211] IOAPIC id 0 under DRHD base  0xfed91000 IOMMU 1',
        '[    0.025213] [Firmware Bug]: ioapic 2 has no mapping iommu, interrupt remapping will be disabled',
        '[    0.025214] Not enable interrupt remapping',
        '[    1.0] dmar: DRHD: handling fault status reg 2',
        '[    1.0] dmar: DMAR:[DMA Read] Request device [02:00.0] fault addr a0c58000',
      ].join('\n'),
      't',
    );
    expect(log.dmar.map((d) => [d.subsystem, d.event.kind])).toEqual([
      ['DMAR', 'haw'],
      ['DMAR', 'unit'],
      ['DMAR', 'rmrr'],
      ['DMAR-IR', 'ir-scope'],
      ['DMAR-IR', 'ioapic-no-iommu'],
      ['DMAR-IR', 'ir-disabled'],
      ['DMAR', 'fault-status'],
      ['DMAR', 'dma-fault'],
    ]);
    expect(log.dmar[1]!.event).toEqual({ kind: 'unit', unit: 'dmar0', base: 0xfed90000n, version: '1:0', cap: 0xc0000020e60262n, ecap: 0xf0101an });
    expect(log.dmar[7]!.event).toEqual({ kind: 'dma-fault', access: 'read', device: '02:00.0', address: 0xa0c58000n });
  });

  it("4.x: the glued fault prefix after pr_fmt's, and the reason on the record's indented second line", () => {
    // an Ubuntu 16.04 (4.4) paste: dmesg indents the later lines of one record
    const log = parseKernelLog(
      [
        '[   20.210640] DMAR: DMAR:[DMA Read] Request device [04:00.0] fault addr ca6d5000 ',
        '               DMAR:[fault reason 01] Present bit in root entry is clear',
      ].join('\n'),
      't',
    );
    expect(log.dmar.map((d) => d.event)).toEqual([
      { kind: 'dma-fault', access: 'read', device: '04:00.0', address: 0xca6d5000n, reason: 1, reasonText: 'Present bit in root entry is clear' },
    ]);
  });

  it('journalctl short-monotonic, short-precise, short-full; dmesg --time-format=iso, -H; an indented paste; \\r\\r\\n line ends', () => {
    const fault = 'DMAR: [DMA Write] Request device [00:12.0] fault addr 0 [fault reason 05] PTE Write access is not set';
    const lines = [
      `[    7.637276] LibreELEC kernel: ${fault}`,
      `Sep 15 14:07:45.123456 host kernel: ${fault}`,
      `Mon 2023-09-15 14:07:45 CEST host kernel: ${fault}`,
      `2023-09-15T14:07:45,123456+02:00 ${fault}`,
      `[Sep15 14:07] ${fault}`,
      `[  +0.000005] ${fault}`,
      `    [10672.868940] ${fault}`,
    ];
    expect(logLines(lines.join('\n')).map((l) => l.text)).toEqual(lines.map(() => fault));
    expect(entries(lines.join('\n'))).toEqual(lines.map((_, i) => [i + 1, 'DMAR', 'dma-fault']));
    // a serial capture's \r\r\n: the e820 line and the DMAR text without a \r
    const serial = parseKernelLog('BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\r\r\nDMAR: IOMMU enabled\r\r\n', 't');
    expect(serial.memoryMap?.regions.map((r) => r.type)).toEqual(['usable']);
    expect(serial.dmar.map((d) => d.text)).toEqual(['DMAR: IOMMU enabled']);
  });

  it('runs of carriage returns are read once: a line of 200,000 (a crafted log) is one line, cut and listed, not scanned again from each', () => {
    // split on /\r*\n/ scanned each run from every CR in it: this log took some 36 s, one of 16 MiB hours
    const lines = logLines(`DMAR: x${'\r'.repeat(200_000)}x\nDMAR: IOMMU enabled${'\r'.repeat(100_000)}\n${'\r'.repeat(100_000)}`);
    expect(lines.map((l) => [l.line, l.tooLong === true, l.text.length])).toEqual([
      [1, true, 7],
      [2, false, 19],
      [3, false, 0],
    ]);
    expect(lines[1]!.raw).toBe('DMAR: IOMMU enabled');
  });

  it('a damaged map line: refused where the map judges (--dmesg), told and left out where it does not (explain)', () => {
    const text = 'BIOS-e820: [mem 0x0000000000100000-0x00000000000fffff] usable\nDMAR: IOMMU enabled\n';
    expect(() => parseKernelLog(text, 't')).toThrow(DmarError);
    const told: string[] = [];
    const log = parseKernelLog(text, 't', 'latin1', { damagedMap: (m) => told.push(m) });
    expect(told).toEqual([
      'line 1: "BIOS-e820: [mem 0x0000000000100000-0x00000000000fffff] usable": not a range of the 64-bit address space (a damaged log): the log\'s memory map is left out',
    ]);
    expect(log.memoryMap).toBeUndefined();
    expect(log.dmar.map((d) => d.event.kind)).toEqual(['info']);
  });
});

// Lines of public reports a second audit found read wrongly or not at all (each from a real log unless said).
describe('more real lines: 4.x interrupt faults, device-prefixed messages, masked addresses, older x2APIC wordings', () => {
  const parse = (lines: string[]) => parseKernelLog(lines.join('\n'), 't').dmar;

  it('the 3.x-4.x interrupt-remapping fault after the prefix, its reason on the next (indented) line', () => {
    const d = parse([
      '[    0.151224] DMAR: INTR-REMAP: Request device [[f0:1f.0] fault index 0',
      '               INTR-REMAP:[fault reason 37] Blocked a compatibility format interrupt request',
      '[    0.151224] dmar: INTR-REMAP: Request device [[f0:1f.7] fault index 2f',
      '               INTR-REMAP:[fault reason 34] Present field in the IRTE entry is clear',
    ]);
    expect(d.map((l) => l.event)).toEqual([
      { kind: 'intr-fault', device: 'f0:1f.0', index: 0n, reason: 37, reasonText: 'Blocked a compatibility format interrupt request' },
      { kind: 'intr-fault', device: 'f0:1f.7', index: 0x2fn, reason: 34, reasonText: 'Present field in the IRTE entry is clear' },
    ]);
  });

  it("iommu.c's device messages (`pci 0000:00:02.0: DMAR: ...`) are listed, never dropped", () => {
    const d = parse(['[    0.537138] pci 0000:00:02.0: DMAR: Skip IOMMU disabling for graphics', 'pci 0000:00:02.0: DMAR: Frobnicating']);
    expect(d.map((l) => [l.subsystem, l.event.kind])).toEqual([
      ['DMAR', 'info'],
      ['DMAR', 'unrecognised'],
    ]);
  });

  it('an address a poster masked (`ffxxxxxx`) is no fault line; a reason pasted onto its fault line with its old prefix is read', () => {
    const d = parse([
      'DMAR: [DMA Read] Request device [06:00.0] fault addr ffxxxxxx [fault reason 06] PTE Read access is not set',
      // DPDK's documentation joins the two lines of a 3.x fault into one
      'dmar: DMAR:[DMA Read] Request device [01:00.0] fault addr 37ae5000 DMAR:[fault reason 02] Present bit in context entry is clear',
      'INTR-REMAP: Request device [[f0:1f.0] fault index 0zz',
    ]);
    expect(d.map((l) => l.event)).toEqual([
      { kind: 'unrecognised' },
      { kind: 'dma-fault', access: 'read', device: '01:00.0', address: 0x37ae5000n, reason: 2, reasonText: 'Present bit in context entry is clear' },
      { kind: 'unrecognised' },
    ]);
  });

  it('the 3.x x2APIC opt-out line without a prefix and the 4.x `IRQ remapping ... disable x2apic.`', () => {
    const d = parse([
      "x2apic is disabled because BIOS sets x2apic opt out bit. You can use 'intremap=no_x2apic_optout' to override the BIOS setting.",
      "[    0.484254] IRQ remapping doesn't support X2APIC mode, disable x2apic.",
      // 3.x printed its companion line bare as well
      "Use 'intremap=no_x2apic_optout' to override BIOS request.",
    ]);
    expect(d.map((l) => [l.subsystem, l.event.kind])).toEqual([
      ['DMAR-IR', 'x2apic-optout'],
      ['x2apic', 'x2apic-off'],
      ['DMAR-IR', 'info'],
    ]);
  });

  it("harmless lines of 3.x-6.x are told as informational, 3.x's `IOMMU 0 0xfed90000: using Queued invalidation` too", () => {
    const d = parse([
      'DMAR: Enable scalable mode if hardware supports',
      'DMAR: IOMMU feature fl1gp_support inconsistent',
      'Intel-IOMMU: enabled',
      'IOMMU 0 0xfed90000: using Queued invalidation',
      'IOMMU 1 0xfed91000: using Register based invalidation',
    ]);
    expect(d.map((l) => l.event.kind)).toEqual(['info', 'info', 'info', 'info', 'info']);
  });

  it('invalidation queue errors and their descriptors, in their 5.x-6.x and older words', () => {
    const d = parse([
      'DMAR: VT-d detected Invalidation Time-out Error: SID 5300',
      'DMAR: VT-d detected Invalidation Queue Error: Reason f',
      'DMAR: QI HEAD: UNKNOWN qw0 = 0x0, qw1 = 0x0',
      'DMAR: QI PRIOR: Invalidation Wait qw0 = 0x200000025, qw1 = 0x185f6729c4',
      'DMAR: Invalidation Time-out Error (ITE) cleared',
      'DMAR: VT-d detected invalid descriptor: qw0 = 2000000000000, qw1 = 0',
      // a source ID wider than the 16 bits a kernel prints: no such line
      'DMAR: VT-d detected Invalidation Time-out Error: SID 123456',
    ]);
    expect(d.map((l) => l.event)).toEqual([
      { kind: 'qi-error', error: 'ITE', sid: 0x5300 },
      { kind: 'qi-error', error: 'IQE', info: 0xf },
      { kind: 'qi-descriptor', which: 'head', type: 'UNKNOWN', qw0: 0n, qw1: 0n },
      { kind: 'qi-descriptor', which: 'prior', type: 'Invalidation Wait', qw0: 0x200000025n, qw1: 0x185f6729c4n },
      { kind: 'qi-error', error: 'ITE', cleared: true },
      { kind: 'qi-error', error: 'IQE' },
      { kind: 'unrecognised' },
    ]);
  });
});

// An audit of real boot logs found facts of several boots combined.
describe('the facts of one boot', () => {
  const map = (ram: string, rmrrReserved: boolean) => [
    `BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] ${ram}`,
    `BIOS-e820: [mem 0x000000003e2e0000-0x000000003e2fffff] ${rmrrReserved ? 'reserved' : ram}`,
    `BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] ${ram}`,
  ];
  const unit = (n: number) => `DMAR: dmar${n}: reg_base_addr fed9${n}000 ver 1:0 cap 1c0000c40660462 ecap 19e2ff0505e`;

  it('a last boot cut short before its map: map, kernel and units all come from the boot before it, which printed one', () => {
    const log = parseKernelLog(
      [
        'Linux version 5.10.0-8-amd64 (debian-kernel@lists.debian.org) #1 SMP',
        ...map('usable', true),
        unit(0),
        unit(1),
        'Linux version 4.19.0-17-amd64 (debian-kernel@lists.debian.org) #1 SMP',
      ].join('\n'),
      't',
    );
    expect([log.boots, log.factsBoot, log.kernel?.release, log.memoryMap?.regions.length]).toEqual([2, 1, '5.10.0-8-amd64', 3]);
    expect(logUnits(log).map((u) => u.name)).toEqual(['dmar0', 'dmar1']);
  });

  it('the maps of several boots without their `Linux version` lines (grepped): a map that starts again is another boot, the last one is read', () => {
    const log = parseKernelLog([...map('usable', true), ...map('usable', false)].join('\n'), 't');
    expect(log.memoryMap?.regions.map((r) => r.kind)).toEqual(['ram', 'ram', 'ram']);
  });
});
