import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runBash } from './run-cli.ts';

interface StepDef {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  env?: Record<string, string>;
  run?: string;
}
interface JobDef {
  needs?: string;
  if?: string;
  outputs?: Record<string, string>;
  steps: StepDef[];
}
export interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, JobDef>;
}

export interface StepRun {
  job: string;
  step: string;
  code: number;
  output: string;
}

/**
 * Runs a workflow's jobs and shell steps the way GitHub would, with the expressions it uses:
 * lookups (`inputs.x`, `secrets.X`, `steps.id.outputs.k`, `needs.job.outputs.k`, `env.X`),
 * string and boolean literals, `==`, `!=`, `!`, `&&`, `||` and parentheses. `uses:` steps are
 * skipped; `replace` swaps the script of a named step (the package install, done by the caller).
 */
export async function runWorkflow(
  path: string,
  context: { inputs: Record<string, unknown>; secrets: Record<string, string> },
  replace: Record<string, string>,
  env: Record<string, string>,
): Promise<{ steps: StepRun[]; failed: StepRun | null; jobs: Record<string, 'success' | 'failure' | 'skipped'> }> {
  const workflow = parse(readFileSync(path, 'utf8')) as Workflow;
  const runs: StepRun[] = [];
  const jobs: Record<string, 'success' | 'failure' | 'skipped'> = {};
  const needs: Record<string, { outputs: Record<string, string> }> = {};
  let failed: StepRun | null = null;
  const cwd = mkdtempSync(join(tmpdir(), 'modelgate-workflow-'));
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    if (job.needs && jobs[job.needs] !== 'success') {
      jobs[jobName] = 'skipped';
      continue;
    }
    const steps: Record<string, { outputs: Record<string, string> }> = {};
    const scope = () => ({ ...context, needs, steps, env: workflowEnv });
    const workflowEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(workflow.env ?? {})) workflowEnv[k] = String(evaluateTemplate(v, { ...context, needs, steps, env: {} }));
    if (job.if && !truthy(evaluate(job.if, scope()))) {
      jobs[jobName] = 'skipped';
      continue;
    }
    jobs[jobName] = 'success';
    for (const step of job.steps) {
      if (step.uses || !step.run || (step.if && !truthy(evaluate(step.if, scope())))) continue;
      const output = join(cwd, `output-${runs.length}`);
      writeFileSync(output, '');
      const stepEnv: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = String(evaluateTemplate(v, scope()));
      const script = replace[step.name ?? ''] ?? step.run;
      const result = await runBash(`set -e\n${script}`, { ...env, ...workflowEnv, ...stepEnv, GITHUB_OUTPUT: output, GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' }, cwd);
      const run = { job: jobName, step: step.name ?? step.id ?? step.run.slice(0, 30), code: result.code, output: result.stdout + result.stderr };
      runs.push(run);
      if (step.id) steps[step.id] = { outputs: Object.fromEntries(readFileSync(output, 'utf8').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])) };
      if (result.code !== 0) {
        jobs[jobName] = 'failure';
        failed ??= run;
        break;
      }
    }
    if (jobs[jobName] === 'failure') continue;
    needs[jobName] = { outputs: Object.fromEntries(Object.entries(job.outputs ?? {}).map(([k, v]) => [k, String(evaluateTemplate(v, scope()) ?? '')])) };
  }
  return { steps: runs, failed, jobs };
}

const truthy = (v: unknown) => v !== false && v !== '' && v !== null && v !== undefined && v !== 0;

function evaluateTemplate(text: string, scope: Record<string, unknown>): unknown {
  const whole = /^\$\{\{(.*)\}\}$/s.exec(text.trim());
  if (whole) return evaluate(whole[1]!, scope) ?? '';
  return text.replace(/\$\{\{(.*?)\}\}/g, (_m, e: string) => String(evaluate(e, scope) ?? ''));
}

/** A small recursive-descent evaluator of GitHub expressions (the subset above). */
export function evaluate(expression: string, scope: Record<string, unknown>): unknown {
  const tokens = expression.match(/'[^']*'|==|!=|&&|\|\||[()!]|[A-Za-z_][\w.-]*/g) ?? [];
  let at = 0;
  const peek = () => tokens[at];
  const or = (): unknown => {
    let left = and();
    while (peek() === '||') {
      at++;
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): unknown => {
    let left = compare();
    while (peek() === '&&') {
      at++;
      const right = compare();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const compare = (): unknown => {
    const left = unary();
    if (peek() === '==' || peek() === '!=') {
      const op = tokens[at++];
      const right = unary();
      const same = String(left ?? '').toLowerCase() === String(right ?? '').toLowerCase();
      return op === '==' ? same : !same;
    }
    return left;
  };
  const unary = (): unknown => {
    const token = tokens[at++]!;
    if (token === '!') return !truthy(unary());
    if (token === '(') {
      const value = or();
      at++; // ')'
      return value;
    }
    if (token.startsWith("'")) return token.slice(1, -1);
    if (token === 'true') return true;
    if (token === 'false') return false;
    return token.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], scope);
  };
  return or();
}
