// The console's weight and speed: its JavaScript gzipped (budget 250 KB) and the time from navigation to the
// model page's chart drawn, read from Chromium's performance timeline (budget 1 s). `npm run bench:console`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../test/browser/support/browser.ts';
import { ensureConsoleBuilt } from '../test/browser/support/console-build.ts';
import { KEYS, startConsoleGateway } from '../test/browser/support/console-gateway.ts';

const JS_BUDGET_KB = 250;
const CHART_BUDGET_MS = 1000;
const ROUNDS = 7;

await ensureConsoleBuilt();
const assets = 'dist/web/console/assets';
const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
const gzipped = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
const raw = scripts.reduce((sum, f) => sum + readFileSync(join(assets, f)).length, 0);

const gateway = await startConsoleGateway();
const browser = await launchChromium();
const timings: number[] = [];
/** Where the time went, per load: scripts ready (DOMContentLoaded) and the last GraphQL answer. */
const phases: { scripts: number; graphql: number }[] = [];
try {
  const context = await browser.newContext();
  await context.addInitScript((token) => sessionStorage.setItem('modelgate.token', token), KEYS.viewer);
  for (let round = 0; round < ROUNDS; round++) {
    const page = await context.newPage();
    await page.goto(`${gateway.origin}/#/model/local/ChurnPredictionModel`);
    const handle = await page.waitForFunction(() => performance.getEntriesByName('chart-rendered')[0]?.startTime, undefined, { timeout: 30_000 });
    // startTime counts from the navigation's time origin: request, HTML, scripts, GraphQL, drawing.
    timings.push(Number(await handle.jsonValue()));
    phases.push(
      await page.evaluate(() => ({
        scripts: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
        graphql: Math.max(...performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/graphql')).map((e) => (e as PerformanceResourceTiming).responseEnd)),
      })),
    );
    await page.close();
  }
} finally {
  await browser.close();
  await gateway.stop();
}

const sorted = [...timings].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`console JavaScript: ${scripts.length} file(s), ${(raw / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${JS_BUDGET_KB} KB)`);
console.log(`model page chart drawn after navigation: first ${timings[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms over ${ROUNDS} loads (budget ${CHART_BUDGET_MS} ms)`);
const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(0);
console.log(`  of which (medians): scripts ready ${mid(phases.map((p) => p.scripts))} ms, last GraphQL answer ${mid(phases.map((p) => p.graphql))} ms`);
console.log(`load average: ${load}`);
const over = [gzipped / 1024 > JS_BUDGET_KB && 'JavaScript over budget', median > CHART_BUDGET_MS && 'chart slower than budget'].filter(Boolean);
if (over.length) {
  console.log(`OVER BUDGET: ${over.join('; ')}`);
  process.exitCode = 1;
}
