import {
  DEFAULT_LIMITS,
  ErrorCode,
  EXCLUSIVE_STAGES,
  RegistryError,
  Stage,
  VersionOrder,
  cardEntries,
  type ModelCard,
  decodeCursor,
  encodeCursor,
  invalidInput,
  isRegistryError,
  isVersionKey,
  mapBounded,
  pageByTokens,
  modelNotFound,
  versionNotFound,
  versionKeyId,
  callView,
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
  type VersionKey,
  type VersionMetrics,
  type VersionPatch,
  type VersionQuery,
  emptyMetrics,
  UNREAD,
  wants,
} from '../../src/core/index.ts';
import { and, nameContains, nameEquals, namePrefix, tagEquals, type NameFilter } from './filters.ts';
import { MlflowHttp, type MlflowAuth } from './http.ts';
import {
  SEMVER_TAG,
  CARD_TAG_PREFIX,
  SIGNATURE_TAG,
  STAGE_ALIASES,
  STAGE_TAG,
  checkMlflowSource,
  fromTags,
  mlflowStage,
  toModel,
  toVersion,
  type MlflowModelVersion,
  type MlflowRegisteredModel,
  type MlflowRun,
  type StageMode,
} from './mapping.ts';

/** MLflow's limits are the core's, plus what its server refuses as a version source. */
const MLFLOW_LIMITS = { ...DEFAULT_LIMITS, checkSource: checkMlflowSource };

export interface MlflowRegistryOptions {
  id: string;
  trackingUri: string;
  auth?: MlflowAuth;
  /** Per-request timeout. */
  timeoutMs?: number;
  readAttempts?: number;
  stageMode?: StageMode;
  /** Experiment that holds the runs modelgate creates to record metrics of a registration. */
  metricsExperiment?: string;
  /** Most requests in flight at once when fetching runs or versions in a batch. */
  concurrency?: number;
  onRequest?: (method: string, path: string, body?: unknown) => void;
}

type VersionCursor = { v: number };
const isVersionCursor = (v: unknown): v is VersionCursor => Number.isInteger((v as VersionCursor)?.v);

/** MLflow's own cap on registered-model search pages. */
const MODEL_PAGE_MAX = 1000;
/** Run ids per runs/search request. */
const RUN_SEARCH_CHUNK = 100;
/** How long the list of experiment ids is trusted before it is read again. */
const EXPERIMENTS_TTL_MS = 30_000;
/** MLflow run ids; anything else is never put into a filter. */
const RUN_ID = /^[A-Za-z0-9_-]{1,256}$/;
/** Versions fetched per request when scanning (MLflow allows up to 200,000). */
const VERSION_SCAN_PAGE = 200;

/** MLflow Model Registry over its REST API 2.0. */
export class MlflowRegistry implements RegistryAdapter {
  readonly kind = 'mlflow' as const;
  readonly id: string;
  private readonly http: MlflowHttp;
  private readonly mode: StageMode;
  private readonly metricsExperiment: string;
  private readonly concurrency: number;
  private experimentId: Promise<string> | undefined;
  private experiments: { ids: Promise<string[]>; readAt: number } | undefined;

  constructor(options: MlflowRegistryOptions) {
    this.id = options.id;
    this.mode = options.stageMode ?? 'stages';
    this.metricsExperiment = options.metricsExperiment ?? 'modelgate-registrations';
    this.concurrency = options.concurrency ?? 8;
    this.http = new MlflowHttp({
      registryId: options.id,
      trackingUri: options.trackingUri,
      auth: options.auth ?? { type: 'none' },
      timeoutMs: options.timeoutMs ?? 10_000,
      readAttempts: options.readAttempts ?? 3,
      connections: Math.max(this.concurrency, 4),
      onRequest: options.onRequest,
    });
  }

  capabilities(): Capabilities {
    return {
      stages: this.mode === 'stages' ? 'native' : 'emulated',
      aliases: 'native',
      metrics: 'emulated',
      archiveExistingAtomic: this.mode === 'stages',
      modelDescriptionMutable: true,
      modelWithoutVersions: true,
      modelRename: true,
      versionSourceRequired: true,
      versionDescriptionMutable: true,
      cardMutable: true,
      limits: MLFLOW_LIMITS,
    };
  }

  async health(): Promise<Health> {
    const started = performance.now();
    await this.http.get('registered-models/search', { max_results: 1 });
    return { ok: true, latencyMs: performance.now() - started };
  }

  close(): Promise<void> {
    return this.http.close();
  }

  withCall(context: CallContext): RegistryAdapter {
    return callView(this, { http: this.http.forCall(context) });
  }

  // ---- models -------------------------------------------------------------

  async listModels(query: ModelQuery, page: PageRequest): Promise<Page<Model>> {
    const filters: NameFilter[] = [];
    if (query.namePrefix) filters.push(namePrefix(query.namePrefix));
    if (query.nameContains) filters.push(nameContains(query.nameContains));
    for (const tag of query.tags ?? []) filters.push(tagEquals(tag.key, tag.value));
    const filter = and(...filters.map((f) => f.clause));
    return pageByTokens(page, {
      fetch: async (token, size) => {
        const response = await this.http.get<{ registered_models?: MlflowRegisteredModel[]; next_page_token?: string }>('registered-models/search', {
          filter: filter || undefined,
          max_results: Math.min(MODEL_PAGE_MAX, size),
          order_by: 'name ASC',
          page_token: token ?? undefined,
        });
        return { items: response.registered_models ?? [], next: response.next_page_token || null };
      },
      convert: async (raw) =>
        raw.map((m) => {
          const model = toModel(this.id, m);
          return matchesModelQuery(model, query) ? model : null;
        }),
    });
  }

  async getModel(name: string): Promise<Model | null> {
    const found = await this.orNull(this.http.get<{ registered_model: MlflowRegisteredModel }>('registered-models/get', { name }));
    return found ? toModel(this.id, found.registered_model) : null;
  }

  async createModel(input: CreateModel): Promise<Model> {
    const { registered_model } = await this.http.post<{ registered_model: MlflowRegisteredModel }>('registered-models/create', {
      name: input.name,
      description: input.description ?? undefined,
      tags: fromTags(input.tags),
    });
    return toModel(this.id, registered_model);
  }

  async updateModel(name: string, patch: ModelPatch): Promise<Model> {
    if (patch.description !== undefined) {
      await this.http.patch('registered-models/update', { name, description: patch.description ?? '' });
    }
    return this.requireModel(name);
  }

  async renameModel(name: string, newName: string): Promise<Model> {
    const { registered_model } = await this.http.post<{ registered_model: MlflowRegisteredModel }>('registered-models/rename', {
      name,
      new_name: newName,
    });
    return toModel(this.id, registered_model);
  }

  async deleteModel(name: string): Promise<void> {
    await this.http.delete('registered-models/delete', { name });
  }

  // ---- versions -----------------------------------------------------------

  async listVersions(name: string, query: VersionQuery, page: PageRequest, shape?: ReadShape): Promise<Page<ModelVersion>> {
    const newestFirst = (query.order ?? VersionOrder.NEWEST_FIRST) === VersionOrder.NEWEST_FIRST;
    const stages = query.stages?.length ? new Set(query.stages) : null;
    const items: ModelVersion[] = [];
    let bound = page.after ? decodeCursor(page.after, isVersionCursor).v : null;
    let sawAny = false;
    const aliases = wants(shape, 'aliases') ? this.aliasesOf(name) : null;
    for (;;) {
      const batch = await this.searchVersions(
        name,
        aliases,
        bound === null ? null : `version_number ${newestFirst ? '<' : '>'} ${bound}`,
        `version_number ${newestFirst ? 'DESC' : 'ASC'}`,
        stages ? VERSION_SCAN_PAGE : page.first + 1,
      );
      sawAny ||= batch.versions.length > 0;
      for (const version of batch.versions) {
        if (stages && !stages.has(version.stage)) continue;
        if (items.length === page.first) return this.versionPage(items, true);
        items.push(version);
      }
      if (!batch.more) break;
      bound = batch.lastNumber;
    }
    if (!sawAny && !page.after && !(await this.getModel(name))) throw modelNotFound(name);
    return this.versionPage(items, false);
  }

  async getVersions(keys: readonly VersionKey[], shape?: ReadShape): Promise<(ModelVersion | null)[]> {
    const byModel = new Map<string, number[]>();
    for (const key of keys) byModel.set(key.name, [...(byModel.get(key.name) ?? []), Number(key.version)]);
    const found = new Map<string, ModelVersion>();
    await mapBounded([...byModel], this.concurrency, async ([name, numbers]) => {
      const low = Math.min(...numbers);
      const high = Math.max(...numbers);
      // One ranged search when the versions sit close together, else one get each.
      if (numbers.length > 1 && high - low < 1000) {
        let bound = low - 1;
        const aliases = wants(shape, 'aliases') ? this.aliasesOf(name) : null;
        for (;;) {
          const batch = await this.searchVersions(name, aliases, `version_number > ${bound} AND version_number <= ${high}`, 'version_number ASC', Math.min(high - bound, VERSION_SCAN_PAGE));
          for (const version of batch.versions) found.set(versionKeyId(version), version);
          if (!batch.more || batch.lastNumber >= high) break;
          bound = batch.lastNumber;
        }
      } else {
        await mapBounded([...new Set(numbers)], this.concurrency, async (number) => {
          const version = await this.fetchVersion({ name, version: String(number) });
          if (version) found.set(versionKeyId(version), version);
        });
      }
    });
    return keys.map((key) => found.get(versionKeyId(key)) ?? null);
  }

  async latestVersions(names: readonly string[], stages: readonly Stage[]): Promise<Map<string, ModelVersion[]>> {
    const result = new Map<string, ModelVersion[]>();
    await mapBounded([...new Set(names)], this.concurrency, async (name) => {
      result.set(name, await this.latestOf(name, stages));
    });
    return result;
  }

  async createVersion(input: CreateVersion): Promise<ModelVersion> {
    const metrics = Object.entries(input.metrics ?? {});
    const params = Object.entries(input.params ?? {});
    let runId = input.runId ?? null;
    if (metrics.length || params.length) {
      // A failed registration must leave nothing behind: check the model before writing a run.
      await this.requireModel(input.name);
      runId ??= await this.createRun(input.name);
      const timestamp = Date.now();
      await this.http.post('runs/log-batch', {
        run_id: runId,
        metrics: metrics.map(([key, value]) => ({ key, value, timestamp, step: 0 })),
        params: params.map(([key, value]) => ({ key, value })),
      });
      if (!input.runId) await this.http.post('runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
    }
    const { model_version } = await this.http.post<{ model_version: MlflowModelVersion }>('model-versions/create', {
      name: input.name,
      source: input.source ?? '',
      run_id: runId ?? undefined,
      description: input.description ?? undefined,
      tags: fromTags({
        ...input.tags,
        ...(input.semver ? { [SEMVER_TAG]: input.semver } : {}),
        ...(input.signature ? { [SIGNATURE_TAG]: JSON.stringify(input.signature) } : {}),
        ...cardTags(input.card),
      }),
    });
    return toVersion(this.id, model_version, this.mode);
  }

  async updateVersion(key: VersionKey, patch: VersionPatch): Promise<ModelVersion> {
    if (patch.description !== undefined) {
      const { model_version } = await this.http.patch<{ model_version: MlflowModelVersion }>('model-versions/update', {
        name: key.name,
        version: key.version,
        description: patch.description ?? '',
      });
      return toVersion(this.id, model_version, this.mode);
    }
    return this.requireVersion(key);
  }

  async updateCard(key: VersionKey, card: ModelCard | null): Promise<ModelVersion> {
    const current = await this.requireVersion(key);
    const before = cardTags(current.card);
    const after = cardTags(card);
    for (const [tag, value] of Object.entries(after)) {
      if (before[tag] !== value) await this.http.post('model-versions/set-tag', { name: key.name, version: key.version, key: tag, value });
    }
    for (const tag of Object.keys(before).filter((k) => !Object.hasOwn(after, k))) {
      await this.http.delete('model-versions/delete-tag', { name: key.name, version: key.version, key: tag });
    }
    return this.requireVersion(key);
  }

  async getDownloadUri(key: VersionKey): Promise<string | null> {
    const { artifact_uri } = await this.http.get<{ artifact_uri?: string }>('model-versions/get-download-uri', {
      name: key.name,
      version: key.version,
    });
    return artifact_uri || null;
  }

  async deleteVersion(key: VersionKey): Promise<void> {
    await this.http.delete('model-versions/delete', { name: key.name, version: key.version });
  }

  // ---- tags and aliases ------------------------------------------------------

  async setTags(target: ModelKey | VersionKey, set: Record<string, string>, remove: readonly string[]): Promise<void> {
    if (isVersionKey(target)) {
      const current = await this.requireVersion(target);
      if (this.mode === 'aliases' && (Object.hasOwn(set, STAGE_TAG) || remove.includes(STAGE_TAG))) {
        throw invalidInput(`Tag '${STAGE_TAG}' holds the stage in this registry; use transitionStage`);
      }
      const fixed = [SEMVER_TAG, SIGNATURE_TAG].find((key) => Object.hasOwn(set, key) || remove.includes(key));
      if (fixed) throw invalidInput(`Tag '${fixed}' is set once, at registration`);
      const card = [...Object.keys(set), ...remove].find((key) => key.startsWith(CARD_TAG_PREFIX));
      if (card) throw invalidInput(`Tag '${card}' holds the model card; use updateCard`, { field: 'tags' });
      for (const [key, value] of Object.entries(set)) {
        await this.http.post('model-versions/set-tag', { name: target.name, version: target.version, key, value });
      }
      for (const key of remove.filter((k) => Object.hasOwn(current.tags, k))) {
        await this.http.delete('model-versions/delete-tag', { name: target.name, version: target.version, key });
      }
    } else {
      const current = await this.requireModel(target.name);
      for (const [key, value] of Object.entries(set)) {
        await this.http.post('registered-models/set-tag', { name: target.name, key, value });
      }
      for (const key of remove.filter((k) => Object.hasOwn(current.tags, k))) {
        await this.http.delete('registered-models/delete-tag', { name: target.name, key });
      }
    }
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    this.refuseStageAlias(alias);
    await this.requireVersion({ name, version });
    await this.http.post('registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    this.refuseStageAlias(alias);
    if (!(await this.getVersionByAlias(name, alias))) {
      await this.requireModel(name);
      throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${name}' has no alias '${alias}'`);
    }
    await this.http.delete('registered-models/alias', { name, alias });
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | null> {
    try {
      const found = await this.orNull(this.http.get<{ model_version: MlflowModelVersion }>('registered-models/alias', { name, alias }));
      return found ? toVersion(this.id, found.model_version, this.mode) : null;
    } catch (error) {
      // MLflow reports an unset alias as INVALID_PARAMETER_VALUE "... alias X not found."
      if (isRegistryError(error) && error.code === ErrorCode.INVALID_INPUT && /alias .* not found/i.test(error.message)) return null;
      throw error;
    }
  }

  // ---- stages -----------------------------------------------------------------

  async setStage(key: VersionKey, stage: Stage, options: SetStageOptions = {}): Promise<ModelVersion> {
    if (this.mode === 'stages') {
      const { model_version } = await this.http.post<{ model_version: MlflowModelVersion }>('model-versions/transition-stage', {
        name: key.name,
        version: key.version,
        stage: mlflowStage(stage),
        archive_existing_versions: Boolean(options.archiveExisting && EXCLUSIVE_STAGES.includes(stage)),
      });
      return toVersion(this.id, model_version, this.mode);
    }
    return this.setStageByAliases(key, stage);
  }

  /**
   * `aliases` mode: the stage is the tag `modelgate.stage`; aliases `staging` and `production`
   * point at the version most recently moved into that stage, and follow it out.
   */
  private async setStageByAliases(key: VersionKey, stage: Stage): Promise<ModelVersion> {
    const current = await this.requireVersion(key);
    if (stage === Stage.NONE) {
      if (current.stage !== Stage.NONE) {
        await this.http.delete('model-versions/delete-tag', { name: key.name, version: key.version, key: STAGE_TAG });
      }
    } else {
      await this.http.post('model-versions/set-tag', { name: key.name, version: key.version, key: STAGE_TAG, value: stage });
    }
    const entering = STAGE_ALIASES[stage];
    if (entering) await this.http.post('registered-models/alias', { name: key.name, alias: entering, version: key.version });
    const leaving = STAGE_ALIASES[current.stage];
    if (leaving && current.stage !== stage && current.aliases.includes(leaving)) {
      // Hand the alias to the newest version still in that stage, or drop it.
      const [successor] = (await this.listVersions(key.name, { stages: [current.stage] }, { first: 1 })).items;
      if (successor) await this.http.post('registered-models/alias', { name: key.name, alias: leaving, version: successor.version });
      else await this.http.delete('registered-models/alias', { name: key.name, alias: leaving });
    }
    return this.requireVersion(key);
  }

  // ---- metrics ------------------------------------------------------------------

  async getMetrics(refs: readonly MetricsRef[]): Promise<Map<string, VersionMetrics>> {
    const unknown = refs.filter((ref) => ref.runId === undefined);
    const looked = unknown.length ? await this.getVersions(unknown, []) : [];
    const runOf = new Map<string, string | null>();
    unknown.forEach((ref, i) => runOf.set(versionKeyId(ref), looked[i]?.runId ?? null));
    for (const ref of refs) if (ref.runId !== undefined) runOf.set(versionKeyId(ref), ref.runId);

    const runIds = [...new Set([...runOf.values()].filter((id): id is string => Boolean(id)))];
    const runs = await this.fetchRuns(runIds);
    const result = new Map<string, VersionMetrics>();
    for (const [id, runId] of runOf) result.set(id, (runId && runs.get(runId)) || emptyMetrics());
    return result;
  }

  // ---- internals ------------------------------------------------------------------

  /**
   * Metrics of many runs in few requests: `runs/search` with `run_id IN (...)` over the
   * known experiments, then `runs/get` for any run the search did not see (an experiment
   * created since the list was read, or a run id MLflow does not know).
   */
  private async fetchRuns(runIds: readonly string[]): Promise<Map<string, VersionMetrics>> {
    const runs = new Map<string, VersionMetrics>();
    // One run is one runs/get: no experiment list, no search.
    const searchable = runIds.length > 1 ? runIds.filter((id) => RUN_ID.test(id)) : [];
    if (searchable.length) {
      const experimentIds = await this.experimentIds();
      const chunks = [];
      for (let i = 0; i < searchable.length; i += RUN_SEARCH_CHUNK) chunks.push(searchable.slice(i, i + RUN_SEARCH_CHUNK));
      await mapBounded(chunks, this.concurrency, async (chunk) => {
        let token: string | undefined;
        do {
          const page = await this.http.postRead<{ runs?: MlflowRun[]; next_page_token?: string }>('runs/search', {
            experiment_ids: experimentIds,
            filter: `attributes.run_id IN (${chunk.map((id) => `'${id}'`).join(', ')})`,
            run_view_type: 'ALL',
            max_results: RUN_SEARCH_CHUNK,
            page_token: token,
          });
          for (const run of page.runs ?? []) runs.set(run.info.run_id, runMetrics(run));
          token = page.next_page_token || undefined;
        } while (token);
      });
    }
    const unseen = runIds.filter((id) => !runs.has(id));
    if (searchable.some((id) => !runs.has(id))) this.experiments = undefined;
    await mapBounded(unseen, this.concurrency, async (runId) => {
      const found = await this.orNull(this.http.get<{ run: MlflowRun }>('runs/get', { run_id: runId }));
      runs.set(runId, found ? runMetrics(found.run) : emptyMetrics());
    });
    return runs;
  }

  /** Ids of every experiment, active or deleted, read at most every EXPERIMENTS_TTL_MS. */
  private experimentIds(): Promise<string[]> {
    if (this.experiments && this.experiments.readAt > Date.now() - EXPERIMENTS_TTL_MS) return this.experiments.ids;
    const ids = (async () => {
      const found: string[] = [];
      let token: string | undefined;
      do {
        const page = await this.http.postRead<{ experiments?: { experiment_id: string }[]; next_page_token?: string }>(
          'experiments/search',
          { max_results: 1000, view_type: 'ALL', page_token: token },
        );
        found.push(...(page.experiments ?? []).map((e) => e.experiment_id));
        token = page.next_page_token || undefined;
      } while (token);
      return found;
    })();
    this.experiments = { ids, readAt: Date.now() };
    ids.catch(() => {
      this.experiments = undefined;
    });
    return ids;
  }

  /**
   * One search page of a model's versions. Where the name cannot be quoted exactly the
   * filter is widened, so every page is read and checked on our side instead.
   */
  private async searchVersions(
    name: string,
    /** Aliases by version, or null when the caller does not want them (left UNREAD). */
    aliases: Promise<Map<string, string[]>> | null,
    extra: string | null,
    orderBy: string,
    size: number,
  ) {
    const byName = nameEquals(name);
    type SearchPage = { model_versions?: MlflowModelVersion[]; next_page_token?: string };
    const search = (maxResults: number, token?: string) =>
      this.http.get<SearchPage>('model-versions/search', {
        filter: and(byName.clause, extra),
        order_by: orderBy,
        max_results: maxResults,
        page_token: token,
      });
    // MLflow's search leaves version aliases empty; they come from the registered model, read alongside.
    const mine = async (page: SearchPage) => {
      const byVersion = aliases ? await aliases : null;
      return (page.model_versions ?? [])
        .filter((v) => v.name === name)
        .map((v) => {
          const version = toVersion(this.id, { ...v, aliases: byVersion?.get(String(v.version)) ?? [] }, this.mode);
          return byVersion ? version : { ...version, aliases: UNREAD.versionAliases };
        });
    };
    if (!byName.widened) {
      const versions = await mine(await search(size));
      return { versions, more: versions.length >= size, lastNumber: Number(versions.at(-1)?.version ?? 0) };
    }
    const versions: ModelVersion[] = [];
    let token: string | undefined;
    do {
      const page = await search(1000, token);
      versions.push(...(await mine(page)));
      token = page.next_page_token || undefined;
    } while (token);
    return { versions, more: false, lastNumber: Number(versions.at(-1)?.version ?? 0) };
  }

  /**
   * Aliases of a model's versions, by version number; empty when the model does not exist.
   * Started alongside the version search: if the search fails first, this failure must not go unhandled.
   */
  private aliasesOf(name: string): Promise<Map<string, string[]>> {
    const read = this.getModel(name).then((model) => {
      const byVersion = new Map<string, string[]>();
      for (const { alias, version } of model?.aliases ?? []) byVersion.set(version, [...(byVersion.get(version) ?? []), alias]);
      return byVersion;
    });
    read.catch(() => undefined);
    return read;
  }

  private versionPage(items: ModelVersion[], hasNextPage: boolean): Page<ModelVersion> {
    return { items, hasNextPage, cursors: items.map((v) => encodeCursor({ v: Number(v.version) })) };
  }

  private async latestOf(name: string, stages: readonly Stage[]): Promise<ModelVersion[]> {
    if (this.mode === 'stages') {
      const found = await this.orNull(
        this.http.post<{ model_versions?: MlflowModelVersion[] }>('registered-models/get-latest-versions', {
          name,
          stages: stages.map(mlflowStage),
        }),
      );
      return (found?.model_versions ?? []).map((v) => toVersion(this.id, v, this.mode));
    }
    if (!(await this.getModel(name))) return [];
    const latest: ModelVersion[] = [];
    for (const stage of stages) {
      const [version] = (await this.listVersions(name, { stages: [stage] }, { first: 1 })).items;
      if (version) latest.push(version);
    }
    return latest;
  }

  private async fetchVersion(key: VersionKey): Promise<ModelVersion | null> {
    const found = await this.orNull(
      this.http.get<{ model_version: MlflowModelVersion }>('model-versions/get', { name: key.name, version: key.version }),
    );
    return found ? toVersion(this.id, found.model_version, this.mode) : null;
  }

  private async requireVersion(key: VersionKey): Promise<ModelVersion> {
    const version = await this.fetchVersion(key);
    if (!version) throw versionNotFound(key);
    return version;
  }

  private async requireModel(name: string): Promise<Model> {
    const model = await this.getModel(name);
    if (!model) throw modelNotFound(name);
    return model;
  }

  private refuseStageAlias(alias: string): void {
    if (this.mode === 'aliases' && Object.values(STAGE_ALIASES).includes(alias.toLowerCase())) {
      throw invalidInput(`Alias '${alias}' follows the stage in this registry (stageMode: aliases); use transitionStage`);
    }
  }

  private async createRun(modelName: string): Promise<string> {
    const experimentId = await this.registrationsExperiment();
    const { run } = await this.http.post<{ run: MlflowRun }>('runs/create', {
      experiment_id: experimentId,
      start_time: Date.now(),
      run_name: `register ${modelName}`,
      tags: [{ key: 'modelgate.model', value: modelName }],
    });
    return run.info.run_id;
  }

  /** The experiment for registration runs, created on first use. */
  private registrationsExperiment(): Promise<string> {
    this.experimentId ??= (async () => {
      const existing = await this.orNull(
        this.http.get<{ experiment: { experiment_id: string } }>('experiments/get-by-name', { experiment_name: this.metricsExperiment }),
      );
      if (existing) return existing.experiment.experiment_id;
      try {
        const created = await this.http.post<{ experiment_id: string }>('experiments/create', { name: this.metricsExperiment });
        return created.experiment_id;
      } catch (error) {
        if (!(isRegistryError(error) && error.code === ErrorCode.ALREADY_EXISTS)) throw error;
        const raced = await this.http.get<{ experiment: { experiment_id: string } }>('experiments/get-by-name', {
          experiment_name: this.metricsExperiment,
        });
        return raced.experiment.experiment_id;
      }
    })().catch((error: unknown) => {
      this.experimentId = undefined;
      throw error;
    });
    return this.experimentId;
  }

  /** NOT_FOUND becomes null; every other failure propagates. */
  private async orNull<T>(request: Promise<T>): Promise<T | null> {
    try {
      return await request;
    } catch (error) {
      if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }
}

/** The exact model query, applied to what a (possibly widened) MLflow filter returned. */
function matchesModelQuery(model: Model, query: ModelQuery): boolean {
  if (query.namePrefix && !model.name.startsWith(query.namePrefix)) return false;
  if (query.nameContains && !asciiLower(model.name).includes(asciiLower(query.nameContains))) return false;
  for (const tag of query.tags ?? []) {
    if (!Object.hasOwn(model.tags, tag.key)) return false;
    if (tag.value !== null && (!Object.hasOwn(model.tags, tag.key) || model.tags[tag.key] !== tag.value)) return false;
  }
  return true;
}

/** Lower-cases ASCII letters only, as the local registry does, so both backends match alike. */
const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Latest value per metric key; MLflow's NaN and infinities (sent as strings) are not numbers GraphQL can carry. */
function runMetrics(run: MlflowRun): VersionMetrics {
  const { metrics, params } = emptyMetrics();
  for (const metric of run.data?.metrics ?? []) {
    const value = typeof metric.value === 'number' ? metric.value : Number.NaN;
    if (Number.isFinite(value)) metrics[metric.key] = value;
  }
  for (const param of run.data?.params ?? []) params[param.key] = param.value;
  return { metrics, params };
}

/** The card as version tags `modelgate.card.<entry>`; none for an empty card. */
const cardTags = (card: ModelCard | null | undefined): Record<string, string> =>
  card ? Object.fromEntries(Object.entries(cardEntries(card)).map(([key, value]) => [CARD_TAG_PREFIX + key, value])) : {};
