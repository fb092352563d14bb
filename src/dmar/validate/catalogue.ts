/** Every check, in the order the catalogue lists them; built from the area modules. */
import type { CheckInfo, Check } from './check.js';
import { isProposed } from './check.js';
import { checks as atsrSatcSidp } from './atsr-satc-sidp.js';
import { checks as drhd } from './drhd.js';
import { checks as fields } from './fields.js';
import { checks as framing } from './framing.js';
import { checks as headerIds } from './header-ids.js';
import { checks as machine } from './machine.js';
import { checks as madt } from './madt.js';
import { checks as rhsaAndd } from './rhsa-andd.js';
import { checks as rmrr } from './rmrr.js';
import { checks as scope } from './scope.js';
import { checks as table } from './table.js';
import { checks as virt } from './virt.js';

export const CHECKS: readonly Check[] = [
  ...framing, ...table, ...headerIds, ...fields, ...drhd, ...rmrr, ...atsrSatcSidp, ...rhsaAndd, ...scope, ...virt, ...madt, ...machine,
];

const BY_ID = new Map(CHECKS.map((c) => [c.id, c]));
if (BY_ID.size !== CHECKS.length) throw new Error('validate: duplicate check ID');

export function checkById(id: string): Check | undefined {
  return BY_ID.get(id);
}

/** The catalogue as data (for --list --json and the docs). */
export function catalogue(): Array<CheckInfo & { proposed: boolean }> {
  return CHECKS.map((c) => ({
    id: c.id, severity: c.severity, source: c.source, description: c.description, hint: c.hint,
    ...(c.fatal ? { fatal: true } : {}), ...(c.needs ? { needs: c.needs } : {}), proposed: isProposed(c),
  }));
}

/**
 * Check IDs selected by patterns: an exact ID, or a prefix ending in `*`
 * (DMAR-VIRT-*). Returns the IDs and the patterns that matched nothing.
 */
export function selectChecks(patterns: readonly string[]): { ids: Set<string>; unknown: string[] } {
  const ids = new Set<string>();
  const unknown: string[] = [];
  for (const raw of patterns) {
    const p = raw.trim().toUpperCase();
    if (!p) continue;
    const hits = p.endsWith('*') ? CHECKS.filter((c) => c.id.startsWith(p.slice(0, -1))) : CHECKS.filter((c) => c.id === p);
    if (!hits.length) unknown.push(raw.trim());
    for (const c of hits) ids.add(c.id);
  }
  return { ids, unknown };
}

const escapeCell = (s: string) => s.replace(/\|/g, '\\|');

/** docs/checks.md: generated from the catalogue (scripts/checks-doc.mjs), tested to be current. */
export function catalogueMarkdown(): string {
  const lines = [
    '[dmar](../README.md) › [docs](README.md)',
    '',
    '# `dmar validate` checks',
    '',
    '<!-- generated from src/dmar/validate/ by `node scripts/checks-doc.mjs` (after a build): do not edit -->',
    '',
    'Each check has a stable ID (select with `--only`, drop with `--ignore`; a trailing `*` matches a prefix),',
    'a severity, and the source of the rule: **Linux** (what the kernel\'s DMAR parser complains about),',
    '**fwts** (the Firmware Test Suite\'s `dmar` test), **VT-d spec**, **ACPI**, **PCI**, **dmar** (plausibility',
    'checks of this tool) or **proposal** (proposals.md: not part of any published specification).',
    'Fatal checks reject the input as a DMAR table: the file is reported unreadable and `dmar validate` exits 2.',
    'The same list: `dmar validate --list` (`--list --json` for tools). Each check has an example table in',
    '[`fixtures/invalid/`](../fixtures/invalid/), named after its ID (the JSON source says what is wrong and where).',
    '',
    '| ID | severity | source | condition | how to fix | example |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of CHECKS) {
    const sev = c.fatal ? `${c.severity} (fatal)` : c.severity;
    const example = `[json](../fixtures/invalid/${c.id}.json)`;
    lines.push(`| \`${c.id}\` | ${sev} | ${c.source.join(', ')} | ${escapeCell(c.description)} | ${escapeCell(c.hint)} | ${example} |`);
  }
  lines.push('', `${CHECKS.length} checks.`, '');
  return lines.join('\n');
}
