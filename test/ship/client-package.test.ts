import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateModelDocument } from '@modelgate/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { scaled } from '../support/time-scale.ts';

const run = promisify(execFile);
const REPO = process.cwd();
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

/** A TypeScript project as a user of the client sets one up: ESM, module nodenext, strict, no Node types. */
function tsProject(dir: string, main: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, types: [], outDir: 'out' }, files: ['main.ts'] }));
  writeFileSync(join(dir, 'main.ts'), main);
}

describe('@modelgate/client as a frontend installs it: its own packed tarball in an empty project, beside no server', () => {
  const work = mkdtempSync(join(tmpdir(), 'modelgate-client-'));
  const app = join(work, 'app');
  let files: string[] = [];
  let gateway: TestGateway;

  beforeAll(async () => {
    await ensureBuilt();
    const [packed, started] = await Promise.all([
      run('npm', ['pack', '-w', '@modelgate/client', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO }),
      startTestGateway(),
    ]);
    gateway = started;
    const [tarball] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = tarball!.files.map((f) => f.path);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"frontend","private":true,"type":"module"}\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball!.filename)], { cwd: app, timeout: scaled(600_000) });
    await gateway.client.request(CreateModelDocument, { name: 'FraudModel', description: 'seen from the client package' });
  }, scaled(900_000));
  afterAll(async () => {
    await gateway?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('depends only on graphql (a peer) and @graphql-typed-document-node/core, ships compiled ESM with .d.ts, and installs nothing of the server', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@modelgate/client/package.json'), 'utf8')) as Record<string, unknown>;
    const needs = { ...(manifest.dependencies as object), ...(manifest.peerDependencies as object), ...(manifest.optionalDependencies as object) };
    expect(Object.keys(needs).sort()).toEqual(['@graphql-typed-document-node/core', 'graphql']);
    // graphql as a peer: the app (and the modelgate server bundling this client) keeps one graphql, never a second copy.
    expect(Object.keys(manifest.peerDependencies as object)).toEqual(['graphql']);
    expect(manifest.type).toBe('module');
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/generated.js', 'dist/generated.d.ts', 'package.json', 'README.md']));
    expect(files.filter((f) => !/^dist\/[\w-]+\.(js|d\.ts)$/.test(f) && f !== 'package.json' && f !== 'README.md')).toEqual([]);
    // What the install brought: the client and its two dependencies, no AWS SDK, Google Cloud, SQLite or server.
    const installed = readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed.sort()).toEqual(['@graphql-typed-document-node', '@modelgate', 'graphql']);
  });

  it('imports from plain node (.mjs) and queries a running gateway; a refused call throws GatewayError with its code', async () => {
    writeFileSync(
      join(app, 'query.mjs'),
      `import { createClient, ListModelsDocument, CreateModelDocument, GatewayError } from '@modelgate/client';
const client = createClient({ url: process.argv[2] });
const data = await client.request(ListModelsDocument, {});
console.log(data.models.edges.map((e) => e.node.name + ': ' + e.node.description).join(','));
try {
  await client.request(CreateModelDocument, { name: 'FraudModel' });
} catch (error) {
  console.log(error instanceof GatewayError, error.code);
}
`,
    );
    const { stdout } = await run(process.execPath, ['query.mjs', gateway.url], { cwd: app });
    expect(stdout.trim().split('\n')).toEqual(['FraudModel: seen from the client package', 'true ALREADY_EXISTS']);
  });

  it('compiles with tsc (module nodenext) against the installed .d.ts, typed results and variables, and the output queries the gateway', async () => {
    const project = join(app, 'typed');
    tsProject(
      project,
      `import { createClient, GetModelDocument, type GetModelQuery } from '@modelgate/client';
declare const process: { argv: string[] };
const client = createClient({ url: process.argv[2]! });
const data: GetModelQuery = await client.request(GetModelDocument, { name: 'FraudModel' });
const description: string | null | undefined = data.model?.description;
console.log(data.model?.name, description);
`,
    );
    await run(process.execPath, [TSC, '-p', project]).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed:\n${error.stdout}`);
    });
    const { stdout } = await run(process.execPath, [join(project, 'out/main.js'), gateway.url]);
    expect(stdout.trim()).toBe('FraudModel seen from the client package');
  });

  it('does not compile a wrong field name or a wrong variable name: tsc exits non-zero naming both', async () => {
    const project = join(app, 'wrong');
    tsProject(
      project,
      `import { createClient, GetModelDocument } from '@modelgate/client';
const data = await createClient({ url: 'http://127.0.0.1:1/graphql' }).request(GetModelDocument, { nmae: 'FraudModel' });
console.log(data.model?.descripton);
`,
    );
    const failed = await run(process.execPath, [TSC, '-p', project]).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed?.code).toBeGreaterThan(0);
    expect(failed?.stdout).toMatch(/error TS(2339|2551): Property 'descripton' does not exist/);
    expect(failed?.stdout).toMatch(/error TS2353: Object literal may only specify known properties, and 'nmae' does not exist/);
  });
});
