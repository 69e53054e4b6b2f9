/** The one vocabulary of failure every layer speaks; clients read it from `extensions.code`. */
export enum ErrorCode {
  NOT_FOUND = 'NOT_FOUND',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  INVALID_INPUT = 'INVALID_INPUT',
  CONFLICT = 'CONFLICT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  GATE_FAILED = 'GATE_FAILED',
  APPROVAL_REQUIRED = 'APPROVAL_REQUIRED',
  NO_ROLLBACK_TARGET = 'NO_ROLLBACK_TARGET',
  UNSUPPORTED = 'UNSUPPORTED',
  BACKEND_UNAVAILABLE = 'BACKEND_UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

export interface RegistryErrorOptions {
  /** The registry at fault, when one is. */
  registry?: string;
  /** Structured detail safe to show a client (never secrets, never stack traces). */
  details?: Record<string, unknown>;
  cause?: unknown;
  /**
   * UNKNOWN: a write that may or may not have happened (it outlived its deadline after it may have been sent).
   * NONE: refused by the adapter before it sent any write (a limit it checks against what the backend holds).
   */
  outcome?: 'UNKNOWN' | 'NONE';
}

/** An expected failure with a code; anything else reaching a client is masked as INTERNAL. */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly registry: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  /** 'UNKNOWN' when the backend may have applied the write anyway (read it to learn what happened); 'NONE' when nothing was sent. */
  readonly outcome: 'UNKNOWN' | 'NONE' | undefined;

  constructor(code: ErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.registry = options.registry;
    this.details = options.details;
    this.outcome = options.outcome;
  }

  /** The same error, attributed to a registry unless it already names one. */
  withRegistry(registry: string): RegistryError {
    if (this.registry) return this;
    return new RegistryError(this.code, this.message, {
      registry,
      details: this.details,
      cause: this.cause,
      outcome: this.outcome,
    });
  }
}

export const isRegistryError = (error: unknown): error is RegistryError =>
  error instanceof RegistryError;

export const invalidInput = (message: string, details?: Record<string, unknown>) =>
  new RegistryError(ErrorCode.INVALID_INPUT, message, { details });

/** INVALID_INPUT found by an adapter before it sent any write (a limit counted with what the backend holds): the pipeline settles its intent without a read-back. */
export const refusedBeforeSending = (message: string, details?: Record<string, unknown>) =>
  new RegistryError(ErrorCode.INVALID_INPUT, message, { details, outcome: 'NONE' });

export const notFound = (message: string, details?: Record<string, unknown>) =>
  new RegistryError(ErrorCode.NOT_FOUND, message, { details });

export const alreadyExists = (message: string, details?: Record<string, unknown>) =>
  new RegistryError(ErrorCode.ALREADY_EXISTS, message, { details });

export const modelNotFound = (name: string) =>
  new RegistryError(ErrorCode.NOT_FOUND, `Model '${name}' does not exist`, { details: { model: name } });

/** updateCard where the registry keeps a version's card as registered (`capabilities.cardMutable: false`). */
export const cardNotMutable = (kind: string) =>
  new RegistryError(ErrorCode.UNSUPPORTED, `This registry (${kind}) keeps a version's card as set at registration; register a new version with the card`, {
    details: { capability: 'cardMutable' },
  });

/** renameModel where the registry cannot rename (`capabilities.modelRename: false`). */
export const modelRenameUnsupported = (kind: string) =>
  new RegistryError(ErrorCode.UNSUPPORTED, `A model in this registry (${kind}) cannot be renamed; create a model under the new name and copy the versions to it`, {
    details: { capability: 'modelRename' },
  });

/** A changed model description where the registry sets it at creation only (`capabilities.modelDescriptionMutable: false`). */
export const modelDescriptionNotMutable = (kind: string) =>
  new RegistryError(ErrorCode.UNSUPPORTED, `This registry (${kind}) sets a model's description at creation only; it cannot be changed`, {
    details: { capability: 'modelDescriptionMutable' },
  });

/** createModel where a model comes with its first version (`capabilities.modelWithoutVersions: false`). */
export const modelNeedsVersion = (kind: string) =>
  new RegistryError(ErrorCode.UNSUPPORTED, `This registry (${kind}) creates a model with its first version: register a version (registerVersion creates the model)`, {
    details: { capability: 'modelWithoutVersions' },
  });

export const versionNotFound = (key: { name: string; version: string }) =>
  new RegistryError(ErrorCode.NOT_FOUND, `Model '${key.name}' has no version ${key.version}`, {
    details: { model: key.name, version: key.version },
  });
