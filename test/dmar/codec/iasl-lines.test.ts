// Errors in iasl data-table source name their line, the signature's and a last structure's without a layout included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { formatIasl } from '../../../src/dmar/codec/iasl.js';
import { decodeDmar } from '../../../src/dmar/decode.js';
import { parseSourceText } from '../../../src/dmar/source.js';
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
