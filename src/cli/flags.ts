import { termText, jsonDocument } from '../acpi/escape.js';
import { hex } from '../acpi/hex.js';
import { readField } from '../acpi/fields.js';
import { DMAR_FIELDS, fieldByKey } from '../dmar/schema.js';
import { flagStates } from '../dmar/edit.js';
import { loadForReading } from './read-lenient.js';
import { stdoutWrite } from './common.js';

export function run(file: string | undefined, opts: { json?: boolean }): Promise<number> | number {
  const { source } = loadForReading(file);
  const row = fieldByKey(DMAR_FIELDS, 'flags');
  const value = Number(readField(source.bytes, 0, row));
  const bits = flagStates(value);
  if (opts.json) {
    stdoutWrite(jsonDocument({ format: 'dmar-flags/1', file: source.name, field: row.name, offset: row.offset, value, bits }));
    return 0;
  }
  return print(source.name, row.name, row.offset, value, bits);
}

async function print(name: string, field: string, offset: number, value: number, bits: ReturnType<typeof flagStates>): Promise<number> {
  const p = await (await import('./colour.js')).painter();
  const lines = [`${p.title(`${field} ${hex(value, 2)}`)} ${p.dim(`at offset ${hex(offset)} of ${termText(name)}`)}`];
  for (const b of bits) {
    const label = (b.proposed ? `${b.name} (proposed)` : b.name).padEnd(28);
    const state = b.set ? p.set('set  ') : p.dim('clear');
    const paint = b.reserved ? p.warn : b.proposed ? p.proposed : p.name;
    lines.push(
      `  bit ${b.bit}  ${paint(label)} ${state}  ${(b.cli ?? '').padEnd(26)} ${p.dim(b.doc ?? (b.reserved ? 'reserved: should be 0' : ''))}`.trimEnd(),
    );
  }
  stdoutWrite(lines.join('\n') + '\n');
  return 0;
}
