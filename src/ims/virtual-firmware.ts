/**
 * OEM IDs that virtual firmware writes into its ACPI tables. Weak evidence:
 * QEMU lets users override them (-machine oem-id=,oem-table-id=) and a
 * physical machine may in principle carry any string, so a match only ever
 * *adds* doubt about bare metal (it never proves a virtual machine to a
 * policy that wants proof of the opposite).
 */
export interface VirtualFirmware {
  /** Who writes these IDs. */
  readonly who: string;
  /** Oem ID, compared without trailing spaces and NULs. */
  readonly oemId?: string;
  /** Oem Table ID, compared without trailing spaces and NULs. */
  readonly oemTableId?: string;
}

export const KNOWN_VIRTUAL_FIRMWARE: readonly VirtualFirmware[] = [
  // QEMU's build_header() defaults (ACPI_BUILD_APPNAME6 / ACPI_BUILD_APPNAME8), also Bochs.
  { who: 'QEMU', oemId: 'BOCHS', oemTableId: 'BXPC' },
  // VirtualBox's ASL and its firmware write "VBOX  " (tables VBOXBIOS, VBOXCPUT, ...).
  { who: 'VirtualBox', oemId: 'VBOX' },
  // Hyper-V's UEFI firmware: PcdAcpiDefaultOemId "VRTUAL", table ID "MICROSFT".
  { who: 'Hyper-V', oemId: 'VRTUAL', oemTableId: 'MICROSFT' },
  // Xen's toolstack (libxl ACPI_OEM_ID) and hvmloader.
  { who: 'Xen', oemId: 'Xen' },
];

const trim = (s: string) => s.replace(/[\s\0]+$/, '');

/** The first known virtual firmware whose Oem ID or Oem Table ID the header carries. */
export function matchVirtualFirmware(oemId: string, oemTableId: string): VirtualFirmware | undefined {
  const id = trim(oemId);
  const tid = trim(oemTableId);
  return KNOWN_VIRTUAL_FIRMWARE.find((v) => (v.oemId !== undefined && v.oemId === id) || (v.oemTableId !== undefined && v.oemTableId === tid));
}
