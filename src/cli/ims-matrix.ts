/** `dmar ims matrix`: every scenario, every policy, which verdicts are unsafe. */
import type { Command } from 'commander';
import { jsonDocument } from '../acpi/escape.js';
import { buildMatrix } from '../ims/matrix.js';
import { matrixJson, matrixText } from '../ims/matrix-format.js';
import { painter } from './colour.js';
import { stdoutWrite, usageError } from './common.js';

/** Options of `dmar ims` that commander hands to the parent when given before or after `matrix`. */
const PARENT_ONLY = ['policy', 'tdx', 'hypervisor', 'bareMetal', 'smbiosVm', 'dmiVendor', 'cachingMode', 'kernel', 'machine', 'expect'] as const;
const FLAG: Record<(typeof PARENT_ONLY)[number], string> = {
  policy: '--policy',
  tdx: '--tdx',
  hypervisor: '--hypervisor',
  bareMetal: '--bare-metal',
  smbiosVm: '--smbios-vm',
  dmiVendor: '--dmi-vendor',
  cachingMode: '--caching-mode',
  kernel: '--kernel',
  machine: '--machine',
  expect: '--expect',
};

export async function run(opts: { json?: boolean }, cmd: Command): Promise<number> {
  const parent = cmd.parent;
  for (const k of PARENT_ONLY) {
    if (parent?.getOptionValueSource(k) === 'cli') {
      throw usageError(`${FLAG[k]} does not apply to "dmar ims matrix", which runs every policy on every scenario (for a file named matrix, write ./matrix)`);
    }
  }
  const json = opts.json === true || parent?.opts().json === true;
  const m = buildMatrix();
  if (json) {
    stdoutWrite(jsonDocument(matrixJson(m)));
    return 0;
  }
  stdoutWrite(matrixText(m, await painter()));
  return 0;
}
