// Making guest tables: virt set --virtualized warns about opt-out consumers, --ims-optout sets both in one
// edit, and editing the proposed bit 3 prints a one-line note.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { dmar, FIXTURES } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'dmar-ims-guest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const QEMU = join(FIXTURES, 'qemu-q35-ir.bin');
const NOTE = 'note: IMS_OPTOUT (DMAR Flags bit 3) is a proposal no consumer reads: the bit is reserved in every VT-d revision to date (5.10, November 2025)';
const sum = (b: Buffer) => b.reduce((a, x) => (a + x) & 0xff, 0);

describe('virt set', () => {
  test('--virtualized without IMS_OPTOUT: a warning that opt-out consumers read 0 as native', () => {
    const out = join(tmp, 'warn.bin');
    const r = dmar(['virt', 'set', QEMU, '--virtualized', '--features', 'ims', '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'dmar: warning: IMS_OPTOUT (proposed) is 0: opt-out consumers read that as "native IMS is fine", even in this VM; --ims-optout sets it in the same edit\n',
    );
    expect(readFileSync(out)[37]! & 8).toBe(0);
    // --bare-metal is what opt-out consumers expect with 0: no warning.
    expect(dmar(['virt', 'set', QEMU, '--bare-metal', '-o', join(tmp, 'bare.bin')]).stderr).not.toContain('opt-out consumers');
  });

  test('--ims-optout: descriptor and flag in one edit, one write, one Checksum line, a valid table', () => {
    const p = join(tmp, 'both.bin');
    copyFileSync(QEMU, p);
    const before = readFileSync(p);
    const r = dmar(['virt', 'set', p, '--virtualized', '--features', 'ims', '--signature', 'KVMKVMKVM', '--ims-optout']);
    expect(r.status, r.stderr).toBe(0);
    const after = readFileSync(p);
    expect(after[37]).toBe(before[37]! | 8);
    expect(sum(after)).toBe(0);
    const { table, problems } = decodeDmar(after);
    expect(problems).toEqual([]);
    expect(table.structures.at(-1)!.type).toBe(0x8001);
    expect(r.stderr.match(/Checksum: /g)).toHaveLength(1);
    expect(r.stderr).toContain('Flags: 0x03 -> 0x0b (IMS_OPTOUT (proposed) set)');
    expect(r.stderr).not.toContain('opt-out consumers');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(NOTE);
    const ims = JSON.parse(dmar(['ims', p, '--policy', 'all', '--json']).stdout) as { tables: { decisions: { policy: string; verdict: string }[] }[] };
    expect(ims.tables[0]!.decisions.map((d) => d.verdict).slice(0, 3)).toEqual(['virtualized', 'virtualized', 'virtualized']);
  });

  test('--ims-optout with a bad argument: nothing written', () => {
    const out = join(tmp, 'never.bin');
    const r = dmar(['virt', 'set', QEMU, '--virtualized', '--features', 'bogus', '--ims-optout', '-o', out]);
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('set-flag / clear-flag ims-optout', () => {
  test('one-line note that the bit is a proposal no consumer reads; other bits get none', () => {
    const out = join(tmp, 'flag.bin');
    const set = dmar(['set-flag', 'ims-optout', QEMU, '-o', out]);
    expect(set.status).toBe(0);
    expect(set.stderr.trimEnd().split('\n').at(-1)).toBe(NOTE);
    expect(dmar(['clear-flag', 'ims-optout', out, '-o', join(tmp, 'flag2.bin')]).stderr).toContain(NOTE);
    expect(dmar(['set-flag', 'x2apic-optout', QEMU, '-o', join(tmp, 'x2.bin')]).stderr).not.toContain('note:');
  });
  test('validate keeps its info for the bit', () => {
    const out = join(tmp, 'flag-v.bin');
    dmar(['set-flag', 'ims-optout', QEMU, '-o', out]);
    const v = dmar(['validate', out, '--fail-on', 'warning']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/info +0x025 +DMAR-FLAGS-IMS-OPTOUT/);
  });
});
