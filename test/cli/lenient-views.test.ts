// decode.md: a table with a framing defect "is read up to it with a warning by flags, virt show, topology and
// map": each shows what precedes the defect, exit 0, and says where it stopped in one line on stderr
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { dmar, FIXTURES } from '../helpers.js';

const ZERO = join(FIXTURES, 'invalid', 'DMAR-STRUCT-ZERO-LENGTH.bin');
const WARNING = `dmar: warning: ${ZERO}: offset 0x6a: structure type 1 at 0x68: Length is 0 (Linux stops reading the table here)\n`;

test.each(['flags', 'virt show', 'topology', 'map', 'map --json'])('%s: read up to the defect, with its warning', (cmd) => {
  const r = dmar([...cmd.split(' '), ZERO]);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe(WARNING);
  expect(r.stdout).not.toBe('');
});

test('explain --table: the table read up to the defect, with its warning (lines about what follows match nothing)', () => {
  const r = dmar(['explain', join(FIXTURES, 'logs', 'faults.log'), '--table', ZERO]);
  expect(r.status).toBe(0);
  expect(r.stderr).toBe(WARNING);
  expect(r.stdout).toContain('faults by device');
});
