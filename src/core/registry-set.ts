import type { RegistryAdapter } from './adapter.ts';
import { ErrorCode, RegistryError } from './errors.ts';
import type { TraceScope } from './tracing.ts';

/** A registry's adapter as one traced request uses it: each backend call a span under the request's. */
export type ScopedView = (scope: TraceScope) => RegistryAdapter;

/** The configured registries, by id; one of them answers when a call names none. */
export class RegistrySet {
  private readonly byId: Map<string, RegistryAdapter>;

  constructor(
    adapters: readonly RegistryAdapter[] | Map<string, RegistryAdapter>,
    readonly defaultId: string,
    /** With tracing on, how each registry is seen from inside a request (src/server/registries.ts). */
    private readonly views: ReadonlyMap<string, ScopedView> = new Map(),
  ) {
    this.byId = adapters instanceof Map ? adapters : new Map(adapters.map((adapter) => [adapter.id, adapter]));
    if (!this.byId.has(defaultId)) throw new Error(`Default registry '${defaultId}' is not configured`);
  }

  /** The registry `id` (else the default); inside a traced request (`scope`), its view whose calls are spans under it. */
  get(id?: string | null, scope?: TraceScope): RegistryAdapter {
    const adapter = this.byId.get(id ?? this.defaultId);
    if (!adapter) {
      throw new RegistryError(ErrorCode.NOT_FOUND, `No registry '${id}'; configured: ${[...this.byId.keys()].join(', ')}`, {
        details: { argument: 'registry' },
      });
    }
    return scope ? this.viewOf(adapter, scope) : adapter;
  }

  list(scope?: TraceScope): RegistryAdapter[] {
    const all = [...this.byId.values()];
    return scope ? all.map((adapter) => this.viewOf(adapter, scope)) : all;
  }

  /** The same registries as one traced request sees them (itself when nothing is traced). */
  inScope(scope: TraceScope | undefined): RegistrySet {
    // Shares this set's map: made once per traced request, so no copy of it.
    return scope && this.views.size > 0 ? new ScopedRegistrySet(this, scope, this.byId) : this;
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((adapter) => adapter.close?.()));
  }

  /** Made when a request first uses the registry (a request uses one or two of many). */
  private viewOf(adapter: RegistryAdapter, scope: TraceScope): RegistryAdapter {
    const view = this.views.get(adapter.id);
    return view ? scope.once(adapter, () => view(scope)) : adapter;
  }
}

/** A request's view of the set: every registry it hands out is traced under the request. */
class ScopedRegistrySet extends RegistrySet {
  constructor(
    private readonly base: RegistrySet,
    private readonly scope: TraceScope,
    byId: Map<string, RegistryAdapter>,
  ) {
    super(byId, base.defaultId);
  }

  override get(id?: string | null): RegistryAdapter {
    return this.base.get(id, this.scope);
  }

  override list(): RegistryAdapter[] {
    return this.base.list(this.scope);
  }

  override inScope(): RegistrySet {
    return this;
  }

  override async close(): Promise<void> {
    // The views share the base set's adapters; closing them is the base set's job.
  }
}
