/** The proposed virtualization descriptor (type 0x8001, proposals.md section 2). Every check here enforces a proposal. */
import { bitByKey, bitValue, fieldBytes } from '../../acpi/fields.js';
import { big, num } from '../model.js';
import { asciiValue } from '../parsers.js';
import {
  bareMetalClaims,
  DEFS,
  descriptorVirtualized,
  DMAR_FIELDS,
  fieldByKey,
  SUBTABLE_HEADER_FIELDS,
  VIRT_DESCRIPTOR_TYPE,
  VIRT_LENGTH,
  VIRT_REVISION,
  VIRT_ROWS,
} from '../schema.js';
import { hex } from '../../acpi/hex.js';
import { defineCheck, type Check, type Context, type Located } from './check.js';
import { quoted } from '../../acpi/escape.js';
import { reservedOf } from './fields.js';

const VIRT = DEFS.VIRT;
const { features: FEATURES, signature: SIGNATURE } = VIRT_ROWS;
const DMAR_FLAGS = fieldByKey(DMAR_FIELDS, 'flags');
const IMS_OPTOUT = bitByKey(DMAR_FLAGS, 'IMS_OPTOUT');
const SUB_TYPE = fieldByKey(SUBTABLE_HEADER_FIELDS, 'type');
const SUB_LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');

const virtualized = (l: Located) => descriptorVirtualized(num(l.s.fields, 'flags'));

const signatureBytes = (ctx: Context, l: Located) => fieldBytes(ctx.bytes, l.s.offset, SIGNATURE);

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-VIRT-LENGTH',
    severity: 'error',
    source: ['proposal'],
    description: `the virtualization descriptor's Length is not ${VIRT_LENGTH}`,
    hint: `the proposed descriptor (type 0x8001) is exactly ${VIRT_LENGTH} bytes`,
    reads: [VIRT_DESCRIPTOR_TYPE],
    // every framed descriptor, one too short for its fields too (DMAR-STRUCT-TOO-SHORT leaves it to this check,
    // so that the finding is labelled as the proposal's)
    run(ctx, report) {
      const list = ctx.table.structures;
      for (let index = 0; index < list.length; index++) {
        const s = list[index]!;
        if (s.type === VIRT_DESCRIPTOR_TYPE && s.length !== VIRT_LENGTH)
          report({ offset: s.offset + SUB_LENGTH.offset, structure: index, message: `Length is ${s.length}, must be ${VIRT_LENGTH}` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-VIRT-REVISION',
    severity: 'warning',
    source: ['proposal'],
    description: `the virtualization descriptor's Revision is not ${VIRT_REVISION}`,
    hint: `revision ${VIRT_REVISION} is the only one defined; a consumer may not understand another`,
    reads: [VIRT_DESCRIPTOR_TYPE],
    run(ctx, report) {
      for (const l of ctx.of(VIRT_DESCRIPTOR_TYPE)) {
        const r = num(l.s.fields, 'revision');
        if (r !== VIRT_REVISION) report({ offset: ctx.at(l, 'revision'), structure: l.index, message: `Revision is ${r}` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-VIRT-DUPLICATE',
    severity: 'error',
    source: ['proposal'],
    description: 'more than one virtualization descriptor',
    hint: 'a table carries at most one descriptor: consumers would have to guess which one counts',
    reads: [VIRT_DESCRIPTOR_TYPE],
    run(ctx, report) {
      const all = ctx.table.structures.map((s, index) => ({ s, index })).filter((x) => x.s.type === VIRT_DESCRIPTOR_TYPE);
      for (const x of all.slice(1))
        report({ offset: x.s.offset + SUB_TYPE.offset, structure: x.index, message: `another descriptor besides ${ctx.label(all[0]!.index)}` });
    },
  }),
  defineCheck({
    id: 'DMAR-VIRT-NOT-LAST',
    severity: 'warning',
    source: ['proposal'],
    description: 'the virtualization descriptor is followed by other structures',
    hint: "append the descriptor after all standard structures: ACPICA's disassembler (iasl -d) stops listing the table at a type it does not know",
    reads: [VIRT_DESCRIPTOR_TYPE],
    run(ctx, report) {
      const list = ctx.table.structures;
      const i = list.findIndex((s) => s.type === VIRT_DESCRIPTOR_TYPE);
      if (i < 0) return;
      const after = list.slice(i + 1).find((s) => s.type !== VIRT_DESCRIPTOR_TYPE);
      if (after) report({ offset: list[i]!.offset + SUB_TYPE.offset, structure: i, message: `followed by ${ctx.label(list.indexOf(after))}` });
    },
  }),
  defineCheck({
    id: 'DMAR-VIRT-RESERVED',
    severity: 'warning',
    source: ['proposal'],
    description: 'the virtualization descriptor sets reserved Flags bits (1..7) or reserved bytes',
    hint: 'reserved fields of the proposed descriptor must be 0',
    reads: [VIRT_DESCRIPTOR_TYPE],
    run: reservedOf(VIRT.fields.filter((f) => f !== FEATURES)),
  }),
  defineCheck({
    id: 'DMAR-VIRT-FEATURES-UNKNOWN',
    severity: 'warning',
    source: ['proposal'],
    description: 'Supported Features sets bits 3..63, which no proposal defines',
    hint: 'consumers treat unknown feature bits as not supported: clear them',
    reads: [VIRT_DESCRIPTOR_TYPE],
    run: reservedOf([FEATURES]),
  }),
  defineCheck({
    id: 'DMAR-VIRT-BARE-METAL-CLAIMS',
    severity: 'warning',
    source: ['proposal'],
    description: 'VIRTUALIZED=0 (bare metal) with a hypervisor signature or feature bits',
    hint: 'on bare metal the signature and Supported Features are zero; if this is a VM, set VIRTUALIZED',
    reads: [VIRT_DESCRIPTOR_TYPE],
    run(ctx, report) {
      for (const l of ctx.of(VIRT_DESCRIPTOR_TYPE)) {
        const sig = signatureBytes(ctx, l);
        const f = big(l.s.fields, 'supportedFeatures');
        for (const claim of bareMetalClaims({ flags: num(l.s.fields, 'flags'), signature: sig, features: f })) {
          if (claim === 'signature')
            report({
              offset: ctx.at(l, 'hypervisorSignature'),
              structure: l.index,
              message: `bare metal, yet Hypervisor Signature is ${quoted(asciiValue(sig))}`,
            });
          else report({ offset: ctx.at(l, 'supportedFeatures'), structure: l.index, message: `bare metal, yet Supported Features is ${hex(f)}` });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-VIRT-NO-IMS-OPTOUT',
    severity: 'info',
    source: ['proposal'],
    description: 'VIRTUALIZED=1 while the proposed DMAR flag IMS_OPTOUT is 0',
    hint: 'consistent (the opt-in descriptor wins), but opt-out consumers will use native IMS: set IMS_OPTOUT too for them',
    reads: [VIRT_DESCRIPTOR_TYPE],
    run(ctx, report) {
      if (bitValue(num(ctx.table.fields, 'flags'), IMS_OPTOUT) === 1) return;
      for (const l of ctx.of(VIRT_DESCRIPTOR_TYPE)) {
        if (virtualized(l))
          report({ offset: ctx.at(l, 'flags'), structure: l.index, message: 'VIRTUALIZED=1 with IMS_OPTOUT=0: opt-out consumers would choose native IMS' });
      }
    },
  }),
];
