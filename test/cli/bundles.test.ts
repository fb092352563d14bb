// The CLI's bundles (scripts/bundle.mjs): decode and validate each start from one of their own, which holds
// only the code its command can reach, and every other command from the whole CLI, dist/cli/dmar.cjs; a
// command a bundle does not hold is handed to the whole CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { dmarProcess, FIXTURES, ROOT, writeScriptSpy } from '../helpers.js';

const CLI = join(ROOT, 'dist', 'cli');
const server = join(FIXTURES, 'server-2s.bin');
type Main = { main(argv: string[], io: unknown): Promise<number> };
const load = (name: string) => createRequire(import.meta.url)(join(CLI, `${name}.cjs`)) as Main;

/** Run `args` on a bundle's main(), in this process, with stdout and stderr collected (as test/cli-worker.mjs does). */
async function run(cli: Main, args: string[]) {
  const out: Buffer[] = [];
  let stderr = '';
  const { FORCE_COLOR: _, ...env } = process.env;
  const io = {
    env: { ...env, NO_COLOR: '1' },
    stdin: new Uint8Array(0),
    stdout: (data: Uint8Array | string) => void out.push(Buffer.from(data)),
    stderr: (text: string) => void (stderr += text),
    isTTY: { stdin: false, stdout: false, stderr: false },
    columns: undefined,
  };
  const status = await cli.main([process.execPath, 'dmar', ...args], io);
  return { status, stdout: Buffer.concat(out).toString('latin1'), stderr };
}

const tables = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => join(FIXTURES, f));
const invalid = readdirSync(join(FIXTURES, 'invalid'))
  .filter((f) => f.endsWith('.bin'))
  .slice(0, 12)
  .map((f) => join(FIXTURES, 'invalid', f));
const capture = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');
const log = join(FIXTURES, 'logs', 'dell-r630-linuxboot.log');

describe('decode and validate from their own bundles', () => {
  const cases: [string, string[][]][] = [
    [
      'decode',
      [
        ...tables.flatMap((t) => [
          ['decode', t],
          ['decode', '--json', t],
          ['decode', '--format', 'iasl', t],
          ['decode', '--format', 'hex', t],
        ]),
        ...invalid.map((t) => ['decode', t]),
        ['decode', FIXTURES],
        ['decode', '--json', FIXTURES],
        ['decode', '--format', 'iasl', join(FIXTURES, 'invalid')],
        ['decode', '--bogus', server],
        ['decode', '--help'],
      ],
    ],
    [
      'validate',
      [
        ...tables.map((t) => ['validate', t]),
        ['validate', FIXTURES],
        ['validate', '--json', FIXTURES],
        ['validate', '--format', 'junit', FIXTURES],
        ['validate', join(FIXTURES, 'invalid')],
        ['validate', '--json', join(FIXTURES, 'invalid')],
        ['validate', '--list'],
        ['validate', '--machine', capture, server],
        ['validate', '--dmesg', log, server],
        ['validate', '--only', 'NO-SUCH-CHECK', server],
        ['validate', '--help'],
      ],
    ],
  ];
  test.each(cases)('dmar-%s.cjs writes what the whole CLI writes, byte for byte, with the same exit status', async (command, runs) => {
    const whole = load('dmar');
    const own = load(`dmar-${command}`);
    const statuses = new Set<number>();
    for (const args of runs) {
      const expected = await run(whole, args);
      statuses.add(expected.status);
      expect({ args, ...(await run(own, args)) }).toEqual({ args, ...expected });
    }
    // the runs cover success, findings (validate) and bad input
    expect([...statuses].sort()).toEqual(command === 'validate' ? [0, 1, 2] : [0, 2]);
  });
});

test("a command's own bundle holds none of the other commands' code", () => {
  const text = (name: string) => readFileSync(join(CLI, name), 'latin1');
  const whole = text('dmar.cjs');
  const decode = text('dmar-decode.cjs');
  const validate = text('dmar-validate.cjs');
  // a check ID is validate's, the report page's doctype the report command's
  expect(whole).toContain('DMAR-DRHD-REGISTER-OVERLAP');
  expect(validate).toContain('DMAR-DRHD-REGISTER-OVERLAP');
  expect(decode).not.toContain('DMAR-DRHD-REGISTER-OVERLAP');
  expect(whole).toContain('<!doctype html');
  expect(validate).not.toContain('<!doctype html');
  expect(statSync(join(CLI, 'dmar-decode.cjs')).size).toBeLessThan(0.5 * whole.length);
  expect(statSync(join(CLI, 'dmar-validate.cjs')).size).toBeLessThan(0.7 * whole.length);
});

/**
 * bin/dmar.js run with a preload that notes every bundle compiled (each vm.Script's file name, in order), in a
 * directory of its own (XDG_CACHE_HOME too: -r makes other flags, and so a cache per user).
 */
function traced(args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-bundles-'));
  const log = join(dir, 'scripts.log');
  const spy = join(dir, 'spy.cjs');
  writeScriptSpy(spy, `require('node:fs').appendFileSync(${JSON.stringify(log)}, require('node:path').basename(options.filename) + '\\n')`);
  const r = spawnSync(process.execPath, ['-r', spy, join(ROOT, 'bin', 'dmar.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', XDG_CACHE_HOME: dir, ...env },
  });
  const scripts = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, scripts };
}

describe('a command its bundle does not hold is handed to the whole CLI', () => {
  // DMAR_BUNDLE names the bundle bin/dmar.js starts from, whatever the command
  const invalidTable = join(FIXTURES, 'invalid', readdirSync(join(FIXTURES, 'invalid')).find((f) => f.endsWith('.bin'))!);
  test.each([
    ['dmar-decode', ['flags', server], true],
    ['dmar-decode', ['validate', invalidTable], true],
    ['dmar-validate', ['decode', '--json', server], true],
    // refused by commander, or answered by it, before any command's module is imported: no hand-over
    ['dmar-validate', ['flags', '--bogus', server], false],
    ['dmar-decode', ['--version'], false],
  ] as const)('from %s: %j', (bundle, args, handed) => {
    const expected = traced([...args], { DMAR_BUNDLE: 'dmar' });
    expect(expected.scripts).toEqual(['dmar.cjs']);
    const r = traced([...args], { DMAR_BUNDLE: bundle });
    expect(r).toMatchObject({ status: expected.status, stdout: expected.stdout, stderr: expected.stderr });
    expect(r.scripts).toEqual(handed ? [`${bundle}.cjs`, 'dmar.cjs'] : [`${bundle}.cjs`]);
    expect(expected.stdout + expected.stderr).not.toBe('');
  });

  test('bin/dmar.js starts decode and validate from their own bundles, everything else from the whole CLI; DMAR_BUNDLE names one of the three or nothing', () => {
    expect(traced(['decode', server]).scripts).toEqual(['dmar-decode.cjs']);
    expect(traced(['--no-color', 'validate', server]).scripts).toEqual(['dmar-validate.cjs']);
    expect(traced(['flags', server]).scripts).toEqual(['dmar.cjs']);
    expect(traced(['--help']).scripts).toEqual(['dmar.cjs']);
    for (const other of ['../cli/dmar', 'dmar.cjs', 'dmar-flags', '/etc/passwd', ''])
      expect(traced(['decode', server], { DMAR_BUNDLE: other }).scripts).toEqual(['dmar-decode.cjs']);
  });

  test('with other Node flags, a hand-over keeps a cache per user for the whole CLI, which a command of its own then takes', () => {
    const home = mkdtempSync(join(tmpdir(), 'dmar-bundles-'));
    const env = { NODE_OPTIONS: '--max-old-space-size=4096', XDG_CACHE_HOME: home };
    const hash = (name: string) => (JSON.parse(readFileSync(join(CLI, `${name}.cjs.id`), 'utf8')) as { hash: string }).hash;
    expect(dmarProcess(['flags', server], { env: { ...env, DMAR_BUNDLE: 'dmar-decode' } }).status).toBe(0);
    const files = readdirSync(join(home, 'dmar')).sort();
    expect(files.map((f) => f.split('-')[0])).toEqual([hash('dmar'), hash('dmar-decode')].sort());
    const whole = join(home, 'dmar', files.find((f) => f.startsWith(hash('dmar')))!);
    const before = statSync(whole).ino;
    expect(dmarProcess(['flags', server], { env }).status).toBe(0);
    // accepted as it was: a rejected cache is replaced by a new file
    expect(statSync(whole).ino).toBe(before);
    rmSync(home, { recursive: true, force: true });
  });

  test('in a process bin/dmar.js did not start, the stand-in says so, and calls the hand-over bin/dmar.js sets', async () => {
    const decode = load('dmar-decode');
    const refused = await run(decode, ['flags', server]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      'dmar: internal error: this bundle of dmar runs decode only (bin/dmar.js runs the others) (set DMAR_DEBUG=1 for the stack trace)\n',
    );
    const key = Symbol.for('dmar.handover');
    const g = globalThis as unknown as Record<symbol, unknown>;
    g[key] = () => Promise.resolve(7);
    try {
      expect(await run(decode, ['flags', server])).toEqual({ status: 7, stdout: '', stderr: '' });
    } finally {
      delete g[key];
    }
  });
});
