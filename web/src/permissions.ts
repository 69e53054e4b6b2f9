import { ViewerDocument } from './api.ts';
import { useQuery } from './hooks.ts';

export type Permission = { allowed: boolean; reason: string | null };

/** What the caller may do on one model (any model when name is null), as the gateway answers it. */
export function usePermissions(registry: string | null, name: string | null): Record<string, Permission | undefined> {
  const { data } = useQuery(ViewerDocument, { registry, name });
  return Object.fromEntries((data?.viewer.permissions ?? []).map((p) => [p.action, { allowed: p.allowed, reason: p.reason ?? null }]));
}
