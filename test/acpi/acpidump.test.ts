// acpidump text: each row gives 16 bytes at its offset; a row with more is refused (its extra bytes were dropped, the table changed).
import { expect, test } from 'vitest';
import { parseAcpidump } from '../../src/acpi/acpidump.js';

const DUMP = [
  'DMAR @ 0x0000000000000000',
  '    0000: 44 4D 41 52 14 01 00 00 01 56 49 4E 54 45 4C 20  DMAR.....VINTEL ',
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
  expect(() => parseAcpidump(DUMP.replace('0000: 44 4D 41 52 14', '0000: 44 4D 41 52 1G'))).toThrow(/^line 2: DMAR dump: row 0x0000: "1G" where byte 5/);
  expect(() => parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00 x'))).toThrow(/^line 4: .* "x" where byte 5 of the row/);
  // a short last row padded to the text column, or with no text column, is still a row
  expect(parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00                                      ....'))[0]!.bytes.length).toBe(36);
  expect(parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00'))[0]!.bytes.length).toBe(36);
  expect(parseAcpidump(DUMP.replace('01 00 00 00  ....', '01 00 00 00 '))[0]!.bytes.length).toBe(36);
});
