// A validate batch, once warm, multiplies V8's interrupt budget (bin/dmar.js, docs/performance.md): after
// 1,500 tables validated since the batch's 20th distinct table. The real binary is run with a preload that
// records what V8 is told (-r leaves V8's flags, and so the code cache, as they are).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const set = v8.setFlagsFromString;
v8.setFlagsFromString = (f) => { told.push(f); return set(f); };
process.on('exit', () => process.stderr.write('told: ' + JSON.stringify(told) + '\\n'));
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

/** A directory of `n` tables, cycling through `distinct` variants. */
function batch(n: number, distinct: number): string {
  const dir = join(work, `b${n}-${distinct}`);
  mkdirSync(dir);
  const tables = Array.from({ length: distinct }, (_, i) => variant(i + 1));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `t${String(i).padStart(5, '0')}.dat`), tables[i % distinct]!);
  return dir;
}

/** What V8 was told in a validate run of `dir`. */
function told(dir: string): string[] {
  const r = spawnSync(process.execPath, ['-r', preload, join(ROOT, 'bin', 'dmar.js'), 'validate', dir], {
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 25_000,
  });
  expect(r.status, r.stderr.toString()).toBe(0);
  return JSON.parse(/told: (.*)/.exec(r.stderr.toString())![1]!);
}

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
