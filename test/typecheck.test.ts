import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from './helpers.js';

function typecheck(config: string): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, config), '--noEmit', '--pretty', 'false'], {
    encoding: 'utf8',
  });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

test('the sources type-check in strict mode', () => typecheck('tsconfig.json'), 180_000);

// tools/ (the invalid-fixture generator, the fuzzer) is not in the package, but type-checked with the sources
test('the test tooling in tools/ type-checks with the sources', () => typecheck('tools/tsconfig.json'), 180_000);

// the tests, the scripts and the bench (.mjs, checked through their JSDoc) with the same flags
test('the tests, scripts and bench type-check too', () => typecheck('tsconfig.check.json'), 180_000);

// npm run lint's second half: Biome's recommended rules (biome.jsonc), warnings included
test("Biome's linter finds nothing", () => {
  const r = spawnSync(join(ROOT, 'node_modules/.bin/biome'), ['lint', '--error-on-warnings', '--reporter=github', ROOT], { cwd: ROOT, encoding: 'utf8' });
  // one `::error`, `::warning` or `::notice` line per finding
  expect((r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
  expect(r.status).toBe(0);
}, 180_000);
