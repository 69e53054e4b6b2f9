import type { Logger } from 'pino';
import { Stage, VersionOrder, endCursor, type RegistryAdapter, type RegistrySet } from '../core/index.ts';
import type { GatewayStore, Leadership } from '../store/index.ts';
import { lockKey, unsettledIntent, type CommandObserver, type CommandRunner } from '../workflows/command.ts';
import { globMatches } from '../workflows/policy.ts';
import { EXTERNAL_CHANGE_ACTION } from './event.ts';

export interface WatchOptions {
  intervalSeconds: number;
  models: string[];
  registries?: string[] | undefined;
}

/** What the watcher last saw of one model: each version's stage and which version holds each alias. */
interface Snapshot {
  stages: Record<string, Stage>;
  aliases: Record<string, string>;
}

/** One change found in a backend. */
export type ExternalChange =
  | { kind: 'VERSION_REGISTERED'; version: string; stage: Stage }
  | { kind: 'VERSION_DELETED'; version: string; stage: Stage }
  | { kind: 'STAGE_CHANGED'; version: string; from: Stage; to: Stage }
  | { kind: 'ALIAS_CHANGED'; alias: string; from: string | null; to: string | null };

/** Who the audit log names for a change nobody made through modelgate. */
export const EXTERNAL_PRINCIPAL = 'external';

const snapshotKey = (registry: string, model: string) => `watch:${registry}:${model}`;
const PAGE = 200;

/** The changes from one snapshot to the next, versions in number order. */
export function diffSnapshots(before: Snapshot, after: Snapshot): ExternalChange[] {
  const changes: ExternalChange[] = [];
  const versions = [...new Set([...Object.keys(before.stages), ...Object.keys(after.stages)])].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  for (const version of versions) {
    const from = before.stages[version];
    const to = after.stages[version];
    if (from === undefined && to !== undefined) changes.push({ kind: 'VERSION_REGISTERED', version, stage: to });
    else if (from !== undefined && to === undefined) changes.push({ kind: 'VERSION_DELETED', version, stage: from });
    else if (from !== to) changes.push({ kind: 'STAGE_CHANGED', version, from: from!, to: to! });
  }
  for (const alias of [...new Set([...Object.keys(before.aliases), ...Object.keys(after.aliases)])].sort()) {
    const from = before.aliases[alias] ?? null;
    const to = after.aliases[alias] ?? null;
    if (from !== to) changes.push({ kind: 'ALIAS_CHANGED', alias, from, to });
  }
  return changes;
}

/**
 * Polls the watched models of each registry and records what changed behind the gateway's back
 * (the MLflow UI, the SageMaker console) as EXTERNAL_CHANGE audit events; a version that entered
 * PRODUCTION this way joins the production history, so rollback knows it. Each registry has one
 * watcher across gateway processes (an advisory lock on PostgreSQL). Commands through the gateway
 * look first (changes made before them are reported) and then take a fresh snapshot under the
 * model's lock, so the gateway's own changes are never reported as external.
 */
export class BackendWatcher implements CommandObserver {
  private readonly leases = new Map<string, Leadership>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly registries: RegistrySet,
    private readonly store: GatewayStore,
    commands: CommandRunner,
    private readonly options: WatchOptions,
    private readonly log: Logger,
  ) {
    commands.observe(this);
  }

  start(): void {
    const tick = () => {
      this.timer = setTimeout(() => {
        this.running = this.poll().finally(() => {
          this.running = null;
          if (!this.stopped) tick();
        });
      }, this.options.intervalSeconds * 1000);
    };
    this.running = this.poll().finally(() => {
      this.running = null;
      if (!this.stopped) tick();
    });
  }

  private watchesRegistry(id: string): boolean {
    return !this.options.registries || this.options.registries.includes(id);
  }

  private watchesModel(name: string): boolean {
    return this.options.models.some((glob) => globMatches(glob, name));
  }

  /** One pass over every watched registry this process leads. */
  async poll(): Promise<void> {
    for (const registry of this.registries.list()) {
      if (this.stopped || !this.watchesRegistry(registry.id)) continue;
      try {
        let lease = this.leases.get(registry.id);
        if (!lease?.held) {
          await lease?.release();
          lease = (await this.store.tryLead(`watch:${registry.id}`)) ?? undefined;
          if (!lease) continue;
          this.leases.set(registry.id, lease);
        }
        for (const model of await this.watchedModels(registry)) {
          if (this.stopped) break;
          await this.store.withLock(lockKey(registry.id, model), () => this.look(registry, model));
        }
      } catch (error) {
        this.log.warn({ err: error, registry: registry.id }, 'watching the registry failed; trying again next interval');
      }
    }
  }

  /** Names without glob characters are watched as given; globs are matched against the registry's models. */
  private async watchedModels(registry: RegistryAdapter): Promise<string[]> {
    const exact = this.options.models.filter((m) => !/[*?]/.test(m));
    if (exact.length === this.options.models.length) return exact;
    const names = new Set(exact);
    let after: string | null = null;
    do {
      const page = await registry.listModels({}, { first: PAGE, after });
      for (const model of page.items) if (this.watchesModel(model.name)) names.add(model.name);
      after = page.hasNextPage ? endCursor(page) : null;
    } while (after);
    return [...names];
  }

  /** Compares the model with its snapshot, records every change, keeps the new snapshot; the caller holds the model's lock. */
  async look(registry: RegistryAdapter, model: string): Promise<void> {
    // A change the gateway made and has not settled (a killed process, a write past its deadline) is not external: the sweep records it, then snapshots.
    if (await unsettledIntent(this.store, registry.id, model)) return;
    const now = await this.read(registry, model);
    const key = snapshotKey(registry.id, model);
    const stored = await this.store.getState(key);
    if (stored !== null) {
      for (const change of diffSnapshots(JSON.parse(stored) as Snapshot, now)) await this.record(registry.id, model, change);
    }
    if (stored === null || stored !== JSON.stringify(now)) await this.store.putState(key, JSON.stringify(now));
  }

  private async record(registry: string, model: string, change: ExternalChange): Promise<void> {
    const version = change.kind === 'ALIAS_CHANGED' ? (change.to ?? change.from) : change.version;
    const [before, after] =
      change.kind === 'STAGE_CHANGED' ? [{ stage: change.from }, { stage: change.to }]
      : change.kind === 'ALIAS_CHANGED' ? [{ alias: change.alias, version: change.from }, { alias: change.alias, version: change.to }]
      : change.kind === 'VERSION_REGISTERED' ? [null, { version: change.version, stage: change.stage }]
      : [{ version: change.version, stage: change.stage }, null];
    const production = change.kind === 'STAGE_CHANGED' && change.to === Stage.PRODUCTION ? { registry, model, version: change.version, by: EXTERNAL_PRINCIPAL } : null;
    await this.store.recordOutcome({
      event: { principal: EXTERNAL_PRINCIPAL, action: EXTERNAL_CHANGE_ACTION, registry, model, version, before, after: { change: change.kind, ...after }, result: 'OK', detail: `found by the watcher: ${change.kind}` },
      production,
    });
    this.log.info({ registry, model, change }, 'change made outside modelgate');
  }

  private async read(registry: RegistryAdapter, model: string): Promise<Snapshot> {
    const snapshot: Snapshot = { stages: {}, aliases: {} };
    let after: string | null = null;
    try {
      do {
        const page = await registry.listVersions(model, { order: VersionOrder.NEWEST_FIRST }, { first: PAGE, after });
        for (const version of page.items) {
          snapshot.stages[version.version] = version.stage;
          for (const alias of version.aliases) snapshot.aliases[alias] = version.version;
        }
        after = page.hasNextPage ? endCursor(page) : null;
      } while (after);
    } catch (error) {
      // A model that does not exist (yet, or any more) has no versions.
      if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
    }
    return snapshot;
  }

  async before(registry: RegistryAdapter, model: string): Promise<void> {
    if (!this.watchesRegistry(registry.id) || !this.watchesModel(model)) return;
    await this.look(registry, model).catch((error: unknown) => this.log.warn({ err: error, registry: registry.id, model }, 'watcher could not look before a command'));
  }

  async after(registry: RegistryAdapter, model: string): Promise<void> {
    if (!this.watchesRegistry(registry.id) || !this.watchesModel(model)) return;
    // The command's own changes are the gateway's: the new state becomes the snapshot unreported.
    await this.read(registry, model)
      .then((now) => this.store.putState(snapshotKey(registry.id, model), JSON.stringify(now)))
      .catch((error: unknown) => this.log.warn({ err: error, registry: registry.id, model }, 'watcher could not take a snapshot after a command'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const lease of this.leases.values()) await lease.release();
  }
}
