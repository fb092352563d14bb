// In-place rewrites: atomic (temporary file in the same directory, then
// rename), mode kept, nothing left behind, the original intact when the write
// fails. The tests run as root, where permission bits stop nothing: the
// failures below are ones root cannot write through.
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FIXTURES, dmar } from '../helpers.js';

const QEMU = join(FIXTURES, 'edit', 'qemu-q35.bin');
const original = readFileSync(QEMU);
const work = mkdtempSync(join(tmpdir(), 'dmar-edit-write-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function freshDir(): string {
  const d = join(work, String(n++));
  mkdirSync(d);
  return d;
}

describe('a successful in-place edit', () => {
  for (const mode of [0o600, 0o640, 0o755, 0o4755]) {
    test(`keeps mode ${mode.toString(8)} and leaves only the file behind`, () => {
      const dir = freshDir();
      const p = join(dir, 't.bin');
      copyFileSync(QEMU, p);
      chmodSync(p, mode);
      const r = dmar(['set-flag', 'ims-optout', p]);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(p).mode & 0o7777).toBe(mode);
      expect(readdirSync(dir)).toEqual(['t.bin']);
      expect(readFileSync(p)[37]).toBe(0x09);
    });
  }

  test('refuses a hard-linked file; --force renames a new file into place, the other name keeps the old bytes', () => {
    const dir = freshDir();
    const p = join(dir, 't.bin');
    copyFileSync(QEMU, p);
    linkSync(p, join(dir, 'old.bin'));
    const ino = statSync(p).ino;
    const refused = dmar(['virt', 'set', p, '--virtualized']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      `dmar: ${p}: has 2 hard links: rewriting it would leave the other names with the old table, so it is not rewritten (--force writes a new file under this name only)\n`,
    );
    expect(readFileSync(p).equals(original)).toBe(true);
    expect(dmar(['virt', 'set', p, '--virtualized', '--force']).status).toBe(0);
    expect(statSync(p).ino).not.toBe(ino);
    expect(readFileSync(join(dir, 'old.bin')).equals(original)).toBe(true);
    expect(readFileSync(p).length).toBe(original.length + 32);
    expect(readdirSync(dir).sort()).toEqual(['old.bin', 't.bin']);
  });

  test('through a symlink edits the file it names and keeps the link', () => {
    const dir = freshDir();
    const real = join(dir, 'real.bin');
    copyFileSync(QEMU, real);
    symlinkSync('real.bin', join(dir, 'link.bin'));
    expect(dmar(['set-flag', 'ims-optout', join(dir, 'link.bin')]).status).toBe(0);
    expect(lstatSync(join(dir, 'link.bin')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real)[37]).toBe(0x09);
    expect(readdirSync(dir).sort()).toEqual(['link.bin', 'real.bin']);
  });
});

describe('names near NAME_MAX (255 bytes)', () => {
  test('a file of a 250-character name is edited in place and written with -o: its lock and temporary names are shortened, nothing is left', () => {
    const dir = freshDir();
    // the lock and temporary names (".dmar-tmp-lock.NAME", ".dmar-tmp-PID-RANDOM.NAME") would be over 255 bytes;
    // two names that differ only after their first 150 characters get different ones
    const names = ['x'.repeat(246) + '.bin', 'x'.repeat(246) + '.dat'];
    for (const n of names) copyFileSync(QEMU, join(dir, n));
    for (const n of names) {
      const r = dmar(['set-flag', 'ims-optout', join(dir, n)]);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(dir, n))[37]! & 0x08).toBe(0x08);
    }
    const out = join(dir, 'é'.repeat(120) + '.bin');
    const o = dmar(['clear-flag', 'ims-optout', join(dir, names[0]!), '-o', out]);
    expect(o.status, o.stderr).toBe(0);
    expect(readFileSync(out).equals(original)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...names, 'é'.repeat(120) + '.bin'].sort());
  });
});

test('a file whose name is the shortened form of a long name shares no lock with it', async () => {
  const { shortName } = await import('../../src/io/write.js');
  const dir = freshDir();
  const long = 'y'.repeat(246) + '.bin';
  copyFileSync(QEMU, join(dir, long));
  // a live process (this one) holds the lock of the file named as the long name is shortened
  writeFileSync(join(dir, `.dmar-tmp-lock.${shortName(long)}`), `${process.pid}\n`);
  const r = dmar(['set-flag', 'ims-optout', join(dir, long)]);
  expect(r.status, r.stderr).toBe(0);
  expect(readFileSync(join(dir, long))[37]! & 0x08).toBe(0x08);
});

describe('a failed write leaves the original intact and no temporary file', () => {
  test('-o into a path whose parent is a regular file (ENOTDIR)', () => {
    const dir = freshDir();
    const p = join(dir, 't.bin');
    copyFileSync(QEMU, p);
    const r = dmar(['set-flag', 'ims-optout', p, '-o', join(p, 'out.bin')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^dmar: .*out\.bin: cannot write: /);
    expect(readFileSync(p).equals(original)).toBe(true);
    expect(readdirSync(dir)).toEqual(['t.bin']);
  });

  test('-o onto a directory (rename cannot replace it)', () => {
    const dir = freshDir();
    const p = join(dir, 't.bin');
    copyFileSync(QEMU, p);
    const target = join(dir, 'adir');
    mkdirSync(target);
    const r = dmar(['virt', 'set', p, '--virtualized', '-o', target]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/adir: cannot write: /);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readdirSync(target)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['adir', 't.bin']);
    expect(readFileSync(p).equals(original)).toBe(true);
  });

  test('in place on a directory: refused as input, nothing written', () => {
    const dir = freshDir();
    const r = dmar(['fix', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is a directory');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the library keeps no record of what it read', () => {
  test('readSource then writeFileAtomic over the same file: written (only a CLI command refuses to overwrite its inputs)', async () => {
    const { readSource, writeFileAtomic, setDmarFlag } = await import('../../src/index.js');
    const p = join(work, 'lib-in-place.bin');
    copyFileSync(join(FIXTURES, 'server-2s.bin'), p);
    const src = readSource(p);
    const edited = setDmarFlag(src.bytes, 'IMS_OPTOUT', true).bytes;
    writeFileAtomic(p, edited);
    expect(new Uint8Array(readFileSync(p))).toEqual(new Uint8Array(edited));
  });
});
