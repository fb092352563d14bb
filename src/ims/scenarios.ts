/**
 * The ground-truth scenarios of proposals.md ("The matrix") and the DMAR
 * table each one presents, built as a model for the real codec.
 */
import { flagsMask } from '../acpi/fields.js';
import type { DmarTable, Structure } from '../dmar/model.js';
import { DEFS, DMAR_FIELDS, fieldByKey, SCOPE_TYPE, VIRT_REVISION, VIRT_ROWS } from '../dmar/schema.js';
import type { Verdict } from './policy.js';

export interface Scenario {
  /** Stable identifier (JSON, tests, the fixture name). */
  id: string;
  /** proposals.md's name of the scenario. */
  name: string;
  vm: boolean;
  /** The (virtual) IOMMU's caching mode; bare metal has it off. */
  cachingMode: boolean;
  imsOptOut: boolean;
  descriptor?: { virtualized: boolean; ims: boolean };
  /** The VM hides the CPUID hypervisor bit: an OS that reads it sees it clear. */
  hidesHypervisor?: boolean;
  /** The table carries a vendor's OEM IDs even in a VM (patched, or copied from the host). */
  vendorIds?: boolean;
  /** A hypervisor that lies about the platform: no policy that trusts the platform's word can see through it. */
  lies?: boolean;
  /** What really works: native on bare metal, virtualized in a VM whose descriptor offers IMS, otherwise none. */
  available: Verdict;
}

type Kind = Omit<Scenario, 'cachingMode' | 'available'>;

// A hypervisor that implements the descriptor sets IMS_OPTOUT too when it
// knows both proposals (opt-out's rule 2 reads the descriptor for exactly
// this case); the opt-in-only hypervisor leaves it 0, like the legacy one.
const KINDS: readonly Kind[] = [
  { id: 'bare-metal-old', name: 'bare-metal (old firmware, no descriptor)', vm: false, imsOptOut: false },
  { id: 'bare-metal-descriptor', name: 'bare-metal (descriptor, VIRTUALIZED=0)', vm: false, imsOptOut: false, descriptor: { virtualized: false, ims: false } },
  { id: 'vm-legacy', name: 'vm: legacy hypervisor (knows neither proposal)', vm: true, imsOptOut: false },
  { id: 'vm-ims-optout', name: 'vm: sets IMS_OPTOUT only', vm: true, imsOptOut: true },
  { id: 'vm-descriptor-no-ims', name: 'vm: descriptor without IMS', vm: true, imsOptOut: true, descriptor: { virtualized: true, ims: false } },
  { id: 'vm-descriptor-ims', name: 'vm: descriptor with IMS', vm: true, imsOptOut: true, descriptor: { virtualized: true, ims: true } },
  {
    id: 'vm-descriptor-ims-opt-in-only',
    name: 'vm: descriptor with IMS, IMS_OPTOUT left 0 (implements only the opt-in proposal)',
    vm: true,
    imsOptOut: false,
    descriptor: { virtualized: true, ims: true },
  },
  {
    id: 'vm-hidden',
    name: 'vm: hides the CPUID hypervisor bit and patches OEM IDs (no descriptor)',
    vm: true,
    imsOptOut: false,
    hidesHypervisor: true,
    vendorIds: true,
    lies: true,
  },
  {
    id: 'vm-host-copy',
    name: 'vm: copies a host table with a VIRTUALIZED=0 descriptor',
    vm: true,
    imsOptOut: false,
    descriptor: { virtualized: false, ims: false },
    vendorIds: true,
    lies: true,
  },
];

/** The kinds of table the scenarios present (one per ground truth; caching mode is not in the table). */
export const SCENARIO_KINDS: readonly Kind[] = KINDS;

/** Every scenario: bare metal with caching mode off; each VM with its vIOMMU's caching mode off (QEMU's default) and on (device assignment). */
export const SCENARIOS: readonly Scenario[] = KINDS.flatMap((k) =>
  (k.vm ? [false, true] : [false]).map(
    (cm): Scenario => ({
      ...k,
      id: k.vm ? `${k.id}/cm-${cm ? 'on' : 'off'}` : k.id,
      cachingMode: cm,
      available: !k.vm ? 'native' : k.descriptor?.virtualized && k.descriptor.ims ? 'virtualized' : 'none',
    }),
  ),
);

// ---- the tables -----------------------------------------------------------

/** Who wrote the firmware: the OEM IDs and the IOAPIC the DRHD scope names. */
export interface Firmware {
  oemId: string;
  oemTableId: string;
  creatorId: string;
  ioapic: { id: number; bus: number; device: number; function: number };
}

/** QEMU's q35 intel-iommu DMAR (hw/i386/acpi-build.c, build_dmar_q35): IOAPIC 0 on the pseudo bus 0xff. */
export const QEMU_FIRMWARE: Firmware = {
  oemId: 'BOCHS ',
  oemTableId: 'BXPC    ',
  creatorId: 'BXPC',
  ioapic: { id: 0, bus: 0xff, device: 0, function: 0 },
};
/** A vendor's EDK2-based firmware as common in the corpus (Oem ID "INTEL ", Oem Table ID "EDK2    "). */
export const VENDOR_FIRMWARE: Firmware = {
  oemId: 'INTEL ',
  oemTableId: 'EDK2    ',
  creatorId: 'INTL',
  ioapic: { id: 2, bus: 0xf0, device: 0x1f, function: 0 },
};

const DRHD = DEFS.DRHD;
const VIRT = DEFS.VIRT;
/** The register base QEMU gives its intel-iommu (Q35_HOST_BRIDGE_IOMMU_ADDR). */
export const QEMU_IOMMU_BASE = 0xfed90000n;
/** CPUID 0x40000000 vendor string of KVM, the hypervisor under QEMU. */
export const KVM_SIGNATURE = 'KVMKVMKVM';

export interface TableSpec {
  firmware: Firmware;
  imsOptOut: boolean;
  descriptor?: { virtualized: boolean; ims: boolean; signature?: string };
}

/** A QEMU-like table: one DRHD (INCLUDE_PCI_ALL, 0xfed90000) naming the IOAPIC, INTR_REMAP set, optionally the descriptor. */
export function buildTable(spec: TableSpec): DmarTable {
  const fw = spec.firmware;
  const flags = flagsMask(fieldByKey(DMAR_FIELDS, 'flags'), spec.imsOptOut ? ['INTR_REMAP', 'IMS_OPTOUT'] : ['INTR_REMAP']);
  const drhd: Structure = {
    offset: 0,
    type: DRHD.type,
    length: 0,
    fields: {
      flags: Number(flagsMask(fieldByKey(DRHD.fields, 'flags'), ['INCLUDE_PCI_ALL'])),
      size: 0,
      segment: 0,
      registerBaseAddress: QEMU_IOMMU_BASE,
    },
    scopes: [
      {
        offset: 0,
        fields: { type: SCOPE_TYPE.IOAPIC, flags: 0, reserved: 0, enumerationId: fw.ioapic.id, bus: fw.ioapic.bus },
        path: [{ device: fw.ioapic.device, function: fw.ioapic.function }],
      },
    ],
  };
  const structures: Structure[] = [drhd];
  const d = spec.descriptor;
  if (d) {
    structures.push({
      offset: 0,
      type: VIRT.type,
      length: 0,
      fields: {
        revision: VIRT_REVISION,
        flags: Number(flagsMask(VIRT_ROWS.flags, d.virtualized ? ['VIRTUALIZED'] : [])),
        reserved: 0,
        hypervisorSignature: d.virtualized ? (d.signature ?? KVM_SIGNATURE) : '',
        reserved2: 0,
        supportedFeatures: flagsMask(VIRT_ROWS.features, d.ims ? ['IMS'] : []),
      },
    });
  }
  return {
    header: {
      signature: 'DMAR',
      revision: 1,
      checksum: 0,
      oemId: fw.oemId,
      oemTableId: fw.oemTableId,
      oemRevision: 1,
      creatorId: fw.creatorId,
      creatorRevision: 1,
    },
    fields: { hostAddressWidth: 38, flags: Number(flags), reserved: new Uint8Array(10) },
    structures,
  };
}

/** The table a kind of scenario presents: QEMU's IDs in a VM unless it patches them (or `vmFirmware` says vendor), a vendor's on bare metal. */
export function scenarioTable(k: Kind, vmFirmware: 'qemu' | 'vendor' = 'qemu'): DmarTable {
  const firmware = k.vm && !k.vendorIds && vmFirmware === 'qemu' ? QEMU_FIRMWARE : VENDOR_FIRMWARE;
  return buildTable({ firmware, imsOptOut: k.imsOptOut, descriptor: k.descriptor });
}
