// At the size limit (1 MiB of table: up to 131,066 structures of 8 bytes),
// validate's reports and diff are linear and end without an internal error.
// Behaviour is asserted, not time; the tables are generated here.
import { describe, expect, test } from 'vitest';
import { DEFAULT_MAX_TABLE } from '../../src/io/input.js';
import { diffJson, diffTables } from '../../src/dmar/table-diff.js';
import { diffText } from '../../src/dmar/format/diff-text.js';
import { PLAIN } from '../../src/dmar/format/paint.js';
import { validateBytes } from '../../src/dmar/validate/engine.js';
import { reportJson } from '../../src/dmar/validate/report/json.js';
import { reportJunit } from '../../src/dmar/validate/report/junit.js';
import { reportText } from '../../src/dmar/validate/report/text.js';
import { atsrTable, drhdTable } from './big.js';

const atsrAtLimit = () => atsrTable((DEFAULT_MAX_TABLE - 48) / 8);

describe('validate reports of more findings than a spread takes', () => {
  // Math.max(...xs) overflowed the stack at some 120,000 findings; the limit allows 131,066 structures.
  test('130,000 findings in text, JSON and JUnit', () => {
    const one = validateBytes(atsrTable(64), {}).find((f) => f.id === 'DMAR-STRUCT-NO-SCOPE')!;
    expect(one).toBeDefined();
    const findings = Array.from({ length: 130_000 }, (_, i) => ({ ...one, offset: 48 + 8 * i }));
    const results = [{ file: 'atsr.bin', findings }];
    const lines = reportText(results, PLAIN).split('\n');
    // two lines a finding, the file name, the counts, a blank line, the summary, the final newline
    expect(lines.length).toBe(2 * findings.length + 5);
    expect(lines.at(-2)).toBe('1 table: 0 errors, 130000 warnings, 0 info');
    expect(lines[1]).toMatch(/^ {2}warning {2}0x00030 {2}DMAR-STRUCT-NO-SCOPE {2}/); // offsets up to 0xfded0: five digits
    expect(JSON.parse(reportJson(results)).files[0].findings).toHaveLength(findings.length);
    expect(reportJunit(results, { failOn: 'error', checks: [] })).toContain('</testsuites>');
  });

  test('a table at the limit made of 131,066 structures is validated', () => {
    const bytes = atsrAtLimit();
    expect(bytes.length).toBe(DEFAULT_MAX_TABLE);
    const findings = validateBytes(bytes, {});
    expect(findings.filter((f) => f.id === 'DMAR-STRUCT-NO-SCOPE')).toHaveLength(131_066);
    expect(reportText([{ file: 'atsr.bin', findings }], PLAIN)).toContain('131066 warnings');
  });
});

describe('diff at the size limit', () => {
  // 65,533 DRHDs of 16 bytes on each side
  const n = (DEFAULT_MAX_TABLE - 48) / 16;
  const a = drhdTable(n);
  expect(a.length).toBe(DEFAULT_MAX_TABLE);

  test('every structure changed (none pairs by identity: all pair by type and order)', () => {
    const d = diffTables(a, drhdTable(n, { baseOffset: 1 }), { a: 'a', b: 'b' });
    expect(d.structures).toHaveLength(n);
    expect(d.structures.every((s) => s.change === 'changed' && !s.moved)).toBe(true);
    const text = diffText(d, PLAIN);
    expect(text.endsWith(`\n${n + d.header.length} differences\n`)).toBe(true);
    expect((diffJson(d) as { structures: unknown[] }).structures).toHaveLength(n);
  });

  test('every structure moved (reversed order), and half removed and added (a quarter of the limit)', () => {
    const m = n >> 2;
    const q = drhdTable(m);
    const b = Buffer.from(q);
    for (let i = 0; i < m; i++) q.copy(b, 48 + i * 16, 48 + (m - 1 - i) * 16, 48 + (m - i) * 16);
    const d = diffTables(q, b, { a: 'a', b: 'b' });
    expect(d.equal).toBe(false);
    expect(d.structures.filter((s) => s.moved).length).toBe(m - 1);
    const half = drhdTable(m);
    for (let i = 0; i < m; i += 2) half.writeBigUInt64LE(0x1_0000_0000n + BigInt(i) * 0x1000n, 48 + i * 16 + 8);
    const h = diffTables(q, half, { a: 'a', b: 'b' });
    expect(h.structures.length).toBe(Math.ceil(m / 2));
    expect(diffText(h, PLAIN)).toMatch(/\d+ differences\n$/);
  });
});
