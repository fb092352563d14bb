// The CLI's bundles (scripts/bundle.mjs): decode and validate each start from one of their own, which holds
// only the code its command can reach, and every other command from the whole CLI, dist/cli/dmar.cjs; a
// command a bundle does not hold is handed to the whole CLI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { dmarProcess, FIXTURES, ROOT } from '../helpers.js';

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

describe('a command its bundle does not hold is handed to the whole CLI', () => {
  // DMAR_BUNDLE names the bundle bin/dmar.js starts from, whatever the command
  const plain = (args: string[]) => dmarProcess(args, { env: { NODE_OPTIONS: '' } });
  const from = (bundle: string, args: string[]) => dmarProcess(args, { env: { NODE_OPTIONS: '', DMAR_BUNDLE: bundle } });
  test.each([
    ['dmar-decode', ['flags', server]],
    ['dmar-decode', ['validate', join(FIXTURES, 'invalid', readdirSync(join(FIXTURES, 'invalid')).find((f) => f.endsWith('.bin'))!)]],
    ['dmar-validate', ['decode', '--json', server]],
    ['dmar-validate', ['flags', '--bogus', server]],
    ['dmar-decode', ['--version']],
  ])('from %s: %j', (bundle, args) => {
    const expected = plain(args);
    expect(from(bundle, args)).toMatchObject({ status: expected.status, stdout: expected.stdout, stderr: expected.stderr });
    expect(expected.stdout + expected.stderr).not.toBe('');
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
