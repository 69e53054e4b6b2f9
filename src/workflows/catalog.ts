import { ErrorCode, EXCLUSIVE_STAGES, Stage, applyCardPatch, checkWrite, alreadyExists, modelDescriptionNotMutable, modelNeedsVersion, modelNotFound, checkCard, mergeCardPatch, isRegistryError, versionNotFound, type CardPatch, type CreateVersion, type Model, type ModelVersion, type RegistrySet, type Tags } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import { supersedeAfterMove } from './approvals.ts';
import type { Caller, CommandRunner } from './command.ts';
import { registerVersion } from './register.ts';
import { reviveDates } from './idempotency.ts';
import { clearStaleProductionTags } from './production-tags.ts';
import { transitionStage, type StageTransition } from './transition.ts';
import type { SemverBump } from './semver.ts';

interface Target {
  registry?: string | null;
  name: string;
}

/** A registration as a caller asks for it: the semver and the creator are the gateway's to set. */
export interface RegisterRequest extends Target, Omit<CreateVersion, 'name' | 'createdBy' | 'semver' | 'createModel'> {
  bump?: SemverBump | null;
}

/** The registry edits (models, versions, tags, aliases, raw stage moves), each one command through the pipeline. */
export class Catalog {
  constructor(
    private readonly registries: RegistrySet,
    private readonly commands: CommandRunner,
    private readonly store: GatewayStore,
  ) {}

  createModel(caller: Caller, request: Target & { description: string | null; tags: Tags }): Promise<Model> {
    const registry = this.registries.get(request.registry, caller.trace);
    const input = { name: request.name, description: request.description, tags: request.tags };
    return this.commands.run(caller, {
      action: 'createModel', registry, model: request.name, permissions: [{ permission: 'edit', creates: true }], input,
      validate: () => checkWrite(registry, 'createModel', input),
      run: async (step) => {
        if (!registry.capabilities().modelWithoutVersions) {
          // Refused before the write-ahead intent; a taken name is still ALREADY_EXISTS, as everywhere.
          if (await registry.getModel(request.name, [])) throw alreadyExists(`Model '${request.name}' already exists`, { model: request.name });
          throw modelNeedsVersion(registry.kind);
        }
        await step.intend({ kind: 'observe' });
        return registry.createModel({ ...input, createdBy: caller.principal });
      },
    });
  }

  updateModel(caller: Caller, request: Target & { description: string | null }): Promise<Model> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'updateModel', registry, model: request.name, permissions: ['edit'], input: { description: request.description },
      validate: () => checkWrite(registry, 'updateModel', request.name, { description: request.description }),
      run: async (step) => {
        if (!registry.capabilities().modelDescriptionMutable) {
          // Read before the write-ahead intent: a change is refused with nothing written; the same description changes nothing.
          const current = await registry.getModel(request.name);
          if (!current) throw modelNotFound(request.name);
          if (current.description !== request.description) throw modelDescriptionNotMutable(registry.kind);
          return current;
        }
        await step.intend({ kind: 'observe' });
        return registry.updateModel(request.name, { description: request.description });
      },
    });
  }

  renameModel(caller: Caller, request: Target & { newName: string }): Promise<Model> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'renameModel', registry, model: request.name, permissions: ['admin', { permission: 'admin', model: request.newName, creates: true }], input: { newName: request.newName },
      validate: () => checkWrite(registry, 'renameModel', request.name, request.newName),
      waitsForSettled: true,
      run: async (step) => {
        await step.intend({ kind: 'observe' });
        return registry.renameModel(request.name, request.newName);
      },
    });
  }

  deleteModel(caller: Caller, request: Target): Promise<void> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'deleteModel', registry, model: request.name, permissions: ['admin'], input: {},
      validate: () => checkWrite(registry, 'deleteModel', request.name),
      waitsForSettled: true,
      run: async (step) => {
        await step.intend({ kind: 'observe' });
        await registry.deleteModel(request.name);
      },
    });
  }

  /** A new version (and the model on first use), with its semver assigned under the model's lock. */
  registerVersion(caller: Caller, request: RegisterRequest): Promise<ModelVersion> {
    const registry = this.registries.get(request.registry, caller.trace);
    const { registry: _registry, bump, ...fields } = request;
    const input = { ...fields, bump: bump ?? null };
    return this.commands.run(caller, {
      action: 'registerVersion', registry, model: request.name, permissions: [{ permission: 'edit', creates: true }], input,
      validate: () => checkWrite(registry, 'createVersion', { ...fields, createdBy: caller.principal }),
      run: async (step) => {
        // What exists before, so reconciliation can tell what this call created; a new model has nothing yet.
        const existing = await registry.listVersions(request.name, {}, { first: 1 }).catch((error: unknown) => {
          if (isRegistryError(error) && error.code === ErrorCode.NOT_FOUND) return { items: [] as ModelVersion[] };
          throw error;
        });
        await step.intend({ kind: 'register', after: existing.items[0]?.version ?? null, source: request.source ?? null });
        const version: CreateVersion = { ...fields, createdBy: caller.principal };
        return registerVersion(registry, version, { bump });
      },
      after: (created) => ({ version: created.version, semver: created.semver, ...input }),
    });
  }

  updateVersion(caller: Caller, request: Target & { version: string; description: string | null }): Promise<ModelVersion> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'updateVersion', registry, model: request.name, version: request.version, permissions: ['edit'], input: { description: request.description },
      validate: () => checkWrite(registry, 'updateVersion', { name: request.name, version: request.version }, { description: request.description }),
      run: async (step) => {
        await step.intend({ kind: 'observe' });
        return registry.updateVersion({ name: request.name, version: request.version }, { description: request.description });
      },
    });
  }

  /**
   * Edits a version's card: each section given replaces that section, the others stay; with
   * `merge`, each field given replaces that field (read and written under the model's lock, so
   * concurrent merges of different fields both land). Audited, idempotent with a key.
   */
  updateCard(caller: Caller, request: Target & { version: string; card: CardPatch; merge?: boolean; idempotencyKey?: string | null }): Promise<ModelVersion> {
    const registry = this.registries.get(request.registry, caller.trace);
    const key = { name: request.name, version: request.version };
    return this.commands.run(caller, {
      action: 'updateCard', registry, model: request.name, version: request.version, permissions: ['edit'],
      // merge is in the arguments only when true: a key a gateway stored before merge existed still replays.
      input: request.merge ? { card: request.card, merge: true } : { card: request.card },
      idempotencyKey: request.idempotencyKey,
      // Every section given is checked before anything is read; a registry that cannot edit cards is refused before any intent.
      validate: () => {
        checkCard(applyCardPatch(null, request.card));
        checkWrite(registry, 'updateCard', key, null);
      },
      run: async (step) => {
        const [current] = await registry.getVersions([key]);
        if (!current) throw versionNotFound(key);
        step.before({ card: current.card ?? null });
        const card = request.merge ? mergeCardPatch(current.card, request.card) : applyCardPatch(current.card, request.card);
        // A merge can outgrow the card's bounds (more than 100 dependencies) though each part was fine.
        if (request.merge) checkCard(card);
        // The card as it will be written, against this backend's bounds (SageMaker's 256-character values), before the intent.
        checkWrite(registry, 'updateCard', key, card);
        await step.intend({ kind: 'observe' });
        return registry.updateCard(key, card);
      },
      after: (updated) => ({ card: updated.card ?? null }),
      revive: (stored) => reviveDates(stored) as ModelVersion,
    });
  }

  deleteVersion(caller: Caller, request: Target & { version: string }): Promise<void> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'deleteVersion', registry, model: request.name, version: request.version, permissions: ['admin'], input: {},
      validate: () => checkWrite(registry, 'deleteVersion', { name: request.name, version: request.version }),
      run: async (step) => {
        await step.intend({ kind: 'observe' });
        await registry.deleteVersion({ name: request.name, version: request.version });
      },
    });
  }

  /** Tags on the model, or on a version when one is named; `remove` keys that are not set are ignored. */
  changeTags(caller: Caller, request: Target & { version?: string | null; set: Tags; remove: string[] }): Promise<void> {
    const registry = this.registries.get(request.registry, caller.trace);
    const version = request.version ?? null;
    return this.commands.run(caller, {
      action: request.remove.length ? 'deleteTags' : 'setTags', registry, model: request.name, version, permissions: ['edit'], input: { set: request.set, remove: request.remove },
      validate: () => checkWrite(registry, 'setTags', version === null ? { name: request.name } : { name: request.name, version }, request.set, request.remove),
      run: async (step) => {
        await step.intend({ kind: 'observe', version });
        await registry.setTags(version === null ? { name: request.name } : { name: request.name, version }, request.set, request.remove);
      },
    });
  }

  setAlias(caller: Caller, request: Target & { alias: string; version: string }): Promise<void> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'setAlias', registry, model: request.name, version: request.version, permissions: ['edit'], input: { alias: request.alias },
      validate: () => checkWrite(registry, 'setAlias', request.name, request.alias, request.version),
      run: async (step) => {
        await step.intend({ kind: 'observe' });
        await registry.setAlias(request.name, request.alias, request.version);
      },
    });
  }

  deleteAlias(caller: Caller, request: Target & { alias: string }): Promise<void> {
    const registry = this.registries.get(request.registry, caller.trace);
    return this.commands.run(caller, {
      action: 'deleteAlias', registry, model: request.name, permissions: ['edit'], input: { alias: request.alias },
      validate: () => checkWrite(registry, 'deleteAlias', request.name, request.alias),
      run: async (step) => {
        await step.intend({ kind: 'observe' });
        await registry.deleteAlias(request.name, request.alias);
      },
    });
  }

  /** A raw move without gates (administrators); entering PRODUCTION is production history like any promotion. */
  transitionStage(caller: Caller, request: Target & { version: string; stage: Stage; archiveExisting: boolean }): Promise<StageTransition> {
    const registry = this.registries.get(request.registry, caller.trace);
    const key = { name: request.name, version: request.version };
    return this.commands.run(caller, {
      action: 'transitionStage', registry, model: request.name, version: request.version, permissions: ['admin'],
      input: { stage: request.stage, archiveExisting: request.archiveExisting },
      validate: () => checkWrite(registry, 'setStage', key, request.stage, { archiveExisting: request.archiveExisting }),
      waitsForSettled: true,
      run: async (step) => {
        await step.intend({ kind: 'stage', version: request.version, stage: request.stage, archive: request.archiveExisting && EXCLUSIVE_STAGES.includes(request.stage) });
        const moved = await transitionStage(registry, key, request.stage, { archiveExisting: request.archiveExisting });
        await supersedeAfterMove(this.store, registry.id, request.name, { version: request.version, stage: request.stage }, moved.archived);
        if (request.stage !== Stage.PRODUCTION) return moved;
        await clearStaleProductionTags(registry, moved.version, moved.archived);
        step.enteredProduction(request.version);
        const [fresh] = await registry.getVersions([key]);
        return { ...moved, version: fresh ?? moved.version };
      },
      after: (moved) => ({ stage: request.stage, archived: moved.archived.map((v) => v.version) }),
    });
  }
}
