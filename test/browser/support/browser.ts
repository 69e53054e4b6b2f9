import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { KEYS, type Role } from './console-gateway.ts';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it): playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of every page, a test artifact (git-ignored). */
export const SCREENSHOTS = 'test-artifacts/screenshots';
/** Set to refresh the README's two screenshots in docs/ (`MODELGATE_DOCS_SCREENSHOTS=1 npx vitest run test/browser`). */
export const DOCS_SCREENSHOTS = process.env.MODELGATE_DOCS_SCREENSHOTS === '1';

export function launchChromium(): Promise<Browser> {
  // Root in CI and containers: Chromium's sandbox needs user namespaces it may not have.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Console errors, uncaught exceptions and CSP violations seen so far. */
  problems: string[];
  screenshot(name: string): Promise<void>;
}

/** A fresh browser context signed in as `role` (the key put where the console keeps it), or signed out. */
export async function openConsole(browser: Browser, origin: string, role: Role | null): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (role) await context.addInitScript((token) => sessionStorage.setItem('modelgate.token', token), KEYS[role]);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  await page.goto(origin);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    page,
    context,
    problems,
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
  };
}

/** Goes to a console route (`model/local/Churn`) and waits for what shows it has loaded. */
export async function visit(page: Page, route: string, loaded: string): Promise<void> {
  await page.evaluate((hash) => (location.hash = hash), `#/${route}`);
  await page.waitForSelector(loaded, { state: 'attached' });
  await page.waitForFunction(() => document.querySelector('.loading') === null);
}
