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
    expect(doc.memoryMapLines).toBeNull();
    expect(doc.counts.fault).toBe(13);
    const first = doc.entries[0];
    expect(first).toMatchObject({
      line: 1,
      kind: 'dma-fault',
      category: 'fault',
      fault: { device: '00:02.0', access: 'read', address: '0x7cd80000', reason: { code: '0x1', kind: 'dma', text: 'Present bit in root entry is clear' } },
    });
  });

  test('faults by device: a fault storm reads as one line (text), and as one group (--json)', () => {
    const storm = Array.from(
      { length: 500 },
      (_, i) =>
        `[ 12.${String(i).padStart(6, '0')}] DMAR: [DMA Write NO_PASID] Request device [03:00.0] fault addr 0x${(0xfee00000 - i * 0x1000).toString(16)} [fault reason 0x05] PTE Write access is not set`,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'dmar-explain-')), 'storm.log');
    writeFileSync(file, [...readFileSync(join(LOGS, 'faults.log'), 'latin1').trimEnd().split('\n'), ...storm].join('\n') + '\n');
    const r = dmar(['explain', file]);
    expect(r.status).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('\nfaults by device: '));
    expect(section).toBe(
      [
        '',
        'faults by device: 508 DMA and interrupt faults from 4 devices (8 groups by device, access and reason)',
        '  00:02.0  DMA read, fault reason 0x01 (Present bit in root entry is clear): 1 line (line 1), address 0x7cd80000',
        '  00:02.0  DMA read, fault reason 0x06 (PTE Read access is not set): 2 lines (lines 3 to 9), addresses 0x7c346000-0x9c000000',
        '  00:02.0  DMA read, fault reason 0x0c (non-zero reserved fields in PTE): 1 line (line 4), address 0x70a28000',
        '  00:02.0  DMA write, fault reason 0x02 (Present bit in context entry is clear): 1 line (line 10), address 0x0',
        '  03:00.0  DMA read, fault reason 0x71 (SM: Present bit in first-level paging entry is clear): 1 line (line 6), address 0x100000',
        '  03:00.0  DMA write, fault reason 0x05 (PTE Write access is not set): 500 lines (lines 14 to 513), addresses 0xfec0d000-0xfee00000',
        '  06:00.0  DMA read, fault reason 0x06 (PTE Read access is not set): 1 line (line 12), address 0x1a5e05000',
        '  00:12.0  DMA write, fault reason 0x05 (PTE Write access is not set): 1 line (line 13), address 0x0',
        '',
        '0 firmware bugs, 513 fault lines, 0 units, 0 table lines, 0 info, 0 unrecognised',
        '',
      ].join('\n'),
    );
    const doc = JSON.parse(dmar(['explain', '--json', file]).stdout);
    expect(doc.faults).toHaveLength(8);
    expect(doc.faults[5]).toEqual({
      kind: 'dma-fault',
      device: '03:00.0',
      access: 'write',
      reason: '0x5',
      lines: 500,
      first: 14,
      last: 513,
      lowest: '0xfec0d000',
      highest: '0xfee00000',
    });
    // one fault line is its own summary: no section
    writeFileSync(file, `${storm[0]}\n`);
    expect(dmar(['explain', file]).stdout).not.toContain('faults by device');
  });

  test('--table takes the table as every reading command does: JSON or iasl source as well as binary', () => {
    const bin = dmar(['explain', join(LOGS, 'chromebook-pixel-2013.log'), '--table', join(FIXTURES, 'server-2s.bin')]);
    expect(bin.status, bin.stderr).toBe(0);
    const json = dmar(['explain', join(LOGS, 'chromebook-pixel-2013.log'), '--table', join(FIXTURES, 'server-2s.json')]);
    expect(json.status, json.stderr).toBe(0);
    expect(json.stdout.replaceAll('server-2s.json', 'server-2s.bin')).toBe(bin.stdout);
  });

  test('--json unit registers and memory map as hex strings', () => {
    const doc = JSON.parse(dmar(['explain', '--json', SP3]).stdout);
    expect(doc.memoryMap[4]).toEqual({ start: '0x100000', end: '0xaa376fff', type: 'usable', kind: 'ram' });
    expect(doc.memoryMapLines).toBe('BIOS-e820');
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

  test('--table: a fault with a PASID is not matched against the RMRRs; IOAPIC and HPET scope lines are', () => {
    const server = join(FIXTURES, 'server-2s.bin');
    const log = [
      // in server-2s.bin, DRHD #3 (0xaaffc000) has IOAPIC 8 and HPET 0; 0x9d7fc000 has IOAPIC 9, not 12
      'DMAR-IR: IOAPIC id 8 under DRHD base  0xaaffc000 IOMMU 0',
      'DMAR-IR: HPET id 0 under DRHD base 0xaaffc000',
      'DMAR-IR: IOAPIC id 12 under DRHD base  0x9d7fc000 IOMMU 0',
      'DMAR: [DMA Read PASID 0x5] Request device [00:14.0] fault addr 0x3e2e1000 [fault reason 0x30] SM: Invalid Root Table Address',
    ].join('\n');
    const r = dmar(['explain', '-', '--table', server], { input: log });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('in the table: DRHD #3 at offset 0x70, its IOAPIC scope with ID 8\n');
    expect(r.stdout).toContain('in the table: DRHD #3 at offset 0x70, its HPET scope with ID 0\n');
    expect(r.stdout).toContain(`in the table: no DRHD of ${server} at 0x9d7fc000 has an IOAPIC scope with Enumeration ID 12 (another firmware version?)\n`);
    expect(r.stdout).toContain(
      `in the table: the address is in the address space of PASID 0x5, not matched against the RMRRs of ${server} (physical addresses)\n`,
    );
  });

  test.skipIf(!HAVE_CORPUS)('faults by device with --table: a group only some of whose addresses fell in an RMRR says how many did (text and --json)', () => {
    const line = (addr: string) => `DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault addr ${addr} [fault reason 0x06] PTE Read access is not set`;
    const log = [line('0xad100000'), line('0x1000'), line('0xad101000')].join('\n');
    const table = join(CORPUS, '074C5C2E091B.dmar');
    const r = dmar(['explain', '-', '--table', table], { input: log });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      '  00:02.0  DMA read, fault reason 0x06 (PTE Read access is not set): 3 lines (lines 1 to 3), addresses 0x1000-0xad101000, in RMRR #2 (2 of the 3 lines; the other in no RMRR)\n',
    );
    const j = JSON.parse(dmar(['explain', '-', '--table', table, '--json'], { input: log }).stdout);
    expect(j.faults[0]).toMatchObject({ lines: 3, rmrrs: ['RMRR #2'], rmrrLines: 2 });
  });

  test('a damaged memory-map line is told, and the DMAR lines are still explained (it failed, exit 2); a log over the limit is named a log', () => {
    const log =
      'BIOS-e820: [mem 0x0000000000100000-0x00000000000fffff] usable\nDMAR: [Firmware Bug]: ioapic 2 has no mapping iommu, interrupt remapping will be disabled\n';
    const r = dmar(['explain', '-'], { input: log });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      'dmar: warning: stdin: line 1: "BIOS-e820: [mem 0x0000000000100000-0x00000000000fffff] usable": not a range of the 64-bit address space (a damaged log): the log\'s memory map is left out\n',
    );
    expect(r.stdout).toContain('FIRMWARE BUG: the MADT I/O APIC with ID 2 is in no DRHD');
    const big = dmar(['explain', '-', '--max-input', '1K'], { input: 'x'.repeat(20_000) });
    expect(big.status).toBe(2);
    expect(big.stderr).toBe(
      'dmar: stdin: more than 16 KiB on stdin: over the 16 KiB input limit (16 times the table limit) for a kernel log (--max-input or DMAR_MAX_INPUT raises it)\n',
    );
  });

  test('a UTF-16 log with a byte-order mark (PowerShell redirection) is read (it had "no DMAR line")', () => {
    const text = 'DMAR: IOMMU enabled\r\nDMAR: [Firmware Bug]: ioapic 2 has no mapping iommu, interrupt remapping will be disabled\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    for (const bytes of [le, be]) {
      const r = dmar(['explain', '-'], { input: bytes });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('1 firmware bug, 0 fault lines, 0 units, 0 table lines, 1 info, 0 unrecognised');
    }
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
