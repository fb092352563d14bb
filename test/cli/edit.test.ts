// The editing commands through bin/dmar.js: set-flag, clear-flag, flags, virt, fix, diff.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { setDmarFlag, setVirtDescriptor } from '../../src/dmar/edit.js';
import { ACPIDUMPS, corpusFiles, dmar, dmarProcess, FIXTURES, HAVE_CORPUS } from '../helpers.js';
import { rmSync } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'dmar-edit-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A private writable copy of `src`. */
function copy(src: string, name = basename(src)): string {
  const dir = join(work, String(n++));
  mkdirSync(dir);
  const p = join(dir, name);
  copyFileSync(src, p);
  chmodSync(p, 0o644);
  return p;
}
const read = (p: string) => new Uint8Array(readFileSync(p));
const QEMU = join(FIXTURES, 'edit', 'qemu-q35.bin');
// Every 25th table: different vendors, sizes and flag values.
const sample = corpusFiles().filter((_, i) => i % 25 === 0);

describe.skipIf(!HAVE_CORPUS)('on a sample of corpus tables', () => {
  test('set-flag then clear-flag in place gives back the original, saying what changed', () => {
    expect(sample.length).toBeGreaterThanOrEqual(8);
    for (const src of sample) {
      const p = copy(src);
      const orig = read(p);
      const wasSet = (orig[37]! & 8) !== 0;
      if (wasSet) continue;
      const r = dmar(['set-flag', 'ims-optout', p]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `Flags: 0x${orig[37]!.toString(16).padStart(2, '0')} -> 0x${(orig[37]! | 8).toString(16).padStart(2, '0')} (IMS_OPTOUT (proposed) set)`,
      );
      expect(Buffer.from(read(p)).equals(Buffer.from(setDmarFlag(orig, 'ims-optout', true).bytes))).toBe(true);
      expect(dmar(['clear-flag', 'ims-optout', p]).status).toBe(0);
      expect(Buffer.from(read(p)).equals(Buffer.from(orig)), src).toBe(true);
    }
  });

  test('virt set then virt remove in place gives back the original', () => {
    for (const src of sample) {
      const p = copy(src);
      const orig = read(p);
      const r = dmar(['virt', 'set', p, '--virtualized', '--signature', 'KVMKVMKVM', '--features', 'ims,msi-compose']);
      expect(r.status, r.stderr).toBe(0);
      expect(
        Buffer.from(read(p)).equals(
          Buffer.from(setVirtDescriptor(orig, { virtualized: true, signature: 'KVMKVMKVM', features: ['ims', 'msi-compose'] }).bytes),
        ),
      ).toBe(true);
      const show = dmar(['virt', 'show', p]);
      expect(show.stdout).toContain('Virtualization Descriptor (proposed)');
      expect(show.stdout).toMatch(/Hypervisor Signature +"KVMKVMKVM"/);
      expect(dmar(['virt', 'remove', p]).status).toBe(0);
      expect(Buffer.from(read(p)).equals(Buffer.from(orig)), src).toBe(true);
    }
  });
});

describe('set-flag, clear-flag, flags', () => {
  test('setting a flag that is already set exits 0 and leaves the file alone', () => {
    const p = copy(QEMU);
    const before = statSync(p);
    const r = dmar(['set-flag', 'intr-remap', p]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('INTR_REMAP is already set (Flags 0x01): nothing to do');
    expect(r.stderr).toContain('file untouched');
    const after = statSync(p);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(Buffer.from(read(p)).equals(readFileSync(QEMU))).toBe(true);
  });

  test('-o writes elsewhere and leaves the input as it was', () => {
    const p = copy(QEMU);
    const out = join(work, 'out-flag.bin');
    const r = dmar(['set-flag', 'x2apic-optout', p, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.from(read(p)).equals(readFileSync(QEMU))).toBe(true);
    expect(read(out)[37]).toBe(0x03);
  });

  test('flags lists the bits, proposed ones labelled, reserved ones when set', () => {
    const p = copy(QEMU);
    const bytes = read(p);
    bytes[37] = 0x29; // INTR_REMAP, IMS_OPTOUT, reserved bit 5
    bytes[9] = (bytes[9]! - 0x28) & 0xff;
    writeFileSync(p, bytes);
    const t = dmar(['flags', p]);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^Flags 0x29 at offset 0x25/);
    expect(t.stdout).toMatch(/bit 3 +IMS_OPTOUT \(proposed\) +set +ims-optout/);
    expect(t.stdout).toMatch(/bit 1 +X2APIC_OPT_OUT +clear +x2apic-optout/);
    expect(t.stdout).toMatch(/bit 5 +reserved +set/);
    expect(t.stdout).not.toMatch(/bit 4/);
    const j = JSON.parse(dmar(['flags', p, '--json']).stdout);
    expect(j.value).toBe(0x29);
    expect(j.offset).toBe(37);
    expect(j.bits.map((b: { bit: number }) => b.bit)).toEqual([0, 1, 2, 3, 5]);
    expect(j.bits[3]).toMatchObject({ name: 'IMS_OPTOUT', cli: 'ims-optout', set: true, proposed: true });
    expect(j.bits[4]).toEqual({ bit: 5, name: 'reserved', set: true, reserved: true });
  });

  test('an unknown flag is a usage error before the file is read', () => {
    const r = dmar(['set-flag', 'ims', join(work, 'does-not-exist.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('dmar: unknown flag "ims" (known: intr-remap, x2apic-optout, dma-ctrl-platform-opt-in, ims-optout)\n');
  });
});

describe('sources that cannot be rewritten', () => {
  test('stdin without -o is refused before stdin is read; with -o the result is written', () => {
    const r = dmar(['set-flag', 'ims-optout', '-'], { input: readFileSync(QEMU) });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('dmar: stdin cannot be rewritten in place: give -o OUT\n');
    const out = join(work, 'from-stdin.bin');
    const ok = dmar(['set-flag', 'ims-optout', '-', '-o', out], { input: readFileSync(QEMU) });
    expect(ok.status, ok.stderr).toBe(0);
    expect(read(out)[37]).toBe(0x09);
  });

  test("the running machine's table without -o is refused and stays as it was", () => {
    const root = join(work, 'root');
    const tables = join(root, 'sys/firmware/acpi/tables');
    mkdirSync(tables, { recursive: true });
    copyFileSync(QEMU, join(tables, 'DMAR'));
    const r = dmar(['virt', 'set', '--virtualized'], { env: { DMAR_ROOT: root } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/this machine's table \(.*sys\/firmware\/acpi\/tables\/DMAR\) cannot be rewritten in place: give -o OUT/);
    expect(Buffer.from(read(join(tables, 'DMAR'))).equals(readFileSync(QEMU))).toBe(true);
    const out = join(work, 'from-sysfs.bin');
    expect(dmar(['virt', 'set', '--virtualized', '-o', out], { env: { DMAR_ROOT: root } }).status).toBe(0);
    expect(read(out).length).toBe(80 + 32);
  });

  test.skipIf(!HAVE_CORPUS)('acpidump text without -o is refused; with -o the binary table is written', () => {
    const p = copy(join(ACPIDUMPS, '055F3A7CF9A9.acpidump.txt'));
    const before = readFileSync(p);
    const r = dmar(['set-flag', 'ims-optout', p]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('(acpidump text) cannot be rewritten in place: give -o OUT');
    expect(readFileSync(p).equals(before)).toBe(true);
    const out = join(work, 'from-acpidump.bin');
    expect(dmar(['set-flag', 'ims-optout', p, '-o', out]).status).toBe(0);
    const t = decodeDmar(read(out)).table;
    expect(Number(t.fields.flags) & 8).toBe(8);
  });
});

describe('tables that do not decode cleanly', () => {
  function broken(): string {
    const p = copy(QEMU);
    const b = read(p);
    b[0x4a] = 12; // the ATSR runs past the end of the table
    writeFileSync(p, b);
    return p;
  }

  test('are refused with the reason and the offset, and the file is untouched', () => {
    const p = broken();
    const before = readFileSync(p);
    const r = dmar(['set-flag', 'ims-optout', p]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(
      /^dmar: .*qemu-q35\.bin: offset 0x4a \(74\): structure type 2 at 0x48: Length 12 runs past the end of the table .*--force edits its bytes anyway\)\n$/,
    );
    expect(readFileSync(p).equals(before)).toBe(true);
  });

  test('are edited anyway with --force', () => {
    const p = broken();
    const before = read(p);
    const r = dmar(['set-flag', 'ims-optout', p, '--force']);
    expect(r.status, r.stderr).toBe(0);
    const after = read(p);
    expect(after[37]).toBe(0x09);
    expect([...after].map((x, i) => (x !== before[i] ? i : -1)).filter((i) => i >= 0)).toEqual([9, 37]);
  });

  test('fix repairs a wrong Checksum and Table Length, one line each', () => {
    const p = copy(QEMU);
    const b = read(p);
    b[4] = 0x60;
    b[9]! ^= 0xff;
    writeFileSync(p, b);
    const r = dmar(['fix', p]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: Table Length: 96 -> 80\n.*: Checksum: 0x[0-9a-f]{2} -> 0x[0-9a-f]{2}\n/);
    expect(readFileSync(p).equals(readFileSync(QEMU))).toBe(true);
    const again = dmar(['fix', p]);
    expect(again.stderr).toContain('Table Length 80 and Checksum');
    expect(again.stderr).toContain('file untouched');
  });
});

describe('virt', () => {
  test('set needs --virtualized or --bare-metal the first time; they exclude each other', () => {
    const p = copy(QEMU);
    const r = dmar(['virt', 'set', p, '--features', 'ims']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('say --virtualized or --bare-metal');
    // a usage error: it names no file (the table is not at fault)
    expect(r.stderr).toMatch(/^dmar: the table has no /);
    expect(r.stderr).not.toContain(p);
    expect(dmar(['virt', 'set', p, '--virtualized', '--bare-metal']).status).toBe(2);
    expect(dmar(['virt', 'set', p, '--virtualized', '--features', 'ims,bogus']).stderr).toContain('unknown feature "bogus"');
    expect(Buffer.from(read(p)).equals(readFileSync(QEMU))).toBe(true);
  });

  test('changing keeps what is not given; --features replaces the set; none clears it', () => {
    const p = copy(QEMU);
    expect(dmar(['virt', 'set', p, '--virtualized', '--signature', 'KVMKVMKVM', '--features', 'ims']).status).toBe(0);
    expect(dmar(['virt', 'set', p, '--features', 'msi-compose,remappable-direct']).status).toBe(0);
    let j = JSON.parse(dmar(['virt', 'show', p, '--json']).stdout);
    expect(j.proposed).toBe(true);
    expect(j.descriptors).toHaveLength(1);
    expect(j.descriptors[0]).toMatchObject({
      kind: 'VIRT',
      proposed: true,
      offset: 80,
      length: 32,
      revision: 1,
      flags: { VIRTUALIZED: true },
      hypervisorSignature: 'KVMKVMKVM',
      supportedFeatures: { IMS: false, MSI_COMPOSE: true, REMAPPABLE_DIRECT: true, reserved: '0x0' },
    });
    const r = dmar(['virt', 'set', p, '--bare-metal', '--features', 'none']);
    expect(r.stderr).toContain('warning: VIRTUALIZED=0 with Hypervisor Signature "KVMKVMKVM"');
    j = JSON.parse(dmar(['virt', 'show', p, '--json']).stdout);
    expect(j.descriptors[0].flags.VIRTUALIZED).toBe(false);
    expect(j.descriptors[0].supportedFeatures.MSI_COMPOSE).toBe(false);
    const same = dmar(['virt', 'set', p, '--bare-metal']);
    expect(same.stderr).toContain('already says so: nothing to do');
  });

  test('show without a descriptor says so', () => {
    const r = dmar(['virt', 'show', QEMU]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`no Virtualization Descriptor (proposed) (type 0x8001) in ${QEMU}\n`);
    expect(JSON.parse(dmar(['virt', 'show', QEMU, '--json']).stdout).descriptors).toEqual([]);
  });
});

describe('diff', () => {
  test('exit 0 when equal, 1 when different, 2 when an input is no DMAR table', () => {
    const p = copy(QEMU);
    expect(dmar(['diff', QEMU, p]).status).toBe(0);
    dmar(['set-flag', 'ims-optout', p]);
    const r = dmar(['diff', QEMU, p]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/IMS_OPTOUT \(proposed\) +0 -> 1/);
    const j = JSON.parse(dmar(['diff', QEMU, p, '--json']).stdout);
    expect(j.format).toBe('dmar-diff/1');
    expect(j.equal).toBe(false);
    const junk = join(work, 'junk.bin');
    writeFileSync(junk, 'not a table at all, just text that is long enough to be read');
    const bad = dmar(['diff', QEMU, junk]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/junk\.bin: offset 0x0 \(0\): signature is "not ", not "DMAR"/);
  });

  test('text is coloured on request and plain otherwise', () => {
    const p = copy(QEMU);
    dmar(['virt', 'set', p, '--virtualized']);
    const plain = dmar(['diff', QEMU, p]);
    expect(plain.stdout).not.toContain('\u001b[');
    const coloured = dmarProcess(['diff', QEMU, p], { env: { FORCE_COLOR: '1' } });
    expect(coloured.status).toBe(1);
    expect(coloured.stdout).toContain('\u001b[');
    expect(coloured.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain.stdout);
  });

  test('stdin may be one of the inputs', () => {
    const r = dmar(['diff', QEMU, '-'], { input: readFileSync(QEMU) });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('no differences (80 bytes)\n');
    expect(dmar(['diff', '-', '-'], { input: readFileSync(QEMU) }).status).toBe(2);
  });
});

test('no temporary files are left in the work directories', () => {
  const leftovers: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.includes('.dmar-tmp-')) leftovers.push(join(d, e.name));
    }
  };
  walk(work);
  expect(leftovers).toEqual([]);
});

describe('input that is no DMAR table, or whose Table Length leaves out its fixed part', () => {
  test('fix repairs a Table Length short of the fixed part when the bytes are there', () => {
    const p = copy(join(FIXTURES, 'invalid', 'DMAR-HDR-LENGTH-SHORT.bin'));
    const before = read(p);
    const r = dmar(['fix', p]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Table Length: 44 -> 136');
    const after = read(p);
    expect(after.length).toBe(before.length);
    expect(decodeDmar(after).problems).toEqual([]);
    // only Table Length (bytes 4-7) and the Checksum (byte 9) changed
    const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
    expect(changed.every((i) => (i >= 4 && i < 8) || i === 9)).toBe(true);
  });

  test('is refused without offering --force, which would not help (a signature that is not DMAR, a short Table Length)', () => {
    for (const f of [
      join(FIXTURES, 'invalid', 'DMAR-HDR-SIGNATURE.bin'),
      join(FIXTURES, 'invalid', 'DMAR-HDR-LENGTH-SHORT.bin'),
      join(FIXTURES, 'server-2s.json'),
    ]) {
      const r = dmar(['set-flag', 'ims-optout', f, '-o', join(work, 'out.bin')]);
      expect(r.status, f).toBe(2);
      expect(r.stderr, f).not.toContain('--force');
      expect(dmar(['set-flag', 'ims-optout', f, '-o', join(work, 'out.bin'), '--force']).status, f).toBe(2);
    }
  });
});

test('virt set --ims-optout on a table whose Checksum was wrong: the warning once', () => {
  const r = dmar(['virt', 'set', '--virtualized', '--ims-optout', join(FIXTURES, 'invalid', 'DMAR-HDR-CHECKSUM.bin'), '-o', join(work, 'v.bin')]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr.match(/the Checksum was already wrong/g)).toHaveLength(1);
});

test('an editor given JSON or iasl source says so (it said: signature is "{\\x0a  ", not "DMAR")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-edit-src-'));
  const dsl = join(dir, 't.dsl');
  writeFileSync(dsl, dmar(['decode', join(FIXTURES, 'qemu-q35-ir.bin'), '--format', 'iasl']).stdout);
  for (const [src, kind] of [
    [join(FIXTURES, 'qemu-q35-ir.json'), 'JSON'],
    [dsl, 'iasl'],
  ] as const) {
    const r = dmar(['set-flag', 'ims-optout', src, '-o', join(dir, 'out.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`dmar: ${src}: is ${kind} source, not a binary table or acpidump text (dmar encode it to a binary table first)\n`);
  }
  rmSync(dir, { recursive: true, force: true });
});
