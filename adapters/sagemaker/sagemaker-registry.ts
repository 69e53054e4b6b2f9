import { randomUUID } from 'node:crypto';
import {
  AddTagsCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteModelPackageCommand,
  DeleteModelPackageGroupCommand,
  DeleteTagsCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackageGroupsCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  type CreateModelPackageCommandOutput,
  type DescribeModelPackageGroupCommandOutput,
  type ListModelPackageGroupsCommandOutput,
  type ListModelPackagesCommandOutput,
  type ListTagsCommandOutput,
  type ModelPackageSummary,
} from '@aws-sdk/client-sagemaker';
import {
  ErrorCode,
  RegistryError,
  Stage,
  VersionOrder,
  invalidInput,
  refusedBeforeSending,
  isRegistryError,
  isVersionKey,
  mapBounded,
  pageByTokens,
  modelNotFound,
  versionKeyId,
  versionNotFound,
  callView,
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
  type ModelCard,
  type Page,
  type PageRequest,
  type ReadShape,
  type RegistryAdapter,
  type Tags,
  type VersionKey,
  type VersionMetrics,
  type VersionPatch,
  type VersionQuery,
  emptyMetrics,
  emptyRecord,
  recordFrom,
} from '../../src/core/index.ts';
import { mapAwsError } from './errors.ts';
import { ALIAS_TAG, META, STAGE_WRITE, cardMetadata, descriptionEntry, isReservedKey, readMetrics, signatureEntries, toVersion, type PackageDescription } from './mapping.ts';

export interface SageMakerRegistryOptions {
  id: string;
  region: string;
  /** Another endpoint (moto_server in tests, a VPC endpoint in production). */
  endpoint?: string;
  /** Static keys, for tests; production uses the default AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
  timeoutMs?: number;
  concurrency?: number;
  /** A ready client (tests with aws-sdk-client-mock). */
  client?: SageMakerClient;
}

/** SageMaker's limits on CustomerMetadataProperties and names (from the API model). */
export const SAGEMAKER_LIMITS = {
  metadataEntries: 50,
  metadataKey: 128,
  metadataValue: 256,
  /** A description changed after registration lives in one metadata entry. */
  descriptionEntry: 256,
  groupName: 63,
  tagKey: 128,
  tagValue: 256,
} as const;

const CARD_LIMITS = { key: SAGEMAKER_LIMITS.metadataKey, value: SAGEMAKER_LIMITS.metadataValue };

const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const GROUP_NAME_RULE = 'letters, digits and hyphens, starting and ending with a letter or digit, at most 63 (SageMaker)';
const LIST_PAGE_MAX = 100;
/** SageMaker operations that change something; the rest only read. */
const WRITE_OPERATION = /^(Create|Update|Delete|Add)/;


interface GroupInfo {
  arn: string;
  description: string | null;
  createdAt: Date;
  /** Prefix of this group's versioned package ARNs: `arn:...:model-package/<lowercase name>/`. */
  packageArnPrefix: string;
}

/** SageMaker Model Registry: model = model package group, version = versioned model package. */
export class SageMakerRegistry implements RegistryAdapter {
  readonly kind = 'sagemaker' as const;
  readonly id: string;
  private readonly client: SageMakerClient;
  private readonly concurrency: number;
  /** Set only on a per-call view (withCall): the SDK aborts that call's requests at its deadline. */
  private readonly context: CallContext | undefined;

  constructor(options: SageMakerRegistryOptions) {
    this.id = options.id;
    this.concurrency = options.concurrency ?? 8;
    this.client =
      options.client ??
      new SageMakerClient({
        region: options.region,
        endpoint: options.endpoint,
        credentials: options.credentials,
        maxAttempts: options.maxAttempts ?? 3,
        // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting.
        requestHandler: { requestTimeout: options.timeoutMs ?? 10_000, throwOnRequestTimeout: true, connectionTimeout: Math.min(options.timeoutMs ?? 10_000, 5_000) },
      });
  }

  capabilities(): Capabilities {
    return {
      stages: 'native',
      aliases: 'emulated',
      metrics: 'emulated',
      archiveExistingAtomic: false,
      modelDescriptionMutable: false,
      modelWithoutVersions: true,
      modelRename: false,
      versionSourceRequired: false,
      versionDescriptionMutable: true,
      cardMutable: true,
      artifactSchemes: ['s3://'],
      limits: {
        modelName: { maxLength: SAGEMAKER_LIMITS.groupName, pattern: GROUP_NAME, rule: GROUP_NAME_RULE },
        tagKey: { maxLength: SAGEMAKER_LIMITS.tagKey, pattern: /^[\p{L}\p{N}_\-./: ]+$/u, rule: 'letters, digits, _ - . / : and space, at most 128 (SageMaker)' },
        tagValue: { maxLength: SAGEMAKER_LIMITS.metadataValue, rule: 'at most 256 characters (SageMaker CustomerMetadataProperties)' },
        description: { maxLength: 1024 },
        versionDescriptionChange: {
          maxLength: SAGEMAKER_LIMITS.descriptionEntry,
          rule: `at most ${SAGEMAKER_LIMITS.descriptionEntry} characters (SageMaker metadata entry ${META.description})`,
        },
        source: { maxLength: SAGEMAKER_LIMITS.metadataValue },
        cardValue: { maxLength: SAGEMAKER_LIMITS.metadataValue, rule: 'each card field in one metadata entry of at most 256 characters (SageMaker CustomerMetadataProperties)' },
        maxVersionTags: SAGEMAKER_LIMITS.metadataEntries,
        versionEntries: {
          max: SAGEMAKER_LIMITS.metadataEntries,
          rule: `at most ${SAGEMAKER_LIMITS.metadataEntries} CustomerMetadataProperties per version: tags, metrics, params and modelgate's entries, the signature's parts included, together (SageMaker)`,
          count: (input) => Object.keys(versionMetadata(input)).length,
        },
        checkTagKeys: (set, remove, on) => (on === 'version' ? refuseReservedVersionTags : refuseReservedModelTags)([...set, ...remove]),
        checkAlias: refuseLongAlias,
      },
    };
  }

  async health(): Promise<Health> {
    const started = performance.now();
    await this.call('ListModelPackageGroups', new ListModelPackageGroupsCommand({ MaxResults: 1 }));
    return { ok: true, latencyMs: performance.now() - started };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  withCall(context: CallContext): RegistryAdapter {
    return callView(this, { context });
  }

  // ---- models -------------------------------------------------------------

  async listModels(query: ModelQuery, page: PageRequest, shape?: ReadShape): Promise<Page<Model>> {
    // A tag filter is checked here, so it needs the tags whatever the caller selects.
    const readShape = query.tags?.length ? undefined : shape;
    // No group name holds anything but letters, digits and hyphens: other search text matches nothing.
    for (const text of [query.nameContains, query.namePrefix]) {
      if (text && !/^[a-zA-Z0-9-]*$/.test(text)) return { items: [], cursors: [], hasNextPage: false };
    }
    return pageByTokens(page, {
      fetch: async (token, size) => {
        const response = await this.call<ListModelPackageGroupsCommandOutput>(
          'ListModelPackageGroups',
          new ListModelPackageGroupsCommand({
            // Only the prefix is sent: emulators differ on case in NameContains, and the exact check is ours anyway.
            NameContains: query.namePrefix || undefined,
            SortBy: 'Name',
            SortOrder: 'Ascending',
            MaxResults: Math.min(LIST_PAGE_MAX, size),
            NextToken: token ?? undefined,
          }),
        );
        return { items: response.ModelPackageGroupSummaryList ?? [], next: response.NextToken || null };
      },
      convert: (batch) =>
        mapBounded(batch, this.concurrency, async (g) => {
          if (!matchesName(g.ModelPackageGroupName ?? '', query)) return null;
          const model = await this.toModel(g.ModelPackageGroupName!, {
            arn: g.ModelPackageGroupArn!,
            description: g.ModelPackageGroupDescription || null,
            createdAt: g.CreationTime ?? new Date(0),
            packageArnPrefix: packagePrefix(g.ModelPackageGroupArn!, g.ModelPackageGroupName!),
          }, readShape);
          return matchesTags(model.tags, query) ? model : null;
        }),
    });
  }

  async getModel(name: string, shape?: ReadShape): Promise<Model | null> {
    const group = await this.findGroup(name);
    return group ? this.toModel(name, group, shape) : null;
  }

  async createModel(input: CreateModel): Promise<Model> {
    if (await this.findGroup(input.name)) throw new RegistryError(ErrorCode.ALREADY_EXISTS, `Model '${input.name}' already exists`);
    const userTags = Object.entries(input.tags ?? {});
    refuseReservedModelTags(Object.keys(input.tags ?? {}));
    await this.call(
      'CreateModelPackageGroup',
      new CreateModelPackageGroupCommand({ ModelPackageGroupName: input.name, ModelPackageGroupDescription: input.description ?? undefined }),
    );
    const group = await this.requireGroup(input.name);
    if (userTags.length) {
      try {
        await this.call('AddTags', new AddTagsCommand({ ResourceArn: group.arn, Tags: userTags.map(([Key, Value]) => ({ Key, Value })) }));
      } catch (error) {
        // Leave nothing half-made: the model either exists with its tags or not at all.
        await this.call('DeleteModelPackageGroup', new DeleteModelPackageGroupCommand({ ModelPackageGroupName: input.name })).catch(() => undefined);
        throw error;
      }
    }
    return this.toModel(input.name, group);
  }

  async updateModel(name: string, patch: ModelPatch): Promise<Model> {
    const model = await this.getModel(name);
    if (!model) throw modelNotFound(name);
    if (patch.description !== undefined && patch.description !== model.description) {
      throw new RegistryError(ErrorCode.UNSUPPORTED, 'SageMaker sets a model package group description at creation only; it cannot be changed');
    }
    return model;
  }

  async renameModel(name: string): Promise<Model> {
    await this.requireGroup(name);
    throw new RegistryError(ErrorCode.UNSUPPORTED, 'SageMaker model package groups cannot be renamed');
  }

  async deleteModel(name: string): Promise<void> {
    await this.requireGroup(name);
    for (const summary of await this.allPackages(name)) {
      await this.call('DeleteModelPackage', new DeleteModelPackageCommand({ ModelPackageName: summary.ModelPackageArn }));
    }
    await this.call('DeleteModelPackageGroup', new DeleteModelPackageGroupCommand({ ModelPackageGroupName: name }));
  }

  // ---- versions -----------------------------------------------------------

  async listVersions(name: string, query: VersionQuery, page: PageRequest, shape?: ReadShape): Promise<Page<ModelVersion>> {
    const group = await this.requireGroup(name);
    const aliases = await this.aliasesOf(group, shape);
    const stages = query.stages?.length ? new Set(query.stages) : null;
    const newestFirst = (query.order ?? VersionOrder.NEWEST_FIRST) === VersionOrder.NEWEST_FIRST;
    return pageByTokens(page, {
      fetch: async (token, size) => {
        const response = await this.call<ListModelPackagesCommandOutput>(
          'ListModelPackages',
          new ListModelPackagesCommand({
            ModelPackageGroupName: name,
            ModelPackageType: 'Versioned',
            SortBy: 'CreationTime',
            SortOrder: newestFirst ? 'Descending' : 'Ascending',
            MaxResults: Math.min(LIST_PAGE_MAX, size),
            NextToken: token ?? undefined,
          }),
        );
        return { items: response.ModelPackageSummaryList ?? [], next: response.NextToken || null };
      },
      // Summaries lack metadata (tags, stage mirror), so each version is described.
      convert: (batch) =>
        mapBounded(batch, this.concurrency, async (s) => {
          const pkg = await this.describe(s.ModelPackageArn!);
          if (!pkg) return null;
          const version = toVersion(this.id, name, pkg, aliasesAt(aliases, String(pkg.ModelPackageVersion)));
          return stages && !stages.has(version.stage) ? null : version;
        }),
      size: (wanted, skip) => (stages ? LIST_PAGE_MAX : wanted + skip),
    });
  }

  async getVersions(keys: readonly VersionKey[], shape?: ReadShape): Promise<(ModelVersion | null)[]> {
    const names = [...new Set(keys.map((k) => k.name))];
    const found = new Map<string, ModelVersion>();
    await mapBounded(names, this.concurrency, async (name) => {
      const group = await this.findGroup(name);
      if (!group) return;
      const aliases = await this.aliasesOf(group, shape);
      const numbers = [...new Set(keys.filter((k) => k.name === name).map((k) => k.version))];
      await mapBounded(numbers, this.concurrency, async (number) => {
        const pkg = await this.describe(group.packageArnPrefix + number);
        if (pkg) found.set(versionKeyId({ name, version: number }), toVersion(this.id, name, pkg, aliasesAt(aliases, number)));
      });
    });
    return keys.map((key) => found.get(versionKeyId(key)) ?? null);
  }

  async latestVersions(names: readonly string[], stages: readonly Stage[]): Promise<Map<string, ModelVersion[]>> {
    const result = new Map<string, ModelVersion[]>();
    const wanted = new Set(stages);
    await mapBounded([...new Set(names)], this.concurrency, async (name) => {
      if (!(await this.findGroup(name))) return result.set(name, []);
      const latest = new Map<Stage, ModelVersion>();
      let after: string | null = null;
      do {
        const page: Page<ModelVersion> = await this.listVersions(name, {}, { first: LIST_PAGE_MAX, after });
        for (const version of page.items) {
          if (wanted.has(version.stage) && !latest.has(version.stage)) latest.set(version.stage, version);
        }
        after = page.hasNextPage && latest.size < wanted.size ? page.cursors.at(-1)! : null;
      } while (after);
      return result.set(name, [...latest.values()].sort((a, b) => Number(a.version) - Number(b.version)));
    });
    return result;
  }

  async createVersion(input: CreateVersion): Promise<ModelVersion> {
    await this.requireGroup(input.name);
    refuseReservedVersionTags(Object.keys(input.tags ?? {}));
    const metadata = versionMetadata(input);
    checkMetadata(metadata);
    const write = STAGE_WRITE[Stage.NONE];
    const { ModelPackageArn } = await this.call<CreateModelPackageCommandOutput>(
      'CreateModelPackage',
      new CreateModelPackageCommand({
        ModelPackageGroupName: input.name,
        ModelPackageDescription: input.description ?? undefined,
        ModelApprovalStatus: write.approval,
        CustomerMetadataProperties: metadata,
        ModelLifeCycle: { Stage: write.lifecycle, StageStatus: write.status },
        SourceUri: input.source ?? undefined,
        // Retries of this call by the SDK must not register twice.
        ClientToken: randomUUID(),
      }),
    );
    const pkg = await this.describe(ModelPackageArn!);
    if (!pkg) throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, `SageMaker did not return the package it created (${ModelPackageArn})`);
    return toVersion(this.id, input.name, pkg, []);
  }

  /** ModelPackageDescription is set at creation only, so a later description goes to metadata entry `modelgate.description`. */
  async updateVersion(key: VersionKey, patch: VersionPatch): Promise<ModelVersion> {
    const { pkg, version } = await this.requirePackage(key);
    if (patch.description === undefined || (patch.description || null) === version.description) return version;
    const change = descriptionEntry(pkg, patch.description, SAGEMAKER_LIMITS.descriptionEntry);
    const metadata = recordFrom([...Object.entries(pkg.CustomerMetadataProperties ?? {}), ...Object.entries(change.set)]);
    for (const removed of change.remove) delete metadata[removed];
    checkMetadata(metadata);
    await this.update(pkg, { metadata, removed: change.remove.filter((k) => Object.hasOwn(pkg.CustomerMetadataProperties ?? {}, k)) });
    return this.requireVersion(key);
  }

  /** The card's entries replace the old ones in one UpdateModelPackage; the 50-entry limit counts them with everything else. */
  async updateCard(key: VersionKey, card: ModelCard | null): Promise<ModelVersion> {
    const { pkg } = await this.requirePackage(key);
    const entries = cardMetadata(card, CARD_LIMITS);
    const current = pkg.CustomerMetadataProperties ?? {};
    const metadata = recordFrom(Object.entries(current).filter(([k]) => !k.startsWith(META.card)));
    Object.assign(metadata, entries);
    checkMetadata(metadata);
    const removed = Object.keys(current).filter((k) => k.startsWith(META.card) && !Object.hasOwn(entries, k));
    await this.update(pkg, { metadata, removed });
    return this.requireVersion(key);
  }

  async getDownloadUri(key: VersionKey): Promise<string | null> {
    return (await this.requireVersion(key)).source;
  }

  async deleteVersion(key: VersionKey): Promise<void> {
    const { group, version } = await this.requirePackage(key);
    await this.call('DeleteModelPackage', new DeleteModelPackageCommand({ ModelPackageName: group.packageArnPrefix + key.version }));
    if (version.aliases.length) {
      await this.call('DeleteTags', new DeleteTagsCommand({ ResourceArn: group.arn, TagKeys: version.aliases.map((a) => ALIAS_TAG + a) }));
    }
  }

  // ---- tags and aliases ------------------------------------------------------

  async setTags(target: ModelKey | VersionKey, set: Record<string, string>, remove: readonly string[]): Promise<void> {
    if (!isVersionKey(target)) {
      const group = await this.requireGroup(target.name);
      refuseReservedModelTags([...Object.keys(set), ...remove]);
      const entries = Object.entries(set);
      if (entries.length) await this.call('AddTags', new AddTagsCommand({ ResourceArn: group.arn, Tags: entries.map(([Key, Value]) => ({ Key, Value })) }));
      if (remove.length) await this.call('DeleteTags', new DeleteTagsCommand({ ResourceArn: group.arn, TagKeys: [...remove] }));
      return;
    }
    refuseReservedVersionTags([...Object.keys(set), ...remove]);
    const { pkg } = await this.requirePackage(target);
    const metadata = recordFrom([...Object.entries(pkg.CustomerMetadataProperties ?? {}), ...Object.entries(set)]);
    for (const key of remove) delete metadata[key];
    checkMetadata(metadata);
    await this.update(pkg, { metadata, removed: remove.filter((k) => Object.hasOwn(pkg.CustomerMetadataProperties ?? {}, k)) });
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    refuseLongAlias(alias);
    const { group } = await this.requirePackage({ name, version });
    await this.call('AddTags', new AddTagsCommand({ ResourceArn: group.arn, Tags: [{ Key: ALIAS_TAG + alias, Value: version }] }));
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    const group = await this.requireGroup(name);
    const tags = await this.groupTags(group);
    if (!Object.hasOwn(tags, ALIAS_TAG + alias)) throw new RegistryError(ErrorCode.NOT_FOUND, `Model '${name}' has no alias '${alias}'`);
    await this.call('DeleteTags', new DeleteTagsCommand({ ResourceArn: group.arn, TagKeys: [ALIAS_TAG + alias] }));
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | null> {
    const group = await this.findGroup(name);
    if (!group) return null;
    const version = (await this.groupTags(group))[ALIAS_TAG + alias];
    return version ? ((await this.getVersions([{ name, version }]))[0] ?? null) : null;
  }

  // ---- stages and metrics ---------------------------------------------------------

  async setStage(key: VersionKey, stage: Stage): Promise<ModelVersion> {
    const { pkg } = await this.requirePackage(key);
    await this.update(pkg, { metadata: recordFrom([...Object.entries(pkg.CustomerMetadataProperties ?? {}), [META.stage, stage] as const]), removed: [], stage });
    return this.requireVersion(key);
  }

  async getMetrics(refs: readonly MetricsRef[]): Promise<Map<string, VersionMetrics>> {
    const result = new Map<string, VersionMetrics>();
    const names = [...new Set(refs.map((r) => r.name))];
    await mapBounded(names, this.concurrency, async (name) => {
      const group = await this.findGroup(name);
      const numbers = [...new Set(refs.filter((r) => r.name === name).map((r) => r.version))];
      await mapBounded(numbers, this.concurrency, async (number) => {
        const pkg = group ? await this.describe(group.packageArnPrefix + number) : null;
        result.set(versionKeyId({ name, version: number }), pkg ? readMetrics(pkg) : emptyMetrics());
      });
    });
    return result;
  }

  // ---- internals ----------------------------------------------------------------------

  /**
   * UpdateModelPackage with everything it must keep: the approval status, its description,
   * the full metadata and the life cycle. Omitted fields are wiped by some implementations.
   */
  private async update(pkg: PackageDescription, change: { metadata: Record<string, string>; removed: string[]; stage?: Stage }) {
    const stage = change.stage;
    const write = stage ? STAGE_WRITE[stage] : null;
    await this.call(
      'UpdateModelPackage',
      new UpdateModelPackageCommand({
        ModelPackageArn: pkg.ModelPackageArn,
        ModelApprovalStatus: (write?.approval ?? pkg.ModelApprovalStatus) as 'Approved' | undefined,
        ApprovalDescription: write?.reason ?? (pkg as { ApprovalDescription?: string }).ApprovalDescription,
        CustomerMetadataProperties: change.metadata,
        CustomerMetadataPropertiesToRemove: change.removed.length ? change.removed : undefined,
        ModelLifeCycle: write
          ? { Stage: write.lifecycle, StageStatus: write.status, StageDescription: write.reason }
          : pkg.ModelLifeCycle?.Stage
            ? { Stage: pkg.ModelLifeCycle.Stage, StageStatus: pkg.ModelLifeCycle.StageStatus ?? '' }
            : undefined,
      }),
    );
  }

  private async describe(arn: string): Promise<PackageDescription | null> {
    try {
      return await this.call('DescribeModelPackage', new DescribeModelPackageCommand({ ModelPackageName: arn }));
    } catch (error) {
      if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
  }

  private async findGroup(name: string): Promise<GroupInfo | null> {
    let found: DescribeModelPackageGroupCommandOutput;
    try {
      found = await this.call('DescribeModelPackageGroup', new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }));
    } catch (error) {
      if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    }
    // Group names are case-insensitive to SageMaker; modelgate names are exact.
    if (found.ModelPackageGroupName !== name) return null;
    return {
      arn: found.ModelPackageGroupArn!,
      description: found.ModelPackageGroupDescription || null,
      createdAt: found.CreationTime ?? new Date(0),
      packageArnPrefix: packagePrefix(found.ModelPackageGroupArn!, name),
    };
  }

  private async requireGroup(name: string): Promise<GroupInfo> {
    const group = await this.findGroup(name);
    if (!group) throw modelNotFound(name);
    return group;
  }

  private async requirePackage(key: VersionKey): Promise<{ group: GroupInfo; pkg: PackageDescription; version: ModelVersion }> {
    const group = await this.requireGroup(key.name);
    const pkg = await this.describe(group.packageArnPrefix + key.version);
    if (!pkg) throw versionNotFound(key);
    const aliases = await this.aliasesOf(group);
    return { group, pkg, version: toVersion(this.id, key.name, pkg, aliasesAt(aliases, key.version)) };
  }

  private async requireVersion(key: VersionKey): Promise<ModelVersion> {
    return (await this.requirePackage(key)).version;
  }

  private async groupTags(group: GroupInfo): Promise<Tags> {
    const tags: Tags = emptyRecord();
    let token: string | undefined;
    do {
      const page = await this.call<ListTagsCommandOutput>('ListTags', new ListTagsCommand({ ResourceArn: group.arn, MaxResults: LIST_PAGE_MAX, NextToken: token }));
      for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
      token = page.NextToken || undefined;
    } while (token);
    return tags;
  }

  /** version number → aliases, from the group's `modelgate.alias.*` tags; null (no ListTags) when the shape leaves them out. */
  private async aliasesOf(group: GroupInfo, shape?: ReadShape): Promise<Map<string, string[]> | null> {
    if (!wants(shape, 'aliases')) return null;
    const byVersion = new Map<string, string[]>();
    for (const [key, version] of Object.entries(await this.groupTags(group))) {
      if (key.startsWith(ALIAS_TAG)) byVersion.set(version, [...(byVersion.get(version) ?? []), key.slice(ALIAS_TAG.length)]);
    }
    return byVersion;
  }

  private async toModel(name: string, group: GroupInfo, shape?: ReadShape): Promise<Model> {
    // Tags and aliases are both the group's tags: one ListTags serves either, none is needed for neither.
    const unread = !wants(shape, 'tags') && !wants(shape, 'aliases');
    const tags = unread ? null : await this.groupTags(group);
    const userTags: Tags = emptyRecord();
    const aliases: Model['aliases'] = [];
    for (const [key, value] of Object.entries(tags ?? {})) {
      if (key.startsWith(ALIAS_TAG)) aliases.push({ alias: key.slice(ALIAS_TAG.length), version: value });
      else userTags[key] = value;
    }
    return {
      registry: this.id,
      name,
      description: group.description,
      tags: tags ? userTags : UNREAD.tags,
      aliases: tags ? aliases.sort((a, b) => a.alias.localeCompare(b.alias)) : UNREAD.modelAliases,
      createdAt: group.createdAt,
      updatedAt: group.createdAt,
      native: { modelPackageGroupArn: group.arn },
    };
  }

  private async allPackages(name: string): Promise<ModelPackageSummary[]> {
    const all: ModelPackageSummary[] = [];
    let token: string | undefined;
    do {
      const page = await this.call<ListModelPackagesCommandOutput>(
        'ListModelPackages',
        new ListModelPackagesCommand({ ModelPackageGroupName: name, ModelPackageType: 'Versioned', MaxResults: LIST_PAGE_MAX, NextToken: token }),
      );
      all.push(...(page.ModelPackageSummaryList ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return all;
  }

  private async call<T>(operation: string, command: { input: unknown }): Promise<T> {
    const signal = this.context?.signal;
    // Past the deadline nothing more is sent (a later step of a multi-request change).
    if (signal?.aborted) throw new RegistryError(ErrorCode.BACKEND_UNAVAILABLE, `SageMaker did not answer before the deadline; ${operation} was not sent`, { registry: this.id });
    try {
      const trace = this.context?.trace;
      if (trace) withTraceHeaders(command as never, trace.headers);
      const output = (await this.client.send(command as never, { abortSignal: signal })) as T & { $metadata?: { attempts?: number } };
      if (trace && (output.$metadata?.attempts ?? 1) > 1) trace.retried(output.$metadata!.attempts! - 1);
      return output;
    } catch (error) {
      throw mapAwsError(error, this.id, operation, { write: WRITE_OPERATION.test(operation), aborted: signal?.aborted ?? false });
    }
  }
}

/** The caller's trace rides on this command's HTTP request (W3C traceparent); the client itself stays shared. */
function withTraceHeaders(command: { middlewareStack: { add(middleware: unknown, options: unknown): void } }, headers: Readonly<Record<string, string>>): void {
  command.middlewareStack.add(
    (next: (args: { request: { headers?: Record<string, string> } }) => Promise<unknown>) => (args: { request: { headers?: Record<string, string> } }) => {
      if (args.request.headers) Object.assign(args.request.headers, headers);
      return next(args);
    },
    { step: 'build', name: 'modelgateTraceContext', override: true },
  );
}

/** The aliases of one version, or the UNREAD marker when they were not read. */
function aliasesAt(byVersion: Map<string, string[]> | null, version: string): string[] {
  return byVersion ? (byVersion.get(version) ?? []) : UNREAD.versionAliases;
}

/** Versioned package ARNs use the lower-cased group name under `model-package/`. */
function packagePrefix(groupArn: string, name: string): string {
  const base = groupArn.slice(0, groupArn.indexOf(':model-package-group/'));
  return `${base}:model-package/${name.toLowerCase()}/`;
}

/** A new version's CustomerMetadataProperties: tags, modelgate's own entries, metrics and params. */
function versionMetadata(input: CreateVersion): Record<string, string> {
  const metadata: Record<string, string> = recordFrom([...Object.entries(input.tags ?? {}), [META.stage, Stage.NONE] as const]);
  if (input.source) metadata[META.source] = input.source;
  if (input.runId) metadata[META.runId] = input.runId;
  if (input.semver) metadata[META.semver] = input.semver;
  if (input.signature) Object.assign(metadata, signatureEntries(input.signature, SAGEMAKER_LIMITS.metadataValue));
  for (const [key, value] of Object.entries(input.metrics ?? {})) metadata[META.metric + key] = String(value);
  for (const [key, value] of Object.entries(input.params ?? {})) metadata[META.param + key] = value;
  Object.assign(metadata, cardMetadata(input.card, CARD_LIMITS));
  return metadata;
}

function refuseReservedVersionTags(keys: readonly string[]): void {
  const reserved = keys.find(isReservedKey);
  if (reserved) throw invalidInput(`Tag '${reserved}' is reserved on SageMaker: modelgate keeps stage, source, run id, semver, signature, description, card, metrics and params there`);
}

function refuseReservedModelTags(keys: readonly string[]): void {
  const reserved = keys.find((key) => key.startsWith(ALIAS_TAG));
  if (reserved) throw invalidInput(`Tag '${reserved}' is reserved on SageMaker: modelgate keeps aliases in '${ALIAS_TAG}*' tags`);
}

/** An alias is a group tag `modelgate.alias.<alias>`, so its key limit bounds the alias. */
function refuseLongAlias(alias: string): void {
  if (ALIAS_TAG.length + alias.length > SAGEMAKER_LIMITS.tagKey) {
    throw invalidInput(`Alias '${alias}' is too long for SageMaker: at most ${SAGEMAKER_LIMITS.tagKey - ALIAS_TAG.length} characters`, { field: 'alias', limit: SAGEMAKER_LIMITS.tagKey - ALIAS_TAG.length });
  }
}

/** CustomerMetadataProperties limits, checked before sending so nothing is truncated or refused halfway. */
function checkMetadata(metadata: Record<string, string>): void {
  const entries = Object.entries(metadata);
  if (entries.length > SAGEMAKER_LIMITS.metadataEntries) {
    throw refusedBeforeSending(
      `SageMaker keeps at most ${SAGEMAKER_LIMITS.metadataEntries} metadata entries per version; this needs ${entries.length} (tags, metrics, params and modelgate's own entries, the signature's parts included, together)`,
      { limit: SAGEMAKER_LIMITS.metadataEntries },
    );
  }
  for (const [key, value] of entries) {
    if (key.length > SAGEMAKER_LIMITS.metadataKey) {
      throw refusedBeforeSending(`Metadata key '${key.slice(0, 40)}...' is longer than SageMaker's ${SAGEMAKER_LIMITS.metadataKey} characters`, {
        limit: SAGEMAKER_LIMITS.metadataKey,
      });
    }
    if (value.length > SAGEMAKER_LIMITS.metadataValue) {
      throw refusedBeforeSending(`Value of '${key}' is longer than SageMaker's ${SAGEMAKER_LIMITS.metadataValue} characters`, {
        limit: SAGEMAKER_LIMITS.metadataValue,
      });
    }
  }
}

function matchesName(name: string, query: ModelQuery): boolean {
  if (query.namePrefix && !name.startsWith(query.namePrefix)) return false;
  if (query.nameContains && !name.toLowerCase().includes(query.nameContains.toLowerCase())) return false;
  return true;
}

function matchesTags(tags: Tags, query: ModelQuery): boolean {
  return (query.tags ?? []).every((tag) => Object.hasOwn(tags, tag.key) && (tag.value === null || tags[tag.key] === tag.value));
}
