// A capture with parts missing or damaged, judged with what it has and saying what it lacks.
//
// The kernel release decides which RMRR memory-map rule judges a table (NVS counts as reserved from 6.1 and
// in stable backports). A capture whose osrelease was missing, empty or garbled was judged by the newest rule
// in silence, and the NVS error of a 5.10 server disappeared: now /proc/version names the release, and with
// neither the note says which rule judged.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readKernel } from '../../src/machine/facts.js';
import { dmar, FIXTURES } from '../helpers.js';

const CAPTURE = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');
const OSRELEASE = 'root/proc/sys/kernel/osrelease';
const tmp = mkdtempSync(join(tmpdir(), 'dmar-kernel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function damaged(name: string, damage: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(CAPTURE, dir, { recursive: true });
  damage(dir);
  return dir;
}

test('osrelease missing, empty or garbled: the release /proc/version names, with its stable patch', () => {
  for (const [name, damage] of [
    ['missing', (d: string) => rmSync(join(d, OSRELEASE))],
    ['empty', (d: string) => writeFileSync(join(d, OSRELEASE), '')],
    ['garbled', (d: string) => writeFileSync(join(d, OSRELEASE), 'garbage\n')],
  ] as const) {
    const dir = damaged(name, damage);
    expect(readKernel(join(dir, 'root')), name).toMatchObject({ release: '5.10.0-18-amd64', major: 5, minor: 10, patch: 140 });
    const r = dmar(['validate', '--machine', dir]);
    expect(r.status, name).toBe(1);
    expect(r.stdout, name).toContain('DMAR-RMRR-NOT-RESERVED');
    expect(r.stdout, name).toContain('kernel 5.10.0-18-amd64');
  }
});

test('no release at all: the note names the rule that judged', () => {
  const dir = damaged('none', (d) => {
    rmSync(join(d, OSRELEASE));
    rmSync(join(d, 'root/proc/version'));
  });
  expect(readKernel(join(dir, 'root'))).toBeUndefined();
  const r = dmar(['validate', '--machine', dir, '--json']);
  expect(r.status, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { files: { notes?: string[] }[] };
  expect(doc.files[0]!.notes).toEqual([
    `DMAR-RMRR-NOT-RESERVED: no kernel release in capture ${dir} (proc/sys/kernel/osrelease, proc/version): judged by Linux 6.1 and later arch_rmrr_sanity_check: e820__get_entry_type(RMRR) is reserved or ACPI NVS`,
  ]);
  const junit = dmar(['validate', '--machine', dir, '--format', 'junit']).stdout;
  const testcase = /<testcase [^>]*name="DMAR-RMRR-NOT-RESERVED">[\s\S]*?<\/testcase>/.exec(junit)![0];
  expect(testcase).toContain(`<system-out>note: no kernel release in capture ${dir}`);
  expect(testcase).not.toContain('<skipped');
});

test('with --machine given, a capture lacking its PCI tree or memory map is named in the note (it said "no machine given")', () => {
  const dir = damaged('no-pci-no-map', (d) => {
    rmSync(join(d, 'root/sys/bus/pci/devices'), { recursive: true });
    rmSync(join(d, 'root/sys/firmware/memmap'), { recursive: true });
  });
  const t = dmar(['topology', '--machine', dir]);
  expect(t.status, t.stderr).toBe(0);
  expect(t.stdout).toContain(`note: no PCI tree in capture ${dir} (/sys/bus/pci/devices absent): units and RMRRs as the table states them`);
  expect(t.stdout).not.toContain('no machine given');
  const m = dmar(['map', '--machine', dir]);
  expect(m.status, m.stderr).toBe(0);
  expect(m.stdout).toContain(
    `note: no memory map in capture ${dir} (/sys/firmware/memmap absent; give a boot log with --dmesg): RMRRs are drawn without a verdict`,
  );
  // and without a machine, the notes say so
  expect(dmar(['topology', join(FIXTURES, 'server-2s.bin')]).stdout).toContain('no machine given');
});

test('a capture\'s DMAR that is there but cannot be read says why (it said "no DMAR table")', () => {
  const tables = 'root/sys/firmware/acpi/tables';
  const loop = damaged('dmar-loop', (d) => {
    rmSync(join(d, tables, 'DMAR'));
    symlinkSync('DMAR', join(d, tables, 'DMAR'));
  });
  const r = dmar(['validate', '--machine', loop]);
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`dmar: ${join(loop, tables, 'DMAR')}: too many levels of symbolic links\n`);
  // absent: no VT-d, as before
  const gone = damaged('dmar-gone', (d) => rmSync(join(d, tables, 'DMAR')));
  const g = dmar(['topology', '--machine', gone]);
  expect(g.status).toBe(2);
  expect(g.stderr).toBe(`dmar: ${join(gone, tables, 'DMAR')}: no DMAR table in capture ${gone} (not Intel VT-d)\n`);
});

const DEVICES = 'root/sys/bus/pci/devices';
// 0000:00:1c.4 is the root port above the HP iLO functions (01:00.x) that RMRR #2 pins
const PORT = `${DEVICES}/0000:00:1c.4`;

test('PCI config space that sysfs could never give (empty, short, a directory) is refused naming the file, exit 2', () => {
  for (const [name, damage, why] of [
    ['empty', (f: string) => writeFileSync(f, ''), 'PCI config space of 0 bytes: sysfs gives 64 (128 of a CardBus bridge) unprivileged, else 256 or 4096'],
    [
      'short',
      (f: string) => writeFileSync(f, Buffer.from([0x86, 0x80, 0x18])),
      'PCI config space of 3 bytes: sysfs gives 64 (128 of a CardBus bridge) unprivileged, else 256 or 4096',
    ],
    [
      'cut',
      (f: string) => writeFileSync(f, readFileSync(f).subarray(0, 300)),
      'PCI config space of 300 bytes: sysfs gives 64 (128 of a CardBus bridge) unprivileged, else 256 or 4096',
    ],
    [
      'directory',
      (f: string) => {
        rmSync(f);
        mkdirSync(f);
      },
      'PCI config space is a directory',
    ],
  ] as const) {
    const dir = damaged(`config-${name}`, (d) => damage(join(d, PORT, 'config')));
    for (const cmd of ['validate', 'topology']) {
      const r = dmar([cmd, '--machine', dir]);
      expect(r.status, `${name} ${cmd}`).toBe(2);
      expect(r.stderr, `${name} ${cmd}`).toBe(`dmar: ${join(dir, PORT, 'config')}: ${why}\n`);
    }
  }
});

test('a bridge whose config space is absent or reads all ones: its scopes are not followed, and the notes say so (it was "not a bridge" and "not root")', () => {
  for (const [name, damage, why] of [
    ['absent', (f: string) => rmSync(f), 'absent'],
    ['all-ones', (f: string) => writeFileSync(f, Buffer.alloc(4096, 0xff)), 'reads all ones: the device did not answer'],
  ] as const) {
    const dir = damaged(`config-${name}`, (d) => damage(join(d, PORT, 'config')));
    const t = dmar(['topology', '--machine', dir]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toContain(`scope PCI Endpoint Device 00:1c.4/00.2 -> not followed: 0000:00:1c.4's config space ${why}\n`);
    expect(t.stdout).toContain(
      `note: PCI config space unusable: 0000:00:1c.4 (${why}): header, bus numbers and ACS unknown; scopes through such a device are not followed, so the devices below it show neither the RMRRs that pin them nor their true group\n`,
    );
    expect(t.stdout).not.toContain('is not a bridge');
    expect(t.stdout).not.toContain('not root');
    // validate: no finding against the table for the machine's gap, a note instead
    const v = dmar(['validate', '--machine', dir, '--json']);
    expect(v.status, v.stderr).toBe(1);
    const file = (JSON.parse(v.stdout) as { files: { findings: { id: string }[]; notes?: string[] }[] }).files[0]!;
    expect(file.findings.map((f) => f.id)).toEqual(['DMAR-RMRR-NOT-RESERVED']);
    expect(file.notes).toContain(
      `PCI config space unusable: 0000:00:1c.4 (${why}) in capture ${dir}: the PCI-tree checks do not follow scopes through such a device`,
    );
  }
  // undamaged, the port leads to the iLO the RMRR pins
  expect(dmar(['topology', '--machine', CAPTURE]).stdout).toMatch(/0000:01:00\.2 .* pinned by RMRR #2 {2}vfio: REFUSED \(RMRR-locked\)/);
});

test('an empty device directory is refused, not taken for a device [ffff:ffff] that splits a group', () => {
  const dir = damaged('empty-device', (d) => mkdirSync(join(d, DEVICES, '0000:00:1c.7')));
  const r = dmar(['topology', '--machine', dir]);
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    `dmar: ${join(dir, DEVICES, '0000:00:1c.7')}: PCI device 0000:00:1c.7: no vendor ID (no readable vendor file, and its config space absent)\n`,
  );
});

test('a symbolic link out of a capture is refused, naming it: the machine dmar runs on is never mixed into the one captured', () => {
  for (const [name, rel, target] of [
    ['pci', DEVICES, '/sys/bus/pci/devices'],
    ['dmar', 'root/sys/firmware/acpi/tables/DMAR', join(FIXTURES, 'server-2s.bin')],
    ['root', 'root', '/'],
    ['dmesg', 'dmesg.txt', join(FIXTURES, 'logs')],
  ] as const) {
    const dir = damaged(`link-${name}`, (d) => {
      rmSync(join(d, rel), { recursive: true, force: true });
      symlinkSync(target, join(d, rel));
    });
    const r = dmar(['validate', '--machine', dir]);
    expect(r.status, name).toBe(2);
    expect(r.stderr, name).toBe(
      `dmar: ${join(dir, rel)}: a symbolic link out of the capture (to ${target}): a capture holds its own files, not this machine's\n`,
    );
  }
  // links inside the capture are followed, and sysfs links read as links (driver, iommu_group) may point anywhere
  const inside = damaged('link-inside', (d) => {
    const tables = join(d, 'root/sys/firmware/acpi/tables');
    cpSync(join(tables, 'DMAR'), join(tables, 'DMAR.orig'));
    rmSync(join(tables, 'DMAR'));
    symlinkSync('DMAR.orig', join(tables, 'DMAR'));
    rmSync(join(d, PORT, 'driver'));
    symlinkSync('/sys/bus/pci/drivers/pcieport', join(d, PORT, 'driver'));
  });
  const ok = dmar(['topology', '--machine', inside]);
  expect(ok.status, ok.stderr).toBe(0);
  expect(ok.stdout).toContain('0000:00:1c.4 [8086:8d18] bridge (root-port)  driver pcieport');
});

test('a memory-map file that is there but cannot be read says why (it said "is missing")', () => {
  const entry = 'root/sys/firmware/memmap/5';
  const asDir = damaged('memmap-dir', (d) => {
    rmSync(join(d, entry, 'start'));
    mkdirSync(join(d, entry, 'start'));
  });
  const r = dmar(['validate', '--machine', asDir]);
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(`dmar: ${join(asDir, entry, 'start')}: memory map entry 5: start cannot be read: is a directory\n`);
  const fifo = damaged('memmap-fifo', (d) => {
    rmSync(join(d, entry, 'type'));
    spawnSync('mkfifo', [join(d, entry, 'type')]);
  });
  const f = dmar(['validate', '--machine', fifo]);
  expect(f.status).toBe(2);
  expect(f.stderr).toBe(`dmar: ${join(fifo, entry, 'type')}: memory map entry 5: type cannot be read: is a FIFO, not a regular file\n`);
});

// sysfs and /proc text is read as the kernel writes it, UTF-8 (it was read one byte per character, so a
// driver's or release's non-ASCII letters reached JSON and the terminal as mojibake, unlike every other input)
test('text from sysfs and /proc that is UTF-8 reads as UTF-8; other bytes one per character, escaped', () => {
  const usb = join('root', 'sys', 'bus', 'pci', 'devices', '0000:00:14.0', 'driver');
  const dir = join(tmp, 'utf8');
  cpSync(join(FIXTURES, 'machine', 'desktop-usb-gfx-rmrr', 'capture'), dir, { recursive: true });
  writeFileSync(join(dir, usb), Buffer.from('../../../bus/pci/drivers/xhci_hcd-é\n', 'utf8'));
  const doc = JSON.parse(dmar(['topology', '--machine', dir, '--json']).stdout);
  const drivers = JSON.stringify(doc);
  expect(drivers).toContain('xhci_hcd-é');
  expect(drivers).not.toContain('Ã');
  writeFileSync(join(dir, usb), Buffer.from([...Buffer.from('../../../bus/pci/drivers/xhci_hcd-'), 0xe9, 0x0a]));
  const text = dmar(['topology', '--machine', dir]).stdout;
  expect(text).toContain('xhci_hcd-\\xe9');
});

test('a capture booted with memmap= or mem=: the note says /sys/firmware/memmap is not the map the kernel judged', () => {
  const dir = damaged('memmap', (d) =>
    writeFileSync(join(d, 'root/proc/cmdline'), 'BOOT_IMAGE=/boot/vmlinuz-5.10.0-18-amd64 root=/dev/mapper/vg-root ro memmap=16M$0x30000000 intel_iommu=on\n'),
  );
  const r = dmar(['validate', '--machine', dir, '--json']);
  expect(r.status, r.stderr).toBe(1);
  const doc = JSON.parse(r.stdout) as { files: { notes?: string[] }[] };
  expect(doc.files[0]!.notes).toEqual([
    `DMAR-RMRR-NOT-RESERVED: capture ${dir} booted with memmap=16M$0x30000000: /sys/firmware/memmap is the firmware's map without it, not the map the kernel judged RMRRs against (its boot log's \`user:\` lines, --dmesg)`,
  ]);
  // the capture as it was: no such note
  expect(JSON.parse(dmar(['validate', '--machine', CAPTURE, '--json']).stdout).files[0].notes).toBeUndefined();
  // map draws the same map and says the same
  const m = dmar(['map', '--machine', dir]);
  expect(m.status, m.stderr).toBe(0);
  expect(m.stdout).toContain(`note: capture ${dir} booted with memmap=16M$0x30000000: /sys/firmware/memmap is the firmware's map without it`);
  // the HTML report says it once, in its memory section
  const out = join(tmp, 'memmap-report.html');
  expect(dmar(['report', '--machine', dir, '-o', out]).status).toBe(0);
  expect(readFileSync(out, 'utf8').split('booted with memmap=16M$0x30000000').length - 1).toBe(1);
});

test("the memmap= note and the note of the rule that judged, both (in JUnit: the check's system-out)", () => {
  const dir = damaged('memmap-no-release', (d) => {
    rmSync(join(d, OSRELEASE));
    rmSync(join(d, 'root/proc/version'));
    writeFileSync(join(d, 'root/proc/cmdline'), 'ro mem=8G\n');
  });
  const doc = JSON.parse(dmar(['validate', '--machine', dir, '--json']).stdout) as { files: { notes?: string[] }[] };
  expect(doc.files[0]!.notes).toEqual([
    `DMAR-RMRR-NOT-RESERVED: capture ${dir} booted with mem=8G: /sys/firmware/memmap is the firmware's map without it, not the map the kernel judged RMRRs against (its boot log's \`user:\` lines, --dmesg)`,
    `DMAR-RMRR-NOT-RESERVED: no kernel release in capture ${dir} (proc/sys/kernel/osrelease, proc/version): judged by Linux 6.1 and later arch_rmrr_sanity_check: e820__get_entry_type(RMRR) is reserved or ACPI NVS`,
  ]);
  const junit = dmar(['validate', '--machine', dir, '--format', 'junit']).stdout;
  const testcase = /<testcase [^>]*name="DMAR-RMRR-NOT-RESERVED">[\s\S]*?<\/testcase>/.exec(junit)![0];
  expect(testcase).toContain(`<system-out>note: capture ${dir} booted with mem=8G:`);
  expect(testcase).toContain(`note: no kernel release in capture ${dir}`);
  expect(testcase).not.toContain('<skipped');
});
