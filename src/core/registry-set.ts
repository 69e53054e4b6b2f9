import type { RegistryAdapter } from './adapter.ts';
import { ErrorCode, RegistryError } from './errors.ts';

/** The configured registries, by id; one of them answers when a call names none. */
export class RegistrySet {
  private readonly byId: Map<string, RegistryAdapter>;

  constructor(
    adapters: readonly RegistryAdapter[],
    readonly defaultId: string,
  ) {
    this.byId = new Map(adapters.map((adapter) => [adapter.id, adapter]));
    if (!this.byId.has(defaultId)) throw new Error(`Default registry '${defaultId}' is not configured`);
  }

  get(id?: string | null): RegistryAdapter {
    const adapter = this.byId.get(id ?? this.defaultId);
    if (!adapter) {
      throw new RegistryError(ErrorCode.NOT_FOUND, `No registry '${id}'; configured: ${[...this.byId.keys()].join(', ')}`, {
        details: { argument: 'registry' },
      });
    }
    return adapter;
  }

  list(): RegistryAdapter[] {
    return [...this.byId.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((adapter) => adapter.close?.()));
  }
}
