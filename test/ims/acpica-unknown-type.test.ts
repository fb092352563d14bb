// proposals.md section 2, corrected: Linux skips an unknown structure type by its Length, but ACPICA's
// disassembler stops listing the table there. The validate hints say so, and iasl on real bytes agrees.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dmar, FIXTURES } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'dmar-ims-acpica-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const HAVE_IASL = spawnSync('iasl', ['-v']).status === 0;

/** The matrix's descriptor-with-IMS table with its DRHD copied again after the descriptor. */
function descriptorNotLast(): Buffer {
  const b = readFileSync(join(FIXTURES, 'ims/matrix/vm-descriptor-ims.bin'));
  const drhd = b.subarray(48, 48 + b.readUInt16LE(50));
  const out = Buffer.concat([b, drhd]);
  out.writeUInt32LE(out.length, 4);
  out[9] = 0;
  out[9] = (0x100 - out.reduce((a, x) => (a + x) & 0xff, 0)) & 0xff;
  return out;
}

describe('an unknown structure type: Linux skips it, iasl -d stops there', () => {
  test('the validate catalogue no longer says ACPICA skips it', () => {
    const list = JSON.parse(dmar(['validate', '--list', '--json']).stdout) as { checks: { id: string; description: string; hint?: string }[] };
    const unknown = list.checks.find((c) => c.id === 'DMAR-STRUCT-UNKNOWN-TYPE')!;
    expect(`${unknown.description} ${unknown.hint}`).not.toMatch(/ACPICA skip/);
    expect(unknown.hint).toContain('iasl -d) stops listing the table there');
    expect(list.checks.find((c) => c.id === 'DMAR-VIRT-NOT-LAST')!.hint).toContain('stops listing the table at a type it does not know');
  });

  test.skipIf(!HAVE_IASL)('iasl -d lists nothing after the descriptor; dmar validate warns and says why', () => {
    const bytes = descriptorNotLast();
    const dat = join(tmp, 'dmar.dat');
    writeFileSync(dat, bytes);
    spawnSync('iasl', ['-d', dat], { cwd: tmp });
    const dsl = readFileSync(join(tmp, 'dmar.dsl'), 'latin1');
    expect(dsl).toMatch(/\*\*\*\* Unknown DMAR subtable type 0x8001/);
    expect(dsl.match(/\[Hardware Unit Definition\]/g)).toHaveLength(1); // the DRHD after it is not listed
    const v = dmar(['validate', join(tmp, 'dmar.dat')]);
    expect(v.stdout).toMatch(/DMAR-VIRT-NOT-LAST/);
    expect(v.stdout).toContain('stops listing the table at a type it does not know');
  });
});
