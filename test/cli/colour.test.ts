// --color and --no-color on every command, over chalk's NO_COLOR / FORCE_COLOR / not-a-terminal rules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dmar, dmarProcess, FIXTURES, ROOT } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-colour-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const Q35 = join(FIXTURES, 'qemu-q35-ir.bin');
const VIRT = join(FIXTURES, 'qemu-virt-descriptor.bin');
const ESC = /\x1b\[/;

/** The commands that colour what they print (stdout is a pipe here, so colour is off unless asked for). */
const painting: [string, string[]][] = [
  ['decode', ['decode', Q35]],
  ['decode --format hex', ['decode', Q35, '--format', 'hex']],
  ['flags', ['flags', Q35]],
  ['virt show', ['virt', 'show', VIRT]],
  ['diff', ['diff', Q35, VIRT]],
  ['ims', ['ims', Q35, '--hypervisor']],
  ['ims matrix', ['ims', 'matrix']],
  ['validate', ['validate', Q35]],
  ['validate --list', ['validate', '--list']],
];

describe('--color / --no-color', () => {
  test.each(painting)('%s: --color colours a pipe, even under NO_COLOR; --no-color wins over FORCE_COLOR', (_, args) => {
    const plain = dmar(args);
    expect(plain.stdout).not.toMatch(ESC);
    const coloured = dmar([...args, '--color']);
    expect(coloured.status).toBe(plain.status);
    expect(coloured.stdout).toMatch(ESC);
    expect(coloured.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain.stdout);
    const forced = dmarProcess([...args, '--no-color'], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    expect(forced.stdout).toBe(plain.stdout);
  });

  test('-o - is stdout and coloured as stdout is (it was never coloured); -o FILE never', () => {
    for (const args of [
      ['decode', Q35],
      ['validate', Q35],
      ['explain', join(FIXTURES, 'logs', 'surface-pro-3.log')],
    ]) {
      expect(dmar([...args, '-o', '-', '--color']).stdout, args[0]).toMatch(ESC);
      expect(dmar([...args, '-o', '-', '--color']).stdout, args[0]).toBe(dmar([...args, '--color']).stdout);
    }
  });

  test('before the command as after it; FORCE_COLOR alone colours a pipe', () => {
    expect(dmar(['--color', 'flags', Q35]).stdout).toBe(dmar(['flags', Q35, '--color']).stdout);
    expect(dmarProcess(['flags', Q35], { env: { FORCE_COLOR: '1', NO_COLOR: '' } }).stdout).toMatch(ESC);
  });

  test.each([
    ['encode', ['encode', join(FIXTURES, 'qemu-q35-ir.json'), '-o', join(work, 'e.bin')]],
    ['set-flag', ['set-flag', 'ims-optout', Q35, '-o', join(work, 's.bin')]],
    ['clear-flag', ['clear-flag', 'intr-remap', Q35, '-o', join(work, 'c.bin')]],
    ['virt set', ['virt', 'set', Q35, '--virtualized', '-o', join(work, 'v.bin')]],
    ['virt remove', ['virt', 'remove', VIRT, '-o', join(work, 'r.bin')]],
    ['fix', ['fix', Q35, '-o', join(work, 'f.bin')]],
    ['decode --json', ['decode', Q35, '--json']],
  ])('%s accepts them and prints no colour codes into files or JSON', (name, args) => {
    const r = dmar([...args, name.length % 2 ? '--color' : '--no-color']);
    expect(r.stderr).not.toMatch(/unknown option/);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(ESC);
  });
});

// util-linux script(1) gives the command a terminal; its transcript goes to a file of ours
const HAVE_SCRIPT = spawnSync('script', ['--version']).status === 0;
test.skipIf(!HAVE_SCRIPT)('on a terminal colour is on by default, as stdout being a terminal says (isatty), piped it is off', () => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'FORCE_COLOR' && k !== 'NO_COLOR') env[k] = v;
  // chalk's rules: a terminal of a TERM that has colour, outside CI (CI=true without a known CI vendor means no colour)
  delete env.CI;
  env.TERM = 'xterm';
  const cmd = `"${process.execPath}" "${join(ROOT, 'bin', 'dmar.js')}" flags "${Q35}"`;
  const tty = spawnSync('script', ['-qec', cmd, join(work, 'typescript')], { env, encoding: 'utf8', timeout: 60_000 });
  expect(tty.status, tty.stderr).toBe(0);
  expect(tty.stdout).toMatch(ESC);
  expect(tty.stdout).toContain('INTR_REMAP');
  const piped = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmar.js'), 'flags', Q35], { env, encoding: 'utf8', timeout: 60_000 });
  expect(piped.stdout).toContain('INTR_REMAP');
  expect(piped.stdout).not.toMatch(ESC);
});
