import type { RegistrySet } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import { Catalog } from './catalog.ts';
import { CommandRunner } from './command.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Policy } from './policy.ts';
import { Reconciler, type ReconcileOptions } from './reconcile.ts';

/** The use cases over one set of registries and one store, sharing one command pipeline. */
export function createWorkflows(registries: RegistrySet, store: GatewayStore, policies: readonly Policy[], options: Partial<ReconcileOptions> = {}) {
  const reconciler = new Reconciler(registries, store, { graceMs: options.graceMs ?? 120_000, log: options.log });
  const commands = new CommandRunner(store, reconciler);
  return { reconciler, commands, lifecycle: new Lifecycle(registries, store, policies, commands), catalog: new Catalog(registries, commands, store) };
}
