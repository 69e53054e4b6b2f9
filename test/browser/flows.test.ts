import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_SCREENSHOTS, launchChromium, openConsole, visit } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { startConsoleGateway, type ConsoleGateway } from './support/console-gateway.ts';

const MODEL = 'ChurnPredictionModel';
/** Staging of Fraud* models needs one approval (on top of the demo's gates), so an editor's promotion opens a request. */
const FRAUD = 'FraudDetector';
const REVIEWED_STAGING = { models: 'Fraud*', stage: 'STAGING', approvals: 1 };

describe('governed changes in the console: promote with gates and dry run, approval across two browsers, rollback', { timeout: 120_000 }, () => {
  let gateway: ConsoleGateway;
  let browser: Browser;
  const stageOf = async (name: string, version: string) =>
    (await gateway.as('viewer', `{ modelVersion(name: "${name}", version: "${version}") { stage } }`)).data.modelVersion.stage as string;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [gateway, browser] = await Promise.all([startConsoleGateway({ extraPolicies: [REVIEWED_STAGING] }), launchChromium()]);
    const registered = await gateway.as('editor', `mutation { registerVersion(name: "${FRAUD}", source: "file:///models/fraud/1", description: "Flags card fraud", metrics: [{ key: "accuracy", value: 0.95 }, { key: "f1_score", value: 0.9 }]) { version } }`);
    expect(registered.errors).toBeUndefined();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it('promotion: the gate report check by check, a dry run that changes nothing, then confirm moves the version', async () => {
    const { page, problems, context, screenshot } = await openConsole(browser, gateway.origin, 'editor');
    await visit(page, `promote/local/${MODEL}`, 'select[name="version"] option');
    await page.selectOption('select[name="version"]', '2');
    await page.selectOption('select[name="stage"]', 'STAGING');
    await page.click('button[name="evaluate"]');
    await page.waitForSelector('.gate-report[data-passed="true"]');
    expect(await page.locator('.gate-report tbody tr.pass-row').count()).toBe(2);
    await page.click('button[name="dry-run"]');
    await page.waitForSelector('.dry-run[data-status="DRY_RUN"]');
    expect(await stageOf(MODEL, '2')).toBe('NONE');
    await page.fill('input[name="comment"]', 'release 7');
    await page.click('button[name="confirm"]');
    await page.waitForSelector('.outcome[data-status="PROMOTED"]');
    expect(await page.textContent('.outcome')).toContain('is now STAGING');
    if (DOCS_SCREENSHOTS) await page.screenshot({ path: 'docs/console-promote.png', fullPage: true });
    await screenshot('promote-done');
    expect(await stageOf(MODEL, '2')).toBe('STAGING');
    await visit(page, `model/local/${MODEL}`, '.chart[data-rendered]');
    expect(await page.textContent('table.versions tr[data-version="2"] td.stage')).toBe('STAGING');
    if (DOCS_SCREENSHOTS) await page.screenshot({ path: 'docs/console-model.png', fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('approval: the editor requests in one browser, cannot approve; the approver approves with a comment in another, and the stage changes', async () => {
    const editor = await openConsole(browser, gateway.origin, 'editor');
    await visit(editor.page, `promote/local/${FRAUD}`, 'select[name="version"] option');
    await editor.page.click('button[name="evaluate"]');
    await editor.page.waitForSelector('.gate-report[data-passed="true"]');
    await editor.page.click('button[name="dry-run"]');
    await editor.page.waitForSelector('.dry-run');
    await editor.page.click('button[name="confirm"]');
    await editor.page.waitForSelector('.outcome[data-status="PENDING_APPROVAL"]');
    expect(await stageOf(FRAUD, '1')).toBe('NONE');
    // The editor's grants do not cover approving: the button says why.
    await visit(editor.page, 'approvals', `article.approval[data-status="PENDING"] button[name="approve"][disabled]`);
    expect(await editor.page.textContent('article.approval .decide .reason')).toContain('editor may not approve');

    const approver = await openConsole(browser, gateway.origin, 'approver');
    await visit(approver.page, 'approvals', 'article.approval[data-status="PENDING"]');
    const card = approver.page.locator(`article.approval:has(a:text("${FRAUD}"))`);
    expect(await card.locator('.requested-by').textContent()).toBe('editor');
    expect(await card.locator('.gate-report').getAttribute('data-passed')).toBe('true');
    await approver.screenshot('approvals');
    await card.locator('input[name="comment"]').fill('looks good');
    await card.locator('button[name="approve"]').click();
    await card.locator('.outcome').waitFor();
    expect(await card.locator('.outcome').textContent()).toBe('Approved: version 1 is now STAGING');
    expect(await stageOf(FRAUD, '1')).toBe('STAGING');
    expect([...editor.problems, ...approver.problems]).toEqual([]);
    await editor.context.close();
    await approver.context.close();
  });

  it('an approver cannot approve their own request: the console shows the refusal and its reason; reject needs a reason', async () => {
    const setup = await gateway.as('editor', `mutation { setTags(name: "${MODEL}", version: "2", tags: [{ key: "validated", value: "true" }]) { model { name } } }`);
    expect(setup.errors).toBeUndefined();
    const { page, problems, context } = await openConsole(browser, gateway.origin, 'approver');
    await visit(page, `promote/local/${MODEL}?version=2`, 'select[name="version"] option');
    await page.selectOption('select[name="version"]', '2');
    await page.selectOption('select[name="stage"]', 'PRODUCTION');
    await page.click('button[name="evaluate"]');
    await page.waitForSelector('.gate-report[data-passed="true"]');
    await page.click('button[name="dry-run"]');
    await page.waitForSelector('.dry-run');
    await page.click('button[name="confirm"]');
    await page.waitForSelector('.outcome[data-status="PENDING_APPROVAL"]');

    await visit(page, `approvals?model=${MODEL}`, 'article.approval[data-status="PENDING"]');
    const card = page.locator('article.approval[data-status="PENDING"]');
    expect(await card.locator('button[name="reject"]').isDisabled()).toBe(true);
    await card.locator('button[name="approve"]').click();
    await card.locator('.error[data-code="FORBIDDEN"]').waitFor();
    expect(await card.locator('.error').textContent()).toContain('An approval must come from someone other than the requester');
    expect(await stageOf(MODEL, '2')).toBe('STAGING');
    await card.locator('input[name="reason"]').fill('wrong release');
    await card.locator('button[name="reject"]').click();
    await card.locator('.outcome').waitFor();
    expect(await card.locator('.outcome').textContent()).toBe('Rejected (REJECTED)');
    // The refusal is an audit event, readable with the filters.
    await visit(page, `audit?model=${MODEL}`, '.verification[data-ok="true"]');
    await page.fill('input[name="principal"]', 'approver');
    await page.selectOption('select[name="result"]', 'FORBIDDEN');
    expect(await page.locator('table.audit tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('table.audit tbody tr td:nth-child(4)').allTextContents()).toContain('approve');
    // A refused self-approval is logged as FORBIDDEN, not as a browser error: the console showed it in place.
    expect(problems).toEqual([]);
    await context.close();
  });

  it('rollback: the history suggests the target, a reason is required, and the answer names the rule', async () => {
    for (const version of ['2', '3']) {
      const moved = await gateway.as('admin', `mutation { transitionStage(name: "${MODEL}", version: "${version}", stage: PRODUCTION, archiveExisting: true) { version { stage } } }`);
      expect(moved.errors).toBeUndefined();
    }
    const { page, problems, context, screenshot } = await openConsole(browser, gateway.origin, 'approver');
    await visit(page, `rollback/local/${MODEL}`, 'strong[data-production="3"]');
    expect(await page.locator('input[name="target"][value="2"]').count()).toBe(1);
    expect(await page.textContent('fieldset.targets')).toContain('v2 (was in production)');
    expect(await page.locator('button[name="rollback"]').isDisabled()).toBe(true);
    await page.fill('input[name="reason"]', 'latency regression');
    await page.click('button[name="rollback"]');
    await page.waitForSelector('.outcome[data-rule="PRODUCTION_HISTORY"]');
    expect(await page.textContent('.outcome')).toContain('Version 2 is in PRODUCTION; taken out: v3');
    await screenshot('rollback-done');
    expect(await stageOf(MODEL, '2')).toBe('PRODUCTION');
    expect(await stageOf(MODEL, '3')).toBe('ARCHIVED');
    expect(problems).toEqual([]);
    await context.close();
  });
});
