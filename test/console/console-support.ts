import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { processEnv } from '@acs/config';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Browser tests drive Chromium through playwright-core against the real server listening on a
 * loopback port, serving the console built into dist/console by the e2e global setup. The
 * browser is CHROMIUM_PATH if set, else Debian's /usr/bin/chromium when installed, else the
 * Chromium build that the npm package @sparticuz/chromium ships inside the package (unpacked
 * into the temp folder on first use), so `npm ci && npm test` needs no browser download and no
 * system package. Version 147.0.0 is pinned: later ones require Node 22.
 */
export async function chromiumExecutable(): Promise<string> {
  const configured = processEnv().CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const { default: bundled } = await import('@sparticuz/chromium');
  return bundled.executablePath();
}
/** The desk screen the console is designed for. */
export const DESK_VIEWPORT = { width: 1366, height: 768 };
/** Screenshots of the main pages, kept by CI as artefacts. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-output', 'console-screenshots');

// Flags from the machine notes: without the background-networking ones Chromium keeps trying
// to reach Google's hosts, which this closed network refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches Chromium, once more if the browser process died while starting. A CI run saw Chromium
 * exit with SIGSEGV during launch (`browserType.launch: Target page, context or browser has been
 * closed`, before any page existed) while two test passes and their servers shared two cores: a
 * crash of the browser binary, not of anything under test. A second launch failure fails the test.
 */
async function launchChromium(executablePath: string): Promise<Browser> {
  const launch = () => chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    return await launch();
  } catch (err) {
    const text = String((err as Error).message);
    if (!/has been closed|process did exit|SIGSEGV|SIGABRT/.test(text)) throw err;
    console.warn(`Chromium died while starting (${text.split('\n')[0]}); launching it once more`);
    return launch();
  }
}

export interface ConsoleHarness {
  t: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A fresh browser context (own sessionStorage) at the desk viewport. */
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  /** Opens the console and signs in with the token ("Use an API token"); resolves once the navigation shows. */
  signIn(page: Page, token: string): Promise<void>;
  close(): Promise<void>;
}

/** `port`: listen there rather than on a free port (a test that must name the server's URL in its settings beforehand). */
export async function startConsoleHarness(opts: Parameters<typeof startTestApp>[0] & { port?: number } = {}): Promise<ConsoleHarness> {
  const executablePath = await chromiumExecutable();
  const t = await startTestApp(opts);
  const server = t.app.getHttpServer() as import('node:http').Server;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium(executablePath);
  const contexts: BrowserContext[] = [];
  return {
    t,
    baseUrl,
    browser,
    newPage: async () => {
      const context = await browser.newContext({ viewport: DESK_VIEWPORT, baseURL: baseUrl, acceptDownloads: true });
      contexts.push(context);
      const page = await context.newPage();
      return { context, page };
    },
    signIn: async (page, token) => {
      await page.goto('/console/');
      await page.getByRole('button', { name: 'Use an API token' }).click();
      await page.getByLabel('Staff token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Console' }).waitFor();
    },
    close: async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await t.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  expect(existsSync(path)).toBe(true);
  return path;
}

/**
 * Form controls of the page without an accessible name. Runs in the page; written as a string
 * because the test tsconfig has no DOM types.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const out = [];
    for (const e of document.querySelectorAll('input, select, textarea, button')) {
      if (e.type === 'hidden') continue;
      const named = (e.labels && e.labels.length > 0) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent.trim());
      if (!named) out.push(e.tagName.toLowerCase() + (e.name ? '[name=' + e.name + ']' : ''));
    }
    return out;
  })()`)) as string[];
}
