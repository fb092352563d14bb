#!/usr/bin/env node
// `npm run prepare`: build dist/ (what the package runs). npm runs it after
// `npm ci`/`npm install` in a clone, before `npm pack`, and in the temporary
// clone of `npm install -g git+URL`. In that last case npm installs the
// clone's dependencies with the global flag it was given, so they land
// nowhere this script can use them and `tsc` is not found (npm/cli#8440):
// install them here, locally, first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(`${root}/node_modules/typescript/bin/tsc`)) {
  // npm hands its settings down as npm_config_*: drop where the outer install goes, keep the rest (registry, cache, proxy)
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|(local_|global_)?prefix|globalconfig)$/i.test(k)));
  const npm = process.env.npm_execpath;
  const args = ['install', '--no-save', '--ignore-scripts', '--include=dev', '--global=false', '--no-audit', '--no-fund'];
  if (npm && /\.[cm]?js$/.test(npm)) run(process.execPath, [npm, ...args], env);
  else run('npm', args, env);
}
run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.json`]);
run(process.execPath, [`${root}/scripts/bundle.mjs`]);
