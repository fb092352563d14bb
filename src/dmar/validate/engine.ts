/**
 * The engine: decode leniently, run the selected checks, return findings in
 * byte order. One call per table, no I/O: cheap to call in a loop.
 */
import { checkMadt } from '../../acpi/madt.js';
import { decodeDmar } from '../decode.js';
import type { MachineFacts } from '../../machine/facts.js';
import { CHECKS } from './catalogue.js';
import { hpetsOf } from './machine.js';
import { Context, isProposed, madtOf, type Check, type CompanionTable, type Finding, type Report } from './check.js';

export interface ValidateOptions {
  /** Other tables of the same machine (an acpidump's): a MADT enables the MADT cross-checks, an HPET table the HPET check. */
  tables?: readonly CompanionTable[];
  /** The machine the table describes: enables the machine checks (src/dmar/validate/machine.ts). */
  machine?: MachineFacts;
  /**
   * Run only these check IDs (default: all). The selection is worked out once per
   * Set object, for batches: change the IDs by passing another Set, not by changing this one.
   */
  only?: ReadonlySet<string>;
  /** Skip these check IDs (the same rule as `only`). */
  ignore?: ReadonlySet<string>;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * The checks to run for one selection, worked out once for a batch that reuses
 * its options. A check that needs the MADT is left out when no MADT is given,
 * one that needs the machine when no machine is: it could report nothing
 * (each reads an absent input as nothing to check; test/dmar/validate/needs.test.ts),
 * and a batch of tables then runs, and V8 compiles, that much less.
 */
type Selection = { check: Check; proposed: boolean }[];
let lastSelection: { only?: ReadonlySet<string>; ignore?: ReadonlySet<string>; lists: Map<number, Selection> } | undefined;
function selected(opts: ValidateOptions): Selection {
  if (!lastSelection || lastSelection.only !== opts.only || lastSelection.ignore !== opts.ignore)
    lastSelection = { only: opts.only, ignore: opts.ignore, lists: new Map() };
  const madt = madtOf(opts.tables) !== undefined;
  const machine = opts.machine !== undefined;
  // the HPET check reads an acpidump's HPET table too
  const hpet = machine || (opts.tables !== undefined && hpetsOf({ tables: opts.tables }) !== undefined);
  const key = (madt ? 1 : 0) | (machine ? 2 : 0) | (hpet ? 4 : 0);
  let list = lastSelection.lists.get(key);
  if (!list) {
    list = CHECKS.filter(
      (c) =>
        c.run &&
        !(opts.only && !opts.only.has(c.id)) &&
        !opts.ignore?.has(c.id) &&
        (c.needs === undefined || (c.needs === 'MADT' ? madt : c.needs === 'HPET' ? hpet : machine)),
    ).map((check) => ({ check, proposed: isProposed(check) }));
    lastSelection.lists.set(key, list);
  }
  return list;
}

/**
 * A MADT given by a library caller is checked as the CLI checks the one it reads (checkMadt): a MADT that is
 * none (empty, cut short, Length past its bytes) would give false DMAR-MADT-* findings. Once per MADT.
 */
const checkedMadts = new WeakSet<Uint8Array>();
function checkedMadt(tables: readonly CompanionTable[] | undefined): void {
  const madt = madtOf(tables);
  if (!madt || checkedMadts.has(madt.bytes)) return;
  checkMadt(madt.bytes, 'the MADT given (tables)');
  checkedMadts.add(madt.bytes);
}

/** Whether the table frames a structure of one of these Types. */
function readsAny(ctx: Context, types: readonly number[]): boolean {
  for (let i = 0; i < types.length; i++) if (ctx.has(types[i]!)) return true;
  return false;
}

/**
 * Validate one DMAR table. Throws DmarError (code = the fatal check's ID) when
 * the bytes are not a DMAR table at all; every other defect is a finding.
 */
export function validateBytes(bytes: Uint8Array, opts: ValidateOptions = {}): Finding[] {
  checkedMadt(opts.tables);
  const ctx = new Context(bytes, decodeDmar(bytes, { strict: false }), opts.tables, opts.machine);
  const findings: Finding[] = [];
  // one reporter per table, told which check is running (not a closure per check and table)
  let check!: Check;
  let proposed = false;
  const report = (r: Report & { label?: string }) => {
    const f: Finding = {
      id: check.id,
      severity: check.severity,
      offset: r.offset,
      structure: r.label ?? (r.structure === undefined ? null : ctx.label(r.structure)),
      message: r.message,
      hint: r.hint ?? check.hint,
    };
    if (r.scope !== undefined) f.scope = r.scope + 1;
    if (proposed) f.proposed = true;
    findings.push(f);
  };
  // by index: until V8 has optimised this function, a for-of makes an iterator and a result per check
  const list = selected(opts);
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    check = s.check;
    if (check.reads !== undefined && !readsAny(ctx, check.reads)) continue;
    proposed = s.proposed;
    check.run!(ctx, report);
  }
  // Stable sort: byte order, then severity; checks of one offset keep catalogue order.
  if (findings.length > 1) findings.sort(byOffset);
  return findings;
}

const byOffset = (a: Finding, b: Finding) => a.offset - b.offset || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
