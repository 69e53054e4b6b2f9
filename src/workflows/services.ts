import type { RegistrySet } from '../core/index.ts';
import type { GatewayStore } from '../store/index.ts';
import { Catalog } from './catalog.ts';
import { CommandRunner } from './command.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Policy } from './policy.ts';
import { Copies } from './copy.ts';
import type { ArtifactLocation } from './copy-plan.ts';
import { Migrations } from './migrate.ts';
import { Reconciler, type ReconcileOptions } from './reconcile.ts';

/** The use cases over one set of registries and one store, sharing one command pipeline. */
export function createWorkflows(
  registries: RegistrySet,
  store: GatewayStore,
  policies: readonly Policy[],
  options: Partial<ReconcileOptions> & { artifactLocations?: readonly ArtifactLocation[] } = {},
) {
  const reconciler = new Reconciler(registries, store, { graceMs: options.graceMs ?? 120_000, log: options.log });
  const commands = new CommandRunner(store, reconciler);
  const lifecycle = new Lifecycle(registries, store, policies, commands);
  const copies = new Copies(registries, commands, lifecycle, options.artifactLocations ?? []);
  const migrations = new Migrations(registries, store, commands, copies, options.log);
  return { reconciler, commands, lifecycle, catalog: new Catalog(registries, commands, store), copies, migrations };
}
