/** The memory picture as an inline SVG: three lanes on a broken log scale, addresses on hover (<title>). */
import { hex } from '../acpi/hex.js';
import { printable } from '../dmar/validate/check.js';
import { MAX_ADDRESS } from '../machine/memmap.js';
import { html, type Markup } from './html.js';
import { brokenScale, rangeSizeText, rangeText, type Lane, type MemoryPicture } from './memory.js';

const W = 1000;
const LEFT = 110;
const RIGHT = 60;
const LANE_H = 34;
const TOP = 8;
const LANES: { lane: Lane; title: string }[] = [
  { lane: 'map', title: 'memory map' },
  { lane: 'rmrr', title: 'RMRRs' },
  { lane: 'drhd', title: 'DRHD registers' },
];

/** Tick labels: a boundary gets one when it is far enough from the last labelled one. */
function ticks(scale: ReturnType<typeof brokenScale>, y: number): Markup[] {
  const out: Markup[] = [];
  let last = -Infinity;
  for (const t of scale.ticks) {
    if (t.x - last < 58) continue;
    last = t.x;
    // the boundary after a window that ends the address space is 2^64, no 64-bit address
    const label = t.addr === 0n ? '0' : t.addr > MAX_ADDRESS ? '2^64' : hex(t.addr);
    out.push(
      html`<g class="tick"><line x1="${t.x.toFixed(1)}" x2="${t.x.toFixed(1)}" y1="${TOP}" y2="${y}"/><text x="${t.x.toFixed(1)}" y="${y + 4}" transform="rotate(35 ${t.x.toFixed(1)} ${y + 4})">${label}</text></g>`,
    );
  }
  return out;
}

/**
 * The most shapes a lane draws (its first, in table order): a real machine has a few dozen; a crafted table
 * of 65,000 DRHDs drew 17 MB of SVG. The page says how many it left out (LANE_DRAWN, page.ts).
 */
export const LANE_DRAWN = 2048;

export function memorySvg(p: MemoryPicture): Markup {
  if (!p.shapes.length) return html`<p class="muted">Nothing to draw: no memory map, RMRR or DRHD.</p>`;
  const lanes = LANES.filter((l) => l.lane !== 'map' || p.shapes.some((s) => s.lane === 'map'));
  // the scale of what is drawn: its intervals, breaks and ticks grow with the shapes
  const drawn = new Map(LANES.map((l) => [l.lane, p.shapes.filter((s) => s.lane === l.lane).slice(0, LANE_DRAWN)]));
  const scale = brokenScale([...drawn.values()].flat(), LEFT, W - LEFT - RIGHT);
  const axisY = TOP + lanes.length * LANE_H + 2;
  const H = axisY + 72;
  const rows = lanes.map((l, i) => {
    const y = TOP + i * LANE_H;
    const shapes = drawn.get(l.lane)!.map((s) => {
      const x0 = scale.x(s.start);
      const x1 = scale.x(s.end + 1n);
      const w = Math.max(2, x1 - x0);
      const cls = l.lane === 'map' ? `mem k-${s.kind}` : l.lane === 'rmrr' ? `rmrr ${s.kind}` : 'drhd';
      // the map's type names come from the boot log or capture: escaped as the text map escapes them
      const tip = `${printable(s.label)}: ${rangeText(s)} (${rangeSizeText(s)})${s.note ? `\n${s.note}` : ''}${s.detail ? `\n${printable(s.detail)}` : ''}`;
      return html`<rect data-lane="${l.lane}" class="${cls}" x="${x0.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${LANE_H - 8}"><title>${tip}</title></rect>`;
    });
    return html`<g class="lane"><text class="lane-title" x="4" y="${y + LANE_H / 2 + 4}">${l.title}</text>${shapes}</g>`;
  });
  const breaks = scale.gaps.map(
    ([a, b]) =>
      html`<path class="break" d="M${a.toFixed(1)} ${TOP} l${((b - a) / 2).toFixed(1)} 6 l${((b - a) / 2).toFixed(1)} -6 M${a.toFixed(1)} ${axisY} l${((b - a) / 2).toFixed(1)} -6 l${((b - a) / 2).toFixed(1)} 6"/>`,
  );
  return html`<svg class="memmap" viewBox="0 0 ${W} ${H}" role="img" aria-label="physical address space on a broken logarithmic scale">${rows}${breaks}<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${axisY}" y2="${axisY}"/>${ticks(scale, axisY)}</svg>`;
}
