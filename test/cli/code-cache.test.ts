// The fast start with other Node flags: bin/dmar.js keeps a V8 code cache per user when V8 rejects
// the one the build recorded (NODE_OPTIONS changes V8's flags). Behaviour only; npm run bench times it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { wrap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { dmarProcess, FIXTURES, ROOT, writeScriptSpy } from '../helpers.js';

const server = join(FIXTURES, 'server-2s.bin');
const tmp = () => mkdtempSync(join(tmpdir(), 'dmar-cache-'));
const OPTS = { NODE_OPTIONS: '--max-old-space-size=4096' };
const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.cache'));
/** The hash a bundle's cache files kept per user start with (its .id, written by npm run build). */
const bundleHash = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'dist', 'cli', `${name}.cjs.id`), 'utf8')) as { hash: string }).hash;

describe('the per-user code cache', () => {
  const plain = dmarProcess(['decode', server], { env: { NODE_OPTIONS: '' } }).stdout;

  test('with other flags: written under $XDG_CACHE_HOME/dmar on the first run, then used as it is', () => {
    const home = tmp();
    const env = { ...OPTS, XDG_CACHE_HOME: home };
    const first = dmarProcess(['decode', server], { env });
    expect(first.status).toBe(0);
    expect(first.stdout).toBe(plain);
    const files = cacheFiles(join(home, 'dmar'));
    expect(files).toEqual([expect.stringMatching(new RegExp(`^${bundleHash('dmar-decode')}-[0-9a-f]{8}\\.cache$`))]);
    const before = statSync(join(home, 'dmar', files[0]!));
    const second = dmarProcess(['decode', '--json', server], { env });
    expect(second.status).toBe(0);
    // V8 accepted it: a rejected cache would have been replaced (a new file renamed over it)
    const after = statSync(join(home, 'dmar', files[0]!));
    expect(after.ino).toBe(before.ino);
    expect(cacheFiles(join(home, 'dmar'))).toEqual(files);
    // validate and every other command start from bundles of their own (the whole CLI for flags), each with
    // its cache, written on its first run, then used as it is
    for (const [command, bundle] of [
      ['validate', 'dmar-validate'],
      ['flags', 'dmar'],
    ] as const) {
      expect(dmarProcess([command, server], { env }).status).toBe(0);
      const file = cacheFiles(join(home, 'dmar')).find((f) => f.startsWith(`${bundleHash(bundle)}-`));
      expect(file).toBeDefined();
      const v1 = statSync(join(home, 'dmar', file!));
      expect(dmarProcess([command, server], { env }).status).toBe(0);
      expect(statSync(join(home, 'dmar', file!)).ino).toBe(v1.ino);
    }
    expect(cacheFiles(join(home, 'dmar'))).toHaveLength(3);
    // other flags, another cache beside them
    expect(dmarProcess(['decode', server], { env: { NODE_OPTIONS: '--max-old-space-size=2048', XDG_CACHE_HOME: home } }).status).toBe(0);
    expect(cacheFiles(join(home, 'dmar'))).toHaveLength(4);
  });

  test("the command is told from a global option's value: validate after --max-input 4M starts from validate's bundle", () => {
    const home = tmp();
    expect(dmarProcess(['--max-input', '4M', 'validate', server], { env: { ...OPTS, XDG_CACHE_HOME: home } }).status).toBe(0);
    expect(cacheFiles(join(home, 'dmar'))).toEqual([expect.stringMatching(new RegExp(`^${bundleHash('dmar-validate')}-`))]);
  });

  test('bin/dmar.js and main.ts know every global option that takes a value, as the program declares them', () => {
    const declared = buildProgram()
      .options.filter((o) => o.required || o.optional)
      .map((o) => o.long);
    const bin = readFileSync(join(ROOT, 'bin', 'dmar.js'), 'utf8');
    const listed = JSON.parse(/const GLOBAL_VALUE_OPTIONS = (\[[^\]]*\]);/.exec(bin)![1]!.replace(/'/g, '"'));
    expect(listed).toEqual(declared);
    expect(declared).toContain('--max-input');
    // and src/cli/main.ts, which tells the command a start registers alone the same way
    const main = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8');
    expect(JSON.parse(/const GLOBAL_VALUE_OPTIONS = (\[[^\]]*\]);/.exec(main)![1]!.replace(/'/g, '"'))).toEqual(declared);
  });

  test('bin/dmar.js knows every option of decode and validate that takes a value: a batch is told from the inputs alone', () => {
    const declared = ['decode', 'validate']
      .flatMap((name) =>
        buildProgram(name)
          .commands.find((c) => c.name() === name)!
          .options.filter((o) => o.required || o.optional),
      )
      .map((o) => o.long!)
      .filter((o, i, all) => all.indexOf(o) === i)
      .sort();
    const bin = readFileSync(join(ROOT, 'bin', 'dmar.js'), 'utf8');
    const listed = JSON.parse(/const BATCH_VALUE_OPTIONS = (\[[^\]]*\]);/.exec(bin)![1]!.replace(/'/g, '"'));
    expect(listed).toEqual(declared);
    // a one-table run with a directory as an option's value is no batch: it keeps (writes) the per-user cache, as a batch does not
    const home = tmp();
    const capture = join(FIXTURES, 'machine', 'server-rmrr-nvs', 'capture');
    expect(dmarProcess(['validate', '--machine', capture, server], { env: { ...OPTS, XDG_CACHE_HOME: home } }).status).toBeLessThan(2);
    expect(cacheFiles(join(home, 'dmar'))).toEqual([expect.stringMatching(new RegExp(`^${bundleHash('dmar-validate')}-`))]);
    // -o is --output's short name
    expect(
      buildProgram('validate')
        .commands.find((c) => c.name() === 'validate')!
        .options.find((o) => o.long === '--output')!.short,
    ).toBe('-o');
  });

  test('plain node uses the caches the build recorded and writes none', () => {
    const home = tmp();
    // V8 accepted both (a rejected cache is replaced by one kept per user), each read into the memory the
    // bundle was read through (bin/dmar.js)
    for (const command of ['decode', 'validate', 'flags'])
      expect(dmarProcess([command, server], { env: { NODE_OPTIONS: '', XDG_CACHE_HOME: home } }).status).toBe(0);
    expect(readdirSync(home)).toEqual([]);
  });

  test("a module preloaded with -r changes no V8 flag: the build's cache is used, none is written", () => {
    const home = tmp();
    const preload = join(home, 'preload.cjs');
    writeFileSync(preload, '// nothing\n');
    for (const args of [['-r', preload], [`--require=${preload}`]]) {
      const r = spawnSync(process.execPath, [...args, join(ROOT, 'bin', 'dmar.js'), 'decode', server], {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '', XDG_CACHE_HOME: home },
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(plain);
    }
    expect(readdirSync(home)).toEqual(['preload.cjs']);
  });

  test('V8 is given the bundle exactly as Node wraps a module', () => {
    // a preload that sees the source bin/dmar.js hands to vm.Script (V8 checks a cache against its length only)
    const dir = tmp();
    const spy = join(dir, 'spy.cjs');
    const out = join(dir, 'source.json');
    writeScriptSpy(spy, `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ source, filename: options.filename }))`);
    for (const command of ['decode', 'validate', 'flags']) {
      // decode and validate start from bundles of their own, every other command from the whole CLI
      const bundle = join(ROOT, 'dist', 'cli', command === 'flags' ? 'dmar.cjs' : `dmar-${command}.cjs`);
      const r = spawnSync(process.execPath, ['-r', spy, join(ROOT, 'bin', 'dmar.js'), command, server], { env: { ...process.env, NODE_OPTIONS: '' } });
      expect(r.status).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ source: wrap(readFileSync(bundle, 'latin1')), filename: bundle });
      rmSync(out);
    }
  });

  test('without XDG_CACHE_HOME: ~/.cache/dmar', () => {
    const home = tmp();
    const r = dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: '', HOME: home } });
    expect(r.stdout).toBe(plain);
    expect(cacheFiles(join(home, '.cache', 'dmar'))).toHaveLength(1);
  });

  test('a cache that cannot be written never fails the command', () => {
    const notDir = join(tmp(), 'file');
    writeFileSync(notDir, 'not a directory\n');
    const r = dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: notDir } });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(plain);
  });

  test('a damaged cache is rejected by V8, the command runs, and the cache is replaced', () => {
    const home = tmp();
    dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: home } });
    const [f] = cacheFiles(join(home, 'dmar'));
    writeFileSync(join(home, 'dmar', f!), Buffer.alloc(1000, 7));
    const r = dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: home } });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(plain);
    expect(statSync(join(home, 'dmar', f!)).size).toBeGreaterThan(1000);
  });

  test.each([
    ['empty', 0],
    ['larger than the bundle', 3 << 20],
    ['of 17 MiB, over the size bin/dmar.js reads', 17 << 20],
  ])('a damaged cache, %s: the command runs, and the cache is replaced', (_, size) => {
    const home = tmp();
    dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: home } });
    const [f] = cacheFiles(join(home, 'dmar'));
    writeFileSync(join(home, 'dmar', f!), Buffer.alloc(size, 0x5a));
    const r = dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: home } });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(plain);
    const now = statSync(join(home, 'dmar', f!)).size;
    expect(now).toBeGreaterThan(1000);
    expect(now).toBeLessThan(1 << 20);
  });

  test('a cache path that is a directory: the command runs as without a cache', () => {
    const home = tmp();
    dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: home } });
    const [f] = cacheFiles(join(home, 'dmar'));
    rmSync(join(home, 'dmar', f!));
    mkdirSync(join(home, 'dmar', f!));
    const r = dmarProcess(['decode', server], { env: { ...OPTS, XDG_CACHE_HOME: home } });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(plain);
  });
});

test('a bin/dmar.js without its bundle: one line and exit 2, no stack trace', () => {
  const dir = tmp();
  mkdirSync(join(dir, 'bin'));
  for (const f of readdirSync(join(ROOT, 'bin'))) copyFileSync(join(ROOT, 'bin', f), join(dir, 'bin', f));
  const r = spawnSync(process.execPath, [join(dir, 'bin', 'dmar.js'), 'decode', server], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`dmar: cannot read ${join(dir, 'dist', 'cli', 'dmar-decode.cjs')}: the installation is incomplete (npm run build makes it)\n`);
});

/** bin/ and dist/cli/ copied into a directory of their own, to be damaged there. */
function installCopy(): string {
  const dir = tmp();
  for (const sub of ['bin', join('dist', 'cli')]) {
    mkdirSync(join(dir, sub), { recursive: true });
    for (const f of readdirSync(join(ROOT, sub))) copyFileSync(join(ROOT, sub, f), join(dir, sub, f));
  }
  return dir;
}
const runCopy = (dir: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(dir, 'bin', 'dmar.js'), ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } });

test.each([
  ['cut short', (b: Buffer) => b.subarray(0, 100_000)],
  ['cut short at the end of a statement', (b: Buffer) => b.subarray(0, b.indexOf(';', 50_000) + 1)],
  ['empty', () => Buffer.alloc(0)],
])('a damaged bundle (%s): one line naming it and exit 2, from the start and in a hand-over', (_, damage) => {
  for (const [bundle, args, env] of [
    ['dmar-decode', ['decode', server], {}],
    ['dmar', ['flags', server], { DMAR_BUNDLE: 'dmar-decode' }],
  ] as const) {
    const dir = installCopy();
    const file = join(dir, 'dist', 'cli', `${bundle}.cjs`);
    writeFileSync(file, damage(readFileSync(file)));
    const r = runCopy(dir, [...args], env);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`dmar: cannot load ${file}: the installation is damaged (npm run build makes it)\n`);
  }
});

test("DMAR_WRITE_CODE_CACHE left in an environment does not touch the installed caches; the build's recording writes none for a failed run", () => {
  const dir = installCopy();
  const cli = join(dir, 'dist', 'cli');
  const before = readdirSync(cli).map((f) => [f, readFileSync(join(cli, f))] as const);
  // without the bundle's hash, as only the build gives it: an ordinary run
  const r = runCopy(dir, ['decode', server], { DMAR_WRITE_CODE_CACHE: 'dmar-decode', XDG_CACHE_HOME: tmp() });
  expect(r).toMatchObject({ status: 0, stdout: dmarProcess(['decode', server]).stdout });
  // the build's recording of a run that fails (validate from decode's bundle, which does not hold it)
  expect(runCopy(dir, ['validate', server], { DMAR_WRITE_CODE_CACHE: 'dmar-decode', DMAR_BUNDLE_HASH: '0123456789abcdef' }).status).toBe(2);
  for (const [f, bytes] of before) expect(readFileSync(join(cli, f)).equals(bytes), f).toBe(true);
});
