/**
 * A DMAR device scope against a PCI tree, as Linux resolves it
 * (drivers/iommu/intel/dmar.c dmar_match_pci_path / dmar_insert_dev_scope):
 * start at the scope's bus, take each (device, function) hop, and go on from a
 * bridge's secondary bus; a one-hop path that misses is also matched against a
 * device at that bus anywhere in the hierarchy ("RMRR entry for device ... is
 * broken - applying workaround"). Type agreement: an Endpoint scope must name a
 * header type 0 device, a Bridge scope a bridge (header type 1 or 2).
 */
import { num, type DmarTable, type PathEntry, type Structure } from '../dmar/model.js';
import { atsrAllPorts, includePciAll, SCOPE_TYPE, STRUCT_TYPE } from '../dmar/schema.js';
import { bdf, findDevice, isBridge, parentBridge, type PciDevice, type PciTree } from './pci.js';

export interface ScopeResolution {
  device?: PciDevice;
  /** Where the walk stopped when it found nothing: the address looked for, and why. */
  missing?: { address: string; hop: number; why: 'absent' | 'not-a-bridge' | 'not-root-bus' | 'config-unusable' };
  /** Matched only by Linux's one-hop workaround (the device is not on a root bus). */
  workaround?: boolean;
}

export function resolveScope(tree: PciTree, segment: number, bus: number, path: readonly PathEntry[]): ScopeResolution {
  let at = bus;
  for (let i = 0; i < path.length; i++) {
    const hop = path[i]!;
    const d = findDevice(tree, segment, at, hop.device, hop.function);
    if (!d) return { missing: { address: bdf(segment, at, hop.device, hop.function), hop: i, why: 'absent' } };
    // Linux matches a path of several hops only from the device's root bus (info->bus)
    if (i === 0 && path.length > 1 && parentBridge(tree, d)) return { missing: { address: d.address, hop: 0, why: 'not-root-bus' } };
    if (i === path.length - 1) {
      // Linux's exact match also requires the start bus to be the device's root bus; a one-hop
      // path naming a device below a bridge matches only through the workaround.
      return path.length === 1 && parentBridge(tree, d) ? { device: d, workaround: true } : { device: d };
    }
    // a bridge whose config space is unusable has no known secondary bus: the walk cannot go on, and no fault of the table's
    if (d.configUnusable) return { missing: { address: d.address, hop: i, why: 'config-unusable' } };
    if (!isBridge(d) || d.secondaryBus === undefined) return { missing: { address: d.address, hop: i, why: 'not-a-bridge' } };
    at = d.secondaryBus;
  }
  return {};
}

/** Linux's "Device scope type does not match" condition: 1 on a bridge, or 2 on a normal device. */
export function scopeTypeMismatch(scopeType: number, d: PciDevice): boolean {
  if (d.headerType === undefined) return false;
  // dmar_insert_dev_scope: a Bridge scope on a type-0 header is accepted when its base class is bridge (0x06:
  // host bridges, NVMe host ports; "iommu/vt-d: Don't reject nvme host due to scope mismatch", 2020)
  return (scopeType === SCOPE_TYPE.ENDPOINT && d.headerType !== 0) || (scopeType === SCOPE_TYPE.BRIDGE && d.headerType === 0 && d.classCode >> 16 !== 0x06);
}

/** The structures whose PCI scopes Linux inserts devices into at boot (dmar_pci_bus_add_dev, dmar_iommu_notify_scope_dev). */
const LINUX_SCOPED: ReadonlySet<number> = new Set([STRUCT_TYPE.DRHD, STRUCT_TYPE.RMRR, STRUCT_TYPE.ATSR, STRUCT_TYPE.SATC]);

/**
 * Whether Linux inserts the devices present into this structure's PCI scopes, and so checks their types:
 * a DRHD's, an RMRR's, an ATSR's or a SATC's, but not those of a DRHD with INCLUDE_PCI_ALL nor of an ATSR
 * with ALL_PORTS (`if (dmaru->include_all) continue;`, `if (atsru->include_all) continue;`), nor a SIDP's,
 * which Linux does not parse.
 */
export function linuxChecksScopes(s: Structure): boolean {
  if (s.raw || !LINUX_SCOPED.has(s.type)) return false;
  if (s.type === STRUCT_TYPE.DRHD) return !includePciAll(s);
  if (s.type === STRUCT_TYPE.ATSR) return !atsrAllPorts(s);
  return true;
}

/**
 * The devices present that a scope names with the wrong type, where Linux checks it (linuxChecksScopes). One is enough for dmar_dev_scope_init() to fail, and intel_iommu_init() then leaves DMA
 * remapping off altogether.
 */
export function linuxScopeTypeMismatches(table: DmarTable, tree: PciTree): PciDevice[] {
  const out: PciDevice[] = [];
  for (const s of table.structures) {
    if (!linuxChecksScopes(s)) continue;
    const segment = num(s.fields, 'segment');
    for (const sc of s.scopes ?? []) {
      const type = num(sc.fields, 'type');
      if (type !== SCOPE_TYPE.ENDPOINT && type !== SCOPE_TYPE.BRIDGE) continue;
      const d = resolveScope(tree, segment, num(sc.fields, 'bus'), sc.path).device;
      if (d && scopeTypeMismatch(type, d) && !out.includes(d)) out.push(d);
    }
  }
  return out;
}
