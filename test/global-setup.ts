// The CLI tests run bin/dmar.js, which runs the bundle in dist/cli/: build it
// (and dist/src/) once from the current sources. Type errors do not stop the
// emit; test/typecheck.test.ts fails on them.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  // nothing stale: a module moved or removed from src/ must not linger in dist/ (npm pack would ship it)
  rmSync(join(root, 'dist', 'src'), { recursive: true, force: true });
  spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'ignore' });
  const r = spawnSync(process.execPath, [join(root, 'scripts/bundle.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('bundling the CLI failed');
}
