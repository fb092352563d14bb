// The CLI tests run bin/dmar.js, which runs the bundle in dist/cli/: build it
// (and dist/src/) once from the current sources. Type errors do not stop the
// emit; test/typecheck.test.ts fails on them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'ignore' });
  const r = spawnSync(process.execPath, [join(root, 'scripts/bundle.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bundling the CLI failed');
}
