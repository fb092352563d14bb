// Linux's RMRR verdict over the memory map: the kernel's own edits of the map, the rule of each
// kernel release, and ranges that span entries (__e820__mapped_all / e820__get_entry_type).
import { describe, expect, test } from 'vitest';
import { kernelE820, mappedAll, rmrrRuleFor, rmrrVerdict, RMRR_RULES, readSysfsMemmap } from '../../src/machine/memmap.js';
import { parseKernelLog, parseKernelRelease } from '../../src/machine/kernel-log.js';
import { withKernelLog } from '../../src/machine/facts.js';
import type { MemKind, MemoryMap } from '../../src/machine/types.js';
import { machineRootFromSpec } from './machines.js';

const R = (start: number, end: number, kind: MemKind) => ({ start: BigInt(start), end: BigInt(end), kind, type: kind });
const map = (...regions: ReturnType<typeof R>[]): MemoryMap => ({ source: 'test', origin: 'sysfs-memmap', regions });
const NEW = RMRR_RULES['reserved-or-nvs'];
const OLD = RMRR_RULES['reserved-only'];

describe("the kernel's edits before the RMRR check", () => {
  test('the first page becomes reserved, RAM between 640 KiB and 1 MiB is removed', () => {
    const t = kernelE820(map(R(0, 0x9ffff, 'ram'), R(0xa0000, 0xfffff, 'ram'), R(0x100000, 0x7fffffff, 'ram')));
    expect(t.map((r) => [r.start, r.end, r.kind])).toEqual([
      [0n, 0xfffn, 'reserved'],
      [0x1000n, 0x9ffffn, 'ram'],
      [0x100000n, 0x7fffffffn, 'ram'],
    ]);
  });
  test('an RMRR on page 0 that the firmware left as RAM is accepted, as Linux accepts it', () => {
    const m = map(R(0, 0x9ffff, 'ram'), R(0x100000, 0x7fffffff, 'ram'));
    expect(rmrrVerdict(m, 0n, 0xfffn, NEW).ok).toBe(true);
    expect(rmrrVerdict(m, 0n, 0xfffn, OLD).ok).toBe(true);
    // a naive check of the raw map would have flagged it; the next page is still RAM
    expect(rmrrVerdict(m, 0x1000n, 0x1fffn, NEW).ok).toBe(false);
  });
  test('an RMRR in the legacy 640K-1M hole reported as RAM is not covered at all (removed, not reserved)', () => {
    const m = map(R(0, 0xfffff, 'ram'), R(0x100000, 0x7fffffff, 'ram'));
    const v = rmrrVerdict(m, 0xe8000n, 0xe8fffn, NEW);
    expect(v.ok).toBe(false);
    expect(v.entry).toBeUndefined();
  });
});

describe('the rule of each kernel release', () => {
  const k = (r: string) => parseKernelRelease(r);
  test('before 5.5 no check; 5.5-6.0 reserved only; 6.1 on reserved or NVS; stable backports', () => {
    expect(rmrrRuleFor(k('5.4.0-150-generic'))).toBeUndefined();
    expect(rmrrRuleFor(k('5.5.0'))).toBe(OLD);
    expect(rmrrRuleFor(k('5.15.0-91-generic'))).toBe(OLD);
    expect(rmrrRuleFor(k('5.15.76'))).toBe(NEW);
    expect(rmrrRuleFor(k('5.10.151'))).toBe(OLD);
    expect(rmrrRuleFor(k('5.10.152'))).toBe(NEW);
    expect(rmrrRuleFor(k('6.0.19'))).toBe(OLD);
    expect(rmrrRuleFor(k('6.1.0-26-amd64'))).toBe(NEW);
    expect(rmrrRuleFor(undefined)).toBe(NEW);
  });
  // Linux commit 5566e68d829f: the RMRR [0x6f760000-0x6f762fff] of that machine lies in ACPI NVS
  const nvs = map(R(0x68bff000, 0x6ebfefff, 'reserved'), R(0x6ebff000, 0x6f9fefff, 'nvs'), R(0x6f9ff000, 0x6fffefff, 'acpi'));
  test('an RMRR in ACPI NVS: a firmware bug for 5.5-6.0, accepted from 6.1', () => {
    expect(rmrrVerdict(nvs, 0x6f760000n, 0x6f762fffn, OLD).ok).toBe(false);
    expect(rmrrVerdict(nvs, 0x6f760000n, 0x6f762fffn, NEW).ok).toBe(true);
  });
  test('an RMRR in ACPI data (tables) fails under both rules', () => {
    expect(rmrrVerdict(nvs, 0x6fa00000n, 0x6fa00fffn, NEW).ok).toBe(false);
    expect(rmrrVerdict(nvs, 0x6fa00000n, 0x6fa00fffn, OLD).ok).toBe(false);
  });
});

describe('ranges spanning entries', () => {
  const t = [R(0x1000, 0x1fff, 'reserved'), R(0x2000, 0x2fff, 'reserved'), R(0x3000, 0x3fff, 'ram'), R(0x4000, 0x4fff, 'nvs'), R(0x6000, 0x6fff, 'reserved')];
  test('contiguous reserved entries cover a range together', () => {
    expect(mappedAll(t, 0x1000n, 0x3000n, 'reserved')?.start).toBe(0x2000n);
  });
  test('a gap is not covered', () => {
    expect(mappedAll(t, 0x4000n, 0x7000n)).toBeUndefined();
  });
  test('get_entry_type reports the entry that completes the cover: RAM then NVS reads as NVS, and 6.1 accepts it', () => {
    const m = map(...t);
    expect(mappedAll(t, 0x3000n, 0x5000n)?.kind).toBe('nvs');
    expect(rmrrVerdict(m, 0x3000n, 0x4fffn, NEW).ok).toBe(true);
    expect(rmrrVerdict(m, 0x3000n, 0x4fffn, OLD).ok).toBe(false);
    expect(rmrrVerdict(m, 0x2000n, 0x3fffn, NEW).ok).toBe(false);
  });
});

describe('readSysfsMemmap', () => {
  test("reads N/{start,end,type} in address order, with Linux's type strings", () => {
    const root = machineRootFromSpec({
      memmap: [
        ['0x100000', '0x7fffffff', 'System RAM'],
        ['0x0', '0x9fbff', 'System RAM'],
        ['0x9fc00', '0x9ffff', 'Reserved'],
        ['0x80000000', '0x8000ffff', 'ACPI Non-volatile Storage'],
      ],
    });
    const m = readSysfsMemmap(root)!;
    expect(m.origin).toBe('sysfs-memmap');
    expect(m.regions.map((r) => [r.start, r.kind])).toEqual([
      [0n, 'ram'],
      [0x9fc00n, 'reserved'],
      [0x100000n, 'ram'],
      [0x80000000n, 'nvs'],
    ]);
  });
  test('no memmap directory: undefined', () => {
    expect(readSysfsMemmap(machineRootFromSpec({}))).toBeUndefined();
  });
});

describe('edits a boot log printed', () => {
  test('`e820: update ... usable ==> reserved` makes an RMRR over that range acceptable, as the kernel judged it', () => {
    const m = map(R(0, 0x9ffff, 'ram'), R(0x100000, 0x9fffffff, 'ram'));
    expect(rmrrVerdict(m, 0x8903d000n, 0x8907afffn, NEW).ok).toBe(false);
    const edits = [{ start: 0x8903d000n, end: 0x8907afffn, from: 'ram' as const, to: 'reserved' as const }];
    expect(rmrrVerdict(m, 0x8903d000n, 0x8907afffn, NEW, edits).ok).toBe(true);
    expect(kernelE820(m, edits).map((r) => [r.start, r.end, r.kind])).toEqual([
      [0n, 0xfffn, 'reserved'],
      [0x1000n, 0x9ffffn, 'ram'],
      [0x100000n, 0x8903cfffn, 'ram'],
      [0x8903d000n, 0x8907afffn, 'reserved'],
      [0x8907b000n, 0x9fffffffn, 'ram'],
    ]);
  });
  test('"Reserving Intel graphics memory" adds reserved over RAM and holes, and leaves ACPI NVS as it was', () => {
    // a desktop whose firmware map leaves the graphics stolen memory (and its RMRR) as a hole and a little RAM
    const m = map(R(0, 0x9ffff, 'ram'), R(0x100000, 0x7bffffff, 'ram'), R(0x7d000000, 0x7d0fffff, 'nvs'));
    const log = parseKernelLog(
      [
        '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
        '[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007bffffff] usable',
        '[    0.000000] BIOS-e820: [mem 0x000000007d000000-0x000000007d0fffff] ACPI NVS',
        '[    0.000000] Reserving Intel graphics memory at [mem 0x7b800000-0x7f7fffff]',
      ].join('\n'),
      'gfx.log',
    );
    const edits = withKernelLog(log).e820Edits!;
    expect(edits).toEqual([{ start: 0x7b800000n, end: 0x7f7fffffn, add: 'reserved' }]);
    expect(rmrrVerdict(m, 0x7b800000n, 0x7f7fffffn, NEW).ok).toBe(false);
    expect(kernelE820(m, edits).map((r) => [r.start, r.end, r.kind])).toEqual([
      [0n, 0xfffn, 'reserved'],
      [0x1000n, 0x9ffffn, 'ram'],
      [0x100000n, 0x7b7fffffn, 'ram'],
      [0x7b800000n, 0x7bffffffn, 'reserved'],
      [0x7c000000n, 0x7cffffffn, 'reserved'],
      [0x7d000000n, 0x7d0fffffn, 'nvs'],
      [0x7d100000n, 0x7f7fffffn, 'reserved'],
    ]);
    // an RMRR over the stolen memory below the NVS entry is reserved as the kernel judges it
    expect(rmrrVerdict(m, 0x7b800000n, 0x7cffffffn, NEW, edits).ok).toBe(true);
  });
});
