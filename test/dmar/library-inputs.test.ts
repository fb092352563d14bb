// What the library does with arguments a JavaScript caller (no type checker) may pass: bytes that are no
// Uint8Array get a TypeError saying so, not a wrong diagnosis ("truncated: 0 bytes") or a checksum that
// passes; a MADT given to validateBytes is checked as the CLI checks the one it reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import * as dmar from '../../src/index.js';
import { FIXTURES } from '../helpers.js';

const good = readFileSync(join(FIXTURES, 'server-2s.bin'));

test.each([
  ['an ArrayBuffer', good.buffer, 'ArrayBuffer'],
  ['a DataView', new DataView(good.buffer, good.byteOffset, good.byteLength), 'DataView'],
  ['an array of numbers', [...good], 'Array'],
  ['a string', good.toString('latin1'), 'string'],
  ['undefined', undefined, 'undefined'],
])('%s is refused by every entry that reads a table, naming what it got', (_, bad, got) => {
  const message = `the table: expected a Uint8Array (or Buffer), got ${got}`;
  const calls: [string, () => unknown][] = [
    ['decodeDmar', () => dmar.decodeDmar(bad as never)],
    ['validateBytes', () => dmar.validateBytes(bad as never)],
    ['setDmarFlag', () => dmar.setDmarFlag(bad as never, 'ims-optout', true)],
    ['fixTable', () => dmar.fixTable(bad as never)],
    ['checksumValid', () => dmar.checksumValid(bad as never)],
  ];
  for (const [name, call] of calls) expect(call, name).toThrow(new TypeError(message));
});

test('a Buffer and a Uint8Array view are tables as ever', () => {
  expect(dmar.validateBytes(good)).toEqual(dmar.validateBytes(new Uint8Array(good.buffer, good.byteOffset, good.byteLength)));
  expect(dmar.checksumValid(good)).toBe(true);
});

test('a MADT that is no MADT is refused (DMAR-MADT-INVALID), not read as one without I/O APICs (three false findings on a valid table)', () => {
  for (const bytes of [new Uint8Array(0), new Uint8Array(36), Uint8Array.from([...Buffer.from('APIC'), 0xff, 0xff, 0xff, 0xff, ...new Uint8Array(40)])]) {
    let e: unknown;
    try {
      dmar.validateBytes(good, { tables: [{ signature: 'APIC', bytes }] });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(dmar.DmarError);
    expect((e as dmar.DmarError).code).toBe('DMAR-MADT-INVALID');
  }
});

test('a machine as --machine reads it is reachable from the library: machineFacts, and validateBytes judges the table against it as the CLI does', () => {
  const dir = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');
  const table = readFileSync(join(dir, 'root', 'sys', 'firmware', 'acpi', 'tables', 'DMAR'));
  const ids = dmar.validateBytes(table, { machine: dmar.machineFacts(dir) }).map((f) => f.id);
  expect(ids).toContain('DMAR-RMRR-NOT-RESERVED');
  expect(() => dmar.machineFacts(FIXTURES)).toThrow(dmar.DmarError);
});

test('encodeDmar refuses a model a library user got wrong, naming the field, where it wrote NULs, zeros or another signature', () => {
  const cases: [string, (t: dmar.DmarTable) => void, string][] = [
    ['an OEM ID that is a number', (t) => void ((t.header as Record<string, unknown>).oemId = 12345), 'header: Oem ID: number 12345 is not a string'],
    ['reserved bytes given as hex text', (t) => void ((t.fields as Record<string, unknown>).reserved = 'ff'), 'Reserved: "ff" is not bytes (a Uint8Array)'],
    [
      'a misspelt field',
      (t) => void ((t.structures[0]!.fields as Record<string, unknown>).registerBaseAdress = 0xfed90000n),
      'DRHD #1: no field "registerBaseAdress"',
    ],
    ['another signature', (t) => void ((t.header as Record<string, unknown>).signature = 'APIC'), 'header: Signature "APIC" is not "DMAR"'],
    [
      'a misspelt scope field',
      (t) => void ((t.structures[0]!.scopes![0]!.fields as Record<string, unknown>).buss = 1),
      'DRHD #1: device scope 1: no field "buss"',
    ],
  ];
  for (const [what, spoil, message] of cases) {
    const { table } = dmar.decodeDmar(good);
    spoil(table);
    expect(() => dmar.encodeDmar(table), what).toThrow(message);
  }
  expect(Buffer.from(dmar.encodeDmar(dmar.decodeDmar(good).table)).equals(good)).toBe(true);
});
