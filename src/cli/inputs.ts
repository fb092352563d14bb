/**
 * The inputs of a command that takes many tables (decode, validate): files,
 * `-`, and directories walked one file at a time, so that a corpus of any size
 * is never held in memory at once. Each input is loaded only when its turn
 * comes, and a failure stays that input's.
 *
 * A directory's candidates (not recursive; names starting with "." and
 * anything not a regular file are skipped):
 * - every file whose content starts with the DMAR signature, or that is
 *   acpidump text holding a DMAR table;
 * - every file named like a raw table, *.dat, *.bin, *.dmar, *.aml or DMAR
 *   (any case), except another table's file as `acpidump -b` names them
 *   (apic.dat holding an APIC table): a DMAR table whose signature is damaged
 *   is reported, never skipped.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { looksLikeAcpidump, withoutBom } from '../acpi/acpidump.js';
import { firmwareText } from '../acpi/escape.js';
import {
  checkTableSize,
  inputLimit,
  isRawTable,
  maxTable,
  isDirectory,
  readInputBytes,
  readInputHead,
  readListedFile,
  rememberListedInput,
  sourceFromBytes,
  sysfsTablePath,
  utf16Text,
  type Source,
} from '../io/input.js';
import { DmarError } from '../dmar/errors.js';
import { DMAR_SIGNATURE } from '../dmar/schema.js';
import { readTableSource, told, usageError } from './common.js';

/** One input: a name for messages, and how to get its source (throws DmarError). */
export interface Input {
  name: string;
  load: () => Source;
}

const RAW_NAME = /(?:\.(?:dat|bin|dmar|aml)|^dmar)$/i;
const ACPIDUMP_B_NAME = /^([a-z0-9_]{4})\d*\.dat$/i;

/** Help text (validate --help, docs/validate.md): which files of a directory are read. */
export const DIRECTORY_CANDIDATES =
  'a DIR means each file in it (not recursive, hidden files skipped) that starts with the DMAR signature, ' +
  "is acpidump text with a DMAR table, or is named *.dat, *.bin, *.dmar, *.aml or DMAR, except another table's file " +
  'as acpidump -b names them (apic.dat holding an APIC table)';

/** Another table's file as `acpidump -b` names them (apic.dat, ssdt2.dat), holding that table. */
function otherTable(name: string, data: Uint8Array): boolean {
  const m = ACPIDUMP_B_NAME.exec(name);
  if (!m || m[1]!.toUpperCase() === DMAR_SIGNATURE) return false;
  return Buffer.from(data.buffer, data.byteOffset, Math.min(4, data.length)).toString('latin1') === m[1]!.toUpperCase();
}

/** An input that fails with `e` when its turn comes: a file of the directory that could not be read. */
const failing = (name: string, e: unknown): Input => ({
  name,
  load: () => {
    throw e;
  },
});

/**
 * The input for one directory entry, or undefined when the file is no candidate.
 * `path`: a Buffer for a name that is not UTF-8; `shown`, how messages name it.
 */
function directoryEntry(
  path: string | Buffer,
  shown: string,
  name: string,
  entry: Dirent<string> | Dirent<Buffer>,
  limit: number,
  tableLimit: number,
): Input | undefined {
  if (!entry.isFile() && !entry.isSymbolicLink()) return undefined;
  // a candidate is told from its name and its first 4 KiB: other files over 64 KiB are never read whole
  let h: ReturnType<typeof readListedFile>;
  try {
    h = entry.isFile() ? readListedFile(path, 4096, limit, shown) : readInputHead(path, 4096, shown);
  } catch (e) {
    // one that cannot be read may be a table: reported, never passed over
    return failing(shown, e);
  }
  if (!h) return undefined; // not a regular file, or vanished since the listing
  const first = h.bytes;
  const raw = isRawTable(first);
  const dumpText = !raw && looksLikeAcpidump(utf16Text(first)?.slice(0, 4096) ?? first.toString('latin1', 0, 4096));
  if (!raw && !dumpText && !(RAW_NAME.test(name) && !otherTable(name, first))) return undefined;
  let data: Buffer;
  try {
    data = h.whole ? first : readInputBytes(path, shown);
  } catch (e) {
    if (e instanceof DmarError) return failing(shown, e);
    return undefined; // vanished between listing and reading
  }
  const rawTable = raw && (data === first || isRawTable(data));
  if (!rawTable && dumpText && !/^DMAR @ /m.test(utf16Text(data) ?? withoutBom(data.toString('latin1')))) return undefined;
  // an input of this command from here on (readInputBytes remembered one it read itself)
  if (h.whole && entry.isFile()) rememberListedInput(path);
  // a raw table (the common case): no text to look at
  if (rawTable)
    return {
      name: shown,
      load: () => {
        checkTableSize(data, shown, tableLimit);
        return { name: shown, kind: 'binary', bytes: data, readOnly: false };
      },
    };
  return { name: shown, load: () => told(sourceFromBytes(data, shown, 'binary')) };
}

/** A file name the listing gave as bytes: as UTF-8 when it is (a name with a real U+FFFD), else its bytes past ASCII as \\xNN. */
function shownName(raw: Buffer): string {
  const utf8 = raw.toString('utf8');
  return Buffer.from(utf8).equals(raw) ? utf8 : firmwareText(raw.toString('latin1'));
}

/** A directory's candidates, in name order, each read when the caller reaches it. */
export function* directoryInputs(dir: string): Generator<Input> {
  let any = false;
  let entries: (Dirent<string> | Dirent<Buffer>)[] = readdirSync(dir, { withFileTypes: true }).filter((d) => !d.name.startsWith('.'));
  // a name that is not UTF-8 comes with U+FFFD for each bad byte and opens nothing: such names again, from a
  // listing of bytes (rare: the common case stays the one listing of strings, no object made per entry)
  if (entries.some((d) => typeof d.name === 'string' && d.name.includes('\uFFFD'))) {
    entries = entries.filter((d) => !(d.name as string).includes('\uFFFD'));
    for (const d of readdirSync(dir, { withFileTypes: true, encoding: 'buffer' }))
      if (d.name.toString('utf8').includes('\uFFFD') && d.name[0] !== 0x2e) entries.push(d);
  }
  const nameOf = (d: Dirent<string> | Dirent<Buffer>) => (typeof d.name === 'string' ? d.name : shownName(d.name));
  entries.sort((x, y) => {
    const a = nameOf(x);
    const b = nameOf(y);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  // the input limit, once for the directory (DMAR_MAX_INPUT is read from the environment)
  const tableLimit = entries.length ? maxTable() : 0;
  const limit = entries.length ? inputLimit() : 0;
  // join(dir, name) for every name a listing gives (no '/', never '.' or '..'), without normalising each path
  const prefix = join(dir, '_').slice(0, -1);
  for (const entry of entries) {
    let input: Input | undefined;
    if (typeof entry.name === 'string') {
      // the one path string, for reading and for messages (what each table's result keeps)
      const path = prefix + entry.name;
      input = directoryEntry(path, path, entry.name, entry, limit, tableLimit);
    } else {
      const name = shownName(entry.name);
      input = directoryEntry(Buffer.concat([Buffer.from(prefix), entry.name]), prefix + name, name, entry, limit, tableLimit);
    }
    if (!input) continue;
    any = true;
    yield input;
  }
  if (!any)
    yield {
      name: dir,
      load: () => {
        throw new DmarError('no DMAR table in this directory', { file: dir });
      },
    };
}

/**
 * Stdin can be read once: `-` named for two inputs (two tables, a table and
 * `--dmesg -`, diff's two tables, explain's log and `--table -`) is a usage
 * error before anything is read (the second reading found it empty, or took
 * the table's bytes for a kernel log). `others`: each other input by the name
 * the message gives it ("--dmesg", "the log").
 */
export function stdinOnce(tables: readonly (string | undefined)[], others: Readonly<Record<string, string | undefined>> = {}): void {
  const n = tables.filter((t) => t === '-').length;
  const named = n > 1 ? [`${n} tables`] : n ? ['a table'] : [];
  for (const [name, arg] of Object.entries(others)) if (arg === '-') named.push(name);
  if (n > 1 || named.length > 1) throw usageError(`- (stdin) is named for ${named.join(' and ')}: stdin can be read once`);
}

/** Every input named by `args` (none: the running machine's table), directories expanded lazily. */
export function* tableInputs(args: readonly string[]): Generator<Input> {
  stdinOnce(args);
  if (!args.length) {
    yield { name: sysfsTablePath(), load: () => readTableSource(undefined) };
    return;
  }
  for (const a of args) {
    if (a === '-') {
      yield { name: 'stdin', load: () => readTableSource('-') };
      continue;
    }
    // a missing path is not a directory: readTableSource reports it
    if (isDirectory(a)) yield* directoryInputs(a);
    else yield { name: a, load: () => readTableSource(a) };
  }
}
