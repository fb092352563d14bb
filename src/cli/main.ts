/**
 * The command line: options and help are declared here; each command's code
 * is imported only when that command runs, so `dmar` starts fast.
 */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, failureLine, stdoutWrite, usageError } from './common.js';
import { startCommand } from '../io/input.js';
import { io, PROCESS_IO, withIo, type Io } from '../io/std.js';
import { signalsSettled } from '../io/write.js';
import { DIRECTORY_CANDIDATES } from './inputs.js';
import { setColour } from './colour.js';
import { addFooters, addHelpCommand } from './help.js';
import { FOOTERS } from './help-text.js';
import { termText } from '../acpi/escape.js';
import { bitByKey } from '../acpi/fields.js';
import { DMAR_FIELDS, DMAR_FLAG_CLI, VIRT_FEATURE_CLI, fieldByKey } from '../dmar/schema.js';

const VERSION = '0.1.0';
/** The global options that take a value, as declared below (bin/dmar.js keeps the same list; a test compares). */
const GLOBAL_VALUE_OPTIONS = ['--max-input'];

/** Exit status: 0 success, 1 findings at or above the failing severity (or a difference), 2 bad input or usage. */
export { EXIT } from './common.js';
/** For bin/dmar.js: a validate batch's tables, as they are validated. */
export { listenToTables } from './batch.js';

/** The exit status the command's run() returned (undefined: 0). */
let status: number | undefined;

/**
 * A command's action: its module, imported when it runs. Every `import('./NAME.js')` of this file is a
 * command's module: decode's and validate's bundles (scripts/bundle.mjs) hold only their own, and give
 * each other one a stand-in that hands the command line to the whole CLI.
 */
function lazy<A extends unknown[]>(load: () => Promise<{ run: (...a: A) => Promise<number | void> | number | void }>) {
  return async (...args: A) => {
    const mod = await load();
    const code = await mod.run(...args);
    if (typeof code === 'number') status = code;
  };
}

/**
 * The program: every command, or (`only`) just that one, with the global
 * options: a start registers only the command it runs (the others' options and
 * help cost some 2 ms to declare); help, errors naming no command and `dmar
 * help` get the whole program.
 */
export function buildProgram(only?: string): Command {
  const want = (name: string) => only === undefined || only === name;
  const program = new Command('dmar')
    .description('Decode, encode, edit and validate ACPI DMAR (Intel VT-d) tables; decide how IMS may be used')
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: stdoutWrite,
      writeErr: (s) => io().stderr(s),
      // one line, as every failure; a command's own points to its help (below)
      outputError: errorLineFor('dmar'),
      getOutHelpWidth: () => (io().isTTY.stdout && io().columns) || 80,
      getErrHelpWidth: () => (io().isTTY.stderr && io().columns) || 80,
      // dmar's help and messages carry no colour, so there is nothing for commander to keep or strip; its own
      // question (process.stdout.hasColors) would build process.stdout and load the stream modules
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .option('--color', 'colour the output even when it is not a terminal (overrides NO_COLOR, FORCE_COLOR)')
    .option('--no-color', 'no colour (overrides FORCE_COLOR)')
    .option('--max-input <size>', 'largest DMAR table read, in bytes or with K, M, G (default 1M, or DMAR_MAX_INPUT; text inputs may be 16 times that)')
    .helpCommand(false)
    .hook('preAction', () => setColour(program.opts<{ color?: boolean }>().color));
  program.hook('preAction', async () => {
    const v = program.opts<{ maxInput?: string }>().maxInput;
    if (v === undefined) return;
    const { parseSize, setMaxTable } = await import('../io/input.js');
    const n = parseSize(v);
    if (n === undefined) throw usageError(`--max-input: not a size: ${JSON.stringify(v)} (bytes, or a number with K, M or G)`);
    setMaxTable(n);
  });

  if (want('decode'))
    program
      .command('decode')
      .description("decode DMAR tables (files, directories, - for stdin, acpidump text, or this machine's table)")
      .argument(
        '[files...]',
        'raw tables, acpidump text, or JSON/iasl source as encode reads it; directories (their candidate files, as for validate); - for stdin; none: /sys/firmware/acpi/tables/DMAR',
      )
      .addHelpText(
        'after',
        '\nSeveral tables (several inputs, or a directory): each is decoded in turn; text, hex and iasl open each with a line "==> FILE <==" (iasl: in a comment); --format json writes JSON Lines, one compact document per table with its "file" first. A table that cannot be read is one line on stderr, the others go on, and the run exits 2.',
      )
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'iasl', 'hex']).default('text'))
      .addOption(new Option('--json', 'same as --format json').conflicts('format'))
      .addOption(
        new Option(
          '--iasl-dialect <dialect>',
          "iasl source for these ACPICA releases: current (20250404 and later; the default) or 2020 (up to 20241212, Debian's 20200925 included: given the current names, those never finish); with --format iasl",
        ).choices(['current', '2020']),
      )
      .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
      .option('--lenient', 'show a broken table up to and around the break, the break marked (text, hex, json); exit 1 when broken')
      .action(lazy(() => import('./decode.js')));

  if (want('encode'))
    program
      .command('encode')
      .description('encode JSON or ACPICA data-table source (iasl -d output, iasl -T templates) to a binary table')
      .argument('<file>', 'JSON document or iasl source; - for stdin')
      .requiredOption('-o, --output <file>', 'binary table to write (atomically)')
      .option('--keep-checksum', 'keep the Checksum the input gives instead of computing it')
      .action(lazy(() => import('./encode.js')));

  const flagNames = Object.entries(DMAR_FLAG_CLI)
    .map(([cli, bit]) => (bitByKey(fieldByKey(DMAR_FIELDS, 'flags'), bit).proposed ? `${cli} (proposed)` : cli))
    .join(', ');
  const editTarget = '[file]';
  const editTargetHelp = 'binary table, rewritten in place (atomically) unless -o; - for stdin, or acpidump text, only with -o';
  for (const [name, verb] of [
    ['set-flag', 'set'],
    ['clear-flag', 'clear'],
  ] as const) {
    if (!want(name)) continue;
    program
      .command(name)
      .description(`${verb} one DMAR Flags bit, changing only that byte and the Checksum`)
      .argument('<flag>', flagNames)
      .argument(editTarget, editTargetHelp)
      .option('-o, --output <file>', 'write the result here instead of rewriting the input')
      .option('--force', 'edit a table that does not decode cleanly; rewrite a write-protected or hard-linked file')
      .action(lazy(() => (name === 'set-flag' ? import('./set-flag.js') : import('./clear-flag.js'))));
  }

  if (want('flags'))
    program
      .command('flags')
      .description('list the DMAR Flags bits and their state (reserved bits when set)')
      .argument('[file]', "raw table, acpidump text, or JSON/iasl source; - for stdin; none: this machine's table")
      .option('--json', 'JSON output')
      .action(lazy(() => import('./flags.js')));

  if (want('virt')) {
    const virt = program.command('virt').description('the virtualization descriptor (proposed; remapping structure type 0x8001)');
    virt
      .command('show')
      .description('show the virtualization descriptor (proposed)')
      .argument('[file]', "raw table, acpidump text, or JSON/iasl source; - for stdin; none: this machine's table")
      .option('--json', 'JSON output')
      .action(lazy(() => import('./virt-show.js')));
    virt
      .command('set')
      .description('add the descriptor after the last structure, or change only the values given in the one there')
      .argument(editTarget, editTargetHelp)
      .addOption(new Option('--virtualized', 'set VIRTUALIZED: the OS runs in a virtual machine').conflicts('bareMetal'))
      .addOption(new Option('--bare-metal', 'clear VIRTUALIZED: firmware asserts bare metal').conflicts('virtualized'))
      .option('--signature <s>', 'Hypervisor Signature, up to 12 ASCII characters (CPUID 0x40000000), "" for none')
      .option(
        '--features <list>',
        `comma-separated Supported Features (${Object.keys(VIRT_FEATURE_CLI).join(', ')}) replacing the current set; none for no feature`,
      )
      .option('--ims-optout', 'also set the DMAR flag IMS_OPTOUT (proposed), in the same edit, for opt-out consumers')
      .option('-o, --output <file>', 'write the result here instead of rewriting the input')
      .option('--force', 'edit a table that does not decode cleanly; rewrite a write-protected or hard-linked file')
      .action(lazy(() => import('./virt-set.js')));
    virt
      .command('remove')
      .description('remove the virtualization descriptor (every one there is)')
      .argument(editTarget, editTargetHelp)
      .option('-o, --output <file>', 'write the result here instead of rewriting the input')
      .option('--force', 'edit a table that does not decode cleanly; rewrite a write-protected or hard-linked file')
      .action(lazy(() => import('./virt-remove.js')));
  }

  if (want('fix'))
    program
      .command('fix')
      .description('recompute Table Length (by walking the structures) and Checksum; nothing else')
      .argument(editTarget, editTargetHelp)
      .option('-o, --output <file>', 'write the result here instead of rewriting the input')
      .option('--force', 'rewrite a write-protected or hard-linked file')
      .action(lazy(() => import('./fix.js')));

  if (want('diff'))
    program
      .command('diff')
      .description('structure-aware difference of two tables; exit 0 when equal, 1 when different')
      .argument('<a>', 'first table (raw, acpidump text, JSON/iasl source, or - for stdin)')
      .argument('<b>', 'second table')
      .option('--json', 'JSON output (format dmar-diff/1)')
      .action(lazy(() => import('./diff.js')));

  // `ims` takes the optional FILE itself and has one subcommand, `matrix`:
  // commander dispatches the literal word "matrix" to it, so a file of that
  // name is given as ./matrix. Options before or after `matrix` land on `ims`
  // (the program has no positional options); ims-matrix.ts checks them.
  if (want('ims')) {
    const ims = program
      .command('ims')
      .description('decide whether a device may use native IMS, virtualized IMS or none, under one or every policy')
      .argument(
        '[file]',
        "raw table, acpidump text or JSON/iasl source, or a directory of tables (one row per table and policy); - for stdin; none: this machine's table and live evidence (/proc, /sys)",
      )
      .addOption(
        new Option(
          '-p, --policy <policy>',
          'decision policy (opt-in, opt-out, firmware-hint are proposed; linux picks linux-6.2 or linux-6.10 by kernel version)',
        )
          .choices(['opt-in', 'opt-out', 'firmware-hint', 'linux', 'linux-6.2', 'linux-6.10', 'linux-pre-6.2', 'all'])
          .default('opt-in'),
      )
      .addOption(new Option('--tdx <state>', 'evidence: a TDX guest (CPUID leaf 0x21 "IntelTDX"; strong)').choices(['on', 'off']))
      .addOption(new Option('--hypervisor', 'evidence: the CPUID hypervisor bit is set (medium)').conflicts('bareMetal'))
      .addOption(new Option('--bare-metal', 'evidence: the CPUID hypervisor bit is clear (medium)').conflicts('hypervisor'))
      .addOption(
        new Option('--smbios-vm <state>', 'evidence: SMBIOS BIOS Characteristics Extension byte 2 bit 4, "virtual machine" (medium)').choices(['on', 'off']),
      )
      .option('--dmi-vendor <vendor>', 'evidence: DMI system vendor, VENDOR[:PRODUCT], checked against known hypervisors (weak)')
      .addOption(
        new Option('--caching-mode <state>', 'evidence: VT-d capability caching-mode bit (weak: set by virtual IOMMUs for device assignment)').choices([
          'on',
          'off',
        ]),
      )
      .option('--kernel <version>', 'kernel release for --policy linux (default: the machine read, else linux-6.10)')
      .option('--machine <dir>', 'read the machine evidence (and, without FILE, the table) from a capture directory, or live')
      .option('--expect <policy=verdict>', "exit 1 when the policy's verdict differs, on any table (repeatable)", (v: string, p: string[]) => [...p, v], [])
      .option('--json', 'JSON output (format dmar-ims/1): one document whatever --policy')
      .action(lazy(() => import('./ims.js')));
    ims
      .command('matrix')
      .description("every ground-truth scenario x what the OS knows: each policy's verdict, ok, UNSAFE or lost")
      .option('--json', 'JSON output')
      .action(lazy(() => import('./ims-matrix.js')));
  }

  if (want('validate'))
    program
      .command('validate')
      .description('lint DMAR tables for firmware CI: what Linux and fwts would complain about, and more')
      .argument(
        '[inputs...]',
        "tables (raw, acpidump text, or JSON/iasl source), directories (their candidate files, below), - for stdin; none: this machine's table",
      )
      .addHelpText(
        'after',
        `\nDirectories: ${DIRECTORY_CANDIDATES}. A candidate that cannot be read as a DMAR table is reported on stderr and the run exits 2.`,
      )
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'junit']).default('text'))
      .addOption(new Option('--json', 'same as --format json').conflicts('format'))
      .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'info']).default('error'))
      .option('--only <ids>', 'run only these checks (comma-separated IDs; PREFIX* for a prefix)', (v: string, p: string[]) => [...p, v], [])
      .option('--ignore <ids>', 'skip these checks (comma-separated IDs; PREFIX* for a prefix)', (v: string, p: string[]) => [...p, v], [])
      .option('--list', 'print the catalogue of checks (ID, severity, source, condition)')
      .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
      .option(
        '--machine <dir|live>',
        "judge the tables against a machine: a `dmar capture` directory (its dmesg.txt read as --dmesg reads a log), or live; no input: that machine's table",
      )
      .option(
        '--dmesg <log>',
        'a boot log (dmesg, journalctl -k) of the machine: its BIOS-e820 lines (user: lines after memmap=/mem=) give the memory map, its Linux version line the kernel',
      )
      .action(lazy(() => import('./validate.js')));

  if (want('capture'))
    program
      .command('capture')
      .description('snapshot this machine (ACPI tables, memory map, PCI tree, IOMMU units, kernel log) into a directory with a manifest')
      .option('-o, --output <dir>', 'directory to create (default dmar-capture-DATE-TIME)')
      .option('--json', 'print the manifest instead of the summary')
      .action(lazy(() => import('./capture.js')));
  if (want('topology'))
    program
      .command('topology')
      .description('which remapping unit covers each PCI device, the RMRRs that pin it, VFIO passthrough, predicted IOMMU groups')
      .argument('[file]', "raw table, acpidump text, or JSON/iasl source; - for stdin; none: the machine's table")
      .option('--machine <dir|live>', 'a `dmar capture` directory, or live')
      .option('--json', 'JSON output (format dmar-topology/1)')
      .action(lazy(() => import('./topology.js')));
  if (want('explain'))
    program
      .command('explain')
      .description('what each DMAR / DMAR-IR / intel-iommu line of a kernel log means: firmware bugs, faults, unit capabilities')
      .argument('[log]', 'kernel log (dmesg, dmesg -T, journalctl -k, syslog); - or none for stdin (none: when stdin is not a terminal)')
      .option('--table <file>', 'the DMAR table (raw, acpidump text, or JSON/iasl source): match lines to its structures, fault addresses to its RMRRs')
      .option('--json', 'JSON output (format dmar-explain/1)')
      .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
      .action(lazy(() => import('./explain.js')));
  if (want('report'))
    program
      .command('report')
      .description('one self-contained HTML page: summary, topology, memory map, findings linked to the bytes')
      .argument('[file]', "raw table, acpidump text, or JSON/iasl source; - for stdin; none: the machine's table")
      .option('--machine <dir|live>', 'a `dmar capture` directory, or live')
      .option('--dmesg <log>', 'a boot log: its BIOS-e820 lines (user: lines after memmap=/mem=) give the memory map, its Linux version line the kernel')
      .option('-o, --output <file>', 'the HTML file to write (atomically); none: stdout')
      .action(lazy(() => import('./report.js')));
  if (want('map'))
    program
      .command('map')
      .description("the physical address space as text: firmware memory map, RMRRs with Linux's verdict, DRHD register windows")
      .argument('[file]', "raw table, acpidump text, or JSON/iasl source; - for stdin; none: the machine's table")
      .option('--machine <dir|live>', 'a `dmar capture` directory, or live')
      .option('--dmesg <log>', 'a boot log: its BIOS-e820 lines (user: lines after memmap=/mem=) give the memory map')
      .option('--json', 'JSON output (format dmar-map/1)')
      .action(lazy(() => import('./map.js')));
  // more commands register below

  // `-o ''` (an unset variable in a script) is no file name: refused before anything is read, rather than taken as no -o (an edit in place)
  program.hook('preAction', (_, action) => {
    if (action.opts().output === '') throw usageError('-o/--output: an empty file name (give a file, or - for stdout where the command writes there)');
  });
  if (only === undefined) addHelpCommand(program);
  addFooters(program, FOOTERS);
  // each command's usage error points to its own help (`dmar virt set --help`, not `dmar virt --help`)
  const pointHelp = (c: Command, path: string) => {
    for (const sub of c.commands) {
      sub.configureOutput({ outputError: errorLineFor(`${path} ${sub.name()}`) });
      pointHelp(sub, `${path} ${sub.name()}`);
    }
  };
  pointHelp(program, 'dmar');
  return program;
}

/** commander's error message as one line (its own suggestion, "(Did you mean --json?)", joined to it), pointing to `command`'s help. */
const errorLineFor = (command: string) => (s: string, write: (s: string) => void) =>
  write(
    `${termText(
      s
        .replace(/^error: /, 'dmar: ')
        .trim()
        .replace(/\s*\n\s*/g, ' '),
    )} (${command} --help for usage)\n`,
  );

/**
 * Run the command line `argv` (node, script, arguments...) and return its exit
 * status. `with`: the process it runs in (default the real one); runs one at a time.
 */
export async function main(argv: string[], w: Io = PROCESS_IO): Promise<number> {
  const code = await withIo(w, () => runCommand(argv));
  // a SIGINT, SIGTERM or SIGHUP that came while an edit wrote: exit as it asks (128 + its number), not with `code`
  await signalsSettled();
  return code;
}

/** The program with only the command `words` run, when they name one and ask for no help or version; else undefined. */
function leanProgram(words: readonly string[]): Command | undefined {
  // the command: the first word that is neither an option nor the value of a global option (`--max-input 1M`)
  const first = words.find((w, i) => !w.startsWith('-') && !GLOBAL_VALUE_OPTIONS.includes(words[i - 1]!));
  if (first === undefined || words.some((w) => w === '-h' || w === '--help' || w === '-V' || w === '--version' || w === 'help')) return undefined;
  const program = buildProgram(first);
  return program.commands.length ? program : undefined;
}

async function runCommand(argv: string[]): Promise<number> {
  status = undefined;
  setColour(undefined);
  startCommand();
  const debug = Boolean(io().env.DMAR_DEBUG);
  const program = leanProgram(argv.slice(2)) ?? buildProgram();
  try {
    await program.parseAsync(argv);
    return status ?? 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // asked for (--help, help, --version): 0; shown because a command was missing (bare `dmar`, `dmar virt`): a usage error
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help') return e.exitCode === 0 ? 0 : EXIT.BAD_INPUT; // help() as asked (dmar help X), or help({ error: true })
      return EXIT.BAD_INPUT;
    }
    const line = failureLine(e);
    if (line !== undefined && !debug) {
      io().stderr(`dmar: ${termText(line)}\n`);
      return EXIT.BAD_INPUT;
    }
    if (debug) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    io().stderr(`dmar: internal error: ${termText(msg)} (set DMAR_DEBUG=1 for the stack trace)\n`);
    return EXIT.BAD_INPUT;
  }
}
