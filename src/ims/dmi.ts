/**
 * Two DMI/SMBIOS signals of a virtual machine: the "virtual machine" bit of
 * the SMBIOS BIOS Information structure, and the vendor strings known
 * hypervisors put in DMI.
 *
 * SMBIOS (DSP0134): every structure starts with Type (byte), Length (byte,
 * of the formatted area), Handle (word); the formatted area is followed by
 * the string set, ended by two zero bytes. Type 127 ends the table. Type 0
 * (BIOS Information) carries BIOS Characteristics Extension Bytes at 0x12
 * and 0x13 (SMBIOS 2.4 and later, so Length >= 0x14); bit 4 of the second
 * byte reads "SMBIOS table describes a virtual machine".
 * /sys/firmware/dmi/tables/DMI holds the structure table without the entry point.
 */
import { hex } from '../acpi/hex.js';

export const SMBIOS_BIOS_INFORMATION = 0;
export const SMBIOS_END_OF_TABLE = 127;
/** Offset of BIOS Characteristics Extension Byte 2 in the BIOS Information structure. */
export const BIOS_CHAR_EXT2_OFFSET = 0x13;
/** Its bit 4: the SMBIOS table describes a virtual machine. */
export const BIOS_CHAR_EXT2_VM_BIT = 4;

export type SmbiosVm = { found: true; vm: boolean; offset: number; byte: number } | { found: false; why: string };

/** Find the BIOS Information structure and read its "virtual machine" bit; every defect is a reason, never an exception. */
export function smbiosVirtualMachine(b: Uint8Array): SmbiosVm {
  let off = 0;
  while (off + 4 <= b.length) {
    const type = b[off]!;
    const len = b[off + 1]!;
    if (len < 4) return { found: false, why: `structure at ${hex(off)} has Length ${len}, less than its 4-byte header` };
    if (off + len > b.length)
      return { found: false, why: `structure at ${hex(off)} (type ${type}, Length ${len}) runs past the end of the table (${b.length} bytes)` };
    if (type === SMBIOS_BIOS_INFORMATION) {
      if (len <= BIOS_CHAR_EXT2_OFFSET) {
        return { found: false, why: `BIOS Information at ${hex(off)} has Length ${hex(len)}: no Characteristics Extension Byte 2 (before SMBIOS 2.4)` };
      }
      const at = off + BIOS_CHAR_EXT2_OFFSET;
      const byte = b[at]!;
      return { found: true, vm: ((byte >> BIOS_CHAR_EXT2_VM_BIT) & 1) === 1, offset: at, byte };
    }
    if (type === SMBIOS_END_OF_TABLE) break;
    // The string set: up to and including the first pair of zero bytes after the formatted area.
    let i = off + len;
    while (i + 1 < b.length && !(b[i] === 0 && b[i + 1] === 0)) i++;
    if (i + 1 >= b.length) return { found: false, why: `the strings of the structure at ${hex(off)} (type ${type}) are not ended by two zero bytes` };
    off = i + 2;
  }
  return { found: false, why: 'no BIOS Information structure (type 0)' };
}

/** The /sys/class/dmi/id files a vendor rule reads. */
export type DmiFile = 'sys_vendor' | 'product_name' | 'bios_vendor' | 'board_vendor';
export const DMI_FILES: readonly DmiFile[] = ['sys_vendor', 'product_name', 'bios_vendor', 'board_vendor'];

export interface HypervisorVendor {
  who: string;
  /** The vendor string starts with this word or words (compared without surrounding blanks): `VMware, Inc.`, not `Xenon Systems` for Xen. */
  vendor: string;
  /** For vendors that also make physical machines: the product name must start with this word or words too. */
  product?: string;
}

/** Vendor strings of known hypervisors (proposals.md "Evidence strength"). */
export const HYPERVISOR_VENDORS: readonly HypervisorVendor[] = [
  { who: 'QEMU', vendor: 'QEMU' },
  { who: 'Bochs', vendor: 'Bochs' },
  { who: 'KVM', vendor: 'KVM' },
  { who: 'Xen', vendor: 'Xen' },
  { who: 'VMware', vendor: 'VMware' },
  { who: 'VirtualBox', vendor: 'innotek GmbH' },
  { who: 'VirtualBox', vendor: 'Oracle Corporation', product: 'VirtualBox' },
  { who: 'Parallels', vendor: 'Parallels' },
  { who: 'bhyve', vendor: 'BHYVE' },
  { who: 'Hyper-V', vendor: 'Microsoft Corporation', product: 'Virtual Machine' },
];

/** The known hypervisor a vendor string (and product name) names, if any. */
export function matchHypervisorVendor(vendor: string, product = ''): HypervisorVendor | undefined {
  const v = vendor.trim();
  const p = product.trim();
  return HYPERVISOR_VENDORS.find((h) => startsWithWords(v, h.vendor) && (h.product === undefined || startsWithWords(p, h.product)));
}

/** `text` starts with `words`, and a letter or digit does not follow them (KVMtec is no KVM). */
const startsWithWords = (text: string, words: string) => text.startsWith(words) && !/^[\p{L}\p{N}]/u.test(text.slice(words.length));

/**
 * Every DMI file's value checked as a vendor (the product name as well: KVM
 * and QEMU write their name there on some machine types), the product name
 * as the product. The first hit, with the file it was found in.
 */
export function matchDmi(values: Partial<Record<DmiFile, string>>): { hit: HypervisorVendor; file: DmiFile } | undefined {
  const product = values.product_name ?? '';
  for (const file of DMI_FILES) {
    const v = values[file];
    if (v === undefined) continue;
    const hit = matchHypervisorVendor(v, product);
    if (hit) return { hit, file };
  }
  return undefined;
}
