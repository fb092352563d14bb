// Errors in iasl data-table source name their line, the signature's and a last structure's without a layout included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { formatIasl } from '../../../src/dmar/codec/iasl.js';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { compileSource, encodeSource, parseSourceText } from '../../../src/dmar/source.js';
import { toJson } from '../../../src/dmar/codec/json.js';
import { FIXTURES } from '../../helpers.js';

const SOURCE = formatIasl(decodeDmar(readFileSync(join(FIXTURES, 'server-2s.bin'))).table).text;
const error = (text: string): string => {
  try {
    parseSourceText(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('compiled');
};

test("a signature that is not DMAR: the line of the header's first row", () => {
  const text = SOURCE.replace('Signature : "DMAR"', 'Signature : "APIC"');
  const line = text.split('\n').findIndex((l) => l.includes('Signature : "APIC"')) + 1;
  expect(error(text)).toBe(`line ${line}: Signature is "APIC", not "DMAR"`);
});

test('a last structure of a type with no layout and no raw data: the line of its Subtable Type', () => {
  const text = `${SOURCE.trimEnd()}\n\n                 Subtable Type : 0099\n                        Length : 0006\n`;
  const line = text.split('\n').findIndex((l) => l.includes('Subtable Type : 0099')) + 1;
  expect(error(text)).toMatch(new RegExp(`^line ${line}: structure type 153 has no known layout`));
});

test('a value with an expression is refused on its line (its first number was taken: FED00000 + 90000 gave 0xfed00000)', () => {
  for (const [from, to] of [
    ['Register Base Address : 000000009D7FC000', 'Register Base Address : 9D700000 + FC000'],
    ['Host Address Width : 2D', 'Host Address Width : 20 + D'],
    ['Flags : 01', 'Flags : 1 << 0'],
  ] as const) {
    expect(SOURCE).toContain(from);
    const text = SOURCE.replace(from, to);
    const line = text.split('\n').findIndex((l) => l.includes(to)) + 1;
    expect(error(text)).toMatch(new RegExp(`^line ${line}: [A-Za-z ]+: ".*" is an expression: iasl computes those, dmar does not \\(write its value\\)$`));
  }
  // a value and iasl -d's [note] still read
  expect(() => parseSourceText(SOURCE.replace('Host Address Width : 2D', 'Host Address Width : 2D [46 bits]'))).not.toThrow();
});

test('a /* comment never closed is named by the line it opens on (it said "end of source")', () => {
  const text = SOURCE.replace('Host Address Width : 2D', 'Host Address Width : 2D /* open');
  const line = text.split('\n').findIndex((l) => l.includes('/* open')) + 1;
  expect(error(text)).toBe(`line ${line}: a /* comment is never closed`);
});

// What only the encoder finds wrong (a device scope or a structure too long for its Length, a character of
// a name over one byte) is placed on the line of that scope or name; the same from JSON names no line.
const encodeError = (text: string, name = 'in.dsl'): string => {
  try {
    compileSource(Buffer.from(text, 'utf8'), name);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('compiled');
};
const lineOf = (text: string, needle: string, from = 0): number => text.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;

test("a device scope whose path is too long for its Entry Length: the line of that scope's first row", () => {
  // DRHD #2's first scope: its one PCI Path line repeated to 131 entries
  const lines = SOURCE.split('\n');
  const drhd2 = lines.findIndex((l, i) => i > lineOf(SOURCE, 'Subtable Type : 0000') && l.includes('Subtable Type : 0000'));
  const scope = lines.findIndex((l, i) => i > drhd2 && l.includes('Device Scope Type'));
  const path = lines.findIndex((l, i) => i > scope && l.includes('PCI Path'));
  const text = [...lines.slice(0, path), ...Array(131).fill(lines[path]), ...lines.slice(path + 1)].join('\n');
  expect(encodeError(text)).toBe(`line ${scope + 1}: DRHD #2: device scope 1 with 131 path entries exceeds 255 bytes`);
});

test('an ANDD name with a character over one byte, or too long for the Length: the line of the name', () => {
  const andd = `${SOURCE.trimEnd()}\n\n  Subtable Type : 0004\n  Length : 0000\n\n  Reserved : 000000\n  Device Number : 07\n  Device Name : "NAME"\n`;
  const line = lineOf(andd, 'Device Name : "NAME"');
  const euro = andd.replace('"NAME"', '"\\_SB.\u20ac"');
  expect(encodeError(euro)).toBe(`line ${line}: ANDD #2: character "\u20ac" is not one byte`);
  const long = andd.replace('"NAME"', `"${'A'.repeat(70_000)}"`);
  expect(encodeError(long)).toMatch(new RegExp(`^line ${line}: ANDD #2: \\d+ bytes do not fit a 16-bit Length$`));
});

test('an ASCII header field with a character over one byte: its line, when the source is read', () => {
  const text = SOURCE.replace(/Oem ID : "[^"]*"/, 'Oem ID : "\u00e9\u20ac"');
  expect(error(text)).toBe(`line ${lineOf(text, 'Oem ID :')}: Oem ID: character "\u20ac" is not one byte`);
});

// a library user may edit the model between parseSourceText and encodeSource: the lines go with the structures
// and scopes they were read from (they were kept by index, so an inserted structure moved every later line)
test('a model edited after parseSourceText: each error names the line its own structure or scope was read from, or none', () => {
  const encodeModelError = (t: ReturnType<typeof parseSourceText>): string => {
    try {
      encodeSource(t);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('compiled');
  };
  const lines = SOURCE.split('\n');
  const drhd2 = lines.findIndex((l, i) => i > lineOf(SOURCE, 'Subtable Type : 0000') && l.includes('Subtable Type : 0000'));
  const scope = lines.findIndex((l, i) => i > drhd2 && l.includes('Device Scope Type'));
  const tooLong = Array(131).fill({ device: 1, function: 0 });
  // a structure inserted before DRHD #2: its scope keeps its line (DRHD #3 now)
  const t = parseSourceText(SOURCE);
  const first = t.structures[0]!;
  t.structures.splice(1, 0, { ...first, fields: { ...first.fields }, scopes: [] });
  t.structures[2]!.scopes![0]!.path = tooLong;
  expect(encodeModelError(t)).toBe(`line ${scope + 1}: DRHD #3: device scope 1 with 131 path entries exceeds 255 bytes`);
  // the inserted structure's own defect: it was read from no line (it said DRHD #2's)
  const u = parseSourceText(SOURCE);
  u.structures.splice(1, 0, {
    ...first,
    fields: { ...first.fields },
    scopes: [{ offset: 0, fields: { type: 1, flags: 0, reserved: 0, enumerationId: 0, bus: 0 }, path: tooLong }],
  });
  expect(encodeModelError(u)).toBe('DRHD #2: device scope 1 with 131 path entries exceeds 255 bytes');
  // a scope added to a structure read from the source: the structure's line, not another scope's
  const v = parseSourceText(SOURCE);
  const scopes = v.structures[1]!.scopes!;
  scopes.unshift({ ...scopes[0]!, path: tooLong });
  expect(encodeModelError(v)).toBe(`line ${drhd2 + 1}: DRHD #2: device scope 1 with 131 path entries exceeds 255 bytes`);
});

test('the same defects in JSON: the structure and scope are named, no line', () => {
  const doc = toJson(decodeDmar(readFileSync(join(FIXTURES, 'server-2s.bin'))).table) as { structures: { kind: string; deviceScopes: unknown[] }[] };
  const drhds = doc.structures.filter((s) => s.kind === 'DRHD') as { deviceScopes: { path: unknown[] }[] }[];
  drhds[1]!.deviceScopes[0]!.path = Array(131).fill({ device: 1, function: 0 });
  expect(encodeError(JSON.stringify(doc), 'in.json')).toBe('DRHD #2: device scope 1 with 131 path entries exceeds 255 bytes');
});
