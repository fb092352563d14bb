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
 * graphics stolen memory the early quirks add as reserved). The command line's memmap= and mem= edits
 * come before all that: a log's `user:` map, which the kernel prints after them, stands for the BIOS-e820
 * lines (kernel-log.ts); /sys/firmware/memmap never shows them. Not modelled: setup_data (RAM either way),
 * the graphics reservation without a log.
 */
import { join } from 'node:path';
import { hex } from '../acpi/hex.js';
import { DmarError, excerpt } from '../dmar/errors.js';
import { PAGE_SIZE } from '../dmar/schema.js';
import { listDir, readTextIfPresent } from './sysfs.js';
import type { KernelVersion, MemKind, MemoryMap, MemRegion } from './types.js';

/** /sys/firmware/memmap/N/type strings (drivers/firmware/memmap.c via e820_type_to_string) -> kind: e820Kind reads every kernel's spelling. */
export function memKindOfSysfsType(type: string): MemKind {
  return e820Kind(type);
}

/**
 * A memory type as a kernel prints it (arch/x86/kernel/e820.c: e820_print_type() for `BIOS-e820:` lines,
 * e820_type_to_string() for /sys/firmware/memmap) -> the kind Linux means, in every kernel's words: `usable`,
 * `reserved`; `System RAM`, `device reserved` (the 2025 rework of e820.c: 7.x logs print them); `ACPI data` / `ACPI tables`,
 * `ACPI NVS` / `ACPI non-volatile storage`, `unusable` / `Unusable memory`, `persistent RAM (type N)` /
 * `Persistent memory`, `soft reserved`.
 */
export function e820Kind(type: string): MemKind {
  const t = type.toLowerCase();
  if (t.includes('soft reserved')) return 'soft-reserved';
  if (t.includes('unusable')) return 'unusable';
  if (t.includes('usable') || t.includes('system ram')) return 'ram';
  if (t.includes('acpi nvs') || t.includes('acpi non-volatile')) return 'nvs';
  if (t.includes('acpi data') || t.includes('acpi tables')) return 'acpi';
  if (t.includes('persistent')) return 'pmem';
  if (t.includes('reserved')) return 'reserved';
  return 'other';
}

/** The memory map of root/sys/firmware/memmap, or undefined when there is none (or it is unreadable). */
export function readSysfsMemmap(root: string): MemoryMap | undefined {
  const dir = join(root, 'sys/firmware/memmap');
  const names = listDir(dir)?.filter((n) => /^\d+$/.test(n));
  if (!names) return undefined;
  const regions: MemRegion[] = [];
  const HEX = /^0x[0-9a-f]+$/i;
  for (const n of names) {
    // an entry without its three files, or with non-numbers, is a damaged capture: judged without it, an RMRR
    // over it would be the firmware's fault
    const bad = (f: string, what: string): never => {
      throw new DmarError(`memory map entry ${n}: ${f} ${what}`, { file: join(dir, n, f), code: 'DMAR-MACHINE-INVALID' });
    };
    const [start, end, type] = ['start', 'end', 'type'].map((f) => {
      try {
        return readTextIfPresent(join(dir, n, f));
      } catch (e) {
        // there but unreadable (permission denied, a directory, a device): not "missing"
        return bad(f, `cannot be read: ${(e as Error).message}`);
      }
    });
    if (start === undefined || !HEX.test(start)) bad('start', start === undefined ? 'is missing' : `is ${excerpt(start)}, not a hex address`);
    if (end === undefined || !HEX.test(end)) bad('end', end === undefined ? 'is missing' : `is ${excerpt(end)}, not a hex address`);
    if (!type) bad('type', type === undefined ? 'is missing' : 'is empty');
    const s = BigInt(start!);
    const e = BigInt(end!);
    // the kernel writes 64-bit addresses, the end inclusive, never below the start
    if (s > MAX_ADDRESS) bad('start', `is ${excerpt(start!)}, wider than 64 bits`);
    if (e > MAX_ADDRESS) bad('end', `is ${excerpt(end!)}, wider than 64 bits`);
    if (e < s) bad('end', `is ${excerpt(end!)}, below the start ${excerpt(start!)}`);
    regions.push({ start: s, end: e, type: type!, kind: memKindOfSysfsType(type!) });
  }
  if (!regions.length) return undefined;
  regions.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return { source: '/sys/firmware/memmap', origin: 'sysfs-memmap', regions };
}

/** The largest physical address: no memory-map entry, in sysfs or a boot log, reaches past it. */
export const MAX_ADDRESS = (1n << 64n) - 1n;
const BIOS_BEGIN = 0xa0000n;
const BIOS_END = 0x100000n;

/** e820__range_update (from -> to), or e820__range_add of a kind followed by e820__update_table (add). */
export type MapEdit = { start: bigint; end: bigint } & ({ from: MemKind; to: MemKind } | { add: MemKind } | { remove: MemKind | 'any' });

/** The kinds a point of the address space can have; `none`: no entry (a hole). */
const KINDS = ['ram', 'reserved', 'acpi', 'nvs', 'unusable', 'pmem', 'soft-reserved', 'other', 'none'] as const;
type Kind = (typeof KINDS)[number];
const K = KINDS.length;
const NONE = KINDS.indexOf('none');
const kindIndex = (k: Kind): number => KINDS.indexOf(k);
/** e820__update_table: where entries overlap, the larger E820 type number wins (RAM 1, reserved 2, ACPI 3, NVS 4, unusable 5, pmem 7, soft reserved 0xefffffff). */
const E820_RANK: Record<Kind, number> = { none: 0, ram: 1, reserved: 2, acpi: 3, nvs: 4, unusable: 5, other: 6, pmem: 7, 'soft-reserved': 8 };

/**
 * What the kernel did to the kinds of a range, as a function of the kind before: `out[k]` the kind
 * after, `by[k]` the last change that made it so (an index into the labels of kernelE820), -1 for none.
 */
type KindMap = Int32Array; // [out[0..K), by[0..K)]
const identity = (): KindMap => {
  const f = new Int32Array(2 * K).fill(-1);
  for (let k = 0; k < K; k++) f[k] = k;
  return f;
};
/** g after f. */
function compose(g: KindMap, f: KindMap): KindMap {
  const h = new Int32Array(2 * K);
  for (let k = 0; k < K; k++) {
    const x = f[k]!;
    h[k] = g[x]!;
    h[K + k] = g[K + x]! !== -1 ? g[K + x]! : f[K + k]!;
  }
  return h;
}

/**
 * The e820 table as the kernel holds it when it judges RMRRs (late: dmar_table_init()
 * parses RMRRs from intel_iommu_init, after every early edit): the firmware map,
 * sanitized (e820__update_table: where entries overlap, the stronger type), after
 * trim_bios_range() (first page RAM -> reserved; RAM in 0xa0000-0xfffff removed) and
 * the edits a boot log printed, in order. Sorted and disjoint, as the kernel's table is.
 *
 * Linear in the size of the map and of the edits (times their logarithm): the address space
 * is cut at every boundary, and each change is a function of the kind (composed in a tree
 * over those pieces), so a crafted log of many entries and many edits takes seconds, not hours.
 */
export function kernelE820(map: MemoryMap, edits: readonly MapEdit[] = []): MemRegion[] {
  const byEdits = kernelCache.get(map);
  const hit = byEdits?.get(edits.length ? edits : NO_EDITS);
  if (hit) return hit;
  const table = buildKernelE820(map.regions, edits);
  if (byEdits) byEdits.set(edits.length ? edits : NO_EDITS, table);
  else kernelCache.set(map, new Map([[edits.length ? edits : NO_EDITS, table]]));
  return table;
}
const kernelCache = new WeakMap<MemoryMap, Map<readonly MapEdit[], MemRegion[]>>();
const NO_EDITS: readonly MapEdit[] = [];

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function buildKernelE820(regions: readonly MemRegion[], edits: readonly MapEdit[]): MemRegion[] {
  // the changes, in the kernel's order, each a range and a function of the kind
  const changes: { start: bigint; end: bigint; f: KindMap }[] = [];
  const labels: ((k: Kind) => string)[] = [];
  const change = (start: bigint, end: bigint, label: (k: Kind) => string, to: (k: number) => number) => {
    const f = identity();
    const id = labels.push(label) - 1;
    for (let k = 0; k < K; k++) {
      f[k] = to(k);
      if (f[k] !== k) f[K + k] = id;
    }
    if (start <= end) changes.push({ start, end, f });
  };
  const RAM = kindIndex('ram');
  const RESERVED = kindIndex('reserved');
  // e820__range_update(0, PAGE_SIZE, E820_TYPE_RAM, E820_TYPE_RESERVED)
  change(
    0n,
    PAGE_SIZE - 1n,
    () => 'reserved (kernel: first page)',
    (k) => (k === RAM ? RESERVED : k),
  );
  // e820__range_remove(BIOS_BEGIN, BIOS_END - BIOS_BEGIN, E820_TYPE_RAM, 1)
  change(
    BIOS_BEGIN,
    BIOS_END - 1n,
    () => '',
    (k) => (k === RAM ? NONE : k),
  );
  for (const e of edits) {
    if ('remove' in e) {
      // e820__range_remove(): the range of that type (of any, unchecked) is no entry any more
      const from = e.remove === 'any' ? -1 : kindIndex(e.remove);
      change(
        e.start,
        e.end,
        () => '',
        (k) => (from < 0 || k === from ? NONE : k),
      );
    } else if ('add' in e) {
      const to = kindIndex(e.add);
      change(
        e.start,
        e.end,
        (k) => `${k} (kernel: range added)`,
        (k) => (E820_RANK[KINDS[k]!] < E820_RANK[e.add] ? to : k),
      );
    } else {
      const from = kindIndex(e.from);
      const to = kindIndex(e.to);
      change(
        e.start,
        e.end,
        (k) => `${k} (kernel: e820 update)`,
        (k) => (k === from ? to : k),
      );
    }
  }
  // the pieces: the address space cut at every boundary of an entry or a change
  const cuts = new Set<bigint>();
  for (const r of regions) if (r.start <= r.end) cuts.add(r.start).add(r.end + 1n);
  for (const c of changes) cuts.add(c.start).add(c.end + 1n);
  const at = [...cuts].sort(cmp);
  const n = at.length - 1;
  if (n <= 0) return [];
  const piece = (a: bigint) => {
    let lo = 0;
    let hi = at.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid]! < a) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // each piece's kind in the firmware map (the strongest entry over it) and the entry it came from
  const startsAt: number[][] = Array.from({ length: n + 1 }, () => []);
  const endsAt: number[][] = Array.from({ length: n + 1 }, () => []);
  regions.forEach((r, i) => {
    if (r.start > r.end) return;
    startsAt[piece(r.start)]!.push(i);
    endsAt[piece(r.end + 1n)]!.push(i);
  });
  // the entries over the current piece, by kind (a crafted map can stack thousands of entries over one range)
  const active: Set<number>[] = KINDS.map(() => new Set<number>());
  const byRank = KINDS.map((_, k) => k).sort((a, b) => E820_RANK[KINDS[b]!] - E820_RANK[KINDS[a]!]);
  const initial = new Int32Array(n);
  const origin = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (const r of endsAt[i]!) active[kindIndex(regions[r]!.kind)]!.delete(r);
    for (const r of startsAt[i]!) active[kindIndex(regions[r]!.kind)]!.add(r);
    initial[i] = NONE;
    for (const k of byRank) {
      const set = active[k]!;
      if (!set.size) continue;
      initial[i] = k;
      origin[i] = set.values().next().value!;
      break;
    }
  }
  // the changes over the pieces: a tree of composed functions, pushed down as it is cut
  const tags: (KindMap | undefined)[] = new Array(4 * n);
  const apply = (node: number, f: KindMap) => {
    const t = tags[node];
    tags[node] = t ? compose(f, t) : f;
  };
  const update = (node: number, lo: number, hi: number, a: number, b: number, f: KindMap) => {
    if (b < lo || hi < a) return;
    if (a <= lo && hi <= b) return apply(node, f);
    const t = tags[node];
    if (t) {
      apply(2 * node, t);
      apply(2 * node + 1, t);
      tags[node] = undefined;
    }
    const mid = (lo + hi) >> 1;
    update(2 * node, lo, mid, a, b, f);
    update(2 * node + 1, mid + 1, hi, a, b, f);
  };
  for (const c of changes) update(1, 0, n - 1, piece(c.start), piece(c.end + 1n) - 1, c.f);
  const final = new Int32Array(n);
  const by = new Int32Array(n);
  const collect = (node: number, lo: number, hi: number, f: KindMap | undefined) => {
    const t = tags[node];
    const g = t ? (f ? compose(f, t) : t) : f;
    if (lo === hi) {
      final[lo] = g ? g[initial[lo]!]! : initial[lo]!;
      by[lo] = g ? g[K + initial[lo]!]! : -1;
      return;
    }
    const mid = (lo + hi) >> 1;
    collect(2 * node, lo, mid, g);
    collect(2 * node + 1, mid + 1, hi, g);
  };
  collect(1, 0, n - 1, undefined);
  // the pieces back to entries: neighbours of the same kind from the same entry, or made by the same change, are one
  const out: MemRegion[] = [];
  let prev = { key: '', region: undefined as MemRegion | undefined };
  for (let i = 0; i < n; i++) {
    if (final[i] === NONE) {
      prev = { key: '', region: undefined };
      continue;
    }
    const kind = KINDS[final[i]!] as MemKind;
    const key = by[i] === -1 ? `o${origin[i]}` : `c${by[i]}:${kind}`;
    const end = at[i + 1]! - 1n;
    if (prev.region && prev.key === key && prev.region.end + 1n === at[i]) {
      prev.region.end = end;
      continue;
    }
    const type = by[i] === -1 ? regions[origin[i]!]!.type : labels[by[i]!]!(kind);
    const region: MemRegion = { start: at[i]!, end, kind, type };
    out.push(region);
    prev = { key, region };
  }
  return out;
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

/** The parts of [start, end] (inclusive) that none of these regions (sorted, disjoint) covers. */
function holesOf(sorted: readonly MemRegion[], start: bigint, end: bigint): { start: bigint; end: bigint }[] {
  const out: { start: bigint; end: bigint }[] = [];
  let at = start;
  for (const r of sorted) {
    if (r.end < at || r.start > end) continue;
    if (r.start > at) out.push({ start: at, end: r.start - 1n });
    if (r.end >= end) return out;
    at = r.end + 1n;
  }
  out.push({ start: at, end });
  return out;
}

/** The entries of a sorted, disjoint table that overlap [start, end] (inclusive): a contiguous run, found by bisection. */
function overlapping(table: readonly MemRegion[], start: bigint, end: bigint): MemRegion[] {
  let lo = 0;
  let hi = table.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table[mid]!.end < start) lo = mid + 1;
    else hi = mid;
  }
  const out: MemRegion[] = [];
  for (let i = lo; i < table.length && table[i]!.start <= end; i++) out.push(table[i]!);
  return out;
}

/** The parts of a verdict's range no entry covers, as messages write them ("" when none). */
export function holesText(v: RmrrVerdict): string {
  return v.holes.map((h) => `[${hex(h.start)}-${hex(h.end)}]`).join(', ');
}

/** What keeps a range from being reserved, for messages: the entries it overlaps, and its parts no entry covers. */
export function verdictText(v: RmrrVerdict): string {
  const holes = holesText(v);
  if (!v.overlaps.length) return 'no entry of the map covers it';
  const over = `it overlaps ${v.overlaps.map(regionText).join(', ')}`;
  return holes ? `${over}, and no entry covers ${holes}` : over;
}

/** Linux's verdict on the RMRR [base, limit] (limit inclusive) under `rule`. */
export function rmrrVerdict(map: MemoryMap, base: bigint, limit: bigint, rule: RmrrRule, edits: readonly MapEdit[] = []): RmrrVerdict {
  const table = kernelE820(map, edits);
  const end = limit + 1n;
  // the kernel's table is sorted and disjoint: only the entries over the range can take part
  const overlaps = overlapping(table, base, limit);
  const holes = holesOf(overlaps, base, limit);
  if (rule.id === 'reserved-only') {
    const entry = mappedAll(overlaps, base, end, 'reserved');
    return { ok: entry !== undefined, rule, entry, overlaps, holes };
  }
  const entry = mappedAll(overlaps, base, end);
  return { ok: entry !== undefined && (entry.kind === 'reserved' || entry.kind === 'nvs'), rule, entry, overlaps, holes };
}

export function regionText(r: MemRegion): string {
  return `[${hex(r.start)}-${hex(r.end)}] ${r.type}`;
}
