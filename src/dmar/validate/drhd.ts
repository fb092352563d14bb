/** DRHD (Hardware Unit Definition): register bases, INCLUDE_PCI_ALL, IOAPIC/HPET scopes, the Size field. */
import { bitByKey, bitValue } from '../../acpi/fields.js';
import type { DeviceScope } from '../model.js';
import { num, scopePath } from '../model.js';
import { DEFS, fieldByKey, includePciAll, PAGE_SIZE, STRUCT_TYPE } from '../schema.js';
import { hex } from '../../acpi/hex.js';
import { defineCheck, repeats, SCOPE, type Check, type Context, type Located, type Reporter, type ScopeOf } from './check.js';
import { reservedOf } from './fields.js';
import { drhdBaseRejected, LINUX_SAYS } from '../linux-rejects.js';

const DRHD = DEFS.DRHD;
const SIZE = fieldByKey(DRHD.fields, 'size');
const PAGES_LOG2 = bitByKey(SIZE, 'pagesLog2');

/** Linux's ir_ioapic[] has MAX_IO_APICS entries: 128 on x86-64 (64 on 32-bit). */
const MAX_IO_APICS = 128;
/** Linux's ir_hpet[] has MAX_HPET_TBS entries. */
const MAX_HPET_TBS = 8;
/** The largest register set firmware describes today is 16 pages (Size 4). */
const MAX_PLAUSIBLE_PAGES_LOG2 = 4;

const segment = (l: Located) => l.s.fields.segment as number;
const base = (l: Located) => l.s.fields.registerBaseAddress as bigint;
const pagesLog2 = (l: Located) => bitValue(l.s.fields.size as number, PAGES_LOG2);

const sizeReserved = reservedOf([SIZE]);
const BYTE_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/**
 * What Linux makes of a whole Size byte: dmar_parse_one_drhd() takes reg_size = 1UL << (Size + 12), with no
 * mask, and map_iommu() requests and maps that much (drivers/iommu/intel/dmar.c).
 */
function linuxRegisterSet(size: number): string {
  const log2 = size + 12;
  if (log2 >= 64) return `Linux reads the whole byte and shifts 1 by ${log2} bits, past its 64-bit width: undefined in C, the register set it maps unknown`;
  return `Linux reads the whole byte and maps ${2 ** (log2 % 10)} ${BYTE_UNITS[Math.floor(log2 / 10)]} of registers`;
}
/** The register set of 2^n pages in bytes, made once for every value Size bits 3:0 can hold. */
const REGISTER_SET_SIZES = Array.from({ length: 1 << (PAGES_LOG2.width ?? 1) }, (_, n) => PAGE_SIZE << BigInt(n));

/**
 * The DRHDs of each segment, in table order, segments in the order the table first names them;
 * computed once per table (two checks read them). One segment, nearly every table: the DRHD list itself.
 */
function drhdsBySegment(ctx: Context): readonly (readonly Located[])[] {
  return ctx.once('drhds-by-segment', makeDrhdsBySegment);
}
function makeDrhdsBySegment(ctx: Context): readonly (readonly Located[])[] {
  const drhds = ctx.of(STRUCT_TYPE.DRHD);
  let one = true;
  for (let i = 1; i < drhds.length && one; i++) one = segment(drhds[i]!) === segment(drhds[0]!);
  if (one) return drhds.length ? [drhds] : [];
  const m = new Map<number, Located[]>();
  for (let i = 0; i < drhds.length; i++) {
    const l = drhds[i]!;
    const seg = segment(l);
    const list = m.get(seg);
    if (list) list.push(l);
    else m.set(seg, [l]);
  }
  return [...m.values()];
}

type ScopeAt = ScopeOf;

/** The DRHDs' scopes of one type, computed once per table (four checks read them). */
function scopesOfType(ctx: Context, type: number): readonly ScopeAt[] {
  // the memo key made once per type, not a new string per table and check
  const key = (SCOPE_KEYS[type] ??= `drhd-scopes:${type}`);
  return ctx.once(key, (SCOPE_MAKERS[type] ??= (c: Context) => drhdScopesOfType(c, type)));
}
/** Per scope Type: the memo key and the function that makes the list, each made once. */
const SCOPE_KEYS: string[] = [];
const SCOPE_MAKERS: ((ctx: Context) => readonly ScopeAt[])[] = [];
function drhdScopesOfType(ctx: Context, type: number): readonly ScopeAt[] {
  const all = ctx.scopes(ctx.of(STRUCT_TYPE.DRHD));
  let n = 0;
  for (let i = 0; i < all.length; i++) if (all[i]!.sc.fields.type === type) n++;
  if (n === all.length) return all;
  const out = new Array<ScopeAt>(n);
  n = 0;
  for (let i = 0; i < all.length; i++) if (all[i]!.sc.fields.type === type) out[n++] = all[i]!;
  return out;
}

/** Up to this many units, firstOverlapping compares every pair. */
const SMALL = 16;
/** DMAR-DRHD-REGISTER-OVERLAP's answer of overlapsInto() for up to SMALL units (one table's, while its check runs). */
const SMALL_FIRST = new Int32Array(SMALL);

interface Unit {
  l: Located;
  lo: bigint;
  hi: bigint;
}

/**
 * For each unit, the lowest-indexed other unit whose register set overlaps it
 * with a different base (same base: DMAR-DRHD-DUPLICATE), or -1. Sorted by
 * base, the units overlapping b are (1) those starting inside b, a contiguous
 * run found by binary search (range minimum from a sparse table), and (2)
 * those starting below b and reaching past its base (prefix minimum over a
 * Fenwick tree filled in order of decreasing end). O(n log n), not every pair:
 * a table of 100,000 DRHDs validates in about a second.
 */
export function firstOverlapping(units: readonly Unit[]): Int32Array {
  return overlapsInto(units, new Int32Array(units.length));
}

/**
 * firstOverlapping() into `out` (its first units.length entries), which it returns: the check hands a real
 * table's few units a list kept between calls, none made per table.
 */
function overlapsInto(units: readonly Unit[], out: Int32Array): Int32Array {
  const n = units.length;
  out.fill(-1, 0, n);
  if (n <= SMALL) {
    // a real table's few units: every pair is quicker than building the indexes
    for (let i = 0; i < n; i++) {
      const b = units[i]!;
      for (let k = 0; k < n; k++) {
        const a = units[k]!;
        if (k === i || a.lo === b.lo || !(b.lo < a.hi && a.lo < b.hi)) continue;
        if (out[i]! < 0 || a.l.index < out[i]!) out[i] = a.l.index;
      }
    }
    return out;
  }
  const cmp = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);
  const order = units.map((_, i) => i).sort((a, b) => cmp(units[a]!.lo, units[b]!.lo) || a - b);
  const lo = order.map((i) => units[i]!.lo);
  const idx = Int32Array.from(order, (i) => units[i]!.l.index);
  /** First sorted position whose base is >= x (strict: > x). */
  const lower = (x: bigint, strict: boolean) => {
    let a = 0,
      b = n;
    while (a < b) {
      const m = (a + b) >> 1;
      if (lo[m]! < x || (strict && lo[m] === x)) a = m + 1;
      else b = m;
    }
    return a;
  };
  // (1) sparse table of the minimum structure index over sorted positions
  const levels: Int32Array[] = [idx];
  for (let k = 1; 1 << k <= n; k++) {
    const prev = levels[k - 1]!,
      half = 1 << (k - 1);
    const cur = new Int32Array(n - (1 << k) + 1);
    for (let i = 0; i < cur.length; i++) cur[i] = Math.min(prev[i]!, prev[i + half]!);
    levels.push(cur);
  }
  const rangeMin = (a: number, b: number) => {
    if (a >= b) return Infinity;
    const k = 31 - Math.clz32(b - a);
    return Math.min(levels[k]![a]!, levels[k]![b - (1 << k)]!);
  };
  const best = new Float64Array(n).fill(Infinity);
  for (let p = 0; p < n; p++) {
    const u = units[order[p]!]!;
    best[p] = rangeMin(lower(u.lo, true), lower(u.hi, false));
  }
  // (2) units by decreasing end; queries by decreasing base
  const fen = new Float64Array(n + 1).fill(Infinity);
  const put = (pos: number, v: number) => {
    for (let i = pos + 1; i <= n; i += i & -i) if (v < fen[i]!) fen[i] = v;
  };
  const prefixMin = (len: number) => {
    let m = Infinity;
    for (let i = len; i > 0; i -= i & -i) if (fen[i]! < m) m = fen[i]!;
    return m;
  };
  const byEnd = [...order.keys()].sort((a, b) => cmp(units[order[b]!]!.hi, units[order[a]!]!.hi));
  const byBase = [...order.keys()].sort((a, b) => cmp(lo[b]!, lo[a]!));
  let e = 0;
  for (const p of byBase) {
    while (e < n && units[order[byEnd[e]!]!]!.hi > lo[p]!) put(byEnd[e]!, idx[byEnd[e++]!]!);
    best[p] = Math.min(best[p]!, prefixMin(lower(lo[p]!, false)));
  }
  for (let p = 0; p < n; p++) if (best[p]! !== Infinity) out[order[p]!] = best[p]!;
  return out;
}

const enumerationIdOf = (y: ScopeAt) => y.sc.fields.enumerationId as number;
/** An IOAPIC or HPET named by two units: Linux maps the ID to the first unit its list gives (not table order: see the hints). */
function duplicateIds(type: number, what: string) {
  return (ctx: Context, report: Reporter) => {
    const again = repeats(scopesOfType(ctx, type), enumerationIdOf);
    for (let i = 0; i < again.length; i++) {
      const [x, prev] = again[i]!;
      const id = num(x.sc.fields, 'enumerationId');
      if (prev.l.index !== x.l.index) {
        report({
          offset: ctx.scopeAt(x.sc, 'enumerationId'),
          structure: x.l.index,
          scope: x.j,
          message: `${what} ${id} is also claimed by ${ctx.label(prev.l.index)}`,
        });
      }
    }
  };
}

/** More IOAPIC/HPET scopes than Linux's tables hold (a scope repeated within one unit counts once, as in Linux). */
function overLimit(type: number, limit: number, what: string) {
  return (ctx: Context, report: Reporter) => {
    const scopes = scopesOfType(ctx, type);
    if (scopes.length <= limit) return; // no more IDs than scopes
    const seen = new Set<string>();
    for (const x of scopes) {
      const key = `${x.l.index}:${num(x.sc.fields, 'enumerationId')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (seen.size === limit + 1) {
        report({
          offset: x.sc.offset,
          structure: x.l.index,
          scope: x.j,
          message: `${what} scope number ${limit + 1}: Linux holds at most ${limit}`,
        });
        return;
      }
    }
  };
}

/** A scope's (Type, ID) as one number (the ID is a byte); undefined for the scopes that are no IOAPIC or HPET, which take no part. */
function idKeyOf(sc: DeviceScope): number | undefined {
  const t = sc.fields.type as number;
  return t === SCOPE.IOAPIC || t === SCOPE.HPET ? t * 0x100 + (sc.fields.enumerationId as number) : undefined;
}
/**
 * The device an endpoint or bridge scope names on its segment: segment, type, start bus and path, as one number for
 * a path of up to one hop (nearly every scope), a string for longer ones; one device always gets the same kind of
 * key, so the two never meet. Undefined for the other scopes.
 */
function deviceKeyOf({ l, sc }: ScopeOf): number | string | undefined {
  const t = sc.fields.type;
  if (t !== SCOPE.ENDPOINT && t !== SCOPE.BRIDGE) return undefined;
  const path = sc.path;
  if (path.length > 1) return `${segment(l)}:${t}:${scopePath(sc)}`;
  const hop = path.length ? path[0]!.device * 0x100 + path[0]!.function + 0x10000 : 0;
  return ((segment(l) * 2 + (t === SCOPE.BRIDGE ? 1 : 0)) * 0x100 + (sc.fields.bus as number)) * 0x20000 + hop;
}
/** A unit's register base (what two units on two segments may share). */
const unitBase = (u: Unit) => u.lo;

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-DRHD-BASE-ZERO',
    severity: 'error',
    source: ['Linux'],
    description: 'a DRHD Register Base Address is 0',
    hint: `Linux rejects the table ("${LINUX_SAYS.drhdBaseZero}"): give the unit's real register base`,
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      for (let i = 0; i < drhds.length; i++) {
        const l = drhds[i]!;
        if (drhdBaseRejected(base(l))) report({ offset: ctx.at(l, 'registerBaseAddress'), structure: l.index, message: 'Register Base Address is 0' });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-BASE-ALIGN',
    severity: 'error',
    source: ['fwts', 'VT-d spec'],
    description: 'a DRHD Register Base Address is not 4 KiB aligned (fwts InvalidDRHDRegAddr)',
    hint: 'VT-d register sets start on a 4 KiB page boundary',
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      for (let i = 0; i < drhds.length; i++) {
        const l = drhds[i]!;
        const b = base(l);
        if (b % PAGE_SIZE !== 0n)
          report({ offset: ctx.at(l, 'registerBaseAddress'), structure: l.index, message: `Register Base Address ${hex(b)} is not 4 KiB aligned` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-DUPLICATE',
    severity: 'error',
    source: ['Linux'],
    description: 'two DRHDs have the same segment and Register Base Address',
    hint: 'Linux (dmar_find_dmaru, since 2014) silently drops the second one, its device scopes included; older kernels could not reserve its registers and rejected the table: merge them into one DRHD',
    run(ctx, report) {
      // segment by segment, the bases as decoded (no key string made per DRHD and table); the findings are put in
      // byte order afterwards, as every check's
      const groups = drhdsBySegment(ctx);
      for (let g = 0; g < groups.length; g++) {
        const again = repeats(groups[g]!, base);
        for (let i = 0; i < again.length; i++) {
          const [l, prev] = again[i]!;
          report({
            offset: ctx.at(l, 'registerBaseAddress'),
            structure: l.index,
            message: `segment ${segment(l)}, Register Base Address ${hex(base(l))} is also ${ctx.label(prev.index)}'s`,
          });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-REGISTER-OVERLAP',
    severity: 'error',
    source: ['Linux'],
    description: 'the register sets of two DRHDs (base, 2^Size pages) overlap, on one segment or on two',
    hint: `Linux cannot reserve the later unit's registers ("${LINUX_SAYS.registersBusy}") and gives up on the table ("${LINUX_SAYS.parseFailed}"): no DMA or interrupt remapping. Linux 6.3 and later reserve the 2^Size pages the table gives, earlier kernels the first 4 KiB and then what the unit's CAP and ECAP need: give each unit its own register set`,
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      if (drhds.length < 2) return;
      const units = new Array<Unit>(drhds.length);
      for (let i = 0; i < drhds.length; i++) {
        const l = drhds[i]!;
        const lo = base(l);
        units[i] = { l, lo, hi: lo + REGISTER_SET_SIZES[pagesLog2(l)]! };
      }
      const first = overlapsInto(units, units.length <= SMALL ? SMALL_FIRST : new Int32Array(units.length));
      // one base on two segments: register addresses are one space (the same base on one segment: DMAR-DRHD-DUPLICATE)
      const shared = repeats(units, unitBase);
      let position: Map<Unit, number> | undefined;
      for (let i = 0; i < shared.length; i++) {
        const [b, a] = shared[i]!;
        if (segment(a.l) === segment(b.l)) continue;
        position ??= new Map(units.map((u, k) => [u, k]));
        const k = position.get(b)!;
        if (first[k]! < 0 || a.l.index < first[k]!) first[k] = a.l.index;
      }
      // the units by table index, made only when two overlap
      let at: Map<number, Unit> | undefined;
      for (let i = 0; i < units.length; i++) {
        if (first[i]! < 0) continue;
        at ??= new Map(units.map((u) => [u.l.index, u]));
        const b = units[i]!;
        const a = at.get(first[i]!)!;
        if (a.l.index > b.l.index) continue; // reported on the later of the two
        const where = segment(a.l) === segment(b.l) ? '' : ` (segment ${segment(a.l)})`;
        const which =
          b.lo - a.lo < 0x1000n && a.lo - b.lo < 0x1000n ? 'in the first 4 KiB, which every Linux reserves' : 'Linux 6.3 and later reserve them whole';
        report({
          offset: ctx.at(b.l, 'registerBaseAddress'),
          structure: b.l.index,
          message: `registers ${hex(b.lo)}-${hex(b.hi - 1n)} overlap ${ctx.label(a.l.index)}'s ${hex(a.lo)}-${hex(a.hi - 1n)}${where}: ${which}`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-SIZE-RESERVED',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'DRHD Size sets reserved bits 7:4',
    hint: 'only bits 3:0 of Size are defined (log2 of the register set size in 4 KiB pages); Linux reads the whole byte, so set bits above 3 make it map a far larger register set',
    run(ctx, report) {
      sizeReserved(ctx, (r) => {
        const s = r.structure === undefined ? undefined : ctx.table.structures[r.structure];
        report(s ? { ...r, message: `${r.message}: ${linuxRegisterSet(num(s.fields, 'size'))}` } : r);
      });
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-SIZE-IMPLAUSIBLE',
    severity: 'warning',
    source: ['dmar'],
    description: `DRHD Size describes a register set larger than ${4 << MAX_PLAUSIBLE_PAGES_LOG2} KiB`,
    hint: 'Size bits 3:0 are log2 of the number of 4 KiB pages (0: one page), not a byte count',
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      for (let i = 0; i < drhds.length; i++) {
        const l = drhds[i]!;
        const n = pagesLog2(l);
        if (n > MAX_PLAUSIBLE_PAGES_LOG2) {
          report({ offset: ctx.at(l, 'size'), structure: l.index, message: `Size ${n}: a register set of ${2 ** n} pages (${2 ** n * 4} KiB)` });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-INCLUDE-ALL-NOT-LAST',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'a DRHD with INCLUDE_PCI_ALL is not the last DRHD of its segment',
    hint: 'the VT-d specification requires the INCLUDE_PCI_ALL unit after all other units of its segment (Linux reorders it, others may not)',
    run(ctx, report) {
      const segments = drhdsBySegment(ctx);
      for (let s = 0; s < segments.length; s++) {
        const units = segments[s]!;
        const last = units[units.length - 1]!;
        for (let i = 0; i < units.length; i++) {
          const l = units[i]!;
          if (l !== last && includePciAll(l.s)) {
            report({
              offset: ctx.at(l, 'flags'),
              structure: l.index,
              message: `INCLUDE_PCI_ALL unit of segment ${segment(l)} comes before ${ctx.label(last.index)}`,
            });
          }
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-INCLUDE-ALL-MULTIPLE',
    severity: 'error',
    source: ['VT-d spec', 'fwts'],
    description: 'more than one DRHD with INCLUDE_PCI_ALL on one segment',
    hint: 'only one unit per segment can catch the devices no other unit names; fwts reports MultipleDRHDSFlag',
    run(ctx, report) {
      const segments = drhdsBySegment(ctx);
      for (let s = 0; s < segments.length; s++) {
        const units = segments[s]!;
        let n = 0;
        for (let i = 0; i < units.length; i++) if (includePciAll(units[i]!.s)) n++;
        if (n < 2) continue;
        const all = units.filter((l) => includePciAll(l.s));
        for (const l of all.slice(1)) {
          report({
            offset: ctx.at(l, 'flags'),
            structure: l.index,
            message: `second INCLUDE_PCI_ALL unit on segment ${segment(l)} (the first is ${ctx.label(all[0]!.index)})`,
          });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-INCLUDE-ALL-FWTS',
    severity: 'warning',
    source: ['fwts'],
    description: 'INCLUDE_PCI_ALL units on several segments: fwts counts them over the whole table and fails MultipleDRHDSFlag',
    hint: 'correct per the VT-d specification (one per segment); expect a false fwts failure and note it in the fwts results',
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      let n = 0;
      for (let i = 0; i < drhds.length; i++) if (includePciAll(drhds[i]!.s)) n++;
      if (n < 2) return;
      const all = drhds.filter((l) => includePciAll(l.s));
      const segs = new Set(all.map(segment));
      if (segs.size !== all.length) return; // per-segment duplicates: DMAR-DRHD-INCLUDE-ALL-MULTIPLE
      const l = all[1]!;
      report({ offset: ctx.at(l, 'flags'), structure: l.index, message: `${all.length} INCLUDE_PCI_ALL units on segments ${[...segs].join(', ')}` });
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-INCLUDE-ALL-PCI-SCOPE',
    severity: 'warning',
    source: ['Linux', 'VT-d spec'],
    description: 'a DRHD with INCLUDE_PCI_ALL lists PCI endpoint or bridge scopes',
    hint: 'an INCLUDE_PCI_ALL unit lists only IOAPIC, HPET and namespace devices; Linux ignores its PCI scopes',
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      for (let i = 0; i < drhds.length; i++) {
        const l = drhds[i]!;
        const scopes = l.s.scopes;
        if (!scopes || !includePciAll(l.s)) continue;
        for (let j = 0; j < scopes.length; j++) {
          const sc = scopes[j]!;
          const t = sc.fields.type;
          if (t === SCOPE.ENDPOINT || t === SCOPE.BRIDGE) {
            report({ offset: ctx.scopeAt(sc, 'type'), structure: l.index, scope: j, message: `PCI scope ${scopePath(sc)} in an INCLUDE_PCI_ALL unit` });
          }
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-DEVICE-DUPLICATE',
    severity: 'error',
    source: ['Linux'],
    description: 'the same PCI device scope is listed twice on a segment (by one or two DRHDs)',
    hint: 'each device belongs to one remapping unit; Linux walks the units without INCLUDE_PCI_ALL last to first (dmar_register_drhd_unit adds each at the head of its list) and uses the first that names the device: the last such DRHD in the table',
    run(ctx, report) {
      const again = repeats(ctx.scopes(ctx.of(STRUCT_TYPE.DRHD)), deviceKeyOf);
      for (let i = 0; i < again.length; i++) {
        const [{ l, sc, j }, { l: prev }] = again[i]!;
        const by = prev.index === l.index ? 'twice in this DRHD' : `also by ${ctx.label(prev.index)}`;
        report({ offset: sc.offset, structure: l.index, scope: j, message: `device ${scopePath(sc)} on segment ${segment(l)} is listed ${by}` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-IOAPIC-DUPLICATE',
    severity: 'error',
    source: ['Linux'],
    description: 'two DRHDs claim the same IOAPIC (same Enumeration ID)',
    hint: 'Linux maps an IOAPIC to the first unit naming it in its list of units, where those without INCLUDE_PCI_ALL come last to first and the INCLUDE_PCI_ALL one last: give each IOAPIC to exactly one DRHD',
    run: duplicateIds(SCOPE.IOAPIC, 'IOAPIC'),
  }),
  defineCheck({
    id: 'DMAR-DRHD-HPET-DUPLICATE',
    severity: 'error',
    source: ['Linux'],
    description: 'two DRHDs claim the same HPET block (same Enumeration ID)',
    hint: 'Linux maps an HPET block to the first unit naming it in its list of units, where those without INCLUDE_PCI_ALL come last to first and the INCLUDE_PCI_ALL one last: give each HPET to exactly one DRHD',
    run: duplicateIds(SCOPE.HPET, 'HPET'),
  }),
  defineCheck({
    id: 'DMAR-DRHD-SCOPE-ID-REPEATED',
    severity: 'info',
    source: ['Linux'],
    description: 'one DRHD lists the same IOAPIC ID or HPET number in several scopes',
    hint: 'Linux keeps the first and ignores the repeats (older firmware lists one HPET scope per comparator); one scope per ID is enough',
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      for (let i = 0; i < drhds.length; i++) {
        const l = drhds[i]!;
        const scopes = l.s.scopes ?? [];
        // each scope whose (Type, ID) an earlier one had, with that first one, in scope order: usually none
        const again = repeats(scopes, idKeyOf);
        if (!again.length) continue;
        // per first scope of an ID: how many scopes have it
        const count = new Map<DeviceScope, number>();
        for (const [, first] of again) count.set(first, (count.get(first) ?? 1) + 1);
        for (const [sc, first] of again) {
          const n = count.get(first);
          if (n === undefined) continue; // its second scope was reported
          count.delete(first);
          const what = num(sc.fields, 'type') === SCOPE.IOAPIC ? 'IOAPIC' : 'HPET';
          report({
            offset: ctx.scopeAt(sc, 'enumerationId'),
            structure: l.index,
            scope: scopes.indexOf(sc),
            // the one Linux keeps is named: the first (its path is the source ID the IOAPIC's or HPET's interrupts are remapped for)
            message: `${what} ${num(sc.fields, 'enumerationId')} appears in ${n} scopes of this DRHD: Linux keeps the first (scope ${scopes.indexOf(first) + 1}, ${scopePath(first)}) and ignores ${n === 2 ? 'this one' : `this one and ${n - 2} more`}`,
          });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-IOAPIC-LIMIT',
    severity: 'error',
    source: ['Linux'],
    description: `more than ${MAX_IO_APICS} IOAPIC scopes (Linux MAX_IO_APICS on x86-64; 64 on 32-bit)`,
    hint: 'Linux: "Exceeded Max IO APICS" and interrupt remapping setup fails',
    run: overLimit(SCOPE.IOAPIC, MAX_IO_APICS, 'IOAPIC'),
  }),
  defineCheck({
    id: 'DMAR-DRHD-HPET-LIMIT',
    severity: 'error',
    source: ['Linux'],
    description: `more than ${MAX_HPET_TBS} HPET scopes (Linux MAX_HPET_TBS)`,
    hint: 'Linux: "Exceeded Max HPET blocks" and interrupt remapping setup fails',
    run: overLimit(SCOPE.HPET, MAX_HPET_TBS, 'HPET'),
  }),
];
