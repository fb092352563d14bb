import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  return readdirSync(CORPUS).filter((f) => f.endsWith('.dmar')).sort().map((f) => join(CORPUS, f));
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

/** Run bin/dmar.js; colour off unless env says otherwise. */
export function dmar(args: string[], opts: { input?: string | Buffer; env?: Record<string, string>; cwd?: string } = {}): CliResult {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'FORCE_COLOR' && k !== 'DMAR_DEBUG') env[k] = v;
  Object.assign(env, { NO_COLOR: '1' }, opts.env);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmar.js'), ...args], {
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    env,
    timeout: 60_000,
  });
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
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
  for (const [dir, files] of [['bin', readdirSync(join(ROOT, 'bin'))], ['dist/cli', readdirSync(join(ROOT, 'dist/cli'))]] as const) {
    mkdirSync(join(top, dir), { recursive: true });
    for (const f of files) {
      copyFileSync(join(ROOT, dir, f), join(top, dir, f));
      chmodSync(join(top, dir, f), 0o644);
    }
  }
  for (const d of [top, join(top, 'bin'), join(top, 'dist'), join(top, 'dist/cli')]) chmodSync(d, 0o755);
  return (sharedBin = join(top, 'bin', 'dmar.js'));
}
