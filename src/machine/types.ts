/**
 * Shapes shared by the machine-context readers (sysfs memmap, capture) and the
 * kernel-log reader (BIOS-e820 lines, `Linux version`), so that either source
 * feeds the same checks.
 */

/** The memory-map entry types Linux distinguishes (E820_TYPE_* / /sys/firmware/memmap "type" strings). */
export type MemKind = 'ram' | 'reserved' | 'acpi' | 'nvs' | 'unusable' | 'pmem' | 'soft-reserved' | 'other';

export interface MemRegion {
  start: bigint;
  /** Inclusive, as /sys/firmware/memmap/N/end and the BIOS-e820 lines print it. */
  end: bigint;
  kind: MemKind;
  /** The type exactly as the source spelled it ("Reserved", "ACPI Non-volatile Storage", "reserved", "ACPI NVS", ...). */
  type: string;
}

export interface MemoryMap {
  /** Where it came from, for messages: "/sys/firmware/memmap", "boot.log (BIOS-e820 lines)", ... */
  source: string;
  /** The machine's /sys/firmware/memmap (the firmware's map, before the kernel changed anything), or a boot log's map. */
  origin: 'sysfs-memmap' | 'dmesg-e820';
  /** A boot log's map: the lines it was read from (`BIOS-e820:`, `extended:` past 128 entries, `user:` after memmap=/mem=). */
  lines?: 'BIOS-e820' | 'extended' | 'user';
  regions: MemRegion[];
}

export interface KernelVersion {
  /** As uname -r / "Linux version X" prints it. */
  release: string;
  major: number;
  minor: number;
  patch: number;
}

/** A remapping unit, as sysfs (/sys/class/iommu/dmarN) or a boot log (`dmarN: reg_base_addr ...`) shows it. */
export interface IommuUnit {
  /** "dmar0" */
  name: string;
  /** Register base address (sysfs `address`). */
  address?: bigint;
  cap?: bigint;
  ecap?: bigint;
  /** "1:0" */
  version?: string;
}
