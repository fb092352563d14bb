/**
 * Colour as chalk decides it (FORCE_COLOR, --color/--no-color, no colour when
 * the stream is not a terminal), plus the NO_COLOR convention that chalk 5
 * leaves to its users. chalk is loaded only when colour is on.
 */
import { PLAIN, type Paint } from '../dmar/format/paint.js';

export async function painter(stream: 'stdout' | 'stderr' = 'stdout'): Promise<Paint> {
  const env = process.env;
  if (env.NO_COLOR && !('FORCE_COLOR' in env)) return PLAIN;
  // chalk would say no colour for a pipe too; deciding it here spares loading chalk
  const forced = 'FORCE_COLOR' in env || process.argv.some((a) => /^--colou?rs?(=|$)/.test(a));
  if (!forced && !process[stream].isTTY) return PLAIN;
  const { Chalk, supportsColor, supportsColorStderr } = await import('chalk');
  const support = stream === 'stdout' ? supportsColor : supportsColorStderr;
  if (!support || support.level === 0) return PLAIN;
  const c = new Chalk({ level: support.level });
  return {
    title: (s) => c.bold.cyan(s),
    name: (s) => c.dim(s),
    value: (s) => s,
    set: (s) => c.green(s),
    dim: (s) => c.dim(s),
    warn: (s) => c.yellow(s),
    error: (s) => c.red.bold(s),
    info: (s) => c.blue(s),
    proposed: (s) => c.magenta(s),
    ok: (s) => c.green(s),
  };
}
