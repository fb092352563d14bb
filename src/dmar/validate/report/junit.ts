/**
 * `--format junit`: one <testsuite> per file, one <testcase> per check run on
 * it; a check with findings at or above --fail-on carries a <failure>, findings
 * below it, and the notes on how it judged (the kernel rule, the memory map), go to the testcase's
 * <system-out>; an unreadable file is one
 * testcase with an <error>. The MADT checks are <skipped/> without a MADT.
 */
import { atLeast, type CheckInfo, type Finding, type Severity } from '../check.js';
import { hex } from '../../../acpi/hex.js';
import type { FileResult } from './result.js';

import { termText, xmlAttr, xmlText } from '../../../acpi/escape.js';

/**
 * An attribute from one line of text (a file name, a message, a note): escaped as on a terminal first, so that
 * a CR, LF or TAB from input reaches a CI page as `\x0a`, not as a character reference a parser turns back
 * into a line break, and then for XML.
 */
const attr = (s: string) => xmlAttr(termText(s));

/** A finding as two lines of a failure's or system-out's text: each line escaped as on a terminal. */
function line(f: Finding): string {
  const where = f.structure ? `${f.structure}${f.scope !== undefined ? `, scope ${f.scope}` : ''}: ` : '';
  return `${f.severity} at ${hex(f.offset)}: ${where}${termText(f.message)}${f.proposed ? ' (proposed)' : ''}\n  fix: ${termText(f.hint)}`;
}

export interface JunitOptions {
  failOn: Severity;
  /** The checks that ran (testcases), in catalogue order. */
  checks: readonly CheckInfo[];
}

export function reportJunit(results: readonly FileResult[], opts: JunitOptions): string {
  const suites: string[] = [];
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const r of results) {
    const cases: string[] = [];
    const n = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const name = attr(r.file);
    if (r.error) {
      n.tests = 1;
      n.errors = 1;
      const type = r.error.id ?? 'unreadable';
      cases.push(
        `    <testcase classname="${name}" name="${attr(type)}">\n      <error message="${attr(r.error.message)}" type="${attr(type)}"/>\n    </testcase>`,
      );
    } else {
      const byId = new Map<string, Finding[]>();
      for (const f of r.findings) {
        if (!byId.has(f.id)) byId.set(f.id, []);
        byId.get(f.id)!.push(f);
      }
      for (const c of opts.checks) {
        n.tests++;
        const open = `    <testcase classname="${name}" name="${attr(c.id)}">`;
        const skip = r.notes?.find((x) => x.startsWith(`${c.id} `));
        if (skip) {
          n.skipped++;
          cases.push(`${open}\n      <skipped message="${attr(skip)}"/>\n    </testcase>`);
          continue;
        }
        if (c.needs && c.needs !== 'MADT' && !r.notes && !(c.needs === 'HPET' && r.hpet)) {
          n.skipped++;
          const needs = c.needs === 'HPET' ? 'the HPET table (an acpidump with one, or --machine DIR|live)' : 'the machine (--machine DIR|live)';
          cases.push(`${open}\n      <skipped message="needs ${needs}"/>\n    </testcase>`);
          continue;
        }
        if (c.needs === 'MADT' && !r.madt) {
          n.skipped++;
          cases.push(`${open}\n      <skipped message="needs the MADT (give a whole acpidump)"/>\n    </testcase>`);
          continue;
        }
        const found = byId.get(c.id) ?? [];
        const failing = found.filter((f) => atLeast(f.severity, opts.failOn));
        const body: string[] = [];
        if (failing.length) {
          n.failures++;
          const msg = failing.length === 1 ? failing[0]!.message : `${failing.length} findings; first: ${failing[0]!.message}`;
          body.push(`      <failure message="${attr(msg)}" type="${attr(failing[0]!.severity)}">${xmlText(failing.map(line).join('\n'))}</failure>`);
        }
        const rest = found.filter((f) => !atLeast(f.severity, opts.failOn));
        // what a note says of how the check judged (`ID: ...`, not a skip): the kernel rule it took, the map it read
        const said = (r.notes ?? []).filter((x) => x.startsWith(`${c.id}: `)).map((x) => `note: ${termText(x.slice(c.id.length + 2))}`);
        if (rest.length || said.length) body.push(`      <system-out>${xmlText([...rest.map(line), ...said].join('\n'))}</system-out>`);
        cases.push(body.length ? `${open}\n${body.join('\n')}\n    </testcase>` : `${open}</testcase>`);
      }
    }
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += n[k];
    suites.push(
      `  <testsuite name="${name}" tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    // no skipped= here: the common JUnit schema (Jenkins xunit junit-10.xsd) allows it on <testsuite> only
    `<testsuites name="dmar validate" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
