import { ErrorCode, RegistryError, modelNotFound } from '../core/index.ts';
import type { Permission } from '../workflows/command.ts';
import { globMatches } from '../workflows/policy.ts';

/** What a caller may do; each role's actions are listed in ROLE_ACTIONS. */
export enum Role {
  VIEWER = 'viewer',
  EDITOR = 'editor',
  APPROVER = 'approver',
  ADMIN = 'admin',
}

/** The actions grants speak of are the permissions the command pipeline asks for. */
export type Action = Permission;

export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
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

/** Whether a grant covers the action here; `model` null asks about the registry as a whole (any model). */
export function can(principal: Principal, action: Action, registry: string, model: string | null): boolean {
  return principal.grants.some(
    (grant) =>
      ROLE_ACTIONS[grant.role].includes(action) &&
      grant.registries.some((glob) => globMatches(glob, registry)) &&
      (model === null || grant.models.some((glob) => globMatches(glob, model))),
  );
}

/** Whether the caller's grants cover every model of the registry, so a list needs no filtering. */
export const readsWholeRegistry = (principal: Principal, registry: string): boolean =>
  principal.grants.some((grant) => grant.models.includes('*') && grant.registries.some((glob) => globMatches(glob, registry)));

/** Whether any grant covers this model at all; a model the caller cannot read is, to them, absent. */
export const readable = (principal: Principal, registry: string, model: string): boolean => can(principal, 'read', registry, model);

/** The answer for a model outside the caller's grants: word for word what the backend says for a missing one. */
export const absentModel = (registry: string, model: string): RegistryError => modelNotFound(model).withRegistry(registry);

/** The answer for an approval request outside the caller's grants, the same as for an unknown id. */
export const absentApproval = (id: string): RegistryError => new RegistryError(ErrorCode.NOT_FOUND, `No approval request ${id}`);

export interface AuthorizeOptions {
  /**
   * The call may create the model (createModel, registerVersion, a rename's new name): refused
   * as FORBIDDEN whether or not it exists, so the answer reveals nothing.
   */
  creates?: boolean;
}

/**
 * NOT_FOUND, exactly as for a missing model, when the caller cannot even read the model (out of
 * scope looks like absent); FORBIDDEN when it can read it but the action is not granted.
 */
export function authorize(principal: Principal, action: Action, registry: string, model: string | null, options: AuthorizeOptions = {}): void {
  if (model !== null && !options.creates && !readable(principal, registry, model)) throw absentModel(registry, model);
  if (!can(principal, action, registry, model)) {
    throw new RegistryError(
      ErrorCode.FORBIDDEN,
      `${principal.id} may not ${action} on ${registry}${model === null ? '' : `/${model}`}`,
      { details: { action, registry, model } },
    );
  }
}

/** An approval request acted on by id: unknown and out-of-scope ids answer alike; then the action must be granted. */
export function authorizeApproval(principal: Principal, action: Action, id: string, request: { registry: string; model: string } | null): void {
  if (!request || !readable(principal, request.registry, request.model)) throw absentApproval(id);
  authorize(principal, action, request.registry, request.model);
}

/** Parses "role", "role:registryGlob" or "role:registryGlob:modelGlob" (the JWT claim form). */
export function parseGrant(text: string): Grant | null {
  const [role, registries = '*', models = '*'] = text.split(':');
  if (!(Object.values(Role) as string[]).includes(role ?? '')) return null;
  return { role: role as Role, registries: [registries], models: [models] };
}
