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
    ['38.5', '38.5'],
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
