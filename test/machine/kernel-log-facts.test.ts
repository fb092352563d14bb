import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { validateBytes } from '../../src/dmar/validate/engine.js';
import { logUnits, parseKernelLog } from '../../src/machine/kernel-log.js';
import { FIXTURES } from '../helpers.js';

const SERVER = readFileSync(join(FIXTURES, 'server-2s.bin'));

it('the units a real boot log printed', () => {
  const log = parseKernelLog(readFileSync(join(FIXTURES, 'logs', 'surface-pro-3.log'), 'latin1'), 'sp3.log');
  expect(logUnits(log)).toEqual([
    { name: 'dmar0', address: 0xfed90000n, cap: 0xc0000020660462n, ecap: 0xf0101an, version: '1:0' },
    { name: 'dmar1', address: 0xfed91000n, cap: 0xd2008020660462n, ecap: 0xf010dan, version: '1:0' },
  ]);
});

it("only the last boot's units", () => {
  const log = parseKernelLog(
    [
      'Linux version 5.4.0 (a)',
      'DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 0 ecap 0',
      'Linux version 6.8.0 (b)',
      'DMAR: dmar0: reg_base_addr fed91000 ver 1:0 cap 0 ecap 8',
    ].join('\n'),
    'two',
  );
  expect(logUnits(log).map((u) => u.address)).toEqual([0xfed91000n]);
});

it('"returns all ones" in the log is a unit reading all ones: DMAR-UNIT-REGS-ALL-ONES at the DRHD', () => {
  // The Dell R630 line (fixtures/logs/dell-r630-linuxboot.log) with this fixture's first register base.
  const log = parseKernelLog('[    0.000000] Your BIOS is broken; DMAR reported at address 9d7fc000 returns all ones!\n', 'x');
  const units = logUnits(log);
  expect(units).toEqual([{ name: 'the unit', address: 0x9d7fc000n, cap: 0xffffffffffffffffn, ecap: 0xffffffffffffffffn }]);
  const found = validateBytes(SERVER, { machine: { source: 'x', units }, only: new Set(['DMAR-UNIT-REGS-ALL-ONES']) });
  expect(found.map((x) => x.id)).toEqual(['DMAR-UNIT-REGS-ALL-ONES']);
  expect(found[0]!.message).toContain('0x9d7fc000');
});
