// A start registers only the command it runs (src/cli/main.ts buildProgram(only)): each command
// registered alone must be the command the whole program has, options, arguments, help and subcommands.
import type { Command } from 'commander';
import { expect, test } from 'vitest';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import { dmar, FIXTURES } from '../helpers.js';

/** The help a user reads, with the text added before and after it (the footer and its examples). */
const helpText = (c: Command): string => {
  let out = '';
  c.configureOutput({ writeOut: (t) => (out += t), writeErr: (t) => (out += t) });
  c.outputHelp();
  return out;
};

/** What a user can see of a command: its usage, options, arguments, help text and subcommands, in order. */
const shape = (c: Command): unknown => ({
  name: c.name(),
  usage: c.usage(),
  description: c.description(),
  options: c.options.map((o) => [o.flags, o.description, o.defaultValue, o.argChoices]),
  arguments: c.registeredArguments.map((a) => [a.name(), a.description, a.required, a.variadic]),
  help: helpText(c),
  commands: c.commands.map(shape),
});

const full = buildProgram();
const names = full.commands.map((c) => c.name()).filter((n) => n !== 'help');

test('the whole program has every command', () => {
  expect(names).toEqual(
    expect.arrayContaining([
      'decode',
      'encode',
      'set-flag',
      'clear-flag',
      'flags',
      'virt',
      'fix',
      'diff',
      'ims',
      'validate',
      'capture',
      'topology',
      'explain',
      'report',
      'map',
    ]),
  );
});

test.each(names)('dmar %s registered alone is the command of the whole program', (name) => {
  const lean = buildProgram(name);
  expect(lean.commands.map((c) => c.name())).toEqual([name]);
  expect(shape(lean.commands[0]!)).toEqual(shape(full.commands.find((c) => c.name() === name)!));
  expect(lean.options.map((o) => o.flags)).toEqual(full.options.map((o) => o.flags));
});

test('the help compared includes the footer and its examples', () => {
  expect(helpText(buildProgram('decode').commands[0]!)).toMatch(/Examples?:/);
});

test('a word that names no command registers none (the caller then builds the whole program)', () => {
  expect(buildProgram('4M').commands).toEqual([]);
});

// A global option's value is no command: `--max-input decode validate` runs validate, whose --max-input is
// then refused, as the whole program would (it said "unknown command 'validate'")
test("the command a start registers alone is told past a global option's value", () => {
  const r = dmar(['--max-input', 'decode', 'validate', join(FIXTURES, 'server-2s.bin')]);
  expect(r).toMatchObject({ status: 2, stdout: '' });
  expect(r.stderr).toBe('dmar: --max-input: not a size: "decode" (bytes, or a number with K, M or G)\n');
  expect(dmar(['--max-input', '4M', 'validate', join(FIXTURES, 'server-2s.bin')]).status).toBe(0);
});
