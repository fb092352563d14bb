/**
 * `acpidump` text output: blocks of `SIG @ 0xADDRESS` followed by
 * `    OFFS: xx xx ... xx  ascii` lines.
 */
import { DmarError, excerpt } from '../dmar/errors.js';
import { hex } from './hex.js';

export interface DumpedTable {
  signature: string;
  address: string;
  /** 1-based line of the `SIG @ 0x...` line. */
  line: number;
  bytes: Uint8Array;
}

const HEAD = /^([A-Za-z0-9_!]{4}) @ (0x[0-9A-Fa-f]+)\s*$/;
const ROW = /^\s*([0-9A-Fa-f]{4,8}):((?: [0-9A-Fa-f]{2}){1,16})(?:\s|$)/;

/** True when the text looks like acpidump output (checked on its first lines only). */
export function looksLikeAcpidump(head: string): boolean {
  for (const line of head.split('\n', 20)) {
    if (line.trim() === '') continue;
    return HEAD.test(line.trimEnd());
  }
  return false;
}

export function parseAcpidump(text: string): DumpedTable[] {
  const tables: DumpedTable[] = [];
  let cur: { signature: string; address: string; line: number; chunks: number[] } | undefined;
  const flush = () => {
    if (cur) tables.push({ signature: cur.signature, address: cur.address, line: cur.line, bytes: Uint8Array.from(cur.chunks) });
    cur = undefined;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const h = HEAD.exec(line);
    if (h) {
      flush();
      cur = { signature: h[1]!, address: h[2]!, line: i + 1, chunks: [] };
      continue;
    }
    if (!cur) continue;
    const r = ROW.exec(line);
    if (!r) {
      if (line.trim() === '') continue;
      flush();
      continue;
    }
    const off = parseInt(r[1]!, 16);
    if (off !== cur.chunks.length) {
      throw new DmarError(`line ${i + 1}: ${cur.signature} dump: row offset 0x${r[1]} where ${hex(cur.chunks.length)} was expected`);
    }
    const bytes = r[2]!.trim().split(' ');
    // the bytes end the line, or the text column follows them after two spaces: a token one space after the
    // last byte read would be dropped, and the table silently change (or an error blame another line)
    const after = r[0].length - (/\s$/.test(r[0]) ? 1 : 0);
    const token = / (\S+)/y;
    token.lastIndex = after;
    const next = token.exec(line)?.[1];
    if (next !== undefined) {
      if (bytes.length === 16 && /^[0-9A-Fa-f]{2}$/.test(next))
        throw new DmarError(`line ${i + 1}: ${cur.signature} dump: row 0x${r[1]} has more than 16 bytes`);
      throw new DmarError(
        `line ${i + 1}: ${cur.signature} dump: row 0x${r[1]}: ${excerpt(next)} where byte ${bytes.length + 1} of the row should be (two hex digits)`,
      );
    }
    for (const b of bytes) cur.chunks.push(parseInt(b, 16));
  }
  flush();
  return tables;
}
