// The one error type: an offset only when there is one (never -1), and the one
// line every failure and located message is printed as.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { DmarError, locatedLine, naming } from '../../src/dmar/errors.js';
import { parseSourceText } from '../../src/dmar/source.js';
import { FIXTURES } from '../helpers.js';

/** What fn throws (a test fails when it throws nothing). */
function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

describe('DmarError', () => {
  test('a defect found in the bytes has its offset; its line gives it in hex and decimal', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'server-2s.bin')));
    bytes[0] = 0x58; // "XMAR"
    const e = caught(() => decodeDmar(bytes)) as DmarError;
    expect(e).toBeInstanceOf(DmarError);
    expect([e.offset, e.code, e.kind]).toEqual([0, 'DMAR-HDR-SIGNATURE', 'input']);
    e.file = 't.bin';
    expect(e.oneLine()).toBe('t.bin: offset 0x0 (0): signature is "XMAR", not "DMAR"');
  });

  test('source text that does not compile has no offset: none is printed', () => {
    const e = caught(() => parseSourceText('{ "signature": ')) as DmarError;
    expect(e).toBeInstanceOf(DmarError);
    expect(e.offset).toBeUndefined();
    expect(e.oneLine()).not.toMatch(/offset/);
  });

  test('naming() names the input of an input failure that names none, never of a usage or output failure', () => {
    const thrown = (opts: ConstructorParameters<typeof DmarError>[1]) =>
      (
        caught(() =>
          naming('in.bin', () => {
            throw new DmarError('bad', opts);
          }),
        ) as DmarError
      ).file;
    expect(thrown({ offset: 4 })).toBe('in.bin');
    expect(thrown({ file: 'other.bin' })).toBe('other.bin');
    expect(thrown({ kind: 'usage' })).toBeUndefined();
    expect(thrown({ kind: 'output', file: 'out.bin' })).toBe('out.bin');
  });

  test('locatedLine: each part left out when unknown; decimal: false for the compact form', () => {
    expect(locatedLine({ message: 'm' })).toBe('m');
    expect(locatedLine({ file: 'f', offset: 0x4a, message: 'm' })).toBe('f: offset 0x4a (74): m');
    expect(locatedLine({ file: 'f', offset: 0x4a, message: 'm', id: 'DMAR-X' }, { decimal: false })).toBe('f: offset 0x4a: m (DMAR-X)');
    expect(locatedLine({ file: 'f', offset: null, message: 'm', id: null })).toBe('f: m');
  });
});
