/**
 * Running a real ACPICA iasl in tests: always with a timeout (an iasl given
 * source in another release's dialect can loop for ever), and with the
 * source dialect chosen from the version the iasl on PATH reports.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dialectForRelease, type IaslDialect } from '../src/dmar/codec/iasl.js';

/** Far above what iasl needs for a DMAR table (milliseconds), far below a hang. */
export const IASL_TIMEOUT_MS = 30_000;

export interface IaslOptions {
  timeout?: number;
  env?: NodeJS.ProcessEnv;
}

/** Run iasl; killed (SIGKILL) after the timeout, when `error.code` is ETIMEDOUT. */
export function runIasl(args: string[], cwd: string, o: IaslOptions = {}): SpawnSyncReturns<string> {
  return spawnSync('iasl', args, { cwd, encoding: 'utf8', timeout: o.timeout ?? IASL_TIMEOUT_MS, killSignal: 'SIGKILL', env: o.env ?? process.env });
}

/** The dialect for an iasl release: up to 20241212 (Debian's 20200925 among them) the 2020 names; from 20250404 the current names. */
export function dialectFor(release: number): IaslDialect {
  return dialectForRelease(release);
}

export interface FoundIasl {
  /** `iasl -v`'s release, YYYYMMDD; undefined when there is no iasl or it did not answer in time. */
  version?: string;
  dialect?: IaslDialect;
  /** Why there is no version. */
  problem?: string;
}

export function findIasl(o: IaslOptions = {}): FoundIasl {
  const r = runIasl(['-v'], process.cwd(), { timeout: 10_000, ...o });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { problem: code === 'ETIMEDOUT' ? 'iasl -v did not answer in time' : code === 'ENOENT' ? 'iasl is not installed' : r.error.message };
  }
  const version = /version (\d{8})/.exec(r.stdout)?.[1];
  if (!version) return { problem: `iasl -v gave no version: ${JSON.stringify((r.stdout + r.stderr).slice(0, 200))}` };
  return { version, dialect: dialectFor(Number(version)) };
}
