// Inputs within the size limits that once made dmar work for minutes or build gigabytes: kernel log
// lines made for the patterns' backtracking, iasl source naming far more bytes than it holds, tables of
// tens of thousands of structures through the report, topology and log explanation. Each case here
// took from tens of seconds to hours before: each test's time limit, many times what it takes now and a
// fraction of what it took then, is the guard.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { logLines, MAX_LOG_LINE, parseE820Line, parseKernelLog } from '../../src/machine/kernel-log.js';
import { brokenScale } from '../../src/report/memory.js';
import { dmar, FIXTURES } from '../helpers.js';
import { manyDrhds } from '../dmar/validate/tables.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-hostile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('kernel logs', () => {
  test('an e820 line with blanks after its type is read, the type trimmed in code', () => {
    const line = `BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable${' '.repeat(3000)}`;
    expect(parseE820Line(line)).toMatchObject({ start: 0n, end: 0x9ffffn, kind: 'ram', type: 'usable' });
    const upd = parseKernelLog(`[    0.0] ${line}\n[    0.1] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved${' '.repeat(3000)}\n`, 'x');
    expect(upd.e820Updates.map((u) => [u.from, u.to])).toEqual([['usable', 'reserved']]);
  });

  test('a line over MAX_LOG_LINE is no kernel message: it keeps its place and matches nothing (such a log took over a minute)', { timeout: 5000 }, () => {
    const long = `BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] a${' '.repeat(400_000)}b`;
    const log = `[    0.0] ${long}\n[    0.1] DMAR: ${'Device scope device ['.repeat(10_000)}\n[    0.2] BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n`;
    const lines = logLines(log);
    expect(lines.map((l) => [l.text.length <= MAX_LOG_LINE, l.tooLong])).toEqual([
      [true, true],
      [true, true],
      [true, undefined],
    ]);
    expect(lines[0]!.raw.length).toBeGreaterThan(MAX_LOG_LINE);
    const parsed = parseKernelLog(log, 'x');
    expect(parsed.memoryMap?.regions.map((r) => r.type)).toEqual(['usable']);
    // the VT-d drivers' line is listed, unrecognised, not dropped (docs/explain.md: "never dropped")
    expect(parsed.dmar.map((d) => [d.line, d.subsystem, d.event.kind])).toEqual([[2, 'DMAR', 'unrecognised']]);
  });

  test('dmar explain and validate --dmesg read such a log at once', { timeout: 10_000 }, () => {
    const p = join(work, 'hostile.log');
    const lines = [
      `BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] a${' '.repeat(400_000)}b`,
      `[    0.3] DMAR: Your BIOS is broken; bad RMRR [0x1-0x2]`,
      ` BIOS vendor: ${'; Ver: '.repeat(500)}x`,
      `[    0.4] DMAR: ${'No firmware reserved region can cover this RMRR ['.repeat(80)}`,
    ];
    writeFileSync(p, `${lines.join('\n')}\n`);
    const e = dmar(['explain', p]);
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain('Your BIOS is broken; bad RMRR [0x1-0x2]');
    const v = dmar(['validate', join(FIXTURES, 'qemu-q35-ir.bin'), '--dmesg', p]);
    expect(v.status, v.stderr).toBeLessThan(2);
  });
});

describe('iasl source that names more bytes than it holds', () => {
  const header = [
    'Signature : "DMAR"',
    'Table Length : 0',
    'Revision : 01',
    'Checksum : 00',
    'Oem ID : "X"',
    'Oem Table ID : "Y"',
    'Oem Revision : 0',
    'Asl Compiler ID : "Z"',
    'Asl Compiler Revision : 0',
    'Host Address Width : 2D',
    'Flags : 01',
    'Reserved : 00 00 00 00 00 00 00 00 00 00',
  ].join('\n');
  /** An ANDD whose Length (0xFFFF) stands for 64 KiB of padding: 90 bytes of source. */
  const andd = '\nSubtable Type : 0004\nLength : FFFF\nReserved : 000000\nDevice Number : 01\nDevice Name : "a"';
  const source = (n: number) => {
    const p = join(work, `andd-${n}.dsl`);
    writeFileSync(p, header + andd.repeat(n) + '\n');
    return p;
  };

  test('encode stops at the table limit, writes nothing, one line, exit 2 (180 KB of source named 131 MB; 1.8 MB, 1.3 GB)', () => {
    for (const n of [2000, 20_000]) {
      const out = join(work, `andd-${n}.bin`);
      const r = dmar(['encode', source(n), '-o', out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(
        /^dmar: .*andd-\d+\.dsl: line \d+: the table would be over 1048576 bytes, the table limit \(--max-input or DMAR_MAX_INPUT raises it\)\n$/,
      );
      expect(() => readFileSync(out)).toThrow();
    }
  });

  test('decode and validate of such source stop the same way', () => {
    const p = source(20_000);
    for (const cmd of ['decode', 'validate']) {
      const r = dmar([cmd, p]);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr, cmd).toContain('the table would be over 1048576 bytes');
    }
  });

  test('under the limit it is compiled as before: 15 ANDDs of 64 KiB', () => {
    const out = join(work, 'andd-15.bin');
    const r = dmar(['encode', source(15), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out).length).toBe(48 + 15 * 0xffff);
  });
});

/** A table of `n` DRHDs, one per segment, as a file. */
function drhds(n: number): string {
  const p = join(work, `drhd-${n}.bin`);
  writeFileSync(p, manyDrhds(n));
  return p;
}

describe('tables of tens of thousands of structures', () => {
  test('the memory map scale: 60,000 shapes (each interval was checked against every shape: 20 s)', { timeout: 5000 }, () => {
    const shapes = Array.from({ length: 60_000 }, (_, i) => ({ start: BigInt(i) * 0x2000n, end: BigInt(i) * 0x2000n + 0xfffn }));
    const s = brokenScale(shapes as never, 0, 1000);
    expect(s.gaps.length).toBe(59_999); // the 4 KiB between each pair
    expect(s.x(0n)).toBe(0);
  });

  test('the memory map scale: a shape that ends before it starts covers nothing, as before the sweep', () => {
    const shape = (start: bigint, end: bigint) => ({ start, end }) as never;
    // a garbled map: usable RAM, a "reserved" line whose end is below its start, more RAM after a hole
    const sc = brokenScale([shape(0n, 0x9fbffn), shape(0x80000n, 0x4ffffn), shape(0x100000n, 0x1fffffn)], 0, 1000);
    expect(sc.gaps).toEqual([[sc.x(0x9fc00n), sc.x(0x100000n)]]);
  });

  test('report and topology of 16,000 DRHDs (the report took 38 s)', { timeout: 20_000 }, () => {
    const p = drhds(16_000);
    const r = dmar(['report', p, '-o', join(work, 'r.html')]);
    expect(r.status, r.stderr).toBeLessThan(2);
    // the page lists the first 2,048 units and says how many more there are (docs/report.md)
    const page = readFileSync(join(work, 'r.html'), 'utf8');
    expect(page).toContain('<b>DRHD #2048</b>');
    expect(page).toContain('and 13952 more units');
    const t = dmar(['topology', p]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout.split('\n').filter((l) => l.startsWith('DRHD #')).length).toBe(16_000);
  });
});
