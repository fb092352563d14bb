// dmar validate on the command line: many inputs in one process, exit status, formats, selection, the catalogue.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { catalogueMarkdown, CHECKS } from '../../src/dmar/validate/index.js';
import { acpidumpText, madtWithIoapics } from '../dmar/validate/tables.js';
import { section as docSection } from '../docs/pages.js';
import { dmar, dmarProcess, FIXTURES, ROOT } from '../helpers.js';
import { invalidDoc, invalidFixture } from '../../tools/fixtures/invalid.js';

const INVALID = join(FIXTURES, 'invalid');
const bad = (id: string) => join(INVALID, `${id}.bin`);
const tmp = () => mkdtempSync(join(tmpdir(), 'dmar-validate-'));
/** A JSON source (its table has one warning): the DMAR-HDR-REVISION fixture's document, from its generator. */
const VALID = join(tmp(), 'DMAR-HDR-REVISION.json');
writeFileSync(VALID, JSON.stringify(invalidDoc(invalidFixture('DMAR-HDR-REVISION')), null, 2));

/** A table with no finding at all: the invalid fixtures' baseline, encoded by the CLI. */
function cleanTable(): string {
  const dir = tmp();
  const doc = JSON.parse(readFileSync(VALID, 'utf8'));
  doc.header.revision = 1;
  writeFileSync(join(dir, 'clean.json'), JSON.stringify(doc));
  const r = dmar(['encode', join(dir, 'clean.json'), '-o', join(dir, 'clean.bin')]);
  expect(r.status).toBe(0);
  return join(dir, 'clean.bin');
}

function json(args: string[], input?: Buffer | string) {
  const r = dmar(['validate', '--format', 'json', ...args], { input });
  return { ...r, doc: JSON.parse(r.stdout) };
}

describe('exit status', () => {
  test('0 for a clean table, 1 for an error finding, 2 when an input is not a DMAR table', () => {
    expect(dmar(['validate', cleanTable()]).status).toBe(0);
    expect(dmar(['validate', bad('DMAR-RMRR-ALIGN')]).status).toBe(1);
    expect(dmar(['validate', bad('DMAR-HDR-SIGNATURE')]).status).toBe(2);
  });

  test('--fail-on lowers the bar: a warning fails with --fail-on warning, an info with --fail-on info', () => {
    expect(dmar(['validate', bad('DMAR-HDR-REVISION')]).status).toBe(0);
    expect(dmar(['validate', bad('DMAR-HDR-REVISION'), '--fail-on', 'warning']).status).toBe(1);
    expect(dmar(['validate', bad('DMAR-FLAGS-IMS-OPTOUT'), '--fail-on', 'warning']).status).toBe(0);
    expect(dmar(['validate', bad('DMAR-FLAGS-IMS-OPTOUT'), '--fail-on', 'info']).status).toBe(1);
  });

  test('one unreadable input does not stop the others; the run exits 2', () => {
    const { status, doc } = json(['/nonexistent/DMAR', bad('DMAR-RMRR-ALIGN'), bad('DMAR-HDR-TRUNCATED')]);
    expect(status).toBe(2);
    expect(doc.files).toHaveLength(3);
    expect(doc.files[0]).toMatchObject({ file: '/nonexistent/DMAR', error: 'no such file', id: null, findings: [] });
    expect(doc.files[1].findings.map((f: { id: string }) => f.id)).toEqual(['DMAR-RMRR-ALIGN']);
    expect(doc.files[2]).toMatchObject({ id: 'DMAR-HDR-TRUNCATED', offset: 40, findings: [] });
    expect(doc.summary).toEqual({ files: 3, error: 1, warning: 0, info: 0, unreadable: 2 });
  });

  test('usage errors exit 2 with one line: unknown check ID, bad --fail-on', () => {
    const r = dmar(['validate', '--only', 'DMAR-NO-SUCH', cleanTable()]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('unknown check ID DMAR-NO-SUCH');
    expect(dmar(['validate', '--ignore', 'DMAR-RMRR-ALIGN,NOPE', cleanTable()]).status).toBe(2);
    expect(dmar(['validate', '--fail-on', 'never', cleanTable()]).status).toBe(2);
  });

  test('--only with no check ID ("$CHECKS" unset) is a usage error, not a run of no checks that passes; an empty --ignore ignores nothing', () => {
    for (const v of ['', ',', ' , ']) {
      const r = dmar(['validate', '--only', v, bad('DMAR-RMRR-ALIGN')]);
      expect(r.status, JSON.stringify(v)).toBe(2);
      expect(r.stderr).toBe('dmar: --only: no check ID given\n');
    }
    expect(dmar(['validate', '--ignore', '', bad('DMAR-RMRR-ALIGN')]).status).toBe(1);
  });

  test("the stray bytes after the last structure are the table's finding, of no structure", () => {
    const { doc } = json([bad('DMAR-TABLE-TRAILING')]);
    const f = doc.files[0].findings.find((x: { id: string }) => x.id === 'DMAR-TABLE-TRAILING');
    expect(f).toMatchObject({ offset: 136, structure: null });
    expect(dmar(['validate', bad('DMAR-TABLE-TRAILING')]).stdout).not.toContain('at index');
  });
});

describe('selection', () => {
  test('--ignore drops a check, --only keeps only the named ones (comma lists, repeated options, PREFIX*)', () => {
    expect(dmar(['validate', bad('DMAR-RMRR-ALIGN'), '--ignore', 'DMAR-RMRR-ALIGN']).status).toBe(0);
    expect(dmar(['validate', bad('DMAR-RMRR-ALIGN'), '--ignore', 'DMAR-RMRR-*']).status).toBe(0);
    expect(dmar(['validate', bad('DMAR-RMRR-ALIGN'), '--only', 'DMAR-HDR-CHECKSUM,DMAR-DRHD-*']).status).toBe(0);
    expect(dmar(['validate', bad('DMAR-RMRR-ALIGN'), '--only', 'DMAR-HDR-CHECKSUM', '--only', 'DMAR-RMRR-ALIGN']).status).toBe(1);
  });
});

describe('directories', () => {
  test('every DMAR table in a directory (raw or acpidump text); other files are skipped silently', () => {
    const dir = tmp();
    copyFileSync(bad('DMAR-RMRR-ALIGN'), join(dir, 'a.bin'));
    copyFileSync(cleanTable(), join(dir, 'b.dat'));
    writeFileSync(
      join(dir, 'c.txt'),
      acpidumpText([
        ['APIC', madtWithIoapics([2, 9])],
        ['DMAR', readFileSync(cleanTable())],
      ]),
    );
    writeFileSync(join(dir, 'MANIFEST.tsv'), 'file\tvendor\n');
    writeFileSync(join(dir, 'other.acpidump'), acpidumpText([['APIC', madtWithIoapics([2])]]));
    copyFileSync(VALID, join(dir, 'source.json'));
    mkdirSync(join(dir, 'sub'));
    const { status, doc } = json([dir]);
    expect(doc.files.map((f: { file: string }) => f.file)).toEqual(['a.bin', 'b.dat', 'c.txt'].map((n) => join(dir, n)));
    expect(status).toBe(1);
    // the acpidump brings its MADT: I/O APIC 9 has no remapping unit
    expect(doc.files[2].findings.map((f: { id: string }) => f.id)).toEqual(['DMAR-MADT-IOAPIC-UNMAPPED']);
  });

  test("a directory's files are named as path.join names them: `.`, `/`-ended and unnormalised directories", () => {
    const dir = tmp();
    mkdirSync(join(dir, 'sub'));
    copyFileSync(cleanTable(), join(dir, 'sub', 't.bin'));
    for (const [arg, cwd] of [
      ['.', join(dir, 'sub')],
      ['sub/', dir],
      ['./sub/../sub//', dir],
      [join(dir, 'sub') + '/', undefined],
    ] as const) {
      const r = dmar(['validate', '--json', arg], cwd ? { cwd } : {});
      expect(
        JSON.parse(r.stdout).files.map((f: { file: string }) => f.file),
        arg,
      ).toEqual([join(arg, 't.bin')]);
    }
  });

  test('a file that is not a DMAR table is an error when named explicitly', () => {
    const other = join(tmp(), 'facp.bin');
    writeFileSync(other, Buffer.concat([Buffer.from('FACP'), Buffer.alloc(60)]));
    const { status, doc } = json([other]);
    expect(status).toBe(2);
    expect(doc.files[0].id).toBe('DMAR-HDR-SIGNATURE');
  });

  test("a JSON source named explicitly is validated as the table it describes (a directory's are not candidates)", () => {
    const { status, doc } = json([VALID]);
    expect(status).toBe(0);
    expect(doc.files[0].findings.map((f: { id: string }) => f.id)).toEqual(['DMAR-HDR-REVISION']);
  });

  test('a directory without any DMAR table is an error (a CI pointed at the wrong place must not pass)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'README'), 'nothing here\n');
    const { status, doc } = json([dir]);
    expect(status).toBe(2);
    expect(doc.files[0]).toMatchObject({ file: dir, error: 'no DMAR table in this directory' });
  });

  test('stdin', () => {
    const { status, doc } = json(['-'], readFileSync(bad('DMAR-DRHD-BASE-ZERO')));
    expect(status).toBe(1);
    expect(doc.files[0].file).toBe('stdin');
    expect(doc.files[0].findings[0]).toMatchObject({ id: 'DMAR-DRHD-BASE-ZERO', offset: 56, structure: 'DRHD #1' });
  });
});

describe('formats', () => {
  test('json: the documented shape', () => {
    const { doc } = json([bad('DMAR-VIRT-REVISION')]);
    expect(Object.keys(doc)).toEqual(['format', 'files', 'summary']);
    expect(doc.format).toBe('dmar-validate/1');
    const f = doc.files[0].findings.find((x: { id: string }) => x.id === 'DMAR-VIRT-REVISION');
    expect(f).toEqual({
      id: 'DMAR-VIRT-REVISION',
      severity: 'warning',
      offset: 140,
      structure: 'VIRT #1',
      message: 'Revision is 2',
      hint: expect.any(String),
      proposed: true,
    });
    const scoped = json([bad('DMAR-SCOPE-EMPTY-PATH')]).doc.files[0].findings[0];
    expect(Object.keys(scoped)).toEqual(['id', 'severity', 'offset', 'structure', 'scope', 'message', 'hint']);
    const table = json([bad('DMAR-HDR-CHECKSUM')]).doc.files[0].findings[0];
    expect(table.structure).toBeNull();
  });

  test('text: grouped by file, hex offset, hint, proposed label, summary line', () => {
    const r = dmar(['validate', bad('DMAR-RMRR-ALIGN'), bad('DMAR-VIRT-REVISION')]);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(bad('DMAR-RMRR-ALIGN'));
    expect(lines[1]).toMatch(/^ {2}error {4}0x070 {2}DMAR-RMRR-ALIGN +RMRR #1: Base Address 0x7b800800 is not 4 KiB aligned$/);
    expect(lines[2]).toMatch(/^ +fix: Linux: FW_BUG/);
    expect(r.stdout).toMatch(/VIRT #1: Revision is 2 \(proposed\)/);
    expect(lines.at(-2)).toBe('2 tables: 1 error, 1 warning, 1 info');
    expect(r.stdout).not.toContain('\x1b[');
  });

  test('text is coloured by severity when colour is forced', () => {
    const r = dmarProcess(['validate', bad('DMAR-RMRR-ALIGN')], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(r.stdout).toContain('\x1b[');
  });

  test('-o writes the report to a file (no colour), stdout stays empty', () => {
    const out = join(tmp(), 'report.xml');
    const r = dmarProcess(['validate', bad('DMAR-RMRR-ALIGN'), '--format', 'junit', '-o', out], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^<\?xml/);
  });
});

describe('validate in CI: nothing unreadable passes unnoticed', () => {
  test('a candidate file of a directory that is not a readable DMAR table is reported (exit 2), beside good tables', () => {
    const dir = tmp();
    copyFileSync(cleanTable(), join(dir, 'good.bin'));
    const broken = readFileSync(cleanTable());
    broken.write('XMAR', 0, 'latin1'); // a damaged signature (its checksum is now wrong too)
    writeFileSync(join(dir, 'broken.bin'), broken);
    copyFileSync(bad('DMAR-HDR-SIGNATURE'), join(dir, 'also-broken.dat')); // another signature, checksum fixed
    writeFileSync(join(dir, 'DMAR'), Buffer.alloc(20)); // named like a table, too short for one
    writeFileSync(join(dir, 'apic.dat'), madtWithIoapics([1])); // acpidump -b's file of another table
    writeFileSync(join(dir, 'notes.txt'), 'not a table\n');
    const { status, doc, stderr } = json([dir]);
    expect(status).toBe(2);
    expect(doc.files.map((f: { file: string }) => f.file)).toEqual(['DMAR', 'also-broken.dat', 'broken.bin', 'good.bin'].map((n) => join(dir, n)));
    expect(doc.files[2]).toMatchObject({ id: 'DMAR-HDR-SIGNATURE', offset: 0, findings: [] });
    expect(doc.files[3]).toEqual({ file: join(dir, 'good.bin'), findings: [] });
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(`dmar: ${join(dir, 'broken.bin')}: offset 0x0: signature is "XMAR", not "DMAR" (DMAR-HDR-SIGNATURE)`);
  });

  test('a file of a directory that cannot be read is reported (exit 2), never passed over; a name that is not UTF-8 is read and shown as \\xNN', () => {
    const dir = tmp();
    copyFileSync(cleanTable(), join(dir, 'good.bin'));
    // a symlink loop: open(2) fails with ELOOP, as a file this user may not read fails with EACCES
    symlinkSync('loop.bin', join(dir, 'loop.bin'));
    // a dangling symlink is a file that is gone: no candidate
    symlinkSync('nowhere', join(dir, 'dangling.bin'));
    const latin1Name = Buffer.concat([Buffer.from(dir + '/bad'), Buffer.from([0xe9]), Buffer.from('.bin')]);
    copyFileSync(bad('DMAR-HDR-CHECKSUM'), latin1Name);
    const { status, doc, stderr } = json([dir]);
    expect(status).toBe(2);
    expect(doc.files.map((f: { file: string }) => f.file)).toEqual([join(dir, 'bad\\xe9.bin'), join(dir, 'good.bin'), join(dir, 'loop.bin')]);
    expect(doc.files[0].findings.map((f: { id: string }) => f.id)).toEqual(['DMAR-HDR-CHECKSUM']);
    expect(stderr).toContain(`dmar: ${join(dir, 'loop.bin')}: too many levels of symbolic links`);
    expect(dmar(['decode', dir, '--json']).stdout).toContain(`"file":${JSON.stringify(join(dir, 'bad\\xe9.bin'))}`);
  });

  test('a symlink to a socket is no candidate (open fails with ENXIO): skipped, not reported', async () => {
    const dir = tmp();
    copyFileSync(cleanTable(), join(dir, 'good.bin'));
    const sock = join(tmp(), 's.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      symlinkSync(sock, join(dir, 'notes.bin'));
      const r = dmar(['validate', dir]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      server.close();
    }
  });

  test('a raw table of a directory over the table limit is refused as the same file given alone is', () => {
    const dir = tmp();
    const big = Buffer.alloc(48 + 24 * 100);
    big.write('DMAR', 0, 'latin1');
    big.writeUInt32LE(big.length, 4);
    for (let o = 48; o < big.length; o += 24) {
      big.writeUInt16LE(1, o);
      big.writeUInt16LE(24, o + 2);
    }
    writeFileSync(join(dir, 'big.bin'), big);
    copyFileSync(cleanTable(), join(dir, 'good.bin'));
    const alone = dmar(['validate', join(dir, 'big.bin'), '--max-input', '1K']);
    const listed = dmar(['validate', dir, '--max-input', '1K']);
    expect(alone.status).toBe(2);
    expect(listed.status).toBe(2);
    expect(listed.stderr).toBe(alone.stderr);
    expect(listed.stderr).toMatch(/over the 1 KiB table limit/);
    expect(listed.stdout).toContain('1 table: 0 errors, 0 warnings, 0 info, 1 unreadable');
  });

  test('--help says which files of a directory are candidates', () => {
    const r = dmar(['validate', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('named *.dat, *.bin, *.dmar, *.aml or DMAR');
  });

  test('errors go to stderr, not into the report; a missing file is no table', () => {
    const r = dmar(['validate', '/nonexistent/DMAR', cleanTable()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('dmar: /nonexistent/DMAR: no such file\n');
    expect(r.stdout).not.toContain('nonexistent');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('1 table: 0 errors, 0 warnings, 0 info, 1 unreadable');
    const alone = dmar(['validate', '/nonexistent/DMAR']);
    expect(alone.stdout.trim()).toBe('0 tables: 0 errors, 0 warnings, 0 info, 1 unreadable');
  });

  test('-o FILE prints the one-line summary on stderr, failing or not', () => {
    const out = join(tmp(), 'report.txt');
    const failing = dmar(['validate', bad('DMAR-RMRR-ALIGN'), '/nonexistent/DMAR', '-o', out]);
    expect(failing.status).toBe(2);
    expect(failing.stdout).toBe('');
    expect(failing.stderr.split('\n')).toEqual([
      'dmar: /nonexistent/DMAR: no such file',
      `dmar validate: 1 table: 1 error, 0 warnings, 0 info, 1 unreadable (report in ${out})`,
      '',
    ]);
    const passing = dmar(['validate', cleanTable(), '-f', 'junit', '-o', out]);
    expect(passing.status).toBe(0);
    expect(passing.stderr).toBe(`dmar validate: 1 table: 0 errors, 0 warnings, 0 info (report in ${out})\n`);
  });
});

describe('the catalogue', () => {
  test('--list prints every check with severity and source; --list --json as data', () => {
    const r = dmar(['validate', '--list']);
    expect(r.status).toBe(0);
    for (const c of CHECKS) expect(r.stdout).toMatch(new RegExp(`^${c.id} +${c.severity} +${c.source.join(', ')} `, 'm'));
    expect(r.stdout).toMatch(/^DMAR-VIRT-LENGTH .*\(proposed\)$/m);
    const j = JSON.parse(dmar(['validate', '--list', '--json']).stdout);
    expect(j.checks).toHaveLength(CHECKS.length);
    expect(j.checks.find((c: { id: string }) => c.id === 'DMAR-FLAGS-IMS-OPTOUT')).toMatchObject({ severity: 'info', source: ['proposal'], proposed: true });
    expect(j.checks.find((c: { id: string }) => c.id === 'DMAR-HDR-SIGNATURE')).toMatchObject({ fatal: true });
  });

  test('docs/checks.md is generated from the catalogue and up to date', () => {
    expect(readFileSync(join(ROOT, 'docs', 'checks.md'), 'utf8')).toBe(catalogueMarkdown());
    expect(readFileSync(join(ROOT, 'docs', 'validate.md'), 'utf8')).toContain(`\n${CHECKS.length} checks, each with a stable ID`);
  });

  test('IDs are stable-looking and unique; every check says how to fix it', () => {
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^DMAR-[A-Z0-9]+(-[A-Z0-9]+)+$/);
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.hint.length).toBeGreaterThan(10);
    }
    expect(new Set(CHECKS.map((c) => c.id)).size).toBe(CHECKS.length);
  });
});

describe('the live system', () => {
  test("no input: the machine's DMAR, cross-checked with its MADT", () => {
    const root = tmp();
    const tables = join(root, 'sys/firmware/acpi/tables');
    mkdirSync(tables, { recursive: true });
    copyFileSync(cleanTable(), join(tables, 'DMAR'));
    writeFileSync(join(tables, 'APIC'), madtWithIoapics([2, 7]));
    const r = dmar(['validate', '--format', 'json'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.files[0].file).toBe(join(tables, 'DMAR'));
    expect(doc.files[0].findings[0]).toMatchObject({ id: 'DMAR-MADT-IOAPIC-UNMAPPED', offset: 37 });
    expect(doc.files[0].findings[0].message).toContain('I/O APIC 7');
  });
});

describe('the manual', () => {
  test('the pasted example of the validate section is what the command prints, exit status included', () => {
    const section = docSection('validate');
    const block = /```\n\$ npx dmar (validate [^\n]+)\n([\s\S]*?)\$ echo \$\?\n(\d+)\n```/.exec(section);
    expect(block).not.toBeNull();
    const r = dmar(block![1]!.split(' '));
    expect(r.stdout).toBe(block![2]);
    expect(String(r.status)).toBe(block![3]);
  });
});

// An audit of acpidump text against ACPICA's acpixtract: dumps as people paste and save them.
/** Dumps of tables (acpidump text), each in a directory of its own. */
const dumpTable = () => readFileSync(join(FIXTURES, 'server-2s.bin'));
const dumpOf = (...tables: Array<readonly [string, Uint8Array]>) => acpidumpText(tables);
const dumpFile = (name: string, data: string | Uint8Array) => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-dump-'));
  writeFileSync(join(dir, name), data);
  return join(dir, name);
};

describe('acpidump text as pasted and saved', () => {
  const table = dumpTable;
  const file = dumpFile;

  test('after a prompt line, with a byte-order mark, as UTF-16 (PowerShell 5), with junk among its rows: the same table, also in a directory', () => {
    const text = dumpOf(['APIC', madtWithIoapics([8, 9])], ['DMAR', table()]);
    const rows = text.split('\n');
    const at = rows.findIndex((l) => l.startsWith('DMAR @'));
    const junk = [...rows.slice(0, at + 3), '-- more --', ...rows.slice(at + 3)].join('\n');
    const forms = {
      prompt: `$ sudo acpidump\n${text}`,
      bom: `\ufeff${text}`,
      utf16: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      junk,
    };
    const want = dmar(['decode', '--json', file('t.bin', table())]).stdout;
    for (const [name, data] of Object.entries(forms)) {
      const f = file(`${name}.txt`, data);
      const r = dmar(['decode', '--json', f]);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).structures, name).toEqual(JSON.parse(want).structures);
      // a directory holding it finds it by its content
      const v = json([join(f, '..')]);
      expect(
        v.doc.files.map((x: { file: string }) => x.file),
        name,
      ).toEqual([f]);
    }
  });

  test('a damaged table the reader does not need (an SSDT row out of place) refuses nothing; a DMAR cut short is a damaged dump, named at its line', () => {
    const ssdt = Uint8Array.from([...Buffer.from('SSDT'), 0x24, 0, 0, 0, ...new Array(28).fill(0)]);
    const text = dumpOf(['SSDT', ssdt], ['DMAR', table()]).replace('    0010: 00', '    0011: 00');
    const r = dmar(['validate', file('d.txt', text)]);
    expect(r.status, r.stderr).toBe(0);
    const cut = dumpOf(['DMAR', table()]).split('\n').slice(0, 4).join('\n');
    const c = dmar(['validate', file('cut.txt', cut)]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(
      /^dmar: .*cut\.txt: line 4: DMAR dump: 48 bytes where the table's Length says \d+: the dump is cut short \(or a row lost bytes\)\n/,
    );
  });

  test('two DMAR tables in one dump: the first is read, as Linux reads it, and the reader is told', () => {
    const f = file('two.txt', dumpOf(['DMAR', table()], ['DMAR', readFileSync(join(FIXTURES, 'qemu-q35-ir.bin'))]));
    const r = dmar(['validate', f]);
    expect(r.stderr).toMatch(
      /^dmar: warning: .*two\.txt: this acpidump holds 2 DMAR tables \(lines 1, \d+\): the first is read, as Linux reads only the first\n$/,
    );
    expect(dmar(['decode', f]).stderr).toContain('this acpidump holds 2 DMAR tables');
    // the editors read it alike
    expect(dmar(['set-flag', 'intr-remap', f, '-o', join(f, '..', 'out.bin')]).stderr).toContain('this acpidump holds 2 DMAR tables');
  });

  test("a damaged MADT in a dump: the file is named once, the offset is the MADT's (text and JSON)", () => {
    const madt = madtWithIoapics([8]);
    madt[45] = 0; // the first entry's Length
    const f = file('m.txt', dumpOf(['APIC', madt], ['DMAR', table()]));
    const r = dmar(['validate', f]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dmar: ${f}: its APIC table: offset 0x2c (44): MADT: the entry at 44 has Length 0, which is under 2 (DMAR-MADT-INVALID)\n`);
    const j = json([f]).doc.files[0];
    expect(j).toMatchObject({ error: 'its APIC table: offset 0x2c (44): MADT: the entry at 44 has Length 0, which is under 2', offset: null });
  });
});

describe("an acpidump's HPET table", () => {
  /** An ACPI HPET table of 56 bytes: HPET Number at 52. */
  const hpetTable = (number: number) => {
    const b = new Uint8Array(56);
    b.set(Buffer.from('HPET'));
    new DataView(b.buffer).setUint32(4, 56, true);
    b[52] = number;
    return b;
  };
  const server = () => readFileSync(join(FIXTURES, 'server-2s.bin'));
  const file = (text: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'dmar-hpet-')), 'dump.txt');
    writeFileSync(f, text);
    return f;
  };

  test("judges the DRHD HPET scopes as the machine's HPET table would (DMAR-HPET-UNKNOWN), in text and JUnit", () => {
    // server-2s.bin has one HPET scope, Enumeration ID 0
    const other = file(
      acpidumpText([
        ['HPET', hpetTable(1)],
        ['DMAR', server()],
      ]),
    );
    const r = json([other]);
    expect(r.doc.files[0].findings.map((f: { id: string; message: string }) => `${f.id}: ${f.message}`)).toEqual([
      "DMAR-HPET-UNKNOWN: HPET 0 is not the machine's (its HPET table has number 1)",
    ]);
    const same = file(
      acpidumpText([
        ['HPET', hpetTable(0)],
        ['DMAR', server()],
      ]),
    );
    expect(json([same]).doc.files[0].findings).toEqual([]);
    const junit = dmar(['validate', '--format', 'junit', '--only', 'DMAR-HPET-UNKNOWN', same]).stdout;
    expect(junit).toContain('name="DMAR-HPET-UNKNOWN">');
    expect(junit).not.toContain('<skipped');
    // with a machine too, the dump's HPET table is the one judged (as its MADT is), and no note says the check was skipped
    const capture = mkdtempSync(join(tmpdir(), 'dmar-cap-'));
    cpSync(join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture'), capture, { recursive: true });
    rmSync(join(capture, 'root', 'sys', 'firmware', 'acpi', 'tables', 'HPET'));
    const m = json(['--machine', capture, other]).doc.files[0];
    expect(m.findings.map((f: { id: string }) => f.id)).toContain('DMAR-HPET-UNKNOWN');
    expect(JSON.stringify(m.notes ?? [])).not.toContain('DMAR-HPET-UNKNOWN');
    const mj = dmar(['validate', '--format', 'junit', '--only', 'DMAR-HPET-UNKNOWN', '--machine', capture, other]).stdout;
    expect(mj).not.toContain('<skipped');
    // without an HPET table the check is skipped, and JUnit says what it needs
    const none = file(acpidumpText([['DMAR', server()]]));
    expect(dmar(['validate', '--format', 'junit', '--only', 'DMAR-HPET-UNKNOWN', none]).stdout).toContain(
      '<skipped message="needs the HPET table (an acpidump with one, or --machine DIR|live)"/>',
    );
  });
});

describe('acpidump text: the review of this round', () => {
  const table = dumpTable;
  const file = dumpFile;

  test('a dump whose first table is the DMAR (`acpidump -n DMAR`), with or without a byte-order mark, is a dump in a directory too, never a raw table', () => {
    const text = dumpOf(['DMAR', table()]);
    for (const [name, data] of [
      ['plain.txt', text],
      ['bom.txt', `\ufeff${text}`],
    ] as const) {
      const f = file(name, data);
      const v = json([join(f, '..')]);
      expect(
        v.doc.files.map((x: { file: string; findings: unknown[] }) => [x.file, x.findings]),
        name,
      ).toEqual([[f, []]]);
    }
  });

  test('a damaged MADT or HPET table in a dump refuses validate (which reads them), not the readers of the DMAR alone', () => {
    const lines = dumpOf(['APIC', madtWithIoapics([8, 9])], ['DMAR', table()]).split('\n');
    const lastApicRow = lines.findIndex((x) => x.startsWith('DMAR @')) - 2;
    const f = file('cut-madt.txt', lines.filter((_, i) => i !== lastApicRow).join('\n'));
    const v = dmar(['validate', f]);
    expect(v.status).toBe(2);
    expect(v.stderr).toMatch(/^dmar: .*cut-madt\.txt: line \d+: APIC dump: \d+ bytes where the table's Length says \d+: the dump is cut short/);
    expect(dmar(['decode', f]).status).toBe(0);
    expect(dmar(['flags', f]).status).toBe(0);
    const hpet = new Uint8Array(56);
    hpet.set(Buffer.from('HPET'));
    hpet[4] = 56;
    const g = file('bad-hpet.txt', dumpOf(['HPET', hpet], ['DMAR', table()]).replace('    0010: 00', '    0010: ZZ'));
    const h = dmar(['validate', g]);
    expect(h.status).toBe(2);
    expect(h.stderr).toMatch(/^dmar: .*bad-hpet\.txt: line 3: HPET dump: row 0x0010: "ZZ" where byte 1 of the row should be/);
    expect(dmar(['decode', g]).status).toBe(0);
    const shortHpet = hpet.slice(0, 48);
    shortHpet[4] = 48;
    const s = file('short-hpet.txt', dumpOf(['HPET', shortHpet], ['DMAR', table()]));
    expect(dmar(['validate', s]).stderr).toMatch(/^dmar: .*short-hpet\.txt: line 1: HPET dump: the table is too short to hold the HPET Number \(offset 52\)/);
  });
});
