/**
 * `acpidump` text output: blocks of `SIG @ 0xADDRESS` followed by
 * `    OFFS: xx xx ... xx  ascii` lines.
 */
import { DmarError } from '../dmar/errors.js';
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
    // a 17th byte (one space after the 16th; the text column follows two): dropped, the table would silently change
    const after = r.index + r[0].length - 1;
    if (bytes.length === 16 && line[after] === ' ' && /^[0-9A-Fa-f]{2}(?:\s|$)/.test(line.slice(after + 1))) {
      throw new DmarError(`line ${i + 1}: ${cur.signature} dump: row 0x${r[1]} has more than 16 bytes`);
    }
    for (const b of bytes) cur.chunks.push(parseInt(b, 16));
  }
  flush();
  return tables;
}
