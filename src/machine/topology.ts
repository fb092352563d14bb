/**
 * `dmar topology`: what a DMAR table means for a machine's PCI devices, by
 * Linux's rules.
 *
 * - Unit of a device: dmar_find_matched_drhd_unit() (drivers/iommu/intel/dmar.c).
 *   A VF is looked up as its PF (pci_physfn). Units are tried in Linux's list
 *   order: dmar_register_drhd_unit() adds a unit with INCLUDE_PCI_ALL at the tail
 *   and every other unit at the head (so in reverse table order). A unit matches
 *   when one of its PCI scopes names the device or a bridge above it
 *   (dmar_pci_device_match() walks dev->bus->self upwards), or when it has
 *   INCLUDE_PCI_ALL for the device's segment.
 * - RMRRs pinning a device: an RMRR scope naming it or a bridge above it
 *   (device_rmrr_is_relaxable / is_downstream_to_pci_bridge, drivers/iommu/intel/iommu.c).
 * - VFIO: a device pinned by an RMRR is refused for passthrough ("Device is
 *   ineligible for IOMMU domain attach due to platform RMRR requirement", later
 *   kernels: "Firmware has requested this device have a 1:1 IOMMU mapping"),
 *   except USB controllers (class 0x0c03) and display devices (base class 0x03),
 *   whose RMRRs are relaxable (device_rmrr_is_relaxable()).
 * - IOMMU groups (a prediction): pci_device_group() (drivers/iommu/iommu.c): go
 *   up the tree while the path above is not ACS-isolated (REQ_ACS_FLAGS =
 *   SV|RR|CR|UF, pci_acs_path_enabled / pci_acs_enabled in drivers/pci/pci.c),
 *   and join the functions of a multifunction slot that lack ACS. Of the device
 *   ACS quirks (pci_dev_specific_acs_enabled) those of Intel machines are
 *   modelled (acsQuirk); DMA aliases other than bridges are not; without extended
 *   config space (not root) ACS is unknown and taken as absent.
 */
import { hex } from '../acpi/hex.js';
import { big, num, scopePath, type DmarTable, type Structure } from '../dmar/model.js';
import { includePciAll, scopeTypeName, SCOPE_TYPE, STRUCT_TYPE } from '../dmar/schema.js';
import { lacking, type MachineFacts } from './facts.js';
import { ACS, isGraphics, isUsb, parentBridge, PCIE_TYPE, REQ_ACS_FLAGS, unusableConfigs, type PciDevice, type PciTree } from './pci.js';
import { linuxScopeTypeMismatches, resolveScope } from './scope.js';

export const TOPOLOGY_FORMAT = 'dmar-topology/1';

export interface ScopeView {
  type: string;
  /** "00:1c.0/00.0" as the table writes it (start bus, then the path). */
  path: string;
  enumerationId?: number;
  /** With a machine: the device it names, or why none. */
  device?: string;
  missing?: string;
}

export interface UnitView {
  structure: string;
  segment: number;
  registerBaseAddress: string;
  includePciAll: boolean;
  scopes: ScopeView[];
  /** With a machine: the sysfs unit at that address. */
  sysfs?: string;
  /** With a machine: the devices this unit translates. */
  devices?: string[];
}

export interface RmrrView {
  structure: string;
  segment: number;
  base: string;
  end: string;
  scopes: ScopeView[];
}

export type Vfio = 'free' | 'relaxable' | 'rmrr-locked' | 'no-iommu';

export interface DeviceView {
  address: string;
  vendor: string;
  device: string;
  class: string;
  kind: string;
  driver?: string;
  physfn?: string;
  /** The DRHD covering it ("DRHD #2"), or null. */
  unit: string | null;
  /** How: the device named in a scope, a bridge above it, the segment's INCLUDE_PCI_ALL unit, or through its PF. */
  match: 'endpoint' | 'bridge' | 'include-all' | 'none';
  viaPf?: boolean;
  rmrrs: string[];
  vfio: Vfio;
  /** Predicted IOMMU group number (ordinal of the group in this output). */
  group: number;
  /** Another device of its predicted group is RMRR-locked: VFIO takes whole groups, so this one cannot go alone either. */
  groupLocked?: boolean;
  /** The group Linux formed, when the machine had one. */
  actualGroup?: string;
}

export interface Topology {
  format: typeof TOPOLOGY_FORMAT;
  table: string;
  machine: string | null;
  units: UnitView[];
  rmrrs: RmrrView[];
  devices?: DeviceView[];
  /** Predicted groups: device addresses, a prediction. */
  groups?: string[][];
  notes: string[];
}

const PCI_SCOPE = new Set<number>([SCOPE_TYPE.ENDPOINT, SCOPE_TYPE.BRIDGE]);

interface Labeled {
  s: Structure;
  label: string;
}

function labeled(table: DmarTable, type: number, abbrev: string): Labeled[] {
  return table.structures.filter((s) => s.type === type && !s.raw).map((s, i) => ({ s, label: `${abbrev} #${i + 1}` }));
}

function scopeViews(s: Structure, tree: PciTree | undefined): { view: ScopeView; dev?: PciDevice }[] {
  return (s.scopes ?? []).map((sc) => {
    const type = num(sc.fields, 'type');
    const view: ScopeView = { type: scopeTypeName(type), path: scopePath(sc) };
    if (!PCI_SCOPE.has(type)) {
      view.enumerationId = num(sc.fields, 'enumerationId');
      return { view };
    }
    if (!tree) return { view };
    const r = resolveScope(tree, num(s.fields, 'segment'), num(sc.fields, 'bus'), sc.path);
    if (r.device) {
      view.device = r.device.address;
      return { view, dev: r.device };
    }
    if (r.missing)
      view.missing =
        r.missing.why === 'absent'
          ? `no device ${r.missing.address}`
          : r.missing.why === 'not-root-bus'
            ? `path not from the root bus (${r.missing.address})`
            : r.missing.why === 'config-unusable'
              ? `not followed: ${r.missing.address}'s config space ${tree.byAddress.get(r.missing.address)?.configUnusable}`
              : `${r.missing.address} is not a bridge`;
    return { view };
  });
}

/** For each device, the places in `list` of the structures whose scopes name it, in ascending order. */
function namedBy<T>(list: readonly T[], named: (x: T) => readonly PciDevice[]): Map<PciDevice, number[]> {
  const out = new Map<PciDevice, number[]>();
  list.forEach((x, i) => {
    for (const d of named(x)) {
      const at = out.get(d);
      if (!at) out.set(d, [i]);
      else if (at[at.length - 1] !== i) at.push(i);
    }
  });
  return out;
}

/** d itself, then each bridge above it. */
function upwards(tree: PciTree, d: PciDevice): PciDevice[] {
  const out = [d];
  for (let p = parentBridge(tree, d); p && out.length < 64 && !out.includes(p); p = parentBridge(tree, p)) out.push(p);
  return out;
}

function isPcie(d: PciDevice): boolean {
  return d.pcieType !== undefined;
}

const INTEL = 0x8086;
const ISOLATED = ACS.SV | ACS.RR | ACS.CR | ACS.UF;
const PCIE_ROOT_PORT = 4;
const PCIE_RC_END = 9;

/**
 * Multifunction endpoints their vendors verified not to do peer-to-peer between functions
 * (pci_quirk_mf_endpoint_acs; Wangxun's NICs alike, pci_quirk_wangxun_nic_acs): vendor << 16 | device.
 */
const MF_ENDPOINT = new Set<number>(
  (
    [
      [0x1924, [0x0903, 0x0923, 0x0a03]], // Solarflare
      [
        INTEL,
        [
          0x10c6, 0x10db, 0x10dd, 0x10e1, 0x10f1, 0x10f7, 0x10f8, 0x10f9, 0x10fa, 0x10fb, 0x10fc, 0x1507, 0x1514, 0x151c, 0x1529, 0x152a, 0x154d, 0x154f,
          0x1551, 0x1558, 0x1509, 0x150e, 0x150f, 0x1510, 0x1511, 0x1516, 0x1527, 0x10c9, 0x10e6, 0x10e7, 0x10e8, 0x150a, 0x150d, 0x1518, 0x1526, 0x10a7,
          0x10a9, 0x10d6, 0x1521, 0x1522, 0x1523, 0x1524, 0x105e, 0x105f, 0x1060, 0x10d9, 0x15b7, 0x15b8,
        ],
      ],
      [0x19a2, [0x0710]], // Emulex BE3-R
      [0x10df, [0x0720]], // Emulex Skyhawk-R
      [0x177d, [0xa026, 0xa059, 0xa060]], // Cavium
      [0x14e4, [0x16d7, 0x1750, 0x1751, 0x1752]], // Broadcom
      [0x1d17, [0x3038, 0x3104, 0x9083]], // Zhaoxin
      [
        0x8088,
        [0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0106, 0x0107, 0x0108, 0x0109, 0x010a, 0x010b, 0x010c, 0x010d, 0x010e, 0x010f, 0x1001, 0x2001],
      ], // Wangxun
    ] as const
  ).flatMap(([vendor, ids]) => ids.map((id) => vendor * 0x10000 + id)),
);

/**
 * Intel PCH root ports without an ACS capability that Linux treats as isolating once the IOMMU
 * asked for ACS (pci_quirk_intel_pch_acs_ids: Ibex Peak, Cougar Point, Panther Point, Lynx Point-H
 * and -LP, Wildcat Point, Patsburg (X79), Wellsburg (X99), 9-series).
 */
const INTEL_PCH_ACS = new Set<number>([
  ...range(0x3b42, 0x3b51),
  ...range(0x1c10, 0x1c1f),
  ...range(0x1e10, 0x1e1f),
  ...range(0x8c10, 0x8c1f),
  ...range(0x9c10, 0x9c1b),
  ...range(0x9c90, 0x9c9b),
  ...range(0x1d10, 0x1d1e).filter((id) => id % 2 === 0),
  ...range(0x8d10, 0x8d1e),
  ...range(0x8c90, 0x8c9e).filter((id) => id % 2 === 0),
]);

/** Sunrise Point, Union Point and 7th/8th-gen mobile PCH root ports: ACS control as a dword at +8 (pci_quirk_intel_spt_pch_acs_match). */
const INTEL_SPT_ACS: readonly [number, number][] = [
  [0xa110, 0xa11f],
  [0xa167, 0xa16a],
  [0xa290, 0xa29f],
  [0xa2e7, 0xa2ee],
  [0x9d10, 0x9d1b],
];

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/**
 * pci_dev_specific_acs_enabled() (drivers/pci/quirks.c), for the quirks of x86 machines with
 * VT-d, in Linux's table order: true or false when a quirk decides, undefined when none applies
 * (then the ACS capability does). The PCH root ports are taken with ACS requested, as the VT-d
 * driver does at boot (pci_request_acs).
 */
function acsQuirk(d: PciDevice, flags: number): boolean | undefined {
  const provides = (ena: number) => (flags & ena) === flags;
  if (MF_ENDPOINT.has(d.vendor * 0x10000 + d.deviceId)) return provides(ISOLATED | ACS.TB | ACS.DT);
  if (d.vendor !== INTEL) return undefined;
  // Intel root-complex integrated endpoints allow peer-to-peer on translated addresses only (pci_quirk_rciep_acs)
  if (d.pcieType === PCIE_RC_END) return provides(ISOLATED);
  // the quirks below are for root ports; without the PCIe capability in readable config space (not root), a PCI bridge of the PCH's IDs is one
  const rootPort = d.pcieType === PCIE_ROOT_PORT || (d.pcieType === undefined && d.configSize <= 64 && d.classCode >> 8 === 0x0604);
  if (!rootPort) return undefined;
  if (INTEL_PCH_ACS.has(d.deviceId)) return provides(ISOLATED);
  if (INTEL_SPT_ACS.some(([lo, hi]) => d.deviceId >= lo && d.deviceId <= hi) && d.acs?.ctrlDword !== undefined) {
    const want = flags & (d.acs.cap | ACS.EC);
    return (want & d.acs.ctrlDword) === want;
  }
  return undefined;
}

/** pci_acs_enabled(), with the device quirks of acsQuirk(). */
export function acsEnabled(d: PciDevice, flags = REQ_ACS_FLAGS): boolean {
  const quirk = acsQuirk(d, flags);
  if (quirk !== undefined) return quirk;
  if (!isPcie(d)) return false;
  const flagsOn = () => {
    if (!d.acs) return false;
    const need = flags & (d.acs.cap | ACS.EC);
    return (d.acs.ctrl & need) === need;
  };
  switch (d.pcieType) {
    case 8:
    case 7:
    case 10:
      return false; // PCI/X-to-PCIe bridge, PCIe-to-PCI bridge, RC event collector
    case 6:
    case 4:
      return flagsOn(); // downstream, root port
    case 0:
    case 5:
    case 1:
    case 9:
      return d.multifunction ? flagsOn() : true;
    default:
      return true;
  }
}

/** pci_acs_path_enabled(start, NULL): start and every bridge above it to the root bus. */
function acsPathEnabled(tree: PciTree, start: PciDevice): boolean {
  return upwards(tree, start).every((x) => acsEnabled(x));
}

/**
 * Predicted IOMMU groups, as numbers in tree order. Linear in the tree's size
 * (a server with thousands of VFs): each bridge's ACS path is worked out once,
 * a multifunction slot's functions are found by slot, and the union-find
 * compresses its paths.
 */
function predictGroups(tree: PciTree): Map<string, number> {
  const parent = new Map<PciDevice, PciDevice>();
  const find = (a: PciDevice): PciDevice => {
    let r = a;
    while (parent.get(r) !== r) r = parent.get(r)!;
    for (let x = a; x !== r; ) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  const union = (a: PciDevice, b: PciDevice) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const pathEnabled = new Map<PciDevice, boolean>();
  const acsPath = (d: PciDevice) => {
    let on = pathEnabled.get(d);
    if (on === undefined) pathEnabled.set(d, (on = acsPathEnabled(tree, d)));
    return on;
  };
  // get_pci_function_alias_group's candidates: the multifunction functions without ACS, by slot
  const slots = new Map<string, PciDevice[]>();
  for (const d of tree.devices) {
    parent.set(d, d);
    if (!d.multifunction || acsEnabled(d)) continue;
    const key = `${d.segment}:${d.bus}:${d.device}`;
    const list = slots.get(key);
    if (list) list.push(d);
    else slots.set(key, [d]);
  }
  const anchors = new Set<PciDevice>();
  for (const d of tree.devices) {
    let anchor = d;
    // for (bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent): stop below the first ACS-isolated path
    // bus numbers that loop (unconfigured bridges reading secondary bus 0) must not loop here: each bridge once
    const seen = new Set<PciDevice>([d]);
    for (let up = parentBridge(tree, anchor); up && !seen.has(up); up = parentBridge(tree, up)) {
      seen.add(up);
      if (acsPath(up)) break;
      anchor = up;
    }
    union(d, anchor);
    anchors.add(anchor);
  }
  // get_pci_function_alias_group: an anchor that is a multifunction function without ACS joins the
  // other such functions of its slot; all of them then share one group
  for (const list of slots.values()) {
    const joined = list.filter((o) => anchors.has(o));
    if (!joined.length) continue;
    for (const o of list) if (o !== joined[0]) union(joined[0]!, o);
  }
  const ids = new Map<PciDevice, number>();
  const out = new Map<string, number>();
  for (const d of tree.devices) {
    const r = find(d);
    let id = ids.get(r);
    if (id === undefined) ids.set(r, (id = ids.size));
    out.set(d.address, id);
  }
  return out;
}

function deviceKind(d: PciDevice): string {
  const base = d.classCode >> 16;
  const sub = (d.classCode >> 8) & 0xff;
  const names: Record<number, string> = {
    0x01: 'storage',
    0x02: 'network',
    0x03: 'display',
    0x04: 'multimedia',
    0x05: 'memory',
    0x06: 'bridge',
    0x07: 'communication',
    0x08: 'system',
    0x09: 'input',
    0x0c: 'serial bus',
    0x0d: 'wireless',
    0x10: 'encryption',
    0x11: 'signal processing',
    0x12: 'accelerator',
    0x13: 'instrumentation',
  };
  if (base === 0x0c && sub === 0x03) return 'USB';
  const port = d.pcieType !== undefined && [4, 5, 6, 7, 8].includes(d.pcieType) ? ` (${PCIE_TYPE[d.pcieType]})` : '';
  return (names[base] ?? `class ${hex(d.classCode, 6)}`) + port;
}

export function topology(table: DmarTable, tableName: string, machine?: MachineFacts): Topology {
  const tree = machine?.pci;
  const drhds = labeled(table, STRUCT_TYPE.DRHD, 'DRHD');
  const rmrrLs = labeled(table, STRUCT_TYPE.RMRR, 'RMRR');
  const unitScopes = new Map<Labeled, PciDevice[]>();
  // the first sysfs unit at each register base address
  const sysfsUnits = machine?.units && new Map([...machine.units].reverse().map((m) => [m.address, m]));
  const units: UnitView[] = drhds.map((u) => {
    const sv = scopeViews(u.s, tree);
    unitScopes.set(
      u,
      sv.flatMap((x) => (x.dev ? [x.dev] : [])),
    );
    const base = big(u.s.fields, 'registerBaseAddress');
    const view: UnitView = {
      structure: u.label,
      segment: num(u.s.fields, 'segment'),
      registerBaseAddress: hex(base),
      includePciAll: includePciAll(u.s),
      scopes: sv.map((x) => x.view),
    };
    const sys = sysfsUnits?.get(base);
    if (sys) view.sysfs = sys.name;
    return view;
  });
  const rmrrScopes = new Map<Labeled, PciDevice[]>();
  const rmrrs: RmrrView[] = rmrrLs.map((r) => {
    const sv = scopeViews(r.s, tree);
    rmrrScopes.set(
      r,
      sv.flatMap((x) => (x.dev ? [x.dev] : [])),
    );
    return {
      structure: r.label,
      segment: num(r.s.fields, 'segment'),
      base: hex(big(r.s.fields, 'baseAddress')),
      end: hex(big(r.s.fields, 'endAddress')),
      scopes: sv.map((x) => x.view),
    };
  });
  const notes: string[] = [];
  const out: Topology = { format: TOPOLOGY_FORMAT, table: tableName, machine: machine?.source ?? null, units, rmrrs, notes };
  if (!tree) {
    notes.push(
      machine
        ? `${lacking.pci(machine)}: units and RMRRs as the table states them`
        : 'no machine given: units and RMRRs as the table states them (--machine DIR|live maps them onto PCI devices)',
    );
    return out;
  }
  // Linux's unit list order: units without INCLUDE_PCI_ALL at the head (last registered first), INCLUDE_PCI_ALL at the tail.
  const order = [...drhds.filter((u) => !includePciAll(u.s)).reverse(), ...drhds.filter((u) => includePciAll(u.s))];
  const groups = predictGroups(tree);
  // which units (by place in Linux's order) and RMRRs (by table index) name each device: a device then
  // looks up its chain of bridges, not every scope of every structure
  // (a scope resolves in its structure's segment, so a name never matches a device of another segment)
  const unitsNaming = namedBy(order, (u) => unitScopes.get(u)!);
  const rmrrsNaming = namedBy(rmrrLs, (r) => rmrrScopes.get(r)!);
  const includeAll = new Map<number, number>();
  order.forEach((u, i) => {
    const seg = num(u.s.fields, 'segment');
    if (includePciAll(u.s) && !includeAll.has(seg)) includeAll.set(seg, i);
  });
  const devices: DeviceView[] = tree.devices.map((d0) => {
    const pf = d0.physfn ? tree.byAddress.get(d0.physfn) : undefined;
    const d = pf ?? d0;
    const chain = upwards(tree, d);
    // dmar_find_matched_drhd_unit: the first unit in order that names the device or a bridge above it,
    // or has INCLUDE_PCI_ALL for its segment
    let first = includeAll.get(d.segment) ?? order.length;
    let hit: PciDevice | undefined;
    for (const x of chain) {
      const i = unitsNaming.get(x)?.[0];
      // a unit that names the device and has INCLUDE_PCI_ALL matches by name; the nearest name counts
      if (i !== undefined && (i < first || (i === first && !hit))) {
        first = i;
        hit = x;
      }
    }
    const unit = order[first];
    const match: DeviceView['match'] = !unit ? 'none' : hit ? (hit === d ? 'endpoint' : 'bridge') : 'include-all';
    const pinnedBy = new Set<number>();
    for (const x of d0 === d ? chain : upwards(tree, d0)) for (const i of rmrrsNaming.get(x) ?? []) pinnedBy.add(i);
    const pinned = [...pinnedBy].sort((a, b) => a - b).map((i) => rmrrLs[i]!);
    const vfio: Vfio = !unit ? 'no-iommu' : !pinned.length ? 'free' : isUsb(d0) || isGraphics(d0) ? 'relaxable' : 'rmrr-locked';
    const v: DeviceView = {
      address: d0.address,
      vendor: hex(d0.vendor, 4),
      device: hex(d0.deviceId, 4),
      class: hex(d0.classCode, 6),
      kind: deviceKind(d0),
      unit: unit?.label ?? null,
      match,
      rmrrs: pinned.map((r) => r.label),
      vfio,
      group: groups.get(d0.address)!,
    };
    if (d0.driver) v.driver = d0.driver;
    if (pf) {
      v.physfn = pf.address;
      v.viaPf = true;
    }
    if (d0.iommuGroup) v.actualGroup = d0.iommuGroup;
    return v;
  });
  const lockedGroups = new Set(devices.filter((d) => d.vfio === 'rmrr-locked').map((d) => d.group));
  for (const d of devices) if (d.vfio !== 'rmrr-locked' && lockedGroups.has(d.group)) d.groupLocked = true;
  const byUnit = new Map<string | null, string[]>();
  for (const d of devices) {
    const list = byUnit.get(d.unit);
    if (list) list.push(d.address);
    else byUnit.set(d.unit, [d.address]);
  }
  for (const u of units) u.devices = byUnit.get(u.structure) ?? [];
  const byGroup = new Map<number, string[]>();
  for (const d of devices) {
    const list = byGroup.get(d.group);
    if (list) list.push(d.address);
    else byGroup.set(d.group, [d.address]);
  }
  out.devices = devices;
  out.groups = [...byGroup.values()];
  const mismatched = linuxScopeTypeMismatches(table, tree);
  if (mismatched.length)
    notes.push(
      `a device scope names ${mismatched.map((d) => d.address).join(', ')} with the wrong type (DMAR-SCOPE-TYPE-MISMATCH): Linux fails its device scope setup and leaves DMA remapping off, so no unit translates any device and VFIO has no IOMMU group to take; the units and groups above are the table's view`,
    );
  if (!machine?.units?.length)
    notes.push(
      "the machine registered no remapping unit (no /sys/class/iommu/dmar*: intel_iommu off, or another table): the table's view, not what this kernel runs",
    );
  const unusable = unusableConfigs(tree);
  if (unusable)
    notes.push(
      `${unusable}: header, bus numbers and ACS unknown; scopes through such a device are not followed, so the devices below it show neither the RMRRs that pin them nor their true group`,
    );
  if (tree.devices.some((d) => d.configSize > 0 && d.configSize <= 64)) {
    notes.push(
      'only 64 bytes of config space were readable (not root): PCIe port types and ACS unknown, taken as absent; groups may be larger than Linux forms',
    );
  } else if (tree.devices.some((d) => d.pcieType !== undefined && d.acs === undefined)) {
    notes.push('extended config space was not readable: ACS unknown, taken as absent; groups may be larger than Linux forms');
  }
  notes.push(
    "IOMMU groups are a prediction (Linux pci_device_group; of the device-specific ACS quirks those of Intel machines are modelled: PCH root ports, root-complex integrated endpoints, the multifunction NICs Linux lists; DMA aliases other than bridges' are not)",
  );
  return out;
}
