// With no file, dmar reads the running machine's DMAR: when that fails, the message says what is true.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { machineTableError } from '../../src/io/input.js';
import { dmar } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-machine-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fake root whose ACPI tables directory holds only a FACP. */
function machine(name: string): string {
  const root = join(work, name);
  mkdirSync(join(root, 'sys/firmware/acpi/tables'), { recursive: true });
  writeFileSync(join(root, 'sys/firmware/acpi/tables/FACP'), 'FACP');
  return root;
}

describe('no DMAR on this machine', () => {
  test.each(['decode', 'validate', 'flags', 'virt show'])('%s: says there is no DMAR table and why, and does not suggest root', (cmd) => {
    const r = dmar(cmd.split(' '), { env: { DMAR_ROOT: machine(cmd.replace(' ', '-')) } });
    expect(r.status).toBe(2);
    const out = cmd === 'validate' ? r.stdout + r.stderr : r.stderr;
    expect(out).toMatch(/no DMAR table on this machine: not an Intel VT-d platform, or VT-d is disabled in the firmware setup/);
    expect(out).not.toMatch(/root/);
  });

  test('no ACPI tables directory at all: says so', () => {
    const r = dmar(['decode'], { env: { DMAR_ROOT: join(work, 'nothing') } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no DMAR table on this machine: .*sys\/firmware\/acpi\/tables does not exist/);
    expect(r.stderr).not.toMatch(/root/);
  });

  test('a missing table is the same for root and others; only an unreadable one is a matter of root', () => {
    expect(machineTableError('ENOENT', 'DMAR', true)).toBe(machineTableError('ENOENT', 'DMAR', false));
    expect(machineTableError('ENOENT', 'DMAR', true)).not.toMatch(/root/);
    expect(machineTableError('EACCES', 'DMAR', false)).toMatch(/permission denied \(it is readable by root only: run as root/);
    expect(machineTableError('EACCES', 'DMAR', true)).toBe('cannot read the DMAR table: permission denied');
    expect(machineTableError('EIO', 'DMAR', false)).toBeUndefined();
  });
});
