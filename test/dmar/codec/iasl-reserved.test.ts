// Every iasl compiles an integer field named exactly "Reserved" as zero, whatever the source holds
// (ACPICA dtfield.c DtCompileInteger: "Must be zero, setting to zero", a warning it counts without
// printing it). The 2020 dialect calls the DRHD Size byte and a device scope's Flags "Reserved", so a
// real server's 64 KiB register sets came back from iasl as 4 KiB ones without a word. dmar decode
// now warns for every non-zero field it writes under that name; dmar encode keeps the value.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixChecksum } from '../../../src/acpi/header.js';
import { dmar, FIXTURES } from '../../helpers.js';
import { findIasl, runIasl } from '../../iasl.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-iasl-reserved-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// server-2s.bin: DRHD #1 at 0x30 (Size at 0x35), RMRR #1 Reserved at 0x9c (2 bytes), RHSA #1 Reserved at 0xd4 (4 bytes)
const SIZE = 0x35;
const RMRR_RESERVED = 0x9c;
const RHSA_RESERVED = 0xd4;
const table = Buffer.from(readFileSync(join(FIXTURES, 'server-2s.bin')));
table[SIZE] = 4; // 64 KiB of registers
table.writeUInt16LE(0x1234, RMRR_RESERVED);
table.writeUInt32LE(0xdeadbeef, RHSA_RESERVED);
fixChecksum(table);
const bin = join(work, 't.dat');
writeFileSync(bin, table);

const WARN = {
  size: 'Size (named Reserved in this dialect) at 0x35 holds 0x4: an iasl before 20210730 compiles a field named Reserved as zero, a later one refuses the source (iasl -f: as zero); dmar encode keeps it',
  rmrr: 'Reserved at 0x9c holds 0x1234: an iasl before 20210730 compiles a field named Reserved as zero, a later one refuses the source (iasl -f: as zero); dmar encode keeps it',
  rhsa: 'Reserved at 0xd4 holds 0xdeadbeef: an iasl before 20210730 compiles a field named Reserved as zero, a later one refuses the source (iasl -f: as zero); dmar encode keeps it',
};

describe.each([
  ['2020', [WARN.size, WARN.rmrr, WARN.rhsa]],
  ['current', [WARN.rmrr, WARN.rhsa]],
] as const)('the %s dialect', (dialect, warnings) => {
  const dsl = join(work, `${dialect}.dsl`);

  test('a warning for each non-zero field written as Reserved, and none for the same table with them zero', () => {
    const d = dmar(['decode', bin, '--format', 'iasl', '--iasl-dialect', dialect, '-o', dsl]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toBe(warnings.map((w) => `dmar: warning: ${w}\n`).join(''));
    const clean = dmar(['decode', join(FIXTURES, 'server-2s.bin'), '--format', 'iasl', '--iasl-dialect', dialect]);
    expect(clean.stderr).toBe('');
  });

  test('dmar encode reads the source back to the identical bytes', () => {
    const back = join(work, `${dialect}.back`);
    expect(dmar(['encode', dsl, '-o', back]).status).toBe(0);
    expect(readFileSync(back).equals(table)).toBe(true);
  });
});

const found = findIasl();
// CI installs acpica-tools: there a missing iasl is a failure, not a skip
const HAVE_IASL = found.version !== undefined || process.env.CI === 'true';

describe.skipIf(!HAVE_IASL)(`iasl ${found.version ?? '(missing)'}`, () => {
  test('compiles exactly the fields dmar warned about as zero, and keeps every other byte', () => {
    const dialect = found.dialect!;
    copyFileSync(join(work, `${dialect}.dsl`), join(work, 'x.dsl'));
    const r = runIasl(['-p', 'iasl-out', 'x.dsl'], work);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const out = readFileSync(join(work, 'iasl-out.aml'));
    const expected = Buffer.from(table);
    if (dialect === '2020') expected[SIZE] = 0;
    expected.writeUInt16LE(0, RMRR_RESERVED);
    expected.writeUInt32LE(0, RHSA_RESERVED);
    // iasl writes its own Asl Compiler ID and Revision, and so another checksum
    for (const b of [out, expected]) {
      b.fill(0, 28, 36);
      b[9] = 0;
    }
    expect(out.equals(expected)).toBe(true);
  });
});

// The same for an ANDD's padding: iasl -d shows only the Length, and iasl computes the Length from the name.
describe.skipIf(!HAVE_IASL)(`iasl ${found.version ?? '(missing)'}: an ANDD name's padding`, () => {
  test('dmar decode warns that iasl drops it; iasl does, and dmar encode keeps it', () => {
    const doc = JSON.parse(dmar(['decode', '--format', 'json', join(FIXTURES, 'server-2s.bin')]).stdout);
    const andd = doc.structures.find((s: { kind: string }) => s.kind === 'ANDD');
    andd.trailing = '0000000000';
    writeFileSync(join(work, 'padded.json'), JSON.stringify(doc));
    expect(dmar(['encode', join(work, 'padded.json'), '-o', join(work, 'padded.bin')]).status).toBe(0);
    const padded = readFileSync(join(work, 'padded.bin'));
    const r = dmar(['decode', join(work, 'padded.bin'), '--format', 'iasl', '--iasl-dialect', found.dialect!, '-o', join(work, 'padded.dsl')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /dmar: warning: 5 bytes of padding at 0x[0-9a-f]+ after a name: iasl drops them and computes a shorter Length, dmar encode keeps them\n/,
    );
    const c = runIasl(['-p', 'padded-iasl', 'padded.dsl'], work);
    expect(c.status, c.stdout + c.stderr).toBe(0);
    expect(readFileSync(join(work, 'padded-iasl.aml')).length).toBe(padded.length - 5);
    expect(dmar(['encode', join(work, 'padded.dsl'), '-o', join(work, 'back.bin')]).status).toBe(0);
    expect(readFileSync(join(work, 'back.bin')).equals(padded)).toBe(true);
  });
});
