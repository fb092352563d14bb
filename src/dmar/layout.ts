/**
 * A table as a flat sequence of items in byte order, each with its absolute
 * offset and, for fields, its schema row. Every writer (text, iasl, hex) walks
 * this one sequence; none knows the table's layout by itself.
 */
import type { FieldDef, FieldValue } from '../acpi/fields.js';
import { ACPI_HEADER_FIELDS } from '../acpi/header.js';
import type { DeviceScope, DmarTable, Structure } from './model.js';
import {
  DMAR_FIELDS,
  DMAR_FIXED_SIZE,
  PATH_ENTRY_SIZE,
  SCOPE_HEADER_SIZE,
  SUBTABLE_HEADER_FIELDS,
  SUBTABLE_HEADER_SIZE,
  structDef,
  type StructDef,
} from './schema.js';

export type Item =
  | { kind: 'section'; section: 'header' | 'dmar' }
  | { kind: 'field'; offset: number; row: FieldDef; value: FieldValue; where: 'header' | 'dmar' | 'subtable' | 'structure' | 'scope'; scopeParent?: StructDef }
  | { kind: 'structure'; offset: number; index: number; s: Structure; def?: StructDef }
  | { kind: 'scope'; offset: number; index: number; sc: DeviceScope; parent: StructDef }
  | { kind: 'path'; offset: number; device: number; function: number; rows: readonly FieldDef[] }
  | { kind: 'name'; offset: number; name: string; size: number; terminated: boolean; title: string }
  | { kind: 'trailing'; offset: number; bytes: Uint8Array; implied: boolean; level: 'structure' | 'table' }
  | { kind: 'raw'; offset: number; bytes: Uint8Array }
  | { kind: 'end'; length: number };

/**
 * Items in byte order. Offsets are recomputed from the content, so they agree
 * with what the encoder writes (and, for a decoded table, with the input).
 */
export function* layout(t: DmarTable): Generator<Item> {
  yield { kind: 'section', section: 'header' };
  for (const row of ACPI_HEADER_FIELDS) yield { kind: 'field', offset: row.offset, row, value: t.header[row.key]!, where: 'header' };
  yield { kind: 'section', section: 'dmar' };
  for (const row of DMAR_FIELDS) yield { kind: 'field', offset: row.offset, row, value: t.fields[row.key]!, where: 'dmar' };
  let at = DMAR_FIXED_SIZE;
  for (let i = 0; i < t.structures.length; i++) {
    const s = t.structures[i]!;
    const def = structDef(s.type);
    const start = at;
    yield { kind: 'structure', offset: start, index: i, s, def: s.raw ? undefined : def };
    const hdr = { type: s.type, length: s.length };
    for (const row of SUBTABLE_HEADER_FIELDS) {
      yield { kind: 'field', offset: start + row.offset, row, value: hdr[row.key as 'type' | 'length'], where: 'subtable' };
    }
    if (s.raw || !def) {
      if (s.raw?.length) yield { kind: 'raw', offset: start + SUBTABLE_HEADER_SIZE, bytes: s.raw };
      at = start + SUBTABLE_HEADER_SIZE + (s.raw?.length ?? 0);
      continue;
    }
    for (const row of def.fields) yield { kind: 'field', offset: start + row.offset, row, value: s.fields[row.key] ?? 0, where: 'structure' };
    at = yield* def.body.items(s, start + def.fixedSize, def);
    if (s.trailing?.length) {
      const implied = def.body.padded && s.trailing.every((b) => b === 0);
      yield { kind: 'trailing', offset: at, bytes: s.trailing, implied, level: 'structure' };
      at += s.trailing.length;
    }
  }
  if (t.trailing?.length) {
    yield { kind: 'trailing', offset: at, bytes: t.trailing, implied: false, level: 'table' };
    at += t.trailing.length;
  }
  yield { kind: 'end', length: at };
}

/** A place where decoding broke (decode --lenient), shown among the items at its offset. */
export interface Mark {
  offset: number;
  /** The check ID of the defect. */
  code: string;
  message: string;
}

/** The bytes an item stands for ends here (undefined for items that stand for none). */
function itemEnd(it: Item): number | undefined {
  switch (it.kind) {
    case 'field':
      return it.offset + it.row.size;
    case 'structure':
      return it.offset + SUBTABLE_HEADER_SIZE;
    case 'scope':
      return it.offset + SCOPE_HEADER_SIZE;
    case 'path':
      return it.offset + PATH_ENTRY_SIZE;
    case 'name':
      return it.offset + it.size;
    case 'trailing':
    case 'raw':
      return it.offset + it.bytes.length;
    case 'end':
      return Infinity;
    default:
      return undefined;
  }
}

/** The items with each mark placed before the first item that reaches past its offset. */
export function* withMarks(items: Iterable<Item>, marks: readonly Mark[] = []): Generator<Item | ({ kind: 'mark' } & Mark)> {
  const left = [...marks].sort((a, b) => a.offset - b.offset);
  let k = 0;
  for (const it of items) {
    const end = itemEnd(it);
    while (end !== undefined && k < left.length && left[k]!.offset < end) yield { kind: 'mark', ...left[k++]! };
    yield it;
  }
}
