/**
 * The end of every command's --help: examples, then the exit status. One
 * mechanism for every command (new ones call `helpFooter` too), so no
 * command's help text is formatted by hand.
 */
import type { Command } from 'commander';
import { usageError } from './common.js';
import { io } from '../io/std.js';

/** What exit status 2 means for every command that reads a table. */
export const BAD_INPUT_STATUS =
  'bad input or usage: an input that is not a readable DMAR table (one line on stderr naming the file and byte offset), an unknown option or value';

export interface HelpFooter {
  /** Command lines, each starting with the command's full name (`dmar virt set ...`), and what each does. */
  examples: readonly (readonly [line: string, what: string])[];
  /** What each exit status means for this command; 2 defaults to BAD_INPUT_STATUS. */
  exit: { 0: string; 1?: string; 2?: string };
}

/** The full command name: `dmar virt set`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const wrapAt = (indent: string, text: string, width: number): string => {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
};

/** The Examples and Exit status block, as `--help` prints it after the options. */
export function footerText(h: HelpFooter, width = 80): string {
  const examples = h.examples.map(([line, what]) => `  $ ${line}\n${wrapAt('      ', what, width)}`);
  const codes = ([0, 1, 2] as const).flatMap((n) => {
    const what = n === 2 ? (h.exit[2] ?? BAD_INPUT_STATUS) : h.exit[n];
    return what === undefined ? [] : [`${wrapAt('     ', what, width).replace(/^ {5}/, `  ${n}  `)}`];
  });
  return `\nExamples:\n${examples.join('\n')}\n\nExit status:\n${codes.join('\n')}\n`;
}

const footers = new WeakMap<Command, HelpFooter>();

/**
 * Append the Examples and Exit status block to `cmd`'s --help. A test checks
 * that every command has one and that each example is a command line of its command.
 */
export function helpFooter<C extends Command>(cmd: C, h: HelpFooter): C {
  if (footers.has(cmd)) return cmd;
  footers.set(cmd, h);
  cmd.addHelpText('after', () => footerText(h, Math.max(60, Math.min(io().columns || 80, 100))));
  return cmd;
}

export function footerOf(cmd: Command): HelpFooter | undefined {
  return footers.get(cmd);
}

/** Every command of the tree, the program first. */
export function allCommands(program: Command): Command[] {
  return [program, ...program.commands.flatMap((c) => allCommands(c))];
}

/** Give each command that has none yet (see helpFooter) the footer `footers` holds for its full name. */
export function addFooters(program: Command, footers: ReadonlyMap<string, HelpFooter>): void {
  for (const cmd of allCommands(program)) {
    const h = footers.get(commandPath(cmd));
    if (h) helpFooter(cmd, h);
  }
}

/**
 * `dmar help [COMMAND [SUBCOMMAND]]`: commander's own help command shows only
 * the first word's help (`help virt set` showed virt's), so the program turns
 * it off (helpCommand(false)) and gets this one, registered last.
 */
export function addHelpCommand(program: Command): void {
  program
    .command('help')
    .description('show the help of a command (dmar help virt set)')
    .argument('[command...]', 'a command and its subcommands')
    .action((words: string[]) => {
      let cmd = program;
      for (const w of words) {
        const next = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
        if (!next) throw usageError(`no command "${commandPath(cmd)} ${w}" (dmar --help lists the commands)`);
        cmd = next;
      }
      cmd.help();
    });
}
