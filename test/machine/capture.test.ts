// dmar capture: what it copies, how a capture reads back, what the manifest says, atomicity, and
// the real thing: this machine as root and as an unprivileged user.
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { capture, kmsgLine, type Manifest } from '../../src/machine/capture.js';
import { parseKernelLog } from '../../src/machine/kernel-log.js';
import { explainLog } from '../../src/machine/log-explain.js';
import { readMachine } from '../../src/machine/facts.js';
import { machineRoot } from '../../src/machine/root.js';
import { binForAnyUser, dmar, ROOT } from '../helpers.js';
import { machineRootFromSpec } from './machines.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-capture-test-'));
chmodSync(work, 0o777);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec = {
  osrelease: '6.8.0-45-generic',
  cmdline: 'ro quiet',
  memmap: [
    ['0x0', '0x9fbff', 'System RAM'],
    ['0x9fc00', '0x9ffff', 'Reserved'],
  ] as [string, string, string][],
  pci: [
    {
      address: '0000:00:1c.0',
      id: '8086:a110',
      class: '0x060400',
      header: 1,
      secondary: 1,
      subordinate: 1,
      pcie: 4,
      acs: [0x5f, 0x1d] as [number, number],
      driver: 'pcieport',
    },
    { address: '0000:01:00.0', id: '8086:1572', class: '0x020000', pcie: 0, driver: 'i40e', virtfns: ['0000:01:02.0'] },
    { address: '0000:01:02.0', id: '8086:154c', class: '0x020000', pcie: 0, physfn: '0000:01:00.0' },
  ],
  units: [{ address: 'fed90000', cap: 'd2008c40660462', ecap: 'f050da' }],
  ioapics: [{ id: 2, address: '0xfec00000', gsi: 0 }],
};

describe('capture of a machine root', () => {
  const root = machineRootFromSpec(spec);
  const out = join(work, 'fake');
  let m: Manifest;
  beforeAll(async () => {
    m = await capture({ root, out, tool: 'test', kernelLog: false });
  });

  test('reads back as the same machine', () => {
    const a = readMachine(root, 'x');
    const b = readMachine(machineRoot(out), 'x');
    expect({ ...b, root: undefined }).toEqual({ ...a, root: undefined });
    expect(b.pci!.byAddress.get('0000:01:02.0')!.physfn).toBe('0000:01:00.0');
    expect(b.units![0]!.ecap).toBe(0xf050dan);
  });

  test('the manifest says what was read and what is absent, and why', () => {
    const onDisk = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(onDisk.format).toBe('dmar-capture/1');
    expect(onDisk.summary).toMatchObject({ dmar: false, kernelRelease: '6.8.0-45-generic', pciDevices: 3, iommuUnits: 1 });
    const dmarItem = m.items.find((i) => i.item === 'DMAR table')!;
    expect(dmarItem).toMatchObject({ status: 'absent', path: '/sys/firmware/acpi/tables/DMAR' });
    expect(m.items.find((i) => i.path === '/sys/firmware/acpi/tables/APIC')).toMatchObject({ status: 'ok' });
    expect(m.items.find((i) => i.path === '/sys/bus/pci/devices/0000:00:1c.0/config')).toMatchObject({ status: 'ok', bytes: 4096 });
  });

  test('a non-empty target is refused and nothing is left behind', async () => {
    await expect(capture({ root, out, tool: 'test', kernelLog: false })).rejects.toThrow(/not empty/);
    expect(readdirSync(work).filter((n) => n.includes('dmar-tmp'))).toEqual([]);
  });

  test('a failure while copying leaves no directory', async () => {
    const bad = machineRootFromSpec(spec);
    // a memmap entry directory whose "start" is a directory: readFileSync fails with EISDIR -> manifest error, not a crash
    mkdirSync(join(bad, 'sys/firmware/memmap/9/start'), { recursive: true });
    writeFileSync(join(bad, 'sys/firmware/memmap/9/end'), '0x1\n');
    const m2 = await capture({ root: bad, out: join(work, 'odd'), tool: 'test', kernelLog: false });
    expect(m2.items.find((i) => i.path === '/sys/firmware/memmap/9/start')).toMatchObject({ status: 'error' });
    await expect(capture({ root: bad, out: join(work, 'no/such/parent/dir'), tool: 'test', kernelLog: false })).rejects.toThrow();
    expect(existsSync(join(work, 'no'))).toBe(false);
  });
});

describe('capture -o and what the root holds', () => {
  const root = machineRootFromSpec(spec);

  test('a FIFO or a device in place of a file is an error item, never waited on (a capture of a capture, DMAR_ROOT)', async () => {
    const odd = machineRootFromSpec(spec);
    rmSync(join(odd, 'proc/cmdline'), { force: true });
    expect(spawnSync('mkfifo', [join(odd, 'proc/cmdline')]).status).toBe(0);
    rmSync(join(odd, 'proc/sys/kernel/osrelease'), { force: true });
    symlinkSync('/dev/zero', join(odd, 'proc/sys/kernel/osrelease'));
    const m = await capture({ root: odd, out: join(work, 'fifo'), tool: 'test', kernelLog: false });
    expect(m.items.find((i) => i.path === '/proc/cmdline')).toMatchObject({ status: 'error', reason: 'not a regular file' });
    expect(m.items.find((i) => i.path === '/proc/sys/kernel/osrelease')).toMatchObject({ status: 'error', reason: 'not a regular file' });
  });

  test('onto a symlink to an empty directory: the link stays, the directory gets the capture', async () => {
    const real = join(work, 'real-empty');
    mkdirSync(real);
    symlinkSync('real-empty', join(work, 'cap-link'));
    await capture({ root, out: join(work, 'cap-link'), tool: 'test', kernelLog: false });
    expect(lstatSync(join(work, 'cap-link')).isSymbolicLink()).toBe(true);
    expect(readdirSync(real).sort()).toEqual(['manifest.json', 'root']);
  });

  test('onto an empty directory: it keeps its owner and mode', async () => {
    const keep = join(work, 'keep');
    mkdirSync(keep);
    chmodSync(keep, 0o710);
    chownSync(keep, 1234, 4321);
    await capture({ root, out: keep, tool: 'test', kernelLog: false });
    const st = statSync(keep);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o710, 1234, 4321]);
    expect(existsSync(join(keep, 'manifest.json'))).toBe(true);
  });

  test("onto a name of 240 characters: its temporary directory's name is shortened, the capture written", async () => {
    const out = join(work, 'c'.repeat(240));
    await capture({ root, out, tool: 'test', kernelLog: false });
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(readdirSync(work).filter((n) => n.includes('dmar-tmp'))).toEqual([]);
  });

  test('onto a regular file: refused in one line, the file untouched, nothing left', () => {
    const f = join(work, 'a-file');
    writeFileSync(f, 'keep me');
    const r = dmar(['capture', '-o', f], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dmar: ${f}: cannot write the capture: exists and is not a directory\n`);
    expect(readFileSync(f, 'utf8')).toBe('keep me');
    expect(readdirSync(work).filter((n) => n.includes('dmar-tmp'))).toEqual([]);
  });
});

test('a /dev/kmsg record becomes a dmesg line', () => {
  expect(kmsgLine('6,339,5140900,-;DMAR: dmar0: reg_base_addr fed90000 ver 1:0\n SUBSYSTEM=acpi\n')).toBe(
    '[    5.140900] DMAR: dmar0: reg_base_addr fed90000 ver 1:0',
  );
});

test("a /dev/kmsg record's escapes are undone as dmesg undoes them, and a record of two lines is two lines, as dmesg prints them, that explain reads as one fault", () => {
  // /dev/kmsg writes a tab, a newline inside one printk, a backslash and UTF-8 as \xNN
  expect(kmsgLine('6,1,100,-;a\\x09b \\x5c \\xc3\\xa9\n')).toBe('[    0.000100] a\tb \\ \u00e9');
  const fault = kmsgLine(
    '3,7,12345678,-;DMAR:[DMA Read] Request device [00:02.0] fault addr 7f800000 \\x0aDMAR:[fault reason 06] PTE Read access is not set\\x0a\n',
  );
  expect(fault).toBe(
    '[   12.345678] DMAR:[DMA Read] Request device [00:02.0] fault addr 7f800000 \n               DMAR:[fault reason 06] PTE Read access is not set',
  );
  const [x] = explainLog(parseKernelLog(`${fault}\n`, 'dmesg.txt')).entries;
  expect(x!.fault).toMatchObject({ device: '00:02.0', reason: { code: 6, text: 'PTE Read access is not set' } });
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;

describe('this machine', () => {
  test('as the current user: exit 0, a manifest that matches the machine', () => {
    const out = join(work, 'live');
    const r = dmar(['capture', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.summary.kernelRelease).toBe(release());
    expect(m.summary.dmar).toBe(existsSync('/sys/firmware/acpi/tables/DMAR') && isRoot);
    for (const i of m.items) expect(['ok', 'absent', 'denied', 'error']).toContain(i.status);
    expect(r.stdout).toContain(`DMAR table: ${m.summary.dmar ? 'yes' : 'no'}`);
  });

  test.skipIf(!isRoot || !hasSetpriv)('as an unprivileged user (setpriv): exit 0, ACPI tables denied, config space cut to 64 bytes', () => {
    const out = join(work, 'nobody');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binForAnyUser(), 'capture', '-o', out], {
      encoding: 'utf8',
      cwd: tmpdir(),
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.euid).toBe(65534);
    for (const i of m.items.filter((x) => x.path.startsWith('/sys/firmware/acpi/tables/'))) expect(['denied', 'absent']).toContain(i.status);
    const configs = m.items.filter((x) => x.path.endsWith('/config') && x.status === 'ok');
    for (const c of configs) expect(c.reason).toMatch(/64 bytes/);
    expect(readMachine(machineRoot(out), 'x').pci!.devices.length).toBe(m.summary.pciDevices);
  });

  test.skipIf(!isRoot || !hasSetpriv)('as an unprivileged user, onto an empty directory of mode 0555 it owns: captured, the mode kept', () => {
    const root = machineRootFromSpec(spec);
    spawnSync('chmod', ['-R', 'a+rX', root]);
    const out = join(work, 'ro-empty');
    mkdirSync(out);
    chownSync(out, 65534, 65534);
    chmodSync(out, 0o555);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binForAnyUser(), 'capture', '-o', out], {
      encoding: 'utf8',
      cwd: tmpdir(),
      env: { ...process.env, NO_COLOR: '1', DMAR_ROOT: root },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(out).mode & 0o7777).toBe(0o555);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });

  test('a target that exists and is not empty: exit 2, one line', () => {
    const r = dmar(['capture', '-o', ROOT]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^dmar: .*: cannot write the capture: already exists and is not empty\n$/);
  });
});

describe('a signal during a capture', () => {
  // 3,000 functions: some 45,000 files, a capture of a couple of seconds; the signal comes once the
  // temporary directory (in `where`: DIR's parent, or an empty DIR itself) holds the first devices
  const pci = Array.from({ length: 3000 }, (_, i) => ({
    address: `0000:${(1 + (i >> 8)).toString(16).padStart(2, '0')}:${((i >> 3) & 31).toString(16).padStart(2, '0')}.${i & 7}`,
    id: '8086:154c',
    class: '0x020000',
    pcie: 0,
  }));
  function signalMidway(out: string, where: string, sig: NodeJS.Signals): Promise<{ status: number | null; sawDevices: boolean }> {
    const root = machineRootFromSpec({ ...spec, pci });
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'dmar.js'), 'capture', '-o', out], {
        stdio: 'ignore',
        env: { ...process.env, DMAR_ROOT: root },
      });
      let sawDevices = false;
      const poll = setInterval(() => {
        const tmp = readdirSync(where).find((n) => n.includes('dmar-tmp'));
        if (!tmp) return;
        try {
          if (readdirSync(join(where, tmp, 'root/sys/bus/pci/devices')).length < 20) return;
        } catch {
          return;
        }
        sawDevices = true;
        clearInterval(poll);
        child.kill(sig);
      }, 5);
      child.on('close', (status) => {
        clearInterval(poll);
        resolve({ status, sawDevices });
      });
    });
  }

  test('SIGINT while the PCI tree is copied ends the capture at once: exit 130, no capture and no temporary directory left', async () => {
    const parent = mkdtempSync(join(work, 'signal-'));
    const r = await signalMidway(join(parent, 'cap'), parent, 'SIGINT');
    expect(r.sawDevices).toBe(true);
    // the listener ran between devices: exit 128 + 2, and the unfinished capture is gone (before, the
    // capture ran to its end and stayed, whole, although the run exited 130)
    expect(r.status).toBe(130);
    expect(readdirSync(parent)).toEqual([]);
  }, 60_000);

  test('SIGTERM while an empty directory of mode 0555 of this user is filled: exit 143, the directory empty and 0555 again', async () => {
    const out = mkdtempSync(join(work, 'signal-ro-'));
    chmodSync(out, 0o555);
    const r = await signalMidway(out, out, 'SIGTERM');
    expect(r.sawDevices).toBe(true);
    expect(r.status).toBe(143);
    expect(readdirSync(out)).toEqual([]);
    expect(statSync(out).mode & 0o7777).toBe(0o555);
  }, 60_000);
});

test("a capture's summary tells a table it could not read from one the machine lacks, and names memory-map files it could not read", async () => {
  const { manifestSummary } = await import('../../src/cli/capture.js');
  const denied = 'permission denied (run as root for it)';
  const m: Manifest = {
    format: 'dmar-capture/1',
    tool: 'dmar',
    created: '2026-11-27T00:00:00Z',
    euid: 65534,
    summary: { dmar: false, pciDevices: 0, iommuUnits: 0, kernelLog: 'denied' },
    omitted: [],
    items: [
      { item: 'DMAR table', path: '/sys/firmware/acpi/tables/DMAR', status: 'denied', reason: denied },
      { item: 'memory map 1 start', path: '/sys/firmware/memmap/1/start', status: 'denied', reason: denied },
      { item: 'memory map 2 start', path: '/sys/firmware/memmap/2/start', status: 'denied', reason: denied },
    ],
  } as unknown as Manifest;
  const text = manifestSummary('c', m);
  expect(text).toContain(`  DMAR table: not read (${denied})\n`);
  expect(text).toContain(`  denied: memory map files (/sys/firmware/memmap/N/*): ${denied} (2 files)\n`);
  const none = manifestSummary('c', {
    ...m,
    items: [{ item: 'DMAR table', path: '/sys/firmware/acpi/tables/DMAR', status: 'absent', reason: 'not on this machine' }],
  });
  expect(none).toContain('  DMAR table: no (no Intel VT-d table on this machine)\n');
});

test('an empty /sys/class/iommu is captured as an empty directory: read back, the machine has no unit registered, not an unknown', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dmar-iommu-class-'));
  try {
    cpSync(join(ROOT, 'fixtures', 'machine', 'vm-no-dmar', 'capture', 'root'), join(root, 'r'), { recursive: true });
    mkdirSync(join(root, 'r', 'sys', 'class', 'iommu'), { recursive: true });
    expect(readMachine(join(root, 'r'), 'live').units).toEqual([]);
    await capture({ root: join(root, 'r'), out: join(root, 'c'), tool: 'test' });
    expect(readMachine(machineRoot(join(root, 'c')), 'capture').units).toEqual([]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('capture -o - is refused: a capture is a directory, and - means stdout everywhere else', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dmar-capture-dash-'));
  try {
    const r = dmar(['capture', '-o', '-'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('dmar: capture writes a directory: -o - (stdout) is no place for one; give a directory name\n');
    expect(readdirSync(cwd)).toEqual([]);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('an empty directory is filled, not replaced: a shell in it stays in it (the same inode), its mode kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-capture-here-'));
  try {
    chmodSync(dir, 0o751);
    const before = statSync(dir);
    await capture({ root: join(ROOT, 'fixtures', 'machine', 'vm-no-dmar', 'capture', 'root'), out: dir, tool: 'test' });
    const after = statSync(dir);
    expect(after.ino).toBe(before.ino);
    expect(after.mode & 0o7777).toBe(0o751);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'root']);
    expect(readMachine(machineRoot(dir), 'capture').pci?.devices.length).toBe(6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
