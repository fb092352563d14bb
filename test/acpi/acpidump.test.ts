// acpidump text: each row gives 16 bytes at its offset; a row with more is refused (its extra bytes were dropped, the table changed).
import { expect, test } from 'vitest';
import { looksLikeAcpidump, parseAcpidump } from '../../src/acpi/acpidump.js';

const DUMP = [
  'DMAR @ 0x0000000000000000',
  '    0000: 44 4D 41 52 24 00 00 00 01 56 49 4E 54 45 4C 20  DMAR$....VINTEL ',
  '    0010: 4B 42 4C 20 00 00 00 00 01 00 00 00 49 4E 54 4C  KBL ........INTL',
  '    0020: 01 00 00 00  ....',
  '',
].join('\n');

test('16 bytes a row, the text column after two spaces (even when it starts with hex digits); a short last row', () => {
  const [t] = parseAcpidump(DUMP.replace('KBL ........INTL', 'AB .........INTL'));
  expect(t!.signature).toBe('DMAR');
  expect(t!.bytes.length).toBe(36);
  expect(t!.bytes[0x1f]).toBe(0x4c);
});

test('a row of 17 bytes is refused, naming its line', () => {
  expect(() => parseAcpidump(DUMP.replace('49 4E 54 4C  KBL', '49 4E 54 4C FF  KBL'))).toThrow(/^line 3: DMAR dump: row 0x0010 has more than 16 bytes$/);
});

test('a token that is no hex byte, inside a row or at a short row end, is refused naming its line (it ended the row in silence)', () => {
  // in the last row the table came out short and the error named Table Length; in row 0 the next row was blamed
  expect(() => parseAcpidump(DUMP.replace('0020: 01 00 00 00', '0020: 01 00 ZZ 00'))).toThrow(
    /^line 4: DMAR dump: row 0x0020: "ZZ" where byte 3 of the row should be \(two hex digits\)$/,
  );
  expect(() => parseAcpidump(DUMP.replace('0000: 44 4D 41 52 24', '0000: 44 4D 41 52 2G'))).toThrow(/^line 2: DMAR dump: row 0x0000: "2G" where byte 5/);
  expect(() => parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00 x'))).toThrow(/^line 4: .* "x" where byte 5 of the row/);
  // a short last row padded to the text column, or with no text column, is still a row
  expect(parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00                                      ....'))[0]!.bytes.length).toBe(36);
  expect(parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00'))[0]!.bytes.length).toBe(36);
  expect(parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00 '))[0]!.bytes.length).toBe(36);
});

// An audit against acpixtract (ACPICA 20200925) on real dumps with one change each.
const SSDT = ['SSDT @ 0x00000000BF7A1000', '    0000: 53 53 44 54 10 00 00 00 01 00 00 00 00 00 00 00  SSDT............', ''].join('\n');

test('lines among the rows that are no rows (a pager prompt, a wrapped text column) are passed over, as acpixtract does; no byte is lost', () => {
  const lines = DUMP.split('\n');
  const junk = [...lines.slice(0, 2), '-- more --', 'DMAR$....VINTEL ', ...lines.slice(2)].join('\n');
  expect(parseAcpidump(junk)[0]!.bytes).toEqual(parseAcpidump(DUMP)[0]!.bytes);
  // a line that starts as a row and is then none is a damaged row, named: never passed over
  expect(() => parseAcpidump(DUMP.replace('0010: 4B 42', '0010: 4B42'))).toThrow(/^line 3: DMAR dump: row 0x0010: "4B42" where byte 1 of the row should be/);
});

test('a table with fewer bytes than its Length is a dump cut short (acpidump writes exactly Length bytes), named at its last row', () => {
  expect(() => parseAcpidump(DUMP.replace('24 00 00 00 01 56', '14 01 00 00 01 56'))).toThrow(
    /^line 4: DMAR dump: 36 bytes where the table's Length says 276: the dump is cut short/,
  );
  expect(() => parseAcpidump('DMAR @ 0x0000000000000000\n\nFACP @ 0x0\n')).toThrow(
    /^line 1: DMAR dump: 0 bytes, fewer than a table header's Signature and Length/,
  );
  // a short row with another after it lost bytes inside it (a double space read as the end of its bytes): that row is named
  expect(() => parseAcpidump(DUMP.replace('01 00 00 00 49 4E 54 4C', '01 00 00 00  49 4E 54 4C'))).toThrow(
    /^line 3: DMAR dump: row 0x0010 holds fewer than 16 bytes, yet another row follows it$/,
  );
});

test('with strict naming the tables a reader needs, a damaged other table keeps its problem and the rest are read', () => {
  const damagedSsdt = SSDT.replace('0000: 53', '0001: 53');
  expect(() => parseAcpidump(`${damagedSsdt}\n${DUMP}`)).toThrow(/^line 2: SSDT dump: row offset 0x0001 where 0x0 was expected$/);
  const tables = parseAcpidump(`${damagedSsdt}\n${DUMP}`, { strict: (s) => s === 'DMAR' });
  expect(tables.map((t) => [t.signature, t.problem])).toEqual([
    ['SSDT', 'line 2: SSDT dump: row offset 0x0001 where 0x0 was expected'],
    ['DMAR', undefined],
  ]);
  // one cut short: kept with its problem too, never as a whole table
  const cut = parseAcpidump(`${SSDT.replace('53 53 44 54 10', '53 53 44 54 20')}\n${DUMP}`, { strict: (s) => s === 'DMAR' });
  expect(cut[0]!.problem).toBe("line 2: SSDT dump: 16 bytes where the table's Length says 32: the dump is cut short (or a row lost bytes)");
  expect(() => parseAcpidump(`${SSDT}\n${DUMP.replace('0010:', '0011:')}`, { strict: (s) => s === 'DMAR' })).toThrow(
    /^line 6: DMAR dump: row offset 0x0011 where 0x10 was expected$/,
  );
});

test('a dump is told by a `SIG @ 0x...` line among its first lines: after a prompt or a sentence, with a byte-order mark, the headers acpixtract reads', () => {
  expect(looksLikeAcpidump(`$ sudo acpidump\n${DUMP}`)).toBe(true);
  expect(looksLikeAcpidump(`\xef\xbb\xbf${DUMP}`)).toBe(true);
  expect(parseAcpidump(`\xef\xbb\xbf${DUMP}`)[0]!.bytes.length).toBe(36);
  expect(
    parseAcpidump(`SSDT @ (nil)\n${SSDT.split('\n')[1]}\n\n${DUMP.replace('DMAR @ 0x0000000000000000', 'DMAR @ 0x0000000000000000 (36 bytes)')}`).map((t) => [
      t.signature,
      t.address,
    ]),
  ).toEqual([
    ['SSDT', '(nil)'],
    ['DMAR', '0x0000000000000000'],
  ]);
  // a binary table is never text: a NUL among its first bytes
  expect(looksLikeAcpidump(`DMAR\0\0\0\nDMAR @ 0x0\n`)).toBe(false);
  expect(looksLikeAcpidump('just some text\nwith no header\n')).toBe(false);
});
