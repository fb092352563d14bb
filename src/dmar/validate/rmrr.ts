/** RMRR (Reserved Memory Region): alignment, range, overlap. */
import { PAGE_SIZE, STRUCT_TYPE } from '../schema.js';
import { hex } from '../../acpi/hex.js';
import { defineCheck, type Check, type Located } from './check.js';

/** An RMRR with its segment and range (End Address not below Base Address). */
interface Item {
  l: Located;
  seg: number;
  base: bigint;
  end: bigint;
}

const byRange = (x: Item, y: Item) => x.seg - y.seg || (x.base < y.base ? -1 : x.base > y.base ? 1 : x.l.index - y.l.index);

const range = (l: Located) => ({ base: l.s.fields.baseAddress as bigint, end: l.s.fields.endAddress as bigint });

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-RMRR-ALIGN',
    severity: 'error',
    source: ['Linux', 'fwts'],
    description: 'an RMRR Base Address or End Address + 1 is not 4 KiB aligned (fwts InvalidRMRRRangeAddr)',
    hint: 'Linux: FW_BUG "Your BIOS is broken; bad RMRR" and taints the kernel; End Address is the last byte (limit), so it ends in 0xfff',
    reads: [STRUCT_TYPE.RMRR],
    run(ctx, report) {
      const rmrrs = ctx.of(STRUCT_TYPE.RMRR);
      for (let i = 0; i < rmrrs.length; i++) {
        const l = rmrrs[i]!;
        const { base, end } = range(l);
        if (base % PAGE_SIZE) report({ offset: ctx.at(l, 'baseAddress'), structure: l.index, message: `Base Address ${hex(base)} is not 4 KiB aligned` });
        if ((end + 1n) % PAGE_SIZE)
          report({ offset: ctx.at(l, 'endAddress'), structure: l.index, message: `End Address ${hex(end)} + 1 is not 4 KiB aligned` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-RMRR-RANGE',
    severity: 'error',
    source: ['Linux', 'fwts'],
    description: 'an RMRR End Address is not above its Base Address (fwts InvalidRMRRRangeAddr)',
    hint: 'Linux: FW_BUG "Your BIOS is broken; bad RMRR" (it requires End > Base); End Address is the last byte of the region',
    reads: [STRUCT_TYPE.RMRR],
    run(ctx, report) {
      const rmrrs = ctx.of(STRUCT_TYPE.RMRR);
      for (let i = 0; i < rmrrs.length; i++) {
        const l = rmrrs[i]!;
        const { base, end } = range(l);
        if (end <= base)
          report({ offset: ctx.at(l, 'endAddress'), structure: l.index, message: `End Address ${hex(end)} is not above Base Address ${hex(base)}` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-RMRR-OVERLAP',
    severity: 'warning',
    source: ['dmar'],
    description: 'two RMRRs of one segment overlap',
    hint: "describe a region once and list every device that needs it in that RMRR's scopes",
    reads: [STRUCT_TYPE.RMRR],
    run(ctx, report) {
      const rmrrs = ctx.of(STRUCT_TYPE.RMRR);
      if (rmrrs.length < 2) return;
      // sort and sweep, not every pair: a table of thousands of RMRRs stays linear-ish
      const items: Item[] = [];
      for (let i = 0; i < rmrrs.length; i++) {
        const l = rmrrs[i]!;
        const base = l.s.fields.baseAddress as bigint;
        const end = l.s.fields.endAddress as bigint;
        if (base <= end) items.push({ l, seg: l.s.fields.segment as number, base, end });
      }
      // by segment, then base, then table order: sorted only when not already so (a real table's few RMRRs often are)
      let ordered = true;
      for (let i = 1; i < items.length && ordered; i++) ordered = byRange(items[i - 1]!, items[i]!) <= 0;
      if (!ordered) items.sort(byRange);
      let reported: Set<number> | undefined;
      let reach: Item | undefined;
      for (let i = 0; i < items.length; i++) {
        const x = items[i]!;
        if (reach && reach.seg === x.seg && x.base <= reach.end) {
          // of the two, the one later in the table is the one to move or merge
          const later = x.l.index > reach.l.index ? x : reach;
          const earlier = later === x ? reach : x;
          reported ??= new Set<number>();
          if (!reported.has(later.l.index)) {
            reported.add(later.l.index);
            report({
              offset: ctx.at(later.l, 'baseAddress'),
              structure: later.l.index,
              message: `${hex(later.base)}-${hex(later.end)} overlaps ${ctx.label(earlier.l.index)} (${hex(earlier.base)}-${hex(earlier.end)})`,
            });
          }
        }
        if (!reach || reach.seg !== x.seg || x.end > reach.end) reach = x;
      }
    },
  }),
];
