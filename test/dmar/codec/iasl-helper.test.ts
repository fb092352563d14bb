// The iasl the tests find: its dialect follows its version, and a hanging iasl cannot hang the tests.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dialectFor, findIasl, runIasl } from '../../iasl.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-fake-iasl-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A directory holding a fake `iasl`: `-v` prints `version` (or hangs), anything else hangs. */
function fakeIasl(name: string, version: string | 'hang'): NodeJS.ProcessEnv {
  const dir = join(work, name);
  const hang = 'exec sleep 600';
  const v = version === 'hang' ? hang : `printf '\\nIntel ACPI Component Architecture\\nASL+ Optimizing Compiler/Disassembler version ${version}\\n'; exit 0`;
  mkdirSync(dir);
  writeFileSync(join(dir, 'iasl'), `#!/bin/sh\nif [ "$1" = -v ]; then ${v}; fi\n${hang}\n`);
  chmodSync(join(dir, 'iasl'), 0o755);
  return { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ''}` };
}

describe('the iasl on PATH', () => {
  test("up to 20241212 (Debian's 20200925 among them) the 2020 dialect; from 20250404 the current one", () => {
    expect(dialectFor(20190509)).toBe('2020');
    expect(dialectFor(20200925)).toBe('2020');
    expect(dialectFor(20220331)).toBe('2020');
    expect(dialectFor(20240322)).toBe('2020');
    expect(dialectFor(20241212)).toBe('2020');
    expect(dialectFor(20250404)).toBe('current');
    expect(dialectFor(20260408)).toBe('current');
  });

  test('a newer iasl first on PATH: found, with the current dialect', () => {
    expect(findIasl({ env: fakeIasl('new', '20250404') })).toEqual({ version: '20250404', dialect: 'current' });
  });

  test('an iasl that loops on its input is killed after the timeout instead of hanging the tests', () => {
    const env = fakeIasl('loops', '20250404');
    const r = runIasl(['t.dsl'], work, { env, timeout: 500 });
    expect((r.error as NodeJS.ErrnoException | undefined)?.code).toBe('ETIMEDOUT');
    expect(r.signal).toBe('SIGKILL');
  });

  test('an iasl whose -v hangs: no version, and why', () => {
    expect(findIasl({ env: fakeIasl('mute', 'hang'), timeout: 500 })).toEqual({ problem: 'iasl -v did not answer in time' });
  });
});
