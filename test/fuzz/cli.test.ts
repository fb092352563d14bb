// Every command on mutated tables (and encode on mutated JSON and iasl
// source): exit 0, 1 or 2, at most one error line on stderr, never a stack
// trace, never a temporary file left behind, and an -o target that is either
// absent or complete. Spawning is slow, so each command gets a quarter of the
// 40 inputs (every input is used), run a few processes at a time.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { byteSum } from '../../src/acpi/header.js';
import { decodeDmar } from '../../src/dmar/decode.js';
import { encodeDmar } from '../../src/dmar/encode.js';
import { formatIasl } from '../../src/dmar/codec/iasl.js';
import { toJson } from '../../src/dmar/codec/json.js';
import { VIRT_DESCRIPTOR_TYPE } from '../../src/dmar/schema.js';
import { loadSeeds, runInput } from '../../tools/fuzz/campaign.js';
import { Prng } from '../../tools/fuzz/prng.js';
import { ROOT } from '../helpers.js';

const CLI_SEED = 0xc11;
const INPUTS = 40;
const SHARE = 4;
const TEXTS = 16;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function dmarAsync(args: string[], cwd: string, input?: Uint8Array): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'FORCE_COLOR' && k !== 'DMAR_DEBUG') env[k] = v;
  env.NO_COLOR = '1';
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin', 'dmar.js'), ...args],
      { cwd, env, timeout: 30_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : err ? -1 : 0;
        resolve({ status: code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin!.end(input ? Buffer.from(input) : undefined);
  });
}

async function pool<T>(jobs: (() => Promise<T>)[], width = Math.max(2, Math.min(4, availableParallelism()))): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

const seeds = loadSeeds(ROOT);
const inputs = Array.from({ length: INPUTS }, (_, run) => ({ run, ...runInput(seeds, CLI_SEED, run) }));
const work = mkdtempSync(join(tmpdir(), 'dmar-fuzz-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What every run must satisfy, whatever the command: returns the violations. */
function stderrViolations(r: Run, reportsUnreadable = false): string[] {
  const v: string[] = [];
  if (![0, 1, 2].includes(r.status)) v.push(`exit status ${r.status}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  if (lines.some((l) => /^\s+at\s/.test(l))) v.push('stack trace on stderr');
  if (/internal error/.test(r.stderr)) v.push('internal error');
  const errors = lines.filter((l) => /^dmar: /.test(l) && !/^dmar: warning: /.test(l));
  if (errors.length > 1) v.push(`${errors.length} error lines`);
  if (r.status === 2 && errors.length !== 1 && !(reportsUnreadable && errors.length === 0)) v.push('exit 2 without exactly one error line');
  return v;
}

const LEFTOVER = /\.dmar-tmp-/;

type OutputCheck = (out: Uint8Array, input: Uint8Array) => string | undefined;

interface Command {
  name: string;
  args: (input: string, output: string, seed: string) => string[];
  stdin?: boolean;
  /** The -o target, when the command writes one: checked when it exists. */
  output?: OutputCheck;
  /** Success must produce the output (editors); a report may be written with status 1 too. */
  outputOn?: number[];
  /** Unreadable input is reported in the report itself (validate), not on stderr. */
  reportsUnreadable?: boolean;
  /** A check of the exit status against the input. */
  status?: (r: Run, input: Uint8Array, seed: Uint8Array) => string | undefined;
}

const decodes: OutputCheck = (out) => {
  try {
    decodeDmar(out, { strict: false });
    return undefined;
  } catch (e) {
    return `output does not decode: ${(e as Error).message}`;
  }
};
function strictlyValid(b: Uint8Array): boolean {
  try {
    decodeDmar(b);
    return true;
  } catch {
    return false;
  }
}
/** A one-bit edit changes the Flags byte and the Checksum, nothing else. */
const flagEdit: OutputCheck = (out, input) => {
  if (out.length !== input.length) return `output is ${out.length} bytes, input ${input.length}`;
  const changed = [...out.keys()].filter((i) => out[i] !== input[i]);
  return changed.every((i) => i === 9 || i === 37) ? undefined : `bytes changed at ${changed.join(',')}`;
};
const json: OutputCheck = (out) => {
  try {
    JSON.parse(Buffer.from(out).toString('utf8'));
    return undefined;
  } catch (e) {
    return `output is not complete JSON: ${(e as Error).message}`;
  }
};

const COMMANDS: Command[] = [
  ...(['text', 'json', 'iasl', 'hex'] as const).map((f): Command => ({ name: `decode --format ${f}`, args: (i) => ['decode', i, '--format', f] })),
  { name: 'decode --iasl-dialect 2020', args: (i) => ['decode', i, '--format', 'iasl', '--iasl-dialect', '2020'] },
  { name: 'decode --json -o', args: (i, o) => ['decode', i, '--json', '-o', o], output: json, outputOn: [0] },
  { name: 'decode - (stdin)', args: () => ['decode', '-'], stdin: true },
  { name: 'validate', args: (i) => ['validate', i], reportsUnreadable: true },
  {
    name: 'validate --format json -o',
    args: (i, o) => ['validate', i, '--format', 'json', '-o', o],
    output: json,
    outputOn: [0, 1, 2],
    reportsUnreadable: true,
  },
  { name: 'validate --format junit', args: (i) => ['validate', i, '--format', 'junit'], reportsUnreadable: true },
  { name: 'flags', args: (i) => ['flags', i] },
  { name: 'flags --json', args: (i) => ['flags', i, '--json'] },
  { name: 'set-flag -o', args: (i, o) => ['set-flag', 'ims-optout', i, '-o', o], output: flagEdit, outputOn: [0] },
  { name: 'clear-flag --force -o', args: (i, o) => ['clear-flag', 'intr-remap', i, '--force', '-o', o], output: flagEdit, outputOn: [0] },
  { name: 'virt show', args: (i) => ['virt', 'show', i] },
  { name: 'virt show --json', args: (i) => ['virt', 'show', i, '--json'] },
  {
    name: 'virt set --force -o',
    args: (i, o) => ['virt', 'set', i, '--virtualized', '--features', 'ims', '--force', '-o', o],
    outputOn: [0],
    // forced onto a table whose framing is broken, the result's framing cannot be promised: only that it is a table
    output: (out, input) =>
      decodes(out, out) ??
      (!strictlyValid(input) || decodeDmar(out).table.structures.some((s) => s.type === VIRT_DESCRIPTOR_TYPE) ? undefined : 'no descriptor in the output'),
  },
  { name: 'virt remove --force -o', args: (i, o) => ['virt', 'remove', i, '--force', '-o', o], output: decodes, outputOn: [0] },
  {
    name: 'fix -o',
    args: (i, o) => ['fix', i, '-o', o],
    outputOn: [0],
    output: (out, input) => {
      if (out.length !== input.length) return `output is ${out.length} bytes, input ${input.length}`;
      const len = new DataView(out.buffer, out.byteOffset).getUint32(4, true);
      return len <= out.length && byteSum(out.subarray(0, len)) !== 0 ? 'the fixed table does not sum to 0' : decodes(out, input);
    },
  },
  {
    name: 'diff',
    args: (i, _o, s) => ['diff', s, i],
    status: (r, input, seed) =>
      r.status !== 2 && (r.status === 0) !== Buffer.from(input).equals(Buffer.from(seed))
        ? `exit ${r.status} for ${Buffer.from(input).equals(Buffer.from(seed)) ? 'equal' : 'different'} inputs`
        : undefined,
  },
  { name: 'diff --json', args: (i, _o, s) => ['diff', i, s, '--json'] },
  { name: 'ims --policy all', args: (i) => ['ims', i, '--policy', 'all', '--caching-mode', 'off'] },
  { name: 'ims --json', args: (i) => ['ims', i, '--json', '--hypervisor'] },
];

/** Exit statuses seen per command: the sample must exercise success and refusal both. */
const seen = new Map<string, Set<number>>();

async function runOne(cmd: Command, k: number, inp: (typeof inputs)[number]): Promise<string[]> {
  const dir = join(work, `c${k}-r${inp.run}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'in.bin'), inp.input);
  writeFileSync(join(dir, 'seed.bin'), inp.seed.bytes);
  const r = await dmarAsync(cmd.args('in.bin', 'out.file', 'seed.bin'), dir, cmd.stdin ? inp.input : undefined);
  if (!seen.has(cmd.name)) seen.set(cmd.name, new Set());
  seen.get(cmd.name)!.add(r.status);
  const v = stderrViolations(r, cmd.reportsUnreadable);
  const left = readdirSync(dir).filter((f) => LEFTOVER.test(f));
  if (left.length) v.push(`temporary files left: ${left.join(', ')}`);
  const out = join(dir, 'out.file');
  if (cmd.output) {
    if (existsSync(out)) {
      const why = cmd.output(new Uint8Array(readFileSync(out)), inp.input);
      if (why) v.push(why);
    } else if (cmd.outputOn?.includes(r.status)) {
      v.push(`exit ${r.status} but no output file`);
    }
  }
  const s = cmd.status?.(r, inp.input, inp.seed.bytes);
  if (s) v.push(s);
  return v.map(
    (x) =>
      `run ${inp.run} (${inp.seed.name}: ${inp.steps.join('; ')}): ${x}${r.stderr ? ` [stderr: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}]` : ''}`,
  );
}

describe(`CLI on mutated tables (seed ${CLI_SEED}, ${INPUTS} inputs, each command on ${INPUTS / SHARE})`, () => {
  test.each(COMMANDS.map((c, k) => [c.name, k] as const))('%s', async (_, k) => {
    const cmd = COMMANDS[k]!;
    const mine = inputs.filter((inp) => (inp.run + k) % SHARE === 0);
    const violations = (await pool(mine.map((inp) => () => runOne(cmd, k, inp)))).flat();
    expect(violations).toEqual([]);
  });

  test('the sample holds tables that are accepted and tables that are refused', () => {
    const want: [string, number[]][] = [
      ['decode --format text', [0, 2]],
      ['set-flag -o', [0, 2]],
      ['validate', [1, 2]],
    ];
    for (const [name, statuses] of want) expect([...(seen.get(name) ?? [])], name).toEqual(expect.arrayContaining(statuses));
  });
});

// ---- encode: mutated JSON documents and iasl source --------------------------

const TEXT_MUTATIONS: ((lines: string[], rng: Prng) => string[])[] = [
  (l, rng) => l.filter((_, i) => i !== rng.int(l.length)),
  (l, rng) => {
    const i = rng.int(l.length);
    return [...l.slice(0, i + 1), l[i]!, ...l.slice(i + 1)];
  },
  (l, rng) => {
    const i = rng.int(l.length);
    const s = l[i]!;
    const at = rng.int(s.length + 1);
    return l.map((x, j) =>
      j === i ? s.slice(0, at) + rng.pick(['"', '{', ']', ':', ',', 'F', 'z', '0x', '\u00e9', '99999999999999999999']) + s.slice(at + 1) : x,
    );
  },
  (l, rng) => l.slice(0, rng.int(l.length)),
  (l, rng) => l.map((x) => (rng.chance(0.1) ? x.replace(/[0-9A-F]{2}/, 'FFFF') : x)),
];

const texts = Array.from({ length: TEXTS }, (_, i) => {
  const rng = new Prng(CLI_SEED + i);
  const seed = rng.pick(seeds.filter((s) => strictlyValid(s.bytes)));
  const table = decodeDmar(seed.bytes).table;
  const asJson = i % 2 === 0;
  const text = asJson ? JSON.stringify(toJson(table), null, 2) : formatIasl(table, { dialect: rng.pick(['current', '2020'] as const) }).text;
  let lines = text.split('\n');
  for (let n = rng.range(1, 2); n > 0; n--) lines = rng.pick(TEXT_MUTATIONS)(lines, rng);
  return { name: `${seed.name} as ${asJson ? 'JSON' : 'iasl'} #${i}`, file: asJson ? 'in.json' : 'in.dsl', text: lines.join('\n') };
});

describe(`encode on mutated JSON and iasl source (${TEXTS} sources)`, () => {
  test('exits 0 or 2, one error line, and writes a whole table or nothing', async () => {
    const statuses = new Set<number>();
    const violations = (
      await pool(
        texts.map((t, i) => async () => {
          const dir = join(work, `enc-${i}`);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, t.file), t.text);
          const r = await dmarAsync(['encode', t.file, '-o', 'out.bin'], dir);
          statuses.add(r.status);
          const v = stderrViolations(r);
          if (r.status === 1) v.push('exit 1');
          if (readdirSync(dir).some((f) => LEFTOVER.test(f))) v.push('temporary file left');
          const out = join(dir, 'out.bin');
          if (r.status === 0) {
            const bytes = new Uint8Array(readFileSync(out));
            const why = decodes(bytes, bytes);
            if (why) v.push(why);
            else if (new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true) !== bytes.length) v.push('Table Length is not the file size');
          } else if (existsSync(out)) {
            v.push(`exit ${r.status} but out.bin was written`);
          }
          return v.map((x) => `${t.name}: ${x}`);
        }),
      )
    ).flat();
    expect(violations).toEqual([]);
    expect([...statuses].sort()).toEqual([0, 2]);
  });

  test('firmware string bytes above 0x7f: exact through JSON; through iasl source as iasl -d writes them, with a warning', async () => {
    const dir = join(work, 'latin1');
    mkdirSync(dir, { recursive: true });
    const table = decodeDmar(seeds.find((s) => s.name.endsWith('qemu-q35-ir.bin'))!.bytes).table;
    table.header.oemId = '\u00e9\u00e8\u00ffOEM';
    const bytes = encodeDmar(table);
    writeFileSync(join(dir, 't.bin'), bytes);
    // iasl source cannot carry them (iasl takes such source for binary): spaces, as iasl -d writes them
    const asIasl = encodeDmar({ ...table, header: { ...table.header, oemId: '   OEM' } });
    for (const [fmt, file, expected] of [
      ['json', 't.json', bytes],
      ['iasl', 't.dsl', asIasl],
    ] as const) {
      const d = await dmarAsync(['decode', 't.bin', '--format', fmt, '-o', file], dir);
      expect(d.status).toBe(0);
      expect(d.stderr).toMatch(fmt === 'iasl' ? /^dmar: warning: Oem ID at 0xa is E9 E8 FF 4F 45 4D: iasl source cannot carry it exactly/ : /^$/);
      const e = await dmarAsync(['encode', file, '-o', `${fmt}.bin`], dir);
      expect([e.status, e.stderr]).toEqual([0, '']);
      expect(Buffer.from(readFileSync(join(dir, `${fmt}.bin`))).equals(Buffer.from(expected))).toBe(true);
    }
  });
});
