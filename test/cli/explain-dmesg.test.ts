// dmar validate --dmesg LOG: a real machine's boot log against its own DMAR table.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CORPUS, dmar, FIXTURES, HAVE_CORPUS } from '../helpers.js';

const LOGS = join(FIXTURES, 'logs');

interface JsonFinding {
  id: string;
  offset: number;
  structure: string | null;
  message: string;
}
const findings = (args: string[]) => {
  const r = dmar(['validate', '--json', ...args]);
  return { ...r, list: JSON.parse(r.stdout).files[0].findings as JsonFinding[] };
};

describe.skipIf(!HAVE_CORPUS)('validate --dmesg on real machines (table and boot log of the same hw-probe ID)', () => {
  test('Surface Pro 3: exactly the two RMRRs the kernel called firmware bugs', () => {
    const r = findings([join(CORPUS, '074C5C2E091B.dmar'), '--dmesg', join(LOGS, 'surface-pro-3.log')]);
    expect(r.status).toBe(1);
    const errors = r.list.filter((f) => f.id === 'DMAR-RMRR-NOT-RESERVED');
    expect(errors.map((f) => [f.structure, f.offset])).toEqual([
      ['RMRR #1', 0x80],
      ['RMRR #2', 0xa0],
    ]);
    expect(errors[0]!.message).toContain('[0x000000003e2e0000-0x000000003e2fffff]');
    expect(errors[0]!.message).toContain('surface-pro-3.log (BIOS-e820 lines)');
    expect(errors[0]!.message).toContain('kernel 5.10.0-8parrot1-amd64');
    expect(errors[1]!.message).toContain('[0x00000000ad000000-0x00000000af1fffff]');
    // the units the log printed agree with the table: no unit finding
    expect(r.list.filter((f) => f.id.startsWith('DMAR-UNIT') || f.id.startsWith('DMAR-FLAGS'))).toEqual([]);
  });

  test("the 2025 rework's words for the memory types (`System RAM`, `device reserved`) give the same verdicts", () => {
    const log = readFileSync(join(LOGS, 'surface-pro-3.log'), 'utf8');
    const renamed = log
      .replace(/\] usable$/gm, '] System RAM')
      .replace(/\] reserved$/gm, '] device reserved')
      .replace(/ ==> reserved$/gm, ' ==> device reserved');
    expect(renamed).toContain('] System RAM');
    const dir = mkdtempSync(join(tmpdir(), 'dmar-e820-'));
    writeFileSync(join(dir, 'renamed.log'), renamed);
    const table = join(CORPUS, '074C5C2E091B.dmar');
    const ids = (r: { list: JsonFinding[] }) => r.list.map((f) => [f.id, f.structure, f.offset]);
    const before = findings([table, '--dmesg', join(LOGS, 'surface-pro-3.log')]);
    const after = findings([table, '--dmesg', join(dir, 'renamed.log')]);
    expect(ids(after)).toEqual(ids(before));
    expect(after.status).toBe(before.status);
    // an RMRR of page 0, which usable RAM holds in the firmware's map and Linux 5.5 on reserves itself: judged so in either words
    const page0 = (ram: string) =>
      [
        '[    0.000000] Linux version 7.0.0-29-generic (buildd@lcy02) (gcc 14.2.0) #29-Ubuntu SMP',
        `[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009dfff] ${ram}`,
        '[    0.000000] BIOS-e820: [mem 0x000000000009e000-0x00000000000fffff] device reserved',
        `[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] ${ram}`,
      ].join('\n');
    const verdicts = (ram: string) => {
      writeFileSync(join(dir, 'page0.log'), page0(ram));
      return findings([join(CORPUS, '55FB3FEC2E80.dmar'), '--dmesg', join(dir, 'page0.log')]).list.map((f) => f.id);
    };
    expect(verdicts('System RAM')).toEqual(verdicts('usable'));
    expect(verdicts('System RAM')).not.toContain('DMAR-RMRR-NOT-RESERVED');
  });

  test('IdeaPad 320: the kernel printed no firmware bug, and validate finds none', () => {
    const r = findings([join(CORPUS, '35D8FF8B7006.dmar'), '--dmesg', join(LOGS, 'ideapad-320-15isk.log')]);
    expect(r.status).toBe(0);
    expect(r.list).toEqual([]);
  });

  test('text report names the map and the rule', () => {
    const r = dmar(['validate', join(CORPUS, '074C5C2E091B.dmar'), '--dmesg', join(LOGS, 'surface-pro-3.log')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('DMAR-RMRR-NOT-RESERVED  RMRR #2');
    // the kernel reserved the graphics stolen memory at 0xad200000, and the RMRR's first 2 MiB stayed a hole: Linux's firmware bug
    expect(r.stdout).toContain('it overlaps [0xad200000-0xaf1fffff] reserved (kernel: range added), and no entry covers [0xad000000-0xad1fffff]');
  });

  test('a log without BIOS-e820 lines: a warning, and the memory-map check is skipped with a note', () => {
    const r = dmar(['validate', join(CORPUS, '074C5C2E091B.dmar'), '--dmesg', join(LOGS, 'faults.log')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('faults.log: no BIOS-e820 lines');
    expect(r.stdout).toMatch(/note: DMAR-RMRR-NOT-RESERVED skipped: no memory map in .*faults\.log/);
  });
});

test('--dmesg with a missing log: one line, exit 2', () => {
  const r = dmar(['validate', join(FIXTURES, 'desktop-legacy.bin'), '--dmesg', join(LOGS, 'absent.log')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^dmar: .*absent\.log: no such file\n$/);
});

test('--dmesg - reads the log from stdin; not together with a table from stdin', () => {
  const log = readFileSync(join(LOGS, 'ideapad-320-15isk.log'));
  const r = dmar(['validate', join(FIXTURES, 'desktop-legacy.bin'), '--dmesg', '-', '--only', 'DMAR-RMRR-NOT-RESERVED'], { input: log });
  expect(r.stderr).toBe('');
  expect(r.stdout).not.toContain('skipped');
  const both = dmar(['validate', '-', '--dmesg', '-'], { input: log });
  expect(both.status).toBe(2);
  expect(both.stderr).toBe('dmar: - (stdin) is named for a table and --dmesg: stdin can be read once\n');
});

test('stdin is read once: every command refuses - named twice, before reading anything', () => {
  const table = readFileSync(join(FIXTURES, 'server-2s.bin'));
  // report and map took the table's bytes for the log and then found stdin empty; validate and decode
  // read the table, then reported the second - as an unreadable empty table
  for (const [args, message] of [
    [['report', '-', '--dmesg', '-'], '- (stdin) is named for a table and --dmesg: stdin can be read once'],
    [['map', '-', '--dmesg', '-'], '- (stdin) is named for a table and --dmesg: stdin can be read once'],
    [['validate', '-', '--dmesg', '-'], '- (stdin) is named for a table and --dmesg: stdin can be read once'],
    [['validate', '-', '-'], '- (stdin) is named for 2 tables: stdin can be read once'],
    [['decode', '-', '-'], '- (stdin) is named for 2 tables: stdin can be read once'],
    [['validate', join(FIXTURES, 'qemu-q35-ir.bin'), '-', '-'], '- (stdin) is named for 2 tables: stdin can be read once'],
    // diff and explain say it by the same rule
    [['diff', '-', '-'], '- (stdin) is named for 2 tables: stdin can be read once'],
    [['explain', '-', '--table', '-'], '- (stdin) is named for the log and --table: stdin can be read once'],
  ] as const) {
    const r = dmar([...args], { input: table });
    expect(r.status, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toBe(`dmar: ${message}\n`);
    expect(r.stdout, args.join(' ')).toBe('');
  }
  // once is fine, for each of them
  expect(dmar(['map', '-'], { input: table }).status).toBe(0);
  expect(dmar(['decode', '-', join(FIXTURES, 'qemu-q35-ir.bin')], { input: table }).status).toBe(0);
});

test('a log without a `Linux version` line: the note names that line, not the files of a capture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-nover-'));
  const log = join(dir, 'no-version.log');
  writeFileSync(log, 'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\nBIOS-e820: [mem 0x0000000000100000-0x00000000ffffffff] reserved\n');
  const r = dmar(['validate', join(FIXTURES, 'desktop-legacy.bin'), '--dmesg', log]);
  expect(r.stdout).toContain(`note: DMAR-RMRR-NOT-RESERVED: no kernel release in ${log} (no \`Linux version\` line): judged by`);
});

test('a boot with memmap=: the user: map judges the RMRRs, and a log without it says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-usermap-'));
  // server-2s.bin's RMRR is [0x6b5a9000-0x6b5b8fff]: RAM in the firmware's map, reserved by memmap=64K$0x6b5a9000
  const head = [
    'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP',
    'Command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 memmap=64K$0x6b5a9000',
    'BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable',
    'BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable',
  ];
  const user = [
    'user-defined physical RAM map:',
    'user: [mem 0x0000000000000000-0x000000000009ffff] usable',
    'user: [mem 0x0000000000100000-0x000000006b5a8fff] usable',
    'user: [mem 0x000000006b5a9000-0x000000006b5b8fff] reserved',
    'user: [mem 0x000000006b5b9000-0x000000007fffffff] usable',
  ];
  writeFileSync(join(dir, 'user.log'), [...head, ...user].join('\n') + '\n');
  writeFileSync(join(dir, 'grepped.log'), head.join('\n') + '\n');
  const table = join(FIXTURES, 'server-2s.bin');
  const withUser = dmar(['validate', '--json', table, '--dmesg', join(dir, 'user.log')]);
  const doc = JSON.parse(withUser.stdout);
  expect(doc.files[0].findings.map((f: JsonFinding) => f.id)).not.toContain('DMAR-RMRR-NOT-RESERVED');
  const rmrrNotes = (d: { files: { notes?: string[] }[] }) => (d.files[0]!.notes ?? []).filter((n) => n.startsWith('DMAR-RMRR-NOT-RESERVED'));
  expect(rmrrNotes(doc)).toEqual([]);
  const grepped = dmar(['validate', '--json', table, '--dmesg', join(dir, 'grepped.log')]);
  const g = JSON.parse(grepped.stdout);
  expect(g.files[0].findings.map((f: JsonFinding) => f.id)).toContain('DMAR-RMRR-NOT-RESERVED');
  expect(rmrrNotes(g)).toEqual([
    `DMAR-RMRR-NOT-RESERVED: ${join(dir, 'grepped.log')} (BIOS-e820 lines): its command line has memmap=64K$0x6b5a9000, but the log has no \`user:\` lines (the map after it): judged against the firmware's map with the e820 edits the log shows`,
  ]);
  // map and explain say which map it is
  const m = dmar(['map', table, '--dmesg', join(dir, 'user.log')]);
  expect(m.stdout).toContain(`over ${join(dir, 'user.log')} (user: lines, the map after memmap=/mem=)`);
  expect(m.stdout).toContain("the map is drawn as the kernel printed it after the command line's memmap=/mem= edits");
  expect(dmar(['explain', join(dir, 'user.log')]).stdout).toContain('memory map: 4 user: regions (the map after memmap=/mem=)');
  expect(JSON.parse(dmar(['explain', '--json', join(dir, 'user.log')]).stdout).memoryMapLines).toBe('user');
  // a firmware map past 128 entries: its extended: lines
  writeFileSync(join(dir, 'extended.log'), [...head, ...head.slice(2).map((l) => l.replace('BIOS-e820', 'extended'))].join('\n') + '\n');
  expect(dmar(['explain', join(dir, 'extended.log')]).stdout).toContain('memory map: 2 extended: regions (the firmware map past 128 entries)');
  expect(JSON.parse(dmar(['explain', '--json', join(dir, 'extended.log')]).stdout).memoryMapLines).toBe('extended');
});
