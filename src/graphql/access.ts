import { ErrorCode, RegistryError, Stage } from '../core/index.ts';
import { globMatches } from '../workflows/policy.ts';

/** What a caller may do; each role's actions are listed in ROLE_ACTIONS. */
export enum Role {
  VIEWER = 'viewer',
  EDITOR = 'editor',
  APPROVER = 'approver',
  ADMIN = 'admin',
}

export type Action =
  | 'read'
  | 'edit' // register, tags, descriptions, aliases
  | 'promote:staging'
  | 'promote:production'
  | 'approve'
  | 'rollback'
  | 'admin'; // transitionStage, rename, delete

const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  [Role.VIEWER]: ['read'],
  [Role.EDITOR]: ['read', 'edit', 'promote:staging'],
  [Role.APPROVER]: ['read', 'approve', 'promote:production', 'rollback'],
  [Role.ADMIN]: ['read', 'edit', 'promote:staging', 'promote:production', 'approve', 'rollback', 'admin'],
};

/** A role on some registries and model names (globs; `*` for all). */
export interface Grant {
  role: Role;
  registries: string[];
  models: string[];
}

export interface Principal {
  id: string;
  /** How it proved who it is. */
  via: 'api-key' | 'jwt' | 'anonymous';
  grants: Grant[];
}

/** With no authentication configured, the (loopback-only) caller is an administrator. */
export const LOCAL_ADMIN: Principal = { id: 'anonymous', via: 'anonymous', grants: [{ role: Role.ADMIN, registries: ['*'], models: ['*'] }] };

export const promoteAction = (stage: Stage): Action =>
  stage === Stage.PRODUCTION || stage === Stage.ARCHIVED ? 'promote:production' : 'promote:staging';

/** Whether a grant covers the action here; `model` null asks about the registry as a whole (any model). */
export function can(principal: Principal, action: Action, registry: string, model: string | null): boolean {
  return principal.grants.some(
    (grant) =>
      ROLE_ACTIONS[grant.role].includes(action) &&
      grant.registries.some((glob) => globMatches(glob, registry)) &&
      (model === null || grant.models.some((glob) => globMatches(glob, model))),
  );
}

export function authorize(principal: Principal, action: Action, registry: string, model: string | null): void {
  if (!can(principal, action, registry, model)) {
    throw new RegistryError(
      ErrorCode.FORBIDDEN,
      `${principal.id} may not ${action} on ${registry}${model === null ? '' : `/${model}`}`,
      { details: { action, registry, model } },
    );
  }
}

/** Parses "role", "role:registryGlob" or "role:registryGlob:modelGlob" (the JWT claim form). */
export function parseGrant(text: string): Grant | null {
  const [role, registries = '*', models = '*'] = text.split(':');
  if (!(Object.values(Role) as string[]).includes(role ?? '')) return null;
  return { role: role as Role, registries: [registries], models: [models] };
}
