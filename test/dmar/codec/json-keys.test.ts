// The JSON reader refuses what it would otherwise read as zeros or silently drop: a key the format
// does not have (a misspelt field), a key given twice, a kind that is no structure's; and a message
// about an oversized value echoes an excerpt, not the value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { encodeDmar } from '../../../src/dmar/encode.js';
import { parseSourceText } from '../../../src/dmar/source.js';
import { dmar, FIXTURES } from '../../helpers.js';

const SOURCE = readFileSync(join(FIXTURES, 'server-2s.json'), 'utf8');
const doc = () => JSON.parse(SOURCE);
const message = (text: string): string => {
  try {
    encodeDmar(parseSourceText(text));
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('read without a complaint');
};

test('the fixture reads as it is ($comment and all)', () => {
  expect(Buffer.from(encodeDmar(parseSourceText(SOURCE))).equals(readFileSync(join(FIXTURES, 'server-2s.bin')))).toBe(true);
});

test('a key the format does not have is refused at every level, naming where', () => {
  const cases: [(d: ReturnType<typeof doc>) => void, RegExp][] = [
    [(d) => (d.hostAdressWidth = 46), /^document: unknown key "hostAdressWidth" \(known: hostAddressWidth, /],
    [(d) => (d.header.oemID = 'X'), /^header: unknown key "oemID"/],
    [(d) => (d.structures[0].registerBaseAdress = '0xfed90000'), /^structures\[0\]: unknown key "registerBaseAdress"/],
    [(d) => (d.structures[0].deviceScopes[0].buss = 0), /^structures\[0\]\.deviceScopes\[0\]: unknown key "buss"/],
    [(d) => (d.structures[0].deviceScopes[0].path[0].funtion = 1), /^structures\[0\]\.deviceScopes\[0\]\.path\[0\]: unknown key "funtion"/],
    [(d) => (d.structures[0] = { type: 0x99, raw: '00', extra: 1 }), /^structures\[0\]: unknown key "extra"/],
  ];
  for (const [edit, want] of cases) {
    const d = doc();
    edit(d);
    expect(message(JSON.stringify(d))).toMatch(want);
  }
});

test('a key given twice in one object is refused with its line; the same key in two objects is not', () => {
  expect(message('{\n "header": {},\n "hostAddressWidth": 38,\n "hostAddressWidth": 45,\n "structures": []\n}')).toMatch(
    /^line 4: key "hostAddressWidth" given twice in one object$/,
  );
  const two = '{"header": {}, "structures": [{"kind": "RHSA", "baseAddress": "0x1000"}, {"kind": "RHSA", "baseAddress": "0x2000"}]}';
  expect(encodeDmar(parseSourceText(two)).length).toBe(48 + 2 * 20);
});

test('an unknown kind says so, listing the kinds', () => {
  expect(message('{"header": {}, "structures": [{"kind": "QQQ"}]}')).toBe(
    'structures[0].kind: "QQQ" is no structure kind (known: DRHD, RMRR, ATSR, RHSA, ANDD, SATC, SIDP, VIRT; or give "type")',
  );
});

test('a value of millions of digits is refused by its length, echoing 40 characters of it', () => {
  const d = doc();
  d.structures[0].registerBaseAddress = `0x${'f'.repeat(3_000_000)}`;
  const m = message(JSON.stringify(d));
  expect(m).toBe('structures[0].registerBaseAddress: "0xffffffffffffffffffffffffffffffffffffff..." (3000002 characters) is longer than any field\'s value');
  d.structures[0].registerBaseAddress = `0x1${'0'.repeat(16)}`;
  expect(message(JSON.stringify(d))).toBe('structures[0].registerBaseAddress: "0x10000000000000000" does not fit in 8 bytes');
  const h = doc();
  h.header.oemId = 'X'.repeat(5_000_000);
  expect(message(JSON.stringify(h)).length).toBeLessThan(120);
});

test('a number or boolean where an integer belongs is named as written, not quoted as a string', () => {
  for (const [v, text] of [
    ['true', 'true'],
    ['-1', '-1'],
    ['"wide"', '"wide"'],
  ]) {
    expect(message(`{"header": {}, "hostAddressWidth": ${v}, "structures": []}`)).toBe(`hostAddressWidth: ${text} is not a non-negative integer`);
  }
});

test('a line of decode --json over several tables (its "file" key first) encodes back as it is', () => {
  const r = dmar(['decode', join(FIXTURES, 'server-2s.bin'), join(FIXTURES, 'qemu-q35-ir.bin'), '--json']);
  const [first] = r.stdout.split('\n');
  expect(JSON.parse(first!).file).toBe(join(FIXTURES, 'server-2s.bin'));
  expect(Buffer.from(encodeDmar(parseSourceText(first!))).equals(readFileSync(join(FIXTURES, 'server-2s.bin')))).toBe(true);
});

// Found by an audit: each of these was read without a word, into other bytes than the source says.
test('a key given twice is found however it is spelt ("\\u0057" is W)', () => {
  expect(message('{"header": {}, "hostAddressWidth": 38, "hostAddress\\u0057idth": 39}')).toBe('line 1: key "hostAddressWidth" given twice in one object');
});

test('a number with a fraction is refused (37.99999999999999999 was 38, 1e-400 was 0); an integer written 3.8e1 or 38.0 is read', () => {
  expect(message('{"header": {}, "hostAddressWidth": 37.99999999999999999}')).toBe(
    'line 1: number 37.99999999999999999 is not an integer (every value of a table is)',
  );
  expect(message('{"header": {}, "hostAddressWidth": 1e-400}')).toBe('line 1: number 1e-400 is not an integer (every value of a table is)');
  expect(message('{"header": {}, "hostAddressWidth": 0.5}')).toBe('line 1: number 0.5 is not an integer (every value of a table is)');
  for (const lit of ['3.8e1', '38.0', '380e-1', '38']) expect(encodeDmar(parseSourceText(`{"header": {}, "hostAddressWidth": ${lit}}`))[36], lit).toBe(38);
});

test('a proposed bit is checked by name like the others (a misspelt one was written as 0)', () => {
  const d = doc();
  d.flags = { INTR_REMAP: true, proposed: { IMS_OPT_OUT: true } };
  expect(message(JSON.stringify(d))).toBe('flags.proposed: unknown bit "IMS_OPT_OUT" (known: IMS_OPTOUT)');
  d.flags = { INTR_REMAP: true, proposed: 5 };
  expect(message(JSON.stringify(d))).toBe('flags.proposed: expected an object of proposed bits');
  const drhd = doc();
  drhd.structures[0].flags = { INCLUDE_PCI_ALL: true, proposed: { X: 1 } };
  expect(message(JSON.stringify(drhd))).toBe('structures[0].flags.proposed: unknown bit "X" (known: none: this field has no proposed bits)');
  d.flags = { INTR_REMAP: true, proposed: { IMS_OPTOUT: true } };
  expect(encodeDmar(parseSourceText(JSON.stringify(d)))[37]).toBe(0x09);
});

test('a kind that contradicts the type is refused (the type won in silence)', () => {
  const d = doc();
  d.structures[0].type = 0;
  d.structures[0].kind = 'RMRR';
  expect(message(JSON.stringify(d))).toBe('structures[0].kind: "RMRR" contradicts type 0 (DRHD)');
  const s = doc();
  expect(s.structures[0].deviceScopes[1].type).toBe(3);
  s.structures[0].deviceScopes[1].kind = 'PCI Endpoint Device';
  expect(message(JSON.stringify(s))).toBe('structures[0].deviceScopes[1].kind: "PCI Endpoint Device" contradicts type 3 (IOAPIC Device)');
});

test('a JSON array is a JSON error, not "not ACPICA source"', () => {
  expect(message('[1, 2]')).toBe('document: expected a JSON object');
});

// json.md: "absent fields are zero, so a hand-written source names only what matters": the header and the
// structure list included (the header was required, "header: expected an object"), and the schema agrees
test('an absent header is one of zeros (signature DMAR), an absent structure list an empty one; a header of another type is refused', () => {
  const empty = encodeDmar(parseSourceText('{"format": "dmar/1", "structures": []}'));
  expect(Buffer.from(empty).subarray(0, 4).toString('latin1')).toBe('DMAR');
  expect(empty.length).toBe(48);
  expect(
    Buffer.from(encodeDmar(parseSourceText('{"hostAddressWidth": 38}'))).equals(
      Buffer.from(encodeDmar(parseSourceText('{"header": {}, "hostAddressWidth": 38, "structures": []}'))),
    ),
  ).toBe(true);
  expect(message('{"header": []}')).toBe('header: expected an object');
  expect(message('{"header": null}')).toBe('header: expected an object');
  const schema = JSON.parse(readFileSync(join(FIXTURES, '..', 'schema', 'dmar.schema.json'), 'utf8'));
  expect(schema.required ?? []).toEqual([]);
});
