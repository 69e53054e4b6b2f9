import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS, launchChromium, openConsole, visit } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { KEYS, startConsoleGateway, type ConsoleGateway } from './support/console-gateway.ts';

const MODEL = 'ChurnPredictionModel';

describe('the console in Chromium: pages, chart, compare, what a viewer may not do, a refused promotion', { timeout: 120_000 }, () => {
  let gateway: ConsoleGateway;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [gateway, browser] = await Promise.all([startConsoleGateway(), launchChromium()]);
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it('signs in with an API key typed into the console, and every page loads with no console error, CSP violation or failed request', async () => {
    const { page, problems, screenshot, context } = await openConsole(browser, gateway.origin, null);
    // Signed out, the gateway (auth configured) refuses: the console says so with the code.
    await page.waitForSelector('.sign-in .error[data-code="UNAUTHENTICATED"]');
    await page.fill('input[name="token"]', KEYS.editor);
    await page.click('button[name="sign-in"]');
    await page.waitForSelector('.viewer[data-principal="editor"]');
    expect(await page.evaluate(() => sessionStorage.getItem('modelgate.token'))).toBe(KEYS.editor);
    // Chromium logs the 401 that asked for the sign-in; from here on, nothing may fail.
    expect(problems.every((p) => p.includes('401'))).toBe(true);
    problems.length = 0;

    const pages: [string, string, string][] = [
      ['registries', 'registries', 'table.registries tr[data-registry="local"]'],
      ['models', 'models', `table.models tr[data-model="${MODEL}"]`],
      ['model', `model/local/${MODEL}`, '.chart[data-rendered]'],
      ['compare', `compare/local/${MODEL}`, 'table.comparison td[data-best]'],
      ['promote', `promote/local/${MODEL}`, 'select[name="version"] option'],
      ['approvals', 'approvals', 'select[name="status"]'],
      ['rollback', `rollback/local/${MODEL}`, 'fieldset.targets'],
      ['audit', 'audit', '.verification[data-ok="true"]'],
    ];
    for (const [name, route, loaded] of pages) {
      await visit(page, route, loaded);
      await screenshot(name);
      if (name === 'registries') {
        const cells = await page.locator('tr[data-registry="local"] td').allTextContents();
        expect(cells.slice(0, 3)).toEqual(['local', 'local', 'ok']);
        expect(cells[4]).toBe('NATIVE');
      }
    }
    expect(await page.textContent('.verification')).toContain('Chain intact');

    // GraphiQL, offline from the package, from the console's nav (same tab: the sign-in is in its header editor).
    await page.click('header nav a[href="/graphiql"]');
    await page.waitForSelector('.graphiql-container');
    await page.waitForFunction(() => document.querySelector('.graphiql-editor-tool') !== null);
    // The schema arrived (introspection with the console's key): the doc explorer can list Query.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector('.graphiql-doc-explorer >> text=Root Types');
    expect(await page.textContent('.graphiql-doc-explorer')).toContain('mutation: Mutation');
    await page.screenshot({ path: `${SCREENSHOTS}/graphiql.png` });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('the model page charts a metric with one point per version, as a line and as bars', async () => {
    const { page, problems, context } = await openConsole(browser, gateway.origin, 'viewer');
    await visit(page, `model/local/${MODEL}`, '.chart[data-rendered]');
    expect(await page.locator('table.versions tbody tr').count()).toBe(3);
    expect(await page.locator('.chart[data-metric="accuracy"] .ct-point').count()).toBe(3);
    // Oldest first: v1 0.88, v2 0.92, v3 0.91, so the second point is the highest (smallest y).
    const ys = await page.locator('.chart .ct-point').evaluateAll((points) => points.map((p) => Number(p.getAttribute('y1'))));
    expect(ys[1]).toBeLessThan(ys[2]!);
    expect(ys[2]).toBeLessThan(ys[0]!);
    await page.selectOption('select[name="chart-metric"]', 'f1_score');
    await page.click('input[name="kind"] >> nth=1');
    await page.waitForSelector('.chart[data-metric="f1_score"][data-kind="bar"][data-rendered]');
    expect(await page.locator('.chart .ct-bar').count()).toBe(3);
    expect(await page.textContent('.description')).toContain('Predicts which customers will cancel');
    expect(await page.textContent('.tags')).toContain('team=retention');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('compare highlights the best version per metric, and flips it when a metric is minimised', async () => {
    const { page, problems, context } = await openConsole(browser, gateway.origin, 'viewer');
    await visit(page, `compare/local/${MODEL}`, 'table.comparison td[data-best]');
    const best = async (metric: string) => page.locator(`table.comparison tr:has(td[data-metric="${metric}"][data-best]) td >> nth=0`).allTextContents();
    expect(await best('accuracy')).toEqual(['v2']);
    expect(await best('f1_score')).toEqual(['v3']);
    await page.check('input[name="minimize-accuracy"]');
    await page.waitForFunction(() => document.querySelector('tr[data-version="1"] td[data-metric="accuracy"][data-best]') !== null);
    expect(await best('accuracy')).toEqual(['v1']);
    // Only the versions picked are compared.
    await page.uncheck('input[name="v1"]');
    await page.waitForFunction(() => document.querySelectorAll('table.comparison tbody tr').length === 2);
    expect(await page.locator('table.across tr[data-registry="local"]').textContent()).toContain('yes');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a viewer sees promote, rollback and approve disabled, each with the reason', async () => {
    const { page, problems, context } = await openConsole(browser, gateway.origin, 'viewer');
    await visit(page, `promote/local/${MODEL}`, 'select[name="version"] option');
    await page.click('button[name="evaluate"]');
    await page.waitForSelector('.gate-report');
    const dryRun = page.locator('button[name="dry-run"]');
    await page.waitForFunction(() => document.querySelector('.form-row .reason') !== null);
    expect(await dryRun.isDisabled()).toBe(true);
    expect(await page.locator('.form-row .reason').textContent()).toBe(`viewer may not promote:staging on local/${MODEL}: no grant gives it`);

    await visit(page, `rollback/local/${MODEL}`, 'fieldset.targets');
    await page.fill('input[name="reason"]', 'trying');
    await page.waitForSelector('button[name="rollback"][disabled] ~ .reason');
    expect(await page.textContent('.action .reason')).toContain('viewer may not rollback');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a promotion the gates refuse shows the report check by check, not a raw error', async () => {
    const { page, problems, context, screenshot } = await openConsole(browser, gateway.origin, 'approver');
    await visit(page, `promote/local/${MODEL}`, 'select[name="version"] option');
    await page.selectOption('select[name="version"]', '1');
    await page.selectOption('select[name="stage"]', 'PRODUCTION');
    await page.click('button[name="evaluate"]');
    await page.waitForSelector('.gate-report[data-passed="false"]');
    await page.click('button[name="dry-run"]');
    await page.waitForSelector('.dry-run, .refusal');
    if (await page.locator('button[name="confirm"]').count()) await page.click('button[name="confirm"]');
    await page.waitForSelector('.refusal .gate-report');
    expect(await page.textContent('.refusal .error')).toContain('GATE_FAILED');
    const failed = await page.locator('.refusal .gate-report tr.fail-row td:first-child').allTextContents();
    expect(failed).toEqual(expect.arrayContaining(['tag', 'metric']));
    expect(await page.locator('.refusal .gate-report').textContent()).toContain('accuracy');
    await screenshot('promote-gate-failed');
    // Nothing changed.
    const { data } = await gateway.as('viewer', `{ modelVersion(name: "${MODEL}", version: "1") { stage } }`);
    expect(data.modelVersion.stage).not.toBe('PRODUCTION');
    expect(problems).toEqual([]);
    await context.close();
  });
});
