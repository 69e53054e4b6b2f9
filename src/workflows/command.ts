import { ErrorCode, RegistryError, clip, describeFlaw, isRegistryError, unstorableText, type RegistryAdapter, type TraceScope } from '../core/index.ts';
import type { GatewayStore, NewAuditEvent, OpenIntent, ProductionRecord } from '../store/index.ts';
import { argumentsHash, checkIdempotencyKey, idempotencyScope } from './idempotency.ts';
import type { IntentPlan, Reconciler } from './reconcile.ts';
import { tracedStore } from './traced-store.ts';

/** What a caller may be allowed to do. */
export type Permission =
  | 'read'
  | 'edit' // register, tags, descriptions, aliases
  | 'promote:staging'
  | 'promote:production'
  | 'approve'
  | 'rollback'
  | 'admin'; // transitionStage, rename, delete

/** Who runs a command; the edge (GraphQL, tests) supplies it. */
export interface Caller {
  principal: string;
  /** Throws (FORBIDDEN, or NOT_FOUND where the target is out of the caller's sight) unless allowed. */
  authorize(permission: Permission, registry: string, model: string | null, options?: { creates?: boolean }): void;
  /** Whether the target is in the caller's sight at all; what is out of sight answers like a missing thing. */
  sees?(registry: string, model: string): boolean;
  /** Forgets what this caller has cached about a registry, once it changed. */
  changed?(registry: string): void;
  /** The caller's request trace (tracing on): commands, their store work and backend calls become spans under it. */
  trace?: TraceScope;
}

/** The steps a command's own work can take inside the pipeline. */
export interface CommandStep {
  /** Appends the write-ahead intent; call right before the first backend write. */
  intend(plan: IntentPlan): Promise<void>;
  /** The state the change starts from, recorded as the outcome's `before`. */
  before(value: unknown): void;
  /** A version entered PRODUCTION: history is written with the outcome, in one transaction. */
  enteredProduction(version: string): void;
  /** Free text for the outcome event (a comment, a reason). */
  detail(text: string | null): void;
  /** Who runs the command, for what the work itself records (`promoted_by`). */
  readonly principal: string;
}

export interface Command<T> {
  /** The audit action, e.g. `promote`. */
  action: string;
  /** null for gateway-wide commands (an audit checkpoint), recorded as registry `*`. */
  registry: RegistryAdapter | null;
  model: string | null;
  version?: string | null;
  /** Permissions needed, each on `model` unless it names another; `creates` when the call may create that model. */
  permissions: (Permission | { permission: Permission; model?: string; creates?: boolean })[];
  /** The arguments as given: recorded on refusals, hashed for idempotency. */
  input: Record<string, unknown>;
  /** Checks before anything is read or written; a failure is INVALID_INPUT and audited. */
  validate?(): void;
  idempotencyKey?: string | null;
  run(step: CommandStep): Promise<T>;
  /** What the outcome records as `after` (default: the input). */
  after?(result: T): unknown;
  /** The outcome's result word (default OK). */
  result?(result: T): string;
  /** How a result stored for an idempotent replay (JSON) becomes a result again. */
  revive?(stored: unknown): T;
  /** Refused while the model has an unsettled change (see refuseWhileUnsettled); checked after an idempotent replay, before `run`. */
  waitsForSettled?: boolean;
}

/** The model's change whose outcome is not settled yet (a write past its deadline, a process that died mid-command), if any. */
export async function unsettledIntent(store: GatewayStore, registry: string, model: string): Promise<OpenIntent | undefined> {
  return (await store.openIntents()).find((intent) => intent.registry === registry && intent.model === model);
}

/**
 * The sweep finds an unsettled change by the model's name and completes what its command set out to
 * do, over whatever came since: renaming or deleting the model, deciding one of its approval
 * requests or moving any of its versions before then would make that record wrong. The caller holds
 * the model's lock.
 */
export async function refuseWhileUnsettled(store: GatewayStore, registry: string, model: string): Promise<void> {
  const open = await unsettledIntent(store, registry, model);
  if (open) {
    throw new RegistryError(ErrorCode.CONFLICT, `Model '${model}' has a change whose outcome is not settled yet (audit event ${open.seq}); it is reconciled shortly, try again then`, {
      details: { intent: open.seq },
    });
  }
}

/** Sees a model before and after each command on it, under the model's lock (the backend watcher); never fails the command. */
export interface CommandObserver {
  before(registry: RegistryAdapter, model: string): Promise<void>;
  after(registry: RegistryAdapter, model: string): Promise<void>;
}

/** The same pipeline for every mutation: authorize, validate, lock, idempotency, intent, act, outcome, invalidate. */
export class CommandRunner {
  private observer: CommandObserver | null = null;

  constructor(
    private readonly store: GatewayStore,
    private readonly reconciler: Reconciler,
  ) {}

  observe(observer: CommandObserver): void {
    this.observer = observer;
    // A settled intent changes the record as a command does: the observer hears of it the same way.
    this.reconciler.notify(observer);
  }

  run<T>(caller: Caller, command: Command<T>): Promise<T> {
    const scope = caller.trace;
    if (!scope) return this.pipeline(caller, command, this.store);
    const attributes = { 'modelgate.action': command.action, 'modelgate.registry.id': command.registry?.id ?? '*', 'modelgate.model': clip(command.model ?? ''), 'modelgate.principal': clip(caller.principal) };
    return scope.within(`workflow ${command.action}`, attributes, async (span) => {
      const result = await this.pipeline(caller, command, tracedStore(this.store, scope));
      span.setAttribute('modelgate.result', command.result?.(result) ?? 'OK');
      return result;
    });
  }

  private async pipeline<T>(caller: Caller, command: Command<T>, store: GatewayStore): Promise<T> {
    const registry = command.registry?.id ?? '*';
    const base = { principal: caller.principal, action: command.action, registry, model: command.model, version: command.version ?? null };
    try {
      for (const need of command.permissions) {
        const { permission, model = command.model, creates } = typeof need === 'string' ? { permission: need } : need;
        caller.authorize(permission, registry, model, { creates });
      }
      if (command.idempotencyKey != null) checkIdempotencyKey(command.idempotencyKey);
      // What cannot be stored exactly is refused before anything moves (the GraphQL edge checks too; other callers may not).
      const flawed = unstorableText(command.input, 'input');
      if (flawed) throw new RegistryError(ErrorCode.INVALID_INPUT, `Argument ${flawed.path} ${describeFlaw(flawed.flaw)}`, { details: { argument: flawed.path, reason: flawed.flaw } });
      command.validate?.();
    } catch (error) {
      await this.refused(store, base, command.input, error);
      throw error;
    }
    const observer = this.observer;
    const adapter = command.registry;
    const model = command.model;
    const work =
      observer && adapter && model !== null
        ? async () => {
            await observer.before(adapter, model);
            try {
              return await this.execute(caller, command, base, store);
            } finally {
              await observer.after(adapter, model);
            }
          }
        : () => this.execute(caller, command, base, store);
    try {
      // Commands on one model run one at a time; gateway-wide ones (no model) need no lock.
      return command.model !== null ? await store.withLock(lockKey(registry, command.model), work) : await work();
    } finally {
      if (command.registry) caller.changed?.(registry);
    }
  }

  private async execute<T>(caller: Caller, command: Command<T>, base: Omit<NewAuditEvent, 'before' | 'after' | 'result' | 'detail'>, store: GatewayStore): Promise<T> {
    const key = command.idempotencyKey;
    const once = key == null ? null : { scope: idempotencyScope(base.registry!, base.model, command.action, caller.principal, key), argsHash: argumentsHash(command.input) };
    if (once) {
      const stored = await store.getIdempotent(once.scope);
      if (stored && stored.argsHash !== once.argsHash) {
        const error = new RegistryError(ErrorCode.CONFLICT, `idempotencyKey '${key}' was first used with other arguments; use a new key for a new call`, {
          details: { argument: 'idempotencyKey' },
        });
        await this.refused(store, base, command.input, error);
        throw error;
      }
      if (stored) {
        await store.recordOutcome({ event: { ...base, before: null, after: { idempotencyKey: key }, result: 'REPLAYED', detail: null } });
        return command.revive ? command.revive(stored.value) : (stored.value as T);
      }
    }
    let intent: OpenIntent | null = null;
    let before: unknown = null;
    let detail: string | null = null;
    let production: Omit<ProductionRecord, 'at'> | null = null;
    const step: CommandStep = {
      principal: caller.principal,
      intend: async (plan) => {
        if (intent) return;
        intent = await store.openIntent({ ...base, before, after: plan, result: 'INTENT', detail: null }, plan);
      },
      before: (value) => (before = value),
      enteredProduction: (version) => (production = { registry: base.registry!, model: base.model!, version, by: caller.principal }),
      detail: (text) => (detail = text?.toWellFormed() ?? null),
    };
    try {
      if (command.waitsForSettled && base.model !== null) await refuseWhileUnsettled(store, base.registry!, base.model!);
      const result = await command.run(step);
      await store.recordOutcome({
        event: { ...base, before, after: command.after ? command.after(result) : command.input, result: command.result?.(result) ?? 'OK', detail },
        closes: (intent as OpenIntent | null)?.id ?? null,
        production,
        idempotency: once ? { ...once, value: result } : null,
      });
      return result;
    } catch (error) {
      const opened = intent as OpenIntent | null;
      const unknown = isRegistryError(error) && error.outcome === 'UNKNOWN';
      // The adapter refused before sending anything: the refusal settles the intent, there is nothing to read back.
      const untouched = isRegistryError(error) && error.outcome === 'NONE';
      await store.recordOutcome({
        event: { ...base, before, after: unknown ? { outcome: 'UNKNOWN' } : errorState(error, command.input), result: codeOf(error), detail: messageOf(error) },
        closes: untouched ? (opened?.id ?? null) : null,
      });
      // A write that failed after the intent: read what really happened now, unless the backend may still apply it later.
      if (opened && !unknown && !untouched) await this.reconciler.reconcileLocked(opened).catch(() => undefined);
      throw error;
    }
  }

  /** A refusal found before a command could be formed (an unknown approval id): audited like any other. */
  refuse(caller: Caller, target: Pick<NewAuditEvent, 'action' | 'registry' | 'model' | 'version'>, input: unknown, error: unknown): Promise<void> {
    return this.refused(caller.trace ? tracedStore(this.store, caller.trace) : this.store, { principal: caller.principal, ...target }, input, error);
  }

  /** A refusal before anything was done: one audit event, nothing else. */
  private async refused(store: GatewayStore, base: Omit<NewAuditEvent, 'before' | 'after' | 'result' | 'detail'>, input: unknown, error: unknown): Promise<void> {
    await store.appendAudit({ ...base, before: null, after: input ?? null, result: codeOf(error), detail: messageOf(error) });
  }
}

export const lockKey = (registry: string, model: string) => `model:${registry}:${model}`;

const codeOf = (error: unknown) => (isRegistryError(error) ? error.code : ErrorCode.INTERNAL);
// Backend messages can carry anything; the audit log holds only well-formed text.
const messageOf = (error: unknown) => (isRegistryError(error) ? error.message.toWellFormed() : null);
/** What a failed command leaves behind, as far as the error says (a half-done promotion reports every version's stage). */
const errorState = (error: unknown, input: unknown) => (isRegistryError(error) && error.details ? error.details : (input ?? null));
