/** The table as a whole: header, Host Address Width, DMAR Flags, which structures there are and their order. */
import { bitByKey, bitValue } from '../../acpi/fields.js';
import { ACPI_HEADER_FIELDS, byteSum, computeChecksum } from '../../acpi/header.js';
import { big, num } from '../model.js';
import {
  DMAR_FIELDS,
  DMAR_FIXED_SIZE,
  fieldByKey,
  STRUCTS,
  SUBTABLE_HEADER_FIELDS,
  VIRT_DESCRIPTOR_TYPE,
  structDef,
  STRUCT_TYPE,
  typeLabel,
  type FieldKey,
} from '../schema.js';
import { hex } from '../../acpi/hex.js';
import { defineCheck, type Check, type Context } from './check.js';
import { reservedOf } from './fields.js';
import { hawRejected, LINUX_SAYS, parsedDrhd } from '../linux-rejects.js';

const CHECKSUM = fieldByKey(ACPI_HEADER_FIELDS, 'checksum');
const REVISION = fieldByKey(ACPI_HEADER_FIELDS, 'revision');
const TABLE_LENGTH = fieldByKey(ACPI_HEADER_FIELDS, 'length');
const HAW = fieldByKey(DMAR_FIELDS, 'hostAddressWidth');
const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');
const SUB_TYPE = fieldByKey(SUBTABLE_HEADER_FIELDS, 'type');
const SUB_LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');
const INTR_REMAP = bitByKey(FLAGS, 'INTR_REMAP');
const X2APIC_OPT_OUT = bitByKey(FLAGS, 'X2APIC_OPT_OUT');
const IMS_OPTOUT = bitByKey(FLAGS, 'IMS_OPTOUT');

/** Types the VT-d specification defines; higher ones are reserved (Linux skips them by Length; iasl -d stops listing there). */
const MAX_STANDARD_TYPE = Math.max(...STRUCTS.filter((s) => !s.proposed).map((s) => s.type));
/** x86-64 physical addresses have at most 52 bits; 32 are needed to reach the usual register bases. */
const PLAUSIBLE_BITS = { min: 32, max: 52 } as const;

const flag = (ctx: Context, b: typeof INTR_REMAP) => bitValue(ctx.table.fields.flags as number, b) === 1;

function framingStopped(ctx: Context): boolean {
  return ctx.decoded.problems.some((p) => p.code.startsWith('DMAR-STRUCT-') || p.code === 'DMAR-TABLE-TRAILING');
}

/** The addresses DMAR-ADDRESS-BEYOND-HAW holds to the Host Address Width. */
const HAW_ADDRESSES: ReadonlyArray<readonly [number, FieldKey]> = [
  [STRUCT_TYPE.DRHD, 'registerBaseAddress'],
  [STRUCT_TYPE.RMRR, 'endAddress'],
  [STRUCT_TYPE.RHSA, 'baseAddress'],
];

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-HDR-CHECKSUM',
    severity: 'error',
    source: ['ACPI'],
    description: 'the bytes of the table do not sum to 0 mod 256',
    hint: 'recompute the Checksum after every edit (dmar encode does it); ACPICA warns at boot',
    run(ctx, report) {
      // A table cut short cannot sum right: DMAR-HDR-LENGTH-PAST-END says why.
      if (ctx.decoded.problems.some((p) => p.code === 'DMAR-HDR-LENGTH-PAST-END')) return;
      // the table's bytes, up to its end, summed in place (no view made per table)
      if (byteSum(ctx.bytes, ctx.decoded.end) === 0) return;
      const t = ctx.bytes.subarray(0, ctx.decoded.end);
      report({
        offset: CHECKSUM.offset,
        message: `Checksum is ${hex(t[CHECKSUM.offset]!)}, the table needs ${hex(computeChecksum(t))}`,
      });
    },
  }),
  defineCheck({
    id: 'DMAR-HDR-REVISION',
    severity: 'warning',
    source: ['dmar'],
    description: 'Revision is neither 1 nor 2 (the values firmware uses)',
    hint: 'DMAR tables carry Revision 1 (2 on newer firmware)',
    run(ctx, report) {
      const r = ctx.table.header.revision as number;
      if (r !== 1 && r !== 2) report({ offset: REVISION.offset, message: `Revision is ${r}` });
    },
  }),
  defineCheck({
    id: 'DMAR-TABLE-EMPTY',
    severity: 'error',
    source: ['fwts'],
    description: 'Table Length is 48 or less: the table has no remapping structures (fwts InvalidDMAR)',
    hint: `a DMAR table describes at least one DRHD: Linux finds none ("${LINUX_SAYS.noDrhd}") and has no IOMMU; without one, do not publish the table`,
    run(ctx, report) {
      const len = ctx.table.header.length as number;
      if (len <= DMAR_FIXED_SIZE) report({ offset: TABLE_LENGTH.offset, message: `Table Length is ${len}: no remapping structures` });
    },
  }),
  defineCheck({
    id: 'DMAR-HAW-INVALID',
    severity: 'error',
    source: ['Linux'],
    description: 'Host Address Width is below 11 (fewer than 12 address bits)',
    hint: `Linux rejects the table ("${LINUX_SAYS.haw}"): no IOMMU; the field holds the address width minus one (0x26 = 39 bits)`,
    run(ctx, report) {
      const w = ctx.table.fields.hostAddressWidth as number;
      if (hawRejected(w)) report({ offset: HAW.offset, message: `Host Address Width is ${w} (${w + 1} bits)` });
    },
  }),
  defineCheck({
    id: 'DMAR-HAW-UNUSUAL',
    severity: 'warning',
    source: ['dmar'],
    description: `Host Address Width gives fewer than ${PLAUSIBLE_BITS.min} or more than ${PLAUSIBLE_BITS.max} address bits (more than 64 is impossible)`,
    hint: 'the field is the physical address width minus one, as CPUID 0x80000008 reports it (0x26 = 39 bits)',
    run(ctx, report) {
      const w = ctx.table.fields.hostAddressWidth as number;
      const bits = w + 1;
      if (hawRejected(w)) return;
      if (bits > 64) report({ offset: HAW.offset, message: `Host Address Width is ${w}: ${bits} address bits, more than 64` });
      else if (bits > PLAUSIBLE_BITS.max || bits < PLAUSIBLE_BITS.min) {
        report({ offset: HAW.offset, message: `Host Address Width is ${w}: ${bits} address bits is unusual for x86` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-FLAGS-RESERVED',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'DMAR Flags sets reserved bits 4..7 (bit 3, also reserved by VT-d, is DMAR-FLAGS-IMS-OPTOUT)',
    hint: 'VT-d defines bits 0..2 of the DMAR Flags and reserves the rest; bit 3 is the proposed IMS_OPTOUT; bits 4..7 must be 0',
    run: reservedOf([FLAGS]),
  }),
  // Linux reads X2APIC_OPT_OUT (dmar_x2apic_optout()) only after intel_prepare_irq_remapping()
  // found INTR_REMAP (`if (!dmar_ir_support()) return -ENODEV;`): without it the bit changes nothing.
  defineCheck({
    id: 'DMAR-FLAGS-X2APIC-NO-IR',
    severity: 'info',
    source: ['VT-d spec'],
    description: 'X2APIC_OPT_OUT is set but INTR_REMAP is clear: the bit has no effect',
    hint: 'the VT-d specification makes X2APIC_OPT_OUT valid only with INTR_REMAP, and Linux reads it only when interrupt remapping is on: harmless; clear it for tidiness',
    run(ctx, report) {
      if (flag(ctx, X2APIC_OPT_OUT) && !flag(ctx, INTR_REMAP)) {
        report({ offset: FLAGS.offset, message: `Flags ${hex(num(ctx.table.fields, 'flags'))}: X2APIC_OPT_OUT without INTR_REMAP` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-FLAGS-IMS-OPTOUT',
    severity: 'info',
    source: ['proposal'],
    description: 'proposed IMS_OPTOUT (DMAR Flags bit 3) is set',
    hint: 'a proposal, not part of VT-d: consumers that do not know it treat bit 3 as reserved',
    run(ctx, report) {
      if (flag(ctx, IMS_OPTOUT)) report({ offset: FLAGS.offset, message: 'proposed IMS_OPTOUT set: native IMS must not be used' });
    },
  }),
  defineCheck({
    id: 'DMAR-DRHD-NONE',
    severity: 'error',
    source: ['Linux'],
    description: 'the table has no DRHD',
    hint: `Linux: FW_BUG "${LINUX_SAYS.noDrhd}": no IOMMU; describe every remapping unit with a DRHD`,
    run(ctx, report) {
      if ((ctx.table.header.length as number) <= DMAR_FIXED_SIZE || framingStopped(ctx)) return;
      if (!ctx.table.structures.some(parsedDrhd)) report({ offset: DMAR_FIXED_SIZE, message: 'no DRHD structure in the table' });
    },
  }),
  defineCheck({
    id: 'DMAR-STRUCT-ORDER',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'remapping structures are not in ascending Type order',
    hint: 'the VT-d specification lists all DRHDs first, then RMRRs, ATSRs, RHSAs, ANDDs, SATCs, SIDPs',
    run(ctx, report) {
      let highest = -1;
      const structures = ctx.table.structures;
      for (let index = 0; index < structures.length; index++) {
        const s = structures[index]!;
        if (s.type > MAX_STANDARD_TYPE) continue;
        if (s.type < highest) {
          report({
            offset: s.offset + SUB_TYPE.offset,
            structure: index,
            message: `Type ${s.type} (${typeLabel(s.type)}) comes after Type ${highest} (${typeLabel(highest)})`,
          });
        }
        highest = Math.max(highest, s.type);
      }
    },
  }),
  defineCheck({
    id: 'DMAR-STRUCT-UNKNOWN-TYPE',
    severity: 'info',
    source: ['Linux'],
    description: 'a structure of a reserved Type (7 or above): Linux skips it by Length',
    hint: "Linux skips it; ACPICA's disassembler (iasl -d) stops listing the table there; make sure it is meant for a consumer that knows it",
    run(ctx, report) {
      const structures = ctx.table.structures;
      for (let index = 0; index < structures.length; index++) {
        const s = structures[index]!;
        if (structDef(s.type) || s.type === VIRT_DESCRIPTOR_TYPE) continue;
        report({ offset: s.offset + SUB_TYPE.offset, structure: index, message: `Type ${s.type >= 0x100 ? hex(s.type) : s.type} is reserved: skipped` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-STRUCT-LENGTH',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'a fixed-size structure (RHSA) has a Length other than its size',
    hint: 'an RHSA is exactly 20 bytes',
    run(ctx, report) {
      const all = ctx.all();
      for (let i = 0; i < all.length; i++) {
        const l = all[i]!;
        const want = l.def.exactLength;
        if (want === undefined || l.def.proposed || l.s.length === want) continue;
        report({ offset: l.s.offset + SUB_LENGTH.offset, structure: l.index, message: `Length is ${l.s.length}, an ${l.def.abbrev} is ${want} bytes` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-ADDRESS-BEYOND-HAW',
    severity: 'warning',
    source: ['dmar'],
    description: 'a DRHD register base, RMRR range or RHSA base lies beyond the Host Address Width',
    hint: 'either Host Address Width is too small or the address is wrong',
    run(ctx, report) {
      const w = ctx.table.fields.hostAddressWidth as number;
      if (hawRejected(w) || w >= 63) return;
      const limit = 1n << BigInt(w + 1);
      for (let i = 0; i < HAW_ADDRESSES.length; i++) {
        const type = HAW_ADDRESSES[i]![0];
        const key = HAW_ADDRESSES[i]![1];
        const ofType = ctx.of(type);
        for (let k = 0; k < ofType.length; k++) {
          const l = ofType[k]!;
          const a = big(l.s.fields, key);
          if (a >= limit) {
            const row = fieldByKey(l.def.fields, key);
            report({ offset: ctx.at(l, key), structure: l.index, message: `${row.name} ${hex(a)} needs more than ${w + 1} address bits` });
          }
        }
      }
    },
  }),
];
