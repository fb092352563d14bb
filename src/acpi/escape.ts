/**
 * Escaping of every string that comes from input (firmware IDs and names,
 * unknown bytes shown as text, file names, command-line words), for each place
 * it can reach: a terminal, XML (JUnit) and ACPICA iasl source. The one module
 * that does it: writers call these, none has its own rules. JSON keeps the
 * exact values: JSON.stringify escapes what JSON must, and jsonText what a
 * terminal must not get raw, as JSON's own `\uNNNN`.
 *
 * One replacement everywhere: a character people must not get raw is shown as
 * `\xNN` (code points up to 0xff) or `\u{N}` (above), never as itself.
 */
import { hexDigits } from './hex.js';

/**
 * Bytes from input as text: UTF-8 when they are valid UTF-8 (what the kernel, sysfs and `dmar decode`
 * write), else one character per byte. The escaping below then shows them the same way whichever
 * file they came from.
 */
export function inputText(bytes: Uint8Array): string {
  // ASCII (nearly every sysfs file): no decoder
  let ascii = true;
  for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i]! < 0x80;
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

/** `\xNN` for a code point up to 0xff, `\u{N}` above. */
function escaped(c: string): string {
  const n = c.codePointAt(0)!;
  return n <= 0xff ? '\\x' + hexDigits(n, 2) : `\\u{${hexDigits(n)}}`;
}

/**
 * Not shown raw on a terminal: C0 controls (ESC, BEL, NUL, TAB, ...), DEL, C1
 * controls (0x80-0x9f, which a UTF-8 terminal may take as CSI and the like),
 * format characters (bidirectional overrides, zero-width), line and paragraph
 * separators, lone surrogates and unassigned code points; and what shows as
 * nothing or as a plain space, so that one name can pass for another: the
 * default-ignorable code points (Hangul fillers, the combining grapheme
 * joiner, variation selectors), every space but the ASCII one (no-break,
 * em, ideographic) and the blank braille pattern. One class, the same for
 * every writer below.
 */
const UNSAFE = String.raw`\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Cn}\p{Default_Ignorable_Code_Point}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u2800`;
let termUnsafe: RegExp | undefined;
/** Printable ASCII only: nothing to escape (most file names and messages), and no Unicode tables to build. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Text for a terminal (file names, messages): every non-printable character escaped, newlines included. */
export function termText(s: string): string {
  if (PRINTABLE_ASCII.test(s)) return s;
  // built on first need: V8 builds the Unicode property sets of a /u class when it makes the RegExp, and
  // compiles it on first use (some 0.3 ms a start)
  termUnsafe ??= new RegExp(`[${UNSAFE}]`, 'gu');
  return s.replace(termUnsafe, escaped);
}

let jsonUnsafe: RegExp | undefined;

/**
 * A JSON document as JSON.stringify wrote it, for stdout (often a terminal):
 * what termText escapes but C0 (DEL, C1 controls, format characters, line
 * and paragraph separators, unassigned code points; JSON.stringify escapes C0
 * and lone surrogates itself) written as JSON's `\uNNNN`, which a parser reads
 * back as the same characters. Only strings can hold them: the document's
 * structure and values stay as they are.
 */
export function jsonText(json: string): string {
  // ASCII without DEL (nearly every document): Buffer.byteLength counts a one-byte string's high bytes fast,
  // five times faster than a pattern over a 7 KB document
  if (Buffer.byteLength(json) === json.length && !json.includes('\x7f')) return json;
  // not C0: JSON.stringify escapes it inside strings, and outside them it is the layout (LF)
  jsonUnsafe ??= new RegExp(String.raw`(?![\x00-\x1f\ud800-\udfff])[\x7f-\x9f${UNSAFE}]`, 'gu');
  return json.replace(jsonUnsafe, (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${hexDigits(c.charCodeAt(i), 4)}`;
    return out;
  });
}

/** A `--json` document: indented by 2, through jsonText, ending with a newline. */
export function jsonDocument(value: unknown): string {
  return `${jsonText(JSON.stringify(value, null, 2))}\n`;
}

/** One JSON Lines record (decode DIR --json): through jsonText, ending with a newline. */
export function jsonLine(value: unknown): string {
  return `${jsonText(JSON.stringify(value))}\n`;
}

/** The same, keeping newlines: several lines of text (usage messages that quote a command-line word). */
export function termLines(s: string): string {
  return s.split('\n').map(termText).join('\n');
}

/**
 * A firmware string (one character per byte, as the decoder reads ASCII fields
 * and ANDD names): printable ASCII as it is, every other byte as `\xNN`. A
 * byte above 0x7e is not a character of any known encoding here, so even
 * 0xa0-0xff is shown as a number. A backslash is doubled where it could
 * read as an escape (before `x`, `u`, `\`, `"`, a byte shown escaped, or at
 * the end), so that a literal `\x1b` in a name cannot pass for an escaped ESC
 * nor `\` before an ESC for a literal `\x1b`, while an ACPI
 * path keeps its one leading backslash (`\_SB.PCI0`).
 */
export function firmwareText(s: string): string {
  return s.replace(/\\(?=[xu\\"]|[^\x20-\x7e]|$)/g, '\\\\').replace(/[^\x20-\x7e]/g, escaped);
}

/** A firmware string in double quotes, quotes inside escaped: how text, hex, diff and validate show one. */
export function quoted(s: string): string {
  return `"${firmwareText(s).replace(/"/g, '\\"')}"`;
}

/** Whether a firmware string holds a byte outside printable ASCII. */
export function hasUnprintable(s: string): boolean {
  // a loop, not a pattern: the validator asks of three short IDs per table, and a pattern literal makes an object per call
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

/**
 * XML 1.0 text content. XML 1.0 cannot carry NUL or the other C0 controls
 * (but TAB, LF and CR), lone surrogates, U+FFFE or U+FFFF, not even as
 * character references; DEL, C1 controls and bidirectional overrides it
 * allows, but a report is read on terminals and web pages. All of them (what
 * a terminal is not given, but TAB, LF and CR) are written `\xNN` / `\u{N}`:
 * the documented replacement. CR is kept as a reference (a parser would turn
 * a raw one into LF).
 */
let xmlUnsafe: RegExp | undefined;
export function xmlText(s: string): string {
  return s
    .replace((xmlUnsafe ??= new RegExp(String.raw`(?![\t\n\r])[${UNSAFE}]`, 'gu')), escaped)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** An XML attribute value (in double quotes): as text, and quotes, TAB and LF as references. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/**
 * HTML text or attribute value (`dmar report`): what a terminal is not given
 * (but TAB and LF) shown as `\xNN` / `\u{N}`, the same replacement as for XML;
 * `& < > " '` as numeric references, so the text is safe in content and in
 * either kind of quoted attribute.
 */
let htmlUnsafe: RegExp | undefined;
export function htmlText(s: string): string {
  return s.replace((htmlUnsafe ??= new RegExp(String.raw`(?![\t\n])[${UNSAFE}]`, 'gu')), escaped).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A firmware string as `iasl -d` writes it into a quoted data-table field
 * (ACPICA AcpiUtCheckAndRepairAscii, used for ACPI_DMT_NAME4/NAME6/NAME8): the
 * string ends at its first NUL, and every byte that is not printable ASCII
 * becomes a space. Source holding any other byte is taken by iasl for a binary
 * file and silently not compiled. For a warning: `replaced`, the bytes written
 * as spaces; `cut`, the NUL and what follows it, which the text leaves out;
 * `iaslUnreadable`, set when the text holds a `"` or ends with a `\`: `iasl
 * -d` writes them so, `dmar encode` reads them back, but iasl's data-table
 * compiler cannot (the value ends at the next quote; a backslash escapes the
 * closing quote).
 */
export function iaslString(s: string): { text: string; replaced: number[]; cut: number[]; iaslUnreadable: boolean } {
  const nul = s.indexOf('\0');
  const kept = nul < 0 ? s : s.slice(0, nul);
  const replaced: number[] = [];
  const text = kept.replace(/[^\x20-\x7e]/g, (c) => {
    replaced.push(c.charCodeAt(0));
    return ' ';
  });
  const cut = nul < 0 ? [] : Array.from(s.slice(nul), (c) => c.charCodeAt(0));
  return { text, replaced, cut, iaslUnreadable: /"|\\$/.test(text) };
}

/** Text inside an iasl source comment: printable ASCII only (else iasl takes the file for binary), and no `*\/`. */
export function iaslComment(s: string): string {
  return s.replace(/[^\x20-\x7e]/gu, escaped).replace(/\*\//g, '*\\/');
}

/**
 * The first `max` items joined with ", ", then "and N more": a message names a few of a list whose length
 * the input decides (one finding per item of another list would grow as the product of the two).
 */
export function listSome(items: readonly string[], max = 8): string {
  const shown = items.length > max ? items.slice(0, max) : items;
  return `${shown.join(', ')}${items.length > shown.length ? ` and ${items.length - shown.length} more` : ''}`;
}
