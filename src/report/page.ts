/**
 * The report page: one self-contained HTML file (inline CSS, SVG and a small
 * script; no network, no external font). Every string from input goes through
 * html.ts's escaping; the page script only highlights bytes, it decodes nothing.
 */
import { checksumValid } from '../acpi/header.js';
import { hex, hexDigits } from '../acpi/hex.js';
import { describe } from '../dmar/format/describe.js';
import { PLAIN } from '../dmar/format/paint.js';
import { layout, type Item } from '../dmar/layout.js';
import { pathEntryText, str } from '../dmar/model.js';
import { PATH_ENTRY_SIZE, PATH_NAME, scopeTypeName } from '../dmar/schema.js';
import { scopeSize } from '../dmar/encode.js';
import { printable, type Finding } from '../dmar/validate/check.js';
import { quoted, termText } from '../acpi/escape.js';
import { summarize } from '../dmar/validate/report/result.js';
import type { DeviceView, Topology } from '../machine/topology.js';
import { html, trusted, type Markup } from './html.js';
import type { ReportData } from './data.js';
import type { Decision } from '../ims/decide.js';
import { rangeSizeText, rangeText } from './memory.js';
import { LANE_DRAWN, memorySvg } from './svg.js';
import { CSS, SCRIPT } from './assets.js';

/** A byte range of the table, as data attributes the page script reads. */
interface Span {
  o: number;
  n: number;
  label: string;
}

function spanAttrs(s: Span): Markup {
  return html`data-o="${s.o}" data-n="${s.n}" data-l="${s.label}"`;
}

function spanText(s: Span): string {
  return s.n <= 1 ? `byte ${hex(s.o)}` : `bytes ${hex(s.o)}-${hex(s.o + s.n - 1)}`;
}

const rowId = (offset: number) => `x${hexDigits(offset - (offset % 16), 4)}`;

/** Layout items with their extent (a structure runs to the next structure). */
function extents(items: Item[], total: number): Map<Item, number> {
  const out = new Map<Item, number>();
  // per item: where the next structure (or the end, or the table's trailing bytes) starts, from one backward pass
  const nextStart = new Array<number>(items.length);
  let end = total;
  for (let i = items.length - 1; i >= 0; i--) {
    nextStart[i] = end;
    const x = items[i]!;
    if (x.kind === 'structure' || (x.kind === 'trailing' && x.level === 'table')) end = x.offset;
    else if (x.kind === 'end') end = x.length;
  }
  items.forEach((it, i) => {
    if (it.kind === 'structure') {
      out.set(it, Math.max(1, nextStart[i]! - it.offset));
    } else if (it.kind === 'scope') out.set(it, scopeSize(it.sc));
    else if (it.kind === 'field') out.set(it, it.row.size);
    else if (it.kind === 'path') out.set(it, PATH_ENTRY_SIZE);
    else if (it.kind === 'name') out.set(it, Math.max(1, it.size));
    else if (it.kind === 'trailing' || it.kind === 'raw') out.set(it, it.bytes.length);
  });
  return out;
}

/** The bytes a finding points at: the field at its offset, else the structure or scope there, else one byte. */
function findingSpan(f: Finding, byOffset: Map<string, Item>, ext: Map<Item, number>, total: number): Span {
  const at = (k: Item['kind']) => byOffset.get(`${k}@${f.offset}`);
  const hit = at('field') ?? at('scope') ?? at('path') ?? at('structure') ?? at('name') ?? at('trailing') ?? at('raw');
  const o = Math.max(0, Math.min(f.offset, total - 1));
  const n = Math.max(1, Math.min(hit ? ext.get(hit)! : 1, total - o));
  return { o, n, label: `${f.id} at ${hex(f.offset)}` };
}

/** Every other structure's bytes get a tint, so structure boundaries show in the hex. */
function tints(items: Item[], ext: Map<Item, number>, total: number): boolean[] {
  const out = new Array<boolean>(total).fill(false);
  for (const it of items) {
    if (it.kind !== 'structure' || it.index % 2 === 1) continue;
    for (let i = it.offset; i < Math.min(total, it.offset + ext.get(it)!); i++) out[i] = true;
  }
  return out;
}

function hexView(bytes: Uint8Array, tint: boolean[]): Markup {
  const rows: Markup[] = [];
  for (let r = 0; r < bytes.length; r += 16) {
    const chunk = bytes.subarray(r, r + 16);
    const cells = Array.from(chunk, (b, i) => `<i${tint[r + i] ? ' class="t"' : ''}>${hexDigits(b, 2)}</i>`).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(
      html`<div class="r" id="${rowId(r)}"><span class="o">${hexDigits(r, 4)}</span> ${trusted(cells)}${'   '.repeat(16 - chunk.length)} <span class="asc">${ascii}</span></div>`,
    );
  }
  return html`${rows}`;
}

/** The decoded structures beside the hex: every block and field is a button for its bytes. */
function structurePanel(items: Item[], ext: Map<Item, number>, bytes: Uint8Array): Markup {
  const checksumOk = checksumValid(bytes);
  const blocks: Markup[] = [];
  let rows: Markup[] = [];
  let head: Markup | undefined;
  const flush = () => {
    if (head) blocks.push(html`<div class="blk">${head}<table>${rows}</table></div>`);
    rows = [];
  };
  const row = (s: Span, name: string, value: string, notes: string[] = []) =>
    rows.push(
      html`<tr ${spanAttrs(s)} tabindex="0"><td class="mono off">${hex(s.o, 4)}</td><td>${name}</td><td class="mono">${value}${notes.length ? html` <span class="muted">${notes.join('; ')}</span>` : ''}</td></tr>`,
    );
  for (const it of items) {
    const n = ext.get(it) ?? 0;
    switch (it.kind) {
      case 'section': {
        flush();
        const s: Span = it.section === 'header' ? { o: 0, n: 36, label: 'ACPI table header' } : { o: 36, n: 12, label: 'DMAR fields' };
        head = html`<h3 ${spanAttrs(s)} tabindex="0">${s.label} <span class="muted mono">${spanText(s)}</span></h3>`;
        break;
      }
      case 'structure': {
        flush();
        const what = it.def ? `${it.def.abbrev} ${it.def.title}` : `type ${it.s.type} (reserved)`;
        const s: Span = { o: it.offset, n, label: `#${it.index} ${what}` };
        head = html`<h3 id="s${it.index}" ${spanAttrs(s)} tabindex="0">#${it.index} ${what} <span class="muted mono">${spanText(s)}</span></h3>`;
        break;
      }
      case 'scope': {
        const s: Span = { o: it.offset, n, label: `device scope ${scopeTypeName(it.sc.fields.type as number)}` };
        rows.push(
          html`<tr class="sub" ${spanAttrs(s)} tabindex="0"><td class="mono off">${hex(it.offset, 4)}</td><td colspan="2">device scope: ${scopeTypeName(it.sc.fields.type as number)}</td></tr>`,
        );
        break;
      }
      case 'field': {
        const d = describe(it.row, it.value, { where: it.where, scopeParent: it.scopeParent, checksumOk }, PLAIN);
        row({ o: it.offset, n, label: it.row.name }, it.row.name, d.value, d.notes);
        break;
      }
      case 'path':
        row({ o: it.offset, n, label: PATH_NAME }, PATH_NAME, pathEntryText(it));
        break;
      case 'name':
        // quoted as decode quotes it (escaped once; the page escapes it for HTML)
        row({ o: it.offset, n, label: it.title }, it.title, quoted(it.name));
        break;
      case 'trailing':
        row(
          { o: it.offset, n, label: 'trailing data' },
          it.implied ? 'Padding' : 'Trailing Data',
          `${it.bytes.length} bytes`,
          it.implied ? [] : ['belongs to no field'],
        );
        break;
      case 'raw':
        row({ o: it.offset, n, label: 'data' }, 'Data', `${it.bytes.length} bytes`);
        break;
      case 'end':
        if (it.length < bytes.length)
          row({ o: it.length, n: bytes.length - it.length, label: 'past Table Length' }, 'Past Table Length', `${bytes.length - it.length} bytes`, [
            'not part of the table',
          ]);
        break;
    }
  }
  flush();
  return html`${blocks}`;
}

const SEVERITIES = ['error', 'warning', 'info'] as const;

function summary(d: ReportData, items: Item[]): Markup {
  const t = d.decoded.table;
  const counts = summarize([{ file: d.source.name, findings: d.findings }]);
  const header = items.filter((it): it is Extract<Item, { kind: 'field' }> => it.kind === 'field' && (it.where === 'header' || it.where === 'dmar'));
  const checksumOk = checksumValid(d.source.bytes);
  const headerRows = header.map((it) => {
    const v = describe(it.row, it.value, { where: it.where, checksumOk }, PLAIN);
    return html`<tr><th>${it.row.name}</th><td class="mono">${v.value}${v.notes.length ? html` <span class="muted">${v.notes.join('; ')}</span>` : ''}</td></tr>`;
  });
  const m = d.machine;
  const platform: [string, string][] = [
    ['OEM', `${printable(str(t.header, 'oemId').trim())} ${printable(str(t.header, 'oemTableId').trim())}`],
    ['Table', `${termText(d.source.name)} (${d.source.bytes.length} bytes${d.source.kind === 'acpidump' ? ', from an acpidump' : ''})`],
    ['Machine', m ? termText(m.source) : 'none given (table alone)'],
  ];
  if (m?.kernel) platform.push(['Kernel', printable(m.kernel.release)]);
  if (m?.memoryMap) platform.push(['Memory map', `${termText(m.memoryMap.source)}, ${m.memoryMap.regions.length} regions`]);
  if (m?.pci) platform.push(['PCI devices', String(m.pci.devices.length)]);
  if (m?.units)
    platform.push([
      'IOMMU units',
      m.units.length ? m.units.map((u) => `${u.name}${u.address !== undefined ? ` @ ${hex(u.address)}` : ''}`).join(', ') : 'none registered',
    ]);
  const verdict = counts.error ? 'error' : counts.warning ? 'warning' : counts.info ? 'info' : 'ok';
  const ims = d.decisions.map(
    (x) =>
      html`<tr><th>${x.policy.name}${x.policy.proposed ? html` <span class="muted">(proposed)</span>` : ''}</th><td><span class="badge v-${x.verdict}">${x.verdict}</span> <span class="muted">${x.rules.map((r) => r.id).join(', ')}</span>${imsNotes(x)}</td></tr>`,
  );
  return html`<section id="summary"><h2>Summary</h2><div class="grid">
<div class="card"><h3>validate</h3><p class="counts">${SEVERITIES.map((s) => html`<a href="#findings" class="count ${s}"><b>${counts[s]}</b> ${s}${counts[s] === 1 ? '' : s === 'info' ? '' : 's'}</a> `)}</p>
<p>Verdict: <span class="badge ${verdict}">${verdict === 'ok' ? 'no finding' : verdict === 'error' ? 'fails (errors)' : verdict === 'warning' ? 'passes with warnings' : 'passes'}</span></p>${d.notes.length ? html`<ul class="notes">${d.notes.map((n) => html`<li class="muted">${n}</li>`)}</ul>` : ''}
<h3>IMS policies</h3><table class="ims">${ims}</table></div>
<div class="card"><h3>Platform</h3><table>${platform.map(([k, v]) => html`<tr><th>${k}</th><td class="wrap">${v}</td></tr>`)}</table></div>
<div class="card"><h3>Table header</h3><table class="kv">${headerRows}</table></div>
</div></section>`;
}

/** What an IMS decision found (opt-in's conflict error) and warned of, as `dmar ims` prints under the verdict. */
function imsNotes(x: Decision): Markup | string {
  const items = [
    ...x.findings.map((f) => html`<li><span class="badge ${f.severity}">${f.severity}</span> ${f.message} <span class="muted">[${f.code}]</span></li>`),
    ...x.warnings.map((w) => html`<li><span class="badge warning">warning</span> ${w}</li>`),
  ];
  return items.length ? html`<ul class="notes">${items}</ul>` : '';
}

const VFIO: Record<DeviceView['vfio'], [string, string]> = {
  free: ['ok', 'VFIO: ok'],
  relaxable: ['warning', 'VFIO: ok, RMRR relaxable (USB/graphics)'],
  'rmrr-locked': ['error', 'RMRR-locked: VFIO refuses it'],
  'no-iommu': ['muted', 'no IOMMU'],
};

function device(d: DeviceView): Markup {
  const [cls, text] = VFIO[d.vfio];
  const how = d.match === 'endpoint' ? 'named in a scope' : d.match === 'bridge' ? 'below a named bridge' : d.match === 'include-all' ? 'INCLUDE_PCI_ALL' : '';
  return html`<li class="dev${d.vfio === 'rmrr-locked' ? ' locked' : ''}"><code>${d.address}</code> <span class="kind">${d.kind}</span> <span class="muted mono">[${d.vendor.slice(2)}:${d.device.slice(2)}]</span>${d.driver ? html` <span class="muted">driver ${printable(d.driver)}</span>` : ''}
 <span class="muted">${how}${d.viaPf ? ` (VF of ${d.physfn})` : ''}</span>${d.rmrrs.length ? html` <span class="warning">pinned by ${d.rmrrs.join(', ')}</span>` : ''} <span class="badge ${cls}">${text}</span>${d.groupLocked ? html` <span class="badge warning">group has an RMRR-locked device</span>` : ''} <span class="grp" title="predicted IOMMU group">group ${d.group}<sup>*</sup>${d.actualGroup !== undefined ? ` (Linux: ${printable(d.actualGroup)})` : ''}</span></li>`;
}

/** The most units and RMRRs the topology lists (a real table has a few dozen; a crafted one 65,000). */
const LISTED = 2048;
const more = (n: number, what: string) =>
  n > LISTED ? html`<li class="warning">and ${n - LISTED} more ${what} (<code>dmar topology</code> lists them all)</li>` : '';

function topologySection(t: Topology): Markup {
  const anySysfs = t.units.some((x) => x.sysfs);
  const byAddress = new Map(t.devices?.map((d) => [d.address, d]));
  // device scopes too, LISTED in all (a structure may hold 8,000): each list cut says how many more
  let scopesLeft = LISTED;
  const someScopes = <S>(all: readonly S[]): { shown: readonly S[]; more: Markup | string } => {
    const shown = all.slice(0, Math.max(0, scopesLeft));
    scopesLeft -= shown.length;
    const left = all.length - shown.length;
    return { shown, more: left ? html`<li class="warning">and ${left} more scopes (<code>dmar topology</code> lists them all)</li>` : '' };
  };
  const units = t.units.slice(0, LISTED).map((u) => {
    const devs = u.devices && t.devices ? u.devices.map((a) => device(byAddress.get(a)!)) : [];
    const some = someScopes(u.scopes);
    const scopes = some.shown.map(
      (s) =>
        html`<li class="scope mono">scope ${s.type} ${s.path}${s.enumerationId !== undefined ? ` id ${s.enumerationId}` : ''}${s.device ? ` -> ${s.device}` : ''}${s.missing ? html` <span class="warning">-> ${s.missing}</span>` : ''}</li>`,
    );
    return html`<li class="unit"><b>${u.structure}</b> <code>${u.registerBaseAddress}</code> segment ${u.segment}${u.includePciAll ? html` <span class="badge info">INCLUDE_PCI_ALL</span>` : ''}${u.sysfs ? html` <span class="muted">${u.sysfs}</span>` : anySysfs ? html` <span class="badge warning">no unit on the machine</span>` : ''}
<ul>${scopes}${some.more}${u.devices ? html`<li class="muted">${u.devices.length} device${u.devices.length === 1 ? '' : 's'}:</li>${devs}` : ''}</ul></li>`;
  });
  const orphans = t.devices?.filter((d) => !d.unit) ?? [];
  const rmrrs = t.rmrrs.slice(0, LISTED).map((r) => {
    const some = someScopes(r.scopes);
    return html`<li><b>${r.structure}</b> <code>${r.base}-${r.end}</code> segment ${r.segment}<ul>${some.shown.map((s) => html`<li class="mono">scope ${s.type} ${s.path}${s.device ? ` -> ${s.device}` : ''}${s.missing ? html` <span class="warning">-> ${s.missing}</span>` : ''}</li>`)}${some.more}</ul></li>`;
  });
  const shared = t.groups?.filter((g) => g.length > 1) ?? [];
  return html`<section id="topology"><h2>Topology</h2><p class="muted">${t.machine && t.devices ? `Remapping units and the PCI devices of ${termText(t.machine)} each covers, by Linux's rules.` : 'Units and RMRRs as the table states them; --machine maps them onto PCI devices.'}</p>
<ul class="tree">${units}${more(t.units.length, 'units')}</ul>${orphans.length ? html`<h3 class="warning">Not translated by any unit (${orphans.length})</h3><ul class="tree">${orphans.map(device)}</ul>` : ''}
${rmrrs.length ? html`<h3>RMRRs</h3><ul class="tree">${rmrrs}${more(t.rmrrs.length, 'RMRRs')}</ul>` : ''}
${t.groups ? html`<h3>IOMMU groups <span class="badge info">prediction</span></h3><p>${t.groups.length} groups predicted${shared.length ? html`; shared: ${shared.map((g, i) => html`${i ? '; ' : ''}<code>${g.join(' + ')}</code>`)}` : ''}. <span class="muted">* A prediction of Linux's pci_device_group, not what a kernel formed.</span></p>` : ''}
${t.notes.length ? html`<ul class="notes">${t.notes.map((n) => html`<li class="muted">${n}</li>`)}</ul>` : ''}</section>`;
}

/** What the picture left out: the shapes past LANE_DRAWN in a lane. */
function undrawn(p: ReportData['picture']): Markup | string {
  const left = (['map', 'rmrr', 'drhd'] as const)
    .map((lane) => [lane, p.shapes.filter((s) => s.lane === lane).length - LANE_DRAWN] as const)
    .filter(([, n]) => n > 0)
    .map(([lane, n]) => `${n} ${lane === 'map' ? 'memory map entries' : lane === 'rmrr' ? 'RMRRs (nor listed in the table below)' : 'DRHD register sets'}`);
  return left.length
    ? html`<p class="warning">Not drawn: ${left.join(', ')} past the first ${LANE_DRAWN} of their lane (<code>dmar map</code> lists them all).</p>`
    : '';
}

function memorySection(d: ReportData): Markup {
  const p = d.picture;
  const rmrrs = p.shapes.filter((s) => s.lane === 'rmrr');
  const legend = [
    ['k-ram', 'RAM'],
    ['k-reserved', 'reserved'],
    ['k-acpi', 'ACPI tables'],
    ['k-nvs', 'ACPI NVS'],
    ['k-other', 'other'],
    ['rmrr reserved-ok', 'RMRR, reserved'],
    ['rmrr not-reserved', 'RMRR, NOT reserved'],
    ['rmrr unknown', 'RMRR, no verdict'],
    ['drhd', 'DRHD registers'],
  ];
  return html`<section id="memory"><h2>Memory map</h2><p class="muted">Physical address space on a broken logarithmic scale (each interval's width grows with the log of its size; zigzags are gaps). Hover a shape for its addresses.</p>
<div class="svgwrap">${memorySvg(p)}</div>${undrawn(p)}
<p class="legend">${legend.map(([c, t]) => html`<span><svg width="14" height="12" aria-hidden="true"><rect class="${c}" width="14" height="12"/></svg> ${t}</span> `)}</p>
${rmrrs.length ? html`<table class="rmrrs"><tr><th>RMRR</th><th>range</th><th>size</th><th>verdict</th></tr>${rmrrs.slice(0, LANE_DRAWN).map((s) => html`<tr><td>${s.label}</td><td class="mono">${rangeText(s)}</td><td>${rangeSizeText(s)}</td><td class="${s.kind === 'not-reserved' ? 'error' : s.kind === 'reserved-ok' ? 'ok' : 'muted'}">${s.note ?? ''}${s.detail ? html`<br><span class="muted">${printable(s.detail)}</span>` : ''}</td></tr>`)}</table>` : ''}
<ul class="notes">${p.notes.map((n) => html`<li class="muted">${n}</li>`)}</ul></section>`;
}

function findingsSection(d: ReportData, items: Item[], ext: Map<Item, number>, shown: number): Markup {
  const total = d.source.bytes.length;
  // each kind's first item at each offset, once (not a search of every item per finding)
  const byOffset = new Map<string, Item>();
  for (const x of items) if ('offset' in x && !byOffset.has(`${x.kind}@${x.offset}`)) byOffset.set(`${x.kind}@${x.offset}`, x);
  const list = d.findings.slice(0, LISTED).map((f) => {
    const s = findingSpan(f, byOffset, ext, total);
    return html`<li class="finding"><span class="badge ${f.severity}">${f.severity}</span> <code>${f.id}</code>${f.proposed ? html` <span class="muted">(proposed)</span>` : ''} <span class="muted">${f.structure ?? 'table'}${f.scope !== undefined ? ` scope ${f.scope}` : ''}</span>
<div>${f.message}</div><div class="muted hint">${f.hint}</div>${s.o < shown ? html`<a class="fl" href="#${rowId(s.o)}" ${spanAttrs(s)}>${spanText(s)}</a>` : html`<span class="muted">${spanText(s)}, past the ${shown} bytes shown (<code>dmar decode --format hex</code>)</span>`}</li>`;
  });
  const rest =
    d.findings.length > LISTED ? html`<p class="warning">and ${d.findings.length - LISTED} more findings (<code>dmar validate</code> lists them all)</p>` : '';
  return html`<section id="findings"><h2>Findings (${d.findings.length})</h2>${list.length ? html`<ol class="findings">${list}</ol>${rest}` : html`<p class="ok">validate found nothing.</p>`}</section>`;
}

/**
 * The bytes section shows a table byte by byte, and its structures field by field, up to this many bytes:
 * every real DMAR table is far smaller (the 205 of the shared corpus are under 1 KiB, a large server's some KiB), and a crafted one of 1 MiB and
 * 65,000 DRHDs made a page of 140 MB no browser opens. Past it, the section says what it left out.
 */
export const BYTES_SHOWN = 16 << 10;

export function renderReport(d: ReportData): string {
  const bytes = d.source.bytes;
  const items = [...layout(d.decoded.table)];
  const ext = extents(items, bytes.length);
  const name = termText(d.source.name);
  const shown = Math.min(bytes.length, BYTES_SHOWN);
  const panelItems = shown === bytes.length ? items : items.filter((it) => ('offset' in it ? it.offset : it.kind === 'end' ? it.length : 0) < shown);
  const structures = items.filter((it) => it.kind === 'structure').length;
  const shownStructures = panelItems.filter((it) => it.kind === 'structure').length;
  const cut =
    shown < bytes.length
      ? html`<p class="warning">The table is ${bytes.length} bytes: the first ${shown} are shown here, with the ${shownStructures} of its ${structures} structures that start in them; <code>dmar decode --format hex</code> shows every byte.</p>`
      : '';
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="dmar report"><title>DMAR report: ${name}</title><style>${trusted(CSS)}</style></head>
<body><header><h1>DMAR report</h1><p class="src mono">${name}</p>
<nav><a href="#summary">Summary</a> <a href="#topology">Topology</a> <a href="#memory">Memory map</a> <a href="#findings">Findings</a> <a href="#bytes">Bytes</a></nav></header>
<main>${summary(d, items)}${topologySection(d.topology)}${memorySection(d)}${findingsSection(d, items, ext, shown)}
<section id="bytes"><h2>Decoded structures and bytes</h2><p class="muted">Click a structure or a field to see its bytes.</p>${cut}
<div class="split"><div class="structs">${structurePanel(panelItems, ext, bytes)}</div>
<div class="hexpane"><div class="sel mono" id="sel" aria-live="polite">${bytes.length} bytes</div><div class="hex mono" id="hex">${hexView(bytes.subarray(0, shown), tints(panelItems, ext, shown))}</div></div></div></section></main>
<script>${trusted(SCRIPT)}</script></body></html>
`;
  return page.text;
}
