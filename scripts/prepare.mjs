#!/usr/bin/env node
// `prepare` (npm ci, npm install in a clone, npm pack, installs from git): build dist/.
// `npm install -g git+URL` runs it in a temporary clone whose devDependencies npm
// did not install (it hands --global down to the npm install it runs there:
// npm/cli#8440), so there is no compiler: say so, and what works, instead of
// "tsc: not found".
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}/node_modules/typescript/bin/tsc`)) {
  console.error('dmar: cannot build here: the devDependencies (TypeScript, esbuild) are not installed.');
  if (process.env.npm_config_global === 'true') {
    console.error('dmar: npm install -g from git does not install them (npm/cli#8440): install a packed tarball');
    console.error('dmar: instead (in a clone: npm ci && npm pack, then npm install -g ./dmar-VERSION.tgz), see docs/install.md.');
  } else console.error('dmar: run npm ci first.');
  process.exit(1);
}
const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
