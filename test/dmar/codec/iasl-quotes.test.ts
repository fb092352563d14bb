// Strings iasl source writes as they are, quote and comment marks included: `iasl -d` writes a '"'
// inside a value unescaped (`Oem ID : "A"//BC"`), and an ANDD name may hold "/*" or the words
// "Raw Table Data". dmar's reader takes a quoted value to the line's last quote and stops at
// "Raw Table Data" only at a line's start, so that dmar encode reads back the very bytes (it used
// to drop what followed the '"' without a word); dmar decode warns that iasl itself cannot.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixChecksum } from '../../../src/acpi/header.js';
import { dmar, FIXTURES } from '../../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-iasl-quotes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const base = readFileSync(join(FIXTURES, 'server-2s.bin'));
/** server-2s.bin's ANDD Device Name field: 0x114 to the structure's end. */
const ANDD_NAME = 0x114;

/** The fixture with `text` written at `offset` (NUL padded to `size` when given), the checksum fixed. */
function patched(name: string, offset: number, text: string, size = text.length): string {
  const b = Buffer.from(base);
  b.fill(0, offset, offset + size);
  b.write(text, offset, 'latin1');
  fixChecksum(b);
  const p = join(work, name);
  writeFileSync(p, b);
  return p;
}

const CASES: [string, string][] = [
  ['an Oem ID with "//', patched('oem-slashes.bin', 0x0a, 'A"//BC')],
  ['an Oem ID with "/*', patched('oem-comment.bin', 0x0a, 'A"/*BC')],
  ['an Oem Table ID with " and */', patched('oemtable.bin', 0x10, 'X"*/Y"//')],
  ['an ANDD name with "/*', patched('andd-comment.bin', ANDD_NAME, '\\_SB"/*PC0.UAR', 15)],
];

describe('iasl source with quotes and comment marks inside values', () => {
  test.each(CASES)('%s: decode --format iasl, encode gives the identical bytes, with a warning', (_what, path) => {
    const dsl = `${path}.dsl`;
    const d = dmar(['decode', path, '--format', 'iasl', '-o', dsl]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toMatch(/iasl cannot compile it back, dmar encode can/);
    const out = `${path}.back`;
    const e = dmar(['encode', dsl, '-o', out]);
    expect(e.status, e.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(path))).toBe(true);
  });

  test('"Raw Table Data" inside a value is a value, not the start of the hex dump', () => {
    const doc = JSON.parse(readFileSync(join(FIXTURES, 'server-2s.json'), 'utf8'));
    doc.structures.find((s: { kind?: string }) => s.kind === 'ANDD').deviceName = '\\_SB.Raw Table Data';
    const json = join(work, 'andd-raw-words.json');
    writeFileSync(json, JSON.stringify(doc));
    const bin = join(work, 'andd-raw-words.dat');
    expect(dmar(['encode', json, '-o', bin]).status).toBe(0);
    const d = dmar(['decode', bin, '--format', 'iasl', '-o', `${bin}.dsl`]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toContain('holds "Raw Table Data", where iasl stops reading source');
    const e = dmar(['encode', `${bin}.dsl`, '-o', `${bin}.back`]);
    expect(e.status, e.stderr).toBe(0);
    expect(readFileSync(`${bin}.back`).equals(readFileSync(bin))).toBe(true);
  });

  test('a comment after a value may hold quotes: the closing quote is the one that leaves a comment (or nothing) after it and fits the field', () => {
    const dsl = readFileSync(`${CASES[0]![1]}.dsl`, 'latin1');
    const cases: [string, string][] = [
      ['"AB" /*"*/', 'AB'],
      ['"BOCHS " /* was "X" */', 'BOCHS '],
      ['"BOCHS " // "x"', 'BOCHS '],
      ['"A"//BC"', 'A"//BC'],
      ['"A"B" // c', 'A"B'],
      ['"AB" /* note: "q"\n still a comment */', 'AB'],
    ];
    for (const [value, oemId] of cases) {
      const p = join(work, 'comment.dsl');
      writeFileSync(
        p,
        dsl.replace(/Oem ID : .*/, () => `Oem ID : ${value}`),
        'latin1',
      );
      const e = dmar(['encode', p, '-o', `${p}.bin`]);
      expect(e.status, `${value}: ${e.stderr}`).toBe(0);
      expect(JSON.parse(dmar(['decode', `${p}.bin`, '--json']).stdout).header.oemId, value).toBe(oemId);
    }
  });

  // what a real iasl -d writes for such a string, dmar encode reads back as the same bytes
  const haveIasl = spawnSync('iasl', ['-v'], { timeout: 10_000 }).status === 0;
  test.skipIf(!haveIasl && process.env.CI !== 'true')('iasl -d\'s own source for an Oem ID with "// reads back as the same bytes', () => {
    const src = join(work, 'real.dat');
    copyFileSync(CASES[0]![1], src);
    const r = spawnSync('iasl', ['-d', src], { cwd: work, encoding: 'utf8', timeout: 30_000 });
    expect(existsSync(join(work, 'real.dsl')), r.stdout + r.stderr).toBe(true);
    expect(readFileSync(join(work, 'real.dsl'), 'latin1')).toContain('"A"//BC"');
    const e = dmar(['encode', join(work, 'real.dsl'), '-o', join(work, 'real.back')]);
    expect(e.status, e.stderr).toBe(0);
    expect(readFileSync(join(work, 'real.back')).equals(readFileSync(src))).toBe(true);
  });
});

describe('a line of many quotes is read once, not once per quote', async () => {
  const { sourceEntries } = await import('../../../src/dmar/codec/iasl.js');
  // each quote used to look for its closing quote through the rest of the line, and again from the next
  // quote when none closed: 64 KB of quotes took 22 s, 16 MiB of source would not end
  test('200,000 quotes, none closing a value: the line is refused, named', () => {
    const line = `/x${'x"'.repeat(200_000)}x`;
    expect(() => sourceEntries(`Signature : "DMAR"\n${line}\nOem ID : "AB" // "q"\n`)).toThrow(/^line 2: expected "Field Name : value"/);
  });
  test('200,000 quotes after a field name, each followed by a blank: the value runs to the last that fits', () => {
    const e = sourceEntries(`Oem ID : ${'" '.repeat(200_000)}/\n`);
    expect(e).toHaveLength(1);
    expect(e[0]!.name).toBe('Oem ID');
  });
});
