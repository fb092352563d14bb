/** Annotated hex dump: each field's bytes beside its name and value. */
import { quoted } from '../../acpi/escape.js';
import { hexDigits } from '../../acpi/hex.js';
import { checksumValid } from '../../acpi/header.js';
import { layout, withMarks, type Mark } from '../layout.js';
import { pathEntryText, type DmarTable } from '../model.js';
import { PATH_ENTRY_SIZE, PATH_NAME, structureLabels } from '../schema.js';
import { scopeTypeName } from '../schema.js';
import { describe } from './describe.js';
import type { Paint } from './paint.js';

const BYTES_PER_LINE = 8;
const NAME_WIDTH = 24;

/** `marks`: where decoding broke (decode --lenient), each shown as a `!!` line in place. */
export function tableHex(t: DmarTable, bytes: Uint8Array, p: Paint, marks?: readonly Mark[]): string {
  const out: string[] = [];
  const checksumOk = checksumValid(bytes);
  const labels = structureLabels(t.structures);
  const row = (offset: number, size: number, name: string, text: string) => {
    for (let o = 0; o < Math.max(size, 1); o += BYTES_PER_LINE) {
      const chunk = bytes.subarray(offset + o, offset + Math.min(size, o + BYTES_PER_LINE));
      const hexs = Array.from(chunk, (b) => hexDigits(b, 2))
        .join(' ')
        .padEnd(BYTES_PER_LINE * 3 - 1);
      const off = hexDigits(offset + o, 4);
      // a continuation line has no name column after its bytes: no padding left at its end
      out.push(o === 0 ? `${p.dim(off)}  ${hexs}  ${text ? `${p.name(name.padEnd(NAME_WIDTH))} ${text}` : p.name(name)}` : `${p.dim(off)}  ${hexs.trimEnd()}`);
    }
  };
  for (const it of withMarks(layout(t), marks)) {
    switch (it.kind) {
      case 'mark':
        out.push(p.error(`!! ${hexDigits(it.offset, 4)}  ${it.message} (${it.code})`));
        break;
      case 'section':
        out.push(p.title(it.section === 'header' ? '-- ACPI table header' : '-- DMAR'));
        break;
      case 'structure': {
        const what = it.def ? (it.def.proposed ? p.proposed(it.def.title) : it.def.title) : '(reserved)';
        out.push(p.title(`-- ${labels[it.index]} ${what}`));
        break;
      }
      case 'scope':
        out.push(p.title(`   -- device scope: ${scopeTypeName(it.sc.fields.type as number)}`));
        break;
      case 'field': {
        const d = describe(it.row, it.value, { where: it.where, scopeParent: it.scopeParent, checksumOk }, p);
        row(it.offset, it.row.size, it.row.name, `${d.value}${d.notes.length ? '  ' + d.notes.join('  ') : ''}`);
        break;
      }
      case 'path':
        row(it.offset, PATH_ENTRY_SIZE, PATH_NAME, pathEntryText(it));
        break;
      case 'name':
        row(it.offset, it.size, it.title, quoted(it.name));
        break;
      case 'trailing':
        row(it.offset, it.bytes.length, it.implied ? 'Padding' : 'Trailing Data', it.implied ? '' : p.warn('belongs to no field'));
        break;
      case 'raw':
        row(it.offset, it.bytes.length, 'Data', '');
        break;
      case 'end':
        if (it.length < bytes.length) row(it.length, bytes.length - it.length, 'Past Table Length', p.warn('not part of the table'));
        break;
    }
  }
  return out.join('\n') + '\n';
}
