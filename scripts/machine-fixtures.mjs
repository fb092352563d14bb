#!/usr/bin/env node
// Build each capture fixture fixtures/machine/NAME/capture/ from its description
// NAME/machine.spec.json (see tools/fixtures/machine-spec.ts; "dmar" is a table in the JSON
// form of fixtures/*.json) and, when there is one, NAME/boot.log (the kernel log):
// the tree is written to a temporary root and captured with `dmar capture`'s code,
// so the fixture is exactly what a capture of such a machine holds.
// Usage: npx tsc -p tools/tsconfig.json && node scripts/machine-fixtures.mjs
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixture } from '../build/tools/fixtures/build.js';
import { capture } from '../build/src/machine/capture.js';
import { writeMachineRoot } from '../build/tools/fixtures/machine-spec.js';

const base = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'machine');
for (const name of readdirSync(base).sort()) {
  const specPath = join(base, name, 'machine.spec.json');
  if (!existsSync(specPath)) continue;
  const spec = JSON.parse(readFileSync(specPath, 'utf8'));
  if (spec.dmar) spec.dmar = buildFixture(spec.dmar);
  const tmp = mkdtempSync(join(tmpdir(), 'dmar-machine-'));
  try {
    writeMachineRoot(spec, join(tmp, 'root'));
    const out = join(base, name, 'capture');
    rmSync(out, { recursive: true, force: true });
    const m = await capture({ root: join(tmp, 'root'), out, tool: 'dmar 0.1.0', kernelLog: false });
    const log = join(base, name, 'boot.log');
    if (existsSync(log)) {
      copyFileSync(log, join(out, 'dmesg.txt'));
      const item = m.items.find((i) => i.item === 'kernel log');
      if (!item) throw new Error(`${out}: the capture has no kernel log item`);
      Object.assign(item, { status: 'ok', reason: undefined, bytes: readFileSync(log).length });
      m.summary.kernelLog = 'ok';
    }
    // reproducible: no time or user of the build
    m.created = '1970-01-01T00:00:00.000Z';
    m.euid = 0;
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    console.log(`wrote ${out}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
