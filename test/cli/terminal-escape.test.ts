// Terminal injection: bytes from a table (header IDs, ANDD Device Name, Hypervisor Signature) and
// file names (given or listed from a directory) never reach stdout or stderr raw, in any output
// format of any command; JSON keeps the exact bytes.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { firmwareText, htmlText, iaslString, jsonText, quoted, termText, xmlAttr, xmlText } from '../../src/acpi/escape.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { fromJson } from '../../src/dmar/codec/json.js';
import { dmar, dmarProcess, FIXTURES, type CliResult } from '../helpers.js';

/** ESC, BEL, CSI (C1), DEL and friends: what a terminal acts on. */
const OEM_ID = '\x1b[2J\x07\x9b';
const OEM_TABLE_ID = '\x1b]0;p\x07\x90\x7f';
const CREATOR_ID = '\x9b\x1b\x07\x85';
const DEVICE_NAME = 'SB.\x1b[31mRED\x07\x9b2J\x8d';
const SIGNATURE = 'KVM\x1b[8m\x07\x9c\x9d\x9e\x9f';
const FILE_NAME = 'evil\x1b[2J\x07\u009b\u202e.bin';

/** A control character (but LF) or a C1 control, as a terminal receives them (UTF-8 decoded). */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/;

function hostileDoc(): Record<string, any> {
  const doc = JSON.parse(readFileSync(join(FIXTURES, 'qemu-virt-descriptor.json'), 'utf8'));
  Object.assign(doc.header, { oemId: OEM_ID, oemTableId: OEM_TABLE_ID, creatorId: CREATOR_ID });
  doc.structures.splice(2, 0, { kind: 'ANDD', deviceNumber: 7, deviceName: DEVICE_NAME });
  doc.structures.at(-1).hypervisorSignature = SIGNATURE;
  return doc;
}

const work = mkdtempSync(join(tmpdir(), 'dmar-escape-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dir = join(work, 'tables');
mkdirSync(dir);
const bytes = encodeDmar(fromJson(hostileDoc()));
const hostile = join(dir, FILE_NAME);
writeFileSync(hostile, bytes);
const plainCopy = join(work, 'plain.bin');
writeFileSync(plainCopy, readFileSync(join(FIXTURES, 'qemu-virt-descriptor.bin')));
// a broken table under a hostile name: the error line names the file
const brokenDir = join(work, 'broken');
mkdirSync(brokenDir);
const broken = join(brokenDir, `bad\x1b[2J\x07\u0085.bin`);
writeFileSync(broken, bytes.subarray(0, 40));

function clean(r: CliResult, what: string) {
  expect(r.stdout, `${what}: stdout`).not.toMatch(RAW_CONTROL);
  expect(r.stderr, `${what}: stderr`).not.toMatch(RAW_CONTROL);
  expect(r.stdoutBytes.includes(0x1b), `${what}: ESC byte on stdout`).toBe(false);
}

describe('every text output escapes what came from input', () => {
  const runs: [string, string[]][] = [
    ['decode text', ['decode', hostile]],
    ['decode hex', ['decode', hostile, '--format', 'hex']],
    ['decode iasl', ['decode', hostile, '--format', 'iasl']],
    ['decode iasl 2020', ['decode', hostile, '--format', 'iasl', '--iasl-dialect', '2020']],
    ['diff', ['diff', plainCopy, hostile]],
    ['diff reversed', ['diff', hostile, plainCopy]],
    ['validate text', ['validate', hostile, '--fail-on', 'info']],
    ['validate directory', ['validate', dir]],
    ['validate junit', ['validate', dir, '--format', 'junit']],
    ['ims', ['ims', hostile, '--policy', 'all']],
    ['virt show', ['virt', 'show', hostile]],
    ['flags', ['flags', hostile]],
    ['decode error', ['decode', broken]],
    ['validate error', ['validate', brokenDir]],
    ['missing file', ['decode', join(work, 'no\x1b[2Jsuch\x07')]],
    ['usage error', ['decode', '--no-such-\x1b[2J-option\x07']],
    // JSON: the same characters, as JSON's \uNNNN
    ['decode json', ['decode', hostile, '--json']],
    ['decode directory json', ['decode', dir, '--json']],
    ['validate json', ['validate', dir, '--json']],
    ['diff json', ['diff', plainCopy, hostile, '--json']],
    ['ims json', ['ims', hostile, '--policy', 'all', '--json']],
    ['virt show json', ['virt', 'show', hostile, '--json']],
    ['flags json', ['flags', hostile, '--json']],
  ];
  test.each(runs)('%s', (what, args) => {
    const r = dmar(args);
    expect(r.status, r.stderr).toBeLessThanOrEqual(2);
    clean(r, what);
    // and with colour forced on, the only ESC sequences are the colours themselves
    const c = dmarProcess(args, { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    const noSgr = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
    expect(noSgr(c.stdout), `${what}: coloured stdout`).not.toMatch(RAW_CONTROL);
    expect(noSgr(c.stderr), `${what}: coloured stderr`).not.toMatch(RAW_CONTROL);
  });

  test('the text shows the bytes escaped, where a person can read them', () => {
    const text = dmar(['decode', hostile]).stdout;
    expect(text).toContain(`Oem ID                   "\\x1b[2J\\x07\\x9b"`);
    expect(text).toContain('"SB.\\x1b[31mRED\\x07\\x9b2J\\x8d"');
    expect(text).toContain('"KVM\\x1b[8m\\x07\\x9c\\x9d\\x9e\\x9f"');
    const v = dmar(['validate', dir]);
    expect(v.stdout).toContain('evil\\x1b[2J\\x07\\x9b\\u{202e}.bin');
    expect(v.stdout).toContain('Device Name "SB.\\x1b[31mRED\\x07\\x9b2J\\x8d" is not a fully qualified ACPI path');
    const e = dmar(['decode', broken]);
    expect(e.status).toBe(2);
    expect(e.stderr.trim().split('\n')).toHaveLength(1);
    expect(e.stderr).toContain('bad\\x1b[2J\\x07\\x85.bin: ');
  });

  test('JSON keeps the exact bytes, and encodes back to the identical table', () => {
    const r = dmar(['decode', hostile, '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.header).toMatchObject({ oemId: OEM_ID, oemTableId: OEM_TABLE_ID, creatorId: CREATOR_ID });
    expect(doc.structures.find((s: { kind?: string }) => s.kind === 'ANDD').deviceName).toBe(DEVICE_NAME);
    expect(Buffer.from(encodeDmar(fromJson(doc))).equals(Buffer.from(bytes))).toBe(true);
    const v = JSON.parse(dmar(['validate', dir, '--json']).stdout);
    expect(v.files[0].file).toBe(hostile);
  });
});

describe('escape.ts', () => {
  test('terminal text: C0, DEL, C1, format characters and lone surrogates escaped; the rest kept', () => {
    expect(termText('a\x1bb\x07c\x7fd\x9be\u202ef\ud800g\u2028h été 名')).toBe('a\\x1bb\\x07c\\x7fd\\x9be\\u{202e}f\\u{d800}g\\u{2028}h été 名');
    expect(termText('line\nnext\t')).toBe('line\\x0anext\\x09');
  });

  test('terminal text: printable ASCII comes back as it is (the fast path), every other code point below 0x100 as the full rule says', () => {
    const ascii = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(termText(ascii)).toBe(ascii);
    expect(termText('')).toBe('');
    for (let c = 0; c < 0x100; c++) {
      const ch = String.fromCharCode(c);
      const unsafe = c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xa0 || c === 0xad; // Cc, NO-BREAK SPACE, and SOFT HYPHEN (Cf)
      expect(termText(`a${ch}b`)).toBe(unsafe ? `a\\x${c.toString(16).padStart(2, '0')}b` : `a${ch}b`);
    }
  });

  // what shows as nothing or as a plain space passes one name off as another (a file name, a log's device):
  // Hangul fillers, the combining grapheme joiner, variation selectors, the spaces but ASCII's, blank braille
  test('what shows as nothing or as a space is escaped in every writer; letters, accents and the ASCII space are kept', () => {
    const hidden = ['\u3164', '\u115f', '\uffa0', '\u034f', '\ufe0f', '\u00a0', '\u2003', '\u3000', '\u202f', '\u2800', '\u180b'];
    for (const c of hidden) {
      const shown = `\\u{${c.codePointAt(0)!.toString(16)}}`.replace(/^\\u\{(..)\}$/, '\\x$1');
      expect(termText(`a${c}b`), `U+${c.codePointAt(0)!.toString(16)}`).toBe(`a${shown}b`);
      expect(xmlText(`a${c}b`)).toBe(`a${shown}b`);
      expect(htmlText(`a${c}b`)).toBe(`a${shown}b`);
      const json = jsonText(JSON.stringify({ v: `a${c}b` }));
      expect(json).not.toContain(c);
      expect(JSON.parse(json).v).toBe(`a${c}b`);
    }
    expect(termText('a b é e\u0301 名')).toBe('a b é e\u0301 名');
  });

  test('firmware strings: printable ASCII kept, every other byte as \\xNN, a backslash doubled where it could read as an escape', () => {
    expect(firmwareText('\\_SB.\x1b\xa9\x00')).toBe('\\_SB.\\x1b\\xa9\\x00');
    expect(firmwareText('a\\x\\u\\\\')).toBe('a\\\\x\\\\u\\\\\\\\');
    expect(quoted('a"b')).toBe('"a\\"b"');
    // a literal backslash-x in a name cannot pass for an escaped byte
    expect(firmwareText('\\x1b')).not.toBe(firmwareText('\x1b'));
    // nor a backslash before a byte shown escaped for a literal backslash-x
    expect(firmwareText('\\\x1bAB')).toBe('\\\\\\x1bAB');
    expect(firmwareText('\\\x1bAB')).not.toBe(firmwareText('\\x1bAB'));
  });

  test('JSON for a terminal: DEL, C1, format characters and separators as \\uNNNN, the parsed value the same; ASCII and letters as they are', () => {
    const cases = ['abc', 'a\x7fb', 'é ä', 'a\u009bb', '\u202e', 'x\u{e0001}', '\u2028', 'ok\n"q"'];
    for (const v of cases) {
      const out = jsonText(JSON.stringify({ v }, null, 2));
      expect(out).not.toMatch(/[\x7f-\x9f\u2028\u2029\u202e]|\u{e0001}/u);
      expect(JSON.parse(out).v).toBe(v);
    }
    expect(jsonText(JSON.stringify('é'))).toBe('"é"');
    expect(jsonText(JSON.stringify('a\x7fb'))).toBe('"a\\u007fb"');
  });

  test('XML: what XML 1.0 cannot carry (and C1) as \\xNN, metacharacters as references', () => {
    expect(xmlText('<a>&\x00\x1b\x85\ufffe\udc00\r')).toBe('&lt;a&gt;&amp;\\x00\\x1b\\x85\\u{fffe}\\u{dc00}&#13;');
    expect(xmlAttr('"x"\n\t')).toBe('&quot;x&quot;&#10;&#9;');
  });

  test('iasl strings: as iasl -d writes them (non-printable as space, end at NUL)', () => {
    expect(iaslString('INT\xa9')).toEqual({ text: 'INT ', replaced: [0xa9], cut: [], iaslUnreadable: false });
    expect(iaslString('\x01ABC    ')).toEqual({ text: ' ABC    ', replaced: [1], cut: [], iaslUnreadable: false });
    expect(iaslString('AB\0CD ')).toEqual({ text: 'AB', replaced: [], cut: [0, 0x43, 0x44, 0x20], iaslUnreadable: false });
    expect(iaslString('\\_SB.PCI0')).toEqual({ text: '\\_SB.PCI0', replaced: [], cut: [], iaslUnreadable: false });
    // written as iasl -d writes them, flagged: iasl's compiler cannot read them back
    expect(iaslString('A"B\\C ')).toMatchObject({ text: 'A"B\\C ', iaslUnreadable: true });
    expect(iaslString('AB\\')).toMatchObject({ text: 'AB\\', iaslUnreadable: true });
  });
});

test("a capture's notes are escaped in every text output: its name and what its manifest says came from input", () => {
  const cap = join(work, `cap\x1b[2J\x07`);
  cpSync(join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture'), cap, { recursive: true });
  rmSync(join(cap, 'root', 'sys', 'firmware', 'memmap', '1'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(cap, 'manifest.json'), 'utf8'));
  manifest.items.push({ item: 'memory map entry 1 start', path: '/sys/firmware/memmap/1/start', status: 'denied', reason: 'no \x1b[31mred\x07' });
  writeFileSync(join(cap, 'manifest.json'), JSON.stringify(manifest));
  const table = join(cap, 'root', 'sys', 'firmware', 'acpi', 'tables', 'DMAR');
  for (const cmd of ['validate', 'topology', 'map']) {
    const r = dmar([cmd, table, '--machine', cap]);
    // validate and map note the memory map the capture lacks (topology draws none)
    if (cmd !== 'topology') expect(r.stdout, cmd).toContain('was not captured whole');
    clean(r, `${cmd} --machine`);
  }
});

// JUnit reaches CI pages: a line break from input (a file name, a capture's manifest) is shown escaped there
// as in the text, not written as a reference (&#10;) that a parser turns back into a line break
test('JUnit: CR, LF and TAB from input are escaped as on a terminal, in attributes and in the text', () => {
  const names = join(work, 'names');
  mkdirSync(names);
  writeFileSync(join(names, 'a\nb\r\tc.bin'), readFileSync(join(FIXTURES, 'qemu-q35-ir.bin')));
  const r = dmar(['validate', '--format', 'junit', names]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`<testsuite name="${names}/a\\x0ab\\x0d\\x09c.bin"`);
  expect(r.stdout).not.toMatch(/&#(10|13|9);/);
  const cap = join(work, 'cap-lines');
  cpSync(join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture'), cap, { recursive: true });
  rmSync(join(cap, 'root', 'sys', 'firmware', 'memmap', '1'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(cap, 'manifest.json'), 'utf8'));
  manifest.items.push({ item: 'memory map entry 1 start', path: '/sys/firmware/memmap/1/start', status: 'denied', reason: 'one\r\ntwo\tthree' });
  writeFileSync(join(cap, 'manifest.json'), JSON.stringify(manifest));
  const j = dmar(['validate', '--format', 'junit', join(cap, 'root', 'sys', 'firmware', 'acpi', 'tables', 'DMAR'), '--machine', cap]);
  expect(j.stdout).toContain('one\\x0d\\x0atwo\\x09three');
  expect(j.stdout).not.toMatch(/&#(10|13|9);/);
});
