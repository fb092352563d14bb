// Every real table validates in one process without a crash, and the manual's counts over the
// corpus are the ones this run produces.
import { describe, expect, test } from 'vitest';
import { CHECKS } from '../../../src/dmar/validate/index.js';
import { section as docSection } from '../../docs/pages.js';
import { ACPIDUMPS, CORPUS, corpusFiles, dmar, HAVE_CORPUS } from '../../helpers.js';

interface Report {
  files: Array<{ file: string; error?: string; findings: Array<{ id: string; severity: string }> }>;
  summary: Record<string, number>;
}

function run(dir: string): { status: number; report: Report } {
  const r = dmar(['validate', dir, '--format', 'json']);
  expect(r.stderr).toBe('');
  return { status: r.status, report: JSON.parse(r.stdout) as Report };
}

/** Rows `| \`ID\` | severity | tables | findings |` of the manual's validate section (docs/validate.md). */
function readmeCounts(): Map<string, { tables: number; findings: number }> {
  const section = docSection('validate');
  const rows = new Map<string, { tables: number; findings: number }>();
  for (const m of section.matchAll(/^\| `(DMAR-[A-Z0-9-]+)` \| \w+ \| (\d+) \| (\d+) \|/gm)) {
    rows.set(m[1]!, { tables: Number(m[2]), findings: Number(m[3]) });
  }
  return rows;
}

describe.skipIf(!HAVE_CORPUS)('the corpus', () => {
  test('every table of the corpus validates in one run: no crash, no unreadable table, no error', () => {
    const { status, report } = run(CORPUS);
    expect(report.files.map((f) => f.file)).toEqual(corpusFiles());
    expect(report.files.filter((f) => f.error)).toEqual([]);
    expect(report.summary.error).toBe(0);
    expect(status).toBe(0);

    const counts = new Map<string, { tables: number; findings: number }>();
    for (const f of report.files) {
      for (const x of f.findings) {
        const c = counts.get(x.id) ?? { tables: 0, findings: 0 };
        c.findings++;
        counts.set(x.id, c);
      }
      for (const id of new Set(f.findings.map((x) => x.id))) counts.get(id)!.tables++;
    }
    expect(Object.fromEntries(readmeCounts())).toEqual(Object.fromEntries(counts));
    for (const id of counts.keys()) expect(CHECKS.some((c) => c.id === id)).toBe(true);
  });

  test('the acpidumps: the DMAR of each is cross-checked with its MADT; the one without a DMAR is skipped', () => {
    const { status, report } = run(ACPIDUMPS);
    expect(status).toBe(0);
    expect(report.files.map((f) => f.file.slice(ACPIDUMPS.length + 1))).toEqual([
      '055F3A7CF9A9.acpidump.txt',
      '0AD635180FE5.acpidump.txt',
      '85CAC5E8B9EA.acpidump.txt',
    ]);
    expect(report.files.flatMap((f) => f.findings)).toEqual([]);
  });
});
