/**
 * The examples and exit status that end each command's --help (help.ts
 * prints them). Examples use the fixtures shipped with dmar; a test runs
 * every command's --help and checks each example names an existing file.
 */
import type { HelpFooter } from './help.js';

const EDIT_EXIT = {
  0: 'the result was written (or nothing needed to change: the file is untouched)',
  2: 'bad input or usage: an input that is not a readable DMAR table (or one that does not decode cleanly, without --force), an input that cannot be rewritten in place, an unknown name or option',
} as const;
const READ_EXIT = { 0: 'the table was read and shown' } as const;

export const FOOTERS: ReadonlyMap<string, HelpFooter> = new Map<string, HelpFooter>([
  [
    'dmar',
    {
      examples: [
        ['dmar decode fixtures/server-2s.bin', "show a table as text (dmar decode with no file: this machine's table, as root)"],
        ['dmar validate fixtures/ --fail-on warning', 'lint every DMAR table in a directory, for CI'],
        ['dmar help virt set', 'the help of one command'],
      ],
      exit: {
        0: 'success',
        1: 'validate: findings at or above --fail-on; diff: the tables differ; decode --lenient: a broken table; ims --expect: a verdict other than the one asked for',
        2: 'bad input or usage (one line on stderr, naming the file and byte offset when there is one)',
      },
    },
  ],
  [
    'dmar help',
    {
      examples: [
        ['dmar help validate', 'the options, examples and exit status of validate'],
        ['dmar help virt set', 'the same for a subcommand'],
      ],
      exit: { 0: 'the help was shown', 2: 'no such command' },
    },
  ],
  [
    'dmar decode',
    {
      examples: [
        ['dmar decode fixtures/qemu-q35-ir.bin', 'annotated text, coloured on a terminal'],
        ['dmar decode fixtures/qemu-q35-ir.bin --json -o q35.json', 'the JSON document, written atomically to q35.json'],
        ['dmar decode fixtures/server-2s.bin --format iasl --iasl-dialect 2020', "iasl data-table source for ACPICA up to 20241212 (Debian's 20200925)"],
        ['dmar decode --format hex', "this machine's table (/sys/firmware/acpi/tables/DMAR, readable by root only) as an annotated hex dump"],
      ],
      exit: {
        0: 'the table was decoded (every table, when several)',
        1: 'with --lenient: a broken table, shown up to and around the break',
        2: 'bad input: a table that cannot be read (one line on stderr each; the other tables are still decoded)',
      },
    },
  ],
  [
    'dmar encode',
    {
      examples: [
        ['dmar encode fixtures/qemu-q35-ir.json -o q35.bin', 'JSON document to a binary table'],
        ['dmar encode table.dsl -o table.bin', 'iasl source (iasl -d output, dmar decode --format iasl) to a binary table'],
      ],
      exit: {
        0: 'the table was written',
        2: 'bad input or usage: a source that does not parse (one line naming the file and line or field), an unwritable output',
      },
    },
  ],
  [
    'dmar set-flag',
    {
      examples: [
        ['dmar set-flag ims-optout table.bin', 'set IMS_OPTOUT in place (the name as displayed, IMS_OPTOUT, works too, in any case)'],
        ['dmar set-flag x2apic-optout fixtures/qemu-q35-ir.bin -o out.bin', 'write the result to out.bin, leaving the input alone'],
      ],
      exit: EDIT_EXIT,
    },
  ],
  [
    'dmar clear-flag',
    {
      examples: [
        ['dmar clear-flag IMS_OPTOUT table.bin', 'clear IMS_OPTOUT in place'],
        ['dmar clear-flag intr-remap fixtures/qemu-q35-ir.bin -o out.bin', 'write the result to out.bin'],
      ],
      exit: EDIT_EXIT,
    },
  ],
  [
    'dmar flags',
    {
      examples: [
        ['dmar flags fixtures/qemu-q35-ir.bin', 'every Flags bit, set or clear'],
        ['dmar flags fixtures/qemu-q35-ir.bin --json', 'the same as JSON'],
      ],
      exit: READ_EXIT,
    },
  ],
  [
    'dmar virt',
    {
      examples: [
        ['dmar virt show fixtures/qemu-virt-descriptor.bin', 'the descriptor of a table'],
        ['dmar virt set table.bin --virtualized', 'add one (dmar help virt set tells more)'],
      ],
      exit: { 0: 'the subcommand succeeded (see dmar help virt show|set|remove)' },
    },
  ],
  [
    'dmar virt show',
    {
      examples: [
        ['dmar virt show fixtures/qemu-virt-descriptor.bin', 'the descriptor and its bits'],
        ['dmar virt show fixtures/qemu-virt-descriptor.bin --json', 'as JSON'],
      ],
      exit: { 0: 'shown (also when the table has no descriptor: it says so)' },
    },
  ],
  [
    'dmar virt set',
    {
      examples: [
        ['dmar virt set table.bin --virtualized --signature KVMKVMKVM --features ims,msi-compose', 'add (or change) the descriptor in place'],
        ['dmar virt set fixtures/qemu-virt-descriptor.bin --features none -o out.bin', 'clear every feature, written to out.bin'],
        ['dmar virt set table.bin --bare-metal', 'firmware asserts bare metal'],
      ],
      exit: EDIT_EXIT,
    },
  ],
  [
    'dmar virt remove',
    {
      examples: [
        ['dmar virt remove table.bin', 'remove the descriptor in place'],
        ['dmar virt remove fixtures/qemu-virt-descriptor.bin -o out.bin', 'write the result to out.bin'],
      ],
      exit: EDIT_EXIT,
    },
  ],
  [
    'dmar fix',
    {
      examples: [
        ['dmar fix table.bin', 'recompute Table Length and Checksum in place'],
        ['dmar fix fixtures/server-2s.bin -o out.bin', 'write the result to out.bin'],
      ],
      exit: {
        0: 'the result was written (or the table was right already: the file is untouched)',
        2: 'bad input or usage: an input that is not a DMAR table at all (one that does not decode cleanly is what fix mends, without --force), an input that cannot be rewritten in place, an unknown option',
      },
    },
  ],
  [
    'dmar diff',
    {
      examples: [
        ['dmar diff fixtures/qemu-q35-ir.bin fixtures/qemu-virt-descriptor.bin', 'what changed, structure by structure'],
        ['dmar diff old.bin new.bin --json', 'the difference as JSON (dmar-diff/1)'],
      ],
      exit: { 0: 'the tables are byte for byte equal', 1: 'the tables differ' },
    },
  ],
  [
    'dmar ims',
    {
      examples: [
        ['dmar ims fixtures/ims/qemu-legacy.bin --policy all --hypervisor', "every policy's verdict for a guest"],
        ['dmar ims --json', 'this machine: its table and live evidence (/proc, /sys)'],
        ['dmar ims --machine capture-dir --policy linux', 'a captured machine; linux picks linux-6.2 or linux-6.10 by its kernel'],
        ['dmar ims tables/ --policy all', 'one row per table and policy, and a summary'],
        ['dmar ims guest.bin --expect opt-in=virtualized', 'for CI: exit 1 when the verdict differs'],
        ['dmar ims matrix', 'every scenario under every policy'],
      ],
      exit: {
        0: 'a verdict was given (whichever it is: read it from the output or --json), and every --expect held',
        1: 'an --expect POLICY=VERDICT did not hold on some table',
        2: 'bad input or usage (a table of a directory that cannot be read: its row says why)',
      },
    },
  ],
  [
    'dmar ims matrix',
    {
      examples: [
        ['dmar ims matrix', 'the table of verdicts'],
        ['dmar ims matrix --json', 'as JSON'],
      ],
      exit: { 0: 'the matrix was printed', 2: 'usage: an option of dmar ims that the matrix does not take' },
    },
  ],
  [
    'dmar validate',
    {
      examples: [
        ['dmar validate fixtures/server-2s.bin', 'findings as text; exit 1 when there is an error'],
        ['dmar validate fixtures/ --format junit -o dmar.xml --fail-on warning', 'every DMAR table of a directory, a JUnit report for CI; warnings fail too'],
        ['dmar validate fixtures/invalid/DMAR-RMRR-ALIGN.bin --json --ignore DMAR-RMRR-ALIGN', 'JSON, one check skipped'],
        ['dmar validate --list', 'the catalogue of checks'],
        [
          'dmar validate --machine fixtures/machine/server-rmrr-nvs/capture',
          'the table of a capture judged against its machine (memory map, PCI tree, MADT, IOMMU units)',
        ],
        [
          'dmar validate fixtures/server-2s.bin --dmesg fixtures/logs/surface-pro-3.log',
          'the memory map and kernel of a boot log (its BIOS-e820 lines, or user: lines after memmap=/mem=) for the RMRR check',
        ],
      ],
      exit: {
        0: 'no finding at or above --fail-on (default error)',
        1: 'findings at or above --fail-on',
        2: 'bad input or usage: an input that cannot be read as a DMAR table (reported, and the others still validated), an unknown check ID or option',
      },
    },
  ],
  [
    'dmar capture',
    {
      examples: [
        ['dmar capture -o machine', 'snapshot this machine into ./machine (as root for config space, ACPI tables and the kernel log)'],
        ['dmar capture --json -o machine', 'the same, printing the manifest (what was read, what was not, and why)'],
      ],
      exit: { 0: 'the capture was written (what could not be read is in its manifest)', 2: 'the target exists and is not empty, or cannot be written' },
    },
  ],
  [
    'dmar topology',
    {
      examples: [
        [
          'dmar topology --machine fixtures/machine/desktop-usb-gfx-rmrr/capture',
          'each PCI device of a capture: its unit, the RMRRs that pin it, VFIO passthrough, predicted IOMMU groups',
        ],
        ['dmar topology fixtures/server-2s.bin', 'what the table alone says: units -> scopes, RMRRs -> devices'],
        ['dmar topology --machine live --json', 'this machine, as JSON (format dmar-topology/1)'],
      ],
      exit: READ_EXIT,
    },
  ],
  [
    'dmar explain',
    {
      examples: [
        ['dmar explain fixtures/logs/surface-pro-3.log', 'what each DMAR line of a boot log means'],
        ['dmar explain fixtures/logs/faults.log --table fixtures/server-2s.bin', "DMA faults decoded, their addresses matched to the table's RMRRs"],
        ['dmar explain - < fixtures/logs/ideapad-320-15isk.log', 'a log from stdin (journalctl -k | dmar explain -)'],
      ],
      exit: { 0: 'the log was read and explained', 2: 'bad input: a log or table that cannot be read' },
    },
  ],
  [
    'dmar report',
    {
      examples: [
        [
          'dmar report --machine fixtures/machine/desktop-usb-gfx-rmrr/capture -o report.html',
          "a capture's table against its machine: summary, topology, memory map, findings linked to the bytes",
        ],
        ['dmar report fixtures/server-2s.bin -o report.html', 'a table alone'],
        ['dmar report --machine live -o report.html', "this machine's table against this machine"],
      ],
      exit: {
        0: 'the page was written (whatever the findings: they are in the page)',
        2: 'bad input (no DMAR table, truncated, unreadable capture or log) or usage; nothing is written',
      },
    },
  ],
  [
    'dmar map',
    {
      examples: [
        [
          'dmar map --machine fixtures/machine/server-rmrr-nvs/capture',
          "RMRRs and register windows over the firmware memory map, with Linux's verdict on each RMRR",
        ],
        ['dmar map fixtures/server-2s.bin --dmesg fixtures/logs/surface-pro-3.log', "a table over a boot log's BIOS-e820 map"],
        ['dmar map --machine live --json', 'this machine, as JSON (format dmar-map/1)'],
      ],
      exit: { 0: 'the map was printed (an RMRR Linux rejects is shown, not an error: dmar validate judges)', 2: 'bad input or usage' },
    },
  ],
]);
