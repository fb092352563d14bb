// topology is linear in the PCI tree and the table's scopes: a server with thousands of VFs, or a
// crafted --machine directory, must not take minutes. No timing here (npm run bench measures): the
// indexed walk is checked against the plain definitions it replaced (each device against every
// scope, every bridge found by scanning the tree) on random trees, then run at a size where
// those definitions take minutes.
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { fromJson } from '../../src/dmar/codec/json.js';
import { num } from '../../src/dmar/model.js';
import { includePciAll } from '../../src/dmar/schema.js';
import { bdf, isBridge, pciTree, type PciDevice, type PciTree } from '../../src/machine/pci.js';
import { resolveScope } from '../../src/machine/scope.js';
import { acsEnabled, topology } from '../../src/machine/topology.js';

/** A small deterministic generator (mulberry32): the same trees on every run. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const ACS_ON = { cap: 0x1d, ctrl: 0x1d };

function device(seg: number, bus: number, dev: number, fn: number, extra: Partial<PciDevice>): PciDevice {
  return {
    address: bdf(seg, bus, dev, fn),
    segment: seg,
    bus,
    device: dev,
    function: fn,
    vendor: 0x8086,
    deviceId: 0x1234,
    classCode: 0x020000,
    headerType: 0,
    configSize: 4096,
    virtfns: [],
    ...extra,
  };
}

/** A random tree: root ports and switches (ACS or not), multifunction endpoints, VFs, a bus loop now and then. */
function randomTree(r: (n: number) => number, size: number): PciDevice[] {
  const out: PciDevice[] = [];
  const taken = new Set<string>();
  let nextBus = 1;
  const add = (d: PciDevice) => {
    if (taken.has(d.address)) return false;
    taken.add(d.address);
    out.push(d);
    return true;
  };
  const fill = (seg: number, bus: number, depth: number) => {
    const slots = 1 + r(4);
    for (let s = 0; s < slots && out.length < size; s++) {
      const dev = r(32);
      const fns = r(3) === 0 ? 1 + r(8) : 1;
      for (let fn = 0; fn < fns && out.length < size; fn++) {
        const multifunction = fns > 1;
        const acs = r(3) === 0 ? ACS_ON : r(2) ? null : undefined;
        if (depth < 4 && r(3) === 0 && nextBus < 250) {
          // a bridge: root port (4) on bus 0, downstream port (6) below; now and then one whose
          // secondary bus is its own bus or an earlier one (an unconfigured bridge)
          const secondary = r(12) === 0 ? r(nextBus) : nextBus++;
          const d = device(seg, bus, dev, fn, {
            classCode: 0x060400,
            headerType: 1,
            multifunction,
            secondaryBus: secondary,
            subordinateBus: secondary,
            pcieType: bus === 0 ? 4 : 6,
            acs,
          });
          if (add(d) && secondary >= nextBus - 1 && secondary !== bus) fill(seg, secondary, depth + 1);
        } else {
          const classCode = [0x020000, 0x0c0330, 0x030000, 0x010802][r(4)]!;
          const d = device(seg, bus, dev, fn, { classCode, multifunction, pcieType: r(5) === 0 ? undefined : 0, acs });
          if (!add(d)) continue;
          if (r(6) === 0) {
            // VFs on the next bus numbers, pointing at their PF
            const vfBus = Math.min(bus + 1 + r(2), 255);
            for (let v = 0; v < 1 + r(6) && out.length < size; v++) {
              const vf = device(seg, vfBus, 16 + (v >> 3), v & 7, { classCode, physfn: d.address, pcieType: 0, acs: null });
              if (add(vf)) d.virtfns.push(vf.address);
            }
          }
        }
      }
    }
  };
  for (let seg = 0; out.length < size && seg < 4; seg++) {
    nextBus = 1;
    while (out.length < size && nextBus < 250) fill(seg, 0, 0);
  }
  return out;
}

/** A table whose DRHDs and RMRRs name random devices of the tree (and some that are not there). */
function randomTable(r: (n: number) => number, devices: PciDevice[], units: number, rmrrs: number): Uint8Array {
  const scope = () => {
    const d = devices[r(devices.length)]!;
    const far = r(5) === 0;
    return { type: isBridge(d) ? 2 : 1, bus: far ? 0x77 : d.bus, path: [{ device: d.device, function: d.function }] };
  };
  const segOf = () => devices[r(devices.length)]!.segment;
  const structures: unknown[] = [];
  for (let i = 0; i < units; i++) {
    const all = r(4) === 0;
    structures.push({
      kind: 'DRHD',
      flags: { INCLUDE_PCI_ALL: all },
      segment: segOf(),
      registerBaseAddress: `0x${(0xfed90000 + i * 0x1000).toString(16)}`,
      // INCLUDE_PCI_ALL with PCI scopes of its own now and then: a name still matches first
      deviceScopes: Array.from({ length: all ? r(2) * r(3) : 1 + r(4) }, scope),
    });
  }
  for (let i = 0; i < rmrrs; i++) {
    structures.push({
      kind: 'RMRR',
      segment: segOf(),
      baseAddress: `0x${(0x80000000 + i * 0x10000).toString(16)}`,
      endAddress: `0x${(0x80000fff + i * 0x10000).toString(16)}`,
      deviceScopes: Array.from({ length: 1 + r(3) }, scope),
    });
  }
  const doc = {
    format: 'dmar/1',
    header: { signature: 'DMAR', revision: 1, oemId: 'TEST', oemTableId: 'SCALE', oemRevision: 1, creatorId: 'TEST', creatorRevision: 1 },
    hostAddressWidth: 45,
    flags: { INTR_REMAP: true },
    structures,
  };
  return encodeDmar(fromJson(doc));
}

// ---- the plain definitions (the code before it was indexed), kept as the reference ----

function parentOf(tree: PciTree, d: PciDevice): PciDevice | undefined {
  const bridge = tree.devices.find((b) => b.segment === d.segment && isBridge(b) && b.secondaryBus === d.bus && b !== d);
  if (bridge || d.physfn === undefined) return bridge;
  // a VF on a bus no bridge leads to: Linux's virtual bus below its PF's
  const pf = tree.devices.find((x) => x.address === d.physfn);
  return pf && pf !== d && pf.segment === d.segment && pf.bus !== d.bus && pf.physfn === undefined ? parentOf(tree, pf) : undefined;
}

function chainOf(tree: PciTree, d: PciDevice): PciDevice[] {
  const out = [d];
  for (let p = parentOf(tree, d); p && out.length < 64 && !out.includes(p); p = parentOf(tree, p)) out.push(p);
  return out;
}

function groupsOf(tree: PciTree): Map<string, number> {
  const parent = new Map<string, string>();
  const find = (a: string): string => {
    let x = a;
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const d of tree.devices) parent.set(d.address, d.address);
  for (const d of tree.devices) {
    let anchor = d;
    const seen = new Set<PciDevice>([d]);
    for (let up = parentOf(tree, anchor); up && !seen.has(up); up = parentOf(tree, up)) {
      seen.add(up);
      if (chainOf(tree, up).every((x) => acsEnabled(x))) break;
      anchor = up;
    }
    union(d.address, anchor.address);
    if (anchor.multifunction && !acsEnabled(anchor)) {
      for (const o of tree.devices) {
        if (o !== anchor && o.segment === anchor.segment && o.bus === anchor.bus && o.device === anchor.device && o.multifunction && !acsEnabled(o))
          union(anchor.address, o.address);
      }
    }
  }
  const ids = new Map<string, number>();
  const out = new Map<string, number>();
  for (const d of tree.devices) {
    const root = find(d.address);
    if (!ids.has(root)) ids.set(root, ids.size);
    out.set(d.address, ids.get(root)!);
  }
  return out;
}

interface Expected {
  unit: string | null;
  match: string;
  rmrrs: string[];
  group: number;
}

function reference(bytes: Uint8Array, tree: PciTree): Map<string, Expected> {
  const table = decodeDmar(bytes).table;
  const named = (type: number, abbrev: string) =>
    table.structures
      .filter((s) => s.type === type)
      .map((s, i) => ({
        label: `${abbrev} #${i + 1}`,
        segment: num(s.fields, 'segment'),
        all: s.type === 0 && includePciAll(s),
        devices: (s.scopes ?? []).flatMap((sc) => {
          const t = num(sc.fields, 'type');
          if (t !== 1 && t !== 2) return [];
          const d = resolveScope(tree, num(s.fields, 'segment'), num(sc.fields, 'bus'), sc.path).device;
          return d ? [d] : [];
        }),
      }));
  const drhds = named(0, 'DRHD');
  const rmrrs = named(1, 'RMRR');
  const order = [...drhds.filter((u) => !u.all).reverse(), ...drhds.filter((u) => u.all)];
  const groups = groupsOf(tree);
  const out = new Map<string, Expected>();
  for (const d0 of tree.devices) {
    const d = (d0.physfn ? tree.byAddress.get(d0.physfn) : undefined) ?? d0;
    const chain = chainOf(tree, d);
    let unit: string | null = null;
    let match = 'none';
    for (const u of order) {
      if (u.segment !== d.segment) continue;
      const hit = chain.find((x) => u.devices.includes(x));
      if (hit) {
        unit = u.label;
        match = hit === d ? 'endpoint' : 'bridge';
        break;
      }
      if (u.all) {
        unit = u.label;
        match = 'include-all';
        break;
      }
    }
    const pinned = rmrrs.filter((r) => r.segment === d0.segment && chainOf(tree, d0).some((x) => r.devices.includes(x))).map((r) => r.label);
    out.set(d0.address, { unit, match, rmrrs: pinned, group: groups.get(d0.address)! });
  }
  return out;
}

function actual(bytes: Uint8Array, tree: PciTree): Map<string, Expected> {
  const t = topology(decodeDmar(bytes).table, 'random', { source: 'random tree', pci: tree });
  return new Map(t.devices!.map((v) => [v.address, { unit: v.unit, match: v.match, rmrrs: v.rmrrs, group: v.group }]));
}

describe('topology at scale', () => {
  test('on 200 random trees and tables, units, matches, RMRR pins and groups are those of the plain definitions', () => {
    let compared = 0;
    const seen = { endpoint: 0, bridge: 0, 'include-all': 0, none: 0, pinned: 0, shared: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      const r = random(seed);
      const devices = randomTree(r, 20 + r(120));
      const bytes = randomTable(r, devices, 1 + r(6), r(4));
      const tree = pciTree(devices);
      const want = reference(bytes, tree);
      const got = actual(bytes, tree);
      expect(got).toEqual(want);
      compared += got.size;
      const sizes = new Map<number, number>();
      for (const e of got.values()) {
        seen[e.match as keyof typeof seen]++;
        if (e.rmrrs.length) seen.pinned++;
        sizes.set(e.group, (sizes.get(e.group) ?? 0) + 1);
      }
      seen.shared += [...sizes.values()].filter((n) => n > 1).length;
    }
    // the random cases reach every outcome
    expect(compared).toBeGreaterThan(10_000);
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(50);
  });

  test('a segment number far above 0xffff (a crafted capture): each bus keeps its own parent bridge', () => {
    const S = 2 ** 52;
    const devices = [
      device(S, 0, 1, 0, { classCode: 0x060400, headerType: 1, secondaryBus: 1, subordinateBus: 1, pcieType: 4, acs: null }),
      device(S, 0, 2, 0, { pcieType: 0, acs: null }),
      device(S, 0, 3, 0, { pcieType: 0, acs: null }),
    ];
    const tree = pciTree(devices);
    const bytes = randomTable(random(3), [device(0, 0, 0, 0, {})], 1, 0);
    expect(actual(bytes, tree)).toEqual(reference(bytes, tree));
    expect(new Set([...actual(bytes, tree).values()].map((e) => e.group)).size).toBe(3);
  });

  test('a server of 60,000 functions (VFs behind switches, one 8-function slot per bus) under 2,000 scopes', () => {
    const devices: PciDevice[] = [];
    let bus = 1;
    for (let seg = 0; seg < 4; seg++) {
      for (let rp = 0; rp < 8; rp++) {
        // a root port without ACS, a switch below it, then buses of multifunction endpoints and VFs
        const top = bus++;
        devices.push(device(seg, 0, rp, 0, { classCode: 0x060400, headerType: 1, secondaryBus: top, subordinateBus: top + 30, pcieType: 4, acs: null }));
        for (let port = 0; port < 30 && bus < 250; port++) {
          const b = bus++;
          devices.push(device(seg, top, port, 0, { classCode: 0x060400, headerType: 1, secondaryBus: b, subordinateBus: b, pcieType: 6, acs: null }));
          for (let f = 0; f < 64; f++) devices.push(device(seg, b, f >> 3, f & 7, { multifunction: true, pcieType: 0, acs: f % 16 === 0 ? ACS_ON : null }));
        }
      }
      bus = 1;
    }
    expect(devices.length).toBeGreaterThan(60_000);
    const r = random(7);
    const bytes = randomTable(r, devices, 500, 1500);
    const t = topology(decodeDmar(bytes).table, 'server', { source: 'big tree', pci: pciTree(devices) });
    expect(t.devices).toHaveLength(devices.length);
    // no bridge has ACS: everything below a root port is one group with it (8 per segment)
    expect(t.groups!.length).toBe(32);
    expect(t.groups!.every((g) => g.length === 1 + 30 * 65)).toBe(true);
    expect(t.devices!.filter((d) => d.unit !== null).length).toBeGreaterThan(0);
  });
});
