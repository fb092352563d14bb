// Linux's RMRR verdict over the memory map: the kernel's own edits of the map, the rule of each
// kernel release, and ranges that span entries (__e820__mapped_all / e820__get_entry_type).
import { describe, expect, test } from 'vitest';
import { kernelE820, mappedAll, rmrrRuleFor, rmrrVerdict, RMRR_RULES, readSysfsMemmap } from '../../src/machine/memmap.js';
import { parseKernelLog, parseKernelRelease } from '../../src/machine/kernel-log.js';
import { mapEditsNote, mapEditsOf, withKernelLog } from '../../src/machine/facts.js';
import type { MemKind, MemoryMap, MemRegion } from '../../src/machine/types.js';
import type { MapEdit } from '../../src/machine/memmap.js';
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
      // the RAM it took and the hole it filled are one entry, as e820__update_table merges them
      [0x7b800000n, 0x7cffffffn, 'reserved'],
      [0x7d000000n, 0x7d0fffffn, 'nvs'],
      [0x7d100000n, 0x7f7fffffn, 'reserved'],
    ]);
    // an RMRR over the stolen memory below the NVS entry is reserved as the kernel judges it
    expect(rmrrVerdict(m, 0x7b800000n, 0x7cffffffn, NEW, edits).ok).toBe(true);
  });
});

describe("the kernel's table at scale", () => {
  const KINDS: MemKind[] = ['ram', 'reserved', 'acpi', 'nvs', 'unusable'];
  const RANK: Record<string, number> = { ram: 1, reserved: 2, acpi: 3, nvs: 4, unusable: 5 };
  /** The kind at x: the firmware map's strongest entry, then every change in the kernel's order, one point at a time. */
  function kindAt(regions: MemRegion[], edits: MapEdit[], x: bigint): MemKind | 'none' {
    let k: MemKind | 'none' = 'none';
    for (const r of regions) if (r.start <= x && x <= r.end && (k === 'none' || RANK[r.kind]! > RANK[k]!)) k = r.kind;
    if (x < 0x1000n && k === 'ram') k = 'reserved';
    if (x >= 0xa0000n && x < 0x100000n && k === 'ram') k = 'none';
    for (const e of edits) {
      if (x < e.start || x > e.end) continue;
      if ('add' in e) k = k === 'none' || RANK[k]! < RANK[e.add]! ? e.add : k;
      else if ('remove' in e) k = e.remove === 'any' || k === e.remove ? 'none' : k;
      else if (k === e.from) k = e.to;
    }
    return k;
  }
  const tableKindAt = (t: MemRegion[], x: bigint) => t.find((r) => r.start <= x && x <= r.end)?.kind ?? 'none';

  test('on 300 random maps (holes, overlapping entries) and edits, every point has the kind of the changes applied in order', () => {
    let seed = 7;
    const r = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const page = (n: number) => BigInt(n) * 0x1000n;
      const regions: MemRegion[] = Array.from({ length: 1 + r(12) }, () => {
        const start = page(r(400));
        const kind = KINDS[r(KINDS.length)]!;
        return { start, end: start + page(1 + r(60)) - 1n, kind, type: kind };
      });
      const edits: MapEdit[] = Array.from({ length: r(20) }, () => {
        const start = page(r(400));
        const end = start + page(1 + r(80)) - 1n;
        return r(3) === 0 ? { start, end, add: KINDS[r(KINDS.length)]! } : { start, end, from: KINDS[r(KINDS.length)]!, to: KINDS[r(KINDS.length)]! };
      });
      const t = kernelE820(map(...regions.map((x) => R(Number(x.start), Number(x.end), x.kind))), edits);
      // sorted and disjoint, as the kernel's table
      for (let i = 1; i < t.length; i++) expect(t[i]!.start > t[i - 1]!.end).toBe(true);
      const points = Array.from({ length: 1040 }, (_, i) => BigInt(i) * 0x800n);
      expect(
        points.map((x) => tableKindAt(t, x)),
        `round ${round}`,
      ).toEqual(points.map((x) => kindAt(regions, edits, x)));
    }
  });

  test("a crafted boot log's 50,000 entries and 20,000 edits, and 10,000 RMRRs judged over them, take one pass each (no quadratic blow-up)", () => {
    const regions = Array.from({ length: 50_000 }, (_, i) => R(i * 0x2000, i * 0x2000 + 0xfff, (['ram', 'acpi', 'nvs'] as const)[i % 3]!));
    // edits that each span the whole map, turning RAM to reserved and back: each touches every entry
    const edits: MapEdit[] = Array.from({ length: 20_000 }, (_, i) => ({
      start: 0n,
      end: 0x2000n * 50_000n,
      from: i % 2 ? ('reserved' as const) : ('ram' as const),
      to: i % 2 ? ('ram' as const) : ('reserved' as const),
    }));
    const m = map(...regions);
    const t = kernelE820(m, edits);
    // the RAM entries between 640 KiB and 1 MiB are gone (trim_bios_range): 16 of them
    expect(t.length).toBe(50_000 - 16);
    let ok = 0;
    for (let i = 0; i < 10_000; i++) if (rmrrVerdict(m, BigInt(i * 0x2000), BigInt(i * 0x2000 + 0xfff), NEW, edits).ok) ok++;
    // the NVS entries (every third) are acceptable under 6.1's rule; RAM is RAM again after an even number of edits
    expect(ok).toBe(3333);
    // 150,000 entries stacked over one range (each starting a page later): the strongest type over each piece, found in one sweep
    // (one that looked at every entry over each piece took 20 s at 50,000, past the test timeout here)
    const stacked: MemoryMap = {
      source: 'test',
      origin: 'sysfs-memmap',
      regions: Array.from({ length: 150_000 }, (_, i) => R(0x100000 + i * 0x1000, 0x7fffffff, i % 2 ? 'ram' : 'nvs')),
    };
    expect(kernelE820(stacked).map((x) => [x.start, x.end, x.kind])).toEqual([[0x100000n, 0x7fffffffn, 'nvs']]);
  });
});

describe('`e820: remove` lines (e820__range_remove: EFI takes MMIO ranges out of the map)', () => {
  test('the removed range is a hole: an RMRR in it is no longer reserved', () => {
    const log = parseKernelLog(
      [
        'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP',
        'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
        'BIOS-e820: [mem 0x0000000000100000-0x00000000dfffffff] usable',
        'BIOS-e820: [mem 0x00000000f0000000-0x00000000f7ffffff] reserved',
        'e820: remove [mem 0xf0000000-0xf7ffffff] reserved',
      ].join('\n'),
      'efi.log',
    );
    const m = log.memoryMap!;
    const edits = withKernelLog(log).e820Edits!;
    expect(edits).toEqual([{ start: 0xf0000000n, end: 0xf7ffffffn, remove: 'reserved' }]);
    expect(rmrrVerdict(m, 0xf0000000n, 0xf0000fffn, NEW).ok).toBe(true);
    const v = rmrrVerdict(m, 0xf0000000n, 0xf0000fffn, NEW, edits);
    expect(v.ok).toBe(false);
    expect(v.entry).toBeUndefined();
    // a removal of another type leaves the reserved range as it is; one without a type removes any
    expect(rmrrVerdict(m, 0xf0000000n, 0xf0000fffn, NEW, [{ start: 0xf0000000n, end: 0xf7ffffffn, remove: 'ram' }]).ok).toBe(true);
    expect(rmrrVerdict(m, 0xf0000000n, 0xf0000fffn, NEW, [{ start: 0xf0000000n, end: 0xf7ffffffn, remove: 'any' }]).ok).toBe(false);
  });
});

describe('the `user:` map (memmap=, mem=: e820__finish_early_params prints the map after the command line edits)', () => {
  // a 5.x boot with mem=1G and memmap=16M$0x30000000 (reserved), as such logs read; then trim_bios_range's update
  const USER_LOG = [
    'Linux version 5.15.0-52-generic (buildd@lcy02-amd64-045) #58-Ubuntu SMP',
    'Command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 mem=1G memmap=16M$0x30000000',
    'BIOS-provided physical RAM map:',
    'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable',
    'BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved',
    'BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable',
    'BIOS-e820: [mem 0x000000007ffe0000-0x000000007fffffff] reserved',
    'e820: remove [mem 0x40000000-0xfffffffffffffffe] usable',
    'user-defined physical RAM map:',
    'user: [mem 0x0000000000000000-0x000000000009fbff] usable',
    'user: [mem 0x000000000009fc00-0x000000000009ffff] reserved',
    'user: [mem 0x0000000000100000-0x000000002fffffff] usable',
    'user: [mem 0x0000000030000000-0x0000000030ffffff] reserved',
    'user: [mem 0x0000000031000000-0x000000003fffffff] usable',
    'user: [mem 0x000000007ffe0000-0x000000007fffffff] reserved',
    'e820: update [mem 0x00000000-0x00000fff] usable ==> reserved',
  ];

  test('the user map is the map, the edits before it are in it, those after it apply', () => {
    const log = parseKernelLog(USER_LOG.join('\n'), 'mem.log');
    const m = log.memoryMap!;
    expect(m.source).toBe('mem.log (user: lines, the map after memmap=/mem=)');
    expect(m.regions.map((r) => [r.start, r.end, r.kind])).toEqual([
      [0n, 0x9fbffn, 'ram'],
      [0x9fc00n, 0x9ffffn, 'reserved'],
      [0x100000n, 0x2fffffffn, 'ram'],
      [0x30000000n, 0x30ffffffn, 'reserved'],
      [0x31000000n, 0x3fffffffn, 'ram'],
      [0x7ffe0000n, 0x7fffffffn, 'reserved'],
    ]);
    // mem='s removal is in the user map; the update printed after it is an edit
    expect(log.e820Updates.map((u) => u.line)).toEqual([16]);
    const edits = withKernelLog(log).e820Edits!;
    // an RMRR in the memmap=...$ range: reserved in the map the kernel judged, RAM in the firmware's
    expect(rmrrVerdict(m, 0x30000000n, 0x30000fffn, NEW, edits).ok).toBe(true);
    const bios = parseKernelLog(USER_LOG.filter((l) => !l.startsWith('user')).join('\n'), 'bios.log');
    expect(bios.memoryMap!.source).toBe('bios.log (BIOS-e820 lines)');
    expect(rmrrVerdict(bios.memoryMap!, 0x30000000n, 0x30000fffn, NEW, withKernelLog(bios).e820Edits).ok).toBe(false);
  });

  test('2.6 spelling; a later boot without a user map is read with its BIOS map', () => {
    const old = parseKernelLog(
      [
        'BIOS-provided physical RAM map:',
        ' BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)',
        ' BIOS-e820: 0000000000100000 - 000000007efd0000 (usable)',
        'user-defined physical RAM map:',
        ' user: 0000000000000000 - 000000000009fc00 (usable)',
        ' user: 0000000000100000 - 000000007e000000 (usable)',
      ].join('\n'),
      'old.log',
    );
    expect(old.memoryMap!.regions.map((r) => [r.start, r.end])).toEqual([
      [0n, 0x9fbffn],
      [0x100000n, 0x7dffffffn],
    ]);
    const two = parseKernelLog(
      [...USER_LOG, 'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP', ...USER_LOG.slice(3, 7)].join('\n'),
      'two.log',
    );
    expect(two.memoryMap!.source).toBe('two.log (BIOS-e820 lines)');
    expect(two.memoryMap!.regions).toHaveLength(4);
    expect(two.e820Updates).toEqual([]);
  });
});

describe("what the command line did to the map, said when the map judged is the firmware's", () => {
  const facts = (origin: MemoryMap['origin'], cmdline: string, lines?: MemoryMap['lines']) => ({
    source: 'capture /c',
    memoryMap: { ...map(R(0, 0x9ffff, 'ram')), origin, source: 'm.log (BIOS-e820 lines)', ...(lines ? { lines } : {}) },
    cmdline,
  });

  test('memmap= and mem= as written, before --, not mem=nopentium; one note for the map judged', () => {
    expect(mapEditsOf('BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet')).toBeUndefined();
    expect(mapEditsOf('root=/dev/sda1 mem=nopentium')).toBeUndefined();
    expect(mapEditsOf('root=/dev/sda1 memmap=exactmap memmap=640K@0 "memmap=16M$0x30000000" mem=4G -- memmap=1G@0')).toEqual([
      'memmap=exactmap',
      'memmap=640K@0',
      '"memmap=16M$0x30000000"',
      'mem=4G',
    ]);
    expect(mapEditsNote(facts('sysfs-memmap', 'ro mem=4G'))).toBe(
      "capture /c booted with mem=4G: /sys/firmware/memmap is the firmware's map without it, not the map the kernel judged RMRRs against (its boot log's `user:` lines, --dmesg)",
    );
    expect(mapEditsNote(facts('dmesg-e820', 'ro mem=4G memmap=16M$0x30000000'))).toBe(
      "m.log (BIOS-e820 lines): its command line has mem=4G memmap=16M$0x30000000, but the log has no `user:` lines (the map after them): judged against the firmware's map with the e820 edits the log shows",
    );
    // the user: map is the map the kernel judged; no option, nothing to say
    expect(mapEditsNote(facts('dmesg-e820', 'ro mem=4G', 'user'))).toBeUndefined();
    expect(mapEditsNote(facts('sysfs-memmap', 'ro quiet'))).toBeUndefined();
  });

  test('a firmware map of more than 128 entries: its extended: lines are the map', () => {
    const lines = ['Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) #1 SMP'];
    for (let i = 0; i < 128; i++)
      lines.push(
        `BIOS-e820: [mem 0x${(i * 0x100000).toString(16).padStart(16, '0')}-0x${(i * 0x100000 + 0xfffff).toString(16).padStart(16, '0')}] ${i % 2 ? 'reserved' : 'usable'}`,
      );
    lines.push('extended physical RAM map:');
    for (let i = 0; i < 130; i++)
      lines.push(
        `extended: [mem 0x${(i * 0x100000).toString(16).padStart(16, '0')}-0x${(i * 0x100000 + 0xfffff).toString(16).padStart(16, '0')}] ${i % 2 ? 'reserved' : 'usable'}`,
      );
    const log = parseKernelLog(lines.join('\n'), 'big.log');
    expect(log.memoryMap!.regions).toHaveLength(130);
    expect(log.memoryMap!.source).toBe('big.log (extended: lines, the firmware map past 128 entries)');
    expect(log.memoryMap!.origin).toBe('dmesg-e820');
    // an RMRR in the 130th entry, reserved, which the first 128 lines do not reach
    expect(rmrrVerdict(log.memoryMap!, 0x8100000n, 0x8100fffn, NEW).ok).toBe(true);
  });
});

describe('the command line of the boot whose map is read', () => {
  const boot = (cmdline: string | undefined, map: string[]) => [...(cmdline ? [`Command line: ${cmdline}`] : []), ...map];
  const bios = ['BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable', 'BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable'];
  const user = ['user: [mem 0x0000000000000000-0x000000000009ffff] usable', 'user: [mem 0x0000000000100000-0x000000003fffffff] usable'];

  test('Linux version lines grepped away: each map with the command line printed since the last map began', () => {
    // boot 1 with mem=1G and its user: map, boot 2 plain: boot 2 is judged, with no edits to speak of
    const one = parseKernelLog([...boot('ro mem=1G', bios), ...user, ...boot('ro quiet', bios)].join('\n'), 'multi.log');
    expect(one.memoryMap!.lines).toBe('BIOS-e820');
    expect(one.commandLine).toBe('ro quiet');
    expect(mapEditsNote(withKernelLog(one))).toBeUndefined();
    // boot 1 plain, boot 2 with memmap= whose user: lines were grepped away: said
    const two = parseKernelLog([...boot('ro quiet', bios), ...boot('ro memmap=64K$0x6b5a9000', bios)].join('\n'), 'multi2.log');
    expect(two.commandLine).toBe('ro memmap=64K$0x6b5a9000');
    expect(mapEditsNote(withKernelLog(two))).toContain('its command line has memmap=64K$0x6b5a9000');
    // a boot that printed no command line has none, not the boot before's
    const three = parseKernelLog([...boot('ro mem=1G', bios), ...boot(undefined, bios)].join('\n'), 'multi3.log');
    expect(three.commandLine).toBeUndefined();
  });

  test("a capture's command line is not the log's: with the log's map, only the log's", () => {
    const base = { source: 'capture /c', memoryMap: map(R(0, 0x9ffff, 'ram')), cmdline: 'ro mem=8G' };
    const log = parseKernelLog(bios.join('\n'), 'nocmd.log');
    expect(mapEditsNote(base)).toContain('booted with mem=8G');
    expect(withKernelLog(log, base).cmdline).toBeUndefined();
    expect(mapEditsNote(withKernelLog(log, base))).toBeUndefined();
    // a log without a map leaves the capture's map and its command line
    expect(withKernelLog(parseKernelLog('Command line: ro quiet', 'nomap.log'), base).cmdline).toBe('ro mem=8G');
  });

  test('an extended: map says so', () => {
    const log = parseKernelLog([...bios, 'extended physical RAM map:', ...bios.map((l) => l.replace('BIOS-e820', 'extended'))].join('\n'), 'x.log');
    expect(log.memoryMap!.lines).toBe('extended');
    expect(mapEditsOf('ro "mem=nopentium"')).toBeUndefined();
  });
});
