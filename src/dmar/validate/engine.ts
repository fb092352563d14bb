/**
 * The engine: decode leniently, run the selected checks, return findings in
 * byte order. One call per table, no I/O: cheap to call in a loop.
 */
import { decodeDmar } from '../decode.js';
import type { MachineFacts } from '../../machine/facts.js';
import { CHECKS } from './catalogue.js';
import { Context, isProposed, type CompanionTable, type Finding, type Report } from './check.js';

export interface ValidateOptions {
  /** Other tables of the same machine (an acpidump's): enables the MADT cross-check. */
  tables?: readonly CompanionTable[];
  /** The machine the table describes: enables the machine checks (src/dmar/validate/machine.ts). */
  machine?: MachineFacts;
  /** Run only these check IDs (default: all). */
  only?: ReadonlySet<string>;
  /** Skip these check IDs. */
  ignore?: ReadonlySet<string>;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/**
 * Validate one DMAR table. Throws DmarError (code = the fatal check's ID) when
 * the bytes are not a DMAR table at all; every other defect is a finding.
 */
export function validateBytes(bytes: Uint8Array, opts: ValidateOptions = {}): Finding[] {
  const ctx = new Context(bytes, decodeDmar(bytes, { strict: false }), opts.tables, opts.machine);
  const findings: Finding[] = [];
  for (const check of CHECKS) {
    if (!check.run || (opts.only && !opts.only.has(check.id)) || opts.ignore?.has(check.id)) continue;
    const proposed = isProposed(check);
    check.run(ctx, (r: Report & { label?: string }) => {
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
    });
  }
  // Stable sort: byte order, then severity; checks of one offset keep catalogue order.
  return findings.sort((a, b) => a.offset - b.offset || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
