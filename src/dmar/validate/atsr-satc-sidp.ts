/** ATSR, SATC, SIDP (and RMRR, which shares the rule): segments, ALL_PORTS. */
import { bitByKey, bitValue } from '../../acpi/fields.js';
import { num } from '../model.js';
import { DEFS, fieldByKey, SEGMENT_DEVICE_TYPES, STRUCT_TYPE } from '../schema.js';
import { defineCheck, repeats, type Check, type Located } from './check.js';

const ALL_PORTS = bitByKey(fieldByKey(DEFS.ATSR.fields, 'flags'), 'ALL_PORTS');
const allPorts = (l: Located) => bitValue(l.s.fields.flags as number, ALL_PORTS) === 1;

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-SEGMENT-NO-DRHD',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'an RMRR, ATSR, SATC or SIDP names a PCI segment that no DRHD covers',
    hint: 'its devices must be under a remapping unit of the same segment: fix the PCI Segment Number or add the DRHD',
    reads: SEGMENT_DEVICE_TYPES,
    run(ctx, report) {
      const drhds = ctx.of(STRUCT_TYPE.DRHD);
      if (drhds.length === 0) return; // DMAR-DRHD-NONE says it
      // nearly every table has one segment: a Set only when its DRHDs name several
      const first = num(drhds[0]!.s.fields, 'segment');
      let several = false;
      for (let i = 1; i < drhds.length && !several; i++) several = num(drhds[i]!.s.fields, 'segment') !== first;
      const segs = several ? new Set(drhds.map((l) => num(l.s.fields, 'segment'))) : undefined;
      for (let t = 0; t < SEGMENT_DEVICE_TYPES.length; t++) {
        const structs = ctx.of(SEGMENT_DEVICE_TYPES[t]!);
        for (let i = 0; i < structs.length; i++) {
          const l = structs[i]!;
          const seg = num(l.s.fields, 'segment');
          if (segs ? !segs.has(seg) : seg !== first) report({ offset: ctx.at(l, 'segment'), structure: l.index, message: `segment ${seg} has no DRHD` });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-ATSR-ALL-PORTS-DUPLICATE',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'more than one ATSR with ALL_PORTS on one segment',
    hint: 'one ATSR per segment says that every root port supports ATS',
    reads: [STRUCT_TYPE.ATSR],
    run(ctx, report) {
      const again = repeats(ctx.of(STRUCT_TYPE.ATSR), (x) => (allPorts(x) ? num(x.s.fields, 'segment') : undefined));
      for (let i = 0; i < again.length; i++) {
        const [l, prev] = again[i]!;
        report({
          offset: ctx.at(l, 'flags'),
          structure: l.index,
          message: `second ALL_PORTS ATSR on segment ${num(l.s.fields, 'segment')} (the first is ${ctx.label(prev.index)})`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-ATSR-ALL-PORTS-SCOPES',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'an ATSR with ALL_PORTS also lists device scopes',
    hint: 'with ALL_PORTS the scopes are ignored: either clear ALL_PORTS or drop the scopes',
    reads: [STRUCT_TYPE.ATSR],
    run(ctx, report) {
      const atsrs = ctx.of(STRUCT_TYPE.ATSR);
      for (let i = 0; i < atsrs.length; i++) {
        const l = atsrs[i]!;
        const n = l.s.scopes?.length ?? 0;
        if (allPorts(l) && n > 0)
          report({ offset: ctx.at(l, 'flags'), structure: l.index, message: `ALL_PORTS set and ${n} device scope${n > 1 ? 's' : ''} listed` });
      }
    },
  }),
];
