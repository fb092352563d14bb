// The CLI tests run bin/dmar.js, which runs the compiled dist/: build it once
// from the current sources. Type errors do not stop the emit; test/typecheck.test.ts fails on them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
    stdio: 'ignore',
  });
}
