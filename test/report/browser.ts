/**
 * The system Chromium (Debian's `chromium`, installed by .ci/run) driven by
 * playwright-core: never a downloaded browser. Absent: the browser tests skip
 * locally, and fail under CI=true.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.DMAR_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--font-render-hinting=none',
  '--hide-scrollbars',
];

export interface Session {
  context: BrowserContext;
  close(): Promise<void>;
}

/** One persistent context with a fresh user-data-dir; close() removes it. */
export async function launch(): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'dmar-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 800 } });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type { Browser };
