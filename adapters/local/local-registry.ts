import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  DEFAULT_LIMITS,
  cardToJson,
  isEmptyCard,
  type ModelCard,
  EMPTY_METRICS,
  EXCLUSIVE_STAGES,
  Stage,
  VersionOrder,
  alreadyExists,
  decodeCursor,
  encodeCursor,
  isVersionKey,
  modelNotFound,
  notFound,
  versionNotFound,
  versionKeyId,
  type Alias,
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
  emptyRecord,
  UNREAD,
  wants,
} from '../../src/core/index.ts';
import { migrate } from './migrations.ts';
import { groupTags, toModel, toVersion, versionOwner, type KeyValueRow, type ModelRow, type VersionRow } from './rows.ts';

export interface LocalRegistryOptions {
  id: string;
  /** SQLite file, or ':memory:'. */
  path: string;
  /** Called with each SQL statement run, to count them (tests, benchmarks). */
  onStatement?: (sql: string) => void;
}

const CAPABILITIES: Capabilities = {
  stages: 'native',
  aliases: 'native',
  metrics: 'native',
  archiveExistingAtomic: true,
  modelDescriptionMutable: true,
  modelWithoutVersions: true,
  modelRename: true,
  versionSourceRequired: false,
  versionDescriptionMutable: true,
  cardMutable: true,
  limits: DEFAULT_LIMITS,
};

const VERSION_COLUMNS =
  'v.model_id, m.name, v.version, v.stage, v.description, v.source, v.run_id, v.status, v.created_at, v.updated_at, v.created_by, v.semver, v.signature, v.card';

/** The card column: JSON entries, NULL when the card holds nothing. */
const cardColumn = (card: ModelCard | null | undefined): string | null => (card && !isEmptyCard(card) ? JSON.stringify(cardToJson(card)) : null);

/**
 * A bare `LIMIT ?` lets SQLite's planner depend on the bound value, so the statement is compiled
 * again on every run (3-4x its cost here); behind a CAST the prepared plan is reused.
 */
const BOUND_LIMIT = 'CAST(? AS INTEGER)';

type ModelCursor = { name: string };
type VersionCursor = { version: number };
const isModelCursor = (v: unknown): v is ModelCursor => typeof (v as ModelCursor)?.name === 'string';
const isVersionCursor = (v: unknown): v is VersionCursor => Number.isInteger((v as VersionCursor)?.version);

/** The embedded registry: one SQLite file, WAL, every write in one immediate transaction. */
export class LocalRegistry implements RegistryAdapter {
  readonly kind = 'local' as const;
  readonly id: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(options: LocalRegistryOptions) {
    this.id = options.id;
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path, options.onStatement ? { verbose: (sql) => options.onStatement!(String(sql)) } : {});
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // Other gateway processes may share the file; wait for their writes instead of failing.
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  capabilities(): Capabilities {
    return CAPABILITIES;
  }

  async health(): Promise<Health> {
    const started = performance.now();
    this.sql('SELECT 1').get();
    return { ok: true, latencyMs: performance.now() - started };
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // ---- models -------------------------------------------------------------

  async listModels(query: ModelQuery, page: PageRequest, shape?: ReadShape): Promise<Page<Model>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (page.after) {
      where.push('m.name > ?');
      args.push(decodeCursor(page.after, isModelCursor).name);
    }
    if (query.namePrefix) {
      // The range lets the name index seek; substr keeps the match exact.
      where.push('m.name >= ?', 'substr(m.name, 1, length(?)) = ?');
      args.push(query.namePrefix, query.namePrefix, query.namePrefix);
      const upper = prefixUpperBound(query.namePrefix);
      if (upper !== null) {
        where.push('m.name < ?');
        args.push(upper);
      }
    }
    if (query.nameContains) {
      // instr, not LIKE: % and _ in the search text are plain characters.
      where.push('instr(lower(m.name), lower(?)) > 0');
      args.push(query.nameContains);
    }
    for (const tag of query.tags ?? []) {
      where.push('EXISTS (SELECT 1 FROM model_tags t WHERE t.model_id = m.id AND t.key = ? AND (? IS NULL OR t.value = ?))');
      args.push(tag.key, tag.value, tag.value);
    }
    const rows = this.sql(
      `SELECT m.id, m.name, m.description, m.created_at, m.updated_at FROM models m
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.name LIMIT ${BOUND_LIMIT}`,
    ).all(...args, page.first + 1) as ModelRow[];
    const items = this.hydrateModels(rows.slice(0, page.first), shape);
    return {
      items,
      cursors: items.map((model) => encodeCursor({ name: model.name })),
      hasNextPage: rows.length > page.first,
    };
  }

  async getModel(name: string, shape?: ReadShape): Promise<Model | null> {
    const row = this.findModel(name);
    return row ? this.hydrateModels([row], shape)[0]! : null;
  }

  async createModel(input: CreateModel): Promise<Model> {
    const now = Date.now();
    this.db
      .transaction(() => {
        if (this.findModel(input.name)) throw alreadyExists(`Model '${input.name}' already exists`);
        const { lastInsertRowid } = this.sql(
          'INSERT INTO models (name, description, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?)',
        ).run(input.name, input.description ?? null, now, now, input.createdBy ?? null);
        this.writeModelTags(Number(lastInsertRowid), input.tags ?? {});
      })
      .immediate();
    return (await this.getModel(input.name))!;
  }

  async updateModel(name: string, patch: ModelPatch): Promise<Model> {
    const model = this.requireModel(name);
    if (patch.description !== undefined) {
      this.sql('UPDATE models SET description = ?, updated_at = ? WHERE id = ?').run(patch.description, Date.now(), model.id);
    }
    return (await this.getModel(name))!;
  }

  async renameModel(name: string, newName: string): Promise<Model> {
    this.db
      .transaction(() => {
        const model = this.requireModel(name);
        if (name !== newName && this.findModel(newName)) throw alreadyExists(`Model '${newName}' already exists`);
        this.sql('UPDATE models SET name = ?, updated_at = ? WHERE id = ?').run(newName, Date.now(), model.id);
      })
      .immediate();
    return (await this.getModel(newName))!;
  }

  async deleteModel(name: string): Promise<void> {
    const { changes } = this.sql('DELETE FROM models WHERE name = ?').run(name);
    if (changes === 0) throw modelNotFound(name);
  }

  // ---- versions -----------------------------------------------------------

  async listVersions(name: string, query: VersionQuery, page: PageRequest, shape?: ReadShape): Promise<Page<ModelVersion>> {
    const newestFirst = (query.order ?? VersionOrder.NEWEST_FIRST) === VersionOrder.NEWEST_FIRST;
    // The model is matched by name in the same statement; only an empty page asks whether it exists.
    const where = ['m.name = ?'];
    const args: unknown[] = [name];
    if (query.stages?.length) {
      where.push(`v.stage IN (${query.stages.map(() => '?').join(', ')})`);
      args.push(...query.stages);
    }
    if (page.after) {
      where.push(newestFirst ? 'v.version < ?' : 'v.version > ?');
      args.push(decodeCursor(page.after, isVersionCursor).version);
    }
    const rows = this.sql(
      `SELECT ${VERSION_COLUMNS} FROM models m JOIN versions v ON v.model_id = m.id
       WHERE ${where.join(' AND ')} ORDER BY v.version ${newestFirst ? 'DESC' : 'ASC'} LIMIT ${BOUND_LIMIT}`,
    ).all(...args, page.first + 1) as VersionRow[];
    if (rows.length === 0) this.requireModel(name);
    const kept = rows.slice(0, page.first);
    return {
      items: this.hydrateVersions(kept, shape),
      cursors: kept.map((row) => encodeCursor({ version: row.version })),
      hasNextPage: rows.length > page.first,
    };
  }

  async getVersions(keys: readonly VersionKey[], shape?: ReadShape): Promise<(ModelVersion | null)[]> {
    if (keys.length === 0) return [];
    const rows = this.sql(
      `SELECT ${VERSION_COLUMNS} FROM json_each(?) k
       JOIN models m ON m.name = k.value ->> 0
       JOIN versions v ON v.model_id = m.id AND v.version = k.value ->> 1`,
    ).all(JSON.stringify(keys.map((k) => [k.name, Number(k.version)]))) as VersionRow[];
    const found = new Map(this.hydrateVersions(rows, shape).map((v) => [versionKeyId(v), v]));
    return keys.map((key) => found.get(versionKeyId(key)) ?? null);
  }

  async latestVersions(names: readonly string[], stages: readonly Stage[]): Promise<Map<string, ModelVersion[]>> {
    const result = new Map<string, ModelVersion[]>(names.map((name) => [name, []]));
    if (names.length === 0 || stages.length === 0) return result;
    const rows = this.sql(
      `SELECT ${VERSION_COLUMNS} FROM models m
       JOIN json_each(?) s
       JOIN versions v ON v.model_id = m.id AND v.stage = s.value AND v.version =
         (SELECT max(x.version) FROM versions x WHERE x.model_id = m.id AND x.stage = s.value)
       WHERE m.name IN (SELECT value FROM json_each(?))
       ORDER BY v.version`,
    ).all(JSON.stringify(stages), JSON.stringify(names)) as VersionRow[];
    for (const version of this.hydrateVersions(rows)) result.get(version.name)?.push(version);
    return result;
  }

  async createVersion(input: CreateVersion): Promise<ModelVersion> {
    const now = Date.now();
    const version = this.db
      .transaction(() => {
        const model = this.requireModel(input.name);
        const { next_version: number } = this.sql(
          'UPDATE models SET next_version = next_version + 1, updated_at = ? WHERE id = ? RETURNING next_version - 1 AS next_version',
        ).get(now, model.id) as { next_version: number };
        this.sql(
          `INSERT INTO versions (model_id, version, description, source, run_id, created_at, updated_at, created_by, semver, signature, card)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(model.id, number, input.description ?? null, input.source ?? null, input.runId ?? null, now, now, input.createdBy ?? null,
          input.semver ?? null, input.signature ? JSON.stringify(input.signature) : null, cardColumn(input.card));
        this.writeVersionValues('version_tags', model.id, number, input.tags ?? {});
        this.writeVersionValues('metrics', model.id, number, input.metrics ?? {});
        this.writeVersionValues('params', model.id, number, input.params ?? {});
        return number;
      })
      .immediate();
    return this.requireVersion({ name: input.name, version: String(version) });
  }

  async updateVersion(key: VersionKey, patch: VersionPatch): Promise<ModelVersion> {
    const { modelId, version } = this.requireVersionRow(key);
    if (patch.description !== undefined) {
      this.sql('UPDATE versions SET description = ?, updated_at = ? WHERE model_id = ? AND version = ?').run(
        patch.description,
        Date.now(),
        modelId,
        version,
      );
    }
    return this.requireVersion(key);
  }

  async updateCard(key: VersionKey, card: ModelCard | null): Promise<ModelVersion> {
    const { modelId, version } = this.requireVersionRow(key);
    this.sql('UPDATE versions SET card = ?, updated_at = ? WHERE model_id = ? AND version = ?').run(cardColumn(card), Date.now(), modelId, version);
    return this.requireVersion(key);
  }

  async getDownloadUri(key: VersionKey): Promise<string | null> {
    return (await this.requireVersion(key)).source;
  }

  async deleteVersion(key: VersionKey): Promise<void> {
    const { modelId, version } = this.requireVersionRow(key);
    this.sql('DELETE FROM versions WHERE model_id = ? AND version = ?').run(modelId, version);
  }

  async setStage(key: VersionKey, stage: Stage, options: SetStageOptions = {}): Promise<ModelVersion> {
    const now = Date.now();
    this.db
      .transaction(() => {
        const { modelId, version } = this.requireVersionRow(key);
        this.sql('UPDATE versions SET stage = ?, updated_at = ? WHERE model_id = ? AND version = ?').run(stage, now, modelId, version);
        if (options.archiveExisting && EXCLUSIVE_STAGES.includes(stage)) {
          this.sql(
            `UPDATE versions SET stage = 'ARCHIVED', updated_at = ? WHERE model_id = ? AND stage = ? AND version <> ?`,
          ).run(now, modelId, stage, version);
        }
      })
      .immediate();
    return this.requireVersion(key);
  }

  // ---- tags, aliases, metrics -----------------------------------------------

  async setTags(target: ModelKey | VersionKey, set: Record<string, string>, remove: readonly string[]): Promise<void> {
    this.db
      .transaction(() => {
        if (isVersionKey(target)) {
          const { modelId, version } = this.requireVersionRow(target);
          this.writeVersionValues('version_tags', modelId, version, set);
          const drop = this.sql('DELETE FROM version_tags WHERE model_id = ? AND version = ? AND key = ?');
          for (const key of remove) drop.run(modelId, version, key);
        } else {
          const model = this.requireModel(target.name);
          this.writeModelTags(model.id, set);
          const drop = this.sql('DELETE FROM model_tags WHERE model_id = ? AND key = ?');
          for (const key of remove) drop.run(model.id, key);
        }
      })
      .immediate();
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    const { modelId, version: number } = this.requireVersionRow({ name, version });
    this.sql('INSERT INTO aliases (model_id, alias, version) VALUES (?, ?, ?) ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version').run(
      modelId,
      alias,
      number,
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    const model = this.requireModel(name);
    const { changes } = this.sql('DELETE FROM aliases WHERE model_id = ? AND alias = ?').run(model.id, alias);
    if (changes === 0) throw notFound(`Model '${name}' has no alias '${alias}'`);
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion | null> {
    const rows = this.sql(
      `SELECT ${VERSION_COLUMNS} FROM models m JOIN aliases a ON a.model_id = m.id
       JOIN versions v ON v.model_id = m.id AND v.version = a.version
       WHERE m.name = ? AND a.alias = ?`,
    ).all(name, alias) as VersionRow[];
    return this.hydrateVersions(rows)[0] ?? null;
  }

  async getMetrics(keys: readonly MetricsRef[], shape?: ReadShape): Promise<Map<string, VersionMetrics>> {
    const result = new Map<string, VersionMetrics>();
    if (keys.length === 0) return result;
    const wanted = JSON.stringify(keys.map((k) => [k.name, Number(k.version)]));
    const read = (table: 'metrics' | 'params') =>
      this.sql(
        `SELECT m.name, t.version, t.key, t.value FROM json_each(?) k
         JOIN models m ON m.name = k.value ->> 0
         JOIN ${table} t ON t.model_id = m.id AND t.version = k.value ->> 1`,
      ).all(wanted) as { name: string; version: number; key: string; value: number | string }[];
    const entry = (name: string, version: number) => {
      const id = versionKeyId({ name, version: String(version) });
      let metrics = result.get(id);
      if (!metrics) result.set(id, (metrics = blank()));
      return metrics;
    };
    const readMetrics = wants(shape, 'metrics');
    const readParams = wants(shape, 'params');
    const blank = (): VersionMetrics => ({ metrics: readMetrics ? emptyRecord() : UNREAD.metrics, params: readParams ? emptyRecord() : UNREAD.params });
    if (readMetrics) for (const row of read('metrics')) entry(row.name, row.version).metrics[row.key] = row.value as number;
    if (readParams) for (const row of read('params')) entry(row.name, row.version).params[row.key] = row.value as string;
    const none = readMetrics && readParams ? EMPTY_METRICS : blank();
    for (const key of keys) if (!result.has(versionKeyId(key))) result.set(versionKeyId(key), none);
    return result;
  }

  // ---- internals ------------------------------------------------------------

  private sql(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) this.statements.set(source, (statement = this.db.prepare(source)));
    return statement;
  }

  private findModel(name: string): ModelRow | undefined {
    return this.sql('SELECT id, name, description, created_at, updated_at FROM models WHERE name = ?').get(name) as
      | ModelRow
      | undefined;
  }

  private requireModel(name: string): ModelRow {
    const row = this.findModel(name);
    if (!row) throw modelNotFound(name);
    return row;
  }

  private requireVersionRow(key: VersionKey): { modelId: number; version: number } {
    const model = this.requireModel(key.name);
    const version = Number(key.version);
    const row = this.sql('SELECT 1 FROM versions WHERE model_id = ? AND version = ?').get(model.id, version);
    if (!row) throw versionNotFound(key);
    return { modelId: model.id, version };
  }

  private async requireVersion(key: VersionKey): Promise<ModelVersion> {
    const [version] = await this.getVersions([key]);
    if (!version) throw versionNotFound(key);
    return version;
  }

  private hydrateModels(rows: readonly ModelRow[], shape?: ReadShape): Model[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.id));
    const readTags = wants(shape, 'tags');
    const readAliases = wants(shape, 'aliases');
    const tags = !readTags ? new Map<string, Record<string, string>>() : groupTags(
      this.sql('SELECT model_id AS owner, key, value FROM model_tags WHERE model_id IN (SELECT value FROM json_each(?))').all(
        ids,
      ) as KeyValueRow[],
    );
    const aliases = new Map<number, Alias[]>();
    const aliasRows = !readAliases ? [] : (this.sql(
      'SELECT model_id, alias, version FROM aliases WHERE model_id IN (SELECT value FROM json_each(?)) ORDER BY alias',
    ).all(ids) as { model_id: number; alias: string; version: number }[]);
    for (const row of aliasRows) {
      const list = aliases.get(row.model_id) ?? [];
      list.push({ alias: row.alias, version: String(row.version) });
      aliases.set(row.model_id, list);
    }
    return rows.map((row) =>
      toModel(
        this.id,
        row,
        readTags ? (tags.get(String(row.id)) ?? emptyRecord()) : UNREAD.tags,
        readAliases ? (aliases.get(row.id) ?? []) : UNREAD.modelAliases,
      ),
    );
  }

  private hydrateVersions(rows: readonly VersionRow[], shape?: ReadShape): ModelVersion[] {
    if (rows.length === 0) return [];
    const pairs = JSON.stringify(rows.map((r) => [r.model_id, r.version]));
    const readTags = wants(shape, 'tags');
    const readAliases = wants(shape, 'aliases');
    const tags = !readTags ? new Map<string, Record<string, string>>() : groupTags(
      this.sql(
        `SELECT t.model_id || '/' || t.version AS owner, t.key, t.value FROM json_each(?) k
         JOIN version_tags t ON t.model_id = k.value ->> 0 AND t.version = k.value ->> 1`,
      ).all(pairs) as KeyValueRow[],
    );
    const aliases = new Map<string, string[]>();
    const aliasRows = !readAliases ? [] : (this.sql(
      `SELECT a.model_id || '/' || a.version AS owner, a.alias FROM json_each(?) k
       JOIN aliases a ON a.model_id = k.value ->> 0 AND a.version = k.value ->> 1 ORDER BY a.alias`,
    ).all(pairs) as { owner: string; alias: string }[]);
    for (const row of aliasRows) {
      const list = aliases.get(row.owner) ?? [];
      list.push(row.alias);
      aliases.set(row.owner, list);
    }
    return rows.map((row) => {
      const owner = versionOwner(row.model_id, row.version);
      return toVersion(
        this.id,
        row,
        readTags ? (tags.get(owner) ?? emptyRecord()) : UNREAD.tags,
        readAliases ? (aliases.get(owner) ?? []) : UNREAD.versionAliases,
      );
    });
  }

  private writeModelTags(modelId: number, tags: Record<string, string>): void {
    const upsert = this.sql(
      'INSERT INTO model_tags (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value',
    );
    for (const [key, value] of Object.entries(tags)) upsert.run(modelId, key, value);
  }

  private writeVersionValues(
    table: 'version_tags' | 'metrics' | 'params',
    modelId: number,
    version: number,
    values: Record<string, string | number>,
  ): void {
    const upsert = this.sql(
      `INSERT INTO ${table} (model_id, version, key, value) VALUES (?, ?, ?, ?)
       ON CONFLICT (model_id, version, key) DO UPDATE SET value = excluded.value`,
    );
    for (const [key, value] of Object.entries(values)) upsert.run(modelId, version, key, value);
  }
}

/** The smallest string above every string that starts with `prefix`, or null if none exists. */
function prefixUpperBound(prefix: string): string | null {
  const points = Array.from(prefix);
  const last = points.pop()!.codePointAt(0)!;
  if (last >= 0x10ffff) return null;
  // Skip the surrogate block: it has no UTF-8 encoding.
  const next = last === 0xd7ff ? 0xe000 : last + 1;
  return points.join('') + String.fromCodePoint(next);
}
