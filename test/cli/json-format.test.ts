import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dmar, FIXTURES } from '../helpers.js';

const QEMU = join(FIXTURES, 'qemu-q35-ir.bin');
const SERVER = join(FIXTURES, 'server-2s.bin');
const MACHINE = join(FIXTURES, 'machine', 'desktop-usb-gfx-rmrr', 'capture');

// docs/json.md: every --json document names its shape and version first, so that a consumer can tell one
// command's output from another's and notice a new major version
test.each([
  [['decode', QEMU, '--json'], 'dmar/1'],
  [['validate', QEMU, '--json'], 'dmar-validate/1'],
  [['validate', '--list', '--json'], 'dmar-checks/1'],
  [['flags', QEMU, '--json'], 'dmar-flags/1'],
  [['virt', 'show', QEMU, '--json'], 'dmar-virt/1'],
  [['ims', QEMU, '--json'], 'dmar-ims/1'],
  [['ims', 'matrix', '--json'], 'dmar-ims-matrix/1'],
  [['diff', QEMU, SERVER, '--json'], 'dmar-diff/1'],
  [['topology', SERVER, '--json'], 'dmar-topology/1'],
  [['map', '--machine', MACHINE, '--json'], 'dmar-map/1'],
  [['explain', join(FIXTURES, 'logs', 'faults.log'), '--json'], 'dmar-explain/1'],
])('dmar %j names its format first: %s', (args, format) => {
  const r = dmar(args);
  expect(r.stderr).toBe('');
  const doc = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(Object.keys(doc)[0]).toBe('format');
  expect(doc.format).toBe(format);
});
