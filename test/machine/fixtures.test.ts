// fixtures/machine/NAME/capture is what scripts/machine-fixtures.mjs builds from NAME/machine.spec.json:
// the committed tree reads as the same machine as the spec does, and its manifest is a capture's.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { buildFixture } from '../../tools/fixtures/build.js';
import { readMachine } from '../../src/machine/facts.js';
import { FIXTURES } from '../helpers.js';
import { machineRootFromSpec } from './machines.js';

const DIR = join(FIXTURES, 'machine');
const names = readdirSync(DIR)
  .filter((n) => existsSync(join(DIR, n, 'machine.spec.json')))
  .sort();

test('three machines, each with a README', () => {
  expect(names).toEqual(['desktop-usb-gfx-rmrr', 'server-rmrr-nvs', 'vm-no-dmar']);
  for (const n of names) expect(existsSync(join(DIR, n, 'README.md'))).toBe(true);
});

test.each(names)('%s: the capture is current with its spec', (name) => {
  const spec = JSON.parse(readFileSync(join(DIR, name, 'machine.spec.json'), 'utf8'));
  if (spec.dmar) spec.dmar = buildFixture(spec.dmar);
  const fromSpec = readMachine(machineRootFromSpec(spec), 'x');
  const committed = readMachine(join(DIR, name, 'capture', 'root'), 'x');
  expect({ ...committed, root: undefined }).toEqual({ ...fromSpec, root: undefined });
  const dmar = join(DIR, name, 'capture', 'root/sys/firmware/acpi/tables/DMAR');
  if (spec.dmar) expect(new Uint8Array(readFileSync(dmar))).toEqual(spec.dmar);
  else expect(existsSync(dmar)).toBe(false);
  expect(JSON.parse(readFileSync(join(DIR, name, 'capture', 'manifest.json'), 'utf8')).format).toBe('dmar-capture/1');
});
