/** RHSA (affinity of a remapping unit) and ANDD (ACPI namespace devices) with the scopes that name them. */
import { STRUCT_TYPE } from '../schema.js';
import { big, num } from '../model.js';
import { hex, hexDigits } from '../../acpi/hex.js';
import { defineCheck, printable, repeats, SCOPE, type Check, type Context, type Located } from './check.js';
import { quoted } from '../../acpi/escape.js';

/** A fully qualified ACPI path: `\` then dot-separated NameSegs of up to 4 characters. */
const ABSOLUTE_PATH = /^\\(?:[A-Z_][A-Z0-9_]{0,3}(?:\.[A-Z_][A-Z0-9_]{0,3})*)?$/;

/** The namespace-device scopes of the table, with their Enumeration IDs: once per table (two checks read them). */
function namespaceScopes(ctx: Context): readonly { l: Located; j: number; id: number; offset: number }[] {
  return ctx.once('namespace-scopes', makeNamespaceScopes);
}
function makeNamespaceScopes(ctx: Context): { l: Located; j: number; id: number; offset: number }[] {
  const out: { l: Located; j: number; id: number; offset: number }[] = [];
  const scopes = ctx.scopes();
  for (let i = 0; i < scopes.length; i++) {
    const { l, sc, j } = scopes[i]!;
    if (sc.fields.type === SCOPE.NAMESPACE) out.push({ l, j, id: num(sc.fields, 'enumerationId'), offset: ctx.scopeAt(sc, 'enumerationId') });
  }
  return out;
}

/**
 * Linux's warning for an RHSA whose unit it has not met (dmar_parse_one_rhsa() in
 * drivers/iommu/intel/dmar.c: pr_warn(FW_BUG "Your BIOS is broken; RHSA refers to
 * non-existent DMAR unit at %llx\n" ...), then add_taint(TAINT_FIRMWARE_WORKAROUND)).
 */
function linuxRhsaMessage(base: bigint): string {
  return `Linux: "[Firmware Bug]: Your BIOS is broken; RHSA refers to non-existent DMAR unit at ${hexDigits(base)}"`;
}

/** Each RHSA with its Base Address and the first DRHD of the table with that Register Base Address. */
function rhsaUnits(ctx: Context): { l: Located; b: bigint; unit: Located | undefined }[] {
  return ctx.once('rhsa-units', makeRhsaUnits);
}
function makeRhsaUnits(ctx: Context): { l: Located; b: bigint; unit: Located | undefined }[] {
  const units = new Map<bigint, Located>();
  const drhds = ctx.of(STRUCT_TYPE.DRHD);
  for (let i = 0; i < drhds.length; i++) {
    const d = drhds[i]!;
    const base = big(d.s.fields, 'registerBaseAddress');
    if (!units.has(base)) units.set(base, d);
  }
  return ctx.of(STRUCT_TYPE.RHSA).map((l) => {
    const b = big(l.s.fields, 'baseAddress');
    return { l, b, unit: units.get(b) };
  });
}

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-RHSA-NO-DRHD',
    severity: 'error',
    source: ['Linux'],
    description: "an RHSA Base Address is no DRHD's Register Base Address",
    hint: 'Linux: FW_BUG "RHSA refers to non-existent DMAR unit" and taints the kernel; use the unit\'s Register Base Address',
    reads: [STRUCT_TYPE.RHSA],
    run(ctx, report) {
      const units = rhsaUnits(ctx);
      for (let i = 0; i < units.length; i++) {
        const { l, b, unit } = units[i]!;
        if (unit === undefined)
          report({ offset: ctx.at(l, 'baseAddress'), structure: l.index, message: `Base Address ${hex(b)} names no DRHD: ${linuxRhsaMessage(b)}` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-RHSA-BEFORE-DRHD',
    severity: 'error',
    source: ['Linux'],
    description: 'an RHSA comes before the DRHD it names',
    hint: 'Linux walks the table once and registers each DRHD as it meets it, so it finds no unit for this RHSA: FW_BUG "RHSA refers to non-existent DMAR unit", kernel tainted; move the RHSA after the DRHDs',
    reads: [STRUCT_TYPE.RHSA],
    run(ctx, report) {
      const units = rhsaUnits(ctx);
      for (let i = 0; i < units.length; i++) {
        const { l, b, unit } = units[i]!;
        if (unit !== undefined && unit.index > l.index) {
          report({
            offset: ctx.at(l, 'baseAddress'),
            structure: l.index,
            message: `Base Address ${hex(b)} names ${ctx.label(unit.index)}, which comes after it: ${linuxRhsaMessage(b)}`,
          });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-RHSA-DUPLICATE',
    severity: 'warning',
    source: ['dmar'],
    description: 'two RHSAs give an affinity for the same remapping unit',
    hint: 'a unit sits in one proximity domain: keep one RHSA per DRHD',
    reads: [STRUCT_TYPE.RHSA],
    run(ctx, report) {
      const again = repeats(ctx.of(STRUCT_TYPE.RHSA), (x) => big(x.s.fields, 'baseAddress'));
      for (let i = 0; i < again.length; i++) {
        const [l, prev] = again[i]!;
        report({
          offset: ctx.at(l, 'baseAddress'),
          structure: l.index,
          message: `unit ${hex(big(l.s.fields, 'baseAddress'))} already has ${ctx.label(prev.index)}`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-ANDD-DUPLICATE',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'two ANDDs have the same Device Number',
    hint: 'the Device Number is what namespace-device scopes refer to: it must be unique',
    reads: [STRUCT_TYPE.ANDD],
    run(ctx, report) {
      const again = repeats(ctx.of(STRUCT_TYPE.ANDD), (x) => num(x.s.fields, 'deviceNumber'));
      for (let i = 0; i < again.length; i++) {
        const [l, prev] = again[i]!;
        report({
          offset: ctx.at(l, 'deviceNumber'),
          structure: l.index,
          message: `Device Number ${num(l.s.fields, 'deviceNumber')} is also ${ctx.label(prev.index)}'s`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-NAMESPACE-NO-ANDD',
    severity: 'error',
    source: ['VT-d spec'],
    description: "a namespace-device scope's Enumeration ID names no ANDD",
    hint: 'add the ANDD declaring that Device Number, or fix the Enumeration ID: no device is bound to this scope',
    run(ctx, report) {
      const scopes = namespaceScopes(ctx);
      if (!scopes.length) return;
      const numbers = new Set(ctx.of(STRUCT_TYPE.ANDD).map((l) => num(l.s.fields, 'deviceNumber')));
      for (const x of scopes) {
        if (!numbers.has(x.id)) report({ offset: x.offset, structure: x.l.index, scope: x.j, message: `Enumeration ID ${x.id} names no ANDD` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-ANDD-NO-SCOPE',
    severity: 'warning',
    source: ['Linux'],
    description: "no DRHD scope names an ANDD's Device Number",
    hint: 'Linux: "No IOMMU scope found for ANDD enumeration ID", the device is not translated: add a namespace-device scope to the DRHD of the device',
    reads: [STRUCT_TYPE.ANDD],
    run(ctx, report) {
      if (!ctx.of(STRUCT_TYPE.ANDD).length) return;
      const named = new Set(
        namespaceScopes(ctx)
          .filter((x) => x.l.s.type === STRUCT_TYPE.DRHD)
          .map((x) => x.id),
      );
      const andds = ctx.of(STRUCT_TYPE.ANDD);
      for (let i = 0; i < andds.length; i++) {
        const l = andds[i]!;
        const n = num(l.s.fields, 'deviceNumber');
        if (!named.has(n))
          report({ offset: ctx.at(l, 'deviceNumber'), structure: l.index, message: `Device Number ${n} (${printable(l.s.name ?? '')}) is in no DRHD scope` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-ANDD-NAME-INVALID',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'an ANDD Device Name is empty or not a fully qualified ACPI path',
    hint: 'the VT-d spec asks for the fully qualified path of the device (e.g. \\_SB.PCI0.I2C0); Linux looks the name up from the namespace root, where a relative name resolves too (acpi_get_handle), but another OS need not, and an empty name names no device',
    reads: [STRUCT_TYPE.ANDD],
    run(ctx, report) {
      const andds = ctx.of(STRUCT_TYPE.ANDD);
      for (let i = 0; i < andds.length; i++) {
        const l = andds[i]!;
        if (l.s.unterminated) continue; // DMAR-ANDD-NAME-UNTERMINATED
        const name = l.s.name ?? '';
        if (!ABSOLUTE_PATH.test(name) || name === '\\') {
          report({ offset: l.s.offset + l.def.fixedSize, structure: l.index, message: `Device Name ${quoted(name)} is not a fully qualified ACPI path` });
        }
      }
    },
  }),
];
