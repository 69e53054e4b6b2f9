import { Stage, type RegistryAdapter, type RegistrySet } from '../core/index.ts';
import { ApprovalStatus, type ApprovalRequest, type GatewayStore, type OpenIntent, type ProductionRecord } from '../store/index.ts';
import { lockKey, type CommandObserver } from './command.ts';
import { reviveDates } from './idempotency.ts';
import { versionsInStage } from './transition.ts';
import { findCopy } from './copy-find.ts';

/** What a command set out to do, written before its first backend write. */
export type IntentPlan =
  | {
      kind: 'stage';
      version: string;
      stage: Stage;
      /** Other versions in the stage go to ARCHIVED. */
      archive: boolean;
      /** Tags the command sets on the version once it moved. */
      tags?: Record<string, string>;
      removeTags?: string[];
      /** The decided approval request, saved once the move happened. */
      approval?: ApprovalRequest;
    }
  | {
      kind: 'register';
      /** The highest version before; this call's version is newer. */
      after: string | null;
      /** The source it registers, to tell its version from others created since. */
      source?: string | null;
    }
  | {
      kind: 'copy';
      /** The origin tag the copy is created with, in one backend call: its presence says the copy exists. */
      marker: { key: string; value: string };
    }
  | { kind: 'observe'; version?: string | null };

export interface ReconcileOptions {
  /** How long an intent of a live process is left alone (a write that outlived its deadline may still land). */
  graceMs: number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/**
 * Closes intents whose outcome was never recorded (a crash, a timeout) by reading the backend:
 * a RECONCILED event says what actually happened, and a move that did happen is completed
 * (archiving, tags, production history, the approval) so the record matches the backend.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private observer: Pick<CommandObserver, 'after'> | null = null;

  constructor(
    private readonly registries: RegistrySet,
    private readonly store: GatewayStore,
    private readonly options: ReconcileOptions,
  ) {}

  /** Reconciles every open intent that nobody is working on; returns how many it closed. */
  async sweep(): Promise<number> {
    let closed = 0;
    for (const intent of await this.store.openIntents()) {
      const age = Date.now() - intent.openedAt.getTime();
      if (age < this.options.graceMs && (await this.store.ownerAlive(intent.owner))) continue;
      try {
        if (await this.reconcile(intent)) closed++;
      } catch (error) {
        this.options.log?.warn({ err: error, intent: intent.seq }, 'could not reconcile an open intent yet; will retry');
      }
    }
    return closed;
  }

  /** Told after each intent it settles, as after a command (the backend watcher takes its snapshot). */
  notify(observer: Pick<CommandObserver, 'after'>): void {
    this.observer = observer;
  }

  /** Sweeps now and then every `intervalMs`. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch(() => undefined)
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** No further sweeps; resolves once a sweep under way has finished, so the store can close under it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Under the model's lock, if the intent is still open. */
  async reconcile(intent: OpenIntent): Promise<boolean> {
    return this.store.withLock(lockKey(intent.registry, intent.model), async () => {
      const open = (await this.store.openIntents()).some((i) => i.id === intent.id);
      if (open) await this.reconcileLocked(intent);
      return open;
    });
  }

  /** The caller holds the model's lock. */
  async reconcileLocked(intent: OpenIntent): Promise<void> {
    const registry = this.registries.get(intent.registry);
    const plan = intent.plan as IntentPlan;
    const found = await this.observe(registry, intent, plan);
    await this.store.recordOutcome({
      event: {
        principal: 'modelgate',
        action: 'reconcile',
        registry: intent.registry,
        model: intent.model,
        version: intent.version,
        before: { intent: intent.seq, action: intent.action, by: intent.principal },
        after: found.after,
        result: 'RECONCILED',
        detail: found.detail,
      },
      closes: intent.id,
      production: found.production,
    });
    await this.observer?.after(registry, intent.model);
    this.options.log?.info({ intent: intent.seq, action: intent.action, outcome: (found.after as { outcome: string }).outcome }, 'reconciled an open intent');
  }

  private async observe(registry: RegistryAdapter, intent: OpenIntent, plan: IntentPlan): Promise<{ after: unknown; detail: string; production: Omit<ProductionRecord, 'at'> | null }> {
    if (plan.kind === 'stage') return this.completeMove(registry, intent, plan);
    if (plan.kind === 'register') {
      const page = await registry.listVersions(intent.model, {}, { first: 200 });
      const accounted = await this.accountedFor(intent);
      const created = page.items
        .filter((v) => Number(v.version) > Number(plan.after ?? 0) && !accounted.has(v.version) && (plan.source == null || v.source === plan.source))
        .map((v) => v.version);
      return {
        after: { outcome: created.length ? 'APPLIED' : 'NOT_APPLIED', created },
        detail: created.length ? `versions created: ${created.join(', ')}` : 'no version was created',
        production: null,
      };
    }
    if (plan.kind === 'copy') {
      const found = await findCopy(registry, intent.model, plan.marker, null);
      return {
        after: { outcome: found ? 'APPLIED' : 'NOT_APPLIED', created: found ? [found.version] : [] },
        detail: found ? `copy created as version ${found.version}` : 'no copy was created',
        production: null,
      };
    }
    const version = plan.version ?? intent.version;
    if (version) {
      const [read] = await registry.getVersions([{ name: intent.model, version }]);
      return { after: { outcome: 'OBSERVED', exists: Boolean(read), stage: read?.stage ?? null, tags: read?.tags ?? null, aliases: read?.aliases ?? null }, detail: 'state read back', production: null };
    }
    const model = await registry.getModel(intent.model);
    return { after: { outcome: 'OBSERVED', exists: Boolean(model), tags: model?.tags ?? null, aliases: model?.aliases ?? null }, detail: 'state read back', production: null };
  }

  /** Versions of the model that other registrations recorded as theirs since the intent opened (another process, a reconciliation). */
  private async accountedFor(intent: OpenIntent): Promise<Set<string>> {
    const since = await this.store.listAudit({ registry: intent.registry, model: intent.model, after: intent.seq, limit: 10_000 });
    const versions = new Set<string>();
    for (const event of since) {
      const after = event.after as { version?: string; created?: string[] } | null;
      if ((event.action === 'registerVersion' || event.action === 'copyVersion') && event.result === 'OK' && after?.version) versions.add(after.version);
      if (event.action === 'reconcile') for (const version of after?.created ?? []) versions.add(version);
    }
    return versions;
  }

  /** The move happened when the version is in the stage now: finish what the command would have done after it. */
  private async completeMove(registry: RegistryAdapter, intent: OpenIntent, plan: Extract<IntentPlan, { kind: 'stage' }>) {
    const [version] = await registry.getVersions([{ name: intent.model, version: plan.version }]);
    if (!version || version.stage !== plan.stage) {
      return { after: { outcome: 'NOT_APPLIED', stage: version?.stage ?? null }, detail: `version ${plan.version} is not in ${plan.stage}`, production: null };
    }
    const repaired: string[] = [];
    if (plan.archive) {
      for (const holder of await versionsInStage(registry, intent.model, plan.stage)) {
        if (holder.version === plan.version) continue;
        await registry.setStage(holder, Stage.ARCHIVED);
        repaired.push(`archived ${holder.version}`);
      }
    }
    const missing = Object.entries(plan.tags ?? {}).filter(([key, value]) => !Object.hasOwn(version.tags, key) || version.tags[key] !== value);
    const stale = (plan.removeTags ?? []).filter((key) => Object.hasOwn(version.tags, key));
    if (missing.length || stale.length) {
      await registry.setTags(version, Object.fromEntries(missing), stale);
      repaired.push('tags');
    }
    if (plan.approval && (await this.store.saveApproval(reviveDates(plan.approval) as ApprovalRequest, ApprovalStatus.PENDING))) repaired.push('approval decided');
    let production: Omit<ProductionRecord, 'at'> | null = null;
    if (plan.stage === Stage.PRODUCTION) {
      const [last] = await this.store.productionHistory(intent.registry, intent.model);
      if (last?.version !== plan.version) {
        production = { registry: intent.registry, model: intent.model, version: plan.version, by: intent.principal };
        repaired.push('production history');
      }
    }
    return { after: { outcome: 'APPLIED', stage: plan.stage, repaired }, detail: `version ${plan.version} is in ${plan.stage}${repaired.length ? `; completed: ${repaired.join(', ')}` : ''}`, production };
  }
}
