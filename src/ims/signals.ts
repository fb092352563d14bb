/**
 * The machine signals that tell a virtual machine from bare metal
 * (proposals.md section 3, "Evidence strength"): for each, how strong it is,
 * how it is faked, and the command-line option that gives it. One description:
 * the evidence, the text and JSON output and docs/ims.md read it from here.
 */

export type Strength = 'strong' | 'medium' | 'weak';

export type SignalName = 'cpu.tdx' | 'cpu.hypervisor' | 'smbios.virtualMachine' | 'dmi.hypervisorVendor' | 'iommu.cachingMode' | 'oem.virtualFirmware';

export interface Signal {
  name: SignalName;
  /** What it is, in a few words. */
  what: string;
  strength: Strength;
  /** How it is faked or hidden. */
  spoof: string;
  /** The option that gives it on the command line (the OEM IDs come from the table itself). */
  option?: string;
}

/** In the order the evidence lists them: strongest first. */
export const SIGNALS: readonly Signal[] = [
  {
    name: 'cpu.tdx',
    what: 'TDX guest: CPUID leaf 0x21 returns "IntelTDX    "',
    strength: 'strong',
    spoof: 'hard: the TDX module answers, not the hypervisor; a hypervisor faking it outside a TD only makes IMS less likely',
    option: '--tdx on|off',
  },
  {
    name: 'cpu.hypervisor',
    what: 'CPUID.1:ECX bit 31 (hypervisor present)',
    strength: 'medium',
    spoof: 'every mainstream hypervisor sets it, but it can be hidden (QEMU -cpu ...,-hypervisor; kvm=off)',
    option: '--hypervisor | --bare-metal',
  },
  {
    name: 'smbios.virtualMachine',
    what: 'SMBIOS BIOS Characteristics Extension byte 2 bit 4 ("virtual machine")',
    strength: 'medium',
    spoof: "firmware-controlled: QEMU's SMBIOS sets it (extension byte 2 = 0x14), anti-detection patches clear it",
    option: '--smbios-vm on|off',
  },
  {
    name: 'dmi.hypervisorVendor',
    what: 'DMI system/BIOS vendor of a known hypervisor',
    strength: 'weak',
    spoof: 'configurable in most hypervisors (QEMU -smbios type=1,manufacturer=...)',
    option: '--dmi-vendor VENDOR[:PRODUCT]',
  },
  {
    name: 'iommu.cachingMode',
    what: 'VT-d capability register bit 7 (caching mode)',
    strength: 'weak',
    spoof: "a VM often shows it clear: QEMU's intel-iommu leaves it off by default (caching-mode=on is needed only for device assignment)",
    option: '--caching-mode on|off',
  },
  {
    name: 'oem.virtualFirmware',
    what: 'ACPI OEM ID / OEM Table ID of virtual firmware',
    strength: 'weak',
    spoof: 'often patched to vendor strings (QEMU -machine oem-id=,oem-table-id=)',
  },
];

export function signal(name: SignalName): Signal {
  return SIGNALS.find((s) => s.name === name)!;
}

export function isSignal(name: string): name is SignalName {
  return SIGNALS.some((s) => s.name === name);
}
