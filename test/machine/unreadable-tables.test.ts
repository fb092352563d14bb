// A MADT or HPET the machine has but that could not be read (a user's run, a capture made as a user) is not
// taken for absent: the checks that need it say why they did not run, so that a failing table does not pass
// in silence.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { dmar, FIXTURES } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-unreadable-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const CAPTURE = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');
const TABLE = join(CAPTURE, 'root', 'sys', 'firmware', 'acpi', 'tables', 'DMAR');

const notes = (args: string[], env?: Record<string, string>) => {
  const r = dmar(['validate', TABLE, ...args, '--json'], { env });
  return (JSON.parse(r.stdout).files[0].notes ?? []) as string[];
};

test('a capture made as a user, whose manifest says the APIC and HPET tables were denied: the MADT and HPET checks say so', () => {
  const dir = join(work, 'user-capture');
  cpSync(CAPTURE, dir, { recursive: true });
  const tables = join(dir, 'root', 'sys', 'firmware', 'acpi', 'tables');
  rmSync(join(tables, 'APIC'));
  rmSync(join(tables, 'HPET'));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.items = [
    ...manifest.items.filter((i: { path: string }) => !/\/(APIC|HPET)$/.test(i.path)),
    { item: 'MADT (APIC) table', path: '/sys/firmware/acpi/tables/APIC', status: 'denied', reason: 'permission denied (run as root for it)' },
    { item: 'HPET table', path: '/sys/firmware/acpi/tables/HPET', status: 'denied', reason: 'permission denied (run as root for it)' },
  ];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const n = notes(['--machine', dir]);
  expect(n).toContain(`DMAR-MADT-IOAPIC-UNMAPPED skipped: the MADT (APIC table) of capture ${dir} was not captured: permission denied (run as root for it)`);
  expect(n).toContain(`DMAR-HPET-UNKNOWN skipped: the HPET table of capture ${dir} was not captured: permission denied (run as root for it)`);
});

test('a capture with no APIC table at all: the MADT checks do not run and, as for a table alone, no note; a missing HPET says it is absent', () => {
  const dir = join(work, 'no-tables');
  cpSync(CAPTURE, dir, { recursive: true });
  rmSync(join(dir, 'root', 'sys', 'firmware', 'acpi', 'tables', 'APIC'));
  rmSync(join(dir, 'root', 'sys', 'firmware', 'acpi', 'tables', 'HPET'));
  const n = notes(['--machine', dir]);
  expect(n.filter((x) => x.includes('MADT'))).toEqual([]);
  expect(n).toContain(`DMAR-HPET-UNKNOWN skipped: no HPET table in capture ${dir}`);
});

test('the running machine (DMAR_ROOT) whose APIC table cannot be read: the MADT checks say why', () => {
  const root = join(work, 'live-root');
  cpSync(join(CAPTURE, 'root'), root, { recursive: true });
  const apic = join(root, 'sys', 'firmware', 'acpi', 'tables', 'APIC');
  rmSync(apic);
  mkdirSync(apic); // as root, a mode cannot make a file unreadable: a directory in its place cannot be read either
  const n = notes(['--machine', 'live'], { DMAR_ROOT: root });
  expect(n.find((x) => x.startsWith('DMAR-MADT-IOAPIC-UNMAPPED'))).toMatch(
    /^DMAR-MADT-IOAPIC-UNMAPPED skipped: the MADT \(APIC table\) of this machine cannot be read: .*directory/,
  );
});

test('a capture that could not read an entry of the memory map: the map has a hole, so the memory-map checks say why they did not run; a boot log with a map stands in', () => {
  const dir = join(work, 'memmap-hole');
  cpSync(CAPTURE, dir, { recursive: true });
  rmSync(join(dir, 'root', 'sys', 'firmware', 'memmap', '1'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.items = [
    ...manifest.items.filter((i: { path: string }) => !i.path.startsWith('/sys/firmware/memmap/1/')),
    ...['start', 'end', 'type'].map((f) => ({
      item: `memory map entry 1 ${f}`,
      path: `/sys/firmware/memmap/1/${f}`,
      status: 'denied',
      reason: 'permission denied (run as root for it)',
    })),
  ];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const r = dmar(['validate', TABLE, '--machine', dir, '--json']);
  const file = JSON.parse(r.stdout).files[0];
  expect(file.findings.map((f: { id: string }) => f.id)).not.toContain('DMAR-RMRR-NOT-RESERVED');
  expect(file.notes).toContain(
    `DMAR-RMRR-NOT-RESERVED skipped: the memory map of capture ${dir} was not captured whole (entry 1: permission denied (run as root for it); give a boot log with --dmesg)`,
  );
  // a boot log's map is whole: it judges, and the note is gone
  const log = join(dir, 'boot.log');
  writeFileSync(log, '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000ffffffffff] reserved\n');
  const withLog = JSON.parse(dmar(['validate', TABLE, '--machine', dir, '--dmesg', log, '--json']).stdout).files[0];
  expect((withLog.notes ?? []).filter((n: string) => n.includes('memory map'))).toEqual([]);
  // the capture's whole copy of the map judges as before
  const whole = JSON.parse(dmar(['validate', TABLE, '--machine', CAPTURE, '--json']).stdout).files[0];
  expect(whole.findings.map((f: { id: string }) => f.id)).toContain('DMAR-RMRR-NOT-RESERVED');
});
