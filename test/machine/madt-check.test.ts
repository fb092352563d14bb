// A MADT that cannot be one is refused (exit 2, naming the file and offset): read as one, its missing
// I/O APICs were reported as the DMAR table's fault.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { checkMadt } from '../../src/acpi/madt.js';
import { dmar, FIXTURES } from '../helpers.js';

const CAPTURE = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');
const APIC = readFileSync(join(CAPTURE, 'root/sys/firmware/acpi/tables/APIC'));
const tmp = mkdtempSync(join(tmpdir(), 'dmar-madt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const refusal = (bytes: Uint8Array): string => {
  try {
    checkMadt(bytes, 'APIC');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

test("the capture's MADT is accepted; garbage, a wrong signature, a Table Length past the bytes and a bad entry are not", () => {
  expect(refusal(APIC)).toBe('accepted');
  expect(refusal(Buffer.from('XXXX'))).toBe("MADT: 4 bytes, shorter than a MADT's fixed part (44)");
  const sig = Buffer.from(APIC);
  sig.write('APIX', 0, 'latin1');
  expect(refusal(sig)).toBe('MADT: signature is "APIX", not "APIC"');
  const long = Buffer.from(APIC);
  long.writeUInt32LE(0xffffffff, 4);
  expect(refusal(long)).toMatch(/^MADT: Table Length 4294967295 is not within the \d+ bytes read/);
  // one or two bytes after the last entry end the walk, as Linux's acpi_parse_entries_array stops there
  for (const pad of [1, 2]) {
    const padded = Buffer.concat([APIC, Buffer.alloc(pad)]);
    padded.writeUInt32LE(padded.length, 4);
    expect(refusal(padded), `${pad} bytes of padding`).toBe('accepted');
  }
  const entry = Buffer.from(APIC);
  entry[44 + 1] = 0; // the first entry's Length
  expect(refusal(entry)).toBe('MADT: the entry at 44 has Length 0, which is under 2');
});

test('validate and topology --machine with a capture whose MADT is garbage: one line, exit 2', () => {
  const dir = join(tmp, 'capture');
  cpSync(CAPTURE, dir, { recursive: true });
  writeFileSync(join(dir, 'root/sys/firmware/acpi/tables/APIC'), 'XXXX');
  for (const args of [
    ['validate', '--machine', dir, '--only', 'DMAR-MADT*'],
    ['topology', '--machine', dir],
  ]) {
    const r = dmar(args);
    expect(r.status, args[0]).toBe(2);
    expect(r.stderr).toBe(`dmar: ${join(dir, 'root/sys/firmware/acpi/tables/APIC')}: offset 0x0 (0): MADT: 4 bytes, shorter than a MADT's fixed part (44)\n`);
  }
});

test('a capture memory-map entry that is damaged (a start that is no address, a missing type) is refused, exit 2, not judged without it', () => {
  for (const [file, text, why] of [
    ['start', '0x6ebff000 garbage\n', 'start is "0x6ebff000 garbage", not a hex address'],
    ['type', null, 'type is missing'],
    // a reserved entry to 2^120 hid the RMRR the map should judge
    ['end', '0xffffffffffffffffffffffffffffff\n', 'end is "0xffffffffffffffffffffffffffffff", wider than 64 bits'],
    ['end', '0x1000\n', 'end is "0x1000", below the start "0x6ebff000"'],
  ] as const) {
    const dir = join(tmp, `memmap-${file}`);
    cpSync(CAPTURE, dir, { recursive: true });
    const path = join(dir, 'root/sys/firmware/memmap/5', file);
    if (text === null) rmSync(path);
    else writeFileSync(path, text);
    const r = dmar(['validate', '--machine', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dmar: ${path}: memory map entry 5: ${why}\n`);
  }
});

test('a capture without a MADT is judged without one, never against the MADT of the machine dmar runs on', () => {
  // the capture's own table (no FILE) is read from the capture's sysfs: its MADT used to fall back to
  // /sys/firmware/acpi/tables/APIC here, and this machine's I/O APICs gave DMAR-MADT-* findings about the server
  const dir = join(tmp, 'no-apic');
  cpSync(CAPTURE, dir, { recursive: true });
  rmSync(join(dir, 'root/sys/firmware/acpi/tables/APIC'));
  const r = dmar(['validate', '--machine', dir, '--json']);
  expect(r.status, r.stderr).toBe(1);
  const ids = (JSON.parse(r.stdout) as { files: { findings: { id: string }[] }[] }).files.flatMap((f) => f.findings.map((x) => x.id));
  expect(ids).toEqual(['DMAR-RMRR-NOT-RESERVED']);
  // with its MADT, the same capture is cross-checked as before
  expect(dmar(['validate', '--machine', CAPTURE, '--only', 'DMAR-MADT*']).status).toBe(0);
});
