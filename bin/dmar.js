#!/usr/bin/env node
'use strict';
// CommonJS on purpose (bin/package.json): it loads the bundled CLI with the V8
// code cache that `npm run build` recorded, skipping both the ES module loader
// and most of the compiling. A cache from another Node is rejected by V8 and
// the bundle is simply compiled.
const { readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { createRequire, wrap } = require('node:module');
const { Script } = require('node:vm');

const file = join(__dirname, '..', 'dist', 'cli', 'dmar.cjs');
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  cachedData = undefined;
}
const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const cli = { exports: {} };
script.runInThisContext()(cli.exports, createRequire(file), cli, file, dirname(file));
cli.exports.main(process.argv).then(
  (code) => {
    process.exitCode = code;
    if (process.env.DMAR_WRITE_CODE_CACHE) writeFileSync(`${file}.cache`, script.createCachedData());
  },
  (e) => {
    // only DMAR_DEBUG=1 lets an error through main()
    console.error(e);
    process.exitCode = 2;
  },
);
