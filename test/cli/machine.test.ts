// --machine on validate and topology, against the capture fixtures (fixtures/machine/NAME/capture).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { writeMachineRoot } from '../../tools/fixtures/machine-spec.js';
import { dmar, FIXTURES } from '../helpers.js';

const cap = (name: string) => `fixtures/machine/${name}/capture`;

describe('validate --machine', () => {
  test('the server whose RMRR lies in ACPI NVS: the FW_BUG its 5.10 kernel printed, with the map and rule used', () => {
    const r = dmar(['validate', '--machine', cap('server-rmrr-nvs'), '--json']);
    expect(r.status).toBe(1);
    const f = JSON.parse(r.stdout).files[0].findings;
    expect(f.map((x: { id: string }) => x.id)).toEqual(['DMAR-RMRR-NOT-RESERVED']);
    expect(f[0].message).toContain('[0x000000006f760000-0x000000006f762fff]');
    expect(f[0].message).toContain('ACPI Non-volatile Storage');
    expect(f[0].message).toContain('kernel 5.10.0-18-amd64');
    expect(f[0].message).toMatch(/rule: Linux 5\.5 to 6\.0/);
  });

  test('the desktop: no finding, the MADT of the capture cross-checked', () => {
    const r = dmar(['validate', '--machine', cap('desktop-usb-gfx-rmrr')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok: no findings (MADT cross-checked)');
  });

  test('a machine without the context a check needs: the check is skipped with a note', () => {
    const r = dmar(['validate', 'fixtures/desktop-legacy.bin', '--machine', cap('vm-no-dmar'), '--json']);
    const file = JSON.parse(r.stdout).files[0];
    expect(file.notes).toContain(
      `DMAR-UNIT-MISSING skipped: no Intel IOMMU unit in capture ${cap('vm-no-dmar')} (/sys/class/iommu/dmar* absent: intel_iommu off, or no VT-d)`,
    );
    // the VM has no USB controller at 00:1d.0: the RMRR scope names no device
    expect(file.findings.map((x: { id: string }) => x.id)).toContain('DMAR-SCOPE-DEVICE-ABSENT');
    const junit = dmar(['validate', 'fixtures/desktop-legacy.bin', '--machine', cap('vm-no-dmar'), '--format', 'junit']).stdout;
    expect(junit).toMatch(/name="DMAR-UNIT-MISSING">\s*<skipped message="DMAR-UNIT-MISSING skipped: no Intel IOMMU unit/);
  });

  test('no DMAR on the machine, or not a capture: exit 2, one line', () => {
    const r = dmar(['validate', '--machine', cap('vm-no-dmar')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`no DMAR table in capture ${cap('vm-no-dmar')} (not Intel VT-d)`);
    const bad = dmar(['validate', '--machine', 'fixtures']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^dmar: fixtures: not a capture directory/);
  });
});

describe('topology', () => {
  test('--json: the documented format', () => {
    const r = dmar(['topology', '--machine', cap('server-rmrr-nvs'), '--json']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.format).toBe('dmar-topology/1');
    expect(Object.keys(t)).toEqual(['format', 'table', 'machine', 'units', 'rmrrs', 'notes', 'devices', 'groups']);
    expect(t.devices.filter((d: { vfio: string }) => d.vfio === 'rmrr-locked').map((d: { address: string }) => d.address)).toEqual([
      '0000:01:00.2',
      '0000:02:00.0',
      '0000:02:00.1',
      '0000:02:00.2',
      '0000:02:00.3',
    ]);
  });
  test('a machine without a DMAR table and no TABLE given: exit 2, one line', () => {
    const r = dmar(['topology', '--machine', cap('vm-no-dmar')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dmar: ${cap('vm-no-dmar')}/root/sys/firmware/acpi/tables/DMAR: no DMAR table in capture ${cap('vm-no-dmar')} (not Intel VT-d)\n`);
  });
  test('another table on a machine with no unit: said in a note', () => {
    const r = dmar(['topology', 'fixtures/desktop-legacy.bin', '--machine', cap('vm-no-dmar'), '--json']);
    expect(JSON.parse(r.stdout).notes[0]).toMatch(/^the machine registered no remapping unit/);
  });
  test('a table alone: units and RMRRs as the table states them', () => {
    const r = dmar(['topology', 'fixtures/desktop-legacy.bin']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('RMRR #1 0xdb5c9000-0xdb5d5fff segment 0\n  scope PCI Endpoint Device 00:1d.0\n');
  });
  test('strings from the machine are escaped on a terminal', () => {
    // a driver name is a symlink target: any byte but "/" and NUL
    const dir = mkdtempSync(join(tmpdir(), 'dmar-topology-'));
    try {
      writeFileSync(join(dir, 'manifest.json'), '{"format":"dmar-capture/1"}\n');
      writeMachineRoot({ pci: [{ address: '0000:00:02.0', id: '8086:3e92', class: '0x030000', driver: '\x1b[2Jevil' }] }, join(dir, 'root'));
      const r = dmar(['topology', 'fixtures/desktop-legacy.bin', '--machine', dir]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('driver \\x1b[2Jevil');
      expect(r.stdout).not.toContain('\x1b');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("--dmesg alone: the notes say what the boot log lacks, not what a capture's /sys would (they spoke of /sys/firmware/memmap)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-notes-'));
  const log = join(dir, 'no-e820.log');
  writeFileSync(log, 'hello\n');
  const r = dmar(['validate', join(FIXTURES, 'desktop-legacy.bin'), '--dmesg', log, '--json']);
  expect(r.status, r.stderr).toBe(0);
  const notes = (JSON.parse(r.stdout) as { files: { notes: string[] }[] }).files[0]!.notes;
  expect(notes).toContain(`DMAR-RMRR-NOT-RESERVED skipped: no memory map in ${log} (no BIOS-e820 lines)`);
  expect(notes).toContain(`DMAR-SCOPE-DEVICE-ABSENT skipped: no PCI tree in ${log} (a boot log has none: give --machine)`);
  expect(notes).toContain(`DMAR-UNIT-MISSING skipped: no Intel IOMMU unit in ${log} (no "dmarN: reg_base_addr" line: intel_iommu off, or no VT-d)`);
  const page = dmar(['report', join(FIXTURES, 'desktop-legacy.bin'), '--dmesg', log]).stdout;
  expect(page).not.toContain(`the PCI devices of ${log}`);
  rmSync(dir, { recursive: true, force: true });
});

test('--machine "" says what it needs (it said "not a capture directory" of no path)', () => {
  for (const cmd of ['validate', 'topology', 'report']) {
    const r = dmar([cmd, join(FIXTURES, 'server-2s.bin'), '--machine', '']);
    expect(r.status, cmd).toBe(2);
    expect(r.stderr, cmd).toBe('dmar: --machine "": give a capture directory (dmar capture -o DIR writes one) or live\n');
  }
});
