// dmar report in a real browser: the system Chromium driven by playwright-core, one launch for the file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeDmar } from '../../src/dmar/decode.js';
import { STRUCT_TYPE } from '../../src/dmar/schema.js';
import { dmar, FIXTURES, ROOT } from '../helpers.js';
import { CHROMIUM, HAVE_CHROMIUM, launch, type Session } from './browser.js';
import { hostileTable, SERVER_CAPTURE as CAPTURE } from './tables.js';

// Locally without Chromium the file is skipped; in CI its absence is a failure.
const RUN = HAVE_CHROMIUM || process.env.CI === 'true';
if (!RUN) console.warn(`note: ${CHROMIUM} is absent: the browser tests are skipped (apt-get install chromium)`);

const REFS = join(ROOT, 'test/report/ref');
const UPDATE = process.env.DMAR_UPDATE_REFS === '1';
/** Share of pixels allowed to differ from a reference (font hinting and anti-aliasing vary between machines). */
const TOLERANCE = 0.02;

describe.runIf(RUN)('dmar report in Chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dmar-browser-'));
  let session: Session;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];
  let serverUrl = '';
  let hostileUrl = '';

  const render = (args: string[], name: string) => {
    const out = join(tmp, name);
    const r = dmar(['report', ...args, '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    return pathToFileURL(out).href;
  };

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) return; // CI=true: every test below fails, the first saying why
    serverUrl = render(['--machine', CAPTURE], 'server.html');
    const hostile = join(tmp, 'hostile.dmar');
    writeFileSync(hostile, hostileTable());
    hostileUrl = render([hostile, '--machine', CAPTURE], 'hostile.html');
    session = await launch();
    page = await session.context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    await session?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const open = async (url: string, width = 1280, height = 800) => {
    await page.setViewportSize({ width, height });
    requests.length = 0;
    errors.length = 0;
    await page.goto(url, { waitUntil: 'load' });
  };

  test('the system Chromium is installed', () => {
    expect(HAVE_CHROMIUM, `${CHROMIUM} is absent: install Debian's chromium (.ci/run does)`).toBe(true);
  });

  test('loads with no console error and no request but the page itself; markup in firmware strings stays text', async () => {
    for (const url of [serverUrl, hostileUrl]) {
      await open(url);
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
    }
    // the hostile OEM ID is shown as text, no element came of it
    expect(await page.locator('#summary').innerText()).toContain('<b>&"\'');
    expect(await page.locator('main b:text-is("&\\"\'")').count()).toBe(0);
  });

  const highlighted = (p: Page) =>
    p.evaluate(() => {
      const on = [...document.querySelectorAll('#hex i.hl')];
      const all = [...document.querySelectorAll('#hex i')];
      const first = on[0]?.getBoundingClientRect();
      const box = document.getElementById('hex')!.getBoundingClientRect();
      const inView = !!first && first.top >= Math.max(0, box.top) && first.bottom <= Math.min(innerHeight, box.bottom);
      return { offsets: on.map((e) => all.indexOf(e)), inView };
    });

  test('every finding link scrolls to its bytes, highlighted', async () => {
    await open(hostileUrl);
    const links = page.locator('a.fl');
    const n = await links.count();
    expect(n).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < n; i++) {
      await page.evaluate(() => window.scrollTo(0, 0));
      const a = links.nth(i);
      const o = Number(await a.getAttribute('data-o'));
      const len = Number(await a.getAttribute('data-n'));
      await a.click();
      const h = await highlighted(page);
      expect(h.offsets).toEqual(Array.from({ length: len }, (_, k) => o + k));
      expect(h.inView).toBe(true);
    }
    // the RMRR finding points at RMRR #1's Base Address: 8 bytes at 0x60
    const rmrr = page.locator('li.finding', { hasText: 'DMAR-RMRR-NOT-RESERVED' }).locator('a.fl');
    await rmrr.click();
    expect((await highlighted(page)).offsets).toEqual([0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67]);
  });

  test('clicking a decoded structure selects exactly its bytes', async () => {
    await open(serverUrl);
    const table = decodeDmar(readFileSync(join(ROOT, CAPTURE, 'root/sys/firmware/acpi/tables/DMAR')), { strict: false }).table;
    const heads = page.locator('.structs h3[id^="s"]');
    expect(await heads.count()).toBe(table.structures.length);
    let at = 48;
    for (let i = 0; i < table.structures.length; i++) {
      await heads.nth(i).click();
      const len = table.structures[i]!.length;
      expect((await highlighted(page)).offsets).toEqual(Array.from({ length: len }, (_, k) => at + k));
      at += len;
    }
    expect(await page.locator('#sel').innerText()).toMatch(/bytes 0x/);
  });

  test('the SVG has one shape per RMRR and per register window, addresses in <title>', async () => {
    await open(serverUrl);
    const table = decodeDmar(readFileSync(join(ROOT, CAPTURE, 'root/sys/firmware/acpi/tables/DMAR')), { strict: false }).table;
    const count = (t: number) => table.structures.filter((s) => s.type === t).length;
    expect(await page.locator('svg.memmap rect[data-lane="rmrr"]').count()).toBe(count(STRUCT_TYPE.RMRR));
    expect(await page.locator('svg.memmap rect[data-lane="drhd"]').count()).toBe(count(STRUCT_TYPE.DRHD));
    expect(await page.locator('svg.memmap rect.rmrr.not-reserved').count()).toBe(1);
    expect(await page.locator('svg.memmap rect.drhd title').textContent()).toContain('0x00000000fbffc000-0x00000000fbffcfff');
    // every shape is drawn with a width
    const widths = await page.locator('svg.memmap rect').evaluateAll((rs) => rs.map((r) => (r as SVGRectElement).getBBox().width));
    expect(Math.min(...widths)).toBeGreaterThan(1);
  });

  test("follows the browser's colour scheme, and prints without navigation", async () => {
    await open(serverUrl);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await bg();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bg();
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).not.toBe(light);
    await page.emulateMedia({ colorScheme: 'light', media: 'print' });
    expect(await page.locator('nav').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
    expect(await page.locator('nav').isVisible()).toBe(true);
  });

  test('no horizontal scrolling of the page at phone width', async () => {
    await open(serverUrl, 390, 844);
    const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(scroll).toBeLessThanOrEqual(client);
  });

  test('an IMS warning wraps inside its card (it ran under the next cards and scrolled the page, on nearly every table-alone report)', async () => {
    const alone = render([join(FIXTURES, 'server-2s.bin')], 'alone.html');
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      await open(alone, width, height);
      const m = await page.evaluate(() => {
        const table = document.querySelector('table.ims')!;
        const card = table.closest('.card')!;
        return {
          warned: table.textContent!.includes('caching-mode'),
          table: table.getBoundingClientRect().right,
          card: card.getBoundingClientRect().right,
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
        };
      });
      expect(m.warned).toBe(true);
      expect(m.table, `${width}`).toBeLessThanOrEqual(m.card);
      expect(m.scroll, `${width}`).toBeLessThanOrEqual(m.client);
    }
  });

  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    test(`screenshot at ${width}x${height} matches the reference`, async () => {
      await open(serverUrl, width, height);
      await page.emulateMedia({ colorScheme: 'light', media: 'screen' });
      const shot = PNG.sync.read(await page.screenshot());
      const ref = join(REFS, `report-${width}.png`);
      if (UPDATE) {
        mkdirSync(REFS, { recursive: true });
        writeFileSync(ref, PNG.sync.write(shot));
      }
      if (UPDATE && width === 1280) {
        // the README's picture: the memory map and the finding
        await page.evaluate(() => document.getElementById('memory')!.scrollIntoView());
        await page.screenshot({ path: join(ROOT, 'docs/report.png') });
      }
      const want = PNG.sync.read(readFileSync(ref));
      expect([shot.width, shot.height]).toEqual([want.width, want.height]);
      const diff = pixelmatch(shot.data, want.data, undefined, width, height, { threshold: 0.2 });
      expect(diff / (width * height)).toBeLessThan(TOLERANCE);
    });
  }
});
