import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixChecksum } from '../../src/acpi/header.js';
import { checkById } from '../../src/dmar/validate/catalogue.js';
import { parseKernelLog } from '../../src/machine/kernel-log.js';
import { explainLog, tableView } from '../../src/machine/log-explain.js';
import { corpusTable, drhdTable, FIXTURES, HAVE_CORPUS } from '../helpers.js';

const LOGS = join(FIXTURES, 'logs');
const log = (name: string) => parseKernelLog(readFileSync(join(LOGS, name), 'latin1'), name);

describe('real logs (fixtures/logs)', () => {
  it('Surface Pro 3: two RMRRs not reserved, one bad-RMRR line each, the map and the kernel', () => {
    const l = log('surface-pro-3.log');
    expect(l.kernel).toMatchObject({ major: 5, minor: 10 });
    expect(l.memoryMap!.regions).toHaveLength(18);
    expect(l.memoryMap!.regions.find((r) => r.type === 'type 20')!.kind).toBe('other');
    const x = explainLog(l);
    const bugs = x.entries.filter((e) => e.category === 'firmware-bug');
    expect(bugs.map((b) => b.kind)).toEqual(['rmrr-not-reserved', 'bad-rmrr', 'rmrr-not-reserved', 'bad-rmrr']);
    // aligned and ordered ranges: the bad-RMRR lines are the memory map's doing
    expect(bugs.every((b) => b.checks.join() === 'DMAR-RMRR-NOT-RESERVED')).toBe(true);
    expect(bugs[1]!.continuation).toEqual(['BIOS vendor: American Megatrends Inc.; Ver: 3.11.2650; Product Version: 1']);
    expect(x.counts.unrecognised).toBe(0);
    expect(x.entries.filter((e) => e.category === 'unit').map((e) => e.unit!.summary.interruptRemapping)).toEqual([true, true]);
  });

  it.skipIf(!HAVE_CORPUS)('Surface Pro 3 with its table: each firmware-bug line names its RMRR', () => {
    const x = explainLog(log('surface-pro-3.log'), tableView(corpusTable('074C5C2E091B'), '074C5C2E091B.dmar'));
    const bugs = x.entries.filter((e) => e.kind === 'rmrr-not-reserved');
    expect(bugs.map((b) => b.table!.structure)).toEqual(['RMRR #1', 'RMRR #2']);
    expect(bugs[0]!.table!.text).toContain('scopes 00:14.0');
    expect(bugs[1]!.table!.text).toContain('scopes 00:02.0');
    const units = x.entries.filter((e) => e.kind === 'unit');
    expect(units.map((u) => u.table!.structure)).toEqual(['DRHD #1', 'DRHD #2']);
  });

  it('IdeaPad 320: no firmware bug', () => {
    const x = explainLog(log('ideapad-320-15isk.log'));
    expect(x.counts['firmware-bug']).toBe(0);
    expect(x.counts.unit).toBe(2);
  });

  it('Chromebook Pixel: ioapic with no unit, behind a `kernel: ` prefix', () => {
    const x = explainLog(log('chromebook-pixel-2013.log'));
    const bug = x.entries.find((e) => e.category === 'firmware-bug')!;
    expect(bug.kind).toBe('ioapic-no-iommu');
    expect(bug.checks).toEqual(['DMAR-MADT-IOAPIC-UNMAPPED']);
    expect(bug.fix).toContain('Enumeration ID 0');
    expect(x.entries.filter((e) => e.kind === 'ir-disabled')).toHaveLength(2);
  });

  it('Dell R630 (4.9 WARN_TAINT, no DMAR: prefix, wall-clock stamp): registers all ones', () => {
    const x = explainLog(log('dell-r630-linuxboot.log'));
    expect(x.entries).toHaveLength(1);
    expect(x.entries[0]).toMatchObject({ kind: 'drhd-invalid-address', checks: ['DMAR-UNIT-REGS-ALL-ONES'] });
    expect(x.entries[0]!.continuation).toEqual(['BIOS vendor: (null); Ver: (null); Product Version: (null)']);
  });

  it('faults: every format decoded; printed reason text agrees with the table', () => {
    const x = explainLog(log('faults.log'));
    const faults = x.entries.filter((e) => e.fault);
    expect(faults.map((f) => [f.fault!.device, f.fault!.reason!.code])).toEqual([
      ['00:02.0', 0x01],
      ['00:02.0', 0x06],
      ['00:02.0', 0x0c],
      ['03:00.0', 0x71],
      ['00:02.0', 0x06],
      ['00:02.0', 0x02],
      ['06:00.0', 0x06],
      ['00:12.0', 0x05],
    ]);
    expect(faults.some((f) => f.fault!.printed)).toBe(false);
    expect(x.entries.find((e) => e.kind === 'faults-suppressed')!.meaning).toContain('893');
    expect(x.entries.find((e) => e.text.endsWith('reg 402'))!.meaning).toContain('first fault record 4');
  });
});

describe('fault lines grouped by device, access and reason', () => {
  it('faults.log: one group per device, access, PASID and reason; by device, each in the order it first appears', () => {
    const x = explainLog(log('faults.log'));
    expect(x.faults.map((g) => [g.device, g.access, g.reason?.code, g.lines, g.first, g.last])).toEqual([
      ['00:02.0', 'read', 0x01, 1, 1, 1],
      ['00:02.0', 'read', 0x06, 2, 3, 9],
      ['00:02.0', 'read', 0x0c, 1, 4, 4],
      ['00:02.0', 'write', 0x02, 1, 10, 10],
      ['03:00.0', 'read', 0x71, 1, 6, 6],
      ['06:00.0', 'read', 0x06, 1, 12, 12],
      ['00:12.0', 'write', 0x05, 1, 13, 13],
    ]);
    expect(x.faults[1]).toMatchObject({ lowest: 0x7c346000n, highest: 0x9c000000n });
    // the fault lines themselves, not the other lines of the category (fault status, callbacks suppressed)
    expect(x.faults.reduce((n, g) => n + g.lines, 0)).toBe(x.entries.filter((e) => e.fault).length);
  });

  it('a fault storm is one group: its count, its first and last line, the addresses it spans', () => {
    const lines = Array.from(
      { length: 3000 },
      (_, i) =>
        `DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr ${(0x7f000000 + ((i * 7919) % 3000) * 0x1000).toString(16)} [fault reason 0x06] PTE Read access is not set`,
    );
    lines.splice(
      1500,
      0,
      'DMAR-IR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x21 [fault reason 0x25] Blocked a compatibility format interrupt request',
    );
    lines.push('DMAR-IR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x3 [fault reason 0x25] Blocked a compatibility format interrupt request');
    const x = explainLog(parseKernelLog(lines.join('\n'), 'storm'));
    expect(x.faults).toEqual([
      expect.objectContaining({
        kind: 'dma-fault',
        device: '00:02.0',
        lines: 3000,
        first: 1,
        last: 3001,
        lowest: 0x7f000000n,
        highest: 0x7f000000n + 2999n * 0x1000n,
      }),
      expect.objectContaining({ kind: 'intr-fault', device: 'f0:1f.0', lines: 2, first: 1501, last: 3002, lowestIndex: 0x3n, highestIndex: 0x21n }),
    ]);
    expect(x.faults[0]!.reason!.code).toBe(0x06);
    expect(x.faults[0]!.rmrrs).toBeUndefined();
  });

  it.skipIf(!HAVE_CORPUS)("with a table: the RMRRs a group's addresses fell in, and none for a group outside them", () => {
    const t = tableView(corpusTable('074C5C2E091B'), 'sp3');
    const l = parseKernelLog(
      [
        'DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0xad100000 [fault reason 0x06] PTE Read access is not set',
        'DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0x1000 [fault reason 0x06] PTE Read access is not set',
        'DMAR: [DMA Write NO_PASID] Request device [00:02.0] fault addr 0x1000 [fault reason 0x05] PTE Write access is not set',
        'DMAR: [DMA Read PASID 0x1] Request device [00:02.0] fault addr 0xad100000 [fault reason 0x06] PTE Read access is not set',
      ].join('\n'),
      'x',
    );
    const x = explainLog(l, t);
    expect(x.faults.map((g) => [g.access, g.pasid, g.lines, g.rmrrs])).toEqual([
      ['read', undefined, 2, ['RMRR #2']],
      ['write', undefined, 1, []],
      ['read', 1, 1, undefined],
    ]);
    // the read group's two addresses: one in RMRR #2, one in none
    expect(x.faults.map((g) => g.rmrrLines)).toEqual([1, 0, undefined]);
  });
});

describe('fault addresses against the table', () => {
  it('an address wider than the 64 bits a kernel prints (a damaged log): not shown whole, matched to no RMRR, spanned by no group', () => {
    const t = tableView(drhdTable([{ base: 0xfed90000n }]), 't');
    const line = (addr: string) => `DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0x${addr} [fault reason 0x06] PTE Read access is not set`;
    const x = explainLog(parseKernelLog([line('f'.repeat(300)), line('1000')].join('\n'), 'x'), t);
    const [wide, plain] = x.entries;
    expect(wide!.meaning).toContain('read from an address of 300 hex digits as printed, wider than the 64 bits a kernel prints (a damaged log)');
    expect(wide!.meaning).not.toContain('f'.repeat(17));
    expect(wide!.table!.text).toBe('the address is wider than 64 bits: not matched against the RMRRs of t');
    expect(wide!.fault!.rmrrs).toBeUndefined();
    expect(plain!.meaning).toContain('read from 0x1000');
    expect(x.faults).toEqual([expect.objectContaining({ lines: 2, lowest: 0x1000n, highest: 0x1000n })]);
  });

  it('an interrupt index wider than 64 bits and a PASID wider than 32: damaged too, never a number that lost digits', () => {
    const lines = [
      'DMAR-IR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x123456789012345678901234 [fault reason 0x25] Blocked a compatibility format interrupt request',
      'DMAR-IR: [INTR-REMAP] Request device [f0:1f.0] fault index 0x1 [fault reason 0x25] Blocked a compatibility format interrupt request',
      'DMAR: [DMA Read PASID 0x1000000000000000000001] Request device [00:02.0] fault addr 0x1000 [fault reason 0x06] PTE Read access is not set',
      'DMAR: [DMA Read PASID 0x1000000000000000000002] Request device [00:02.0] fault addr 0x2000 [fault reason 0x06] PTE Read access is not set',
    ];
    const x = explainLog(parseKernelLog(lines.join('\n'), 'x'), tableView(drhdTable([{ base: 0xfed90000n }]), 't'));
    const [index, , p1] = x.entries;
    expect(index!.meaning).toContain('remapping table index an index of 24 hex digits as printed, wider than the 64 bits a kernel prints (a damaged log)');
    expect(p1!.fault!.pasid).toBeUndefined();
    expect(p1!.fault!.pasidPrinted).toBe('0x1000000000000000000001');
    expect(p1!.meaning).toContain('(a PASID of 22 hex digits as printed, wider than the 32 bits a kernel prints (a damaged log))');
    expect(p1!.table!.text).toContain('not matched against the RMRRs');
    // the interrupt group spans only the index a kernel could print; the two damaged PASIDs are two groups
    expect(x.faults.map((g) => [g.kind, g.lines, g.lowestIndex, g.highestIndex, g.pasidPrinted])).toEqual([
      ['intr-fault', 2, 1n, 1n, undefined],
      ['dma-fault', 1, undefined, undefined, '0x1000000000000000000001'],
      ['dma-fault', 1, undefined, undefined, '0x1000000000000000000002'],
    ]);
  });

  it.skipIf(!HAVE_CORPUS)('an address inside an RMRR naming the device, one naming another device, and none', () => {
    const t = tableView(corpusTable('074C5C2E091B'), 'sp3');
    const l = parseKernelLog(
      [
        'DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr 0xad100000 [fault reason 0x06] PTE Read access is not set',
        'DMAR: [DMA Read NO_PASID] Request device [00:14.0] fault addr 0xad100000 [fault reason 0x06] PTE Read access is not set',
        'DMAR: [DMA Write NO_PASID] Request device [00:02.0] fault addr 0x1000 [fault reason 0x05] PTE Write access is not set',
      ].join('\n'),
      'x',
    );
    const [a, b, c] = explainLog(l, t).entries;
    expect(a!.fault!.rmrrs).toEqual([expect.objectContaining({ structure: 'RMRR #2', namesDevice: 'yes' })]);
    expect(a!.table!.text).toContain('which names 00:02.0');
    expect(b!.fault!.rmrrs![0]!.namesDevice).toBe('no');
    expect(b!.table!.text).toContain('does not name 00:14.0');
    expect(c!.fault!.rmrrs).toEqual([]);
    expect(c!.table!.text).toContain('in no RMRR');
  });

  it('a printed reason that differs from this table is kept', () => {
    const [x] = explainLog(parseKernelLog('DMAR: [DMA Read] Request device [00:02.0] fault addr 1000 [fault reason 06] Something else\n', 'x')).entries;
    expect(x!.fault!.printed).toBe('Something else');
  });
});

it('every check ID an explanation names is in the catalogue', () => {
  const kinds = [
    'DMAR: [Firmware Bug]: No firmware reserved region can cover this RMRR [0x0000000038800000-0x000000003cffffff], contact BIOS vendor for fixes',
    'DMAR: [Firmware Bug]: Your BIOS is broken; bad RMRR [0x0000000038800001-0x000000003cffffff]',
    'DMAR: [Firmware Bug]: RMRR entry for device 03:00.0 is broken - applying workaround',
    'DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address fed90000 returns all ones!',
    'DMAR: [Firmware Bug]: Your BIOS is broken; DMAR reported at address 0!',
    'DMAR: [Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at fbffe000',
    'DMAR: [Firmware Bug]: Your BIOS is broken; ANDD object name is not NUL-terminated',
    'DMAR: [Firmware Bug]: No DRHD structure found in DMAR table',
    'DMAR: [Firmware Bug]: Record passes table end',
    'DMAR: [Firmware Bug]: Invalid 0-length structure',
    'DMAR-IR: [Firmware Bug]: ioapic 8 has no mapping iommu, interrupt remapping will be disabled',
    'DMAR: Device scope type does not match for 0000:00:1f.0',
    'DMAR: Device scope device [0000:00:1f.07] not found',
    'DMAR: Unsupported device scope',
    'DMAR: Invalid DMAR haw',
    'DMAR-IR: dmar0 does not support EIM',
  ].join('\n');
  const x = explainLog(parseKernelLog(kinds, 'x'));
  expect(x.counts.unrecognised).toBe(0);
  const ids = new Set(x.entries.flatMap((e) => e.checks));
  expect(ids.size).toBeGreaterThan(10);
  for (const id of ids) expect(checkById(id), id).toBeDefined();
  // a misaligned bad RMRR is the table's shape, not the memory map
  expect(x.entries[1]!.checks).toEqual(['DMAR-RMRR-ALIGN']);
});

describe('a table of many DRHDs and a log of many unit lines: each line names its DRHD (found in an index made once per table)', () => {
  // an index, not a find over the DRHDs per line: 80,000 lines against 65,000 DRHDs took 60 s, now under 2
  // (measured by hand: no timed tests); here, that the index finds what the walk found, the first of equals
  const n = 2000;
  const b = drhdTable(Array.from({ length: n }, (_, i) => ({ base: 0x100000000n + 0x1000n * BigInt(i), ioapic: i & 0xff })));
  const base = (i: number) => `0x${(0x100000000 + 0x1000 * i).toString(16).padStart(16, '0')}`;
  const lines = Array.from({ length: n }, (_, i) =>
    i % 2 ? `DMAR: DRHD base: ${base(n - 1 - i)} flags: 0x0` : `DMAR-IR: IOAPIC id ${(n - 1 - i) & 0xff} under DRHD base  ${base(n - 1 - i)} IOMMU 0`,
  );
  it('every line names its DRHD', () => {
    const x = explainLog(parseKernelLog(`${lines.join('\n')}\n`, 't'), tableView(b, 't.bin'));
    expect(x.entries).toHaveLength(n);
    expect(x.entries.map((e) => e.table?.structure)).toEqual(lines.map((_, i) => `DRHD #${n - i}`));
  });
  it('of two DRHDs at one base, the first; an IOAPIC line, the DRHD at that base with that ID', () => {
    const twice = Uint8Array.from(b);
    new DataView(twice.buffer).setBigUint64(48 + 24 * 7 + 8, 0x100000000n + 0x1000n * 3n, true); // DRHD #8 at DRHD #4's base
    fixChecksum(twice);
    const x = explainLog(
      parseKernelLog(`DMAR: DRHD base: ${base(3)} flags: 0x0\nDMAR-IR: IOAPIC id 7 under DRHD base  ${base(3)} IOMMU 0\n`, 't'),
      tableView(twice, 't.bin'),
    );
    // DRHD #4 has IOAPIC 3, DRHD #8 (at the same base) IOAPIC 7
    expect(x.entries.map((e) => e.table?.structure)).toEqual(['DRHD #4', 'DRHD #8']);
  });
});

describe('invalidation queue errors (qi_check_fault, qi_dump_fault)', () => {
  it('a time-out names the device of its source ID; SID 0 is told as none recorded; the descriptors and the clearing are explained', () => {
    const x = explainLog(
      parseKernelLog(
        [
          // real lines: a vendor-reset report (SID 0) and a host hung by a GPU after reset (SID 5300)
          'DMAR: VT-d detected Invalidation Time-out Error: SID 5300',
          'DMAR: QI PRIOR: Device-TLB Invalidation qw0 = 0x5300530000000003, qw1 = 0x7ffffffffffff001',
          'DMAR: VT-d detected Invalidation Completion Error: SID 0',
          'DMAR: QI HEAD: UNKNOWN qw0 = 0x0, qw1 = 0x0',
          'DMAR: Invalidation Completion Error (ICE) cleared',
          'DMAR: VT-d detected Invalidation Queue Error: Reason f',
        ].join('\n'),
        'x',
      ),
    );
    const [ite, prior, ice, head, cleared, iqe] = x.entries;
    expect(x.entries.map((e) => e.category)).toEqual(['fault', 'fault', 'fault', 'fault', 'fault', 'fault']);
    expect(ite!.meaning).toContain('a device did not complete a Device-TLB invalidation (PCIe ATS) in time');
    expect(ite!.meaning).toContain('the unit recorded the source ID 0x5300: device 53:00.0');
    expect(prior!.meaning).toBe(
      "the invalidation descriptor before the queue head (the error above concerns one of the two): Device-TLB Invalidation, which the unit sends to a device's ATS cache (PCIe Address Translation Services); qw0 0x5300530000000003, qw1 0x7ffffffffffff001",
    );
    expect(ice!.meaning).toContain('source ID 0: the unit recorded none');
    expect(head!.meaning).toContain('a descriptor of no type the kernel knows');
    expect(cleared!.meaning).toBe("the kernel cleared the invalidation completion error (ICE) in the unit's Fault Status register and goes on");
    expect(iqe!.meaning).toContain("IQEI 0xf (the unit's Invalidation Queue Error Info)");
    expect(x.counts.unrecognised).toBe(0);
  });
});
