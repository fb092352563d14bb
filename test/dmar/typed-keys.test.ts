/**
 * The schema's rows are declared with their keys known to the compiler: a
 * field or bit name no row has fails to compile instead of throwing when a
 * module loads, and the model's readers (num, big, str) take only the keys the
 * rows declare. A probe file using right and wrong names is type-checked
 * against the sources; exactly the wrong names must be reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ROOT } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dmar-typed-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const src = (p: string) => JSON.stringify(join(ROOT, 'src', p));

test('a wrong field or bit name fails to compile; right ones compile', () => {
  const probe = [
    `import { bitByKey, fieldByKey, flagsMask } from ${src('acpi/fields.js')};`,
    `import { ACPI_HEADER_FIELDS } from ${src('acpi/header.js')};`,
    `import { DEFS, DMAR_FIELDS, PATH_FIELDS, SCOPE_FIELDS, SUBTABLE_HEADER_FIELDS } from ${src('dmar/schema.js')};`,
    // right names: line 4 to 11
    `fieldByKey(DEFS.DRHD.fields, 'registerBaseAddress');`,
    `fieldByKey(DMAR_FIELDS, 'hostAddressWidth');`,
    `fieldByKey(SCOPE_FIELDS, 'enumerationId');`,
    `fieldByKey(ACPI_HEADER_FIELDS, 'oemTableId');`,
    `fieldByKey(PATH_FIELDS, 'function');`,
    `bitByKey(fieldByKey(DEFS.DRHD.fields, 'size'), 'pagesLog2');`,
    `flagsMask(fieldByKey(DEFS.VIRT.fields, 'supportedFeatures'), ['IMS', 'MSI_COMPOSE']);`,
    `fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');`,
    // wrong names: line 12 to 17
    `fieldByKey(DEFS.DRHD.fields, 'registerBaseAdress');`,
    `fieldByKey(DEFS.RMRR.fields, 'registerBaseAddress');`,
    `fieldByKey(DMAR_FIELDS, 'flag');`,
    `fieldByKey(ACPI_HEADER_FIELDS, 'oemID');`,
    `bitByKey(fieldByKey(DEFS.VIRT.fields, 'flags'), 'VIRTUALISED');`,
    `flagsMask(fieldByKey(DMAR_FIELDS, 'flags'), ['INTR_REMAP', 'IMS_OPT_OUT']);`,
    // the model's readers: right keys (lines 18 to 21), then wrong ones (22 to 24)
    `import { big, num, str, type Fields } from ${src('dmar/model.js')};`,
    `const f: Fields = {};`,
    `num(f, 'enumerationId'); big(f, 'registerBaseAddress'); str(f, 'hypervisorSignature');`,
    `num(f, fieldByKey(DEFS.DRHD.fields, 'flags').key);`,
    `num(f, 'enumerationID');`,
    `big(f, 'registerBase');`,
    `str(f, 'signatur');`,
  ].join('\n');
  writeFileSync(join(dir, 'probe.ts'), probe + '\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: true, rootDir: '/', typeRoots: [join(ROOT, 'node_modules/@types')] },
      include: [join(dir, 'probe.ts'), join(ROOT, 'src/types')],
    }),
  );
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  const lines = [...out.matchAll(/probe\.ts\((\d+),\d+\): error TS\d+/g)].map((m) => Number(m[1]));
  expect(lines).toEqual([12, 13, 14, 15, 16, 17, 22, 23, 24]);
  // no error outside the probe (the sources themselves compile)
  expect(out.split('\n').filter((l) => l.includes('error') && !l.includes('probe.ts'))).toEqual([]);
});
