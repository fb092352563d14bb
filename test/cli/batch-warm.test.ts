// A validate batch, once warm, multiplies V8's interrupt budget (bin/dmar.js, docs/performance.md): after
// 1,500 tables validated since the batch's 20th distinct table. Its young generation stops growing at 4 MiB. The real binary is run with a preload that
// records what V8 is told (-r leaves V8's flags, and so the code cache, as they are).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixChecksum } from '../../src/acpi/header.js';
import { listenToTables } from '../../src/cli/batch.js';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/io/std.js';
import { FIXTURES, ROOT } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-warm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const preload = join(work, 'flags.cjs');
writeFileSync(
  preload,
  `const v8 = require('node:v8');
const told = [];
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
let capped;
const set = v8.setFlagsFromString;
v8.setFlagsFromString = (f) => { told.push(f); if (f.includes('semi-space-growth-factor')) capped = young(); return set(f); };
process.on('exit', () => process.stderr.write('told: ' + JSON.stringify({ told, capped, young: young() }) + '\\n'));
`,
);
const table = readFileSync(join(FIXTURES, 'server-2s.bin'));
/** The table with OEM Revision i: another Checksum, so another distinct table. */
const variant = (i: number) => {
  const b = Buffer.from(table);
  b.writeUInt32LE(i, 24);
  fixChecksum(b);
  return b;
};

/** A directory of `n` tables, cycling through `distinct` variants (made once). */
function batch(n: number, distinct: number): string {
  const dir = join(work, `b${n}-${distinct}`);
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  const tables = Array.from({ length: distinct }, (_, i) => variant(i + 1));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `t${String(i).padStart(5, '0')}.dat`), tables[i % distinct]!);
  return dir;
}

interface Told {
  /** The flags V8 was told, in order. */
  told: string[];
  /** The young generation's size when it was told to stop growing, if it was. */
  capped?: number;
  /** Its size at the end of the run. */
  young: number;
}
/** What V8 was told in a run of `dmar COMMAND dir`. */
function run(dir: string, command = 'validate'): Told {
  const r = spawnSync(process.execPath, ['-r', preload, join(ROOT, 'bin', 'dmar.js'), command, dir], {
    env: { ...process.env, NO_COLOR: '1' },
    // a decode batch's output is megabytes: only stderr is read
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 25_000,
  });
  // 1: findings at or above the failing severity
  expect([0, 1], r.stderr.toString()).toContain(r.status);
  return JSON.parse(/told: (.*)/.exec(r.stderr.toString())![1]!);
}
const told = (dir: string) => run(dir).told;

const BUDGET = '--interrupt-budget=1081344';

describe('a warm validate batch', () => {
  test('1,500 tables after the 20th distinct one: the budget is raised, once; one table fewer: not', () => {
    const set = told(batch(1520, 20));
    expect(set.filter((f) => f === BUDGET)).toHaveLength(1);
    // the batch flags came first
    expect(set[0]).toMatch(/--max-inlined-bytecode-size-cumulative=50/);
    expect(told(batch(1519, 20))).not.toContain(BUDGET);
  });

  test('a batch of fewer than 20 distinct tables is never warm, however long', () => {
    expect(told(batch(1700, 19))).not.toContain(BUDGET);
  });
});

const GROWTH = '--semi-space-growth-factor=1';
const MiB = 1 << 20;

/**
 * 200 tables of 100 DRHDs at Register Base Address 0, each INCLUDE_PCI_ALL on segment 0: 397 findings a table,
 * which a batch keeps to the end. What survives V8's collections makes it grow the young generation: without
 * the cap, validate grows it to 32 MiB here.
 */
function findingsBatch(): string {
  const dir = join(work, 'findings');
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  for (let t = 0; t < 200; t++) {
    const b = Buffer.alloc(48 + 16 * 100);
    b.write('DMAR', 0, 'latin1');
    b.writeUInt32LE(b.length, 4);
    b[8] = 1;
    b.writeUInt32LE(t, 24);
    b[36] = 45;
    for (let o = 48; o < b.length; o += 16) {
      b.writeUInt16LE(16, o + 2);
      b[o + 4] = 1;
    }
    fixChecksum(b);
    writeFileSync(join(dir, `t${String(t).padStart(3, '0')}.dat`), b);
  }
  return dir;
}

describe("a validate batch's young generation", () => {
  test('stops growing once it holds 4 MiB, and keeps that size to the end', () => {
    const r = run(findingsBatch());
    expect(r.told.filter((f) => f === GROWTH)).toHaveLength(1);
    expect(r.capped).toBeGreaterThanOrEqual(4 * MiB);
    expect(r.capped).toBeLessThan(32 * MiB);
    expect(r.young).toBe(r.capped);
  });

  test('a decode batch and a validate of one file leave it to V8', () => {
    const d = run(findingsBatch(), 'decode');
    expect(d.told).not.toContain(GROWTH);
    // the decoded text is kept to the end as well: V8 grows the young generation past 4 MiB
    expect(d.young).toBeGreaterThan(4 * MiB);
    expect(run(join(FIXTURES, 'server-2s.bin')).told).toEqual([]);
  });
});

test('validate tells the listener of each table it validated, and of no unreadable one', async () => {
  const dir = join(work, 'listen');
  mkdirSync(dir);
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, `t${i}.dat`), variant(i + 1));
  writeFileSync(join(dir, 'bad.dat'), Buffer.concat([Buffer.from('DMAR'), Buffer.alloc(40)]));
  const heard: number[] = [];
  listenToTables((b) => heard.push(new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(24, true)));
  const io: Io = { env: { NO_COLOR: '1' }, stdin: new Uint8Array(), stdout: () => {}, stderr: () => {}, isTTY: { stdin: false, stdout: false, stderr: false } };
  let code: number;
  try {
    code = await main(['node', 'dmar', 'validate', dir], io);
  } finally {
    listenToTables(undefined);
  }
  expect(code).toBe(2);
  expect(heard.sort()).toEqual([1, 2, 3]);
});
