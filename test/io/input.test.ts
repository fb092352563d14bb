// One input reader for every command: regular files and stdin only, and no
// more than the size limit (1 MiB of table, 16 times that of input text).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ACPIDUMPS, dmar, dmarProcess, FIXTURES, HAVE_CORPUS } from '../helpers.js';
import { drhdTable } from './big.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-input-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function oneLine(r: { status: number; stderr: string; stdout: string }, ...parts: string[]) {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  for (const p of parts) expect(r.stderr).toContain(p);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('special files are refused before they are opened', () => {
  const fifo = join(work, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // A FIFO with no writer used to block each of these for ever (the spawn timeout would end it: status -1).
  for (const args of [
    ['decode', fifo],
    ['validate', fifo],
    ['encode', fifo, '-o', join(work, 'out.bin')],
    ['diff', fifo, join(FIXTURES, 'server-2s.bin')],
    ['flags', fifo],
    ['set-flag', 'ims-optout', fifo, '-o', join(work, 'o.bin')],
  ]) {
    test(`${args[0]} of a FIFO with no writer: one line, exit 2`, () => {
      const r = dmarProcess(args);
      if (args[0] === 'validate') {
        expect(r.status).toBe(2);
        expect(r.stdout + r.stderr).toContain('is a FIFO, not a regular file');
      } else oneLine(r, `${fifo}: is a FIFO, not a regular file`);
    });
  }

  test('decode /dev/zero ends at once', () => {
    oneLine(dmarProcess(['decode', '/dev/zero']), '/dev/zero: is a character device, not a regular file');
  });

  test('a directory, where one table is meant', () => {
    // decode and validate walk a directory; the commands that take one table refuse it
    oneLine(dmar(['flags', work]), `${work}: is a directory`);
    oneLine(dmar(['encode', work, '-o', join(work, 'dir.bin')]), `${work}: is a directory`);
  });
});

describe('the size limit', () => {
  const twoMiB = join(work, 'two-mib.bin');
  writeFileSync(twoMiB, drhdTable((2 * 1024 * 1024 - 48) / 16));

  test('a valid 2 MiB table is refused by default, in one line', () => {
    expect(statSync(twoMiB).size).toBe(2 * 1024 * 1024);
    oneLine(dmar(['decode', twoMiB]), 'a table of 2 MiB: over the 1 MiB table limit', '--max-input');
    // validate -o also prints its summary line on stderr
    const v = dmar(['validate', twoMiB, '-o', join(work, 'r.txt')]);
    expect(v.status).toBe(2);
    expect(v.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('over the 1 MiB table limit'),
      expect.stringMatching(/^dmar validate: 0 tables: .*1 unreadable \(report in /),
    ]);
  });

  // the bytes past Table Length count: hex and report draw them all (15 MiB of junk took 27 s and 1.5 GB to
  // report when only the Table Length counted); the message says the table itself is small
  test('2 MiB of junk after a small table is refused, saying the rest is no part of the table; --max-input lets it in', () => {
    const table = readFileSync(join(FIXTURES, 'server-2s.bin'));
    const padded = join(work, 'padded.bin');
    writeFileSync(padded, Buffer.concat([table, Buffer.alloc(2 << 20)]));
    oneLine(
      dmar(['decode', padded]),
      `${(2 << 20) + table.length} bytes of input whose Table Length is ${table.length} (the bytes past it are no part of the table): over the 1 MiB table limit`,
    );
    const r = dmar(['decode', padded, '--max-input', '4M']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`2097152 bytes after Table Length (${table.length}) are no part of the table`);
  });

  test('--max-input and DMAR_MAX_INPUT set the limit', () => {
    const t = join(work, '100k.bin');
    writeFileSync(t, drhdTable(6400)); // 102,448 bytes
    oneLine(dmar(['flags', t], { env: { DMAR_MAX_INPUT: '64K' } }), 'a table of 102448 bytes: over the 64 KiB table limit');
    const r = dmar(['validate', t, '--max-input', '100k', '--only', 'DMAR-HDR-CHECKSUM']);
    oneLine(r);
    expect(r.stdout + r.stderr).toContain('over the 100 KiB table limit');
    const ok = dmar(['validate', t, '--max-input', '128K', '--only', 'DMAR-HDR-CHECKSUM']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('1 table: 0 errors');
    const e = dmar(['flags', t], { env: { DMAR_MAX_INPUT: '102448' } });
    expect(e.status, e.stderr).toBe(0);
    oneLine(dmar(['decode', t, '--max-input', 'lots']), '--max-input: not a size');
    oneLine(dmar(['decode', t], { env: { DMAR_MAX_INPUT: '-1' } }), 'DMAR_MAX_INPUT: not a size');
  });

  test('a file over the input limit is refused from its size, without reading it', () => {
    const huge = join(work, 'sparse.bin');
    writeFileSync(huge, '');
    execFileSync('truncate', ['-s', '1G', huge]);
    oneLine(dmar(['decode', huge]), '1 GiB: over the 16 MiB input limit');
    oneLine(dmar(['encode', huge, '-o', join(work, 'x.bin')]), '1 GiB: over the 16 MiB input limit');
  });

  test('a raised --max-input still stops at the 256 MiB one input is read to, in one line (2 and 5 GB files)', () => {
    // over 2 GiB, one read of Node's failed ("length" out of range); over 4 GiB, the Buffer could not be made
    for (const [size, text] of [
      ['2300000000', '2300000000 bytes'],
      ['5000000000', '5000000000 bytes'],
      ['300M', '300 MiB'],
    ] as const) {
      const huge = join(work, `sparse-${size}.bin`);
      writeFileSync(huge, '');
      execFileSync('truncate', ['-s', size, huge]);
      for (const cmd of ['decode', 'validate'])
        oneLine(dmar(['--max-input', '1G', cmd, huge]), `${huge}: ${text}: over the 256 MiB dmar reads of one input, whatever --max-input says`);
      rmSync(huge);
    }
    // up to the ceiling, --max-input decides as before
    const small = join(work, 'sparse-20M.bin');
    // a DMAR header whose Table Length covers the 20 MiB (the limit is on the table, not on bytes past it)
    const header = Buffer.alloc(8);
    header.write('DMAR', 'latin1');
    header.writeUInt32LE(20 << 20, 4);
    writeFileSync(small, header);
    execFileSync('truncate', ['-s', '20M', small]);
    oneLine(dmar(['decode', small, '--max-input', '1M']), '20 MiB: over the 16 MiB input limit');
    oneLine(dmar(['decode', small, '--max-input', '2M']), 'a table of 20 MiB: over the 2 MiB table limit');
    rmSync(small);
  });

  test('stdin is read only up to the input limit', () => {
    const r = dmar(['decode', '-'], { input: Buffer.alloc(17 * 1024 * 1024) });
    oneLine(r, 'stdin: more than 16 MiB on stdin: over the 16 MiB input limit');
  });

  test.skipIf(!HAVE_CORPUS)('acpidump text of a large server (1.9 MB) is under the input limit', () => {
    const dump = join(ACPIDUMPS, '85CAC5E8B9EA.acpidump.txt');
    expect(readFileSync(dump).length).toBeGreaterThan(1 << 20);
    const r = dmar(['decode', dump]);
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('the machine readers and directory walks read as the commands do', () => {
  test('a FIFO as --dmesg, or as the DMAR of a capture, is refused at once', () => {
    const fifo = join(work, 'log-fifo');
    execFileSync('mkfifo', [fifo]);
    oneLine(dmarProcess(['validate', '--dmesg', fifo, join(FIXTURES, 'server-2s.bin')]), 'is a FIFO, not a regular file');
    const cap = join(work, 'cap');
    execFileSync('cp', ['-r', join(FIXTURES, 'machine', 'vm-no-dmar', 'capture'), cap]);
    execFileSync('mkfifo', [join(cap, 'root/sys/firmware/acpi/tables/DMAR')]);
    oneLine(dmarProcess(['validate', '--machine', cap]), 'is a FIFO, not a regular file');
  });

  test('a large file that is no candidate does not stop a directory walk', () => {
    const dir = join(work, 'mixed');
    execFileSync('mkdir', [dir]);
    writeFileSync(join(dir, 'dmar.bin'), readFileSync(join(FIXTURES, 'server-2s.bin')));
    writeFileSync(join(dir, 'notes.txt'), Buffer.alloc(17 * 1024 * 1024, 0x61));
    const r = dmar(['validate', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 table: 0 errors');
  });
});

// A directory's files are read into shared slabs and each table keeps a view of its bytes there: every
// table read in one walk must still hold its own bytes when all are looked at together, across slabs
// and whatever the file sizes (a 65,536-byte file goes the careful way).
test('a directory walk keeps each file its own bytes, across many files of many sizes', async () => {
  const { directoryInputs } = await import('../../src/cli/inputs.js');
  const d = mkdtempSync(join(tmpdir(), 'dmar-slab-'));
  try {
    const files: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      // DMAR signature first (a candidate); sizes from a few bytes to past one read's 64 KiB
      const size = i === 7 ? 1 << 16 : i === 8 ? (1 << 16) + 1 : 4 + ((i * 7919) % 9000);
      const b = Buffer.alloc(size, i & 0xff);
      b.write('DMAR', 0, 'latin1');
      files.push(b);
      writeFileSync(join(d, `t${String(i).padStart(4, '0')}.bin`), b);
    }
    const inputs = [...directoryInputs(d)];
    expect(inputs).toHaveLength(files.length);
    const loaded = inputs.map((input) => input.load());
    for (let i = 0; i < files.length; i++) expect(Buffer.compare(Buffer.from(loaded[i]!.bytes), files[i]!)).toBe(0);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
