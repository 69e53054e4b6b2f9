import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/server/config.ts';
import { ensureBuilt } from '../support/build.ts';
import { ensureConsoleBuilt } from '../browser/support/console-build.ts';
import { freePort, waitForHttp } from '../support/peers/free-port.ts';
import { scaled } from '../support/time-scale.ts';

const run = promisify(execFile);
const REPO = process.cwd();
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

/** The Dockerfile's instructions, by stage: what the recipe test replays outside Docker. */
function dockerfile() {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
  const stages: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('FROM ')) stages.push([]);
    stages.at(-1)!.push(line);
  }
  const final = stages.at(-1)!;
  const json = (prefix: string) => JSON.parse(final.find((l) => l.startsWith(prefix))!.slice(final.find((l) => l.startsWith(prefix))!.indexOf('[')) as string) as string[];
  const env: Record<string, string> = {};
  for (const line of final.filter((l) => l.startsWith('ENV '))) {
    for (const [, key, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[key!] = value!;
  }
  return {
    stages,
    install: stages.flat().find((l) => l.startsWith('RUN npm install --omit=dev'))!.slice(4),
    cmd: json('CMD '),
    healthcheck: json('HEALTHCHECK '),
    env,
    from: stages.map((s) => s[0]!),
  };
}

interface Server {
  child: ChildProcess;
  exit: Promise<number | null>;
  output: () => string;
}

function launch(command: string, args: string[], cwd: string, env: Record<string, string | undefined>): Server {
  const child = spawn(command, args, { cwd, env: { ...process.env, NODE_ENV: '', MODELGATE_CONFIG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c).slice(-8000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c).slice(-8000)));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exit, output: () => output };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the package as a user installs it: npm pack, a production install into an empty folder (the Dockerfile recipe)', () => {
  const work = mkdtempSync(join(tmpdir(), 'modelgate-package-'));
  const app = join(work, 'app');
  let files: string[] = [];
  const recipe = dockerfile();
  const bin = () => join(app, 'node_modules/.bin/modelgate');

  beforeAll(async () => {
    await ensureBuilt();
    await ensureConsoleBuilt();
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    mkdirSync(app);
    // The Dockerfile's production install, its tarball path replaced by this one.
    const install = recipe.install.replace('/tmp/modelgate.tgz', join(work, packed!.filename));
    await run('sh', ['-c', install], { cwd: app, timeout: scaled(900_000) });
  }, scaled(1_000_000));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the compiled server, the bin, the schema, README, LICENSE and the example config, and nothing from tests, benches or CI', () => {
    const client = ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/generated.js'].map((f) => `node_modules/@modelgate/client/${f}`);
    for (const needed of ['bin/modelgate.js', 'dist/src/server/main.js', 'dist/src/cli/main.js', 'dist/adapters/local/index.js', 'dist/src/client/index.d.ts', ...client, 'schema.graphql', 'README.md', 'LICENSE', 'modelgate.example.yaml', 'package.json', 'dist/web/console/index.html', 'dist/web/graphiql/index.html']) {
      expect(files).toContain(needed);
    }
    // Bundled: the client and its one types-only dependency; graphql (its peer) stays the server's single copy.
    expect(files.filter((f) => f.startsWith('node_modules/') && !/^node_modules\/(@modelgate\/client|@graphql-typed-document-node\/core)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /^(test|bench|\.ci|src|adapters|operations|examples)\//.test(f) || f.endsWith('.test.js') || /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/modelgate/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(installed.dependencies)).not.toContain('tsx');
    // @modelgate/client came out of the tarball (bundled), not from a registry that does not know it.
    const lock = JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, { inBundle?: boolean; version?: string }> };
    expect(lock.packages['node_modules/modelgate/node_modules/@modelgate/client']).toMatchObject({ inBundle: true, version: installed.dependencies['@modelgate/client'] });
  });

  it('serves the demo with `modelgate serve --demo`, answers `modelgate models list` and the bundled client through `modelgate/client` from plain node and from TypeScript (nodenext), and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/graphql`;
    const server = launch(bin(), ['serve', '--demo', '--port', String(port), '--data-dir', join(work, 'demo-data')], app, {});
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => (server.child.exitCode !== null ? `serve exited: ${server.output()}` : null));
      // The console, compiled into the package, is served at `/`.
      const consolePage = await fetch(`http://127.0.0.1:${port}/`);
      expect(consolePage.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await consolePage.text()).toContain('<div id="app"></div>');
      const list = await run(bin(), ['models', 'list', '--url', url], { cwd: app, env: { ...process.env, NO_COLOR: '1', MODELGATE_TOKEN: '' } });
      expect(list.stdout).toMatch(/^ChurnPredictionModel\s/m);
      // The typed client export, from plain node (no TypeScript loader) in the installing project.
      writeFileSync(join(app, 'client.mjs'), `import { createClient, ListModelsDocument } from 'modelgate/client';\nconst data = await createClient({ url: process.argv[2] }).request(ListModelsDocument, {});\nconsole.log(data.models.edges.map((e) => e.node.name).join(','));\n`);
      const client = await run(process.execPath, ['client.mjs', url], { cwd: app });
      expect(client.stdout.trim()).toBe('ChurnPredictionModel');
      // The same from TypeScript, compiled by tsc with module nodenext against the installed .d.ts.
      const ts = join(app, 'ts-client');
      mkdirSync(ts);
      writeFileSync(join(ts, 'package.json'), '{"type":"module"}\n');
      writeFileSync(join(ts, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, types: [], outDir: 'out' }, files: ['main.ts'] }));
      writeFileSync(join(ts, 'main.ts'), `import { createClient, ListModelsDocument } from 'modelgate/client';\ndeclare const process: { argv: string[] };\nconst data = await createClient({ url: process.argv[2]! }).request(ListModelsDocument, {});\nconst names: string[] = data.models.edges.map((e) => e.node.name);\nconsole.log(names.join(','));\n`);
      await run(process.execPath, [TSC, '-p', ts]).catch((error: { stdout: string }) => {
        throw new Error(`tsc failed:\n${error.stdout}`);
      });
      expect((await run(process.execPath, [join(ts, 'out/main.js'), url])).stdout.trim()).toBe('ChurnPredictionModel');
      // (@modelgate/client on its own, and wrong names failing to compile: test/ship/client-package.test.ts.)
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exit, server.output()).toBe(0);
  }, scaled(180_000));

  it('`npx modelgate serve` leaves no orphan when npx gets SIGTERM', async () => {
    const port = await freePort();
    const data = join(work, 'npx-data');
    const npx = launch('npx', ['--no-install', 'modelgate', 'serve', '--port', String(port), '--data-dir', data], app, {});
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => (npx.child.exitCode !== null ? `npx exited: ${npx.output()}` : null));
    const server = (JSON.parse(readFileSync(join(data, 'modelgate.owner.json'), 'utf8')) as { pid: number }).pid;
    npx.child.kill('SIGTERM');
    await npx.exit;
    const deadline = Date.now() + scaled(20_000);
    while (alive(server) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const orphan = alive(server);
    if (orphan) process.kill(server, 'SIGKILL');
    expect(orphan).toBe(false);
  }, scaled(180_000));

  it('the container recipe: Node 22 slim in every stage, not root, a data volume; its CMD serves with config and secrets from the environment, its HEALTHCHECK passes, SIGTERM exits 0', async () => {
    expect(recipe.from.every((from) => from.startsWith('FROM node:22-bookworm-slim'))).toBe(true);
    const final = recipe.stages.at(-1)!;
    expect(final).toContain('USER node');
    expect(final).toContain('VOLUME /data');
    expect(recipe.cmd[0]).toBe('node');

    // What a deployment mounts: a config with auth (the container binds 0.0.0.0); the MLflow-style secret stays in the environment.
    const key = 'recipe-key-4b1d';
    const config = join(work, 'modelgate.yaml');
    writeFileSync(config, `auth:\n  apiKeys:\n    - name: ops\n      sha256: ${createHash('sha256').update(key).digest('hex')}\n      grants: [{ role: admin }]\n`);
    const port = await freePort();
    const env = { ...recipe.env, PORT: String(port), MODELGATE_DATA_DIR: join(work, 'container-data'), MODELGATE_CONFIG: config };
    expect(recipe.env.HOST).toBe('0.0.0.0');
    const server = launch(recipe.cmd[0]!, recipe.cmd.slice(1), app, env);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, 120_000, () => (server.child.exitCode !== null ? `CMD exited: ${server.output()}` : null));
      const health = await run(recipe.healthcheck[0]!, recipe.healthcheck.slice(1), { cwd: app, env: { ...process.env, ...env } });
      expect(health.stdout).toBe('');
      const list = await run(bin(), ['models', 'list', '--url', `http://127.0.0.1:${port}/graphql`, '--token', key, '--json'], { cwd: app });
      expect(JSON.parse(list.stdout)).toHaveProperty('models');
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exit, server.output()).toBe(0);
    // With the server gone the HEALTHCHECK fails, as Docker must see it.
    await expect(run(recipe.healthcheck[0]!, recipe.healthcheck.slice(1), { cwd: app, env: { ...process.env, ...env } })).rejects.toMatchObject({ code: 1 });
  }, scaled(180_000));

  it('the compose example\'s modelgate.yaml is a valid config with auth and a PostgreSQL store without a password in it', () => {
    const config = loadConfigFile(resolve(REPO, 'examples/compose/modelgate.yaml'));
    expect(config.auth?.apiKeys.length).toBe(1);
    expect(config.store.url).toMatch(/^postgres:\/\/modelgate@postgres:5432\//);
    expect(config.registries.map((r) => r.kind)).toEqual(['mlflow']);
  });
});
