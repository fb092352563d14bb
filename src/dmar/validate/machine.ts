/**
 * Checks against the machine the table describes (`--machine DIR|live`, or a boot
 * log's memory map with `--dmesg`): its memory map, PCI tree, IOMMU units, MADT
 * and HPET. Each runs only when the context it needs is there; the CLI says which
 * were skipped and why.
 */
import { bitByKey, bitValue } from '../../acpi/fields.js';
import { listSome } from '../../acpi/escape.js';
import { hex } from '../../acpi/hex.js';
import { HPET_SIGNATURE, hpetInfo, type HpetInfo } from '../../acpi/hpet.js';
import { rmrrRuleFor, rmrrVerdict, verdictText } from '../../machine/memmap.js';
import { linuxChecksScopes, resolveScope, scopeTypeMismatch } from '../../machine/scope.js';
import { unitCapabilities, ALL_ONES } from '../../machine/vtd-regs.js';
import type { PciTree } from '../../machine/pci.js';
import type { IommuUnit } from '../../machine/types.js';
import { big, num, scopePath, type Structure } from '../model.js';
import { DMAR_FIELDS, fieldByKey, includePciAll, STRUCT_TYPE } from '../schema.js';
import { defineCheck, SCOPE, type Check, type Context } from './check.js';

const FLAGS = fieldByKey(DMAR_FIELDS, 'flags');
const INTR_REMAP = bitByKey(FLAGS, 'INTR_REMAP');
const X2APIC_OPT_OUT = bitByKey(FLAGS, 'X2APIC_OPT_OUT');
const flag = (ctx: Context, b: typeof INTR_REMAP) => bitValue(num(ctx.table.fields, 'flags'), b) === 1;

/** The structures whose scopes name PCI devices (Linux resolves DRHD, RMRR, ATSR, SATC scopes). */
const PCI_SCOPED = [STRUCT_TYPE.DRHD, STRUCT_TYPE.RMRR, STRUCT_TYPE.ATSR, STRUCT_TYPE.SATC, STRUCT_TYPE.SIDP];

function pciScopes(ctx: Context) {
  const tree = ctx.machine?.pci;
  if (!tree) return [];
  return ctx
    .scopes(PCI_SCOPED.flatMap((t) => [...ctx.of(t)]))
    .filter(({ sc }) => sc.fields.type === SCOPE.ENDPOINT || sc.fields.type === SCOPE.BRIDGE)
    .map((x) => ({ ...x, r: resolveScope(tree, num(x.l.s.fields, 'segment'), num(x.sc.fields, 'bus'), x.sc.path) }));
}

/** dmar_validate_one_drhd / map_iommu: a unit whose CAP and ECAP both read all ones fails the whole table. */
/** The HPETs HPET scopes are judged against: an acpidump's HPET table (as its MADT is the one cross-checked), else the machine's (--machine). */
export function hpetsOf(ctx: {
  machine?: { hpets?: readonly HpetInfo[] };
  tables?: readonly { signature: string; bytes: Uint8Array }[];
}): readonly HpetInfo[] | undefined {
  const t = ctx.tables?.find((x) => x.signature === HPET_SIGNATURE);
  const h = t && hpetInfo(t.bytes);
  return h ? [h] : ctx.machine?.hpets;
}

const linuxRejectsUnit = (u: IommuUnit) => u.cap === ALL_ONES && u.ecap === ALL_ONES;

/**
 * init_no_remapping_devices(): a DRHD without INCLUDE_PCI_ALL none of whose PCI (Endpoint, Bridge) scopes
 * names a device present is ignored (no /sys/class/iommu entry). Namespace scopes are taken as present.
 */
function linuxIgnoresUnit(s: Structure, tree: PciTree): boolean {
  if (includePciAll(s)) return false;
  const segment = num(s.fields, 'segment');
  for (const sc of s.scopes ?? []) {
    const type = num(sc.fields, 'type');
    if (type === SCOPE.NAMESPACE) return false;
    if ((type === SCOPE.ENDPOINT || type === SCOPE.BRIDGE) && resolveScope(tree, segment, num(sc.fields, 'bus'), sc.path).device) return false;
  }
  return true;
}

/** DRHDs with their register base, and the machine's units. */
function unitsAndDrhds(ctx: Context) {
  const drhds = ctx.of(STRUCT_TYPE.DRHD).map((l) => ({ l, base: big(l.s.fields, 'registerBaseAddress') }));
  return { drhds, units: ctx.machine?.units ?? [] };
}

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-RMRR-NOT-RESERVED',
    severity: 'error',
    source: ['Linux', 'VT-d spec'],
    needs: 'memory map',
    description: "an RMRR is not reserved in the machine's memory map, by Linux's rule (arch_rmrr_sanity_check, after the kernel's own edits of the map)",
    hint: 'Linux: "[Firmware Bug]: No firmware reserved region can cover this RMRR" and "Your BIOS is broken; bad RMRR" (kernel tainted); VT-d 8.4: report the RMRR range as reserved (E820 type 2) in the memory map',
    run(ctx, report) {
      const map = ctx.machine?.memoryMap;
      if (!map) return;
      const rule = rmrrRuleFor(ctx.machine?.kernel);
      if (!rule) return; // before 5.5 Linux did not check; the CLI notes it
      for (const l of ctx.of(STRUCT_TYPE.RMRR)) {
        const base = big(l.s.fields, 'baseAddress');
        const limit = big(l.s.fields, 'endAddress');
        if (limit < base) continue; // DMAR-RMRR-RANGE
        const edits = ctx.machine?.e820Edits ?? [];
        const v = rmrrVerdict(map, base, limit, rule, edits);
        if (v.ok) continue;
        const what = verdictText(v);
        report({
          offset: ctx.at(l, 'baseAddress'),
          structure: l.index,
          message: `RMRR [${hex(base, 16)}-${hex(limit, 16)}] is not reserved: ${what} (map: ${map.source}, with the kernel's first-page and 640K-1M edits${edits.length ? ` and the ${edits.length} e820 edit${edits.length === 1 ? '' : 's'} the log shows` : ''}; rule: ${rule.text}${ctx.machine?.kernel ? `, kernel ${ctx.machine.kernel.release}` : ', kernel unknown'})`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-DEVICE-ABSENT',
    severity: 'warning',
    source: ['fwts'],
    needs: 'PCI tree',
    description: "a PCI device scope names no device of the machine's PCI tree (fwts DevScopeDevNotFound; Linux ignores the scope)",
    hint: 'remove the scope of a device the platform does not have (or that firmware hid), or fix its start bus and path',
    run(ctx, report) {
      for (const { l, sc, j, r } of pciScopes(ctx)) {
        // a bridge whose config space is unusable: the machine's gap, not the table's (the notes say so)
        if (!r.missing || r.missing.why === 'config-unusable') continue;
        const why =
          r.missing.why === 'absent'
            ? `no device ${r.missing.address}`
            : r.missing.why === 'not-root-bus'
              ? `the path starts below a bridge (${r.missing.address} is not on a root bus), and Linux matches paths of several hops only from the root bus`
              : `${r.missing.address} (hop ${r.missing.hop + 1}) is not a bridge`;
        report({
          offset: ctx.scopeAt(sc, 'bus'),
          structure: l.index,
          scope: j,
          message: `scope ${scopePath(sc)} names no device: ${why} (${ctx.machine!.source})`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-PATH-WORKAROUND',
    severity: 'warning',
    source: ['Linux'],
    needs: 'PCI tree',
    description: 'a one-hop PCI path starts at the bus of a device below a bridge instead of the root bus: Linux matches it only through a workaround',
    hint: 'Linux: FW_BUG "RMRR entry for device BB:DD.F is broken - applying workaround": start the path at the root bus and list every bridge down to the device',
    run(ctx, report) {
      for (const { l, sc, j, r } of pciScopes(ctx)) {
        if (r.device && r.workaround)
          report({
            offset: ctx.scopeAt(sc, 'bus'),
            structure: l.index,
            scope: j,
            message: `scope ${scopePath(sc)} names ${r.device.address}, which is below a bridge: the path should start at the root bus`,
          });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-TYPE-MISMATCH',
    severity: 'error',
    source: ['Linux', 'fwts'],
    needs: 'PCI tree',
    description:
      'an Endpoint scope names a bridge, or a Bridge scope a normal device that is not of the bridge class, in a structure whose scopes Linux matches: not an INCLUDE_PCI_ALL DRHD, an ALL_PORTS ATSR or a SIDP (Linux "Device scope type does not match"; fwts DevScopeTypeNoMatch)',
    hint: 'Linux then fails its device scope setup and leaves DMA remapping off altogether; use scope type 2 (PCI Bridge Device) for bridges and root ports, type 1 (PCI Endpoint Device) for header type 0 devices',
    run(ctx, report) {
      for (const { l, sc, j, r } of pciScopes(ctx)) {
        const d = r.device;
        const type = num(sc.fields, 'type');
        // where Linux checks: not an INCLUDE_PCI_ALL DRHD's scopes, an ALL_PORTS ATSR's, a SIDP's
        if (!d || !linuxChecksScopes(l.s) || !scopeTypeMismatch(type, d)) continue;
        report({
          offset: ctx.scopeAt(sc, 'type'),
          structure: l.index,
          scope: j,
          message: `${type === SCOPE.ENDPOINT ? 'Endpoint' : 'Bridge'} scope ${scopePath(sc)} names ${d.address}, header type ${d.headerType} (${d.headerType === 0 ? 'a normal device' : 'a bridge'})`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-HPET-UNKNOWN',
    severity: 'warning',
    source: ['Linux'],
    needs: 'HPET',
    description: "a DRHD HPET scope names an HPET number the machine's HPET table (or an acpidump's) does not have",
    hint: 'the Enumeration ID of an HPET scope is the HPET Number of the ACPI HPET table (Linux hpet_blockid); without a match MSI-capable HPET interrupts are not remapped',
    run(ctx, report) {
      const hpets = hpetsOf(ctx);
      if (!hpets) return;
      const ids = new Set(hpets.map((h) => h.number));
      for (const { l, sc, j } of ctx.scopes(ctx.of(STRUCT_TYPE.DRHD))) {
        if (sc.fields.type !== SCOPE.HPET) continue;
        const id = num(sc.fields, 'enumerationId');
        if (!ids.has(id))
          report({
            offset: ctx.scopeAt(sc, 'enumerationId'),
            structure: l.index,
            scope: j,
            message: `HPET ${id} is not the machine's (its HPET table has number ${[...ids].join(', ')})`,
          });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-UNIT-NOT-IN-TABLE',
    severity: 'error',
    source: ['dmar'],
    needs: 'IOMMU units',
    description: 'a remapping unit of the machine (/sys/class/iommu/dmarN) has a register base no DRHD of this table names',
    hint: "the table validated is not the one the machine booted with, or firmware changed it: validate the machine's own table (dmar validate --machine DIR with no file)",
    run(ctx, report) {
      const { drhds, units } = unitsAndDrhds(ctx);
      const bases = new Set(drhds.map((d) => d.base));
      let has: string | undefined; // the table's bases, made once and only when a unit is missing from them
      for (const u of units) {
        if (u.address !== undefined && !bases.has(u.address)) {
          has ??= listSome([...bases].map((b) => hex(b))) || 'none';
          report({ offset: 0, message: `${u.name} at ${hex(u.address)} is no DRHD of this table (it has ${has})` });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-UNIT-MISSING',
    severity: 'warning',
    source: ['Linux'],
    needs: 'IOMMU units',
    description:
      "a DRHD has no remapping unit on the machine while others do (a unit Linux ignores, none of its scope's devices present, is not one; nor are a table's units when one reads all ones: DMAR-UNIT-REGS-ALL-ONES)",
    hint: 'Linux did not set the unit up: a second DRHD at the same address (DMAR-DRHD-DUPLICATE), a register set it could not map, or a graphics-only unit with intel_iommu=igfx_off; or the table is not the one the machine booted with',
    run(ctx, report) {
      const { drhds, units } = unitsAndDrhds(ctx);
      if (!units.length || units.some(linuxRejectsUnit)) return;
      const have = new Set(units.map((u) => u.address));
      const tree = ctx.machine?.pci;
      let has: string | undefined; // the machine's units, made once and only when a DRHD is missing from them
      for (const d of drhds) {
        if (tree && linuxIgnoresUnit(d.l.s, tree)) continue;
        if (!have.has(d.base)) {
          has ??= listSome(units.map((u) => `${u.name} ${u.address === undefined ? '?' : hex(u.address)}`));
          report({
            offset: ctx.at(d.l, 'registerBaseAddress'),
            structure: d.l.index,
            message: `no dmar unit at ${hex(d.base)} on the machine (it has ${has})`,
          });
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-UNIT-REGS-ALL-ONES',
    severity: 'error',
    source: ['Linux'],
    needs: 'IOMMU units',
    description: "a remapping unit's CAP and ECAP registers both read all ones (nothing answers at the register base)",
    hint: 'Linux: "Your BIOS is broken; DMAR reported at address ... returns all ones!" and rejects the whole table: no DMA remapping and no interrupt remapping; give the DRHD the register base of an enabled unit, or drop it',
    run(ctx, report) {
      const { drhds, units } = unitsAndDrhds(ctx);
      let byBase: Map<bigint, (typeof drhds)[number]> | undefined;
      for (const u of units) {
        if (!linuxRejectsUnit(u)) continue;
        byBase ??= new Map([...drhds].reverse().map((x) => [x.base, x]));
        const d = u.address === undefined ? undefined : byBase.get(u.address);
        report({
          offset: d ? ctx.at(d.l, 'registerBaseAddress') : 0,
          structure: d?.l.index,
          message: `${u.name}${u.address === undefined ? '' : ` at ${hex(u.address)}`}: CAP and ECAP read ${hex(ALL_ONES)}`,
        });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-FLAGS-INTR-REMAP-UNSUPPORTED',
    severity: 'error',
    source: ['VT-d spec', 'Linux'],
    needs: 'IOMMU units',
    description: 'Flags INTR_REMAP is set but a remapping unit does not support interrupt remapping (ECAP.IR clear)',
    hint: 'VT-d 8.1: set INTR_REMAP only when every unit supports interrupt remapping; Linux leaves IR off when a unit lacks it',
    run(ctx, report) {
      if (!flag(ctx, INTR_REMAP)) return;
      for (const u of ctx.machine?.units ?? []) {
        if (u.cap === undefined || u.ecap === undefined || u.ecap === ALL_ONES) continue;
        if (!unitCapabilities(u.cap, u.ecap).interruptRemapping)
          report({ offset: FLAGS.offset, message: `INTR_REMAP set, but ${u.name} ECAP ${hex(u.ecap)} has IR clear` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-FLAGS-INTR-REMAP-CLEAR',
    severity: 'info',
    source: ['VT-d spec', 'Linux'],
    needs: 'IOMMU units',
    description: 'every remapping unit supports interrupt remapping (ECAP.IR) but Flags INTR_REMAP is clear: the OS will not remap interrupts',
    hint: 'VT-d 8.1: INTR_REMAP tells the OS the platform supports interrupt remapping; Linux keeps it off (dmar_ir_support() is false, and it prints no message of its own), and with it x2APIC above 255 CPUs',
    run(ctx, report) {
      const units = (ctx.machine?.units ?? []).filter((u) => u.cap !== undefined && u.ecap !== undefined && u.ecap !== ALL_ONES);
      if (!units.length || flag(ctx, INTR_REMAP)) return;
      if (units.every((u) => unitCapabilities(u.cap!, u.ecap!).interruptRemapping)) {
        report({ offset: FLAGS.offset, message: `INTR_REMAP clear, while ${units.map((u) => u.name).join(', ')} support interrupt remapping (ECAP.IR)` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-FLAGS-X2APIC-NO-EIM',
    severity: 'warning',
    source: ['VT-d spec', 'Linux'],
    needs: 'IOMMU units',
    description:
      'INTR_REMAP set and X2APIC_OPT_OUT clear, but a remapping unit lacks Extended Interrupt Mode (ECAP.EIM): x2APIC cannot be enabled through interrupt remapping',
    hint: 'VT-d 8.1: set X2APIC_OPT_OUT when the platform cannot run x2APIC mode; Linux prints "<unit> does not support EIM" and stays in xAPIC mode',
    run(ctx, report) {
      if (!flag(ctx, INTR_REMAP) || flag(ctx, X2APIC_OPT_OUT)) return;
      for (const u of ctx.machine?.units ?? []) {
        if (u.cap === undefined || u.ecap === undefined || u.ecap === ALL_ONES) continue;
        const c = unitCapabilities(u.cap, u.ecap);
        if (c.interruptRemapping && !c.extendedInterruptMode)
          report({ offset: FLAGS.offset, message: `${u.name} ECAP ${hex(u.ecap)}: IR set, EIM clear; X2APIC_OPT_OUT is clear` });
      }
    },
  }),
];
