/**
 * The PCI tree of a machine root, from root/sys/bus/pci/devices/DDDD:BB:DD.F:
 * vendor/device/class files, the config space (64 bytes unprivileged, 256 or
 * 4096 as root), and the driver / physfn / virtfn* links (symlinks on a live
 * machine; a capture may hold them as symlinks or small files naming the target).
 * Offsets and IDs: PCI Local Bus 3.0 (type 0/1 headers), PCI Express Base
 * (PCIe capability 0x10, ACS extended capability 0x000d, SR-IOV 0x0010).
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { readInputBytes } from '../io/input.js';
import { basename, join } from 'node:path';
import { readUint } from '../acpi/fields.js';
import { listSome } from '../acpi/escape.js';
import { hexDigits } from '../acpi/hex.js';
import { DmarError } from '../dmar/errors.js';
import { listDir, readText } from './sysfs.js';

/** PCI Express Device/Port Type (PCIe capability register bits 7:4). */
export const PCIE_TYPE: Record<number, string> = {
  0: 'endpoint',
  1: 'legacy-endpoint',
  4: 'root-port',
  5: 'upstream-port',
  6: 'downstream-port',
  7: 'pcie-to-pci-bridge',
  8: 'pci-to-pcie-bridge',
  9: 'rc-integrated-endpoint',
  10: 'rc-event-collector',
};

/** ACS capability/control bits (PCIe Base 7.7.8). */
export const ACS = { SV: 0x01, TB: 0x02, RR: 0x04, CR: 0x08, UF: 0x10, EC: 0x20, DT: 0x40 } as const;
/** drivers/iommu/iommu.c REQ_ACS_FLAGS: what isolation of a path needs. */
export const REQ_ACS_FLAGS = ACS.SV | ACS.RR | ACS.CR | ACS.UF;

export interface PciDevice {
  /** "0000:00:1f.0" */
  address: string;
  segment: number;
  bus: number;
  device: number;
  function: number;
  vendor: number;
  deviceId: number;
  /** 24-bit class code (base << 16 | sub << 8 | prog-if). */
  classCode: number;
  /** Header type bits 6:0 (0 normal, 1 PCI-to-PCI bridge, 2 CardBus); undefined without config space. */
  headerType?: number;
  multifunction?: boolean;
  /** Bridges: secondary and subordinate bus numbers. */
  secondaryBus?: number;
  subordinateBus?: number;
  /** PCI Express Device/Port Type, when the device has a PCIe capability in the readable config space. */
  pcieType?: number;
  /** ACS: undefined when the extended config space could not be read (not root); null when it has none. */
  acs?: { cap: number; ctrl: number; ctrlDword?: number } | null;
  /** How many config-space bytes were readable (0 when the config space is unusable). */
  configSize: number;
  /** Why the config space is unusable, when it is: "absent", "reads all ones: the device did not answer". */
  configUnusable?: string;
  driver?: string;
  /** Address of the PF, for a VF. */
  physfn?: string;
  virtfns: string[];
  sriov?: { totalVfs?: number; numVfs?: number };
  /** The IOMMU group Linux formed, when the machine had one (iommu_group link). */
  iommuGroup?: string;
}

/** Header type 0 normal, 1 bridge, 2 CardBus bridge (Linux treats 1 and 2 as bridges). */
export function isBridge(d: PciDevice): boolean {
  if (d.headerType !== undefined) return d.headerType !== 0;
  return d.classCode >> 8 === 0x0604 || d.classCode >> 8 === 0x0607;
}

const ADDR = /^([0-9a-f]{4,}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i;

export function parsePciAddress(a: string): { segment: number; bus: number; device: number; function: number } | undefined {
  const m = ADDR.exec(a);
  if (!m) return undefined;
  return { segment: parseInt(m[1]!, 16), bus: parseInt(m[2]!, 16), device: parseInt(m[3]!, 16), function: parseInt(m[4]!, 16) };
}

export function bdf(segment: number, bus: number, device: number, fn: number): string {
  return `${hexDigits(segment, 4)}:${hexDigits(bus, 2)}:${hexDigits(device, 2)}.${fn}`;
}

function readHex(path: string): number | undefined {
  const t = readText(path);
  if (t === undefined || !/^(0x)?[0-9a-f]+$/i.test(t)) return undefined;
  return parseInt(t.replace(/^0x/i, ''), 16);
}

/** A sysfs link's target name: a symlink's last component, or a small file holding the target (or its name). */
export function linkName(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return basename(readlinkSync(path));
    if (st.isFile()) {
      const t = readText(path);
      return t ? basename(t) : undefined;
    }
  } catch {
    // absent
  }
  return undefined;
}

/** Walk the capability list (0x34) for `id`; returns its offset. */
function findCap(cfg: Uint8Array, id: number): number | undefined {
  if (cfg.length < 0x40 || !(readUint(cfg, 0x06, 2) & 0x10)) return undefined;
  let at = cfg[0x34]! & 0xfc;
  for (let guard = 0; at >= 0x40 && at + 2 <= cfg.length && guard < 48; guard++) {
    if (cfg[at] === id) return at;
    at = cfg[at + 1]! & 0xfc;
  }
  return undefined;
}

/** Walk the extended capability list (from 0x100) for `id`. */
function findExtCap(cfg: Uint8Array, id: number): number | undefined {
  let at = 0x100;
  for (let guard = 0; at >= 0x100 && at + 4 <= cfg.length && guard < 512; guard++) {
    const h = readUint(cfg, at, 4);
    if (h === 0 || h === 0xffffffff) return undefined;
    if ((h & 0xffff) === id) return at;
    at = (h >>> 20) & 0xffc;
  }
  return undefined;
}

export const PCI_CAP_EXP = 0x10;
export const PCI_EXT_CAP_ACS = 0x000d;

/** Decode the fields the topology needs from config space bytes. */
export function decodeConfig(cfg: Uint8Array): Pick<PciDevice, 'headerType' | 'multifunction' | 'secondaryBus' | 'subordinateBus' | 'pcieType' | 'acs'> {
  const out: ReturnType<typeof decodeConfig> = {};
  if (cfg.length < 0x40) return out;
  const ht = cfg[0x0e]!;
  out.headerType = ht & 0x7f;
  out.multifunction = (ht & 0x80) !== 0;
  if (out.headerType === 1 || out.headerType === 2) {
    out.secondaryBus = cfg[0x19]!;
    out.subordinateBus = cfg[0x1a]!;
  }
  const exp = findCap(cfg, PCI_CAP_EXP);
  if (exp !== undefined && exp + 4 <= cfg.length) out.pcieType = (readUint(cfg, exp + 2, 2) >> 4) & 0xf;
  if (cfg.length > 0x100) {
    const acs = findExtCap(cfg, PCI_EXT_CAP_ACS);
    if (acs === undefined || acs + 8 > cfg.length) out.acs = null;
    else {
      out.acs = { cap: readUint(cfg, acs + 4, 2), ctrl: readUint(cfg, acs + 6, 2) };
      // Intel 100/200-series PCH root ports keep their control register as a dword at +8 (pci_quirk_intel_spt_pch_acs)
      if (acs + 12 <= cfg.length) out.acs.ctrlDword = readUint(cfg, acs + 8, 4);
    }
  }
  return out;
}

/**
 * What sysfs gives of a config space (drivers/pci/pci-sysfs.c pci_read_config): the first 64 bytes to a
 * reader without CAP_SYS_ADMIN (128 of a CardBus bridge), else the device's whole space, 256 or 4096.
 */
export const CONFIG_SIZES: ReadonlySet<number> = new Set([64, 128, 256, 4096]);

/**
 * A device's config space. Absent (a capture that could not read it) or all ones (a device that does
 * not answer: a live machine gives that too): unusable, said in `configUnusable`, and the device is
 * known by its sysfs files alone. Anything else that is no config space sysfs could give (a directory,
 * a device, a size sysfs never gives) is a damaged capture: refused, naming the file.
 */
function readConfig(path: string): { cfg: Uint8Array; unusable?: string } {
  let cfg: Uint8Array;
  try {
    cfg = new Uint8Array(readInputBytes(path));
  } catch (e) {
    if (e instanceof DmarError && e.errno === 'ENOENT') return { cfg: new Uint8Array(0), unusable: 'absent' };
    throw new DmarError(`PCI config space ${(e as Error).message}`, { file: path, code: 'DMAR-MACHINE-INVALID' });
  }
  if (!CONFIG_SIZES.has(cfg.length))
    throw new DmarError(`PCI config space of ${cfg.length} bytes: sysfs gives 64 (128 of a CardBus bridge) unprivileged, else 256 or 4096`, {
      file: path,
      code: 'DMAR-MACHINE-INVALID',
    });
  if (readUint(cfg, 0, 2) === 0xffff) return { cfg: new Uint8Array(0), unusable: 'reads all ones: the device did not answer' };
  return { cfg };
}

export function readPciDevice(dir: string, address: string): PciDevice | undefined {
  const at = parsePciAddress(address);
  if (!at) return undefined;
  // listed, then gone (hot-unplugged, a VF of an sriov_numvfs change; its link in sys/bus/pci/devices left
  // dangling, or gone too): the machine no longer has it, which is no damage
  if (!existsSync(dir)) return undefined;
  const { cfg, unusable } = readConfig(join(dir, 'config'));
  const cfgId = cfg.length >= 4 ? readUint(cfg, 0, 2) : undefined;
  const vendor = readHex(join(dir, 'vendor')) ?? cfgId;
  // no vendor file and no config space to read it from: an empty directory is no device (a damaged capture)
  if (vendor === undefined)
    throw new DmarError(`PCI device ${address}: no vendor ID (no readable vendor file, and its config space ${unusable})`, {
      file: dir,
      code: 'DMAR-MACHINE-INVALID',
    });
  const deviceId = readHex(join(dir, 'device')) ?? (cfg.length >= 4 ? readUint(cfg, 2, 2) : 0xffff);
  const classCode = readHex(join(dir, 'class')) ?? (cfg.length >= 12 ? readUint(cfg, 9, 3) : 0);
  const virtfns: string[] = [];
  for (const e of (listDir(dir) ?? []).filter((n) => /^virtfn\d+$/.test(n)).sort((a, b) => +a.slice(6) - +b.slice(6))) {
    const n = linkName(join(dir, e));
    if (n) virtfns.push(n);
  }
  const totalVfs = readText(join(dir, 'sriov_totalvfs'));
  const numVfs = readText(join(dir, 'sriov_numvfs'));
  const dev: PciDevice = {
    address,
    ...at,
    vendor,
    deviceId,
    classCode,
    configSize: cfg.length,
    virtfns,
    ...decodeConfig(cfg),
  };
  if (unusable) dev.configUnusable = unusable;
  const driver = linkName(join(dir, 'driver'));
  if (driver) dev.driver = driver;
  const physfn = linkName(join(dir, 'physfn'));
  if (physfn) dev.physfn = physfn;
  if (totalVfs !== undefined || numVfs !== undefined) {
    dev.sriov = {};
    if (totalVfs && /^\d+$/.test(totalVfs)) dev.sriov.totalVfs = +totalVfs;
    if (numVfs && /^\d+$/.test(numVfs)) dev.sriov.numVfs = +numVfs;
  }
  const group = linkName(join(dir, 'iommu_group'));
  if (group) dev.iommuGroup = group;
  return dev;
}

/** The devices whose config space is unusable, in words for a note ("0000:00:1c.4 (reads all ones ...), ..."); undefined when none. */
export function unusableConfigs(tree: PciTree): string | undefined {
  const list = tree.devices.filter((d) => d.configUnusable);
  if (!list.length) return undefined;
  return `PCI config space unusable: ${listSome(list.map((d) => `${d.address} (${d.configUnusable})`))}`;
}

export interface PciTree {
  devices: PciDevice[];
  byAddress: Map<string, PciDevice>;
}

export function pciTree(devices: PciDevice[]): PciTree {
  devices.sort((a, b) => a.segment - b.segment || a.bus - b.bus || a.device - b.device || a.function - b.function);
  return { devices, byAddress: new Map(devices.map((d) => [d.address, d])) };
}

/** The PCI tree under root/sys/bus/pci/devices; undefined when there is no such directory. */
export function readPciTree(root: string): PciTree | undefined {
  const dir = join(root, 'sys/bus/pci/devices');
  const names = listDir(dir);
  if (!names) return undefined;
  const devices: PciDevice[] = [];
  for (const n of names) {
    const d = readPciDevice(join(dir, n), n);
    if (d) devices.push(d);
  }
  return pciTree(devices);
}

export function findDevice(tree: PciTree, segment: number, bus: number, device: number, fn: number): PciDevice | undefined {
  return tree.byAddress.get(bdf(segment, bus, device, fn));
}

/** Each tree's bridges by (segment, secondary bus), in tree order: parentBridge is a look-up, not a walk of every device. */
const bridgeIndex = new WeakMap<PciTree, { devices: PciDevice[]; count: number; bySecondary: Map<string, PciDevice[]> }>();

function bridgesBySecondary(tree: PciTree): Map<string, PciDevice[]> {
  let index = bridgeIndex.get(tree);
  if (!index || index.devices !== tree.devices || index.count !== tree.devices.length) {
    const bySecondary = new Map<string, PciDevice[]>();
    for (const b of tree.devices) {
      if (b.secondaryBus === undefined || !isBridge(b)) continue;
      // segment and bus apart: a crafted capture's segment can be far above 0xffff (sysfs names allow any number of digits)
      const key = `${b.segment}:${b.secondaryBus}`;
      const list = bySecondary.get(key);
      if (list) list.push(b);
      else bySecondary.set(key, [b]);
    }
    index = { devices: tree.devices, count: tree.devices.length, bySecondary };
    bridgeIndex.set(tree, index);
  }
  return index.bySecondary;
}

/**
 * The bridge whose secondary bus is `bus` (the device's parent), if any: the first in tree order, never the device itself.
 * A VF on a bus no bridge leads to sits on a virtual bus Linux hangs below its PF's bus with no bridge of
 * its own (virtfn_add_bus): the walks up the tree (pci_device_group, is_downstream_to_pci_bridge) go on
 * from the PF's bus, so its parent is the PF's.
 */
export function parentBridge(tree: PciTree, d: PciDevice): PciDevice | undefined {
  const list = bridgesBySecondary(tree).get(`${d.segment}:${d.bus}`);
  const found = list && (list[0] !== d ? list[0] : list[1]);
  if (found || d.physfn === undefined) return found;
  const pf = tree.byAddress.get(d.physfn);
  return pf && pf !== d && pf.segment === d.segment && pf.bus !== d.bus && pf.physfn === undefined ? parentBridge(tree, pf) : undefined;
}

/** Class code in words, for the few classes the rules care about. */
export function isUsb(d: PciDevice): boolean {
  return d.classCode >> 8 === 0x0c03;
}
export function isGraphics(d: PciDevice): boolean {
  return d.classCode >> 16 === 0x03;
}
