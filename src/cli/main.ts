/**
 * The command line: options and help are declared here; each command's code
 * is imported only when that command runs, so `dmar` starts fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { failureLine } from './common.js';

const VERSION = '0.1.0';

/** Exit status: 0 success, 1 findings at or above the failing severity (or a difference), 2 bad input or usage. */
export const EXIT = { OK: 0, FINDINGS: 1, BAD_INPUT: 2 } as const;

function lazy<A extends unknown[]>(load: () => Promise<{ run: (...a: A) => Promise<number | void> | number | void }>) {
  return async (...args: A) => {
    const mod = await load();
    const code = await mod.run(...args);
    if (typeof code === 'number') process.exitCode = code;
  };
}

export function buildProgram(): Command {
  const program = new Command('dmar')
    .description('Decode, encode, edit and validate ACPI DMAR (Intel VT-d) tables; decide how IMS may be used')
    .version(VERSION)
    .showHelpAfterError('(dmar --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, 'dmar: ')) });

  program
    .command('decode')
    .description('decode a DMAR table (file, - for stdin, acpidump text, or this machine\'s table)')
    .argument('[file]', 'raw table or acpidump text; - for stdin; none: /sys/firmware/acpi/tables/DMAR')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'iasl', 'hex']).default('text'))
    .option('--json', 'same as --format json')
    .addOption(new Option('--iasl-dialect <dialect>', 'iasl source for this ACPICA release').choices(['current', '2020']).default('current'))
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .action(lazy(() => import('./decode.js')));

  program
    .command('encode')
    .description('encode JSON or ACPICA data-table source (iasl -d output, iasl -T templates) to a binary table')
    .argument('<file>', 'JSON document or iasl source; - for stdin')
    .requiredOption('-o, --output <file>', 'binary table to write (atomically)')
    .option('--keep-checksum', 'keep the Checksum the input gives instead of computing it')
    .action(lazy(() => import('./encode.js')));

  // more commands register below

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT.BAD_INPUT;
    }
    const line = failureLine(e);
    if (line !== undefined && !process.env.DMAR_DEBUG) {
      process.stderr.write(`dmar: ${line}\n`);
      return EXIT.BAD_INPUT;
    }
    if (process.env.DMAR_DEBUG) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`dmar: internal error: ${msg} (set DMAR_DEBUG=1 for the stack trace)\n`);
    return EXIT.BAD_INPUT;
  }
}
