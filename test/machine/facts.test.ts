// A boot log's facts over a capture's: the log's memory map and kernel decide the RMRR check.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { readMachine, withKernelLog, type MachineFacts } from '../../src/machine/facts.js';
import { loadMachine } from '../../src/cli/machine-context.js';
import { parseKernelLog } from '../../src/machine/kernel-log.js';
import { validateBytes } from '../../src/dmar/validate/index.js';
import { FIXTURES } from '../helpers.js';
import { machineFromSpec } from './machines.js';

const CAPTURE = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');

test("the same RMRR passes under a 6.1 boot log whose BIOS-e820 map has it in ACPI NVS, and fails under the capture's 5.10", () => {
  const table = readFileSync(join(CAPTURE, 'root/sys/firmware/acpi/tables/DMAR'));
  const machine = readMachine(join(CAPTURE, 'root'), 'capture');
  const ids = (m: typeof machine) => validateBytes(table, { machine: m }).map((f) => f.id);
  expect(ids(machine)).toEqual(['DMAR-RMRR-NOT-RESERVED']);
  const log = parseKernelLog(
    [
      '[    0.000000] Linux version 6.1.0-26-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1',
      '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x0000000000097fff] usable',
      '[    0.000000] BIOS-e820: [mem 0x0000000068bff000-0x000000006ebfefff] reserved',
      '[    0.000000] BIOS-e820: [mem 0x000000006ebff000-0x000000006f9fefff] ACPI NVS',
      '[    0.000000] BIOS-e820: [mem 0x000000006f9ff000-0x000000006fffefff] ACPI data',
    ].join('\n'),
    'boot.log',
  );
  const merged = withKernelLog(log, machine);
  expect(merged.kernel?.release).toBe('6.1.0-26-amd64');
  expect(merged.memoryMap?.origin).toBe('dmesg-e820');
  expect(ids(merged)).toEqual([]);
});

test('a Debian kernel is judged by the upstream release in proc/version, not the 0 of its osrelease', () => {
  const table = readFileSync(join(CAPTURE, 'root/sys/firmware/acpi/tables/DMAR'));
  const spec = JSON.parse(readFileSync(join(CAPTURE, '..', 'machine.spec.json'), 'utf8'));
  spec.dmar = undefined;
  const capture = readMachine(join(CAPTURE, 'root'), 'capture');
  expect(capture.kernel).toMatchObject({ release: '5.10.0-18-amd64', major: 5, minor: 10, patch: 140 });
  // Debian 11's 5.10.0-27 is upstream 5.10.205: past the NVS backport (5.10.152), so the RMRR in ACPI NVS passes
  const later = machineFromSpec({
    ...spec,
    osrelease: '5.10.0-27-amd64',
    version:
      'Linux version 5.10.0-27-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.205-2 (2023-12-31)',
  });
  expect(later.kernel).toMatchObject({ major: 5, minor: 10, patch: 205 });
  expect(validateBytes(table, { machine: later }).map((f) => f.id)).toEqual([]);
  // without proc/version the same release reads as 5.10.0: the rule before the backport
  const bare = machineFromSpec({ ...spec, osrelease: '5.10.0-27-amd64', version: undefined });
  expect(bare.kernel?.patch).toBe(0);
  expect(validateBytes(table, { machine: bare }).map((f) => f.id)).toEqual(['DMAR-RMRR-NOT-RESERVED']);
});

test('--machine DIR reads the kernel log a capture kept (dmesg.txt) as --dmesg would', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-capture-log-'));
  try {
    cpSync(CAPTURE, dir, { recursive: true });
    const table = readFileSync(join(dir, 'root/sys/firmware/acpi/tables/DMAR'));
    const ids = (m: MachineFacts) => validateBytes(table, { machine: m }).map((f) => f.id);
    expect(ids(loadMachine(dir))).toEqual(['DMAR-RMRR-NOT-RESERVED']);
    writeFileSync(
      join(dir, 'dmesg.txt'),
      [
        '[    0.000000] Linux version 6.1.0-26-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1',
        '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x0000000000097fff] usable',
        '[    0.000000] BIOS-e820: [mem 0x0000000068bff000-0x000000006ebfefff] reserved',
        '[    0.000000] BIOS-e820: [mem 0x000000006ebff000-0x000000006f9fefff] ACPI NVS',
        '[    0.000000] BIOS-e820: [mem 0x000000006f9ff000-0x000000006fffefff] ACPI data',
      ].join('\n') + '\n',
    );
    const m = loadMachine(dir);
    expect(m.kernel?.release).toBe('6.1.0-26-amd64');
    expect(m.memoryMap?.origin).toBe('dmesg-e820');
    expect(m.units?.length).toBeGreaterThan(0);
    expect(ids(m)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
