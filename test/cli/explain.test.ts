// dmar explain on the command line: text and JSON, stdin, the table, escaping, bad input.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CORPUS, dmar, dmarProcess, FIXTURES, HAVE_CORPUS } from '../helpers.js';

const LOGS = join(FIXTURES, 'logs');
const SP3 = join(LOGS, 'surface-pro-3.log');

describe('dmar explain', () => {
  test('a real boot log: firmware bugs with their check, units decoded, a summary', () => {
    const r = dmar(['explain', SP3]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('kernel 5.10.0-8parrot1-amd64, memory map: 18 BIOS-e820 regions');
    expect(r.stdout).toContain('FIRMWARE BUG: the RMRR [0x3e2e0000-0x3e2fffff] is not (wholly) reserved');
    expect(r.stdout).toContain('check: DMAR-RMRR-NOT-RESERVED');
    expect(r.stdout).toContain('ECAP 0xf010da: QI IR EIM PT SC');
    expect(r.stdout).toMatch(/4 firmware bugs, 0 fault lines, 2 units, \d+ table lines, \d+ info, 0 unrecognised\n$/);
  });

  test.skipIf(!HAVE_CORPUS)('--table matches lines to structures (acpidump or raw)', () => {
    const r = dmar(['explain', SP3, '--table', join(CORPUS, '074C5C2E091B.dmar')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('in the table: RMRR #2 at offset 0x98, scopes 00:02.0');
    expect(r.stdout).toContain('in the table: DRHD #2 at offset 0x48, INCLUDE_PCI_ALL');
  });

  test('--json: the documented document', () => {
    const r = dmar(['explain', '--json', join(LOGS, 'faults.log')]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('dmar-explain/1');
    expect(doc.kernel).toBeNull();
    expect(doc.memoryMap).toBeNull();
    expect(doc.counts.fault).toBe(13);
    const first = doc.entries[0];
    expect(first).toMatchObject({
      line: 1,
      kind: 'dma-fault',
      category: 'fault',
      fault: { device: '00:02.0', access: 'read', address: '0x7cd80000', reason: { code: '0x1', kind: 'dma', text: 'Present bit in root entry is clear' } },
    });
  });

  test('--json unit registers and memory map as hex strings', () => {
    const doc = JSON.parse(dmar(['explain', '--json', SP3]).stdout);
    expect(doc.memoryMap[4]).toEqual({ start: '0x100000', end: '0xaa376fff', type: 'usable', kind: 'ram' });
    const unit = doc.entries.find((e: { kind: string }) => e.kind === 'unit');
    expect(unit.unit).toMatchObject({ name: 'dmar0', base: '0xfed90000', version: '1:0', summary: { cachingMode: false, interruptRemapping: true } });
    expect(unit.unit.cap.raw).toBe('0xc0000020660462');
    expect(unit.unit.cap.fields.find((f: { name: string }) => f.name === 'MGAW')).toMatchObject({ bits: '21:16', value: 38, meaning: '39 bits' });
  });

  test('stdin, journalctl prefixes', () => {
    const log = readFileSync(join(LOGS, 'chromebook-pixel-2013.log'), 'latin1')
      .split('\n')
      .map((l) => (l ? `Apr 19 10:00:00 link kernel: ${l.replace(/^\[[^\]]*\] kernel: /, '')}` : l))
      .join('\n');
    const r = dmar(['explain', '-'], { input: log });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('check: DMAR-MADT-IOAPIC-UNMAPPED');
  });

  test('log strings are escaped for the terminal; unknown DMAR lines are listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmar-explain-'));
    const f = join(dir, 'evil.log');
    writeFileSync(f, Buffer.from('DMAR: \x1b]0;owned\x07 \x1b[31mred\xff\n', 'latin1'));
    const r = dmarProcess(['explain', f], { env: { FORCE_COLOR: '0' } });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).toContain('DMAR: \\x1b]0;owned\\x07 \\x1b[31mred\\xff');
    expect(r.stdout).toContain('unrecognised: a line of the VT-d drivers that dmar does not recognise');
  });

  test('a UTF-8 log is read as UTF-8: a device name with a non-ASCII letter stays that letter in the text and the JSON; C1 controls stay escaped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmar-explain-'));
    const f = join(dir, 'utf8.log');
    writeFileSync(f, '[    0.1] DMAR: Gerät \u009b2J\n');
    const t = dmar(['explain', f]);
    expect(t.stdout).toContain('DMAR: Gerät \\x9b2J');
    const j = dmar(['explain', f, '--json']);
    expect(j.stdout).toContain('"DMAR: Gerät \\u009b2J"');
    expect(JSON.parse(j.stdout).entries[0].text).toBe('DMAR: Gerät \u009b2J');
  });

  test('a log without DMAR lines says so', () => {
    const r = dmar(['explain', '-'], { input: 'usb 1-1: new high-speed USB device\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('no DMAR, DMAR-IR or intel-iommu line in this log');
  });

  test('bad input: one line, exit 2', () => {
    const missing = dmar(['explain', join(LOGS, 'no-such.log')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^dmar: .*no-such\.log: no such file\n$/);
    const dir = dmar(['explain', LOGS]);
    expect(dir.status).toBe(2);
    expect(dir.stderr).toMatch(/: is a directory\n$/);
    const table = dmar(['explain', SP3, '--table', SP3]);
    expect(table.status).toBe(2);
    expect(table.stderr).toMatch(/^dmar: .*surface-pro-3\.log: offset 0x0.*signature/);
  });
});
