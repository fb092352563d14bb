/** `dmar diff` as text: one line per difference, `+` added, `-` removed, `~` changed, with offsets in both inputs. */
import { bitValue, type FieldDef } from '../../acpi/fields.js';
import { quoted, termText } from '../../acpi/escape.js';
import { hex } from '../../acpi/hex.js';
import { countDifferences, type FieldDiff, type Place, type ScopeDiff, type Side, type StructureDiff, type TableDiff } from '../table-diff.js';
import type { Paint } from './paint.js';

const NAME_WIDTH = 28;
const HEX_SHOWN = 32;

function hexText(s: string): string {
  if (s === '') return '(none)';
  const bytes = s.length / 2;
  return bytes > HEX_SHOWN ? `${s.slice(0, 2 * HEX_SHOWN)}... (${bytes} bytes)` : s;
}

/** A value as people read it: hex where the field is bits or an address, decimal for counts. */
function valueText(d: FieldDiff, side: Side): string {
  const v = side.value;
  const f: FieldDef | undefined = d.row;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (!f) return d.field === 'deviceName' ? quoted(String(v)) : hexText(String(v));
  if (f.kind === 'ascii') return quoted(String(v));
  if (f.kind === 'bytes') return hexText(String(v));
  if (typeof v === 'string') return v;
  const hexish = f.bits !== undefined || f.role === 'checksum' || f.role === 'type' || f.radix === 16;
  return hexish ? hex(v, 2 * Math.min(f.size, 4)) : String(v);
}

/** The named bits a value sets, for a field shown whole (an added or removed structure). */
function setBits(f: FieldDef, v: Side['value']): string {
  if (typeof v === 'boolean') return '';
  const n = BigInt(v);
  return (f.bits ?? [])
    .filter((b) => (b.width ?? 1) === 1 && bitValue(n, b) === 1)
    .map((b) => label(b.name, b.proposed))
    .join(', ');
}

function at(a: { offset: number } | null, b: { offset: number } | null): string {
  const o = (x: { offset: number } | null) => (x ? hex(x.offset) : '-');
  return a && b && a.offset === b.offset ? `@${o(a)}` : `@${o(a)} -> ${o(b)}`;
}

function label(name: string, proposed: boolean | undefined): string {
  return proposed ? `${name} (proposed)` : name;
}

function fieldLines(d: FieldDiff, p: Paint, indent: string, oneSide: boolean): string[] {
  const name = label(d.name, d.proposed && !d.bits);
  const pad = name.padEnd(NAME_WIDTH);
  const nameText = d.proposed && !d.bits ? p.proposed(pad) : p.name(pad);
  if (oneSide) {
    const side = (d.a ?? d.b)!;
    const set = d.row?.bits ? setBits(d.row, side.value) : '';
    return [`${indent}  ${nameText} ${p.value(valueText(d, side))}${set ? ' ' + p.dim(`(${set})`) : ''}`];
  }
  const mark = p.warn('~');
  const lines = [`${indent}${mark} ${nameText} ${valueText(d, d.a!)} -> ${valueText(d, d.b!)}  ${p.dim(at(d.a, d.b))}`];
  for (const bit of d.bits ?? []) {
    const bn = label(bit.name, bit.proposed).padEnd(NAME_WIDTH - 2);
    const v = (x: boolean | number) => (typeof x === 'boolean' ? (x ? '1' : '0') : bit.name === 'reserved' ? hex(x) : String(x));
    lines.push(`${indent}    ${bit.proposed ? p.proposed(bn) : p.name(bn)} ${v(bit.a)} -> ${v(bit.b)}`);
  }
  return lines;
}

function placeText(pl: Place | null): string {
  return pl ? `${pl.label ?? `#${pl.index + 1}`} @${hex(pl.offset)}` : '-';
}

function scopeLines(sc: ScopeDiff, p: Paint, indent: string): string[] {
  if (sc.change === 'changed') {
    const lines = [`${indent}${p.warn('~')} scope ${sc.scope}  ${p.dim(at(sc.a, sc.b))}${sc.moved ? '  ' + p.warn('moved') : ''}`];
    for (const f of sc.fields) lines.push(...fieldLines(f, p, indent + '    ', false));
    return lines;
  }
  const added = sc.change === 'added';
  const text = `${added ? '+' : '-'} scope ${sc.scope}`;
  return [`${indent}${added ? p.ok(text) : p.error(text)}  ${p.dim(added ? `@${hex(sc.b!.offset)} in b` : `@${hex(sc.a!.offset)} in a`)}`];
}

function structureLines(s: StructureDiff, p: Paint): string[] {
  const name = label(s.key, s.proposed);
  const lines: string[] = [];
  if (s.change === 'changed') {
    const where = s.a!.offset === s.b!.offset && s.a!.index === s.b!.index ? placeText(s.a) : `${placeText(s.a)} -> ${placeText(s.b)}`;
    lines.push(`  ${p.warn('~')} ${s.proposed ? p.proposed(name) : p.title(name)}  ${p.dim(where)}${s.moved ? '  ' + p.warn('moved') : ''}`);
    for (const f of s.fields) lines.push(...fieldLines(f, p, '      ', false));
  } else {
    const added = s.change === 'added';
    const head = `${added ? '+' : '-'} ${name}`;
    lines.push(`  ${added ? p.ok(head) : p.error(head)}  ${p.dim(`${placeText(added ? s.b : s.a)} in ${added ? 'b' : 'a'}, ${(s.b ?? s.a)!.length} bytes`)}`);
    for (const f of s.fields) lines.push(...fieldLines(f, p, '      ', true));
  }
  for (const sc of s.scopes) lines.push(...scopeLines(sc, p, '      '));
  return lines;
}

export function diffText(d: TableDiff, p: Paint): string {
  if (d.equal) return `no differences (${d.a.size} bytes)\n`;
  const out: string[] = [p.error(`--- a: ${termText(d.a.name)} (${d.a.size} bytes)`), p.ok(`+++ b: ${termText(d.b.name)} (${d.b.size} bytes)`)];
  const section = (title: string, lines: string[]) => {
    if (!lines.length) return;
    out.push(p.title(title));
    for (const l of lines) out.push(l); // not push(...lines): a spread of 100k lines overflows the stack
  };
  section(
    'header',
    d.header.flatMap((f) => fieldLines(f, p, '  ', false)),
  );
  section(
    'DMAR',
    d.dmar.flatMap((f) => fieldLines(f, p, '  ', false)),
  );
  section(
    'structures',
    d.structures.flatMap((s) => structureLines(s, p)),
  );
  section(
    'after the structures',
    d.tail.flatMap((f) => fieldLines(f, p, '  ', false)),
  );
  const n = countDifferences(d);
  out.push(`${n} difference${n === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}
