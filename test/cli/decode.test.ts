// dmar decode / encode as a user runs them: sources, formats, errors, colour, atomic output.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ACPIDUMPS, corpusTable, dmar, dmarProcess, FIXTURES, HAVE_CORPUS } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const server = join(FIXTURES, 'server-2s.bin');
const serverBytes = readFileSync(server);

function oneLineError(r: { status: number; stderr: string; stdout: string }, file: string, offset?: number) {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(file);
  if (offset !== undefined) expect(lines[0]).toContain(`offset 0x${offset.toString(16)} `);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

describe('decode: sources', () => {
  test('text is the default and names structures, flags and scopes', () => {
    const r = dmar(['decode', server]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('DRHD #1  Hardware Unit Definition');
    expect(r.stdout).toContain('INCLUDE_PCI_ALL');
    expect(r.stdout).toContain('IOAPIC Device');
    expect(r.stdout).toContain('RHSA #1  Remapping Hardware Static Affinity');
    expect(r.stdout).toContain('"\\_SB.PC00.UAR1"');
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  test('the source encode reads (JSON, iasl) is read too, told apart by content: decode, validate and diff', () => {
    const json = join(work, 'as-source.json');
    const dsl = join(work, 'as-source.dsl');
    writeFileSync(json, dmar(['decode', server, '--json']).stdout);
    writeFileSync(dsl, dmar(['decode', server, '--format', 'iasl']).stdout);
    const text = dmar(['decode', server]).stdout;
    for (const f of [json, dsl]) {
      const r = dmar(['decode', f]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(text);
      expect(dmar(['diff', server, f]).status).toBe(0);
    }
    expect(dmar(['decode', '-', '--format', 'hex'], { input: readFileSync(json) }).stdout).toBe(dmar(['decode', server, '--format', 'hex']).stdout);
    const v = dmar(['validate', json, dsl, '--json']);
    expect(v.status, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).files.map((f: { error?: unknown }) => f.error ?? null)).toEqual([null, null]);
    // source that does not compile: one line naming the file (validate: an unreadable file, exit 2)
    const bad = join(work, 'bad-source.json');
    writeFileSync(bad, readFileSync(json, 'utf8').replace('"hostAddressWidth": 45', '"hostAddressWidth": "wide"'));
    oneLineError(dmar(['decode', bad]), bad);
    const vb = dmar(['validate', bad]);
    expect(vb.status).toBe(2);
    expect(vb.stderr).toContain('hostAddressWidth: "wide" is not a non-negative integer');
  });

  test('- reads stdin', () => {
    const a = dmar(['decode', '-', '--json'], { input: serverBytes });
    const b = dmar(['decode', server, '--format', 'json']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  test("no argument reads the running machine's table from sysfs", () => {
    const root = join(work, 'root');
    mkdirSync(join(root, 'sys/firmware/acpi/tables'), { recursive: true });
    writeFileSync(join(root, 'sys/firmware/acpi/tables/DMAR'), serverBytes);
    const r = dmar(['decode', '--json'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).header.oemTableId).toBe('S2600WF ');
    const none = dmar(['decode'], { env: { DMAR_ROOT: join(work, 'empty') } });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^dmar: .*DMAR: no DMAR table on this machine: .*\n$/);
  });

  describe.skipIf(!HAVE_CORPUS)('acpidump text', () => {
    for (const id of ['055F3A7CF9A9', '0AD635180FE5', '85CAC5E8B9EA']) {
      test(`${id}: the DMAR of a whole dump decodes to the same JSON as the raw table`, () => {
        const dump = dmar(['decode', join(ACPIDUMPS, `${id}.acpidump.txt`), '--json']);
        const raw = dmar(['decode', '-', '--json'], { input: corpusTable(id) });
        expect(dump.status).toBe(0);
        expect(dump.stdout).toBe(raw.stdout);
      });
    }
    test('a dump without DMAR: exit 2 and one line that says so', () => {
      const f = join(ACPIDUMPS, '5D5FF43757A7.nodmar.acpidump.txt');
      const r = dmar(['decode', f]);
      oneLineError(r, f);
      expect(r.stderr).toMatch(/no DMAR table in this acpidump \(it holds .*APIC/);
    });
  });
});

describe('decode: formats', () => {
  test('json carries 64-bit values as strings and everything needed to re-encode', () => {
    const r = dmar(['decode', server, '--json']);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('dmar/1');
    expect(doc.checksumValid).toBe(true);
    expect(doc.structures[0].registerBaseAddress).toBe('0x9d7fc000');
    const src = join(work, 'server.json');
    writeFileSync(src, r.stdout);
    const out = join(work, 'server.bin');
    expect(dmar(['encode', src, '-o', out]).status).toBe(0);
    expect(readFileSync(out).equals(serverBytes)).toBe(true);
  });

  test("iasl output uses ACPICA's line form and encodes back", () => {
    const r = dmar(['decode', server, '--format', 'iasl']);
    expect(r.stdout).toContain('[030h 0048 002h]               Subtable Type : 0000 [Hardware Unit Definition]');
    expect(r.stdout).toContain('                          Size (pages, log2) : 0');
    expect(r.stdout).toContain('Raw Table Data: Length 291 (0x123)');
    expect(r.stderr).toBe('');
    const out = join(work, 'iasl.bin');
    expect(dmar(['encode', '-', '-o', out], { input: r.stdout }).status).toBe(0);
    expect(readFileSync(out).equals(serverBytes)).toBe(true);
  });

  test("hex shows each field's bytes beside its name", () => {
    const r = dmar(['decode', server, '--format', 'hex']);
    expect(r.stdout).toMatch(/^0038  00 c0 7f 9d 00 00 00 00  Register Base Address +0x000000009d7fc000$/m);
    expect(r.stdout).toMatch(/^0025  01 +Flags +0x01  INTR_REMAP$/m);
  });

  test('bytes after Table Length: every format but hex leaves them out and says so on stderr; hex shows them', () => {
    const extra = join(FIXTURES, 'invalid', 'DMAR-HDR-EXTRA-DATA.bin');
    const warning = `dmar: warning: ${extra}: offset 0x88: 4 bytes after Table Length (136) are no part of the table and not shown (--format hex shows them)\n`;
    for (const format of ['text', 'json', 'iasl']) {
      const r = dmar(['decode', extra, '--format', format]);
      expect(r.status, format).toBe(0);
      expect(
        r.stderr
          .split('\n')
          .filter((l) => l.includes('Table Length'))
          .join('\n') + '\n',
        format,
      ).toBe(warning);
    }
    const hex = dmar(['decode', extra, '--format', 'hex']);
    expect(hex.stderr).toBe('');
    expect(hex.stdout).toMatch(/^0088  00 00 00 00 +Past Table Length/m);
    // a table without such bytes: no warning
    expect(dmar(['decode', server]).stderr).toBe('');
  });

  test('proposed parts are marked', () => {
    const r = dmar(['decode', join(FIXTURES, 'qemu-virt-descriptor.bin')]);
    expect(r.stdout).toContain('Virtualization Descriptor (proposed)');
    expect(r.stdout).toContain('KVMKVMKVM');
    const j = JSON.parse(dmar(['decode', join(FIXTURES, 'qemu-virt-descriptor.bin'), '--json']).stdout);
    expect(j.structures[2]).toMatchObject({ type: 0x8001, proposed: true, flags: { VIRTUALIZED: true } });
    expect(j.flags.proposed).toEqual({ IMS_OPTOUT: false });
  });

  test('-o writes the output file', () => {
    const out = join(work, 'decoded.txt');
    expect(dmar(['decode', server, '-o', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Register Base Address');
  });

  test('colour follows FORCE_COLOR and NO_COLOR, and is off when piped', () => {
    expect(dmarProcess(['decode', server], { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).toMatch(/\x1b\[/);
    expect(dmar(['decode', server], { env: { NO_COLOR: '' } }).stdout).not.toMatch(/\x1b\[/);
    expect(dmar(['decode', server], { env: { NO_COLOR: '1' } }).stdout).not.toMatch(/\x1b\[/);
  });
});

describe('bad input: one line naming the file and offset, exit 2', () => {
  const cases: [string, (b: Buffer) => Buffer, number][] = [
    ['truncated inside the header', (b) => b.subarray(0, 20), 20],
    ['wrong signature', (b) => Buffer.concat([Buffer.from('FACP'), b.subarray(4)]), 0],
    ['Table Length past the data', (b) => b.subarray(0, b.length - 10), 4],
    [
      'a structure Length of zero',
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt16LE(0, 50);
        return c;
      },
      50,
    ],
    [
      'a structure Length past the table',
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt16LE(0x400, 50);
        return c;
      },
      50,
    ],
    [
      'a structure Length of 2',
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt16LE(2, 50);
        return c;
      },
      50,
    ],
    [
      'a device scope Entry Length of zero',
      (b) => {
        const c = Buffer.from(b);
        c[65] = 0;
        return c;
      },
      65,
    ],
    [
      'a device scope Entry Length past its structure',
      (b) => {
        const c = Buffer.from(b);
        c[73] = 0x40;
        return c;
      },
      73,
    ],
    [
      'Table Length below the DMAR fixed part',
      (b) => {
        const c = Buffer.from(b);
        c.writeUInt32LE(40, 4);
        return c;
      },
      4,
    ],
  ];
  test.each(cases)('%s', (name, mutate, offset) => {
    const f = join(work, `bad-${name.replace(/\W+/g, '-')}.bin`);
    writeFileSync(f, mutate(serverBytes));
    oneLineError(dmar(['decode', f]), f, offset);
  });

  test('garbage, an empty file, a directory without a table, a missing file', () => {
    const g = join(work, 'garbage.bin');
    writeFileSync(g, Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 151) & 0xff)));
    oneLineError(dmar(['decode', g]), g, 0);
    const e = join(work, 'empty.bin');
    writeFileSync(e, '');
    oneLineError(dmar(['decode', e]), e, 0);
    const empty = join(work, 'no-tables');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README'), 'nothing here\n');
    oneLineError(dmar(['decode', empty]), empty);
    expect(dmar(['decode', empty]).stderr).toBe(`dmar: ${empty}: no DMAR table in this directory\n`);
    oneLineError(dmar(['decode', join(work, 'missing.bin')]), 'missing.bin');
  });

  test('usage errors exit 2', () => {
    expect(dmar(['decode', server, '--format', 'yaml']).status).toBe(2);
    expect(dmar(['decode', server, '--bogus']).status).toBe(2);
    expect(dmar(['frobnicate']).status).toBe(2);
    expect(dmar(['encode', server]).status).toBe(2);
    expect(dmar(['--help']).status).toBe(0);
  });

  test('DMAR_DEBUG=1 shows the stack trace instead, in the source files (the minified bundle through its source map)', () => {
    const f = join(work, 'debug.bin');
    writeFileSync(f, serverBytes.subarray(0, 20));
    const r = dmarProcess(['decode', f], { env: { DMAR_DEBUG: '1' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/\n\s+at decodeDmar \(.*[\\/]src[\\/]dmar[\\/]decode\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/dmar\.cjs:\d+/);
  });
});

describe('one structure numbering: "DRHD #2" is the second DRHD in every output', () => {
  test('decode text and hex, validate, diff and iasl source errors agree', () => {
    const multi = join(FIXTURES, 'multi-segment.bin');
    const text = dmar(['decode', multi]).stdout;
    expect(text.split('\n').filter((l) => l.startsWith('[0x'))).toEqual([
      '[0x030] DRHD #1  Hardware Unit Definition  32 bytes',
      '[0x050] DRHD #2  Hardware Unit Definition  16 bytes',
      '[0x060] RHSA #1  Remapping Hardware Static Affinity  20 bytes',
      '[0x074] RHSA #2  Remapping Hardware Static Affinity  20 bytes',
    ]);
    expect(dmar(['decode', multi, '-f', 'hex']).stdout).toContain('\n-- DRHD #2 Hardware Unit Definition\n0050  ');
    const v = JSON.parse(dmar(['validate', multi, '--json']).stdout);
    expect(v.files[0].findings.map((f: { structure: string; offset: number }) => `${f.structure}@${f.offset}`)).toEqual(['DRHD #2@84']);
    // diff: the second DRHD's Segment changed
    const other = Buffer.from(readFileSync(multi));
    other.writeUInt16LE(7, 0x50 + 6);
    const b = join(work, 'multi-b.bin');
    writeFileSync(b, other);
    expect(dmar(['diff', multi, b]).stdout).toMatch(/~ DRHD segment 1 base 0x3fffc000 +DRHD #2 @0x50\n/);
    // iasl source: a line missing inside the second DRHD names it so
    const dsl = join(work, 'multi.dsl');
    const src = dmar(['decode', multi, '-f', 'iasl']).stdout.split('\n');
    const segments = src.flatMap((l, i) => (l.includes('PCI Segment Number') ? [i] : []));
    src.splice(segments[1]!, 1);
    writeFileSync(dsl, src.join('\n'));
    expect(dmar(['encode', dsl, '-o', join(work, 'never.bin')]).stderr).toContain(
      `line ${segments[1]! + 1}: expected "PCI Segment Number" (DRHD #2), found "Register Base Address"`,
    );
  });
});

describe('decode --lenient', () => {
  // the second structure's Length set to 0: Linux stops reading there
  const broken = join(work, 'zero-length.bin');
  const bytes = Buffer.from(serverBytes);
  const second = 48 + bytes.readUInt16LE(48 + 2);
  bytes.writeUInt16LE(0, second + 2);
  writeFileSync(broken, bytes);
  const mark = `structure type 0 at 0x${second.toString(16)}: Length is 0 (Linux stops reading the table here) (DMAR-STRUCT-ZERO-LENGTH)`;

  test('without it a broken table shows nothing; with it, everything up to the break, the break marked, the rest as bytes, exit 1', () => {
    const strict = dmar(['decode', broken]);
    expect(strict.status).toBe(2);
    expect(strict.stdout).toBe('');
    const r = dmar(['decode', broken, '--lenient']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('Hardware Unit Definition  32 bytes');
    expect(r.stdout).toContain('[0x048] IOAPIC Device  Enumeration ID 0x09');
    const lines = r.stdout.split('\n');
    const at = lines.indexOf(`!! [0x${(second + 2).toString(16).padStart(3, '0')}] ${mark}`);
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toContain(`[0x0${second.toString(16)}] ${serverBytes.length - second} bytes that belong to no field:`);
    expect(lines[at + 2]).toBe(`      [0x0${second.toString(16)}] 00 00 00 00 00 00 00 00 00 c0 ff c5 00 00 00 00`);
    expect(r.stdout).toContain('[0x120] 52 31 00');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('hex and json mark the break too; the JSON keeps every byte; iasl is refused', () => {
    const h = dmar(['decode', broken, '--lenient', '-f', 'hex']);
    expect(h.status).toBe(1);
    expect(h.stdout).toContain(`!! ${(second + 2).toString(16).padStart(4, '0')}  ${mark}`);
    const j = dmar(['decode', broken, '--lenient', '--json']);
    expect(j.status).toBe(1);
    const doc = JSON.parse(j.stdout);
    expect(doc.problems).toEqual([{ code: 'DMAR-STRUCT-ZERO-LENGTH', offset: second + 2, message: expect.stringContaining('Length is 0') }]);
    const src = join(work, 'zero-length.json');
    const back = join(work, 'zero-length-back.bin');
    writeFileSync(src, j.stdout);
    expect(dmar(['encode', src, '-o', back, '--keep-checksum']).status).toBe(0);
    expect(readFileSync(back).equals(bytes)).toBe(true);
    const i = dmar(['decode', broken, '--lenient', '-f', 'iasl']);
    expect(i.status).toBe(2);
    expect(i.stderr).toContain('--lenient shows a broken table as text, hex or json');
  });

  test('a sound table: the same output as without it, exit 0', () => {
    const r = dmar(['decode', server, '--lenient']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(dmar(['decode', server]).stdout);
  });
});

describe('encode', () => {
  test('a bad source leaves no output file and names the line', () => {
    const src = join(work, 'broken.json');
    writeFileSync(src, '{\n  "header": {\n    "oemId": 12\n  },\n  "structures": []\n}\n');
    const out = join(work, 'never.bin');
    const r = dmar(['encode', src, '-o', out]);
    oneLineError(r, src);
    expect(r.stderr).toContain('header.oemId: expected a string');
    expect(existsSync(out)).toBe(false);
    writeFileSync(src, '{ "header": { ,');
    expect(dmar(['encode', src, '-o', out]).stderr).toMatch(/line 1: invalid JSON/);
    expect(readdirSync(work).filter((f) => f.includes('dmar-tmp'))).toEqual([]);
  });

  describe('hostile source: one short line, exit 2', () => {
    const good = () => dmar(['decode', server, '--json']).stdout;
    const iasl = () => dmar(['decode', server, '--format', 'iasl']).stdout;
    const cases: Array<[string, () => string, RegExp]> = [
      [
        'JSON nested 10^5 levels in a field',
        () => good().replace('"hostAddressWidth": 45', `"hostAddressWidth": ${'['.repeat(1e5)}${']'.repeat(1e5)}`),
        /line \d+: nested deeper than 64 levels/,
      ],
      [
        'JSON nested 10^5 levels in an unknown key',
        () => good().replace('{', `{ "x": ${'{"a":'.repeat(1e5)}1${'}'.repeat(1e5)},`),
        /line 1: nested deeper than 64 levels/,
      ],
      [
        'a million-digit number',
        () => good().replace('"hostAddressWidth": 45', `"hostAddressWidth": ${'9'.repeat(1e6)}`),
        /number "9{20}\.\.\." \(1000000 characters\) is longer than 32 characters/,
      ],
      ['1e309 (Infinity to JSON.parse)', () => good().replace('"hostAddressWidth": 45', '"hostAddressWidth": 1e309'), /number 1e309 is out of range/],
      [
        '2^64 (rounded by JSON.parse)',
        () => good().replace('"hostAddressWidth": 45', '"hostAddressWidth": 18446744073709551616'),
        /number 18446744073709551616 is out of range/,
      ],
      [
        'a million-digit iasl value',
        () => iasl().replace('Host Address Width : 2D', `Host Address Width : ${'9'.repeat(1e6)}`),
        /Host Address Width: "9{40}\.\.\." \(1000000 characters\) does not fit in 1 byte/,
      ],
      [
        'an iasl value of 10^5 parentheses and control bytes',
        () => iasl().replace('Host Address Width : 2D', `Host Address Width : \x1b[31m\x9b${'('.repeat(1e5)}`),
        /expected a hex number, found "\\u001b\[31m\\u009b\(+\.\.\." \(100006 characters\)/,
      ],
    ];
    test.each(cases)('%s', (name, make, message) => {
      const src = join(work, `hostile-${name.replace(/\W+/g, '-')}.src`);
      writeFileSync(src, make());
      const out = join(work, 'hostile.bin');
      const r = dmar(['encode', src, '-o', out]);
      oneLineError(r, src);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.length).toBeLessThan(src.length + 160);
      expect(r.stderr).not.toMatch(/internal error|null/);
      expect(r.stderr).not.toMatch(/[\x1b\x80-\x9f]/);
      expect(existsSync(out)).toBe(false);
    });
  });

  test('an iasl source error names the line', () => {
    const r = dmar(['decode', server, '--format', 'iasl']);
    const src = join(work, 'broken.dsl');
    writeFileSync(src, r.stdout.replace('Register Base Address : 000000009D7FC000', 'Register Base Address : 9D7FC00G'));
    const e = dmar(['encode', src, '-o', join(work, 'x.bin')]);
    oneLineError(e, src);
    expect(e.stderr).toMatch(/line \d+: Register Base Address: expected a hex number/);
  });

  test('a write that fails (no such directory) leaves nothing behind', () => {
    const src = join(work, 'ok.json');
    writeFileSync(src, dmar(['decode', server, '--json']).stdout);
    const r = dmar(['encode', src, '-o', join(work, 'no/such/dir/out.bin')]);
    oneLineError(r, 'out.bin');
    expect(r.stderr).toContain('no such directory');
  });

  test('--keep-checksum keeps the checksum the source gives', () => {
    const doc = JSON.parse(dmar(['decode', server, '--json']).stdout);
    doc.header.checksum = 0x42;
    const src = join(work, 'cs.json');
    writeFileSync(src, JSON.stringify(doc));
    const fixed = join(work, 'cs-fixed.bin');
    const kept = join(work, 'cs-kept.bin');
    const rf = dmar(['encode', src, '-o', fixed]);
    expect(rf.status, rf.stderr).toBe(0);
    expect(dmar(['encode', src, '-o', kept, '--keep-checksum']).status).toBe(0);
    expect(readFileSync(fixed).equals(serverBytes)).toBe(true);
    expect(readFileSync(kept)[9]).toBe(0x42);
  });
});

describe('decode: several tables in one process', () => {
  const multi = join(FIXTURES, 'multi-segment.bin');
  const binaries = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => join(FIXTURES, f));

  test('--format json: JSON Lines, one document per table naming its file, each the single-file document', () => {
    const r = dmar(['decode', '--json', server, FIXTURES]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    const docs = lines.map((l) => JSON.parse(l));
    expect(docs.map((d) => d.file)).toEqual([server, ...binaries]);
    expect(Object.keys(docs[0])[0]).toBe('file');
    const { file: _, ...rest } = docs[0];
    expect(rest).toEqual(JSON.parse(dmar(['decode', '--json', server]).stdout));
  });

  test('text: each table opens with "==> FILE <==" and reads as the single-file output', () => {
    const r = dmar(['decode', server, multi]);
    expect(r.status).toBe(0);
    const one = (f: string) => dmar(['decode', f]).stdout;
    expect(r.stdout).toBe(`==> ${server} <==\n${one(server)}\n==> ${multi} <==\n${one(multi)}`);
  });

  test('iasl: the banner is a comment', () => {
    const r = dmar(['decode', '--format', 'iasl', server, multi]);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^\/\* ==> .* <== \*\/$/gm)).toEqual([`/* ==> ${server} <== */`, `/* ==> ${multi} <== */`]);
  });

  test('a table that cannot be read is one line on stderr; the others are decoded; exit 2', () => {
    const broken = join(FIXTURES, 'invalid', 'DMAR-HDR-SIGNATURE.bin');
    const r = dmar(['decode', '--json', server, broken, '/nonexistent.bin', multi]);
    expect(r.status).toBe(2);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).file),
    ).toEqual([server, multi]);
    const err = r.stderr.trim().split('\n');
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(/^dmar: .*DMAR-HDR-SIGNATURE\.bin: offset 0x0 .*signature is "APIC"/);
    expect(err[1]).toBe('dmar: /nonexistent.bin: no such file');
  });

  test('-o writes every table to one file', () => {
    const out = join(work, 'all.jsonl');
    const r = dmar(['decode', '--json', server, multi, '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(dmar(['decode', '--json', server, multi]).stdout);
  });
});

test('--format hex ends no line with blanks (a continuation line and a nameless row were padded out)', () => {
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.bin'))) {
    const r = dmar(['decode', join(FIXTURES, f), '--format', 'hex']);
    expect(r.status, f).toBe(0);
    expect(
      r.stdout.split('\n').filter((l) => / $/.test(l)),
      f,
    ).toEqual([]);
  }
});
