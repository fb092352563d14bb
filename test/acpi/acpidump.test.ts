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
