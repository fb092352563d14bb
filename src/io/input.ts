/**
 * Where a table comes from: a file or stdin (raw binary, acpidump text, or
 * table source text when the caller can compile it, told apart by content),
 * or the running machine's sysfs.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { looksLikeAcpidump, parseAcpidump, type DumpedTable } from '../acpi/acpidump.js';
import { DmarError, naming } from '../dmar/errors.js';
import { io } from './std.js';

export interface Source {
  /** What to call the input in messages. */
  name: string;
  kind: 'binary' | 'acpidump' | 'sysfs' | 'source';
  /** The requested table's bytes. */
  bytes: Uint8Array;
  /** Every table of an acpidump (the requested one included). */
  tables?: DumpedTable[];
  /** True when the source cannot be rewritten in place (stdin, sysfs). */
  readOnly: boolean;
  /** What a reader should be told about how the table was picked (an acpidump with two DMAR tables). */
  warnings?: string[];
}

/** Root of the live system's files; tests point it at a fake tree. */
export function liveRoot(): string {
  return io().env.DMAR_ROOT ?? '/';
}

export function sysfsTablePath(signature = 'DMAR'): string {
  return join(liveRoot(), 'sys/firmware/acpi/tables', signature);
}

/**
 * How large a DMAR table may be, in bytes. Real tables are under 64 KiB; the
 * default, 1 MiB, keeps every command fast and its memory small. What is read
 * from a file or stdin may be 16 times that: acpidump text holds every table of
 * a machine in hex (2 MB for a large server), JSON and iasl source are wordy.
 * `--max-input SIZE` or DMAR_MAX_INPUT=SIZE raises it (bytes, or with K, M, G).
 */
export const DEFAULT_MAX_TABLE = 1 << 20;
const TEXT_FACTOR = 16;
let maxTableOverride: number | undefined;

export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([kmg]?)(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Set the table size limit for this process (the CLI's --max-input). */
export function setMaxTable(bytes: number | undefined): void {
  maxTableOverride = bytes;
}

/** The most bytes any input is read to: TEXT_FACTOR times the table limit (source text is larger than its table), READ_CEILING at most. */
export function inputLimit(): number {
  return Math.min(maxTable() * TEXT_FACTOR, READ_CEILING);
}

/**
 * The most any input is read to, whatever --max-input says: a text input becomes
 * one string, and V8's longest is just under 512 MiB (a Buffer's, 4 GiB; one
 * read, 2 GiB). It takes a table limit over 16 MiB to reach it.
 */
const READ_CEILING = 256 << 20;

export function maxTable(): number {
  if (maxTableOverride !== undefined) return maxTableOverride;
  const env = io().env.DMAR_MAX_INPUT;
  if (env === undefined || env === '') return DEFAULT_MAX_TABLE;
  const n = parseSize(env);
  if (n === undefined) throw new DmarError(`not a size: ${JSON.stringify(env)} (bytes, or a number with K, M or G)`, { file: 'DMAR_MAX_INPUT' });
  return n;
}

export function sizeText(n: number): string {
  for (const [unit, k] of [
    ['GiB', 30],
    ['MiB', 20],
    ['KiB', 10],
  ] as const) {
    if (n >= 2 ** k && n % 2 ** k === 0) return `${n / 2 ** k} ${unit}`;
  }
  return `${n} bytes`;
}

/** What an input is read as: the size message speaks of tables only for tables (a kernel log of 100 MB is real). */
export type InputKind = 'table' | 'kernel log';

function tooLarge(what: string, limit: number, name: string, kind: InputKind = 'table'): DmarError {
  if (limit === READ_CEILING && maxTable() * TEXT_FACTOR > READ_CEILING)
    return new DmarError(`${what}: over the ${sizeText(READ_CEILING)} dmar reads of one input, whatever --max-input says`, { file: name });
  const which = limit === maxTable() ? `the ${sizeText(limit)} table limit` : `the ${sizeText(limit)} input limit (${TEXT_FACTOR} times the table limit)`;
  const why = kind === 'table' ? '; real DMAR tables are under 64 KiB' : ` for a ${kind}`;
  return new DmarError(`${what}: over ${which}${why} (--max-input or DMAR_MAX_INPUT raises it)`, { file: name });
}

/** Device and inode of every file read, so that no output is written over an input. */
/** Whether `path` names a directory (false when it names nothing). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface FileId {
  dev: number;
  ino: number;
}
/**
 * The files a CLI command has read (so that its -o never overwrites one of them);
 * undefined outside a command: the library keeps no such state between calls.
 */
let inputsRead: FileId[] | undefined;
/** Inputs read by path alone (readListedFile: no fstat per file of a directory), compared when an output is written. */
let listedRead: (string | Buffer)[] | undefined;

/** A file readListedFile read is an input of the command (a directory's table): -o must not overwrite it. */
export function rememberListedInput(path: string | Buffer): void {
  listedRead?.push(path);
}

export function isInputFile(st: FileId): boolean {
  if (inputsRead?.some((f) => f.dev === st.dev && f.ino === st.ino)) return true;
  return (
    listedRead?.some((p) => {
      try {
        const l = statSync(p);
        return l.dev === st.dev && l.ino === st.ino;
      } catch {
        return false;
      }
    }) ?? false
  );
}

/** A new command starts: the files read so far are no longer its inputs, and no --max-input is given yet. */
export function startCommand(): void {
  inputsRead = [];
  listedRead = [];
  maxTableOverride = undefined;
}

function kindOf(st: Stats): string {
  return st.isDirectory()
    ? 'is a directory'
    : st.isFIFO()
      ? 'is a FIFO, not a regular file'
      : st.isCharacterDevice()
        ? 'is a character device, not a regular file'
        : st.isBlockDevice()
          ? 'is a block device, not a regular file'
          : st.isSocket()
            ? 'is a socket, not a regular file'
            : 'is not a regular file';
}

function readError(e: unknown, name: string): DmarError {
  const err = e as NodeJS.ErrnoException;
  const why =
    err.code === 'ENOENT'
      ? 'no such file'
      : err.code === 'EACCES'
        ? 'permission denied'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.code === 'ENOTDIR'
            ? 'a parent is not a directory'
            : err.code === 'ELOOP'
              ? 'too many levels of symbolic links'
              : err.message;
  return new DmarError(why, { file: name, errno: err.code });
}

export const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Read `fd` to its end, failing once more than `limit` bytes came. */
/**
 * Read `fd` to its end, no more than `limit` bytes. `expected`, a regular
 * file's size: read into one buffer of that size, so a directory of tables
 * does not allocate a megabyte per file.
 */
function readFd(fd: number, limit: number, name: string, what: string, expected?: number, kind?: InputKind): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let buf = Buffer.allocUnsafe(Math.min(expected !== undefined ? Math.max(expected, 1) : 1 << 16, limit + 1));
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      chunks.push(buf);
      buf = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      len = 0;
    }
    let n: number;
    try {
      n = readSync(fd, buf, len, buf.length - len, null);
    } catch (e) {
      // a non-blocking stdin with nothing yet
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        pause(5);
        continue;
      }
      throw readError(e, name);
    }
    if (n === 0) break;
    len += n;
    total += n;
    if (total > limit) throw tooLarge(`more than ${sizeText(limit)}${what}`, limit, name, kind);
    // a regular file read to the size fstat gave (checked against the limit): no read more to see its end,
    // as readFileSync does (a file that grows meanwhile is read as it was)
    if (expected !== undefined && total === expected) break;
  }
  const last = buf.subarray(0, len);
  return chunks.length ? Buffer.concat([...chunks, last], total) : last;
}

/**
 * A listed file that could not be opened or read: undefined when it is gone
 * (removed since the listing, or a dangling symlink) or no file at all (a
 * socket); any other failure
 * (permission denied, an I/O error) is thrown, since the file may be a table
 * that a run must not pass over in silence.
 */
function unlessGone(e: unknown, name: string): undefined {
  // ENXIO: a socket (through a symlink), or a device with no driver: no regular file, so no table
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENXIO') return undefined;
  throw readError(e, name);
}

/** The most readListedFile reads of a file in one call: a file that fills it is read the careful way. */
const LISTED_SCRATCH = 1 << 16;
/**
 * readListedFile reads each file into a slab, from the slab's first free byte, and the file's bytes stay there
 * (a view, not a copy); a new slab is made when less than one read's room is left, and an old one is freed
 * once no table read into it is referred to.
 */
const SLAB = 96 << 10;
let slab: Buffer | undefined;
let slabAt = 0;
/** How readListedFile opens a file (worked out once: fs.constants is a slow object to read). */
const LISTED_OPEN = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * A file a directory listing called a regular file: read whole when it is
 * under 64 KiB (every real DMAR table is) and the input limit, with one open, one read and one
 * close, and no fstat (what readInputHead checks, the listing already said;
 * O_NONBLOCK: should a FIFO be swapped in meanwhile, the read does not wait,
 * and a device that never ends fills the buffer and is refused as readInputHead
 * refuses it). A larger file: its first `n` bytes, as readInputHead gives
 * them. Undefined when it is gone, as readInputHead. `limit`: the input
 * limit, inputLimit() (a directory works it out once). The caller
 * remembers a file it takes as an input (rememberListedInput): one it passes
 * over, a report from an earlier run say, stays writable with -o.
 */
export function readListedFile(path: string | Buffer, n: number, limit = inputLimit(), name = String(path)): { bytes: Buffer; whole: boolean } | undefined {
  if (!slab || SLAB - slabAt < LISTED_SCRATCH) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabAt = 0;
  }
  let fd: number | undefined;
  let len: number;
  try {
    fd = openSync(path, LISTED_OPEN);
    len = readSync(fd, slab, slabAt, LISTED_SCRATCH, 0);
  } catch (e) {
    return unlessGone(e, name);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  // larger, or over --max-input: the careful way, which reports that
  if (len === LISTED_SCRATCH || len > limit) return readInputHead(path, n, name);
  // a short read of a regular file is its end
  const bytes = slab.subarray(slabAt, slabAt + len);
  // the next file from a multiple of 8 bytes
  slabAt += (len + 7) & ~7;
  return { bytes, whole: true };
}

/**
 * The first `n` bytes of a regular file, read as readInputBytes reads (never a
 * FIFO or device), and whether that is the whole file; undefined when it is
 * no regular file or is gone, a DmarError naming `name` when it cannot be
 * read. A directory walk tells candidates from their first bytes without
 * reading other files whole.
 */
export function readInputHead(path: string | Buffer, n: number, name = String(path)): { bytes: Buffer; whole: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.allocUnsafe(Math.min(n, Math.max(st.size, 1)));
    let len = 0;
    for (let r: number; len < buf.length && (r = readSync(fd, buf, len, buf.length - len, len)) > 0; ) len += r;
    const whole = st.size <= len;
    if (whole) inputsRead?.push({ dev: st.dev, ino: st.ino });
    return { bytes: buf.subarray(0, len), whole };
  } catch (e) {
    return unlessGone(e, name);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Every command reads its inputs here: `-` is stdin, anything else must be a
 * regular file (checked before it is opened: a FIFO with no writer or
 * /dev/zero would block or never end), and no more than the size limit
 * (TEXT_FACTOR times the table limit) is read.
 */
export function readInputBytes(file: string | Buffer, name = file === '-' ? 'stdin' : String(file), kind?: InputKind): Buffer {
  const limit = inputLimit();
  if (file === '-') {
    const stdin = io().stdin;
    if (typeof stdin === 'number') return readFd(stdin, limit, name, ' on stdin', undefined, kind);
    if (stdin.length > limit) throw tooLarge(`more than ${sizeText(limit)} on stdin`, limit, name, kind);
    return Buffer.from(stdin);
  }
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw readError(e, name);
  }
  if (!st.isFile()) throw new DmarError(kindOf(st), { file: name });
  if (st.size > limit) throw tooLarge(sizeText(st.size), limit, name, kind);
  let fd: number;
  try {
    // O_NONBLOCK: should a FIFO be swapped in since the stat, opening it does not wait for a writer
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw readError(e, name);
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) throw new DmarError(kindOf(now), { file: name });
    const data = readFd(fd, limit, name, '', now.size, kind);
    inputsRead?.push({ dev: now.dev, ino: now.ino });
    return data;
  } finally {
    closeSync(fd);
  }
}

/**
 * A DMAR table over the size limit is refused, however it came: all its bytes, those past its Table Length
 * too (every view shows them: a hex dump, a report), so that a few bytes of table cannot bring megabytes
 * of junk in. When the Table Length is within the limit, the message says the rest is no part of the table.
 */
export function checkTableSize(bytes: Uint8Array, name: string, limit = maxTable()): void {
  if (bytes.length <= limit) return;
  const declared = bytes.length >= 8 ? (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0 : bytes.length;
  const what =
    declared <= limit
      ? `${sizeText(bytes.length)} of input whose Table Length is ${declared} (the bytes past it are no part of the table)`
      : `a table of ${sizeText(bytes.length)}`;
  throw tooLarge(what, limit, name);
}

/** Turns table source text (its bytes) into the table's bytes; throws for bad source. */
export type SourceCompiler = (data: Uint8Array, name: string, maxBytes: number) => Uint8Array;

/**
 * Text a table is written in rather than a table (`dmar encode`'s input): a JSON
 * document, or ACPICA data-table source (`[off] Name : value` lines, as iasl -d writes).
 */
export function looksLikeTableSource(head: string): boolean {
  if (head.includes('\0')) return false;
  return /^(?:\xef\xbb\xbf)?\s*\{/.test(head) || /^\s*(?:\[[^\]\n]*\]\s*)?Signature\s*:/m.test(head);
}

/**
 * A binary table rather than text: it starts with the signature, and its Length's top byte is 0 (a table under
 * 16 MiB), which text never holds. acpidump text of that table starts with the signature too (`DMAR @ 0x...`).
 */
export function isRawTable(data: Uint8Array, signature = 'DMAR'): boolean {
  for (let i = 0; i < 4; i++) if (data[i] !== signature.charCodeAt(i)) return false;
  return data.length < 8 || data[7] === 0;
}

/** The encoding of text that starts with a UTF-16 byte-order mark (Windows tools save so: PowerShell 5's `>`); undefined for anything else. */
export function utf16Encoding(data: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  return data[0] === 0xff && data[1] === 0xfe ? 'utf-16le' : data[0] === 0xfe && data[1] === 0xff ? 'utf-16be' : undefined;
}

/** Text saved as UTF-16 with a byte-order mark (an acpidump's), decoded; undefined for anything else. */
export function utf16Text(data: Uint8Array): string | undefined {
  const utf16 = utf16Encoding(data);
  return utf16 ? new TextDecoder(utf16).decode(data) : undefined;
}

/** Pick `signature` out of raw bytes, acpidump text, or (with `compile`) table source text. */
export function sourceFromBytes(data: Uint8Array, name: string, kind: 'binary' | 'sysfs', signature = 'DMAR', compile?: SourceCompiler): Source {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 4096)).toString('latin1');
  if (kind === 'binary' && compile && !head.startsWith(signature) && looksLikeTableSource(head)) {
    const bytes = compile(data, name, maxTable());
    checkTableSize(bytes, name);
    return { name, kind: 'source', bytes, readOnly: true };
  }
  const text = kind === 'binary' ? utf16Text(data) : undefined;
  if (kind === 'binary' && !isRawTable(data, signature) && looksLikeAcpidump(text?.slice(0, 4096) ?? head)) {
    // only the table asked for is held to its rows: a damaged SSDT does not refuse the DMAR, and another table a
    // reader uses (validate's MADT and HPET) carries its problem to that reader
    const strict = (sig: string) => sig === signature;
    const tables = naming(name, () => parseAcpidump(text ?? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1'), { strict }));
    const hits = tables.filter((t) => t.signature === signature);
    const hit = hits[0];
    if (!hit) {
      const sigs = [...new Set(tables.map((t) => t.signature))].join(', ');
      throw new DmarError(`no ${signature} table in this acpidump (it holds ${sigs || 'no tables'})`, { file: name });
    }
    checkTableSize(hit.bytes, name);
    const source: Source = { name, kind: 'acpidump', bytes: hit.bytes, tables, readOnly: true };
    // ACPI gives a machine one DMAR, and Linux reads the first (acpi_get_table(ACPI_SIG_DMAR, 0)): the others are told, never read silently
    if (hits.length > 1)
      source.warnings = [
        `this acpidump holds ${hits.length} ${signature} tables (lines ${hits.map((t) => t.line).join(', ')}): the first is read, as Linux reads only the first`,
      ];
    return source;
  }
  // a reader of binary tables only (the editors) given source text: say so, not "signature is {"
  if (kind === 'binary' && !compile && !head.startsWith(signature) && looksLikeTableSource(head))
    throw new DmarError(
      `is ${/^(?:\xef\xbb\xbf)?\s*\{/.test(head) ? 'JSON' : 'iasl'} source, not a binary table or acpidump text (dmar encode it to a binary table first)`,
      {
        file: name,
      },
    );
  checkTableSize(data, name);
  return { name, kind, bytes: data, readOnly: kind === 'sysfs' };
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Why the running machine's table cannot be read, as it is: sysfs shows every
 * table the firmware gave to everyone, so a missing file is a missing table
 * (root or not); only a file there that cannot be read is a matter of root.
 */
export function machineTableError(code: string | undefined, signature = 'DMAR', root = isRoot()): string | undefined {
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    if (signature !== 'DMAR') return `no ${signature} table on this machine`;
    const dir = dirname(sysfsTablePath(signature));
    if (!existsSync(dir)) return `no DMAR table on this machine: ${dir} does not exist (no ACPI, or sysfs not mounted here); give a file`;
    return 'no DMAR table on this machine: not an Intel VT-d platform, or VT-d is disabled in the firmware setup; give a file';
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return `cannot read the ${signature} table: permission denied${root ? '' : ' (it is readable by root only: run as root, or give a copy of it)'}`;
  }
  return undefined;
}

/**
 * Read a table: `file`, `-` for stdin, or undefined for the running machine's
 * table. With `compile`, a file or stdin may also hold the table's source text.
 */
export function readSource(file?: string, signature = 'DMAR', compile?: SourceCompiler): Source {
  if (file === undefined) {
    const path = sysfsTablePath(signature);
    try {
      return sourceFromBytes(readInputBytes(path), path, 'sysfs', signature);
    } catch (e) {
      const why = machineTableError(e instanceof DmarError ? e.errno : undefined, signature);
      if (why) throw new DmarError(why, { file: path });
      throw e;
    }
  }
  if (file === '-') {
    const s = sourceFromBytes(readInputBytes('-'), 'stdin', 'binary', signature, compile);
    return { ...s, readOnly: true };
  }
  return sourceFromBytes(readInputBytes(file), file, 'binary', signature, compile);
}
