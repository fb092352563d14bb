// The one output sink: a reader that goes away ends the command quietly with
// exit 141 (128 + SIGPIPE), any other write error is one line and exit 2.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dmar, FIXTURES, ROOT } from '../helpers.js';
import { drhdTable } from './big.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// 2,000 DRHDs: some 500 KB of text, far more than a pipe holds (64 KiB).
const big = join(work, 'big.bin');
writeFileSync(big, drhdTable(2000));
const BIN = join(ROOT, 'bin', 'dmar.js');

/** Run dmar, read its first chunk of stdout, then close the pipe. */
function readOneChunk(args: string[]): Promise<{ code: number | null; stderr: string; got: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    let got = 0;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', (d: Buffer) => {
      got = d.length;
      child.stdout.destroy();
    });
    child.on('close', (code) => resolve({ code, stderr, got }));
  });
}

describe('a reader that closes the pipe early', () => {
  for (const args of [
    ['decode', big],
    ['decode', big, '-f', 'hex'],
    ['validate', big, '-f', 'junit'],
    ['validate', big],
    ['decode', big, '-o', '-'],
  ]) {
    test(`dmar ${args.join(' ').replace(work, 'DIR')}: exit 141, nothing on stderr`, async () => {
      const r = await readOneChunk(args);
      expect(r.got).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(141);
    });
  }
});

describe('stdout on a full disk (/dev/full)', () => {
  for (const args of [['decode', big], ['validate', big, '-f', 'junit'], ['flags', big], ['--help'], ['encode', join(FIXTURES, 'server-2s.json'), '-o', '-']]) {
    test(`dmar ${args.join(' ').replace(work, 'DIR')}: one line, exit 2`, () => {
      const fd = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', fd, 'pipe'], timeout: 30_000 });
        expect(r.stderr.toString()).toBe('dmar: stdout: cannot write: no space left on device\n');
        expect(r.status).toBe(2);
      } finally {
        closeSync(fd);
      }
    });
  }
});

describe('-o - is stdout', () => {
  test('decode -o - prints the text and creates no file named -', () => {
    const r = dmar(['decode', join(FIXTURES, 'server-2s.bin'), '-o', '-'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(dmar(['decode', join(FIXTURES, 'server-2s.bin')]).stdout);
    expect(existsSync(join(work, '-'))).toBe(false);
  });

  test('validate -o - prints the report as without -o, and no "report in" summary', () => {
    const r = dmar(['validate', join(FIXTURES, 'server-2s.bin'), '-o', '-'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(dmar(['validate', join(FIXTURES, 'server-2s.bin')]).stdout);
    expect(r.stderr).toBe('');
    expect(existsSync(join(work, '-'))).toBe(false);
  });

  test('encode -o - writes the binary table to stdout', () => {
    const r = dmar(['encode', join(FIXTURES, 'server-2s.json'), '-o', '-'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdoutBytes.equals(readFileSync(join(FIXTURES, 'server-2s.bin')))).toBe(true);
    expect(existsSync(join(work, '-'))).toBe(false);
  });

  test('an edit with -o - leaves the input alone and prints the edited table', () => {
    const input = join(work, 'in.bin');
    writeFileSync(input, readFileSync(join(FIXTURES, 'server-2s.bin')));
    const r = dmar(['set-flag', 'ims-optout', input, '-o', '-'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdoutBytes[37]! & 0x08).toBe(0x08);
    expect(readFileSync(input).equals(readFileSync(join(FIXTURES, 'server-2s.bin')))).toBe(true);
    expect(existsSync(join(work, '-'))).toBe(false);
  });
});

describe('-o /dev/stdout when stdout is a pipe', () => {
  // /dev/stdout -> /proc/self/fd/1 -> "pipe:[N]": a link to no path; it was followed by hand to a directory
  // that does not exist ("cannot write: no such directory", exit 2)
  test('report and validate write through the link to the pipe', () => {
    for (const args of [
      ['report', join(FIXTURES, 'server-2s.bin')],
      ['validate', join(FIXTURES, 'server-2s.bin'), '--format', 'junit'],
      ['encode', join(FIXTURES, 'server-2s.json')],
    ]) {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmar.js'), ...args, '-o', '/dev/stdout'], {
        cwd: work,
        env: { ...process.env, NO_COLOR: '1' },
      });
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
      const expected = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmar.js'), ...args, '-o', '-'], { cwd: work, env: { ...process.env, NO_COLOR: '1' } });
      expect(r.stdout.equals(expected.stdout), args[0]).toBe(true);
      expect(r.stdout.length).toBeGreaterThan(200);
    }
    // a shell's pipe (spawnSync gives a socket): the same bytes through cat
    const sh = spawnSync(
      'bash',
      ['-o', 'pipefail', '-c', `"${process.execPath}" "${join(ROOT, 'bin', 'dmar.js')}" report "${join(FIXTURES, 'server-2s.bin')}" -o /dev/stdout | cat`],
      {
        cwd: work,
      },
    );
    expect(sh.status, sh.stderr.toString()).toBe(0);
    expect(sh.stdout.toString()).toMatch(/^<!DOCTYPE html>/i);
  });
});

// stderr is written with fs, as stdout (src/io/std.ts). A message that cannot be written is dropped:
// there is no one left to tell, and the exit status stays the command's.
describe('stderr that cannot be written', () => {
  test('on a full disk (/dev/full): an edit that says what it changed on stderr is made, and exits 0', () => {
    const t = join(work, 'stderr-full.bin');
    copyFileSync(join(FIXTURES, 'server-2s.bin'), t);
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, 'set-flag', 'x2apic-optout', t], { stdio: ['ignore', 'pipe', fd], timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(readFileSync(t)[37]! & 2).toBe(2);
    } finally {
      closeSync(fd);
    }
    // and the same edit with a stderr that works says so there (the message the full disk dropped)
    copyFileSync(join(FIXTURES, 'server-2s.bin'), t);
    expect(spawnSync(process.execPath, [BIN, 'set-flag', 'x2apic-optout', t], { encoding: 'utf8' }).stderr).toContain('X2APIC_OPT_OUT set');
  });

  test('a reader that closed the pipe before the first line: the command still ends with its own status', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'decode', join(work, 'missing.bin')], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.destroy();
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(2);
  });
});
