import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';

export const SERVER_CAPTURE = 'fixtures/machine/server-rmrr-nvs/capture';

/** The server capture's own table with a hostile OEM ID and a wrong checksum: more findings, and markup in firmware strings. */
export function hostileTable(): Buffer {
  const b = Buffer.from(readFileSync(join(ROOT, SERVER_CAPTURE, 'root/sys/firmware/acpi/tables/DMAR')));
  b.write('<b>&"\'', 10, 'latin1');
  b[9] = (b[9]! + 1) & 0xff;
  return b;
}
