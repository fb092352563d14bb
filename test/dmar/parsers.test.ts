// The binary-parser parsers read at an offset of a whole table through one DataView; the same
// parser given the structure's own bytes reads the same values. latin1 maps every byte to the
// character of that code, at any length.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { asciiValue, fieldParser, latin1, parsePath, parsePathAt, parserSources, signature, viewOf } from '../../src/dmar/parsers.js';
import { ACPI_HEADER_FIELDS } from '../../src/acpi/header.js';
import { DEFS, DMAR_FIELDS, SCOPE_FIELDS, structDef } from '../../src/dmar/schema.js';
import { PATH_FIELDS } from '../../src/dmar/scope-rows.js';
import { FIXTURES, ROOT } from '../helpers.js';

test("parseAt on the whole table reads what parse reads from the structure's own bytes", () => {
  const b = new Uint8Array(readFileSync(join(FIXTURES, 'server-2s.bin')));
  const view = viewOf(b);
  expect(fieldParser(ACPI_HEADER_FIELDS).parseAt(b, view, 0)).toEqual(fieldParser(ACPI_HEADER_FIELDS).parse(b.subarray(0, 36)));
  // the first structure, a DRHD at 48 (Type 0, Length at 50), and its first device scope at 64
  const drhd = structDef(0)!;
  expect(b[48]).toBe(0);
  const fixed = b.subarray(52, 48 + drhd.fixedSize);
  expect(fieldParser(drhd.fields).parseAt(b, view, 52)).toEqual(fieldParser(drhd.fields).parse(fixed));
  const scope = fieldParser(SCOPE_FIELDS).parseAt(b, view, 64);
  expect(scope).toEqual(fieldParser(SCOPE_FIELDS).parse(b.subarray(64, 70)));
  const len = scope.length as number;
  expect(len).toBeGreaterThan(6);
  expect(parsePathAt(b, view, 70, 64 + len)).toEqual(parsePath(b.subarray(70, 64 + len)));
  expect(parsePathAt(b, view, 70, 64 + len)).toHaveLength((len - 6) / 2);
});

test('a parser refuses bytes shorter than its rows, as a DataView read past the end does', () => {
  const b = new Uint8Array(readFileSync(join(FIXTURES, 'server-2s.bin')));
  // the ACPI header's rows end in ASCII and byte-range fields, read through a range: without the check a short
  // input gave short strings and zeros there instead of an error
  expect(() => fieldParser(ACPI_HEADER_FIELDS).parse(b.subarray(0, 35))).toThrow(RangeError);
  expect(() => fieldParser(ACPI_HEADER_FIELDS).parseAt(b.subarray(0, 40), viewOf(b.subarray(0, 40)), 5)).toThrow(
    /36 bytes of rows at offset 5, past the end of 40 bytes/,
  );
  expect(fieldParser(ACPI_HEADER_FIELDS).parse(b.subarray(0, 36)).oemId).toBe(fieldParser(ACPI_HEADER_FIELDS).parse(b).oemId);
  const scope = b.subarray(0, 69);
  expect(() => fieldParser(SCOPE_FIELDS).parseAt(scope, viewOf(scope), 64)).toThrow(RangeError);
  expect(fieldParser(SCOPE_FIELDS).parseAt(b.subarray(0, 70), viewOf(b.subarray(0, 70)), 64)).toEqual(fieldParser(SCOPE_FIELDS).parseAt(b, viewOf(b), 64));
});

test('latin1: every byte value, short and longer than one chunk', () => {
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
  let expected = '';
  for (const x of bytes) expected += String.fromCharCode(x);
  expect(latin1(bytes)).toBe(expected);
  expect(latin1(bytes.subarray(0, 256))).toBe(expected.slice(0, 256));
  expect(latin1(new Uint8Array(0))).toBe('');
});

// Each CLI bundle holds every parser the decoder uses precompiled (scripts/bundle.mjs; parsers-precompiled.ts):
// none is generated at run time, and each is the code binary-parser generates for the rows today.
test.each([['dmar'], ['dmar-decode'], ['dmar-validate']])(
  '%s.cjs precompiles the parser of every structure, the headers, the device scope and its path',
  (name) => {
    const bundle = readFileSync(join(ROOT, `dist/cli/${name}.cjs`), 'latin1');
    const rowSets = [ACPI_HEADER_FIELDS, DMAR_FIELDS, SCOPE_FIELDS, PATH_FIELDS, ...Object.values(DEFS).map((d) => d.fields)];
    expect(rowSets.length).toBeGreaterThan(10);
    for (const rows of rowSets) expect(bundle).toContain(`[${JSON.stringify(signature(rows))},{imports:`);
  },
);

test('latin1 and asciiValue read a range of the bytes, at every length either side of the short path', () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
  const naive = (from: number, to: number) => {
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  };
  for (let n = 0; n <= 70; n++) {
    expect(latin1(bytes, 5, 5 + n)).toBe(naive(5, 5 + n));
    // the same length twice in a row, then another: each call reads its own bytes
    expect(latin1(bytes, 100, 100 + n)).toBe(naive(100, 100 + n));
  }
  expect(latin1(bytes, 10, 3)).toBe('');
  const padded = new Uint8Array([0x20, 0x41, 0x42, 0, 0, 0x43, 0, 0]);
  expect(asciiValue(padded)).toBe(' AB\0\0C');
  expect(asciiValue(padded, 1, 5)).toBe('AB');
  expect(asciiValue(padded, 3, 5)).toBe('');
});

test("the generated parsers format a field from the table's bytes and make their result with every key at once", () => {
  const b = new Uint8Array(readFileSync(join(FIXTURES, 'server-2s.bin')));
  const view = viewOf(b);
  const header = fieldParser(ACPI_HEADER_FIELDS).parseAt(b, view, 0);
  expect(Object.keys(header)).toEqual(ACPI_HEADER_FIELDS.map((f) => f.key));
  expect(header.signature).toBe('DMAR');
  const dmar = fieldParser(DMAR_FIELDS).parseAt(b, view, 36);
  expect(Object.keys(dmar)).toEqual(DMAR_FIELDS.map((f) => f.key));
  // a byte field is a copy: a plain Uint8Array (never a Buffer or a view) that keeps its value when the table changes
  const reserved = dmar.reserved as Uint8Array;
  expect(Object.getPrototypeOf(reserved)).toBe(Uint8Array.prototype);
  const before = [...reserved];
  b.fill(0xee, 38, 48);
  expect([...reserved]).toEqual(before);
  for (const { code } of parserSources.values()) {
    expect(code).not.toContain('subarray');
    expect(code).not.toContain('var vars = {};');
  }
  expect(parserSources.size).toBeGreaterThanOrEqual(3);
});
