/**
 * A machine root written from a short JSON description: the memory map, PCI
 * devices (their config space built from header type, bus numbers, PCIe port
 * type and ACS), IOMMU units, MADT I/O APICs, HPET, kernel release. The capture
 * fixtures (fixtures/machine/NAME/machine.spec.json, scripts/machine-fixtures.mjs)
 * and the tests build their trees with it, so that the readers are exercised on
 * the same files a live machine has.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fieldByKey } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS, computeChecksum } from '../acpi/header.js';
import { MADT_FIXED_SIZE, MADT_IOAPIC_FIELDS, MADT_IOAPIC_TYPE, MADT_ENTRY_HEADER } from '../acpi/madt.js';
import { rowsEnd } from '../acpi/fields.js';
import { PCI_CAP_EXP, PCI_EXT_CAP_ACS } from './pci.js';

export interface PciSpec {
  address: string;
  /** "8086:a370" */
  id: string;
  /** "0x0c0330" */
  class: string;
  header?: number;
  multifunction?: boolean;
  secondary?: number;
  subordinate?: number;
  /** PCIe Device/Port Type; absent: a conventional PCI device (no PCIe capability). */
  pcie?: number;
  /** [ACS Capability, ACS Control] */
  acs?: [number, number];
  /** Readable config-space size: 64 (not root), 256, 4096 (default: 4096 with pcie, else 256). */
  configSize?: number;
  driver?: string;
  physfn?: string;
  virtfns?: string[];
  iommuGroup?: string;
}

export interface MachineSpec {
  osrelease?: string;
  /** proc/version: the `Linux version ...` line (distributions name the upstream release there). */
  version?: string;
  cmdline?: string;
  cpuinfo?: string;
  /** [start, end (inclusive), sysfs type string] */
  memmap?: [string, string, string][];
  pci?: PciSpec[];
  units?: { address: string; cap: string; ecap: string; version?: string }[];
  ioapics?: { id: number; address: string; gsi: number }[];
  hpet?: { number: number; address: string };
  /** DMAR table bytes, already encoded. */
  dmar?: Uint8Array;
}

function put(root: string, rel: string, data: string | Uint8Array): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

function link(root: string, rel: string, target: string): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  symlinkSync(target, p);
}

function acpiTableBytes(signature: string, body: Uint8Array, revision: number): Uint8Array {
  const len = fieldByKey(ACPI_HEADER_FIELDS, 'length');
  const b = new Uint8Array(rowsEnd(ACPI_HEADER_FIELDS) + body.length);
  b.set(Buffer.from(signature, 'latin1'), 0);
  new DataView(b.buffer).setUint32(len.offset, b.length, true);
  b[fieldByKey(ACPI_HEADER_FIELDS, 'revision').offset] = revision;
  b.set(Buffer.from('DMARTS', 'latin1'), fieldByKey(ACPI_HEADER_FIELDS, 'oemId').offset);
  b.set(body, rowsEnd(ACPI_HEADER_FIELDS));
  b[fieldByKey(ACPI_HEADER_FIELDS, 'checksum').offset] = computeChecksum(b);
  return b;
}

export function madtBytes(ioapics: NonNullable<MachineSpec['ioapics']>): Uint8Array {
  const entry = rowsEnd(MADT_IOAPIC_FIELDS);
  const body = new Uint8Array(MADT_FIXED_SIZE - rowsEnd(ACPI_HEADER_FIELDS) + entry * ioapics.length);
  const v = new DataView(body.buffer);
  const base = MADT_FIXED_SIZE - rowsEnd(ACPI_HEADER_FIELDS);
  v.setUint32(0, 0xfee00000, true);
  ioapics.forEach((a, i) => {
    const o = base + entry * i;
    body[o + fieldByKey(MADT_ENTRY_HEADER, 'type').offset] = MADT_IOAPIC_TYPE;
    body[o + fieldByKey(MADT_ENTRY_HEADER, 'length').offset] = entry;
    body[o + fieldByKey(MADT_IOAPIC_FIELDS, 'id').offset] = a.id;
    v.setUint32(o + fieldByKey(MADT_IOAPIC_FIELDS, 'address').offset, Number(a.address), true);
    v.setUint32(o + fieldByKey(MADT_IOAPIC_FIELDS, 'gsiBase').offset, a.gsi, true);
  });
  return acpiTableBytes('APIC', body, 5);
}

function hpetBytes(h: NonNullable<MachineSpec['hpet']>): Uint8Array {
  const body = new Uint8Array(20);
  const v = new DataView(body.buffer);
  v.setUint32(0, 0x8086a201, true); // Event Timer Block ID
  v.setBigUint64(8, BigInt(h.address), true); // GAS: space id, width, offset, access size, then the address
  body[16] = h.number;
  return acpiTableBytes('HPET', body, 1);
}

/** Config space of a device: IDs, class, header type, bus numbers, a PCIe capability at 0x40, ACS at 0x100. */
export function configBytes(d: PciSpec): Uint8Array {
  const size = d.configSize ?? (d.pcie !== undefined ? 4096 : 256);
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  const [vendor, device] = d.id.split(':').map((x) => parseInt(x, 16));
  v.setUint16(0, vendor!, true);
  v.setUint16(2, device!, true);
  const cls = parseInt(d.class, 16);
  b[0x09] = cls & 0xff;
  b[0x0a] = (cls >> 8) & 0xff;
  b[0x0b] = (cls >> 16) & 0xff;
  const header = d.header ?? 0;
  b[0x0e] = header | (d.multifunction ? 0x80 : 0);
  if (header !== 0) {
    b[0x18] = parseInt(d.address.slice(5, 7), 16);
    b[0x19] = d.secondary ?? 0;
    b[0x1a] = d.subordinate ?? d.secondary ?? 0;
  }
  if (d.pcie !== undefined) {
    v.setUint16(0x06, 0x0010, true); // Status: capabilities list
    b[0x34] = 0x40;
    b[0x40] = PCI_CAP_EXP;
    b[0x41] = 0;
    v.setUint16(0x42, (d.pcie << 4) | 2, true);
    if (d.acs) {
      v.setUint32(0x100, PCI_EXT_CAP_ACS | (1 << 16), true);
      v.setUint16(0x104, d.acs[0], true);
      v.setUint16(0x106, d.acs[1], true);
    }
  }
  return b.subarray(0, size);
}

/** Write the tree under `root`. */
export function writeMachineRoot(spec: MachineSpec, root: string): void {
  mkdirSync(root, { recursive: true });
  if (spec.osrelease) put(root, 'proc/sys/kernel/osrelease', spec.osrelease + '\n');
  if (spec.version) put(root, 'proc/version', spec.version + '\n');
  if (spec.cmdline !== undefined) put(root, 'proc/cmdline', spec.cmdline + '\n');
  if (spec.cpuinfo !== undefined) put(root, 'proc/cpuinfo', spec.cpuinfo);
  (spec.memmap ?? []).forEach(([start, end, type], i) => {
    put(root, `sys/firmware/memmap/${i}/start`, start + '\n');
    put(root, `sys/firmware/memmap/${i}/end`, end + '\n');
    put(root, `sys/firmware/memmap/${i}/type`, type + '\n');
  });
  if (spec.dmar) put(root, 'sys/firmware/acpi/tables/DMAR', spec.dmar);
  if (spec.ioapics) put(root, 'sys/firmware/acpi/tables/APIC', madtBytes(spec.ioapics));
  if (spec.hpet) put(root, 'sys/firmware/acpi/tables/HPET', hpetBytes(spec.hpet));
  if (spec.pci) mkdirSync(join(root, 'sys/bus/pci/devices'), { recursive: true });
  for (const d of spec.pci ?? []) {
    const dir = `sys/bus/pci/devices/${d.address}`;
    const [vendor, device] = d.id.split(':');
    put(root, `${dir}/vendor`, `0x${vendor}\n`);
    put(root, `${dir}/device`, `0x${device}\n`);
    put(root, `${dir}/class`, `0x${parseInt(d.class, 16).toString(16).padStart(6, '0')}\n`);
    put(root, `${dir}/config`, configBytes(d));
    if (d.driver) link(root, `${dir}/driver`, `../../../bus/pci/drivers/${d.driver}`);
    if (d.physfn) link(root, `${dir}/physfn`, `../${d.physfn}`);
    (d.virtfns ?? []).forEach((vf, i) => link(root, `${dir}/virtfn${i}`, `../${vf}`));
    if (d.virtfns) put(root, `${dir}/sriov_numvfs`, `${d.virtfns.length}\n`);
    if (d.iommuGroup) link(root, `${dir}/iommu_group`, `../../../../kernel/iommu_groups/${d.iommuGroup}`);
  }
  if (spec.units) mkdirSync(join(root, 'sys/class/iommu'), { recursive: true });
  (spec.units ?? []).forEach((u, i) => {
    const dir = `sys/class/iommu/dmar${i}/intel-iommu`;
    put(root, `${dir}/address`, u.address + '\n');
    put(root, `${dir}/cap`, u.cap + '\n');
    put(root, `${dir}/ecap`, u.ecap + '\n');
    put(root, `${dir}/version`, (u.version ?? '1:0') + '\n');
  });
}
