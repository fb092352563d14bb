import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from './helpers.js';

function typecheck(config: string): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, config), '--noEmit'], {
    encoding: 'utf8',
  });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}

test('the sources type-check in strict mode', () => typecheck('tsconfig.json'));

// tools/ (the invalid-fixture generator, the fuzzer) is not in the package, but type-checked with the sources
test('the test tooling in tools/ type-checks with the sources', () => typecheck('tools/tsconfig.json'));
