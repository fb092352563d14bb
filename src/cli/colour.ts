/**
 * Colour: --color / --no-color when given (on every command), else as chalk
 * decides it (FORCE_COLOR, no colour when the stream is not a terminal), plus
 * the NO_COLOR convention that chalk 5 leaves to its users. chalk is loaded
 * only when colour is on.
 */
import { PLAIN, type Paint } from '../dmar/format/paint.js';
import { io } from '../io/std.js';

let choice: boolean | undefined;

/** What --color (true) or --no-color (false) asked for; undefined: neither. */
export function setColour(c: boolean | undefined): void {
  choice = c;
}

export async function painter(stream: 'stdout' | 'stderr' = 'stdout'): Promise<Paint> {
  const { env, isTTY } = io();
  if (choice === false) return PLAIN;
  if (choice === undefined) {
    if (env.NO_COLOR && !('FORCE_COLOR' in env)) return PLAIN;
    // chalk would say no colour for a pipe too; deciding it here spares loading chalk
    if (!('FORCE_COLOR' in env) && !isTTY[stream]) return PLAIN;
  }
  const { Chalk, supportsColor, supportsColorStderr } = await import('chalk');
  const support = stream === 'stdout' ? supportsColor : supportsColorStderr;
  // --color: at least 16 colours, more when the terminal (or FORCE_COLOR=2|3) says so
  const level = choice ? Math.max(1, support ? support.level : 0) : support ? support.level : 0;
  if (level === 0) return PLAIN;
  const c = new Chalk({ level: level as 1 | 2 | 3 });
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
