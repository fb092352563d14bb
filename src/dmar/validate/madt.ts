/**
 * Cross-check with the MADT, when the input carries it (a whole acpidump, or
 * the running machine): every I/O APIC must sit behind a remapping unit.
 */
import { bitByKey, bitValue } from '../../acpi/fields.js';
import { madtIoapics, type MadtIoapic } from '../../acpi/madt.js';
import { num } from '../model.js';
import { DMAR_FIELDS, fieldByKey, STRUCT_TYPE } from '../schema.js';
import { hex } from '../../acpi/hex.js';
import { defineCheck, madtOf, SCOPE, type Check, type Context } from './check.js';

const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');
const INTR_REMAP = bitByKey(FLAGS, 'INTR_REMAP');

function madt(ctx: Context): MadtIoapic[] | undefined {
  return ctx.once('madt', madtOfContext);
}
function madtOfContext(ctx: Context): MadtIoapic[] | undefined {
  const t = madtOf(ctx.tables);
  return t ? madtIoapics(t.bytes) : undefined;
}

function dmarIoapics(ctx: Context) {
  return ctx
    .scopes(ctx.of(STRUCT_TYPE.DRHD))
    .filter(({ sc }) => sc.fields.type === SCOPE.IOAPIC)
    .map(({ l, sc, j }) => ({ id: num(sc.fields, 'enumerationId'), index: l.index, scope: j, offset: ctx.scopeAt(sc, 'enumerationId') }));
}

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-MADT-IOAPIC-UNMAPPED',
    severity: 'error',
    source: ['Linux'],
    needs: 'MADT',
    description: 'INTR_REMAP is set but an I/O APIC of the MADT is in no DRHD scope (needs the MADT: acpidump input or the live system)',
    hint: 'Linux: "ioapic N has no mapping iommu, interrupt remapping will be disabled": add an IOAPIC scope with that ID to the DRHD of its unit',
    run(ctx, report) {
      const apics = madt(ctx);
      if (!apics || bitValue(num(ctx.table.fields, 'flags'), INTR_REMAP) !== 1) return;
      const named = new Set(dmarIoapics(ctx).map((x) => x.id));
      for (const a of apics) {
        if (!named.has(a.id)) {
          report({
            offset: FLAGS.offset,
            message: `INTR_REMAP set, but MADT I/O APIC ${a.id} (address ${hex(a.address)}, GSI base ${a.gsiBase}) is in no DRHD scope`,
          });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-MADT-IOAPIC-UNKNOWN',
    severity: 'warning',
    source: ['dmar'],
    needs: 'MADT',
    description: 'a DRHD IOAPIC scope names an I/O APIC ID the MADT does not have (needs the MADT)',
    hint: 'the Enumeration ID of an IOAPIC scope is the I/O APIC ID of the MADT entry',
    run(ctx, report) {
      const apics = madt(ctx);
      if (!apics) return;
      const ids = new Set(apics.map((a) => a.id));
      for (const x of dmarIoapics(ctx)) {
        if (!ids.has(x.id))
          report({
            offset: x.offset,
            structure: x.index,
            scope: x.scope,
            message: `IOAPIC ${x.id} is not in the MADT (it has ${[...ids].join(', ') || 'none'})`,
          });
      }
    },
  }),
];
