/**
 * ACPICA data-table source: the `[offset] Field Name : value` form that
 * `iasl -d` writes and `iasl` compiles. Two dialects: `current` (ACPICA
 * 20250404 and later: DRHD Size, device-scope Flags, SIDP) and `2020` (the
 * names of Debian's acpica-tools 20200925, which every release up to 20241212
 * keeps, and whose compilers insist on them: a 2024 iasl given the current
 * names never ends, nor does a 2025 one given the 2020 names).
 * A codec: `formatIasl` writes the source, `parseIasl` reads it back.
 */
import type { FieldDef, FieldValue } from '../../acpi/fields.js';
import { hex, hexDigits } from '../../acpi/hex.js';
import { bitValue } from '../../acpi/fields.js';
import { iaslComment, iaslString, quoted } from '../../acpi/escape.js';
import { ACPI_HEADER_FIELDS } from '../../acpi/header.js';
import { notOneByte, structureSize } from '../encode.js';
import { DmarError, excerpt } from '../errors.js';
import { layout } from '../layout.js';
import type { DeviceScope, DmarTable, Structure } from '../model.js';
import {
  DMAR_FIELDS,
  DMAR_FIXED_SIZE,
  DMAR_SIGNATURE,
  PATH_ENTRY_SIZE,
  PATH_NAME,
  SCOPE_FIELDS,
  SCOPE_TYPE_NAMES,
  SUBTABLE_HEADER_FIELDS,
  SUBTABLE_HEADER_SIZE,
  structDef,
  structureLabeller,
  structureLabels,
  type StructDef,
} from '../schema.js';

export type IaslDialect = 'current' | '2020';

/**
 * The ACPICA releases whose iasl reads each dialect: `current` from 20250404
 * (SIDP, the device-scope Flags byte and DRHD "Size (decoded below)" came in
 * that release), `2020` from the oldest up to 20241212.
 */
export const DIALECT_RELEASES: Record<IaslDialect, { from: number; to: number }> = {
  current: { from: 20250404, to: Number.POSITIVE_INFINITY },
  2020: { from: 0, to: 20241212 },
};

/** The dialect an iasl of this release (YYYYMMDD) reads. */
export function dialectForRelease(release: number): IaslDialect {
  return release >= DIALECT_RELEASES.current.from ? 'current' : '2020';
}

export const RAW_DATA_NAME = 'Raw Data';
export const TRAILING_DATA_NAME = 'Trailing Data';
export const RAW_TABLE_DATA = 'Raw Table Data';

const hx = (n: number | bigint, digits: number) => hexDigits(n, digits).toUpperCase();

export function lineHeader(d: IaslDialect, offset: number, size: number, name: string): string {
  return d === 'current'
    ? `[${hx(offset, 3)}h ${String(offset).padStart(4, '0')} ${hx(size, 3)}h] ${name.padStart(27)} : `
    : `[${hx(offset, 3)}h ${String(offset).padStart(4, '0')} ${String(size).padStart(3)}] ${name.padStart(28)} : `;
}

function flagLine(d: IaslDialect, name: string): string {
  return `${name.padStart(d === 'current' ? 44 : 45)} : `;
}

export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => hx(x, 2)).join(' ');
}

/**
 * A string field as `iasl -d` writes it (escape.ts iaslString); when that
 * loses bytes, a warning names the field and the bytes.
 */
function stringText(name: string, offset: number, s: string, warnings: string[]): string {
  const { text, replaced, cut, iaslUnreadable } = iaslString(s);
  if (iaslUnreadable) {
    warnings.push(`${name} at ${hex(offset)} holds a '"' or ends with a '\\', as iasl -d writes it: iasl cannot compile it back, dmar encode can`);
  }
  if (text.includes(RAW_TABLE_DATA)) {
    warnings.push(`${name} at ${hex(offset)} holds "${RAW_TABLE_DATA}", where iasl stops reading source: iasl cannot compile it back, dmar encode can`);
  }
  if (replaced.length || cut.length) {
    const bytes = (b: Iterable<number>) => hexBytes(Uint8Array.from(b));
    const why = [replaced.length ? `bytes ${bytes(new Set(replaced))} as spaces` : '', cut.length ? `the NUL and what follows, ${bytes(cut)}, left out` : '']
      .filter(Boolean)
      .join(' and ');
    warnings.push(
      `${name} at ${hex(offset)} is ${bytes(Array.from(s, (c) => c.charCodeAt(0)))}: iasl source cannot carry it exactly; ` +
        `written ${quoted(text)} (${why}) as iasl -d does; the JSON format keeps the exact bytes`,
    );
  }
  return `"${text}"`;
}

function valueText(row: FieldDef, v: FieldValue, size = row.size): string {
  if (row.kind === 'bytes') return hexBytes(v as Uint8Array);
  return hx(BigInt(v as number | bigint), size * 2);
}

/** ACPICA's annotation after a value, if any. */
function annotation(d: IaslDialect, row: FieldDef, v: FieldValue, where: string): string {
  if (row.role === 'signature') return d === '2020' ? '    [DMA Remapping table]' : '    [DMA Remapping Table]';
  if (row.role === 'type' && where === 'subtable') return ` [${structDef(Number(v))?.title ?? 'Unknown Subtable Type'}]`;
  if (row.role === 'type' && where === 'scope') {
    const n = Number(v);
    return ` [${n === 0 ? 'Reserved value' : (SCOPE_TYPE_NAMES[n] ?? 'Unknown Scope Type')}]`;
  }
  return '';
}

/**
 * iasl compiles an integer field named exactly "Reserved" as zero, whatever the
 * source says ("Must be zero, setting to zero", a warning it counts but, by
 * default, does not print; ACPICA dtfield.c DtCompileInteger), and from
 * 20210730 on refuses the source with that error (iasl -f compiles it as zero,
 * as checked against 20260408): a non-zero one,
 * such as the DRHD Size byte the 2020 dialect calls Reserved, is lost through
 * iasl. dmar encode keeps it.
 */
function reservedKept(name: string, field: string, offset: number, value: FieldValue | bigint, warnings: string[]): void {
  if (name !== 'Reserved' || value === 0 || value === 0n) return;
  if (value instanceof Uint8Array && value.every((b) => b === 0)) return;
  const shown = value instanceof Uint8Array ? 'non-zero bytes' : hex(value as number | bigint);
  const what = field === name ? 'Reserved' : `${field.replace(/ \(decoded below\)$/, '')} (named Reserved in this dialect)`;
  warnings.push(
    `${what} at ${hex(offset)} holds ${shown}: an iasl before 20210730 compiles a field named Reserved as zero, a later one refuses the source (iasl -f: as zero); dmar encode keeps it`,
  );
}

/**
 * Why no iasl, or not every iasl, of the dialect's releases compiles a structure; undefined when every one
 * does. SATC is in ACPICA from 20220331 (the 2020 dialect's names, known to its later releases only), SIDP
 * from 20250404 (the current dialect's first release).
 */
function unknownTo(def: StructDef | undefined, d: IaslDialect): string | undefined {
  if (def?.proposed) return 'a proposal that no iasl knows: dmar encode compiles this source, iasl does not';
  const since = def?.acpicaSince;
  if (since === undefined) return "unknown to ACPICA's iasl: dmar encode compiles this source, iasl does not";
  const { from, to } = DIALECT_RELEASES[d];
  if (since > to) return `known only to iasl ${since} and later, which read the current dialect, not this one: dmar encode compiles this source, iasl does not`;
  if (since > from)
    return `unknown to iasl before ${since} (Debian's acpica-tools 20200925 among them): iasl ${since} to ${to} compiles this source, dmar encode too`;
  return undefined;
}

export interface IaslResult {
  text: string;
  /** One line each: what iasl itself will not compile. */
  warnings: string[];
}

export function formatIasl(t: DmarTable, opts: { dialect?: IaslDialect; sourceName?: string; rawBytes?: Uint8Array } = {}): IaslResult {
  const d = opts.dialect ?? 'current';
  const out: string[] = [];
  const warnings: string[] = [];
  const line = (s: string) => out.push(s);
  line('/*');
  line(` * dmar: ACPI data table source for ACPICA iasl (${d === 'current' ? 'ACPICA 20250404 and later' : 'ACPICA 20200925 to 20241212'} field names)`);
  if (opts.sourceName) line(` * Disassembly of ${iaslComment(opts.sourceName)}`);
  line(' *');
  line(' * ACPI Data Table [DMAR]');
  line(' *');
  line(' * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue (in hex)');
  line(' */');
  line('');

  let merged: { row: FieldDef; value: FieldValue } | undefined;
  // layout() yields no raw item for zero raw bytes, but the reader needs the line to know the structure is raw
  let emptyRawAt: number | undefined;
  let inLast = false;
  const labels = structureLabels(t.structures);
  for (const it of layout(t)) {
    switch (it.kind) {
      case 'section':
        if (it.section === 'dmar') line('');
        break;
      case 'structure': {
        line('');
        emptyRawAt = it.s.raw?.length === 0 ? it.offset + SUBTABLE_HEADER_SIZE : undefined;
        inLast = it.index === t.structures.length - 1;
        const why = unknownTo(it.def, d);
        if (why) warnings.push(`${labels[it.index]} (type ${it.s.type}) at ${hex(it.offset)} is ${why}`);
        break;
      }
      case 'scope':
        line('');
        break;
      case 'field': {
        const { row } = it;
        if (merged) {
          // 2020: Flags and Reserved of a device scope are one 16-bit Reserved
          const v = BigInt(merged.value as number) | (BigInt(it.value as number) << 8n);
          const name = merged.row.iasl2020!.name;
          line(lineHeader(d, it.offset - merged.row.size, merged.row.size + row.size, name) + hx(v, 4));
          reservedKept(name, `device scope ${merged.row.name} and ${row.name}`, it.offset - merged.row.size, v, warnings);
          merged = undefined;
          if (it.where === 'scope' && row === SCOPE_FIELDS[SCOPE_FIELDS.length - 1]) line('');
          break;
        }
        if (d === '2020' && row.iasl2020?.mergeNext) {
          merged = { row, value: it.value };
          break;
        }
        const name = d === '2020' && row.iasl2020 ? row.iasl2020.name : row.name;
        const value = row.kind === 'ascii' ? stringText(name, it.offset, it.value as string, warnings) : valueText(row, it.value);
        line(lineHeader(d, it.offset, row.size, name) + value + annotation(d, row, it.value, it.where));
        if (row.kind === 'uint') reservedKept(name, row.name, it.offset, it.value, warnings);
        if (d === 'current' && row.name.endsWith('(decoded below)')) {
          for (const b of row.bits ?? []) line(flagLine(d, b.name) + hx(bitValue(it.value as number, b), 1));
        }
        if (row.role === 'length' && it.where === 'subtable') {
          line('');
          if (emptyRawAt !== undefined) line(lineHeader(d, emptyRawAt, 0, RAW_DATA_NAME));
        }
        if (it.where === 'scope' && row === SCOPE_FIELDS[SCOPE_FIELDS.length - 1]) line('');
        break;
      }
      case 'path':
        line(lineHeader(d, it.offset, PATH_ENTRY_SIZE, PATH_NAME) + `${hx(it.device, 2)},${hx(it.function, 2)}`);
        line('');
        break;
      case 'name':
        line(lineHeader(d, it.offset, it.size, it.title) + stringText(it.title, it.offset, it.name, warnings));
        if (!it.terminated) warnings.push(`${it.title} at ${hex(it.offset)} has no NUL within its Length: the source adds one`);
        break;
      case 'trailing':
        // implied padding is still written before the table's own trailing bytes, or the reader could not tell them apart
        if (!it.implied || (inLast && (t.trailing?.length ?? 0) > 0)) {
          line(lineHeader(d, it.offset, it.bytes.length, TRAILING_DATA_NAME) + hexBytes(it.bytes));
          warnings.push(`${it.bytes.length} bytes at ${hex(it.offset)} belong to no field: iasl cannot compile "${TRAILING_DATA_NAME}", dmar encode can`);
        }
        // the Length alone keeps them: iasl computes the Length from the name, so its table is shorter
        else
          warnings.push(
            `${it.bytes.length} bytes of padding at ${hex(it.offset)} after a name: iasl drops them and computes a shorter Length, dmar encode keeps them`,
          );
        break;
      case 'raw':
        line(lineHeader(d, it.offset, it.bytes.length, RAW_DATA_NAME) + hexBytes(it.bytes));
        break;
      case 'end':
        if (opts.rawBytes) {
          line('');
          line(`${RAW_TABLE_DATA}: Length ${opts.rawBytes.length} (0x${hx(opts.rawBytes.length, 1)})`);
          line('');
          for (let o = 0; o < opts.rawBytes.length; o += 16) {
            const chunk = opts.rawBytes.subarray(o, o + 16);
            const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
            line(`    ${hx(o, 4)}: ${hexBytes(chunk).padEnd(47)}  // ${ascii}`);
          }
        }
        break;
    }
  }
  line('');
  return { text: out.join('\n'), warnings };
}

// ---- reading source back -------------------------------------------------

interface Entry {
  name: string;
  value: string;
  line: number;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** What may follow a value's closing quote on its line: blanks, an iasl `[...]` note, a comment. */
const AFTER_VALUE = /\s*(?:\[[^\]"]*\]\s*)?(?:\/\/|\/\*|$)/y;
/** The field length a line's `[offset decimal length]` (iasl -d) or `[length]` (iasl -T) prefix gives: its last number. */
function lineLength(raw: string): number {
  const open = raw.indexOf('[');
  if (open < 0 || raw.slice(0, open).trim()) return Number.NaN;
  const close = raw.indexOf(']', open);
  // `006h` (current iasl: hex), `  6` (iasl 2020, templates: decimal)
  const m = close < 0 ? null : /(?:^|\s)(?:([0-9a-f]+)h|(\d+))$/i.exec(raw.slice(open + 1, close).trimEnd());
  return m ? (m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2])) : Number.NaN;
}

/**
 * Where the quoted value opened at `open` ends. iasl -d writes a '"' inside a
 * value as it is (`Oem ID : "A"//BC"`), so the first quote after the opening
 * one need not close it; a comment after a value may hold quotes too
 * (`"BOCHS " // was "X"`). A closing quote is one followed by nothing but
 * blanks, a `[...]` note or a comment; of those, the last whose value fits the
 * line's field length (when its prefix gives one), else the last. -1: none.
 * `closers`: the line's quotes that may close a value and its field length,
 * found once per line (closers()): a line of many quotes is read once, not
 * once per quote.
 */
function closingQuote(closers: Closers, open: number): number {
  const { at, width } = closers;
  if (!at.length || at[at.length - 1]! <= open) return -1;
  // the last closer at most `width` characters of value after the opening quote (NaN: none fits)
  const limit = open + 1 + width;
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (at[m]! <= limit) lo = m + 1;
    else hi = m;
  }
  const fitting = lo > 0 && at[lo - 1]! > open ? at[lo - 1]! : -1;
  return fitting >= 0 ? fitting : at[at.length - 1]!;
}

interface Closers {
  /** The quotes followed by nothing but blanks, a `[...]` note or a comment, in order. */
  at: number[];
  width: number;
}
function closers(raw: string): Closers {
  const at: number[] = [];
  for (let q = raw.indexOf('"'); q >= 0; q = raw.indexOf('"', q + 1)) {
    AFTER_VALUE.lastIndex = q + 1;
    if (AFTER_VALUE.test(raw)) at.push(q);
  }
  return { at, width: lineLength(raw) };
}

/** Split source into `Name : value` entries, comments dropped, up to "Raw Table Data". */
export function sourceEntries(text: string): Entry[] {
  const entries: Entry[] = [];
  let inComment = false;
  let commentLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    // the text outside comments, as slices of the line (no per-character concatenation: lines may be huge)
    let s = '';
    let from = 0;
    if (!inComment && !raw.includes('/')) s = raw;
    else {
      let quotes: Closers | undefined;
      let j = 0;
      for (; j < raw.length; j++) {
        const c = raw[j]!;
        if (inComment) {
          if (c === '*' && raw[j + 1] === '/') {
            inComment = false;
            from = ++j + 1;
          }
          continue;
        }
        if (c === '"') {
          const close = closingQuote((quotes ??= closers(raw)), j);
          if (close > j) j = close;
          continue;
        }
        if (c === '/' && raw[j + 1] === '*') {
          s += raw.slice(from, j);
          inComment = true;
          commentLine = i + 1;
          j++;
          continue;
        }
        if (c === '/' && raw[j + 1] === '/') break;
      }
      if (!inComment) s += raw.slice(from, j);
    }
    // the hex dump after the fields (iasl -d's): at a line's start, not inside a value
    if (s.trimStart().startsWith(RAW_TABLE_DATA)) break;
    s = s.replace(/^\s*\[[^\]]*\]/, '').trim();
    if (!s) continue;
    // iasl -d's line for a structure it cannot decode (2020 and SATC, SIDP): its bytes are only in the dump
    const unknown = /^\*+ Unknown DMAR subtable type (0x[0-9a-f]+)/i.exec(s);
    if (unknown)
      throw new DmarError(
        `line ${i + 1}: iasl could not decode DMAR structure type ${Number(unknown[1])} (a type that iasl does not know: newer than it, or in no ACPICA release): decode the binary with dmar instead`,
        { code: 'DMAR-SOURCE' },
      );
    const colon = s.indexOf(':');
    if (colon < 0) throw new DmarError(`line ${i + 1}: expected "Field Name : value", found ${excerpt(s)}`, { code: 'DMAR-SOURCE' });
    entries.push({ name: s.slice(0, colon).trim(), value: s.slice(colon + 1).trim(), line: i + 1 });
  }
  if (inComment) throw new DmarError(`line ${commentLine}: a /* comment is never closed`, { code: 'DMAR-SOURCE' });
  return entries;
}

function parseValue(row: FieldDef, e: Entry, size = row.size): FieldValue {
  const bad = (why: string): never => {
    throw new DmarError(`line ${e.line}: ${e.name}: ${why}`, { code: 'DMAR-SOURCE' });
  };
  if (row.kind === 'ascii') {
    const m = /^"(.*)"/.exec(e.value);
    if (!m) bad(`expected a quoted string, found ${excerpt(e.value)}`);
    const s = m![1]!;
    if (s.length > row.size) bad(`${excerpt(s)} is longer than ${row.size} characters`);
    const wide = notOneByte(s);
    if (wide) bad(wide);
    return s.replace(/\0+$/, '');
  }
  if (row.kind === 'bytes') {
    const toks = e.value.split(/[\s,]+/).filter(Boolean);
    if (toks.length !== size || toks.some((x) => !/^[0-9a-f]{1,2}$/i.test(x))) bad(`expected ${size} hex bytes, found ${excerpt(e.value)}`);
    return Uint8Array.from(toks.map((x) => parseInt(x, 16)));
  }
  // a number, and after it at most iasl -d's `[...]` note (`0001 [Reserved Memory Region]`)
  const v = /^((?:0x)?[0-9a-f]+)\s*(?:\[[^\]]*\])?$/i.exec(e.value);
  // iasl evaluates an expression (`FED00000 + 90000`, `01 | 02`); taking its first number would write another value
  if (!v && /^[\s0-9a-fx()+\-*/%|&^~!<>]+$/i.test(e.value) && /[-+*/%|&^~!<>()]/.test(e.value))
    bad(`${excerpt(e.value)} is an expression: iasl computes those, dmar does not (write its value)`);
  if (!v) bad(`expected a hex number, found ${excerpt(e.value)}`);
  const tok = v![1]!;
  const digits = tok.replace(/^(0x)?0*/i, '');
  const fits = `does not fit in ${size} byte${size > 1 ? 's' : ''}`;
  // a long run of digits is refused by its length, before BigInt reads it
  if (digits.length > 2 * size) bad(`${excerpt(tok)} ${fits}`);
  const n = BigInt('0x' + (digits || '0'));
  if (n >= 1n << BigInt(8 * size)) bad(`${tok} ${fits}`);
  return row.size > 4 ? n : Number(n);
}

class Cursor {
  i = 0;
  constructor(readonly entries: Entry[]) {}
  peek(): Entry | undefined {
    return this.entries[this.i];
  }
  is(name: string): boolean {
    const e = this.peek();
    return e !== undefined && norm(e.name) === norm(name);
  }
  take(names: string[], context: string): Entry {
    const e = this.entries[this.i];
    if (!e) throw new DmarError(`end of source: expected "${names[0]}" (${context})`, { code: 'DMAR-SOURCE' });
    if (!names.some((n) => norm(n) === norm(e.name))) {
      throw new DmarError(`line ${e.line}: expected "${names.join('" or "')}" (${context}), found ${excerpt(e.name)}`, { code: 'DMAR-SOURCE' });
    }
    this.i++;
    return e;
  }
}

/** Read rows in order; a 2020 merged field fills this row and the next. */
function readRows(c: Cursor, rows: readonly FieldDef[], context: string): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const legacy = row.iasl2020;
    const e = c.take(legacy ? [row.name, legacy.name] : [row.name], context);
    if (legacy?.mergeNext && norm(e.name) === norm(legacy.name) && norm(legacy.name) !== norm(row.name)) {
      const next = rows[k + 1]!;
      const v = BigInt(parseValue(row, e, row.size + next.size) as number);
      out[row.key] = Number(v & ((1n << BigInt(8 * row.size)) - 1n));
      out[next.key] = Number(v >> BigInt(8 * row.size));
      k++;
      continue;
    }
    out[row.key] = parseValue(row, e);
    // ACPICA's decoded sub-lines repeat bits of the value just read: the compiler ignores them too
    while (row.bits?.some((b) => c.is(b.name))) c.i++;
  }
  return out;
}

/**
 * Where parseIasl read each structure and device scope: kept by the model's own objects, not by their index,
 * so that a model edited after the parse (a structure inserted, removed or replaced) names no other
 * structure's line. `name`: the line of a structure's name (ANDD).
 */
const STRUCTURE_LINES = new WeakMap<Structure, { first: number; name?: number }>();
const SCOPE_LINES = new WeakMap<DeviceScope, number>();

/**
 * The source line of a structure of a table parseIasl made, or of its device scope `scope`; of a structure
 * with a name (ANDD), the name's line (what the encoder can find wrong there is its name: a character over
 * one byte, or a name too long for the Length). Undefined for a structure or scope from elsewhere (one added
 * after the parse). The encoder's errors about the model are placed by it (encodeSource).
 */
export function iaslLine(t: DmarTable, structure: number, scope?: number): number | undefined {
  const s = t.structures[structure];
  if (!s) return undefined;
  const lines = STRUCTURE_LINES.get(s);
  if (scope !== undefined) {
    const sc = s.scopes?.[scope];
    return (sc && SCOPE_LINES.get(sc)) ?? lines?.first;
  }
  return lines?.name ?? lines?.first;
}

/**
 * Parse ACPICA data-table source (iasl -d output, iasl -T templates, our own
 * output) into a table model. `maxBytes`: the largest table it may describe.
 * Source names an ANDD's padding only by its Length (up to 64 KiB from one
 * line), so a few KiB of source can stand for a table of GiB: the parse stops
 * once the table passes the limit, before that is built.
 */
export function parseIasl(text: string, { maxBytes = Number.POSITIVE_INFINITY }: { maxBytes?: number } = {}): DmarTable {
  const c = new Cursor(sourceEntries(text));
  if (!c.peek()) throw new DmarError('no "Field Name : value" lines: not ACPICA data-table source', { code: 'DMAR-SOURCE' });
  const headerLine = c.peek()?.line;
  const header = readRows(c, ACPI_HEADER_FIELDS, 'ACPI header');
  if (header.signature !== DMAR_SIGNATURE) {
    throw new DmarError(`line ${headerLine ?? '?'}: Signature is ${excerpt(String(header.signature))}, not "${DMAR_SIGNATURE}"`, { code: 'DMAR-SOURCE' });
  }
  const t: DmarTable = { header, fields: readRows(c, DMAR_FIELDS, 'DMAR fixed part'), structures: [] };
  const label = structureLabeller();
  let prev: string | undefined;
  let size = DMAR_FIXED_SIZE;
  const grow = (n: number, line: number | undefined) => {
    size += n;
    if (size > maxBytes) {
      throw new DmarError(`line ${line ?? '?'}: the table would be over ${maxBytes} bytes, the table limit (--max-input or DMAR_MAX_INPUT raises it)`, {
        code: 'DMAR-SOURCE',
      });
    }
  };
  while (c.peek()) {
    const line = c.peek()?.line;
    if (c.is(TRAILING_DATA_NAME)) {
      const e = c.take([TRAILING_DATA_NAME], 'table');
      t.trailing = parseBytes(e);
      grow(t.trailing.length, line);
      continue;
    }
    const context = prev ? `the structure after ${prev}` : 'the first structure';
    const hdr = readRows(c, SUBTABLE_HEADER_FIELDS, context);
    const type = hdr.type as number;
    prev = label(type);
    const declared = hdr.length as number;
    const def = structDef(type);
    const s: Structure = { offset: 0, type, length: 0, fields: {} };
    const lines: { first: number; name?: number } = { first: line! };
    STRUCTURE_LINES.set(s, lines);
    if (!def || c.is(RAW_DATA_NAME)) {
      if (!c.is(RAW_DATA_NAME)) {
        const e = c.peek();
        throw new DmarError(
          `line ${e?.line ?? line ?? '?'}: structure type ${type} has no known layout and no "${RAW_DATA_NAME}" line (iasl could not decode it: decode the binary with dmar instead)`,
          { code: 'DMAR-SOURCE' },
        );
      }
      s.raw = parseBytes(c.take([RAW_DATA_NAME], context));
      grow(structureSize(s), line);
      t.structures.push(s);
      continue;
    }
    const ctx = prev;
    s.fields = readRows(c, def.fields, ctx);
    if (def.body.kind === 'scopes') {
      s.scopes = [];
      while (c.is(SCOPE_FIELDS[0]!.name)) {
        const scopeLine = c.peek()!.line;
        const fields = readRows(c, SCOPE_FIELDS, `device scope of ${ctx}`);
        const path: { device: number; function: number }[] = [];
        while (c.is(PATH_NAME)) {
          const e = c.take([PATH_NAME], ctx);
          const m = /^([0-9a-f]{1,2})\s*,\s*([0-9a-f]{1,2})$/i.exec(e.value);
          if (!m) throw new DmarError(`line ${e.line}: ${PATH_NAME}: expected "DD,FF", found ${excerpt(e.value)}`, { code: 'DMAR-SOURCE' });
          path.push({ device: parseInt(m[1]!, 16), function: parseInt(m[2]!, 16) });
        }
        const scope: DeviceScope = { offset: 0, fields, path };
        SCOPE_LINES.set(scope, scopeLine);
        s.scopes.push(scope);
      }
    } else if (def.body.kind === 'name') {
      const e = c.take([def.body.title ?? ''], ctx);
      lines.name = e.line;
      const m = /^"(.*)"/.exec(e.value);
      if (!m) throw new DmarError(`line ${e.line}: ${def.body.title}: expected a quoted string`, { code: 'DMAR-SOURCE' });
      s.name = m[1]!;
    }
    // The last "Trailing Data" is the table's when this structure's Length has no room for it
    const tableTrailing = c.is(TRAILING_DATA_NAME) && c.i === c.entries.length - 1 && declared < structureSize(s) + parseBytes(c.peek()!).length;
    if (c.is(TRAILING_DATA_NAME) && !tableTrailing) s.trailing = parseBytes(c.take([TRAILING_DATA_NAME], ctx));
    else if (def.body.padded) {
      // iasl -d shows an ANDD's Length but not the padding after the name; the Length keeps it
      const pad = declared - structureSize(s);
      if (pad > 0) {
        grow(pad, line); // before the padding is made
        s.trailing = new Uint8Array(pad);
        size -= pad;
      }
    }
    grow(structureSize(s), line);
    t.structures.push(s);
  }
  return t;
}

function parseBytes(e: Entry): Uint8Array {
  const toks = e.value.split(/\s+/).filter(Boolean);
  if (toks.some((x) => !/^[0-9a-f]{2}$/i.test(x))) {
    throw new DmarError(`line ${e.line}: ${e.name}: expected hex bytes`, { code: 'DMAR-SOURCE' });
  }
  return Uint8Array.from(toks.map((x) => parseInt(x, 16)));
}
