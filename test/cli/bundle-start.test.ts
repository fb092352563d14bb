// What a start of the bundled CLI loads: commander requires node:child_process at load time, for
// executable subcommands dmar never declares; the bundle defers it (scripts/bundle.mjs), so a run
// loads no child_process (nor the dgram module it brings). Standard output and error are written
// with fs, and node:tty is loaded only for a descriptor that can be a terminal (src/io/std.ts), so a
// run with pipes loads no net, tty or stream module either (5 ms of a start), nor node:os (0.5 ms: the
// signal numbers of src/io/write.ts are its own). A process of its own:
// the point is which of Node's modules one start loads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { FIXTURES, ROOT } from '../helpers.js';

// each command from the bundle bin/dmar.js starts it from (decode and validate have one of their own)
const startLoads = (args: string[]) => {
  const script = `
    const { main } = require(${JSON.stringify(join(ROOT, `dist/cli/dmar-${args[0]}.cjs`))});
    main(['node', 'dmar', ...${JSON.stringify(args)}]).then((code) => {
      const modules = [...process.moduleLoadList];
      process.stderr.write(JSON.stringify({ code, modules }));
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  return JSON.parse(r.stderr) as { code: number; modules: string[] };
};

test.each([
  ['decode', join(FIXTURES, 'server-2s.bin')],
  ['validate', join(FIXTURES, 'server-2s.bin')],
  ['validate', FIXTURES],
])('dmar %s, output to pipes, loads no child_process, dgram, net, tty, stream or os', (...args) => {
  const { code, modules } = startLoads(args);
  expect(code).toBe(0);
  expect(modules).toContain('NativeModule fs');
  expect(modules.filter((m) => /^NativeModule (child_process|dgram|net|tty|stream|os)$/.test(m))).toEqual([]);
});

// The build records a code cache for each bundle, from a run of the command it serves (scripts/bundle.mjs);
// plain node accepts each: nothing is written to the per-user cache.
test.each([['decode'], ['validate'], ['flags']])('plain node starts dmar %s from a cache the build recorded', (command) => {
  for (const c of ['dmar.cjs.cache', 'dmar-decode.cjs.cache', 'dmar-validate.cjs.cache']) expect(existsSync(join(ROOT, 'dist/cli', c))).toBe(true);
  const home = mkdtempSync(join(tmpdir(), 'dmar-start-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/dmar.js'), command, join(FIXTURES, 'server-2s.bin')], {
    env: { ...process.env, NODE_OPTIONS: '', XDG_CACHE_HOME: home, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  expect(readdirSync(home)).toEqual([]);
});

// bin/dmar.js itself: node:v8 (which loads the stream modules) only for a batch, where it sets a V8 flag
// after the bundle is compiled (bin/dmar.js says why).
const binLoads = (args: string[]) => {
  const work = mkdtempSync(join(tmpdir(), 'dmar-start-'));
  const preload = join(work, 'modules.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(work, 'modules.json'))}, JSON.stringify(process.moduleLoadList)));`,
  );
  // -r makes other flags, so a cache per user is written: into this directory, not the user's
  const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: work };
  const r = spawnSync(process.execPath, ['-r', preload, join(ROOT, 'bin/dmar.js'), ...args], { env, encoding: 'utf8' });
  const modules = JSON.parse(readFileSync(join(work, 'modules.json'), 'utf8')) as string[];
  rmSync(work, { recursive: true, force: true });
  return {
    status: r.status,
    stdout: r.stdout,
    modules: modules.filter((m) => /^NativeModule (v8|net|tty|stream|child_process|worker_threads|module)$/.test(m)),
  };
};

// nor node:module (0.5 ms): bin/dmar.js writes Node's module wrapper itself and gives the bundle its own require
test.each([['decode'], ['validate'], ['flags']])('bin/dmar.js %s FILE loads none of v8, net, tty, stream, child_process, module', (command) => {
  const r = binLoads([command, join(FIXTURES, 'server-2s.bin')]);
  expect(r.status).toBe(0);
  expect(r.modules).toEqual([]);
});

test('bin/dmar.js validate DIR (a batch) loads node:v8 for its flag, and validates as without it', () => {
  const batch = binLoads(['validate', FIXTURES]);
  expect(batch.modules).toContain('NativeModule v8');
  expect(batch.status).toBe(0);
  // the same tables named one by one (fewer than 9 files: no batch) give the same report
  const tables = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => join(FIXTURES, f));
  expect(tables.length).toBeGreaterThan(2);
  expect(tables.length).toBeLessThanOrEqual(8);
  const one = binLoads(['validate', ...tables]);
  expect(one.modules).not.toContain('NativeModule v8');
  expect(batch.stdout).toBe(one.stdout);
  expect(batch.stdout).toContain(`${tables.length} tables:`);
});
