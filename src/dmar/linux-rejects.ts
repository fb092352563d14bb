/**
 * The defects for which Linux gives up on a DMAR table as a whole (dmar-format.md, "What Linux
 * checks"): then there is no IOMMU and no interrupt remapping. Each rule is stated here once, with
 * the message Linux prints; the validator's checks (DMAR-HAW-INVALID, DMAR-DRHD-NONE,
 * DMAR-DRHD-BASE-ZERO) report each occurrence, and the IMS evidence (`dmar.linuxRejects`) asks
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
} as const;

/** Why Linux rejects a table: the first of the rules above it falls to. */
export type LinuxRejection = { rule: 'haw'; hostAddressWidth: number } | { rule: 'noDrhd' } | { rule: 'drhdBaseZero'; drhd: Structure };

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
  return undefined;
}
