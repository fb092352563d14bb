/** The human-readable report (`dmar decode`, the default format). */
import { checksumValid } from '../../acpi/header.js';
import { layout } from '../layout.js';
import { pathEntryText, type DmarTable } from '../model.js';
import { PATH_NAME } from '../schema.js';
import { quoted } from '../../acpi/escape.js';
import { bytesHex, hex } from '../../acpi/hex.js';
import { scopeTypeName } from '../schema.js';
import { describe } from './describe.js';
import type { Paint } from './paint.js';

const NAME_WIDTH = 24;
const at = (o: number) => `[0x${o.toString(16).padStart(3, '0')}]`;

export function formatText(t: DmarTable, bytes: Uint8Array | undefined, p: Paint): string {
  const out: string[] = [];
  const checksumOk = bytes ? checksumValid(bytes) : undefined;
  let scopeLine: string[] | undefined;
  let scopeIndent = '';
  const flushScope = () => {
    if (scopeLine) out.push(scopeIndent + scopeLine.join('  '));
    scopeLine = undefined;
  };
  for (const it of layout(t)) {
    if (it.kind !== 'field' && it.kind !== 'path') flushScope();
    switch (it.kind) {
      case 'section':
        if (it.section === 'header') out.push(p.title(`DMAR  DMA Remapping table`));
        break;
      case 'structure': {
        const def = it.def;
        const title = def ? `${def.abbrev}  ${def.proposed ? p.proposed(def.title) : def.title}` : p.warn(`type ${it.s.type}  reserved structure type (kept as raw bytes)`);
        out.push('');
        out.push(`${p.dim(at(it.offset))} ${p.title(`#${it.index}`)} ${p.title(title)}  ${p.dim(`${it.s.length} bytes`)}`);
        break;
      }
      case 'scope':
        scopeIndent = '    ';
        scopeLine = [`${p.dim(at(it.offset))} ${p.value(scopeTypeName(it.sc.fields.type as number))}`];
        break;
      case 'field': {
        if (it.where === 'subtable') break;
        const d = describe(it.row, it.value, { where: it.where, scopeParent: it.scopeParent, checksumOk }, p);
        if (it.where === 'scope') {
          if (it.row.role) break;
          const zero = d.value.replace(/^0x/, '').replace(/0/g, '') === '';
          if ((it.row.reserved || it.row.bits) && zero) break;
          scopeLine!.push(`${p.name(it.row.name)} ${d.value}${d.notes.length ? ' ' + d.notes.join(' ') : ''}`);
          break;
        }
        const indent = it.where === 'structure' ? '    ' : '  ';
        out.push(`${indent}${p.name(it.row.name.padEnd(NAME_WIDTH))} ${p.value(d.value)}${d.notes.length ? '  ' + d.notes.join('  ') : ''}`);
        break;
      }
      case 'path': {
        const entry = pathEntryText(it);
        const last = scopeLine![scopeLine!.length - 1]!;
        if (last.startsWith(p.name(PATH_NAME))) scopeLine![scopeLine!.length - 1] = `${last} → ${entry}`;
        else scopeLine!.push(`${p.name(PATH_NAME)} ${entry}`);
        break;
      }
      case 'name':
        out.push(`    ${p.name(it.title.padEnd(NAME_WIDTH))} ${quoted(it.name)}${it.terminated ? '' : '  ' + p.error('not NUL terminated')}`);
        break;
      case 'trailing':
        out.push(`    ${p.dim(at(it.offset))} ${it.implied ? p.dim(`${it.bytes.length} bytes of padding`) : p.warn(`${it.bytes.length} bytes that belong to no field: ${bytesHex(it.bytes)}`)}`);
        break;
      case 'raw':
        out.push(`    ${p.name('Data'.padEnd(NAME_WIDTH))} ${bytesHex(it.bytes)}`);
        break;
      case 'end':
        out.push('');
        out.push(p.dim(`${t.structures.length} structure${t.structures.length === 1 ? '' : 's'}, ${it.length} bytes (${hex(it.length)})`));
        break;
    }
  }
  flushScope();
  return out.join('\n') + '\n';
}
