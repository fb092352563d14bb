// Every command's --help ends with examples and its exit status, and `dmar help A B` shows A B's help.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { describe, expect, test } from 'vitest';
import { allCommands, commandPath, footerOf } from '../../src/cli/help.js';
import { buildProgram } from '../../src/cli/main.js';
import { dmar, FIXTURES, ROOT } from '../helpers.js';

const commands = allCommands(buildProgram()).map((c) => ({ path: commandPath(c), words: commandPath(c).split(' ').slice(1), cmd: c }));

/** What `dmar ARGS` prints on stdout and the exit status, in this process (as bin/dmar.js runs it, without the spawn). */
async function run(args: string[]): Promise<{ status: number; stdout: string }> {
  const program = buildProgram();
  let stdout = '';
  for (const c of allCommands(program))
    c.configureOutput({
      ...c.configureOutput(),
      writeOut: (s: string) => {
        stdout += s;
      },
      getOutHelpWidth: () => 80,
    });
  try {
    await program.parseAsync(['node', 'dmar', ...args]);
    return { status: 0, stdout };
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { status: e.exitCode, stdout };
  }
}

describe('--help of every command', () => {
  test('the tree holds every command (a new one shows up here)', () => {
    expect(commands.map((c) => c.path)).toEqual(
      expect.arrayContaining([
        'dmar',
        'dmar help',
        'dmar decode',
        'dmar encode',
        'dmar set-flag',
        'dmar clear-flag',
        'dmar flags',
        'dmar virt',
        'dmar virt show',
        'dmar virt set',
        'dmar virt remove',
        'dmar fix',
        'dmar diff',
        'dmar ims',
        'dmar ims matrix',
        'dmar validate',
      ]),
    );
  });

  test.each(commands.map((c) => [c.path, c] as const))('%s --help: options, examples, exit status', async (path, c) => {
    const r = await run([...c.words, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: ${path} `));
    const examples = r.stdout.split('\nExamples:\n')[1];
    expect(examples, `${path} --help has no Examples`).toBeDefined();
    const shown = [...examples!.matchAll(/^ {2}\$ (.*)$/gm)].map((m) => m[1]!);
    expect(shown.length).toBeGreaterThan(0);
    for (const line of shown) {
      // each example is a command line of this very command, and the files it names ship with dmar
      expect(line === path || line.startsWith(`${path} `), line).toBe(true);
      for (const f of line.split(' ').filter((w) => w.startsWith('fixtures/'))) expect(existsSync(join(ROOT, f)), f).toBe(true);
    }
    const exit = r.stdout.split('\nExit status:\n')[1]!;
    expect(exit).toMatch(/^ {2}0 {2}\S/m);
    expect(exit).toMatch(/^ {2}2 {2}\S/m);
    expect(footerOf(c.cmd)).toBeDefined();
    // the global colour options are listed for every command
    expect(r.stdout).toContain('--no-color');
  });

  test('validate spells out what CI needs: 0, 1 at or above --fail-on, 2 bad input or usage', () => {
    const exit = dmar(['validate', '--help']).stdout.split('\nExit status:\n')[1]!;
    expect(exit).toMatch(/^ {2}0 {2}no finding at or above --fail-on/m);
    expect(exit).toMatch(/^ {2}1 {2}findings at or above --fail-on/m);
    expect(exit).toMatch(/^ {2}2 {2}bad input or usage/m);
  });

  test('diff says 1 means the tables differ', async () => {
    expect((await run(['diff', '--help'])).stdout).toMatch(/^ {2}1 {2}the tables differ/m);
  });
});

describe('dmar help', () => {
  test.each(commands.filter((c) => c.words.length).map((c) => [c.path, c.words] as const))("dmar help %s is that command's --help", async (_, words) => {
    const viaHelp = await run(['help', ...words]);
    expect(viaHelp.status).toBe(0);
    expect(viaHelp.stdout).toBe((await run([...words, '--help'])).stdout);
  });

  test('dmar help virt set shows virt set, not virt', () => {
    const r = dmar(['help', 'virt', 'set']);
    expect(r.stdout).toMatch(/^Usage: dmar virt set /);
    expect(r.stdout).toContain('--features <list>');
  });

  test('dmar help with no command is dmar --help', async () => {
    expect((await run(['help'])).stdout).toBe((await run(['--help'])).stdout);
  });

  test('an unknown command is a usage error', () => {
    const r = dmar(['help', 'virt', 'sett']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('dmar: no command "dmar virt sett" (dmar --help lists the commands)');
  });
});

test("commander's usage errors are one line on stderr, exit 2, a suggestion joined to it", () => {
  const fixture = join(FIXTURES, 'qemu-q35-ir.bin');
  for (const [args, line] of [
    // a command's errors point to that command's help
    [['decode', fixture, '--bogus'], "dmar: unknown option '--bogus' (dmar decode --help for usage)"],
    [['decode', fixture, '--jsn'], "dmar: unknown option '--jsn' (Did you mean --json?) (dmar decode --help for usage)"],
    [['diff', fixture], "dmar: missing required argument 'b' (dmar diff --help for usage)"],
    [['frobnicate'], "dmar: unknown command 'frobnicate' (dmar --help for usage)"],
    // a subcommand's, to its own help; its parent's, to the parent's
    [['virt', 'set', fixture, '--bogus'], "dmar: unknown option '--bogus' (dmar virt set --help for usage)"],
    [['ims', 'matrix', '--bogus'], "dmar: unknown option '--bogus' (dmar ims matrix --help for usage)"],
    [['virt', '--bogus'], "dmar: unknown option '--bogus' (dmar virt --help for usage)"],
    // options that contradict each other are refused, not settled in silence
    [['decode', fixture, '-f', 'hex', '--json'], "dmar: option '--json' cannot be used with option '-f, --format <format>' (dmar decode --help for usage)"],
    [
      ['validate', fixture, '--json', '-f', 'junit'],
      "dmar: option '--json' cannot be used with option '-f, --format <format>' (dmar validate --help for usage)",
    ],
    [['decode', fixture, '--iasl-dialect', '2020'], "dmar: --iasl-dialect chooses the iasl source's dialect: give it with --format iasl, not text"],
    [['decode', fixture, '--json', '--iasl-dialect', '2020'], "dmar: --iasl-dialect chooses the iasl source's dialect: give it with --format iasl, not json"],
    [['validate', '--list', fixture], 'dmar: --list prints the catalogue of checks: it takes no input, --machine or --dmesg'],
    [['validate', '--list', '--machine', 'live'], 'dmar: --list prints the catalogue of checks: it takes no input, --machine or --dmesg'],
  ] as const) {
    const r = dmar([...args]);
    expect(r.status, args.join(' ')).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  }
});

test('help shown for a missing command (bare dmar, dmar virt) is a usage error, exit 2; help asked for is exit 0', () => {
  for (const args of [[], ['virt']]) {
    const r = dmar(args);
    expect(r.status, args.join(' ')).toBe(2);
    expect(r.stderr).toMatch(/^Usage: dmar/);
  }
  for (const args of [['--help'], ['help'], ['help', 'virt'], ['virt', '--help']]) expect(dmar(args).status, args.join(' ')).toBe(0);
});

test("-o '' (an unset variable in a script) is a usage error before anything is read or written: an edit does not rewrite its input", () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-empty-o-'));
  try {
    const table = join(dir, 't.bin');
    copyFileSync(join(FIXTURES, 'server-2s.bin'), table);
    const before = readFileSync(table);
    for (const args of [
      ['set-flag', 'ims-optout', table, '-o', ''],
      ['virt', 'set', table, '--output='],
      ['fix', table, '-o', ''],
      ['decode', table, '-o', ''],
      ['encode', join(FIXTURES, 'server-2s.json'), '-o', ''],
      ['report', table, '-o', ''],
      ['capture', '-o', ''],
    ]) {
      const r = dmar(args, { cwd: dir });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe('dmar: -o/--output: an empty file name (give a file, or - for stdout where the command writes there)\n');
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(readFileSync(table).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['t.bin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
