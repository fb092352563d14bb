/**
 * The defects for which Linux gives up on a DMAR table as a whole (dmar-format.md, "What Linux
 * checks"): then there is no IOMMU and no interrupt remapping. Each rule is stated here once, with
 * the message Linux prints; the validator's checks (DMAR-HAW-INVALID, DMAR-DRHD-NONE,
 * DMAR-DRHD-BASE-ZERO, DMAR-DRHD-REGISTER-OVERLAP) report each occurrence, and the IMS evidence (`dmar.linuxRejects`) asks
 * whether the table falls to any of them.
 */
import { big, num, type DmarTable, type Structure } from './model.js';
import { LINUX_MIN_HAW, STRUCT_TYPE } from './schema.js';

/** `if (dmar->width < PAGE_SHIFT - 1)` in parse_dmar_table: the table is rejected. */
export const hawRejected = (hostAddressWidth: number): boolean => hostAddressWidth < LINUX_MIN_HAW;

/** A DRHD Register Base Address of 0 (the warning names the address): the table is rejected. */
export const drhdBaseRejected = (registerBaseAddress: bigint): boolean => registerBaseAddress === 0n;

/** What Linux prints for each rule. */
export const LINUX_SAYS = {
  haw: 'Invalid DMAR haw',
  noDrhd: 'No DRHD structure found in DMAR table',
  drhdBaseZero: 'Your BIOS is broken; DMAR reported at address 0',
  registersBusy: "Can't reserve memory",
  parseFailed: 'Parse DMAR table failure.',
} as const;

/** The register page every Linux reserves for a unit first (map_iommu(): VTD_PAGE_SIZE before 6.3, 2^Size pages since). */
const FIRST_PAGE = 0x1000n;

/**
 * Two DRHDs whose first register pages overlap, other than one unit listed twice (the same segment and base,
 * which dmar_find_dmaru() merges): map_iommu() cannot reserve the later unit's registers ("Can't reserve
 * memory", -EBUSY), alloc_iommu() fails, and with it the parse of the whole table ("Parse DMAR table
 * failure."), in every kernel. (Since Linux 6.3 the 2^Size pages the table gives are reserved whole, so a
 * wider overlap fails too: registerSetsClash(); DMAR-DRHD-REGISTER-OVERLAP reports both.) Register addresses
 * are one space, whatever the segment.
 */
export const registerPagesClash = (drhds: readonly Structure[]) => registersClash(drhds, () => FIRST_PAGE);

/**
 * Two DRHDs whose register sets overlap as the table sizes them (2^Size 4 KiB pages: dmar_parse_one_drhd()'s
 * `reg_size = 1UL << (drhd->size + 12)`, of the whole Size byte), other than one unit listed twice: since Linux
 * 6.3 map_iommu() reserves each set whole, and the later unit fails as above; 6.2 and earlier reserve the first
 * page (registerPagesClash). Not a rule of linuxRejection(), which holds for every kernel: the IMS evidence tells
 * it beside. A Size of 52 or more shifts past 64 bits in Linux (undefined in C): such a unit is judged by no size.
 */
export const registerSetsClash = (drhds: readonly Structure[]) =>
  registersClash(drhds, (s) => {
    const shift = num(s.fields, 'size') + 12;
    return shift < 64 ? 1n << BigInt(shift) : 0n;
  });

/**
 * The first two units (in table order) whose register ranges, `extent` bytes from each base, overlap, a unit
 * listed twice on one segment left out as Linux merges it. Sorted by base and segment, a unit clashes with the
 * one before it whose range reaches furthest: n log n.
 */
function registersClash(drhds: readonly Structure[], extent: (s: Structure) => bigint): [earlier: Structure, later: Structure] | undefined {
  const units = drhds.map((s, i) => {
    const base = big(s.fields, 'registerBaseAddress');
    return { s, i, base, end: base + extent(s), segment: num(s.fields, 'segment') };
  });
  units.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : a.segment - b.segment || a.i - b.i));
  let prev: (typeof units)[number] | undefined;
  let reach: (typeof units)[number] | undefined;
  for (const u of units) {
    if (prev && u.base === prev.base && u.segment === prev.segment) continue; // merged into prev
    prev = u;
    if (u.end === u.base) continue; // no size to judge by
    if (reach && u.base < reach.end) return reach.i < u.i ? [reach.s, u.s] : [u.s, reach.s];
    if (!reach || u.end > reach.end) reach = u;
  }
  return undefined;
}

/** Why Linux rejects a table: the first of the rules above it falls to. */
export type LinuxRejection =
  | { rule: 'haw'; hostAddressWidth: number }
  | { rule: 'noDrhd' }
  | { rule: 'drhdBaseZero'; drhd: Structure }
  | { rule: 'registersClash'; earlier: Structure; later: Structure };

/** A DRHD Linux parses, one decoded (a DRHD too short for its fields is kept as raw bytes): none at all is "No DRHD". */
export const parsedDrhd = (s: Structure): boolean => s.type === STRUCT_TYPE.DRHD && !s.raw;

/**
 * The rule a strictly decoded table falls to; undefined: Linux accepts the table. (A structure that runs past the table or an ANDD name
 * without a NUL fails Linux's parse too; strict decoding already refuses such a table.)
 */
export function linuxRejection(t: DmarTable): LinuxRejection | undefined {
  const haw = num(t.fields, 'hostAddressWidth');
  if (hawRejected(haw)) return { rule: 'haw', hostAddressWidth: haw };
  const drhds = t.structures.filter(parsedDrhd);
  if (!drhds.length) return { rule: 'noDrhd' };
  const zero = drhds.find((s) => drhdBaseRejected(big(s.fields, 'registerBaseAddress')));
  if (zero) return { rule: 'drhdBaseZero', drhd: zero };
  const clash = registerPagesClash(drhds);
  if (clash) return { rule: 'registersClash', earlier: clash[0], later: clash[1] };
  return undefined;
}
