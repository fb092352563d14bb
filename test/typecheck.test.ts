import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from './helpers.js';

const tsc = (project: string) =>
  spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, project), '--noEmit', '--pretty', 'false'], {
    encoding: 'utf8',
  });

test('the sources type-check in strict mode', () => {
  const r = tsc('tsconfig.json');
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 180_000);

// the tests, the scripts and the bench (.mjs, checked through their JSDoc) with the same flags
test('the tests, scripts and bench type-check too', () => {
  const r = tsc('tsconfig.check.json');
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 180_000);

// npm run lint's second half: Biome's recommended rules (biome.jsonc), warnings included
test("Biome's linter finds nothing", () => {
  const r = spawnSync(join(ROOT, 'node_modules/.bin/biome'), ['lint', '--error-on-warnings', '--reporter=github', ROOT], { cwd: ROOT, encoding: 'utf8' });
  // one `::error`, `::warning` or `::notice` line per finding
  expect((r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
  expect(r.status).toBe(0);
}, 180_000);
