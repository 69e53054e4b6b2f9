import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsole, visit } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { startConsoleGateway, type ConsoleGateway } from './support/console-gateway.ts';

/** Markup in every text a registry user controls: it must show as text and never run. */
const HOSTILE_NAME = '<img src=x onerror=window.__pwned=1> Churn #1 ?a=%E0%A4%A & "q"';
const HOSTILE_TEXT = '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3">';

const REGISTER = `mutation($name: String!, $text: String!) {
  createModel(name: $name, description: $text, tags: [{ key: "note", value: $text }]) { name }
  registerVersion(name: $name, source: "s3://m/x", description: $text, tags: [{ key: "note", value: $text }], metrics: [{ key: "accuracy", value: 0.9 }]) { version } }`;

describe('the console under hostile data and hostile links (Chromium)', { timeout: 120_000 }, () => {
  let gateway: ConsoleGateway;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [gateway, browser] = await Promise.all([startConsoleGateway(), launchChromium()]);
    const { errors } = await gateway.as('admin', REGISTER, { name: HOSTILE_NAME, text: HOSTILE_TEXT });
    expect(errors).toBeUndefined();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it('a model whose name, description and tags hold markup is listed, opened and compared as text; nothing runs', async () => {
    const { page, problems, context } = await openConsole(browser, gateway.origin, 'editor');
    await visit(page, 'models', 'table.models tr[data-model]');
    const link = page.locator('table.models a', { hasText: 'Churn #1' });
    expect(await link.textContent()).toBe(HOSTILE_NAME);
    // The link names the model exactly: '#', '?', '%' and quotes survive the route.
    await link.click();
    await page.waitForSelector('.chart[data-rendered]', { state: 'attached' });
    await page.waitForFunction(() => document.querySelector('.loading') === null);
    expect(await page.textContent('h2')).toContain(HOSTILE_NAME);
    expect(await page.textContent('main')).toContain(HOSTILE_TEXT);
    await visit(page, `compare/local/${encodeURIComponent(HOSTILE_NAME)}`, 'table.comparison');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('main script').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a link with a malformed escape shows what is wrong, not a blank page, and the console still navigates', async () => {
    const { page, problems, context } = await openConsole(browser, gateway.origin, 'editor');
    await page.evaluate(() => (location.hash = '#/model/local/%E0%A4%A'));
    await page.waitForSelector('.error[data-code="BAD_LINK"]');
    expect(await page.textContent('.error[data-code="BAD_LINK"]')).toContain('%E0%A4%A');
    await visit(page, 'models', 'table.models tr[data-model]');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('every console response forbids framing and sniffing, and scripts come only from the gateway', async () => {
    for (const path of ['/', '/graphiql']) {
      const response = await fetch(`${gateway.origin}${path}`);
      expect(response.status).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      // Scripts from the gateway only: no inline script, no eval, no other origin.
      expect(csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'))).toBe("script-src 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});
