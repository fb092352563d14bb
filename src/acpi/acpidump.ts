/**
 * `acpidump` text output: blocks of `SIG @ 0xADDRESS` followed by
 * `    OFFS: xx xx ... xx  ascii` lines.
 *
 * Read as ACPICA's acpixtract reads it: lines before the first header (a
 * prompt, a sentence of a bug report) and lines among a table's rows that are
 * no rows (a pager's prompt, an `acpidump` warning its stderr put there, the
 * text column a mail client wrapped onto a line of its own) are passed over. No
 * byte is lost unsaid that way: each row must start where the one before it
 * ended, and a table must hold the bytes its header's Length says (acpidump
 * writes exactly those), so a row missing or damaged is an error naming its line.
 */
import { DmarError, excerpt } from '../dmar/errors.js';
import { fieldByKey, readUint } from './fields.js';
import { ACPI_HEADER_FIELDS } from './header.js';
import { hex } from './hex.js';

export interface DumpedTable {
  signature: string;
  address: string;
  /** 1-based line of the `SIG @ 0x...` line. */
  line: number;
  bytes: Uint8Array;
  /**
   * Why the table's dump is damaged (a row out of place, a byte that is no byte, fewer bytes than its Length),
   * for a table the reader did not hold to its rows (`strict`): `bytes` are those read before the damage.
   */
  problem?: string;
}

export interface AcpidumpOptions {
  /**
   * The tables whose damage is an error (default: every table). Any other table that is damaged (a row out of
   * place, a byte that is no byte, fewer bytes than its Length) is kept with its `problem`, and the rest read:
   * a reader that wants the DMAR is not refused for a damaged SSDT, and one that wants that table too can tell.
   */
  strict?: (signature: string) => boolean;
}

/** `DMAR @ 0x00000000BF7A2000`; also `SSDT @ (nil)` and `DSDT @ 0x... (10999 bytes)`, which acpixtract reads too. */
const HEAD = /^([A-Za-z0-9_!]{4}) @ (0x[0-9A-Fa-f]+|\(nil\))(?:\s+\(\d+ bytes\))?\s*$/;
const ROW = /^\s*([0-9A-Fa-f]{4,8}):((?: [0-9A-Fa-f]{2}){1,16})(?:\s|$)/;
/** A line that starts as a row does (an offset and a colon): one that is then no row is a damaged row, never passed over. */
const ROW_START = /^\s*([0-9A-Fa-f]{4,8}):/;

/** The text without a UTF-8 byte-order mark (as latin1: its three bytes), which Windows editors put first. */
export const withoutBom = (text: string): string => (text.startsWith('\xef\xbb\xbf') ? text.slice(3) : text.startsWith('\ufeff') ? text.slice(1) : text);

/** True when the text looks like acpidump output: a `SIG @ 0x...` line among its first lines (after a prompt or a sentence, as pasted). */
export function looksLikeAcpidump(head: string): boolean {
  if (head.includes('\0')) return false;
  for (const line of withoutBom(head).split('\n', 20)) if (HEAD.test(line.replace(/\r$/, '').trimEnd())) return true;
  return false;
}

/** The header's Length, which every table but the RSDP has there (the RSDP's, ACPI 2.0 on, is at offset 20). */
const LENGTH = fieldByKey(ACPI_HEADER_FIELDS, 'length');
const hasLength = (signature: string) => signature !== 'RSDP';

export function parseAcpidump(text: string, opts: AcpidumpOptions = {}): DumpedTable[] {
  const strict = opts.strict ?? (() => true);
  const tables: DumpedTable[] = [];
  let cur:
    | {
        signature: string;
        address: string;
        line: number;
        chunks: number[];
        /** The line of the last row read. */
        last: number;
        /** A row of fewer than 16 bytes: the table's last, unless another row follows. */
        short?: { line: number; offset: string };
        problem?: string;
      }
    | undefined;
  /** A damaged table: an error when it is one the reader needs, else the table keeps its problem and no more rows. */
  const damage = (t: { signature: string; problem?: string }, message: string) => {
    if (strict(t.signature)) throw new DmarError(message);
    t.problem = message;
  };
  const flush = () => {
    const t = cur;
    cur = undefined;
    if (!t) return;
    const bytes = Uint8Array.from(t.chunks);
    const n = bytes.length;
    if (!t.problem && hasLength(t.signature)) {
      const where = `line ${t.last}: ${t.signature} dump`;
      const length = n < LENGTH.offset + LENGTH.size ? undefined : readUint(bytes, LENGTH.offset, LENGTH.size);
      // acpidump writes exactly the Length its header gives
      if (length === undefined) damage(t, `${where}: ${n} bytes, fewer than a table header's Signature and Length: the dump is cut short`);
      else if (n < length) damage(t, `${where}: ${n} bytes where the table's Length says ${length}: the dump is cut short (or a row lost bytes)`);
    }
    const table: DumpedTable = { signature: t.signature, address: t.address, line: t.line, bytes };
    if (t.problem) table.problem = t.problem;
    tables.push(table);
  };
  const lines = text.split('\n');
  if (lines.length) lines[0] = withoutBom(lines[0]!);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const h = HEAD.exec(line.trimEnd());
    if (h) {
      flush();
      cur = { signature: h[1]!, address: h[2]!, line: i + 1, chunks: [], last: i + 1 };
      continue;
    }
    if (!cur || cur.problem) continue;
    const r = ROW.exec(line);
    if (!r) {
      const start = ROW_START.exec(line);
      if (start) {
        const token = line.slice(start[0].length).trim().split(/\s+/)[0] ?? '';
        damage(
          cur,
          `line ${i + 1}: ${cur.signature} dump: row 0x${start[1]}: ${token ? excerpt(token) : 'nothing'} where byte 1 of the row should be (two hex digits)`,
        );
      }
      // not a row (a pager's prompt, an acpidump warning, a wrapped text column): passed over, as acpixtract does
      continue;
    }
    const off = parseInt(r[1]!, 16);
    if (cur.short) {
      // a row short of 16 bytes with another after it: bytes lost inside it (a double space read as the end of the bytes)
      damage(cur, `line ${cur.short.line}: ${cur.signature} dump: row 0x${cur.short.offset} holds fewer than 16 bytes, yet another row follows it`);
      continue;
    }
    if (off !== cur.chunks.length) {
      damage(cur, `line ${i + 1}: ${cur.signature} dump: row offset 0x${r[1]} where ${hex(cur.chunks.length)} was expected`);
      continue;
    }
    const bytes = r[2]!.trim().split(' ');
    // the bytes end the line, or the text column follows them after two spaces: a token one space after the
    // last byte read would be dropped, and the table silently change (or an error blame another line)
    const after = r[0].length - (/\s$/.test(r[0]) ? 1 : 0);
    const token = / (\S+)/y;
    token.lastIndex = after;
    const next = token.exec(line)?.[1];
    if (next !== undefined) {
      if (bytes.length === 16 && /^[0-9A-Fa-f]{2}$/.test(next)) damage(cur, `line ${i + 1}: ${cur.signature} dump: row 0x${r[1]} has more than 16 bytes`);
      else
        damage(
          cur,
          `line ${i + 1}: ${cur.signature} dump: row 0x${r[1]}: ${excerpt(next)} where byte ${bytes.length + 1} of the row should be (two hex digits)`,
        );
      continue;
    }
    for (const b of bytes) cur.chunks.push(parseInt(b, 16));
    cur.last = i + 1;
    if (bytes.length < 16) cur.short = { line: i + 1, offset: r[1]! };
  }
  flush();
  return tables;
}
