/**
 * npm run bench:edge [-- --iterations 50]
 *
 * Time for the gateway (default limits, one local registry) to refuse the worst documents a
 * read-only caller can send, side by side with a plain small query, in one run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { LocalRegistry } from '../adapters/local/index.ts';
import { RegistrySet, enforceInputRules } from '../src/core/index.ts';
import { resolveConfig } from '../src/server/config.ts';
import { startGateway } from '../src/server/gateway.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '50' } } });
const iterations = Number(values.iterations);

/** The refusal target: a hostile document must cost the gateway less than this. */
const TARGET_MS = 100;

const fragmentBomb = (levels: number) =>
  [
    '{ models(first: 1) { nodes { ...F0 } } }',
    ...Array.from({ length: levels - 1 }, (_, i) => `fragment F${i} on Model { ...F${i + 1} ...F${i + 1} }`),
    `fragment F${levels - 1} on Model { name }`,
  ].join('\n');

const aliasBomb = (aliases: number, spreads: number) =>
  `{ registries { ${Array.from({ length: spreads }, () => '...Many').join(' ')} } }\n` +
  `fragment Many on Registry { ${Array.from({ length: aliases }, (_, i) => `a${i}: id`).join(' ')} }`;

const documents: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  { name: 'plain small query', query: '{ registries { id kind } }' },
  { name: 'fragment bomb (30 doubling levels)', query: fragmentBomb(30) },
  { name: 'alias bomb (45 aliases x 200 spreads)', query: aliasBomb(45, 200) },
  { name: 'list fan-out (compareVersions x versions(100) x downloadUri)', query: '{ compareVersions(name: "m") { rows { version { model { versions(first: 100) { nodes { downloadUri } } } } } } }' },
  {
    name: 'compareRegistries, one registry named 2000 times (answered)',
    query: 'query($r: [String!]) { compareRegistries(name: "m", registries: $r) { registry found } }',
    variables: { r: Array.from({ length: 2000 }, () => 'local') },
  },
];

const dir = mkdtempSync(join(tmpdir(), 'modelgate-bench-edge-'));
const adapters = [new LocalRegistry({ id: 'local', path: join(dir, 'local.db') })];
const gateway = await startGateway(resolveConfig({ server: { port: 0 } as never }, { dataDir: dir }), {
  log: pino({ level: 'silent' }),
  registries: new RegistrySet(adapters.map(enforceInputRules), 'local'),
});

try {
  const rows = [];
  for (const document of documents) {
    let outcome = '';
    let bytes = 0;
    const times: number[] = [];
    for (let i = 0; i < iterations + 3; i++) {
      // A different comment each time defeats Apollo's document cache: every request is parsed and validated.
      const body = JSON.stringify({ query: `${document.query}\n# ${i}`, variables: document.variables });
      bytes = body.length;
      const started = performance.now();
      const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.json()) as { errors?: { extensions?: { code?: string; reason?: string } }[] };
      if (i >= 3) times.push(performance.now() - started); // first three warm up
      const error = json.errors?.[0]?.extensions;
      outcome = error ? `${error.code}${error.reason ? ` ${error.reason}` : ''}` : 'answered';
    }
    times.sort((a, b) => a - b);
    rows.push({ name: document.name, bytes, outcome, p50: times[Math.floor(times.length / 2)]!, p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]! });
  }
  const plain = rows[0]!.p50;
  const table = [
    ['document', 'bytes', 'outcome', 'p50 ms', 'p99 ms', 'x plain', `under ${TARGET_MS} ms`],
    ...rows.map((r) => [r.name, String(r.bytes), r.outcome, r.p50.toFixed(2), r.p99.toFixed(2), (r.p50 / plain).toFixed(1), r.p99 < TARGET_MS ? 'yes' : 'NO']),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  console.log(`modelgate edge: ${iterations} requests each, default limits, over HTTP on 127.0.0.1\n`);
  for (const row of table) console.log(row.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
} finally {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
}
