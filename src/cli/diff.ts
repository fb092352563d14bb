import { termText, jsonDocument } from '../acpi/escape.js';
import { decodeDmar } from '../dmar/decode.js';
import { diffJson, diffTables } from '../dmar/table-diff.js';
import { locatedLine, naming } from '../dmar/errors.js';
import { readTableSource, stdoutWrite } from './common.js';
import { stdinOnce } from './inputs.js';
import { io } from '../io/std.js';

/** Exit status: 0 the inputs are byte for byte equal, 1 they differ. */
export async function run(a: string, b: string, opts: { json?: boolean }): Promise<number> {
  stdinOnce([a, b]);
  const sources = [readTableSource(a), readTableSource(b)] as const;
  for (const s of sources) {
    // Framing defects are part of the difference; only what is not a DMAR table at all stops here.
    naming(s.name, () => decodeDmar(s.bytes, { strict: false }));
  }
  const [sa, sb] = sources;
  const d = diffTables(sa.bytes, sb.bytes, { a: sa.name, b: sb.name });
  for (const [name, problems] of [
    [sa.name, d.problems.a],
    [sb.name, d.problems.b],
  ] as const) {
    for (const p of problems.filter((x) => x.severity === 'error')) {
      io().stderr(`dmar: warning: ${termText(locatedLine({ file: name, offset: p.offset, message: p.message }, { decimal: false }))}\n`);
    }
  }
  if (opts.json) {
    stdoutWrite(jsonDocument(diffJson(d)));
  } else {
    const { diffText } = await import('../dmar/format/diff-text.js');
    const { painter } = await import('./colour.js');
    stdoutWrite(diffText(d, await painter()));
  }
  return d.equal ? 0 : 1;
}
