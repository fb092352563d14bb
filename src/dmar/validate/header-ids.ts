/**
 * The ACPI header's ID strings (OEM ID, OEM Table ID, Creator ID): printable
 * ASCII, padded with spaces or NULs. fwts fails a non-ASCII byte in any of
 * them (acpitables: "ACPITableHdrInfo", "has non-ASCII characters in header
 * field"); ACPICA shows every non-printable byte as a space (iasl -d,
 * AcpiUtCheckAndRepairAscii), so its source stands for another table, and
 * such bytes reach terminals and logs.
 */
import { hasUnprintable, quoted } from '../../acpi/escape.js';
import { ACPI_HEADER_FIELDS } from '../../acpi/header.js';
import { hex } from '../../acpi/hex.js';
import { defineCheck, type Check } from './check.js';

const ID_FIELDS = ACPI_HEADER_FIELDS.filter((f) => f.kind === 'ascii' && f.role !== 'signature');

export const checks: Check[] = [
  defineCheck({
    id: 'DMAR-HDR-ID-UNPRINTABLE',
    severity: 'warning',
    source: ['fwts', 'dmar'],
    description: 'OEM ID, OEM Table ID or Creator ID holds a byte that is not printable ASCII (other than NUL padding at its end)',
    hint: 'use printable ASCII (0x20-0x7e) padded with spaces or NULs: fwts fails non-ASCII IDs, iasl -d shows other bytes as spaces',
    run(ctx, report) {
      for (let i = 0; i < ID_FIELDS.length; i++) {
        const f = ID_FIELDS[i]!;
        // the decoded value: the field's bytes, one character each, trailing NUL padding dropped
        const s = ctx.table.header[f.key];
        if (typeof s !== 'string' || !hasUnprintable(s)) continue;
        const bad = [...new Set(Array.from(s, (c) => c.charCodeAt(0)).filter((x) => x < 0x20 || x > 0x7e))];
        const ascii = bad.every((x) => x < 0x80);
        report({
          offset: f.offset,
          message: `${f.name} ${quoted(s)} holds ${ascii ? 'non-printable' : 'non-ASCII'} byte${bad.length > 1 ? 's' : ''} ${bad.map((x) => hex(x, 2)).join(', ')}`,
        });
      }
    },
  }),
];
