// A PCI device listed in sys/bus/pci/devices and gone before it is read (hot-unplugged, a VF of an
// sriov_numvfs change: its link left dangling) is no device of the machine any more, not damage.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { dmar, FIXTURES } from '../helpers.js';

const work = mkdtempSync(join(tmpdir(), 'dmar-vanished-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TABLE = join(FIXTURES, 'server-2s.bin');
const GONE = '0000:00:06.0';

/** The vm-no-dmar capture's root with one more device listed whose directory is gone. */
function raceRoot(): string {
  const root = join(work, 'root');
  cpSync(join(FIXTURES, 'machine', 'vm-no-dmar', 'capture', 'root'), root, { recursive: true });
  symlinkSync(`../../../devices/pci0000:00/${GONE}`, join(root, 'sys', 'bus', 'pci', 'devices', GONE));
  return root;
}

test('the running machine: the device is left out, and the machine is judged', () => {
  const root = raceRoot();
  const r = dmar(['topology', TABLE, '--machine', 'live', '--json'], { env: { DMAR_ROOT: root } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).not.toContain(GONE);
});

test('a capture of it holds no empty directory for the device, says it was removed, and reads back', () => {
  const root = join(work, 'root');
  const out = join(work, 'capture');
  const c = dmar(['capture', '-o', out], { env: { DMAR_ROOT: root } });
  expect(c.status, c.stderr).toBe(0);
  expect(c.stdout).toContain('PCI devices: 6;');
  expect(existsSync(join(out, 'root', 'sys', 'bus', 'pci', 'devices', GONE))).toBe(false);
  const items = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).items as { item: string; status: string; reason?: string }[];
  expect(items.find((i) => i.item === `PCI ${GONE}`)).toMatchObject({ status: 'absent', reason: 'removed while the capture ran' });
  const t = dmar(['topology', TABLE, '--machine', out]);
  expect(t.stderr).toBe('');
  expect(t.status).toBe(0);
});
