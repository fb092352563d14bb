import { quoted, termText, jsonDocument } from '../acpi/escape.js';
import { hex } from '../acpi/hex.js';
import { bitValue, namedMask } from '../acpi/fields.js';
import { virtDescriptors } from '../dmar/edit.js';
import { toJson } from '../dmar/codec/json.js';
import type { Structure } from '../dmar/model.js';
import { DEFS, VIRT_DESCRIPTOR_TYPE, VIRT_ROWS } from '../dmar/schema.js';
import type { Paint } from '../dmar/format/paint.js';
import { stdoutWrite } from './common.js';
import { loadForReading } from './read-lenient.js';

const VIRT = DEFS.VIRT;

export async function run(file: string | undefined, opts: { json?: boolean }): Promise<number> {
  const { source, table } = loadForReading(file);
  const found = virtDescriptors(table.structures);
  if (opts.json) {
    const all = toJson(table).structures;
    const descriptors = all.filter((s) => s.type === VIRT_DESCRIPTOR_TYPE);
    stdoutWrite(jsonDocument({ format: 'dmar-virt/1', file: source.name, proposed: true, type: VIRT_DESCRIPTOR_TYPE, descriptors }));
    return 0;
  }
  const p = await (await import('./colour.js')).painter();
  if (found.length === 0) {
    stdoutWrite(`no ${p.proposed(VIRT.title)} (type ${hex(VIRT.type)}) in ${termText(source.name)}\n`);
    return 0;
  }
  stdoutWrite(found.map((s) => describe(s, p)).join('\n'));
  return 0;
}

function describe(s: Structure, p: Paint): string {
  const lines = [`${p.proposed(VIRT.title)} ${p.dim(`type ${hex(s.type)} at offset ${hex(s.offset)} (${s.offset}), Length ${s.length}`)}`];
  if (s.raw) {
    lines.push(`  ${p.error(`Length ${s.length} is shorter than ${VIRT.fixedSize}: not decoded`)}`);
    return lines.join('\n') + '\n';
  }
  for (const f of VIRT.fields) {
    const v = s.fields[f.key]!;
    if (f.reserved) {
      if (BigInt(v as number | bigint) !== 0n) lines.push(`  ${p.name(f.name.padEnd(24))} ${p.warn(`${hex(v as number | bigint)} (should be 0)`)}`);
      continue;
    }
    const text = f.kind === 'ascii' ? quoted(String(v)) : f.bits ? hex(v as number | bigint, 2 * f.size) : String(v);
    lines.push(`  ${p.name(f.name.padEnd(24))} ${p.value(text)}`);
    for (const b of f.bits ?? []) {
      const on = bitValue(v as number | bigint, b) === 1;
      lines.push(`    ${p.name(b.name.padEnd(22))} ${on ? p.set('1') : p.dim('0')}  ${p.dim(b.doc ?? '')}`.trimEnd());
    }
    if (f.bits) {
      const rest = BigInt(v as number | bigint) & ~namedMask(f);
      // unnamed Supported Features bits are features no consumer knows; unnamed Flags bits are reserved (proposals.md 2)
      const why = f === VIRT_ROWS.features ? 'unknown: treated as not supported' : 'reserved: must be 0';
      if (rest) lines.push(`    ${p.warn(`${'reserved'.padEnd(22)} ${hex(rest)} (${why})`)}`);
    }
  }
  return lines.join('\n') + '\n';
}
