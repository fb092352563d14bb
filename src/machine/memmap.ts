/**
 * The firmware memory map of a machine root (/sys/firmware/memmap: Linux's
 * e820_table_firmware, the map before the kernel changed anything), and
 * Linux's RMRR verdict over it (arch_rmrr_sanity_check, x86).
 *
 * What the kernel does to the map before it judges RMRRs (arch/x86/kernel/setup.c,
 * e820.c): e820__memory_setup() sanitizes and prints the map ("BIOS-e820:" lines,
 * the same map sysfs shows), then trim_bios_range() turns the first page from RAM
 * into reserved (`e820__range_update(0, PAGE_SIZE, E820_TYPE_RAM, E820_TYPE_RESERVED)`)
 * and removes RAM between 640 KiB and 1 MiB (`e820__range_remove(BIOS_BEGIN,
 * BIOS_END - BIOS_BEGIN, E820_TYPE_RAM, 1)`). The RMRR check runs later, on that
 * edited e820_table, with the edits a boot log printed (`e820: update`, and the Intel
 * graphics stolen memory the early quirks add as reserved). Not modelled: memmap=/mem=
 * command-line edits, setup_data (RAM either way), the graphics reservation without a log.
 */
import { join } from 'node:path';
import { hex } from '../acpi/hex.js';
import { PAGE_SIZE } from '../dmar/schema.js';
import { listDir, readText } from './sysfs.js';
import type { KernelVersion, MemKind, MemoryMap, MemRegion } from './types.js';

/** /sys/firmware/memmap/N/type strings (drivers/firmware/memmap.c via e820_type_to_string) -> kind. */
const SYSFS_KIND: Record<string, MemKind> = {
  'System RAM': 'ram',
  Reserved: 'reserved',
  reserved: 'reserved',
  'ACPI Tables': 'acpi',
  'ACPI Non-volatile Storage': 'nvs',
  'Unusable memory': 'unusable',
  'Persistent Memory (legacy)': 'pmem',
  'Persistent Memory': 'pmem',
  'Soft Reserved': 'soft-reserved',
};

export function memKindOfSysfsType(type: string): MemKind {
  return SYSFS_KIND[type] ?? 'other';
}

/** The memory map of root/sys/firmware/memmap, or undefined when there is none (or it is unreadable). */
export function readSysfsMemmap(root: string): MemoryMap | undefined {
  const dir = join(root, 'sys/firmware/memmap');
  const names = listDir(dir)?.filter((n) => /^\d+$/.test(n));
  if (!names) return undefined;
  const regions: MemRegion[] = [];
  const HEX = /^0x[0-9a-f]+$/i;
  for (const n of names) {
    const [start, end, type] = ['start', 'end', 'type'].map((f) => readText(join(dir, n, f)));
    // an entry without its three files, or with non-numbers, is not part of the map
    if (!start || !end || !type || !HEX.test(start) || !HEX.test(end)) continue;
    regions.push({ start: BigInt(start), end: BigInt(end), type, kind: memKindOfSysfsType(type) });
  }
  if (!regions.length) return undefined;
  regions.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return { source: '/sys/firmware/memmap', origin: 'sysfs-memmap', regions };
}

const BIOS_BEGIN = 0xa0000n;
const BIOS_END = 0x100000n;

/** Sub-ranges of `r` outside [from, to] (inclusive bounds). */
function cut(r: MemRegion, from: bigint, to: bigint): MemRegion[] {
  if (r.end < from || r.start > to) return [r];
  const out: MemRegion[] = [];
  if (r.start < from) out.push({ ...r, end: from - 1n });
  if (r.end > to) out.push({ ...r, start: to + 1n });
  return out;
}

/** e820__range_update (from -> to), or e820__range_add of a kind followed by e820__update_table (add). */
export type MapEdit = { start: bigint; end: bigint } & ({ from: MemKind; to: MemKind } | { add: MemKind });

/** e820__update_table: where entries overlap, the larger E820 type number wins (RAM 1 < reserved 2 < ACPI 3 < NVS 4 < unusable 5). */
const E820_ORDER: Partial<Record<MemKind, number>> = { ram: 1, reserved: 2, acpi: 3, nvs: 4, unusable: 5 };

/** e820__range_add(start, size, kind) then e820__update_table(): the range takes `kind` where it is a hole or of a weaker type. */
function applyMapAdd(regions: MemRegion[], start: bigint, end: bigint, kind: MemKind): MemRegion[] {
  const rank = (k: MemKind) => E820_ORDER[k] ?? Number.MAX_SAFE_INTEGER;
  const added = (a: bigint, b: bigint): MemRegion => ({ start: a, end: b, kind, type: `${kind} (kernel: range added)` });
  const out: MemRegion[] = [];
  for (const r of regions) {
    if (r.end < start || r.start > end || rank(r.kind) >= rank(kind)) out.push(r);
    else out.push(...cut(r, start, end), added(r.start > start ? r.start : start, r.end < end ? r.end : end));
  }
  // the holes of the range: what no entry of the map covers
  for (const h of holesOf(regions, start, end)) out.push(added(h.start, h.end));
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** e820__range_update(start, size, from, to): the parts of entries of kind `from` inside the range become `to`. */
function applyMapEdit(regions: MemRegion[], e: MapEdit): MemRegion[] {
  if ('add' in e) return applyMapAdd(regions, e.start, e.end, e.add);
  return regions
    .flatMap((r) => {
      if (r.kind !== e.from || r.end < e.start || r.start > e.end) return [r];
      const inside: MemRegion = {
        start: r.start > e.start ? r.start : e.start,
        end: r.end < e.end ? r.end : e.end,
        kind: e.to,
        type: `${e.to} (kernel: e820 update)`,
      };
      return [...cut(r, e.start, e.end), inside];
    })
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * The e820 table as the kernel holds it when it judges RMRRs (late: dmar_table_init()
 * parses RMRRs from intel_iommu_init, after every early edit): the firmware map after
 * trim_bios_range() (first page RAM -> reserved; RAM in 0xa0000-0xfffff removed) and
 * the `e820: update` edits a boot log printed, when the map came from one.
 */
export function kernelE820(map: MemoryMap, edits: readonly MapEdit[] = []): MemRegion[] {
  let regions = [...map.regions];
  // e820__range_update(0, PAGE_SIZE, E820_TYPE_RAM, E820_TYPE_RESERVED)
  const firstPage: MemRegion[] = [];
  regions = regions.flatMap((r) => {
    if (r.kind !== 'ram' || r.start >= PAGE_SIZE) return [r];
    firstPage.push({ start: r.start, end: r.end < PAGE_SIZE - 1n ? r.end : PAGE_SIZE - 1n, kind: 'reserved', type: 'reserved (kernel: first page)' });
    return cut(r, 0n, PAGE_SIZE - 1n);
  });
  // e820__range_remove(BIOS_BEGIN, BIOS_END - BIOS_BEGIN, E820_TYPE_RAM, 1)
  regions = regions.flatMap((r) => (r.kind === 'ram' ? cut(r, BIOS_BEGIN, BIOS_END - 1n) : [r]));
  regions = [...firstPage, ...regions].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const e of edits) regions = applyMapEdit(regions, e);
  return regions;
}

/** One rule of arch_rmrr_sanity_check, with the kernel releases that apply it. */
export interface RmrrRule {
  id: 'reserved-only' | 'reserved-or-nvs';
  /** Human text for findings. */
  text: string;
}

/**
 * f036c7fa0ab6 "iommu/vt-d: Check VT-d RMRR region in BIOS is reported as reserved"
 * (Linux 5.5): e820__mapped_all(start, end, E820_TYPE_RESERVED).
 * 5566e68d829f "iommu/vt-d: Allow NVS regions in arch_rmrr_sanity_check()" (Linux 6.1,
 * backported to stable 5.10.y/5.15.y/5.19.y in October 2022):
 * e820__get_entry_type(start, end) must be E820_TYPE_RESERVED or E820_TYPE_NVS.
 */
export const RMRR_RULES: Record<RmrrRule['id'], RmrrRule> = {
  'reserved-only': {
    id: 'reserved-only',
    text: 'Linux 5.5 to 6.0 (and stable kernels without the NVS backport) arch_rmrr_sanity_check: the whole RMRR in E820_TYPE_RESERVED entries',
  },
  'reserved-or-nvs': { id: 'reserved-or-nvs', text: 'Linux 6.1 and later arch_rmrr_sanity_check: e820__get_entry_type(RMRR) is reserved or ACPI NVS' },
};

/** The rule a kernel release applies; undefined before 5.5 (no check). Unknown kernel: the current rule. */
export function rmrrRuleFor(kernel: KernelVersion | undefined): RmrrRule | undefined {
  if (!kernel) return RMRR_RULES['reserved-or-nvs'];
  const v = kernel.major * 1000 + kernel.minor;
  if (v < 5005) return undefined;
  if (v >= 6001) return RMRR_RULES['reserved-or-nvs'];
  // stable backports of 5566e68d829f (Oct 2022): 5.10.152, 5.15.76, 5.19.17 (the last 5.19 release)
  if ((v === 5010 && kernel.patch >= 152) || (v === 5015 && kernel.patch >= 76) || (v === 5019 && kernel.patch >= 17)) return RMRR_RULES['reserved-or-nvs'];
  return RMRR_RULES['reserved-only'];
}

/**
 * __e820__mapped_all(start, end, type) (arch/x86/kernel/e820.c): walk the table in
 * order; every entry (of `kind`, or of any kind) overlapping [start, end) that begins
 * at or before `start` moves `start` to its end; the entry that brings start to end is
 * returned. So a range spanning entries is covered when they are contiguous, and
 * e820__get_entry_type() reports the type of the LAST entry, whatever the first were.
 */
export function mappedAll(table: readonly MemRegion[], start: bigint, end: bigint, kind?: MemKind): MemRegion | undefined {
  for (const e of table) {
    if (kind && e.kind !== kind) continue;
    const eEnd = e.end + 1n;
    if (e.start >= end || eEnd <= start) continue;
    if (e.start <= start) start = eEnd;
    if (start >= end) return e;
  }
  return undefined;
}

export interface RmrrVerdict {
  ok: boolean;
  rule: RmrrRule;
  /** The entry that decided (get_entry_type's last entry), if the range is covered at all. */
  entry?: MemRegion;
  /** What the range overlaps in the kernel's table, for the message. */
  overlaps: MemRegion[];
  /** The parts of the range no entry of the kernel's table covers. */
  holes: { start: bigint; end: bigint }[];
}

/** The parts of [start, end] (inclusive) that no region covers. */
function holesOf(table: readonly MemRegion[], start: bigint, end: bigint): { start: bigint; end: bigint }[] {
  const out: { start: bigint; end: bigint }[] = [];
  let at = start;
  for (const r of [...table].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
    if (r.end < at || r.start > end) continue;
    if (r.start > at) out.push({ start: at, end: r.start - 1n });
    if (r.end >= end) return out;
    at = r.end + 1n;
  }
  out.push({ start: at, end });
  return out;
}

/** What keeps a range from being reserved, for messages: the entries it overlaps, and its parts no entry covers. */
export function verdictText(v: RmrrVerdict): string {
  const holes = v.holes.map((h) => `[${hex(h.start)}-${hex(h.end)}]`).join(', ');
  if (!v.overlaps.length) return 'no entry of the map covers it';
  const over = `it overlaps ${v.overlaps.map(regionText).join(', ')}`;
  return holes ? `${over}, and no entry covers ${holes}` : over;
}

/** Linux's verdict on the RMRR [base, limit] (limit inclusive) under `rule`. */
export function rmrrVerdict(map: MemoryMap, base: bigint, limit: bigint, rule: RmrrRule, edits: readonly MapEdit[] = []): RmrrVerdict {
  const table = kernelE820(map, edits);
  const end = limit + 1n;
  const overlaps = table.filter((e) => e.start < end && e.end >= base);
  const holes = holesOf(table, base, limit);
  if (rule.id === 'reserved-only') {
    const entry = mappedAll(table, base, end, 'reserved');
    return { ok: entry !== undefined, rule, entry, overlaps, holes };
  }
  const entry = mappedAll(table, base, end);
  return { ok: entry !== undefined && (entry.kind === 'reserved' || entry.kind === 'nvs'), rule, entry, overlaps, holes };
}

export function regionText(r: MemRegion): string {
  return `[${hex(r.start)}-${hex(r.end)}] ${r.type}`;
}
