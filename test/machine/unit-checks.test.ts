// What Linux does with the units of a table, against a machine: units it ignores, a table it rejects
// for a unit reading all ones, and the scope type mismatch that leaves DMA remapping off.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { validateBytes } from '../../src/dmar/validate/index.js';
import { readMachine, type MachineFacts } from '../../src/machine/facts.js';
import { logUnits, parseKernelLog } from '../../src/machine/kernel-log.js';
import { topology } from '../../src/machine/topology.js';
import { FIXTURES } from '../helpers.js';

const DESKTOP = join(FIXTURES, 'machine', 'desktop-usb-gfx-rmrr', 'capture', 'root');
const TABLE = readFileSync(join(DESKTOP, 'sys/firmware/acpi/tables/DMAR'));
const SERVER = readFileSync(join(FIXTURES, 'server-2s.bin'));
const UNIT_CHECKS = new Set(['DMAR-UNIT-MISSING', 'DMAR-UNIT-REGS-ALL-ONES']);
const tmp = mkdtempSync(join(tmpdir(), 'dmar-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The desktop capture with some of its sysfs directories removed. */
function desktopWithout(name: string, ...paths: string[]): MachineFacts {
  const root = join(tmp, name);
  cpSync(DESKTOP, root, { recursive: true });
  for (const p of paths) rmSync(join(root, p), { recursive: true });
  return readMachine(root, name);
}

test('a unit Linux ignores (none of its devices present: the iGPU disabled) is not reported missing; a unit dropped otherwise is', () => {
  const found = (m: MachineFacts) => validateBytes(TABLE, { machine: m, only: UNIT_CHECKS });
  expect(found(readMachine(DESKTOP, 'desktop'))).toEqual([]);
  // a discrete card: firmware hides the iGPU, Linux ignores its unit (init_no_remapping_devices), no dmar0 in sysfs
  expect(found(desktopWithout('no-igpu', 'sys/bus/pci/devices/0000:00:02.0', 'sys/class/iommu/dmar0'))).toEqual([]);
  // the iGPU is there but its unit is not: Linux did not set it up, and that is reported
  const missing = found(desktopWithout('no-dmar0', 'sys/class/iommu/dmar0'));
  expect(missing.map((f) => f.id)).toEqual(['DMAR-UNIT-MISSING']);
  expect(missing[0]!.message).toMatch(/^no dmar unit at 0xfed90000 on the machine/);
});

test('a unit whose CAP and ECAP read all ones fails the whole table: reported once, not as the other DRHDs missing', () => {
  // The Dell R630 line (fixtures/logs/dell-r630-linuxboot.log) with the server fixture's first register base.
  const units = logUnits(parseKernelLog('[    0.000000] Your BIOS is broken; DMAR reported at address 9d7fc000 returns all ones!\n', 'x'));
  const found = validateBytes(SERVER, { machine: { source: 'x', units }, only: UNIT_CHECKS });
  expect(found.map((f) => f.id)).toEqual(['DMAR-UNIT-REGS-ALL-ONES']);
  expect(found[0]!.message).toBe('the unit at 0x9d7fc000: CAP and ECAP read 0xffffffffffffffff');
  // Linux's test needs both registers: one of them all ones is not it
  const cap = [{ ...units[0]!, ecap: 0xf010dan }];
  expect(validateBytes(SERVER, { machine: { source: 'x', units: cap }, only: new Set(['DMAR-UNIT-REGS-ALL-ONES']) })).toEqual([]);
});

test('topology says when a scope type mismatch leaves Linux without DMA remapping, and not for an INCLUDE_PCI_ALL unit whose scopes Linux skips', () => {
  const machine = readMachine(DESKTOP, 'desktop');
  const note = (t: ReturnType<typeof topology>) => t.notes.find((n) => n.includes('DMAR-SCOPE-TYPE-MISMATCH'));
  expect(note(topology(decodeDmar(TABLE).table, 'ok', machine))).toBeUndefined();
  // the graphics unit's Endpoint scope for 00:02.0 (a type 0 display device) written as a Bridge scope
  const bridge = decodeDmar(TABLE).table;
  bridge.structures[0]!.scopes![0]!.fields.type = 2;
  expect(note(topology(bridge, 'bridge', machine))).toMatch(/^a device scope names 0000:00:02\.0 with the wrong type .*leaves DMA remapping off/);
  // the same scope in a unit with INCLUDE_PCI_ALL: Linux never inserts devices into its scopes
  const all = decodeDmar(TABLE).table;
  all.structures[0]!.scopes![0]!.fields.type = 2;
  all.structures[0]!.fields.flags = 1;
  expect(note(topology(all, 'all', machine))).toBeUndefined();
});
