/** Device scopes: type, path, which types make sense in which structure, empty scope lists. */
import { bitByKey, bitValue } from '../../acpi/fields.js';
import { num, scopePath } from '../model.js';
import {
  fieldByKey,
  includePciAll,
  PATH_ENTRY_SIZE,
  PATH_FIELDS,
  SCOPE_FIELDS,
  SCOPE_HEADER_SIZE,
  SCOPE_TYPE_NAMES,
  SUBTABLE_HEADER_FIELDS,
  STRUCT_TYPE,
} from '../schema.js';
import { defineCheck, scopeTypeName, type Check, type Located } from './check.js';
import { reservedOf } from './fields.js';

const FLAGS = fieldByKey(SCOPE_FIELDS, 'flags');
const SUB_LENGTH = fieldByKey(SUBTABLE_HEADER_FIELDS, 'length');
const DEVICE = fieldByKey(PATH_FIELDS, 'device');
const FUNCTION = fieldByKey(PATH_FIELDS, 'function');
/** PCI: 32 devices of 8 functions on a bus. */
const MAX_DEVICE = 31;
const MAX_FUNCTION = 7;

const flagBit = (l: Located, name: string) => {
  const row = fieldByKey(l.def.fields, 'flags');
  return bitValue(num(l.s.fields, row.key), bitByKey(row, name)) === 1;
};

/** Structures whose device list may legitimately be empty: a unit or ATSR that covers everything. */
function mayBeEmpty(l: Located): boolean {
  if (l.s.type === STRUCT_TYPE.DRHD) return includePciAll(l.s);
  if (l.s.type === STRUCT_TYPE.ATSR) return flagBit(l, 'ALL_PORTS');
  return false;
}

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-SCOPE-TYPE-UNKNOWN',
    severity: 'warning',
    source: ['Linux'],
    description: 'a Device Scope Type is reserved (0, or 6 and above)',
    hint: 'Linux: "Unsupported device scope", the entry is ignored; types are 1 endpoint, 2 bridge, 3 IOAPIC, 4 HPET, 5 namespace',
    run(ctx, report) {
      const scopes = ctx.scopes();
      for (let i = 0; i < scopes.length; i++) {
        const { l, sc, j } = scopes[i]!;
        const t = sc.fields.type as number;
        if (!(t in SCOPE_TYPE_NAMES)) report({ offset: ctx.scopeAt(sc, 'type'), structure: l.index, scope: j, message: `Device Scope Type ${t} is reserved` });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-TYPE-PLACEMENT',
    severity: 'error',
    source: ['VT-d spec'],
    description: 'a device scope type that makes no sense in its structure (e.g. an endpoint in an ATSR, an IOAPIC in an RMRR)',
    hint: 'ATSR lists root ports (PCI sub-hierarchies); SATC lists endpoints; SIDP endpoints and namespace devices; RMRR the devices using the region',
    run(ctx, report) {
      const all = ctx.all();
      for (let i = 0; i < all.length; i++) {
        const l = all[i]!;
        const allowed = l.def.scopeTypes;
        const scopes = l.s.scopes;
        if (!allowed || !scopes) continue;
        for (let j = 0; j < scopes.length; j++) {
          const sc = scopes[j]!;
          const t = sc.fields.type as number;
          if (t in SCOPE_TYPE_NAMES && !allowed.includes(t)) {
            report({ offset: ctx.scopeAt(sc, 'type'), structure: l.index, scope: j, message: `${scopeTypeName(t)} scope in ${l.def.abbrev}` });
          }
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-EMPTY-PATH',
    severity: 'error',
    source: ['fwts', 'VT-d spec'],
    description: 'a device scope has no PCI Path entry (Entry Length 6; fwts InvalidDevScope)',
    hint: 'every device scope names its device by a start bus and at least one (Device, Function) pair',
    run(ctx, report) {
      const scopes = ctx.scopes();
      for (let i = 0; i < scopes.length; i++) {
        const { l, sc, j } = scopes[i]!;
        if (sc.path.length === 0)
          report({
            offset: ctx.scopeAt(sc, 'length'),
            structure: l.index,
            scope: j,
            message: `${scopeTypeName(num(sc.fields, 'type'))} scope has Entry Length ${num(sc.fields, 'length')}: no PCI Path`,
          });
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-PATH-INVALID',
    severity: 'error',
    source: ['PCI'],
    description: `a PCI Path entry has Device above ${MAX_DEVICE} or Function above ${MAX_FUNCTION}`,
    hint: 'a PCI path entry is (Device 0-31, Function 0-7), as in 00:1f.0',
    run(ctx, report) {
      const all = ctx.all();
      for (let i = 0; i < all.length; i++) {
        const l = all[i]!;
        const scopes = l.s.scopes;
        if (!scopes) continue;
        for (let j = 0; j < scopes.length; j++) {
          const sc = scopes[j]!;
          for (let k = 0; k < sc.path.length; k++) {
            const e = sc.path[k]!;
            if (e.device > MAX_DEVICE || e.function > MAX_FUNCTION) {
              const row = e.device > MAX_DEVICE ? DEVICE : FUNCTION;
              report({
                offset: sc.offset + SCOPE_HEADER_SIZE + PATH_ENTRY_SIZE * k + row.offset,
                structure: l.index,
                scope: j,
                message: `path entry ${k + 1} of ${scopePath(sc)}: Device ${e.device}, Function ${e.function}`,
              });
            }
          }
        }
      }
    },
  }),
  defineCheck({
    id: 'DMAR-SCOPE-FLAGS-RESERVED',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'a device scope Flags byte is not zero outside SIDP (or sets undefined bits inside SIDP)',
    hint: 'scope Flags carry device properties only in SIDP structures; elsewhere the byte is reserved',
    run: reservedOf([FLAGS]),
  }),
  defineCheck({
    id: 'DMAR-STRUCT-NO-SCOPE',
    severity: 'warning',
    source: ['VT-d spec'],
    description: 'a DRHD (without INCLUDE_PCI_ALL), RMRR, ATSR (without ALL_PORTS), SATC or SIDP lists no device',
    hint: 'the structure says nothing without devices: list them, or drop the structure',
    run(ctx, report) {
      const all = ctx.all();
      for (let i = 0; i < all.length; i++) {
        const l = all[i]!;
        if (!l.def.scopeTypes || (l.s.scopes?.length ?? 0) > 0 || l.s.trailing || mayBeEmpty(l)) continue;
        report({ offset: l.s.offset + SUB_LENGTH.offset, structure: l.index, message: `${l.def.abbrev} has no device scope` });
      }
    },
  }),
];
