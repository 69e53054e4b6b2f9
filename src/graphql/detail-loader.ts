import DataLoader from 'dataloader';
import { isUnread, type Detail } from '../core/index.ts';

/**
 * A DataLoader whose reads carry only the details someone asked for. Each load names the
 * details it needs; one batch reads the union of what its keys need, and a cached value that
 * lacks a detail (UNREAD) is read again with it. So a query pays for what it selects.
 */
export class DetailLoader<K, V extends object> {
  private readonly wanted = new Map<string, Set<Detail>>();
  private readonly loader: DataLoader<K, V | null, string>;

  constructor(
    read: (keys: readonly K[], shape: readonly Detail[]) => Promise<(V | null | Error)[]>,
    private readonly id: (key: K) => string,
    /** Where each detail lives on a value, to tell a read that included it from one that did not. */
    private readonly detailOf: (value: V, detail: Detail) => unknown,
  ) {
    this.loader = new DataLoader(
      (keys) => {
        const shape = new Set<Detail>();
        for (const key of keys) for (const detail of this.wanted.get(id(key)) ?? []) shape.add(detail);
        return read(keys, [...shape]);
      },
      { cacheKeyFn: id },
    );
  }

  async load(key: K, details: readonly Detail[] = []): Promise<V | null> {
    this.want(key, details);
    const value = await this.loader.load(key);
    if (!value || !details.some((detail) => isUnread(this.detailOf(value, detail)))) return value;
    // Read earlier without this detail: read again, with everything wanted so far.
    this.loader.clear(key);
    return this.loader.load(key);
  }

  loadMany(keys: readonly K[], details: readonly Detail[] = []): Promise<(V | null)[]> {
    return Promise.all(keys.map((key) => this.load(key, details)));
  }

  /** Seeds the cache with what a list read returned (unless cached already); a later load asking for more reads again. */
  prime(key: K, value: V): void {
    this.loader.prime(key, value);
  }

  clearAll(): void {
    this.loader.clearAll();
    this.wanted.clear();
  }

  private want(key: K, details: readonly Detail[]): void {
    if (details.length === 0) return;
    const id = this.id(key);
    let set = this.wanted.get(id);
    if (!set) this.wanted.set(id, (set = new Set()));
    for (const detail of details) set.add(detail);
  }
}
