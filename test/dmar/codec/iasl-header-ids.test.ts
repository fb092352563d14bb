// Header IDs iasl source cannot carry (a non-ASCII Creator ID, an OEM Table ID starting with 0x01,
// an OEM ID with a NUL inside, escape sequences): dmar writes them as `iasl -d` does (ACPICA
// AcpiUtCheckAndRepairAscii: non-printable bytes as spaces, the string ends at a NUL), warns on
// stderr, and the source compiles with dmar encode and with a real iasl; JSON keeps the exact bytes.
// No table of the corpus has such IDs (every header was scanned): these are real tables with one
// ID changed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixChecksum } from '../../../src/acpi/header.js';
import { corpusTable, dmar, HAVE_CORPUS } from '../../helpers.js';
import { dialectForRelease } from '../../../src/dmar/codec/iasl.js';

const iaslVersion = (() => {
  const r = spawnSync('iasl', ['-v'], { encoding: 'utf8', timeout: 10_000 });
  return /version (\d{8})/.exec(r.stdout ?? '')?.[1];
})();
// CI installs acpica-tools: there a missing iasl is a failure, not a skip
const HAVE_IASL = iaslVersion !== undefined || process.env.CI === 'true';
/** The field names iasl accepts: the 2020 ones up to 20241212, the current ones from 20250404. */
const dialect = iaslVersion !== undefined ? dialectForRelease(Number(iaslVersion)) : 'current';

const work = mkdtempSync(join(tmpdir(), 'dmar-ids-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Case {
  name: string;
  field: string;
  offset: number;
  bytes: number[];
  /** What iasl -d writes between the quotes. */
  iasl: string;
}

const CASES: Case[] = [
  { name: 'non-ASCII Creator ID', field: 'Asl Compiler ID', offset: 0x1c, bytes: [0x49, 0x4e, 0x54, 0xa9], iasl: 'INT ' },
  { name: 'OEM Table ID starting with 0x01', field: 'Oem Table ID', offset: 0x10, bytes: [0x01, 0x41, 0x42, 0x43, 0x20, 0x20, 0x20, 0x20], iasl: ' ABC    ' },
  { name: 'OEM ID with a NUL inside', field: 'Oem ID', offset: 0x0a, bytes: [0x41, 0x42, 0x00, 0x43, 0x44, 0x20], iasl: 'AB' },
  { name: 'OEM ID with ESC, BEL and CSI', field: 'Oem ID', offset: 0x0a, bytes: [0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x9b], iasl: ' [2J  ' },
];

/** A real table (an HP ProBook's) with one header ID replaced and the checksum fixed. */
function table(c: Case): { path: string; bytes: Buffer } {
  const b = new Uint8Array(corpusTable('00E0F92B4B80'));
  b.set(c.bytes, c.offset);
  fixChecksum(b);
  const path = join(work, `${c.field.replace(/ /g, '-')}-${c.bytes.map((x) => x.toString(16)).join('')}.dat`);
  writeFileSync(path, b);
  return { path, bytes: Buffer.from(b) };
}

/** The table iasl -d's source stands for: the ID as it writes it, NUL padded. */
function repaired(c: Case, bytes: Buffer): Buffer {
  const r = Buffer.from(bytes);
  r.fill(0, c.offset, c.offset + c.bytes.length);
  r.write(c.iasl, c.offset, 'latin1');
  fixChecksum(r);
  return r;
}

const fieldLine = (src: string, field: string) =>
  src
    .split('\n')
    .find((l) => l.includes(` ${field} : `))
    ?.replace(/^\s*\[[^\]]*\]\s*/, '');

describe.skipIf(!HAVE_CORPUS).each(CASES)('$name', (c) => {
  test('decode --format iasl: printable ASCII, the ID as iasl -d writes it, one warning naming field and bytes', () => {
    const { path } = table(c);
    const r = dmar(['decode', path, '--format', 'iasl', '--iasl-dialect', dialect]);
    expect(r.status).toBe(0);
    expect([...r.stdoutBytes].every((x) => x === 0x0a || (x >= 0x20 && x <= 0x7e))).toBe(true);
    expect(fieldLine(r.stdout, c.field)).toBe(`${c.field} : "${c.iasl}"`);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(1);
    const hexBytes = c.bytes.map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    expect(warnings[0]).toContain(`dmar: warning: ${c.field} at 0x${c.offset.toString(16)} is ${hexBytes}: iasl source cannot carry it exactly`);
    expect(warnings[0]).toContain('the JSON format keeps the exact bytes');
  });

  test('dmar encode reads its own iasl source back: the table iasl -d would give', () => {
    const { path, bytes } = table(c);
    const src = join(work, `${c.offset}-${c.iasl.length}.dsl`);
    writeFileSync(src, dmar(['decode', path, '--format', 'iasl']).stdoutBytes);
    const out = `${src}.bin`;
    const e = dmar(['encode', src, '-o', out]);
    expect(e.status, e.stderr).toBe(0);
    expect(readFileSync(out).equals(repaired(c, bytes))).toBe(true);
  });

  test('the round trip through JSON is exact', () => {
    const { path, bytes } = table(c);
    const json = join(work, `${c.offset}-${c.bytes.join('')}.json`);
    const d = dmar(['decode', path, '--json', '-o', json]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toBe('');
    const out = `${json}.bin`;
    expect(dmar(['encode', json, '-o', out]).status).toBe(0);
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });

  describe.skipIf(!HAVE_IASL)(`with iasl ${iaslVersion ?? '(missing)'}`, () => {
    test("iasl -d writes the ID as dmar does, and iasl compiles dmar's source (it did not: no output, exit 0)", () => {
      const { path, bytes } = table(c);
      const dir = mkdtempSync(join(work, 'iasl-'));
      writeFileSync(join(dir, 't.dat'), bytes);
      const d = spawnSync('iasl', ['-d', 't.dat'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      expect(d.status, d.stdout + d.stderr).toBe(0);
      const theirs = readFileSync(join(dir, 't.dsl'), 'latin1');
      expect(fieldLine(theirs, c.field)).toBe(`${c.field} : "${c.iasl}"`);

      writeFileSync(join(dir, 'ours.dsl'), dmar(['decode', path, '--format', 'iasl', '--iasl-dialect', dialect]).stdoutBytes);
      const r = spawnSync('iasl', ['ours.dsl'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/appears to be binary/);
      expect(existsSync(join(dir, 'ours.aml'))).toBe(true);
      // iasl writes its own Asl Compiler ID and Revision (and so its own checksum): compare the rest
      const strip = (b: Buffer) => {
        const x = Buffer.from(b);
        x.fill(0, 28, 36);
        x[9] = 0;
        return x;
      };
      expect(strip(readFileSync(join(dir, 'ours.aml'))).equals(strip(repaired(c, bytes)))).toBe(true);
    });
  });
});

// the warning quotes what it wrote as every other view quotes a firmware string: a '"' inside is escaped
test('the warning quotes the written string with its quotes escaped', () => {
  const path = join(work, 'quote.bin');
  writeFileSync(path, dmar(['encode', '-', '-o', '-'], { input: '{"header": {"oemId": "A\\"B\\u00e9"}, "hostAddressWidth": 38}' }).stdoutBytes);
  const r = dmar(['decode', path, '--format', 'iasl']);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('written "A\\"B " (bytes E9 as spaces)');
});
