import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { fixChecksum } from '../src/acpi/header.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = join(ROOT, '..', 'shared');
export const CORPUS = join(SHARED, 'corpus', 'dmar');
export const ACPIDUMPS = join(SHARED, 'corpus', 'acpidump');
export const FIXTURES = join(ROOT, 'fixtures');

/**
 * Whether the real-table tests run. The corpus is beside the project on
 * developer machines (absent: the tests are skipped, and a note says so) and
 * always in CI: there (CI=true) its absence fails every test file that uses
 * it instead of silently skipping its hundreds of tests.
 */
export function corpusPresent(dir: string, env: NodeJS.ProcessEnv): boolean {
  if (existsSync(dir)) return true;
  if (env.CI === 'true') throw new Error(`${dir} is absent and CI=true: the real-table tests cannot run (CI must provide the corpus)`);
  console.warn(`note: ${dir} is absent: the real-table tests are skipped`);
  return false;
}
export const HAVE_CORPUS = corpusPresent(CORPUS, process.env);

export function corpusFiles(): string[] {
  if (!HAVE_CORPUS) return [];
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.dmar'))
    .sort()
    .map((f) => join(CORPUS, f));
}

export function corpusTable(id: string): Buffer {
  return readFileSync(join(CORPUS, id.endsWith('.dmar') ? id : `${id}.dmar`));
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

type RunOptions = { input?: string | Buffer; env?: Record<string, string>; cwd?: string };

/** The environment of a run: this process's, without FORCE_COLOR and DMAR_DEBUG, NO_COLOR=1, then `env`. */
function runEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'FORCE_COLOR' && k !== 'DMAR_DEBUG') env[k] = v;
  return Object.assign(env, { NO_COLOR: '1' }, extra);
}

/**
 * A module for `node -r` that runs `record` (JavaScript, with `source` and `options` in scope) for every
 * vm.Script made in the process: bin/dmar.js compiles each bundle it runs as one. Written to `file`.
 */
export function writeScriptSpy(file: string, record: string): void {
  writeFileSync(
    file,
    `const vm = require('node:vm');
const Real = vm.Script;
vm.Script = class extends Real {
  constructor(source, options) {
    ${record};
    super(source, options);
  }
};
`,
  );
}

/**
 * Run bin/dmar.js in a process of its own; colour off unless env says
 * otherwise. For the tests whose point is the process: signals, broken pipes,
 * the real binary's start, colour decided from the environment at startup.
 */
export function dmarProcess(args: string[], opts: RunOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmar.js'), ...args], {
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    env: runEnv(opts.env),
    timeout: 60_000,
  });
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/** Environment variables an in-process run cannot honour: the CLI reads them from the process at startup. */
const PROCESS_ONLY_ENV = ['FORCE_COLOR', 'NODE_OPTIONS', 'XDG_CACHE_HOME', 'HOME', 'DMAR_DEBUG'];

let runner: { worker: Worker; port: MessagePort; signal: Int32Array } | undefined;

/**
 * Run a command as `dmar ARGS` would, without starting a process: the bundled
 * CLI (dist/cli/dmar.cjs, what bin/dmar.js runs) is loaded once into a thread
 * of this process and given the run's environment, stdin and cwd; stdout and
 * stderr are collected. The same result as dmarProcess(), about a tenth of
 * the time. Colour off unless env says otherwise.
 */
export function dmar(args: string[], opts: RunOptions = {}): CliResult {
  const odd = PROCESS_ONLY_ENV.find((k) => opts.env && k in opts.env);
  if (odd) throw new Error(`dmar(): ${odd} is read at process start: use dmarProcess()`);
  if (!runner) {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(join(ROOT, 'test', 'cli-worker.mjs'), {
      workerData: { bundle: join(ROOT, 'dist', 'cli', 'dmar.cjs'), port: port2, signal },
      transferList: [port2],
      env: runEnv(),
    });
    worker.unref();
    runner = { worker, port: port1, signal };
  }
  const { worker, port, signal } = runner;
  const before = process.cwd();
  const cwd = opts.cwd ?? ROOT;
  if (cwd !== before) process.chdir(cwd);
  try {
    Atomics.store(signal, 0, 0);
    const input = typeof opts.input === 'string' ? Buffer.from(opts.input) : opts.input;
    port.postMessage({ args, input, env: runEnv(opts.env) });
    if (Atomics.wait(signal, 0, 0, 60_000) === 'timed-out') {
      void worker.terminate();
      runner = undefined;
      return { status: -1, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) };
    }
  } finally {
    if (cwd !== before) process.chdir(before);
  }
  const r = receiveMessageOnPort(port)!.message as { status: number; stdout: Uint8Array; stderr: string };
  const stdoutBytes = Buffer.from(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
  return { status: r.status, stdout: stdoutBytes.toString('utf8'), stderr: r.stderr, stdoutBytes };
}

let sharedBin: string | undefined;

/**
 * bin/dmar.js for another user (the unprivileged tests run it as nobody): the
 * clone may sit in a directory only its owner can enter (CI clones into a
 * mktemp -d), so the CLI (bin/ and the self-contained bundle in dist/cli/) is
 * copied once into a directory everyone can read.
 */
export function binForAnyUser(): string {
  if (sharedBin) return sharedBin;
  const top = mkdtempSync(join(tmpdir(), 'dmar-bin-'));
  for (const [dir, files] of [
    ['bin', readdirSync(join(ROOT, 'bin'))],
    ['dist/cli', readdirSync(join(ROOT, 'dist/cli'))],
  ] as const) {
    mkdirSync(join(top, dir), { recursive: true });
    for (const f of files) {
      copyFileSync(join(ROOT, dir, f), join(top, dir, f));
      chmodSync(join(top, dir, f), 0o644);
    }
  }
  for (const d of [top, join(top, 'bin'), join(top, 'dist'), join(top, 'dist/cli')]) chmodSync(d, 0o755);
  return (sharedBin = join(top, 'bin', 'dmar.js'));
}

/** One DRHD of drhdTable(): its base, Size (log2 pages), segment, Flags, and an IOAPIC scope's Enumeration ID. */
export interface TestDrhd {
  base: bigint;
  size?: number;
  segment?: number;
  flags?: number;
  ioapic?: number;
}

/**
 * A DMAR table of DRHDs (Host Address Width 46 bits), each 16 bytes, or 24 with an IOAPIC scope (bus 0xf0,
 * path 1f.0), checksum fixed: the tables of many units the scale and overlap tests build.
 */
export function drhdTable(units: readonly TestDrhd[]): Uint8Array {
  const size = (u: TestDrhd) => (u.ioapic === undefined ? 16 : 24);
  const b = new Uint8Array(48 + units.reduce((n, u) => n + size(u), 0));
  const v = new DataView(b.buffer);
  b.set(Buffer.from('DMAR'), 0);
  v.setUint32(4, b.length, true);
  b[8] = 1;
  b[36] = 45;
  let o = 48;
  for (const u of units) {
    v.setUint16(o + 2, size(u), true);
    b[o + 4] = u.flags ?? 0;
    b[o + 5] = u.size ?? 0;
    v.setUint16(o + 6, u.segment ?? 0, true);
    v.setBigUint64(o + 8, u.base, true);
    if (u.ioapic !== undefined) {
      b[o + 16] = 3;
      b[o + 17] = 8;
      b[o + 20] = u.ioapic;
      b[o + 21] = 0xf0;
      b[o + 22] = 31;
    }
    o += size(u);
  }
  fixChecksum(b);
  return b;
}
