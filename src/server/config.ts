import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { validRange } from 'semver';
import { z } from 'zod';
import { CARD_FIELDS, type CardField } from '../core/card.ts';
import { RegistryEventType } from '../events/event.ts';

const registryId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, _ or -, starting with a letter (at most 63)');

/** Per-registry deadline and circuit breaker. */
const resilience = z
  .strictObject({
    deadlineMs: z.number().int().min(100).max(600_000).optional(),
    failureThreshold: z.number().int().min(1).max(100).optional(),
    cooldownMs: z.number().int().min(100).max(3_600_000).optional(),
  })
  .optional();

/** Where metrics come from (issue 21): the backend's own store (`run`) and/or `metric_*` tags, first listed wins. */
const metricSourcing = {
  metricSources: z
    .array(z.enum(['run', 'tags']))
    .min(1)
    .refine((list) => new Set(list).size === list.length, 'lists a source twice')
    .default(['run', 'tags']),
  /** Tags named `<prefix><metric>` hold a metric; the tutorial writes `metric_accuracy`. */
  metricTagPrefix: z.string().min(1).max(100).default('metric_'),
};

const localRegistry = z.strictObject({
  id: registryId,
  kind: z.literal('local'),
  resilience,
  ...metricSourcing,
  /** SQLite file; defaults to <dataDir>/<id>.db */
  path: z.string().min(1).optional(),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

const mlflowAuth = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** The token is read from this environment variable, never written in the file. */
  z.strictObject({ type: z.literal('bearer'), tokenEnv: envName.default('MLFLOW_TRACKING_TOKEN') }),
  z.strictObject({
    type: z.literal('basic'),
    usernameEnv: envName.default('MLFLOW_TRACKING_USERNAME'),
    passwordEnv: envName.default('MLFLOW_TRACKING_PASSWORD'),
  }),
]);

const mlflowRegistry = z.strictObject({
  id: registryId,
  kind: z.literal('mlflow'),
  resilience,
  ...metricSourcing,
  trackingUri: z.url({ protocol: /^https?$/ }),
  stageMode: z.enum(['stages', 'aliases']).default('stages'),
  auth: mlflowAuth.default({ type: 'none' }),
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  readAttempts: z.number().int().min(1).max(10).default(3),
  concurrency: z.number().int().min(1).max(64).default(8),
  metricsExperiment: z.string().min(1).default('modelgate-registrations'),
});

const sagemakerRegistry = z.strictObject({
  id: registryId,
  kind: z.literal('sagemaker'),
  resilience,
  ...metricSourcing,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1'),
  /** Another endpoint: a VPC endpoint, or moto_server in tests. */
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  maxAttempts: z.number().int().min(1).max(10).default(3),
  timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  concurrency: z.number().int().min(1).max(64).default(8),
});

const vertexRegistry = z.strictObject({
  id: registryId,
  kind: z.literal('vertex'),
  resilience,
  ...metricSourcing,
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id'),
  location: z.string().regex(/^[a-z]+-[a-z]+\d+$/, 'must be a Vertex AI region such as us-central1'),
  /** Another endpoint; defaults to <location>-aiplatform.googleapis.com. */
  apiEndpoint: z.string().min(1).optional(),
  productionIsDefault: z.boolean().default(true),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  concurrency: z.number().int().min(1).max(64).default(8),
});

const registry = z.discriminatedUnion('kind', [localRegistry, mlflowRegistry, sagemakerRegistry, vertexRegistry]);

const stage = z.enum(['NONE', 'STAGING', 'PRODUCTION', 'ARCHIVED']);

const grant = z.strictObject({
  role: z.enum(['viewer', 'editor', 'approver', 'admin']),
  /** Registry id globs. */
  registries: z.array(z.string().min(1)).default(['*']),
  /** Model name globs. */
  models: z.array(z.string().min(1)).default(['*']),
});

const auth = z.strictObject({
  apiKeys: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w.@-]{1,64}$/, 'must be 1-64 letters, digits, _ . @ -'),
        sha256: z.string().regex(/^[a-f0-9]{64}$/, 'must be the hex SHA-256 of the key (never the key itself)'),
        grants: z.array(grant).min(1),
      }),
    )
    .default([]),
  jwt: z
    .strictObject({
      jwksUrl: z.url({ protocol: /^https?$/ }),
      issuer: z.string().min(1),
      audience: z.string().min(1),
      algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1).default(['RS256']),
      clockToleranceSec: z.number().int().min(0).max(300).default(30),
      rolesClaim: z.string().min(1).default('modelgate_roles'),
      principalClaim: z.string().min(1).default('sub'),
    })
    .optional(),
});

const cardGates = z.strictObject({
  ...Object.fromEntries(CARD_FIELDS.map((field) => [field, z.boolean().optional()])),
  dependencies: z
    .union([
      z.array(z.string().min(1)),
      z.record(z.string().min(1), z.string().min(1).refine((range) => validRange(range) !== null, 'must be an npm semver range such as ">=1.2 <2"')),
    ])
    .optional(),
}) as z.ZodType<{ [K in CardField]?: boolean } & { dependencies?: string[] | Record<string, string> }>;

const policy = z.strictObject({
  /** Glob over model names: `*` any run of characters, `?` one. */
  models: z.string().min(1).default('*'),
  registries: z.array(registryId).optional(),
  stage,
  gates: z
    .strictObject({
      metrics: z
        .record(z.string().min(1), z.strictObject({ min: z.number().optional(), max: z.number().optional() }).refine((b) => b.min !== undefined || b.max !== undefined, 'needs min or max'))
        .default({}),
      /** Tags that must be present: a key, or {key, value} for an exact value. */
      tags: z.array(z.union([z.string().min(1), z.strictObject({ key: z.string().min(1), value: z.string() })])).default([]),
      description: z.boolean().default(false),
      currentStage: stage.optional(),
      /** Card fields that must be filled (`dataVersion: true`), and dependencies: present (`[sklearn]`) or in an npm semver range (`{sklearn: ">=1.2 <2"}`). */
      card: cardGates.optional(),
    })
    .prefault({}),
  approvals: z.number().int().min(0).max(10).default(0),
  allowSelfApproval: z.boolean().default(false),
  /** An undecided approval request expires after this long: `90m`, `72h`, `7d`. */
  approvalTtl: z
    .string()
    .regex(/^[1-9]\d{0,5}[smhd]$/, 'a duration such as 90m, 72h or 7d')
    .optional(),
});

// Events (issue 17): webhooks with a durable outbox, and the watcher for changes made directly in a backend.
const webhook = z.strictObject({
  id: registryId,
  url: z.url({ protocol: /^https?$/ }),
  /** Event types sent; empty or omitted: all. */
  events: z.array(z.enum(Object.values(RegistryEventType) as [RegistryEventType, ...RegistryEventType[]])).default([]),
  /** Registry id globs and model name globs the webhook hears about. */
  registries: z.array(z.string().min(1)).default(['*']),
  models: z.array(z.string().min(1)).default(['*']),
  /** The HMAC-SHA256 signing secret is read from this environment variable, never from the file. */
  secretEnv: envName,
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Attempts before a delivery is dead-lettered. */
  maxAttempts: z.number().int().min(1).max(50).default(10),
  /** The first retry waits this long, each next one twice as long, at most maxBackoffMs. */
  backoffMs: z.number().int().min(10).max(3_600_000).default(1_000),
  maxBackoffMs: z.number().int().min(10).max(86_400_000).default(3_600_000),
});

const webhooks = z
  .array(webhook)
  .default([])
  .superRefine((list, ctx) => {
    list.forEach((w, index) => {
      if (list.findIndex((other) => other.id === w.id) !== index) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate webhook id '${w.id}'` });
    });
  });

const watch = z.strictObject({
  intervalSeconds: z.number().min(0.1).max(86_400).default(60),
  /** Model names (globs) to watch in each watched registry. */
  models: z.array(z.string().min(1)).min(1),
  /** Registry ids watched; omitted: all. */
  registries: z.array(registryId).optional(),
});

const origin = z.union([
  z.literal('*'),
  z.url({ protocol: /^https?$/ }).refine((u) => new URL(u).origin === u.replace(/\/$/, ''), 'must be an origin: scheme://host[:port]'),
]);

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(4000),
        /** Origins allowed to call from a browser; none by default. */
        corsOrigins: z.array(origin).default([]),
        /** Largest request body accepted, in bytes. */
        bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
        introspection: z.boolean().default(true),
        /** On SIGTERM/SIGINT, in-flight requests get this long before their connections are closed. */
        shutdownGraceMs: z.number().int().min(0).max(600_000).default(10_000),
        /** With auth: Host names (optionally host:port) the gateway answers to; `*` any. Without auth only loopback names are accepted. */
        allowedHosts: z.array(z.string().regex(/^(\*|[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?)$/, 'must be `*`, a host name or host:port')).min(1).default(['*']),
        /** Refused before anything runs: too deep, too many aliases, too costly (lists count per item), too long. */
        limits: z
          .strictObject({
            maxDepth: z.number().int().min(2).max(100).default(12),
            maxComplexity: z.number().int().min(10).max(10_000_000).default(20_000),
            maxAliases: z.number().int().min(0).max(1000).default(50),
            maxTokens: z.number().int().min(100).max(1_000_000).default(10_000),
          })
          .prefault({}),
      })
      .prefault({}),
    dataDir: z.string().min(1).default('./data'),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
    registries: z.array(registry).min(1).optional(),
    defaultRegistry: registryId.optional(),
    /** The gateway's own state: SQLite under dataDir by default, or a postgres:// URL. */
    store: z
      .strictObject({
        url: z.string().min(1).optional(),
        /** PostgreSQL connections per gateway process; at most half of them hold model locks. */
        poolSize: z.number().int().min(2).max(200).default(10),
        /** Open intents (a crash, a write past its deadline) are reconciled at start and every intervalMs. */
        reconcile: z
          .strictObject({
            intervalMs: z.number().int().min(100).max(86_400_000).default(30_000),
            /** An intent of a live process is left alone this long: its late write may still land. */
            graceMs: z.number().int().min(0).max(86_400_000).default(120_000),
          })
          .prefault({}),
      })
      .prefault({}),
    policies: z.array(policy).default([]),
    /** /metrics: the audit chain gauge walks the whole log, so at most once per auditCheckIntervalMs. */
    metrics: z
      .strictObject({
        auditCheckIntervalMs: z.number().int().min(0).max(86_400_000).default(60_000),
      })
      .prefault({}),
    /** API keys and/or OIDC tokens; without it the gateway serves loopback only, every caller an administrator. */
    auth: auth.optional(),
    /** Signed HTTP callbacks for registry events, delivered at least once through the store's outbox. */
    webhooks,
    /** Polls backends for changes made outside modelgate; off unless configured. */
    watch: watch.optional(),
    // --- copy (issue 19): copyVersion / migrateModel ---
    /** How a copy names the same artifacts where the target needs its own kind of location (s3:// on SageMaker, gs:// on Vertex). */
    artifactLocations: z
      .array(z.strictObject({ from: z.string().min(1).max(2048), to: z.string().min(1).max(2048) }))
      .max(1000)
      .default([]),
  })
  .superRefine((config, ctx) => {
    const ids = (config.registries ?? []).map((r) => r.id);
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) {
        ctx.addIssue({ code: 'custom', path: ['registries', index, 'id'], message: `duplicate registry id '${id}'` });
      }
    });
    if (config.defaultRegistry && config.registries && !ids.includes(config.defaultRegistry)) {
      ctx.addIssue({ code: 'custom', path: ['defaultRegistry'], message: `no registry has id '${config.defaultRegistry}'` });
    }
  });

export type GatewayConfig = z.output<typeof configSchema>;
export type PolicyConfig = z.output<typeof policy>;
export type RegistryConfig = z.output<typeof registry>;
export type WebhookConfig = z.output<typeof webhook>;
export type WatchConfig = z.output<typeof watch>;

/** Resolved configuration: registries filled in, paths absolute. */
export interface ResolvedConfig extends Omit<GatewayConfig, 'registries' | 'defaultRegistry'> {
  registries: RegistryConfig[];
  defaultRegistry: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
}

/** Validates raw config (from YAML) and applies overrides; every problem names its key. */
export function resolveConfig(raw: unknown, overrides: ConfigOverrides = {}, source = 'config'): ResolvedConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ConfigError(`Invalid ${source}:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  const dataDir = resolve(overrides.dataDir ?? config.dataDir);
  const registries = (config.registries ?? [localRegistry.parse({ id: 'local', kind: 'local' })]).map((r) =>
    r.kind === 'local' ? { ...r, path: r.path ? resolve(r.path) : resolve(dataDir, `${r.id}.db`) } : r,
  );
  return {
    ...config,
    server: {
      ...config.server,
      host: overrides.host ?? config.server.host,
      port: overrides.port ?? config.server.port,
    },
    dataDir,
    registries,
    defaultRegistry: config.defaultRegistry ?? registries[0]!.id,
  };
}

export function loadConfigFile(path: string, overrides: ConfigOverrides = {}): ResolvedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    // Loaded only for a config file: the parser is 72 modules a default start does not need.
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(`Config file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return resolveConfig(raw, overrides, `config file ${path}`);
}
