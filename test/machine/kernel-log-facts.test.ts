import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { validateBytes } from '../../src/dmar/validate/engine.js';
import { logFacts, parseKernelLog, withLogFacts } from '../../src/machine/kernel-log.js';
import { FIXTURES } from '../helpers.js';

const SERVER = readFileSync(join(FIXTURES, 'server-2s.bin'));

it('a log gives the map, the kernel, the command line and the units it printed', () => {
  const f = logFacts(parseKernelLog(readFileSync(join(FIXTURES, 'logs', 'surface-pro-3.log'), 'latin1'), 'sp3.log'));
  expect(f.source).toBe('boot log sp3.log');
  expect(f.kernel!.release).toBe('5.10.0-8parrot1-amd64');
  expect(f.cmdline).toContain('pcie_aspm=off');
  expect(f.memoryMap!.origin).toBe('dmesg-e820');
  expect(f.units).toEqual([
    { name: 'dmar0', address: 0xfed90000n, cap: 0xc0000020660462n, ecap: 0xf0101an, version: '1:0' },
    { name: 'dmar1', address: 0xfed91000n, cap: 0xd2008020660462n, ecap: 0xf010dan, version: '1:0' },
  ]);
});

it('"returns all ones" in the log is a unit reading all ones: DMAR-UNIT-REGS-ALL-ONES at the DRHD', () => {
  // The Dell R630 line (fixtures/logs/dell-r630-linuxboot.log) with this fixture's first register base.
  const log = parseKernelLog('[    0.000000] Your BIOS is broken; DMAR reported at address 9d7fc000 returns all ones!\n', 'x');
  const f = logFacts(log);
  expect(f.units).toEqual([{ name: 'the unit', address: 0x9d7fc000n, cap: 0xffffffffffffffffn, ecap: 0xffffffffffffffffn }]);
  const found = validateBytes(SERVER, { machine: f, only: new Set(['DMAR-UNIT-REGS-ALL-ONES']) });
  expect(found.map((x) => x.id)).toEqual(['DMAR-UNIT-REGS-ALL-ONES']);
  expect(found[0]!.message).toContain('0x9d7fc000');
});

it('over machine facts: the log replaces map and kernel, keeps the machine\'s units', () => {
  const log = logFacts(parseKernelLog('Linux version 6.8.0 (x)\nBIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\nDMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 0 ecap 0\n', 'b.log'));
  const machine = { source: 'capture C', kernel: { release: '5.4.0', major: 5, minor: 4, patch: 0 }, units: [{ name: 'dmar9' }] };
  const m = withLogFacts(machine, log);
  expect(m.source).toBe('capture C and boot log b.log');
  expect(m.kernel!.release).toBe('6.8.0');
  expect(m.memoryMap!.regions).toHaveLength(1);
  expect(m.units).toEqual([{ name: 'dmar9' }]);
  expect(withLogFacts(undefined, log)).toBe(log);
});
