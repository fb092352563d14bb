/**
 * The physical address space as `dmar report` draws it and `dmar map` prints
 * it: the firmware memory map (by type), the RMRRs with Linux's verdict over
 * that map (src/machine/memmap.ts), and the DRHD register windows. One model,
 * two writers (SVG in svg.ts, text here).
 */
import { bitByKey, bitValue, fieldByKey } from '../acpi/fields.js';
import { termText } from '../acpi/escape.js';
import { hex } from '../acpi/hex.js';
import { big, num, type DmarTable } from '../dmar/model.js';
import { DEFS, PAGE_SIZE, STRUCT_TYPE } from '../dmar/schema.js';
import type { Paint } from '../dmar/format/paint.js';
import { lacking, mapEditsNote, type MachineFacts } from '../machine/facts.js';
import { holesText, MAX_ADDRESS, regionText, rmrrRuleFor, rmrrVerdict } from '../machine/memmap.js';
import type { MemKind } from '../machine/types.js';
import { printable } from '../dmar/validate/check.js';

export type Lane = 'map' | 'rmrr' | 'drhd';

export interface Shape {
  lane: Lane;
  start: bigint;
  /** Inclusive. */
  end: bigint;
  /** "System RAM", "RMRR #1", "DRHD #2". */
  label: string;
  /** Memory kind for the map lane; for RMRRs: reserved (Linux accepts it), not-reserved, or unknown (no map). */
  kind: MemKind | 'reserved-ok' | 'not-reserved' | 'unknown' | 'registers';
  /** One line: the verdict, or what the window is. */
  note?: string;
  /** For an RMRR with a verdict: the memory-map entries it overlaps. */
  detail?: string;
}

export interface MemoryPicture {
  shapes: Shape[];
  /** Where the memory map came from, or why there is none. */
  mapSource: string | null;
  notes: string[];
}

/** Every shape of the picture: the memory map's in address order, the RMRRs and DRHDs in table order. */
export function memoryPicture(table: DmarTable, machine?: MachineFacts): MemoryPicture {
  const shapes: Shape[] = [];
  const notes: string[] = [];
  const map = machine?.memoryMap;
  for (const r of map?.regions ?? []) shapes.push({ lane: 'map', start: r.start, end: r.end, label: r.type, kind: r.kind });
  const rule = map ? rmrrRuleFor(machine?.kernel) : undefined;
  if (!map)
    notes.push(
      machine
        ? `${lacking.memoryMap(machine)}: RMRRs are drawn without a verdict`
        : 'no firmware memory map (give --machine DIR|live or --dmesg LOG): RMRRs are drawn without a verdict',
    );
  else if (!rule) notes.push(`kernel ${machine!.kernel!.release} predates Linux 5.5: it does not check RMRRs against the memory map`);
  else notes.push(`RMRR verdicts: ${rule.text}, over ${map.source}`);
  if (map) {
    notes.push(
      map.lines === 'user'
        ? "the map is drawn as the kernel printed it after the command line's memmap=/mem= edits; the verdicts judge the table the kernel holds after its own later edits (first page reserved, 640 KiB-1 MiB RAM removed)"
        : 'the map is drawn as the firmware gave it; the verdicts judge the table the kernel holds after its own edits (first page reserved, 640 KiB-1 MiB RAM removed)',
    );
    const edited = mapEditsNote(machine!);
    if (edited) notes.push(edited);
  }
  const sizeRow = fieldByKey(DEFS.DRHD.fields, 'size');
  const pagesLog2 = bitByKey(sizeRow, 'pagesLog2');
  let nDrhd = 0;
  let nRmrr = 0;
  for (const s of table.structures) {
    if (s.raw) continue;
    if (s.type === STRUCT_TYPE.DRHD) {
      const base = big(s.fields, 'registerBaseAddress');
      const size = PAGE_SIZE << BigInt(bitValue(num(s.fields, 'size'), pagesLog2));
      // a window past the 64-bit address space is drawn to its end, and said so (its end was printed with 17 digits)
      const past = base + size - 1n > MAX_ADDRESS;
      shapes.push({
        lane: 'drhd',
        start: base,
        end: past ? MAX_ADDRESS : base + size - 1n,
        label: `DRHD #${++nDrhd}`,
        kind: 'registers',
        note: `register set, ${size / 1024n} KiB, segment ${num(s.fields, 'segment')}`,
        ...(past ? { detail: `the ${size / 1024n} KiB from ${hex(base)} run past the 64-bit address space: drawn to its end` } : {}),
      });
    } else if (s.type === STRUCT_TYPE.RMRR) {
      const start = big(s.fields, 'baseAddress');
      const end = big(s.fields, 'endAddress');
      const label = `RMRR #${++nRmrr}`;
      if (end < start) {
        // no range at all: drawn as its base, and the line says why it has no verdict
        shapes.push({
          lane: 'rmrr',
          start,
          end: start,
          label,
          kind: 'unknown',
          note: 'end before base',
          detail: `End Address ${hex(end)} is below its Base Address: no range, drawn at its base`,
        });
        continue;
      }
      if (!map || !rule) {
        shapes.push({ lane: 'rmrr', start, end, label, kind: 'unknown', note: 'no verdict' });
        continue;
      }
      const v = rmrrVerdict(map, start, end, rule, machine?.e820Edits);
      const over = v.overlaps.length ? v.overlaps.map(regionText).join(', ') : 'no memory-map entry';
      const holes = holesText(v);
      shapes.push({
        lane: 'rmrr',
        start,
        end,
        label,
        kind: v.ok ? 'reserved-ok' : 'not-reserved',
        note: v.ok ? 'reserved: Linux accepts it' : 'NOT reserved: Linux reports a firmware bug (bad RMRR) and taints the kernel',
        detail: `overlaps ${over}${holes && v.overlaps.length ? `; no entry covers ${holes}` : ''}`,
      });
    }
  }
  return { shapes, mapSource: map?.source ?? null, notes };
}

/** Bytes as a short human size, rounded to one decimal: 4 KiB, 1.5 MiB, 2 GiB (io/input.ts sizeText is exact). */
function humanSize(n: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

export function rangeText(s: Pick<Shape, 'start' | 'end'>): string {
  return `${hex(s.start, 16)}-${hex(s.end, 16)}`;
}

/** The size of an inclusive range, as humanSize writes it. */
export function rangeSizeText(s: Pick<Shape, 'start' | 'end'>): string {
  return humanSize(s.end - s.start + 1n);
}

/**
 * A broken logarithmic scale: the address boundaries of all shapes cut the
 * space into intervals; each covered interval gets a width growing with the
 * log of its size, each uncovered one (a gap) a fixed narrow width drawn as a
 * break. So a 4 KiB window and a 60 GiB RAM range are both visible, in order.
 */
export interface Scale {
  /** x of an address boundary (start, or end + 1). */
  x(addr: bigint): number;
  /** The uncovered intervals, as [x0, x1] (drawn as breaks). */
  gaps: [number, number][];
  /** Boundaries with their x, for tick labels. */
  ticks: { addr: bigint; x: number }[];
}

const GAP_WIDTH = 10;

export function brokenScale(shapes: readonly Shape[], x0: number, width: number): Scale {
  const cuts = [...new Set(shapes.flatMap((s) => [s.start, s.end + 1n]))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // an interval between two cuts lies inside a shape or outside all: how many shapes are open over it, by one sweep
  // (not every shape asked for every interval: tables of thousands of RMRRs)
  const index = new Map(cuts.map((c, i) => [c, i]));
  const opens = new Array<number>(cuts.length).fill(0);
  for (const s of shapes) {
    // a shape that ends before it starts (a garbled map line) covers nothing, as before
    if (s.end < s.start) continue;
    opens[index.get(s.start)!]!++;
    opens[index.get(s.end + 1n)!]!--;
  }
  const raw: { w: number; gap: boolean }[] = [];
  let open = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i]!;
    const b = cuts[i + 1]!;
    open += opens[i]!;
    const gap = open <= 0;
    raw.push({ gap, w: gap ? 0 : Math.max(4, Math.log2(Number(b - a)) - 8) });
  }
  const gaps = raw.filter((r) => r.gap).length;
  const sum = raw.reduce((t, r) => t + r.w, 0) || 1;
  // gaps take a fixed width, but never more than a third of the picture together (a table of a hundred scattered
  // RMRRs drew positions backwards, past the picture's edge)
  const gapWidth = gaps ? Math.min(GAP_WIDTH, width / 3 / gaps) : GAP_WIDTH;
  const k = (width - gaps * gapWidth) / sum;
  const xs: number[] = [x0];
  const gapXs: [number, number][] = [];
  for (const r of raw) {
    const prev = xs[xs.length - 1]!;
    const next = prev + (r.gap ? gapWidth : r.w * k);
    if (r.gap) gapXs.push([prev, next]);
    xs.push(next);
  }
  const at = new Map(cuts.map((c, i) => [c, xs[i]!]));
  return { x: (addr) => at.get(addr) ?? x0, gaps: gapXs, ticks: cuts.map((c, i) => ({ addr: c, x: xs[i]! })) };
}

/** `dmar map`: the picture as text, one line per shape in address order, RMRRs and windows indented under the map. */
export function formatMapText(p: MemoryPicture, paint: Pick<Paint, 'warn' | 'error' | 'dim' | 'ok' | 'name'>): string {
  const order: Record<Lane, number> = { map: 0, rmrr: 1, drhd: 2 };
  const sorted = [...p.shapes].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : order[a.lane] - order[b.lane]));
  const lines = sorted.map((s) => {
    const bar = '#'.repeat(Math.max(1, Math.round(Math.log2(Number(s.end - s.start + 1n)) - 10)));
    const size = rangeSizeText(s).padStart(9);
    if (s.lane === 'map') return `${rangeText(s)} ${size}  ${printable(s.label).padEnd(26)} ${paint.dim(bar)}`;
    const mark =
      s.kind === 'not-reserved'
        ? paint.error('NOT RESERVED')
        : s.kind === 'reserved-ok'
          ? paint.ok('reserved')
          : s.kind === 'unknown'
            ? paint.dim('no verdict')
            : paint.dim('registers');
    return `${rangeText(s)} ${size}    ${paint.name(s.label.padEnd(9))} ${mark}${s.detail ? paint.dim(`  ${printable(s.detail)}`) : ''}`;
  });
  return [...lines, ...p.notes.map((n) => paint.dim(`note: ${termText(n)}`))].join('\n') + '\n';
}
