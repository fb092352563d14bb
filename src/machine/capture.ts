/**
 * `dmar capture`: copy from a machine root (the live `/` by default) every file
 * the machine-context readers use into DIR/root/, the kernel log into
 * DIR/dmesg.txt, and say in DIR/manifest.json what was read, what was not and why.
 * The capture is built in a temporary directory beside DIR and renamed into place,
 * so DIR is either absent or complete. Nothing here throws for an unreadable
 * source file: that is a manifest entry.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { release, removeOnSignal, resolveTarget, shortName } from '../io/write.js';
import { inputText } from '../acpi/escape.js';

export const CAPTURE_FORMAT = 'dmar-capture/1';

export type ItemStatus = 'ok' | 'absent' | 'denied' | 'error';

export interface ManifestItem {
  /** What it is: "DMAR table", "PCI 0000:00:1f.0 config space", ... */
  item: string;
  /** The live path it was read from (relative to the root, with a leading /). */
  path: string;
  status: ItemStatus;
  /** Why it is not ok, or a remark on a partial read (e.g. config space limited to 64 bytes). */
  reason?: string;
  bytes?: number;
}

export interface Manifest {
  format: typeof CAPTURE_FORMAT;
  tool: string;
  created: string;
  /** Effective user id of the capturing process (0: root). */
  euid: number | null;
  /** Headline facts, for a reader of the manifest. */
  summary: { dmar: boolean; kernelRelease?: string; pciDevices: number; iommuUnits: number; kernelLog: ItemStatus };
  /** Files deliberately not copied, and why. */
  omitted: string[];
  items: ManifestItem[];
}

function whyNot(e: unknown): { status: ItemStatus; reason: string } {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'absent', reason: 'not on this machine' };
  if (code === 'EACCES' || code === 'EPERM') return { status: 'denied', reason: 'permission denied (run as root for it)' };
  return { status: 'error', reason: (e as Error).message ?? String(e) };
}

/** The most bytes copied from one file (the largest are ACPI tables and the SMBIOS table, well under it). */
const MAX_FILE = 64 << 20;

/**
 * A file's bytes, read to its end (sysfs and procfs files give no size), when
 * it is a regular file of no more than MAX_FILE bytes. A FIFO or device put in
 * its place (a capture of a capture, through DMAR_ROOT) is refused, never waited on.
 */
function readRegular(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      total += n;
      if (total > MAX_FILE) throw Object.assign(new Error(`larger than ${MAX_FILE >> 20} MiB`), { code: 'EFBIG' });
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Serial numbers and UUIDs: a capture is meant to be attached to bug reports. */
const PRIVATE_DMI = new Set(['product_serial', 'board_serial', 'chassis_serial', 'product_uuid', 'board_asset_tag', 'chassis_asset_tag']);
/** PCI device files copied (besides config and the links). */
const PCI_FILES = [
  'vendor',
  'device',
  'class',
  'revision',
  'subsystem_vendor',
  'subsystem_device',
  'sriov_totalvfs',
  'sriov_numvfs',
  'sriov_offset',
  'sriov_stride',
  'ari_enabled',
];
const PCI_LINKS = ['driver', 'physfn', 'iommu_group'];
const ACPI_TABLES: [string, string][] = [
  ['DMAR', 'DMAR table'],
  ['APIC', 'MADT (APIC) table'],
  ['MCFG', 'MCFG table'],
  ['HPET', 'HPET table'],
];

export interface CaptureOptions {
  /** Machine root to read (default '/'). */
  root: string;
  /** Directory to create. */
  out: string;
  tool: string;
  /** Read the kernel log (/dev/kmsg, else `dmesg`); tests turn it off or point it elsewhere. */
  kernelLog?: boolean;
}

class Capture {
  readonly items: ManifestItem[] = [];
  constructor(
    readonly root: string,
    readonly dest: string,
  ) {}

  private destOf(rel: string): string {
    return join(this.dest, 'root', rel);
  }

  /** Copy one file; returns its bytes when it was read. */
  file(rel: string, item: string, opts: { quiet?: boolean; note?: (b: Buffer) => string | undefined } = {}): Buffer | undefined {
    let data: Buffer;
    try {
      data = readRegular(join(this.root, rel));
    } catch (e) {
      if (!opts.quiet) this.items.push({ item, path: '/' + rel, ...whyNot(e) });
      return undefined;
    }
    const to = this.destOf(rel);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, data);
    const entry: ManifestItem = { item, path: '/' + rel, status: 'ok', bytes: data.length };
    const note = opts.note?.(data);
    if (note) entry.reason = note;
    this.items.push(entry);
    return data;
  }

  /**
   * A symlink becomes a small file holding its target text (readers take its last
   * component): a capture holds no dangling links, so it survives tar, zip and tools
   * that walk it.
   */
  link(rel: string, item: string): string | undefined {
    let target: string;
    try {
      const st = lstatSync(join(this.root, rel));
      // a capture's link is already a small file: copy it as it is
      if (st.isFile()) {
        const b = this.file(rel, item);
        return b && inputText(b).trim();
      }
      if (!st.isSymbolicLink()) return undefined;
      target = readlinkSync(join(this.root, rel));
    } catch {
      return undefined;
    }
    const to = this.destOf(rel);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, target + '\n');
    this.items.push({ item, path: '/' + rel, status: 'ok' });
    return target;
  }

  list(rel: string, item: string): string[] | undefined {
    try {
      return readdirSync(join(this.root, rel)).sort();
    } catch (e) {
      this.items.push({ item, path: '/' + rel, ...whyNot(e) });
      return undefined;
    }
  }
}

/** /proc/iomem read by a user shows every address as 0. */
function iomemNote(b: Buffer): string | undefined {
  const lines = b
    .toString('latin1')
    .split('\n')
    .filter((l) => l.trim());
  return lines.length && lines.every((l) => /^\s*0+-0+ :/.test(l)) ? 'addresses read as 0 (not root)' : undefined;
}

function configNote(b: Buffer): string | undefined {
  return b.length <= 64 ? `only ${b.length} bytes readable (not root): no extended capabilities (ACS)` : undefined;
}

/**
 * A record's text as printk gave it: /dev/kmsg writes each byte below 0x20, from 0x7f up, and the backslash
 * as `\xNN` (a tab, a newline inside one printk, UTF-8), which dmesg turns back into the bytes.
 */
function unescapeKmsg(text: string): string {
  if (!text.includes('\\x')) return text;
  const bytes = text.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * One /dev/kmsg record "prio,seq,usec,flags;text" -> dmesg's "[  sec.usec] text": its escapes undone, and a
 * text of several lines (a 3.x DMA fault's reason, printed in the same printk) one line each, the later
 * ones indented under the first's text, as dmesg prints them.
 */
export function kmsgLine(record: string): string | undefined {
  const first = record.split('\n')[0]!;
  const semi = first.indexOf(';');
  if (semi < 0) return undefined;
  const head = first.slice(0, semi).split(',');
  const usec = Number(head[2]);
  const lines = unescapeKmsg(first.slice(semi + 1)).split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  if (!Number.isFinite(usec)) return lines.join('\n');
  const s = Math.floor(usec / 1e6);
  const frac = String(usec % 1e6).padStart(6, '0');
  const stamp = `[${String(s).padStart(5, ' ')}.${frac}]`;
  const indent = ' '.repeat(stamp.length + 1);
  return lines.map((l, i) => (i ? indent : `${stamp} `) + l).join('\n');
}

/** Every record /dev/kmsg holds now, read without blocking; throws like open() when it cannot be read. */
function readKmsg(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const out: string[] = [];
  const buf = Buffer.alloc(16384);
  try {
    for (let guard = 0; guard < 1_000_000; guard++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        if (code === 'EPIPE') continue; // records overwritten while reading: go on with the next
        throw e;
      }
      if (n <= 0) break;
      const line = kmsgLine(buf.subarray(0, n).toString('utf8'));
      if (line !== undefined) out.push(line);
    }
  } finally {
    closeSync(fd);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

function kernelLog(c: Capture, root: string): ItemStatus {
  const dest = join(c.dest, 'dmesg.txt');
  let kmsgWhy: { status: ItemStatus; reason: string };
  try {
    const log = readKmsg(join(root, 'dev/kmsg'));
    writeFileSync(dest, log);
    c.items.push({ item: 'kernel log', path: '/dev/kmsg', status: 'ok', bytes: Buffer.byteLength(log) });
    return 'ok';
  } catch (e) {
    kmsgWhy = whyNot(e);
  }
  if (root === '/') {
    try {
      const log = execFileSync('dmesg', [], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
      writeFileSync(dest, log);
      c.items.push({ item: 'kernel log', path: 'dmesg', status: 'ok', bytes: Buffer.byteLength(log), reason: `/dev/kmsg: ${kmsgWhy.reason}` });
      return 'ok';
    } catch (e) {
      const err = e as { stderr?: string; code?: string };
      const denied = /permitted|denied/i.test(err.stderr ?? '') || kmsgWhy.status === 'denied';
      const status: ItemStatus = denied ? 'denied' : err.code === 'ENOENT' ? kmsgWhy.status : 'error';
      c.items.push({
        item: 'kernel log',
        path: '/dev/kmsg',
        status,
        reason: `/dev/kmsg: ${kmsgWhy.reason}; dmesg: ${(err.stderr ?? (e as Error).message).trim().split('\n')[0]}`,
      });
      return status;
    }
  }
  c.items.push({ item: 'kernel log', path: '/dev/kmsg', ...kmsgWhy });
  return kmsgWhy.status;
}

/**
 * A turn of the event loop: a SIGINT, SIGTERM or SIGHUP that came meanwhile
 * runs its listener (removeOnSignal), which removes the unfinished capture and
 * exits, instead of waiting for the whole capture.
 */
const turn = () => new Promise<void>((r) => setImmediate(r));
/** PCI devices captured between turns (each is some 15 files: a server of 2,000 functions takes a second or two). */
const DEVICES_PER_TURN = 16;

async function pciDevices(c: Capture): Promise<number> {
  const base = 'sys/bus/pci/devices';
  const names = c.list(base, 'PCI devices');
  if (!names) return 0;
  let n = 0;
  for (const name of names) {
    if (!/^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(name)) continue;
    if (n % DEVICES_PER_TURN === DEVICES_PER_TURN - 1) await turn();
    const dir = `${base}/${name}`;
    for (const f of PCI_FILES) c.file(`${dir}/${f}`, `PCI ${name} ${f}`, { quiet: true });
    c.file(`${dir}/config`, `PCI ${name} config space`, { note: configNote });
    // listed, then gone before anything of it was read (hot-unplugged, a VF of an sriov_numvfs change): no
    // device of this machine any more, and no empty directory left to read as a damaged one
    if (!existsSync(join(c.dest, 'root', dir)) && !existsSync(join(c.root, dir))) {
      c.items.push({ item: `PCI ${name}`, path: `/${dir}`, status: 'absent', reason: 'removed while the capture ran' });
      continue;
    }
    n++;
    mkdirSync(join(c.dest, 'root', dir), { recursive: true });
    for (const l of PCI_LINKS) c.link(`${dir}/${l}`, `PCI ${name} ${l} link`);
    let entries: string[] = [];
    try {
      entries = readdirSync(join(c.root, dir));
    } catch {
      // listed above as unreadable config at worst
    }
    for (const e of entries.filter((x) => /^virtfn\d+$/.test(x))) c.link(`${dir}/${e}`, `PCI ${name} ${e} link`);
  }
  return n;
}

function iommuUnits(c: Capture): number {
  const base = 'sys/class/iommu';
  let names: string[];
  try {
    names = readdirSync(join(c.root, base))
      .filter((x) => /^dmar\d+$/.test(x))
      .sort();
  } catch (e) {
    c.items.push({ item: 'IOMMU units', path: '/' + base, ...whyNot(e) });
    return 0;
  }
  // the class directory, empty or not: a reader tells "none registered" from "not known" by it
  mkdirSync(join(c.dest, 'root', base), { recursive: true });
  if (!names.length)
    c.items.push({
      item: 'IOMMU units',
      path: `/${base}/dmar*`,
      status: 'absent',
      reason: 'no Intel IOMMU unit registered (no DMAR table, or intel_iommu off)',
    });
  for (const u of names) for (const f of ['address', 'cap', 'ecap', 'version']) c.file(`${base}/${u}/intel-iommu/${f}`, `${u} ${f}`);
  return names.length;
}

/** rename(2), where another capture that got there first is told as such (not "ENOTEMPTY: ... rename"). */
function moveInto(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw Object.assign(new Error('already exists and is not empty'), { code: 'EEXIST' });
    throw e;
  }
}

/**
 * Write the capture; resolves to the manifest. Rejects only when DIR cannot be
 * created. Between items it gives the event loop a turn, so that a signal
 * ends it at once, leaving no capture (not a whole one after the wait).
 */
export async function capture(opts: CaptureOptions): Promise<Manifest> {
  // through symlinks, as -o writes elsewhere: the link stays, the directory it names gets the capture
  const out = resolveTarget(resolve(opts.out));
  const parent = dirname(out);
  let old: Stats | undefined;
  try {
    old = statSync(out);
  } catch {
    // a new directory
  }
  if (old && !old.isDirectory()) throw Object.assign(new Error('exists and is not a directory'), { code: 'EEXIST' });
  if (old && readdirSync(out).length) throw Object.assign(new Error('already exists and is not empty'), { code: 'EEXIST' });
  // An empty DIR is filled, not replaced: it keeps its inode (a shell in it stays in it, a mount point stays
  // one), owner and mode, and its parent need not be writable. The capture is built in a hidden directory
  // inside it and moved in entry by entry, the manifest last: a reader sees a capture only once it is whole.
  // A new DIR is built beside it and renamed into place.
  const inside = old !== undefined;
  // an empty DIR of this user's that it may not write (mode 0555): writable while filled, its mode given back after
  const unlock = inside && typeof process.geteuid === 'function' && old!.uid === process.geteuid() && (old!.mode & 0o200) === 0;
  if (unlock) chmodSync(out, (old!.mode & 0o7777) | 0o700);
  let tmp: string;
  try {
    tmp = mkdtempSync(inside ? join(out, '.dmar-tmp-') : join(parent, `.${shortName(basename(out))}.dmar-tmp-`));
  } catch (e) {
    if (unlock) chmodSync(out, old!.mode & 0o7777);
    throw e;
  }
  // a SIGINT, SIGTERM or SIGHUP removes it, at the next turn of the event loop (the output is whole, or absent, or empty as it was)
  removeOnSignal(tmp, unlock ? () => chmodSync(out, old!.mode & 0o7777) : undefined);
  const moved: string[] = [];
  try {
    const c = new Capture(opts.root, tmp);
    mkdirSync(join(tmp, 'root'), { recursive: true });
    const tables = 'sys/firmware/acpi/tables';
    let dmar = false;
    for (const [sig, item] of ACPI_TABLES) {
      const b = c.file(`${tables}/${sig}`, item);
      if (sig === 'DMAR' && b) dmar = true;
    }
    await turn();
    const memmap = c.list('sys/firmware/memmap', 'firmware memory map');
    for (const e of memmap ?? []) {
      if (!/^\d+$/.test(e)) continue;
      for (const f of ['start', 'end', 'type']) c.file(`sys/firmware/memmap/${e}/${f}`, `memory map entry ${e} ${f}`);
    }
    c.file('proc/iomem', 'I/O memory map', { note: iomemNote });
    c.file('proc/cpuinfo', 'CPU information (hypervisor flag)');
    c.file('proc/cmdline', 'kernel command line');
    const rel = c.file('proc/sys/kernel/osrelease', 'kernel release');
    c.file('proc/version', 'kernel version line');
    const dmi = c.list('sys/class/dmi/id', 'DMI identification');
    for (const f of dmi ?? []) {
      if (PRIVATE_DMI.has(f) || f === 'uevent' || f === 'modalias') continue;
      try {
        if (!statSync(join(opts.root, 'sys/class/dmi/id', f)).isFile()) continue;
      } catch {
        continue;
      }
      c.file(`sys/class/dmi/id/${f}`, `DMI ${f}`);
    }
    c.file('sys/firmware/dmi/tables/DMI', 'SMBIOS tables');
    c.file('sys/firmware/dmi/tables/smbios_entry_point', 'SMBIOS entry point');
    await turn();
    const pci = await pciDevices(c);
    const units = iommuUnits(c);
    await turn();
    const log: ItemStatus = opts.kernelLog === false ? 'absent' : kernelLog(c, opts.root);
    await turn();
    if (opts.kernelLog === false) c.items.push({ item: 'kernel log', path: '/dev/kmsg', status: 'absent', reason: 'not requested' });
    const manifest: Manifest = {
      format: CAPTURE_FORMAT,
      tool: opts.tool,
      created: new Date().toISOString(),
      euid: typeof process.geteuid === 'function' ? process.geteuid() : null,
      summary: { dmar, ...(rel ? { kernelRelease: inputText(rel).trim() } : {}), pciDevices: pci, iommuUnits: units, kernelLog: log },
      omitted: [`/sys/class/dmi/id/{${[...PRIVATE_DMI].join(',')}}: serial numbers and UUIDs (a capture is meant to be shared)`],
      items: c.items,
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    if (inside) {
      for (const name of [...readdirSync(tmp).filter((n) => n !== 'manifest.json'), 'manifest.json']) {
        moveInto(join(tmp, name), join(out, name));
        moved.push(join(out, name));
      }
      rmSync(tmp, { recursive: true, force: true });
    } else {
      // mkdtemp made it 0700, writable while filling it; now a new directory's usual mode
      chmodSync(tmp, 0o777 & ~process.umask());
      moveInto(tmp, out);
    }
    return manifest;
  } catch (e) {
    for (const p of moved) rmSync(p, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    if (unlock) chmodSync(out, old!.mode & 0o7777);
    release(tmp, false);
  }
}
