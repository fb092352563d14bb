// The PCI reader (config space decoding) and topology's Linux rules: unit per device, VFs through
// their PF, RMRR pins and relaxable classes, predicted IOMMU groups, scope resolution.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { fromJson } from '../../src/dmar/codec/json.js';
import { readMachine } from '../../src/machine/facts.js';
import { decodeConfig, readPciTree } from '../../src/machine/pci.js';
import { resolveScope } from '../../src/machine/scope.js';
import { configBytes, type PciSpec } from '../../tools/fixtures/machine-spec.js';
import { topology } from '../../src/machine/topology.js';
import { FIXTURES } from '../helpers.js';
import { machineFromSpec, machineRootFromSpec } from './machines.js';

const CAPTURES = join(FIXTURES, 'machine');
const fixtureMachine = (name: string) => readMachine(join(CAPTURES, name, 'capture', 'root'), name);
const fixtureTable = (name: string) => decodeDmar(readFileSync(join(CAPTURES, name, 'capture', 'root/sys/firmware/acpi/tables/DMAR'))).table;

describe('config space', () => {
  test('header type, multifunction, bus numbers, PCIe port type and ACS from bytes', () => {
    const spec: PciSpec = {
      address: '0000:00:1c.0',
      id: '8086:a110',
      class: '0x060400',
      header: 1,
      multifunction: true,
      secondary: 2,
      subordinate: 5,
      pcie: 4,
      acs: [0x5f, 0x1d],
    };
    expect(decodeConfig(configBytes(spec))).toEqual({
      headerType: 1,
      multifunction: true,
      secondaryBus: 2,
      subordinateBus: 5,
      pcieType: 4,
      acs: { cap: 0x5f, ctrl: 0x1d, ctrlDword: 0 },
    });
  });
  test("64 bytes (a user's read): header and buses known; PCIe type and ACS unknown (undefined)", () => {
    const d = decodeConfig(
      configBytes({ address: '0000:00:1c.0', id: '8086:a110', class: '0x060400', header: 1, secondary: 2, pcie: 4, acs: [0x5f, 0x1d], configSize: 64 }),
    );
    expect(d).toEqual({ headerType: 1, multifunction: false, secondaryBus: 2, subordinateBus: 2 });
  });
  test('extended space without ACS: null', () => {
    expect(decodeConfig(configBytes({ address: '0000:00:1c.0', id: '8086:a110', class: '0x060400', pcie: 0 })).acs).toBeNull();
  });
  test('links as symlinks or as small files naming the target', async () => {
    const root = machineRootFromSpec({
      pci: [
        { address: '0000:00:02.0', id: '8086:1572', class: '0x020000', pcie: 0, driver: 'i40e', virtfns: ['0000:00:02.1'] },
        { address: '0000:00:02.1', id: '8086:154c', class: '0x020000', pcie: 0, physfn: '0000:00:02.0' },
      ],
    });
    const { rmSync, writeFileSync } = await import('node:fs');
    const dir = join(root, 'sys/bus/pci/devices/0000:00:02.1');
    rmSync(join(dir, 'physfn'));
    writeFileSync(join(dir, 'physfn'), '../0000:00:02.0\n');
    const t = readPciTree(root)!;
    expect(t.byAddress.get('0000:00:02.0')).toMatchObject({ driver: 'i40e', virtfns: ['0000:00:02.1'] });
    expect(t.byAddress.get('0000:00:02.1')!.physfn).toBe('0000:00:02.0');
  });
});

describe('scope resolution', () => {
  const m = machineFromSpec({
    pci: [
      { address: '0000:00:1c.0', id: '8086:8c10', class: '0x060400', header: 1, secondary: 3, subordinate: 3, pcie: 4 },
      { address: '0000:03:00.0', id: '10ec:8168', class: '0x020000', pcie: 0 },
      { address: '0000:00:1f.3', id: '8086:8c22', class: '0x0c0500' },
    ],
  });
  test("a two-hop path goes through the bridge's secondary bus", () => {
    expect(
      resolveScope(m.pci!, 0, 0, [
        { device: 0x1c, function: 0 },
        { device: 0, function: 0 },
      ]).device?.address,
    ).toBe('0000:03:00.0');
  });
  test('a missing hop and a hop through a non-bridge are told apart', () => {
    expect(
      resolveScope(m.pci!, 0, 0, [
        { device: 0x1c, function: 1 },
        { device: 0, function: 0 },
      ]).missing,
    ).toMatchObject({ why: 'absent', address: '0000:00:1c.1' });
    expect(
      resolveScope(m.pci!, 0, 0, [
        { device: 0x1f, function: 3 },
        { device: 0, function: 0 },
      ]).missing,
    ).toMatchObject({ why: 'not-a-bridge' });
  });
  test("a one-hop path naming a device below a bridge matches through Linux's workaround", () => {
    expect(resolveScope(m.pci!, 0, 3, [{ device: 0, function: 0 }])).toMatchObject({ workaround: true });
  });
});

describe('topology of the capture fixtures', () => {
  test('server: RMRR-locked NIC functions and iLO, relaxable USB and VGA, VFs through their PF', () => {
    const t = topology(fixtureTable('server-rmrr-nvs'), 'DMAR', fixtureMachine('server-rmrr-nvs'));
    const dev = (a: string) => t.devices!.find((d) => d.address === a)!;
    expect(dev('0000:02:00.0')).toMatchObject({ vfio: 'rmrr-locked', rmrrs: ['RMRR #2'], unit: 'DRHD #1', match: 'include-all' });
    expect(dev('0000:00:14.0')).toMatchObject({ vfio: 'relaxable', rmrrs: ['RMRR #1'] });
    expect(dev('0000:01:00.0')).toMatchObject({ vfio: 'relaxable', kind: 'display' });
    expect(dev('0000:01:00.1')).toMatchObject({ vfio: 'free', groupLocked: true });
    expect(dev('0000:04:02.0')).toMatchObject({ physfn: '0000:04:00.0', viaPf: true, vfio: 'free' });
    // NIC functions share a group (multifunction, no ACS); root ports with ACS isolate what is below them
    expect(t.groups).toContainEqual(['0000:02:00.0', '0000:02:00.1', '0000:02:00.2', '0000:02:00.3']);
    expect(dev('0000:04:02.0').group).not.toBe(dev('0000:04:02.1').group);
  });
  test('desktop: the graphics unit takes 00:02.0, the INCLUDE_PCI_ALL unit the rest; USB and graphics RMRRs are relaxable', () => {
    const t = topology(fixtureTable('desktop-usb-gfx-rmrr'), 'DMAR', fixtureMachine('desktop-usb-gfx-rmrr'));
    const dev = (a: string) => t.devices!.find((d) => d.address === a)!;
    expect(dev('0000:00:02.0')).toMatchObject({ unit: 'DRHD #1', match: 'endpoint', vfio: 'relaxable', rmrrs: ['RMRR #2'] });
    expect(dev('0000:00:1d.0')).toMatchObject({ unit: 'DRHD #2', match: 'include-all', vfio: 'relaxable' });
    expect(t.devices!.filter((d) => d.vfio === 'rmrr-locked')).toEqual([]);
    // the Lynx Point root port is isolating by Linux's PCH quirk: the NIC behind it is alone
    expect(t.groups).toContainEqual(['0000:01:00.0']);
    expect(t.groups).toContainEqual(['0000:00:1f.0', '0000:00:1f.2', '0000:00:1f.3']);
  });
});

describe("Linux's device ACS quirks (pci_dev_specific_acs_enabled)", () => {
  const groupsOf = (pci: PciSpec[]) => topology(fixtureTable('desktop-usb-gfx-rmrr'), 'DMAR', machineFromSpec({ pci })).groups;
  const port = (id: string, acs?: PciSpec['acs']): PciSpec => ({
    address: '0000:00:1c.0',
    id,
    class: '0x060400',
    header: 1,
    secondary: 1,
    pcie: 4,
    ...(acs ? { acs } : {}),
  });
  const fn = (f: number, id: string, pcie = 0): PciSpec => ({ address: `0000:01:00.${f}`, id, class: '0x020000', multifunction: true, pcie });
  test("Intel root-complex integrated endpoints are isolated; another vendor's multifunction ones without ACS share a group", () => {
    const rciep = (f: number, id: string): PciSpec => ({ address: `0000:00:04.${f}`, id, class: '0x088000', multifunction: true, pcie: 9 });
    expect(groupsOf([rciep(0, '8086:2f20'), rciep(1, '8086:2f21'), rciep(2, '8086:2f22')])).toEqual([['0000:00:04.0'], ['0000:00:04.1'], ['0000:00:04.2']]);
    expect(groupsOf([rciep(0, '1234:0001'), rciep(1, '1234:0002')])).toEqual([['0000:00:04.0', '0000:00:04.1']]);
  });
  test('multifunction NICs Linux lists (Intel I350) are split by function, others (Broadcom 5719) are not', () => {
    const root = port('8086:2f04', [0x5f, 0x1d]);
    expect(groupsOf([root, fn(0, '8086:1521'), fn(1, '8086:1521')])).toEqual([['0000:00:1c.0'], ['0000:01:00.0'], ['0000:01:00.1']]);
    expect(groupsOf([root, fn(0, '14e4:1657'), fn(1, '14e4:1657')])).toEqual([['0000:00:1c.0'], ['0000:01:00.0', '0000:01:00.1']]);
  });
  test("PCH root ports: the ACS-less ID list (Wildcat Point, X79 even IDs only) and Sunrise Point's control dword", () => {
    const behind = (p: PciSpec) => groupsOf([p, fn(0, '10ec:8168')]);
    expect(behind(port('8086:9c90'))).toEqual([['0000:00:1c.0'], ['0000:01:00.0']]);
    expect(behind(port('8086:1d10'))).toEqual([['0000:00:1c.0'], ['0000:01:00.0']]);
    expect(behind(port('8086:1d11'))).toEqual([['0000:00:1c.0', '0000:01:00.0']]);
    // Sunrise Point: the word at +6 reads as no control; the dword at +8 holds it
    expect(behind(port('8086:a110', [0x5f, 0, 0x1d]))).toEqual([['0000:00:1c.0'], ['0000:01:00.0']]);
    expect(behind(port('8086:a110', [0x5f, 0x1d, 0]))).toEqual([['0000:00:1c.0', '0000:01:00.0']]);
    // the same IDs on a port that is not a root port are not the quirk's
    expect(behind({ ...port('8086:9c90'), pcie: 6 })).toEqual([['0000:00:1c.0', '0000:01:00.0']]);
  });
});

describe("Linux's unit order and bridge scopes", () => {
  const table = encodeDmar(
    fromJson({
      header: { signature: 'DMAR', revision: 1, oemId: 'DMARTS', oemTableId: 'TOPOLOGY', oemRevision: 1, creatorId: 'DMAR', creatorRevision: 1 },
      hostAddressWidth: 38,
      flags: 1,
      structures: [
        { kind: 'DRHD', flags: 1, segment: 0, registerBaseAddress: '0xfed91000', deviceScopes: [] },
        { kind: 'DRHD', segment: 0, registerBaseAddress: '0xfed90000', deviceScopes: [{ type: 2, bus: 0, path: [{ device: 1, function: 0 }] }] },
      ],
    }),
  );
  const m = machineFromSpec({
    pci: [
      { address: '0000:00:01.0', id: '8086:1901', class: '0x060400', header: 1, secondary: 1, subordinate: 2, pcie: 4, acs: [0x1d, 0x1d] },
      { address: '0000:01:00.0', id: '8086:1234', class: '0x060400', header: 1, secondary: 2, subordinate: 2, pcie: 5 },
      { address: '0000:02:00.0', id: '10de:1db6', class: '0x030200', pcie: 0 },
      { address: '0000:00:1f.0', id: '8086:a308', class: '0x060100' },
    ],
  });
  const t = topology(decodeDmar(table).table, 'DMAR', m);
  const dev = (a: string) => t.devices!.find((d) => d.address === a)!;
  test('a bridge scope covers the whole sub-hierarchy, even listed after the INCLUDE_PCI_ALL unit', () => {
    expect(dev('0000:02:00.0')).toMatchObject({ unit: 'DRHD #2', match: 'bridge' });
    expect(dev('0000:00:01.0')).toMatchObject({ unit: 'DRHD #2', match: 'endpoint' });
    expect(dev('0000:00:1f.0')).toMatchObject({ unit: 'DRHD #1', match: 'include-all' });
  });
  test('without a machine: units and scopes only', () => {
    const bare = topology(decodeDmar(table).table, 'DMAR');
    expect(bare.devices).toBeUndefined();
    expect(bare.units[1]!.scopes).toEqual([{ type: 'PCI Bridge Device', path: '00:01.0' }]);
  });
});

test('a path of several hops that starts below a bridge names nothing for Linux (no workaround for it)', () => {
  const m = machineFromSpec({
    pci: [
      { address: '0000:00:1c.0', id: '8086:8c10', class: '0x060400', header: 1, secondary: 3, subordinate: 4, pcie: 4 },
      { address: '0000:03:00.0', id: '8086:1234', class: '0x060400', header: 1, secondary: 4, subordinate: 4, pcie: 5 },
      { address: '0000:04:00.0', id: '10ec:8168', class: '0x020000', pcie: 0 },
    ],
  });
  expect(
    resolveScope(m.pci!, 0, 3, [
      { device: 0, function: 0 },
      { device: 0, function: 0 },
    ]).missing,
  ).toMatchObject({ why: 'not-root-bus', address: '0000:03:00.0' });
  expect(
    resolveScope(m.pci!, 0, 0, [
      { device: 0x1c, function: 0 },
      { device: 0, function: 0 },
      { device: 0, function: 0 },
    ]).device?.address,
  ).toBe('0000:04:00.0');
});

test("a VF on a bus of its own (Linux's virtual bus, no bridge) goes up through its PF's bus: its group and a bridge-scoped RMRR", () => {
  const table = encodeDmar(
    fromJson({
      header: { signature: 'DMAR', revision: 1, oemId: 'DMARTS', oemTableId: 'VFBUS', oemRevision: 1, creatorId: 'DMAR', creatorRevision: 1 },
      hostAddressWidth: 45,
      flags: 1,
      structures: [
        { kind: 'DRHD', flags: 1, segment: 0, registerBaseAddress: '0xfbffc000', deviceScopes: [] },
        {
          kind: 'RMRR',
          segment: 0,
          baseAddress: '0x6e000000',
          endAddress: '0x6e0fffff',
          deviceScopes: [{ type: 2, bus: 0, path: [{ device: 3, function: 0 }] }],
        },
      ],
    }),
  );
  // the root port does not isolate (ACS present but off); the PF's VF sits on bus 5, inside the port's range
  const m = machineFromSpec({
    pci: [
      { address: '0000:00:03.0', id: '8086:2f08', class: '0x060400', header: 1, secondary: 4, subordinate: 5, pcie: 4, acs: [0x5f, 0] },
      { address: '0000:04:00.0', id: '8086:1572', class: '0x020000', pcie: 0, virtfns: ['0000:05:00.0'] },
      { address: '0000:05:00.0', id: '8086:154c', class: '0x020000', pcie: 0, physfn: '0000:04:00.0' },
    ],
  });
  const t = topology(decodeDmar(table).table, 'DMAR', m);
  expect(t.groups).toEqual([['0000:00:03.0', '0000:04:00.0', '0000:05:00.0']]);
  expect(t.devices!.find((d) => d.address === '0000:05:00.0')).toMatchObject({ rmrrs: ['RMRR #1'], vfio: 'rmrr-locked', viaPf: true });
});
