/**
 * Framing: lengths that are zero, too short or run past their parent. The
 * lenient decoder finds these (one walker for decoding and validation); each
 * of its Problem codes is a check here with the same ID.
 */
import type { Problem } from '../decode.js';
import { fieldByKey, structDef, SUBTABLE_HEADER_FIELDS } from '../schema.js';
import { defineCheck, type Check, type Context, type Reporter } from './check.js';

const STRUCT_CODES = new Set(['DMAR-STRUCT-ZERO-LENGTH', 'DMAR-STRUCT-TOO-SHORT', 'DMAR-STRUCT-OVERRUN']);
const SUB_LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');

/** Report the decoder's problems carrying this check's ID (but those `skip` leaves to another check). */
function fromDecoder(id: string, skip?: (ctx: Context, p: Problem) => boolean) {
  return (ctx: Context, report: Reporter) => {
    // by index: ten of these run on every table, nearly always over no problem at all
    const problems = ctx.decoded.problems;
    for (let i = 0; i < problems.length; i++) if (problems[i]!.code === id && !skip?.(ctx, problems[i]!)) report(locate(ctx, problems[i]!));
  };
}

/** A framed structure of a proposed type (the virtualization descriptor): its Length is the proposal's check's. */
const ofProposedType = (ctx: Context, p: Problem) => {
  const s = p.structure === undefined ? undefined : ctx.table.structures[p.structure];
  return s !== undefined && structDef(s.type)?.proposed === true;
};

function locate(ctx: Context, p: Problem) {
  if (p.structure === undefined) return { offset: p.offset, message: p.message };
  const s = ctx.table.structures[p.structure];
  if (s === undefined && STRUCT_CODES.has(p.code)) {
    // The walker stopped at this structure: the problem is at its Length.
    return { offset: p.offset, structure: p.structure, label: ctx.labelUnframed(p.structure, p.offset - SUB_LENGTH.offset), message: p.reason };
  }
  const scope = p.code.startsWith('DMAR-SCOPE-') && s?.scopes ? s.scopes.length : undefined;
  return { offset: p.offset, structure: p.structure, scope, message: p.reason };
}

/** Input that is not a DMAR table at all: the file is reported unreadable (exit 2). */
const fatal: Check[] = [
  defineCheck({
    id: 'DMAR-HDR-TRUNCATED',
    severity: 'error',
    source: ['ACPI'],
    fatal: true,
    description: 'the input is shorter than the ACPI header (36 bytes) or the DMAR fixed part (48 bytes)',
    hint: 'the file was cut short: dump the table again (acpidump -n DMAR, or /sys/firmware/acpi/tables/DMAR)',
  }),
  defineCheck({
    id: 'DMAR-HDR-SIGNATURE',
    severity: 'error',
    source: ['ACPI'],
    fatal: true,
    description: 'the Signature is not "DMAR"',
    hint: 'this is not a DMAR table; for an acpidump, check that it holds a DMAR table',
  }),
  defineCheck({
    id: 'DMAR-HDR-LENGTH-SHORT',
    severity: 'error',
    source: ['ACPI'],
    fatal: true,
    description: 'Table Length is shorter than the DMAR fixed part (48 bytes)',
    hint: 'set Table Length to the size of the whole table, header included',
  }),
];

export const checks: Check[] = [
  ...fatal,
  defineCheck({
    id: 'DMAR-HDR-LENGTH-PAST-END',
    severity: 'error',
    source: ['ACPI'],
    description: 'Table Length runs past the end of the data',
    hint: 'the table was cut short, or Table Length is too large: it must count every byte of the table',
    run: fromDecoder('DMAR-HDR-LENGTH-PAST-END'),
  }),
  defineCheck({
    id: 'DMAR-HDR-EXTRA-DATA',
    severity: 'warning',
    source: ['dmar'],
    description: 'the input holds bytes after Table Length',
    hint: 'either Table Length is too small (structures are lost) or the file carries junk after the table',
    run: fromDecoder('DMAR-HDR-EXTRA-DATA'),
  }),
  defineCheck({
    id: 'DMAR-TABLE-TRAILING',
    severity: 'error',
    source: ['Linux'],
    description: '1 to 3 stray bytes after the last structure (too few for a structure header)',
    hint: 'Linux reads them as a structure header: it stops there or rejects the table ("Record passes table end"); fix Table Length',
    run: fromDecoder('DMAR-TABLE-TRAILING'),
  }),
  defineCheck({
    id: 'DMAR-STRUCT-ZERO-LENGTH',
    severity: 'error',
    source: ['Linux'],
    description: 'a remapping structure has Length 0',
    hint: 'Linux silently stops reading the table there: every structure after it is ignored (kernels before the 2014 rework of the table walk rejected the table, "Invalid 0-length structure"); set Length to the structure size',
    run: fromDecoder('DMAR-STRUCT-ZERO-LENGTH'),
  }),
  defineCheck({
    id: 'DMAR-STRUCT-TOO-SHORT',
    severity: 'error',
    source: ['VT-d spec'],
    description: "a remapping structure's Length is shorter than its header or its fixed part",
    hint: 'Length covers the whole structure: fixed fields, device scopes and name',
    // a virtualization descriptor shorter than its fields: DMAR-VIRT-LENGTH, labelled as the proposal's
    run: fromDecoder('DMAR-STRUCT-TOO-SHORT', ofProposedType),
  }),
  defineCheck({
    id: 'DMAR-STRUCT-OVERRUN',
    severity: 'error',
    source: ['Linux'],
    description: "a remapping structure's Length runs past the end of the table",
    hint: 'Linux rejects the whole table ("Record passes table end"): no IOMMU; fix Length or Table Length',
    run: fromDecoder('DMAR-STRUCT-OVERRUN'),
  }),
  defineCheck({
    id: 'DMAR-SCOPE-TOO-SHORT',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'a device scope Entry Length is below 6 (or one stray byte ends the structure)',
    hint: 'Entry Length is 6 + 2 per PCI Path entry; the scopes must fill their structure exactly. An Entry Length of 0 hangs Linux at boot: dmar_alloc_dev_scope() steps through the scopes by it',
    run: fromDecoder('DMAR-SCOPE-TOO-SHORT'),
  }),
  defineCheck({
    id: 'DMAR-SCOPE-OVERRUN',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'a device scope runs past the end of its structure',
    hint: "the structure's Length or the scope's Entry Length is wrong",
    run: fromDecoder('DMAR-SCOPE-OVERRUN'),
  }),
  defineCheck({
    id: 'DMAR-SCOPE-LENGTH',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'a device scope Entry Length is not 6 + 2n',
    hint: 'each PCI Path entry is 2 bytes (Device, Function): Entry Length = 6 + 2 x entries',
    run: fromDecoder('DMAR-SCOPE-LENGTH'),
  }),
  defineCheck({
    id: 'DMAR-ANDD-NAME-UNTERMINATED',
    severity: 'error',
    source: ['Linux'],
    description: 'an ANDD Device Name has no NUL within Length',
    hint: 'Linux fails the DMAR parse ("ANDD object name is not NUL-terminated"): end the name with a NUL inside Length',
    run: fromDecoder('DMAR-ANDD-NAME-UNTERMINATED'),
  }),
];
