/** The human-readable report (`dmar decode`, the default format). */
import { checksumValid } from '../../acpi/header.js';
import { layout, withMarks, type Mark } from '../layout.js';
import { pathEntryText, type DmarTable } from '../model.js';
import { PATH_NAME, structDef, structureLabels } from '../schema.js';
import { quoted } from '../../acpi/escape.js';
import { bytesHex, hex } from '../../acpi/hex.js';
import { scopeTypeName } from '../schema.js';
import { describe } from './describe.js';
import type { Paint } from './paint.js';

const NAME_WIDTH = 24;
/** Bytes per row of undecoded data. */
const ROW = 16;
const at = (o: number) => `[${hex(o, 3)}]`;

/** `marks`: where decoding broke (decode --lenient), each shown as a `!!` line in place. */
export function tableText(t: DmarTable, bytes: Uint8Array | undefined, p: Paint, marks?: readonly Mark[]): string {
  const out: string[] = [];
  const checksumOk = bytes ? checksumValid(bytes) : undefined;
  const labels = structureLabels(t.structures);
  let scopeLine: string[] | undefined;
  let scopeIndent = '';
  const flushScope = () => {
    if (scopeLine) out.push(scopeIndent + scopeLine.join('  '));
    scopeLine = undefined;
  };
  for (const it of withMarks(layout(t), marks)) {
    if (it.kind !== 'field' && it.kind !== 'path') flushScope();
    switch (it.kind) {
      case 'mark':
        out.push(p.error(`!! ${at(it.offset)} ${it.message} (${it.code})`));
        break;
      case 'section':
        if (it.section === 'header') out.push(p.title(`DMAR  DMA Remapping table`));
        break;
      case 'structure': {
        const def = it.def;
        // no layout: a reserved type, or a known one too short for its fields
        const known = def ?? structDef(it.s.type);
        const title = def
          ? def.proposed
            ? p.proposed(def.title)
            : def.title
          : known
            ? p.warn(`${known.proposed ? p.proposed(known.title) : known.title}, shorter than its fields (kept as raw bytes)`)
            : p.warn('reserved structure type (kept as raw bytes)');
        out.push('');
        out.push(`${p.dim(at(it.offset))} ${p.title(labels[it.index]!)}  ${def ? p.title(title) : title}  ${p.dim(`${it.s.length} bytes`)}`);
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
        if (it.implied || it.bytes.length <= ROW) {
          out.push(
            `    ${p.dim(at(it.offset))} ${it.implied ? p.dim(`${it.bytes.length} bytes of padding`) : p.warn(`${it.bytes.length} bytes that belong to no field: ${bytesHex(it.bytes)}`)}`,
          );
          break;
        }
        // more than a row (the rest of a table whose walk broke): rows of 16 bytes, each at its offset
        out.push(`    ${p.dim(at(it.offset))} ${p.warn(`${it.bytes.length} bytes that belong to no field:`)}`);
        for (let o = 0; o < it.bytes.length; o += ROW) {
          out.push(`      ${p.dim(at(it.offset + o))} ${bytesHex(it.bytes.subarray(o, o + ROW)).replace(/(..)(?=.)/g, '$1 ')}`);
        }
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
