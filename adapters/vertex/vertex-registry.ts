import { v1 } from '@google-cloud/aiplatform';
import {
  ErrorCode,
  RegistryError,
  Stage,
  VersionOrder,
  decodeCursor,
  encodeCursor,
  invalidInput,
  refusedBeforeSending,
  isRegistryError,
  isEmptyCard,
  cardToJson,
  type ModelCard,
  isVersionKey,
  mapBounded,
  pageByTokens,
  modelNotFound,
  versionKeyId,
  versionNotFound,
  callView,
  untilAborted,
  wants,
  UNREAD,
  type CallContext,
  type Capabilities,
  type CreateModel,
  type CreateVersion,
  type Health,
  type MetricsRef,
  type Model,
  type ModelKey,
  type ModelPatch,
  type ModelQuery,
  type ModelVersion,
  type Page,
  type PageRequest,
  type ReadShape,
  type RegistryAdapter,
  type SetStageOptions,
  type Tags,
  type VersionKey,
  type VersionMetrics,
  type VersionPatch,
  type VersionQuery,
  emptyMetrics,
  recordFrom,
} from '../../src/core/index.ts';
import { mapGrpcError } from './errors.ts';
import { rpcClient } from './rpc.ts';
import {
  DEFAULT_ALIAS,
  LABEL_KEY,
  LABEL_VALUE,
  MODEL_TAG_PREFIX,
  STAGE_ALIASES,
  STAGE_LABEL,
  VERTEX_ALIAS,
  filterLiteral,
  fromValue,
  modelLabels,
  splitLabels,
  toDate,
  toValue,
  toVersion,
  versionLabels,
  type ProtoValue,
  type VertexModel,
} from './mapping.ts';

export interface VertexRegistryOptions {
  id: string;
  project: string;
  location: string;
  /** Another endpoint, e.g. a regional one or the test stand-in. */
  apiEndpoint?: string;
  /** Passed to ModelServiceClient as is (port, sslCreds, authClient in tests). */
  clientOptions?: Record<string, unknown>;
  /** Move `default` with PRODUCTION, so serving that follows `default` follows production. */
  productionIsDefault?: boolean;
  timeoutMs?: number;
  concurrency?: number;
}

type VersionCursor = { v: number };
const isVersionCursor = (v: unknown): v is VersionCursor => Number.isInteger((v as VersionCursor)?.v);

const PAGE_MAX = 100;

/** Vertex AI Model Registry: model = Model (display_name), version = version_id. */
export class VertexRegistry implements RegistryAdapter {
  readonly kind = 'vertex' as const;
  readonly id: string;
  /** The gax client as calls use it (rpc.ts); `rpc` is the client itself, for per-call views. */
  private readonly client: v1.ModelServiceClient;
  private readonly rpc: v1.ModelServiceClient;
  /** Set only on a per-call view (withCall). */
  private readonly context: CallContext | undefined;
  private readonly parent: string;
  private readonly productionIsDefault: boolean;
  private readonly timeout: number;
  private readonly concurrency: number;

  constructor(options: VertexRegistryOptions) {
    this.id = options.id;
    this.parent = `projects/${options.project}/locations/${options.location}`;
    this.productionIsDefault = options.productionIsDefault ?? true;
    this.timeout = options.timeoutMs ?? 30_000;
    this.concurrency = options.concurrency ?? 8;
    this.rpc = new v1.ModelServiceClient({
      apiEndpoint: options.apiEndpoint ?? `${options.location}-aiplatform.googleapis.com`,
      ...options.clientOptions,
    } as never);
    this.client = rpcClient(this.rpc, this.id);
  }

  withCall(context: CallContext): RegistryAdapter {
    return callView(this, { client: rpcClient(this.rpc, this.id, context), context });
  }

  capabilities(): Capabilities {
    return {
      stages: 'emulated',
      aliases: 'native',
      metrics: 'emulated',
      archiveExistingAtomic: false,
      modelDescriptionMutable: true,
      modelWithoutVersions: false,
      modelRename: true,
      versionSourceRequired: false,
      versionDescriptionMutable: true,
      cardMutable: false,
      artifactSchemes: ['gs://'],
      limits: {
        modelName: { maxLength: 128 },
        tagKey: {
          maxLength: 63 - MODEL_TAG_PREFIX.length,
          pattern: /^[a-z][a-z0-9_-]*$/,
          rule: 'Vertex label keys: lowercase letters, digits, _ and -, starting with a letter, at most 57 (room for the model_ prefix)',
        },
        tagValue: { maxLength: 63, pattern: LABEL_VALUE, rule: 'Vertex label values: lowercase letters, digits, _ and -, at most 63' },
        description: { maxLength: 5000 },
        source: { maxLength: 2048 },
        maxVersionTags: 60,
        maxTags: MAX_LABELS,
        checkTagKeys: refuseReservedLabels,
        checkAlias: refuseManagedAlias,
      },
    };
  }

  async health(): Promise<Health> {
    const started = performance.now();
    await this.call(() => this.client.listModels({ parent: this.parent, pageSize: 1 }, { timeout: this.timeout, autoPaginate: false }));
    return { ok: true, latencyMs: performance.now() - started };
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  // ---- models -------------------------------------------------------------

  async listModels(query: ModelQuery, page: PageRequest, shape?: ReadShape): Promise<Page<Model>> {
    const filters: string[] = [];
    for (const tag of query.tags ?? []) {
      if (tag.value !== null && LABEL_KEY.test(MODEL_TAG_PREFIX + tag.key) && LABEL_VALUE.test(tag.value)) {
        filters.push(`labels.${MODEL_TAG_PREFIX}${tag.key}=${filterLiteral(tag.value)}`);
      }
    }
    return pageByTokens(page, {
      fetch: async (token, size) => {
        const [batch, , response] = await this.call(() =>
          this.client.listModels(
            { parent: this.parent, filter: filters.join(' AND ') || undefined, orderBy: 'display_name', pageSize: Math.min(PAGE_MAX, size), pageToken: token ?? undefined },
            { timeout: this.timeout, autoPaginate: false },
          ),
        );
        return { items: batch as VertexModel[], next: response?.nextPageToken || null };
      },
      convert: (batch) => mapBounded(batch, this.concurrency, async (m) => (matchesModelQuery(m, query) ? this.toModel(m, shape) : null)),
    });
  }

  async getModel(name: string, shape?: ReadShape): Promise<Model | null> {
    const found = await this.findModel(name);
    return found ? this.toModel(found, shape) : null;
  }

  async createModel(input: CreateModel): Promise<Model> {
    if (await this.findModel(input.name)) throw new RegistryError(ErrorCode.ALREADY_EXISTS, `Model '${input.name}' already exists`);
    throw new RegistryError(
      ErrorCode.UNSUPPORTED,
      'Vertex AI creates a model with its first version: register a version (registerVersion creates the model)',
    );
  }

  async updateModel(name: string, patch: ModelPatch): Promise<Model> {
    const found = await this.requireModel(name);
    if (patch.description !== undefined) {
      await this.call(() =>
        this.client.updateModel({ model: { name: found.name, description: patch.description ?? '' }, updateMask: { paths: ['description'] } }, { timeout: this.timeout }),
      );
    }
    return (await this.getModel(name))!;
  }

  async renameModel(name: string, newName: string): Promise<Model> {
    const found = await this.requireModel(name);
    if (name !== newName && (await this.findModel(newName))) throw new RegistryError(ErrorCode.ALREADY_EXISTS, `Model '${newName}' already exists`);
    await this.call(() =>
      this.client.updateModel({ model: { name: found.name, displayName: newName }, updateMask: { paths: ['display_name'] } }, { timeout: this.timeout }),
    );
    return (await this.getModel(newName))!;
  }

  async deleteModel(name: string): Promise<void> {
    const found = await this.requireModel(name);
    await this.waitFor(() => this.client.deleteModel({ name: found.name! }, { timeout: this.timeout }));
  }

  // ---- versions -----------------------------------------------------------

  async listVersions(name: string, query: VersionQuery, page: PageRequest): Promise<Page<ModelVersion>> {
    const found = await this.requireModel(name);
    const stages = query.stages?.length ? new Set(query.stages) : null;
    const newestFirst = (query.order ?? VersionOrder.NEWEST_FIRST) === VersionOrder.NEWEST_FIRST;
    const after = page.after ? decodeCursor(page.after, isVersionCursor).v : null;
    const all = (await this.allVersions(found.name!))
      .map((m) => toVersion(this.id, m))
      .filter((v) => !stages || stages.has(v.stage))
      .filter((v) => after === null || (newestFirst ? Number(v.version) < after : Number(v.version) > after))
      .sort((a, b) => (newestFirst ? Number(b.version) - Number(a.version) : Number(a.version) - Number(b.version)));
    const items = all.slice(0, page.first);
    return { items, cursors: items.map((v) => encodeCursor({ v: Number(v.version) })), hasNextPage: all.length > page.first };
  }

  async getVersions(keys: readonly VersionKey[]): Promise<(ModelVersion | null)[]> {
    const names = [...new Set(keys.map((k) => k.name))];
    const found = new Map<string, ModelVersion>();
    await mapBounded(names, this.concurrency, async (name) => {
      const model = await this.findModel(name);
      if (!model) return;
      const numbers = [...new Set(keys.filter((k) => k.name === name).map((k) => k.version))];
      await mapBounded(numbers, this.concurrency, async (number) => {
        const version = await this.fetchVersion(`${model.name}@${number}`);
        if (version) found.set(versionKeyId({ name, version: number }), toVersion(this.id, version));
      });
    });
    return keys.map((key) => found.get(versionKeyId(key)) ?? null);
  }

  async latestVersions(names: readonly string[], stages: readonly Stage[]): Promise<Map<string, ModelVersion[]>> {
    const result = new Map<string, ModelVersion[]>();
    const wanted = new Set(stages);
    await mapBounded([...new Set(names)], this.concurrency, async (name) => {
      const model = await this.findModel(name);
      if (!model) return result.set(name, []);
      const latest = new Map<Stage, ModelVersion>();
      for (const version of (await this.allVersions(model.name!)).map((m) => toVersion(this.id, m))) {
        const current = latest.get(version.stage);
        if (wanted.has(version.stage) && (!current || Number(version.version) > Number(current.version))) latest.set(version.stage, version);
      }
      return result.set(name, [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version)));
    });
    return result;
  }

  async createVersion(input: CreateVersion): Promise<ModelVersion> {
    const existing = await this.findModel(input.name);
    if (!existing && !input.createModel) throw modelNotFound(input.name);
    const labels: Record<string, string> = recordFrom([...Object.entries(input.tags ?? {}), [STAGE_LABEL, 'none'] as const]);
    if (!existing) for (const [key, value] of Object.entries(input.createModel?.tags ?? {})) labels[MODEL_TAG_PREFIX + key] = value;
    const [operation] = await this.call(() =>
      this.client.uploadModel(
        {
          parent: this.parent,
          parentModel: existing?.name ?? undefined,
          model: {
            displayName: input.name,
            description: existing ? undefined : (input.createModel?.description ?? undefined),
            versionDescription: input.description ?? undefined,
            artifactUri: input.source ?? undefined,
            labels,
            // Set once at upload: run id, semantic version and signature travel in the version's metadata struct.
            metadata:
              input.runId || input.semver || input.signature || !isEmptyCard(input.card)
                ? (toValue({ modelgate: { runId: input.runId ?? null, semver: input.semver ?? null, signature: input.signature ?? null, ...cardMetadata(input.card) } }) as never)
                : undefined,
          },
        },
        { timeout: this.timeout },
      ),
    );
    const [response] = await this.call(() => operation.promise());
    const uploaded = response as { model?: string; modelVersionId?: string };
    const versionName = `${uploaded.model}@${uploaded.modelVersionId}`;
    if (!existing && input.createModel?.tags && Object.keys(input.createModel.tags).length) {
      // Model tags are model-level labels; upload put them on the version, so move them up.
      await this.call(() =>
        this.client.updateModel(
          { model: { name: uploaded.model, labels: modelLabels(labels) }, updateMask: { paths: ['labels'] } },
          { timeout: this.timeout },
        ),
      );
      await this.call(() =>
        this.client.updateModel({ model: { name: versionName, labels: versionLabels(labels) }, updateMask: { paths: ['labels'] } }, { timeout: this.timeout }),
      );
    }
    if (Object.keys(input.metrics ?? {}).length || Object.keys(input.params ?? {}).length) {
      await this.call(() =>
        this.client.importModelEvaluation(
          {
            parent: versionName,
            modelEvaluation: {
              displayName: `modelgate registration of ${input.name} v${uploaded.modelVersionId}`,
              metrics: toValue(input.metrics ?? {}) as never,
              metadata: toValue({ params: input.params ?? {} }) as never,
            },
          },
          { timeout: this.timeout },
        ),
      );
    }
    const version = await this.fetchVersion(versionName);
    if (!version) throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, `Vertex did not return the version it uploaded (${versionName})`);
    return toVersion(this.id, version);
  }

  /** A version's metadata is immutable on Vertex (capabilities say cardMutable: false; the input rules answer UNSUPPORTED first). */
  async updateCard(key: VersionKey): Promise<ModelVersion> {
    await this.requireVersionModel(key);
    throw new RegistryError(ErrorCode.UNSUPPORTED, 'Vertex keeps a version\'s metadata as uploaded; register a new version with the card');
  }

  async updateVersion(key: VersionKey, patch: VersionPatch): Promise<ModelVersion> {
    const version = await this.requireVersionModel(key);
    if (patch.description !== undefined) {
      await this.call(() =>
        this.client.updateModel(
          { model: { name: `${version.name}@${key.version}`, versionDescription: patch.description ?? '' }, updateMask: { paths: ['version_description'] } },
          { timeout: this.timeout },
        ),
      );
    }
    return this.requireVersion(key);
  }

  async getDownloadUri(key: VersionKey): Promise<string | null> {
    return (await this.requireVersion(key)).source;
  }

  async deleteVersion(key: VersionKey): Promise<void> {
    const version = await this.requireVersionModel(key);
    if ((version.versionAliases ?? []).includes(DEFAULT_ALIAS)) {
      // Vertex refuses to delete the default version: hand `default` to the newest other version first.
      const others = (await this.allVersions(version.name!)).filter((v) => v.versionId !== key.version);
      const successor = others.sort((a, b) => Number(b.versionId) - Number(a.versionId))[0];
      if (!successor) throw invalidInput(`Vertex cannot delete the only version of '${key.name}'; delete the model instead`);
      await this.mergeAliases(`${version.name}@${successor.versionId}`, [DEFAULT_ALIAS]);
    }
    await this.waitFor(() => this.client.deleteModelVersion({ name: `${version.name}@${key.version}` }, { timeout: this.timeout }));
  }

  // ---- tags and aliases ------------------------------------------------------

  async setTags(target: ModelKey | VersionKey, set: Record<string, string>, remove: readonly string[]): Promise<void> {
    refuseReservedLabels(Object.keys(set), remove, isVersionKey(target) ? 'version' : 'model');
    if (isVersionKey(target)) {
      const version = await this.requireVersionModel(target);
      const labels = recordFrom([...Object.entries(versionLabels(version.labels)), ...Object.entries(set)]);
      for (const key of remove) delete labels[key];
      checkLabelCount(labels);
      await this.call(() =>
        this.client.updateModel({ model: { name: `${version.name}@${target.version}`, labels }, updateMask: { paths: ['labels'] } }, { timeout: this.timeout }),
      );
      return;
    }
    const model = await this.requireModel(target.name);
    const labels = modelLabels(model.labels);
    for (const [key, value] of Object.entries(set)) labels[MODEL_TAG_PREFIX + key] = value;
    for (const key of remove) delete labels[MODEL_TAG_PREFIX + key];
    checkLabelCount(labels);
    await this.call(() => this.client.updateModel({ model: { name: model.name, labels }, updateMask: { paths: ['labels'] } }, { timeout: this.timeout }));
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    refuseManagedAlias(alias);
    const model = await this.requireVersionModel({ name, version });
    await this.mergeAliases(`${model.name}@${version}`, [alias]);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    refuseManagedAlias(alias);
    const model = await this.requireModel(name);
    const holder = await this.fetchVersion(`${model.name}@${alias}`);
    if (!holder) throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${name}' has no alias '${alias}'`);
    await this.mergeAliases(`${model.name}@${holder.versionId}`, [`-${alias}`]);
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | null> {
    const model = await this.findModel(name);
    if (!model || !VERTEX_ALIAS.test(alias)) return null;
    const found = await this.fetchVersion(`${model.name}@${alias}`);
    return found ? toVersion(this.id, found) : null;
  }

  // ---- stages and metrics ---------------------------------------------------------

  /**
   * The stage is the version label `modelgate-stage`; aliases `staging` and `production`
   * point at the version most recently moved into that stage (with `default` following
   * production when productionIsDefault), and pass to the newest remaining holder when it leaves.
   */
  async setStage(key: VersionKey, stage: Stage, _options?: SetStageOptions): Promise<ModelVersion> {
    const current = await this.requireVersionModel(key);
    const before = toVersion(this.id, current);
    const versionName = `${current.name}@${key.version}`;
    const labels = { ...versionLabels(current.labels), [STAGE_LABEL]: stage.toLowerCase() };
    await this.call(() => this.client.updateModel({ model: { name: versionName, labels }, updateMask: { paths: ['labels'] } }, { timeout: this.timeout }));
    const entering = STAGE_ALIASES[stage];
    if (entering) await this.mergeAliases(versionName, stage === Stage.PRODUCTION && this.productionIsDefault ? [entering, DEFAULT_ALIAS] : [entering]);
    const leaving = STAGE_ALIASES[before.stage];
    if (leaving && before.stage !== stage && (current.versionAliases ?? []).includes(leaving)) {
      const successor = (await this.allVersions(current.name!))
        .filter((v) => v.versionId !== key.version && toVersion(this.id, v).stage === before.stage)
        .sort((a, b) => Number(b.versionId) - Number(a.versionId))[0];
      await this.mergeAliases(successor ? `${current.name}@${successor.versionId}` : versionName, successor ? [leaving] : [`-${leaving}`]);
    }
    return this.requireVersion(key);
  }

  async getMetrics(refs: readonly MetricsRef[]): Promise<Map<string, VersionMetrics>> {
    const result = new Map<string, VersionMetrics>();
    const names = [...new Set(refs.map((r) => r.name))];
    await mapBounded(names, this.concurrency, async (name) => {
      const model = await this.findModel(name);
      const numbers = [...new Set(refs.filter((r) => r.name === name).map((r) => r.version))];
      await mapBounded(numbers, this.concurrency, async (number) => {
        result.set(versionKeyId({ name, version: number }), model ? await this.evaluationsOf(`${model.name}@${number}`) : emptyMetrics());
      });
    });
    return result;
  }

  // ---- internals ----------------------------------------------------------------------

  /** Numbers and params of every evaluation of a version, later ones winning. */
  private async evaluationsOf(versionName: string): Promise<VersionMetrics> {
    const { metrics, params } = emptyMetrics();
    let evaluations: { metrics?: ProtoValue | null; metadata?: ProtoValue | null }[];
    try {
      [evaluations] = await this.call(() => this.client.listModelEvaluations({ parent: versionName }, { timeout: this.timeout }));
    } catch (error) {
      if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return { metrics, params };
      throw error;
    }
    for (const evaluation of evaluations) {
      const values = fromValue(evaluation.metrics) as Record<string, unknown> | null;
      for (const [key, value] of Object.entries(values ?? {})) if (typeof value === 'number' && Number.isFinite(value)) metrics[key] = value;
      const meta = fromValue(evaluation.metadata) as { params?: Record<string, unknown> } | null;
      for (const [key, value] of Object.entries(meta?.params ?? {})) if (typeof value === 'string') params[key] = value;
    }
    return { metrics, params };
  }

  /** The Vertex model whose display_name is exactly `name`; several is a conflict modelgate will not guess through. */
  private async findModel(name: string): Promise<VertexModel | null> {
    const [models] = await this.call(() =>
      this.client.listModels({ parent: this.parent, filter: `display_name=${filterLiteral(name)}`, pageSize: 2 }, { timeout: this.timeout, autoPaginate: false }),
    );
    const exact = (models as VertexModel[]).filter((m) => m.displayName === name);
    if (exact.length > 1) {
      throw new RegistryError(ErrorCode.CONFLICT, `Several Vertex models have the display name '${name}'; rename all but one`, {
        details: { models: exact.map((m) => m.name) },
      });
    }
    return exact[0] ?? null;
  }

  private async requireModel(name: string): Promise<VertexModel> {
    const found = await this.findModel(name);
    if (!found) throw modelNotFound(name);
    return found;
  }

  private async fetchVersion(versionName: string): Promise<VertexModel | null> {
    try {
      const [model] = await this.call(() => this.client.getModel({ name: versionName }, { timeout: this.timeout }));
      return model as VertexModel;
    } catch (error) {
      if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }

  private async requireVersionModel(key: VersionKey): Promise<VertexModel> {
    const model = await this.requireModel(key.name);
    const version = await this.fetchVersion(`${model.name}@${key.version}`);
    if (!version) throw versionNotFound(key);
    return version;
  }

  private async requireVersion(key: VersionKey): Promise<ModelVersion> {
    return toVersion(this.id, await this.requireVersionModel(key));
  }

  private async allVersions(modelName: string): Promise<VertexModel[]> {
    const [versions] = await this.call(() => this.client.listModelVersions({ name: modelName }, { timeout: this.timeout }));
    return versions as VertexModel[];
  }

  private async toModel(model: VertexModel, shape?: ReadShape): Promise<Model> {
    // Tags are the model's labels; only aliases need the versions listed.
    const versions = wants(shape, 'aliases') ? await this.allVersions(model.name!) : null;
    const aliases = (versions ?? [])
      .flatMap((v) => (v.versionAliases ?? []).filter((a) => a !== DEFAULT_ALIAS).map((alias) => ({ alias, version: String(v.versionId) })))
      .sort((a, b) => a.alias.localeCompare(b.alias));
    return {
      registry: this.id,
      name: model.displayName ?? '',
      description: model.description || null,
      tags: splitLabels(model.labels).model,
      aliases: versions ? aliases : UNREAD.modelAliases,
      createdAt: toDate(model.createTime),
      updatedAt: toDate(model.updateTime),
      native: { modelResourceName: model.name ?? '' },
    };
  }

  private async mergeAliases(versionName: string, aliases: string[]): Promise<void> {
    await this.call(() => this.client.mergeVersionAliases({ name: versionName, versionAliases: aliases }, { timeout: this.timeout }));
  }

  private async waitFor(start: () => Promise<[{ promise(): Promise<unknown> }, ...unknown[]]>): Promise<void> {
    const [operation] = await this.call(start);
    const signal = this.context?.signal;
    try {
      // Stop polling at the deadline; the operation itself is left to finish (its outcome is then unknown).
      await (signal ? untilAborted(operation.promise(), signal) : operation.promise());
    } catch (error) {
      throw mapGrpcError(error, this.id, { write: true, aborted: signal?.aborted ?? false, rpc: 'a long-running operation' });
    }
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw mapGrpcError(error, this.id);
    }
  }
}

const MAX_LABELS = 64;

/** Counted with the labels the model or version holds, before anything is sent: the pipeline settles its intent without a read-back. */
function checkLabelCount(labels: Tags): void {
  if (Object.keys(labels).length > MAX_LABELS) {
    throw refusedBeforeSending(`Vertex keeps at most ${MAX_LABELS} labels on a model or version`, { limit: MAX_LABELS });
  }
}

/** Labels modelgate keeps for itself: the stage, and on a version the prefix that marks model tags. */
function refuseReservedLabels(set: readonly string[], remove: readonly string[], on: 'model' | 'version'): void {
  if (set.includes(STAGE_LABEL) || remove.includes(STAGE_LABEL)) {
    throw invalidInput(`Label '${STAGE_LABEL}' holds the stage on Vertex; use transitionStage`);
  }
  if (on === 'version') {
    const reserved = set.find((k) => k.startsWith(MODEL_TAG_PREFIX));
    if (reserved) throw invalidInput(`Version tags may not start with '${MODEL_TAG_PREFIX}' on Vertex: that prefix marks model tags`);
  }
}

function refuseManagedAlias(alias: string): void {
  if (alias === DEFAULT_ALIAS || Object.values(STAGE_ALIASES).includes(alias)) {
    throw invalidInput(`Alias '${alias}' is managed on Vertex (default, staging, production follow the stage); use transitionStage`);
  }
  if (!VERTEX_ALIAS.test(alias)) {
    throw invalidInput(`Alias '${alias}' breaks Vertex's rule: ${VERTEX_ALIAS.source.slice(1, -1)}`);
  }
}

function matchesModelQuery(model: VertexModel, query: ModelQuery): boolean {
  const name = model.displayName ?? '';
  if (query.namePrefix && !name.startsWith(query.namePrefix)) return false;
  const lower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (query.nameContains && !lower(name).includes(lower(query.nameContains))) return false;
  const tags = splitLabels(model.labels).model;
  return (query.tags ?? []).every((tag) => Object.hasOwn(tags, tag.key) && (tag.value === null || tags[tag.key] === tag.value));
}

/** The card in the version's metadata struct, `modelgate.card`: one string per field, so it reads back exactly. */
const cardMetadata = (card: ModelCard | null | undefined): { card?: Record<string, string> } => (card && !isEmptyCard(card) ? { card: cardToJson(card) } : {});
