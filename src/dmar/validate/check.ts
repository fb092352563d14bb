/**
 * What a check is, what it reports, and the context every check reads: the
 * decoded table (decoded leniently, so framing defects are findings too) and
 * the schema rows that locate each field.
 */
import { fieldEnd, readUint, type FieldDef, type KeyOf } from '../../acpi/fields.js';
import { hex } from '../../acpi/hex.js';
import { MADT_SIGNATURE } from '../../acpi/madt.js';
import type { DecodeResult, Severity } from '../decode.js';
import type { MachineFacts } from '../../machine/facts.js';
import type { DeviceScope, DmarTable, Structure } from '../model.js';
import { fieldByKey, SCOPE_FIELDS, SCOPE_TYPE, scopeTypeName, structDef, SUBTABLE_HEADER_FIELDS, typeLabel, type StructDef } from '../schema.js';

export type { Severity };

/** Machine context a check reads (`--machine`, `--dmesg`). */
export type MachineNeed = 'memory map' | 'PCI tree' | 'IOMMU units' | 'HPET';

const RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

/** True when `s` is at least as severe as `floor`. */
export function atLeast(s: Severity, floor: Severity): boolean {
  return RANK[s] >= RANK[floor];
}

/** Who would complain: the rule's origin, printed in the catalogue. */
export type CheckSource = 'Linux' | 'fwts' | 'VT-d spec' | 'ACPI' | 'PCI' | 'proposal' | 'dmar';

/** One line of the catalogue. */
export interface CheckInfo {
  /** Stable ID: never renamed, never reused. */
  readonly id: string;
  readonly severity: Severity;
  readonly source: readonly CheckSource[];
  /** One line: the condition reported. */
  readonly description: string;
  /** How to fix it (the default hint of every finding). */
  readonly hint: string;
  /** The input is rejected as a DMAR table: reported as an unreadable file (exit 2), not as a finding. */
  readonly fatal?: boolean;
  /** Another table the check reads; without it the check cannot run (JUnit marks it skipped). */
  readonly needs?: 'MADT' | MachineNeed;
}

/** Where and what, as a check reports it; the engine adds ID, severity and labels. */
export interface Report {
  offset: number;
  /** Index into table.structures (or the index the structure would have had). */
  structure?: number;
  /** Name of a structure the walker could not frame (it has no index in the table). */
  label?: string;
  /** Index of the device scope inside that structure. */
  scope?: number;
  message: string;
  /** Overrides the check's hint. */
  hint?: string;
}

export type Reporter = (r: Report) => void;

export interface Check extends CheckInfo {
  run?(ctx: Context, report: Reporter): void;
  /**
   * The structure Types the check looks at, when it looks at nothing else: the
   * engine runs it only on a table that frames a structure of one of them
   * (a batch of tables then runs, and V8 compiles, less). It must report
   * nothing on a table without them (test/dmar/validate/reads.test.ts).
   */
  reads?: readonly number[];
}

/** A check is data plus the code that finds it, defined side by side. */
export function defineCheck(c: Check): Check {
  return c;
}

export function isProposed(c: CheckInfo): boolean {
  return c.source.includes('proposal');
}

/** A finding as every reporter prints it. */
export interface Finding {
  id: string;
  severity: Severity;
  /** Byte offset in the table of the field at fault. */
  offset: number;
  /** "DRHD #2" (the second DRHD), or null for the table as a whole. */
  structure: string | null;
  /** 1-based device scope number inside `structure`, when the finding is about one. */
  scope?: number;
  message: string;
  hint: string;
  /** The check enforces a proposal (proposals.md), not a published specification. */
  proposed?: boolean;
}

export interface Located {
  s: Structure;
  index: number;
  def: StructDef;
}

/**
 * Each item whose key an earlier item already had, with the first item that
 * had it, in order: the one "first one seen wins" walk of the duplicate checks.
 * An undefined key takes no part.
 */
export function repeats<T>(items: readonly T[], key: (x: T) => string | number | bigint | undefined): [again: T, first: T][] {
  const out: [T, T][] = [];
  if (items.length < 2) return out;
  // a table's few items (the common case) are compared pairwise, with no Map made per table and check
  if (items.length <= SMALL) {
    // the keys in a buffer kept between calls (no array made per table and check), a fresh one should key() call repeats()
    const keys = smallKeysBusy ? new Array<string | number | bigint | undefined>(items.length) : SMALL_KEYS;
    smallKeysBusy = true;
    try {
      for (let i = 0; i < items.length; i++) keys[i] = key(items[i]!);
    } finally {
      smallKeysBusy = false;
    }
    for (let i = 1; i < items.length; i++) {
      const k = keys[i];
      if (k === undefined) continue;
      for (let j = 0; j < i; j++) {
        if (keys[j] === k) {
          out.push([items[i]!, items[j]!]);
          break;
        }
      }
    }
    return out;
  }
  const first = new Map<string | number | bigint, T>();
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    const k = key(x);
    if (k === undefined) continue;
    const prev = first.get(k);
    if (prev === undefined) first.set(k, x);
    else out.push([x, prev]);
  }
  return out;
}
/** Up to this many items, repeats() compares pairs. */
const SMALL = 16;
const SMALL_KEYS: (string | number | bigint | undefined)[] = new Array(SMALL).fill(undefined);
let smallKeysBusy = false;

/** A device scope with its structure and its 0-based index there. */
export interface ScopeOf {
  l: Located;
  sc: DeviceScope;
  j: number;
}

/** Another ACPI table of the same machine (an acpidump's, or the live system's). */
export interface CompanionTable {
  signature: string;
  bytes: Uint8Array;
}

/** The MADT among a machine's other tables, if one was given: what the MADT checks read (and need). */
export function madtOf(tables: readonly CompanionTable[] | undefined): CompanionTable | undefined {
  return tables?.find((t) => t.signature === MADT_SIGNATURE);
}

/** Printable rendering of firmware strings in messages (the one escaping, acpi/escape.ts). */
export { firmwareText as printable } from '../../acpi/escape.js';

const SCOPE_ROW = (key: ScopeKey): FieldDef => fieldByKey(SCOPE_FIELDS, key);
/** The key of a device scope field. */
export type ScopeKey = KeyOf<typeof SCOPE_FIELDS>;
const SUB_TYPE = fieldByKey(SUBTABLE_HEADER_FIELDS, 'type');

/** Types below this are kept in arrays and a bit mask; the few others (unknown ones, the proposed descriptor's 0x8001) in Maps. */
const LOW_TYPES = 31;

/** What of() returns for a Type the table does not have: one shared empty list, not a new one per call. */
const NONE: readonly Located[] = Object.freeze([]);
const NO_SCOPES: readonly ScopeOf[] = Object.freeze([]);
/** once()'s room, keys and values: the shared values a table's checks make (more are added as needed). */
const MEMO_SLOTS = 16;

/** Per Type below LOW_TYPES: how many structures of it the table frames, and how many of them decoded (Context's scratch). */
const FRAMED = new Int32Array(LOW_TYPES);
const DECODED = new Int32Array(LOW_TYPES);

export class Context {
  readonly table: DmarTable;
  /** The decoded structures by Type (below LOW_TYPES; the others in byTypeHigh). */
  private readonly byType: Located[][];
  private byTypeHigh: Map<number, Located[]> | undefined;
  /** Per structure: its 1-based number among the structures of its type (labels are built when asked for). */
  private readonly ordinals: number[];
  /** once()'s keys and values, in turn (key, value, key, value...): a table has a handful, found by identity. */
  private memo: unknown[] | undefined;
  private memoLength = 0;
  /** Every decoded structure with a layout, in table order. */
  private readonly located: Located[];
  /** scopes() of all(), of each of(type) list below LOW_TYPES, and of any other list. */
  private allScopes: ScopeOf[] | undefined;
  private typeScopes: (ScopeOf[] | undefined)[] | undefined;
  private otherScopes: Map<readonly Located[], ScopeOf[]> | undefined;
  /** Per structure index: where its scopes start in all()'s scope list (scopes() fills it). */
  private scopeStart: number[] | undefined;
  /** Bit t: the table frames a structure of Type t (below LOW_TYPES); `high`: one of another Type. */
  private readonly types: number = 0;
  private readonly high: boolean = false;

  constructor(
    readonly bytes: Uint8Array,
    readonly decoded: DecodeResult,
    /** Every table of an acpidump, when the input was one (for the MADT cross-check). */
    readonly tables?: readonly CompanionTable[],
    /** The machine the table describes (`--machine`, `--dmesg`), for the machine checks. */
    readonly machine?: MachineFacts,
  ) {
    this.table = decoded.table;
    const structures = decoded.table.structures;
    // Every list is made at its final size: a validator makes one Context per table, and lists grown by push
    // hold room for 17 entries from the second one on (docs/performance.md: a directory run's cost follows
    // what it allocates). First the counts, per Type: framed (the ordinals) and decoded (the lists).
    FRAMED.fill(0);
    DECODED.fill(0);
    let ordinalHigh: Map<number, number> | undefined;
    let located = 0;
    let top = -1;
    const ordinals = new Array<number>(structures.length);
    for (let index = 0; index < structures.length; index++) {
      const s = structures[index]!;
      const decodedHere = structDef(s.type) !== undefined && !s.raw;
      if (decodedHere) located++;
      if (s.type < LOW_TYPES) {
        this.types |= 1 << s.type;
        ordinals[index] = ++FRAMED[s.type]!;
        if (decodedHere && DECODED[s.type]!++ === 0 && s.type > top) top = s.type;
      } else {
        this.high = true;
        ordinalHigh ??= new Map();
        const n = (ordinalHigh.get(s.type) ?? 0) + 1;
        ordinalHigh.set(s.type, n);
        ordinals[index] = n;
      }
    }
    this.ordinals = ordinals;
    this.located = new Array<Located>(located);
    this.byType = new Array<Located[]>(top + 1);
    for (let t = 0; t <= top; t++) {
      const n = DECODED[t]!;
      if (n) this.byType[t] = new Array<Located>(n);
      DECODED[t] = 0;
    }
    located = 0;
    for (let index = 0; index < structures.length; index++) {
      const s = structures[index]!;
      const def = structDef(s.type);
      if (!def || s.raw) continue;
      const l: Located = { s, index, def };
      this.located[located++] = l;
      if (s.type < LOW_TYPES) this.byType[s.type]![DECODED[s.type]!++] = l;
      else {
        this.byTypeHigh ??= new Map();
        const list = this.byTypeHigh.get(s.type);
        if (list) list.push(l);
        else this.byTypeHigh.set(s.type, [l]);
      }
    }
  }

  /** Decoded structures of one type (those too short to decode are left to the framing checks). */
  of(type: number): readonly Located[] {
    return (type < LOW_TYPES ? this.byType[type] : this.byTypeHigh?.get(type)) ?? NONE;
  }

  /** Whether the table frames a structure of this Type, decoded or not (what Check.reads asks). */
  has(type: number): boolean {
    if (type < LOW_TYPES) return (this.types & (1 << type)) !== 0;
    return this.high && this.table.structures.some((s) => s.type === type);
  }

  /** Every decoded structure with a layout, in table order (do not modify). */
  all(): readonly Located[] {
    return this.located;
  }

  /**
   * Every device scope of the given structures (all by default), with its structure and 0-based index.
   * Computed once per list (all(), or an of(type)): many checks ask for the same one.
   */
  scopes(of: readonly Located[] = this.located): readonly ScopeOf[] {
    if (of === this.located) return (this.allScopes ??= this.scopesOf(of));
    if (of.length === 0) return NO_SCOPES;
    const type = of[0]!.s.type;
    if (type < LOW_TYPES && of === this.byType[type]) {
      const memo = (this.typeScopes ??= new Array(this.byType.length));
      return (memo[type] ??= this.scopesOf(of));
    }
    let hit = (this.otherScopes ??= new Map()).get(of);
    if (!hit) this.otherScopes.set(of, (hit = this.scopesOf(of)));
    return hit;
  }

  private scopesOf(of: readonly Located[]): ScopeOf[] {
    let n = 0;
    for (let i = 0; i < of.length; i++) n += of[i]!.s.scopes?.length ?? 0;
    const out = new Array<ScopeOf>(n);
    // another list (of(type)) shares all()'s entries: a structure's scopes start at scopeStart[index] there
    // (a Context's structures are never changed once decoded)
    const whole = of === this.located;
    const all = whole ? undefined : this.scopes();
    const start = whole ? (this.scopeStart = new Array<number>(this.table.structures.length)) : this.scopeStart!;
    n = 0;
    for (let i = 0; i < of.length; i++) {
      const l = of[i]!;
      const scopes = l.s.scopes;
      if (!scopes) continue;
      if (all) {
        const at = start[l.index]!;
        for (let j = 0; j < scopes.length; j++) out[n++] = all[at + j]!;
      } else {
        start[l.index] = n;
        for (let j = 0; j < scopes.length; j++) out[n++] = { l, sc: scopes[j]!, j };
      }
    }
    return out;
  }

  /** "DRHD #2"; a structure the walker could not frame is named from its Type bytes. */
  label(index: number): string {
    const n = this.ordinals[index];
    if (n !== undefined) return `${typeName(this.table.structures[index]!.type)} #${n}`;
    return `${typeName(-1)} at index ${index}`;
  }

  /** Label for a structure that framing rejected, starting at `at`: its type is read from its bytes. */
  labelUnframed(index: number, at: number): string {
    if (this.ordinals[index] !== undefined) return this.label(index);
    if (at + fieldEnd(SUB_TYPE) > this.bytes.length) return `structure at ${hex(at)}`;
    const type = readUint(this.bytes, at + SUB_TYPE.offset, SUB_TYPE.size);
    const n = this.table.structures.filter((s) => s.type === type).length + 1;
    return `${typeName(type)} #${n}`;
  }

  /** Table offset of a fixed field of a structure, from its schema row. */
  at(l: Located, key: string): number {
    return l.s.offset + fieldByKey(l.def.fields, key).offset;
  }

  /** Table offset of a device scope field, from its schema row. */
  scopeAt(sc: DeviceScope, key: ScopeKey): number {
    return sc.offset + SCOPE_ROW(key).offset;
  }

  /**
   * A value computed once per table and shared by several checks. `make` gets this Context: a function
   * declared once (not a closure per call) costs a batch nothing per table and check.
   */
  once<T>(key: string, make: (ctx: Context) => T): T {
    const memo = this.memo;
    for (let i = 0; i < this.memoLength; i += 2) if (memo![i] === key) return memo![i + 1] as T;
    const v = make(this);
    const m = (this.memo ??= new Array(MEMO_SLOTS));
    m[this.memoLength] = key;
    m[this.memoLength + 1] = v;
    this.memoLength += 2;
    return v;
  }
}

export { scopeTypeName };

export const typeName = typeLabel;

/** Device Scope Type values (the schema's). */
export const SCOPE = SCOPE_TYPE;
