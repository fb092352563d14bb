/** RMRR (Reserved Memory Region): alignment, range, overlap. */
import { big, num } from '../model.js';
import { defineCheck, hex, type Check, type Located } from './check.js';

const PAGE = 0x1000n;
const range = (l: Located) => ({ base: big(l.s.fields, 'baseAddress'), end: big(l.s.fields, 'endAddress') });

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-RMRR-ALIGN', severity: 'error', source: ['Linux', 'fwts'],
    description: 'an RMRR Base Address or End Address + 1 is not 4 KiB aligned (fwts InvalidRMRRRangeAddr)',
    hint: 'Linux: FW_BUG "Your BIOS is broken; bad RMRR" and taints the kernel; End Address is the last byte (limit), so it ends in 0xfff',
    run(ctx, report) {
      for (const l of ctx.of(1)) {
        const { base, end } = range(l);
        if (base % PAGE) report({ offset: ctx.at(l, 'baseAddress'), structure: l.index, message: `Base Address ${hex(base)} is not 4 KiB aligned` });
        if ((end + 1n) % PAGE) report({ offset: ctx.at(l, 'endAddress'), structure: l.index, message: `End Address ${hex(end)} + 1 is not 4 KiB aligned` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-RMRR-RANGE', severity: 'error', source: ['Linux', 'fwts'],
    description: 'an RMRR End Address is not above its Base Address (fwts InvalidRMRRRangeAddr)',
    hint: 'Linux: FW_BUG "Your BIOS is broken; bad RMRR" (it requires End > Base); End Address is the last byte of the region',
    run(ctx, report) {
      for (const l of ctx.of(1)) {
        const { base, end } = range(l);
        if (end <= base) report({ offset: ctx.at(l, 'endAddress'), structure: l.index, message: `End Address ${hex(end)} is not above Base Address ${hex(base)}` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-RMRR-OVERLAP', severity: 'warning', source: ['dmar'],
    description: 'two RMRRs of one segment overlap',
    hint: 'describe a region once and list every device that needs it in that RMRR\'s scopes',
    run(ctx, report) {
      const seen: Located[] = [];
      for (const l of ctx.of(1)) {
        const a = range(l);
        const hit = seen.find((o) => {
          const b = range(o);
          return num(o.s.fields, 'segment') === num(l.s.fields, 'segment') && a.base <= b.end && b.base <= a.end && a.base <= a.end && b.base <= b.end;
        });
        if (hit) {
          const b = range(hit);
          report({
            offset: ctx.at(l, 'baseAddress'), structure: l.index,
            message: `${hex(a.base)}-${hex(a.end)} overlaps ${ctx.label(hit.index)} (${hex(b.base)}-${hex(b.end)})`,
          });
        }
        seen.push(l);
      }
    },
  }),
];
