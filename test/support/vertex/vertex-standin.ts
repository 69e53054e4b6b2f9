/**
 * A stateful stand-in for Vertex AI's ModelService and google.longrunning.Operations,
 * served over gRPC from the protos shipped in @google-cloud/aiplatform
 * (build/protos/protos.json). No protos are written by hand. The rules it enforces come
 * from model_service.proto's comments and the model-versioning docs; each is pinned by
 * test/support/vertex/vertex-standin.test.ts.
 */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const PROTOS = require.resolve('@google-cloud/aiplatform/build/protos/protos.json');
const protosJson = require(PROTOS) as protobuf.INamespace;

const ALIAS = /^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/;
const MODEL_FIELDS = new Set(['display_name', 'description', 'labels']);
const VERSION_FIELDS = new Set(['version_description', 'labels']);

interface Timestamp {
  seconds: string;
  nanos: number;
}

interface EvaluationState {
  name: string;
  displayName: string;
  metricsSchemaUri: string;
  metrics: unknown;
  metadata: unknown;
  createTime: Timestamp;
}

interface VersionState {
  versionId: string;
  aliases: string[];
  versionDescription: string;
  labels: Record<string, string>;
  artifactUri: string;
  metadata: unknown;
  createTime: Timestamp;
  updateTime: Timestamp;
  evaluations: EvaluationState[];
}

interface ModelState {
  id: string;
  displayName: string;
  description: string;
  labels: Record<string, string>;
  createTime: Timestamp;
  updateTime: Timestamp;
  versions: Map<string, VersionState>;
  nextVersion: number;
}

/** Faults a test can switch on: every call fails UNAVAILABLE, or hangs this long. */
export interface StandinFaults {
  unavailable: boolean;
  hangMs: number;
}

export interface VertexStandin {
  /** host:port for the client's apiEndpoint/port. */
  host: string;
  port: number;
  faults: StandinFaults;
  /** How many times each RPC was called, for batching tests. */
  calls: Map<string, number>;
  /** The W3C trace context each RPC arrived with (gRPC metadata), in order, for propagation tests. */
  traceContext: { method: string; traceparent?: string; tracestate?: string }[];
  reset(): void;
  stop(): Promise<void>;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const now = (): Timestamp => {
  const ms = Date.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
};

export async function startVertexStandin(): Promise<VertexStandin> {
  const definition = protoLoader.fromJSON(protosJson as never, { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as never as {
    google: { cloud: { aiplatform: { v1: { ModelService: grpc.ServiceClientConstructor } } }; longrunning: { Operations: grpc.ServiceClientConstructor } };
  };
  const root = protobuf.Root.fromJSON(protosJson);
  const pack = (type: string, value: object) => {
    const message = root.lookupType(type);
    return { typeUrl: `type.googleapis.com/${type}`, value: Buffer.from(message.encode(message.fromObject(value)).finish()) };
  };

  const models = new Map<string, ModelState>();
  const operations = new Map<string, object>();
  let nextModel = 1000;
  let nextOperation = 1;
  let nextEvaluation = 1;
  const faults: StandinFaults = { unavailable: false, hangMs: 0 };
  const calls = new Map<string, number>();
  const traceContext: VertexStandin['traceContext'] = [];
  const metadataText = (metadata: grpc.Metadata, key: string) => {
    const values = metadata.get(key).map(String);
    return values.length ? values.join(',') : undefined;
  };

  // ---- names ------------------------------------------------------------------
  const parentOf = (name: string) => {
    const match = /^(projects\/[^/]+\/locations\/[^/]+)(\/|$)/.exec(name);
    if (!match) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid resource name: ${name}`);
    return match[1]!;
  };
  /** `.../models/{id}` with an optional `@{version|alias|-}`. */
  const parseModelName = (name: string) => {
    const match = /^(projects\/[^/]+\/locations\/[^/]+)\/models\/([^/@]+)(?:@([^/]+))?$/.exec(name ?? '');
    if (!match) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid model name: ${name}`);
    const model = models.get(match[2]!);
    if (!model) throw new RpcError(grpc.status.NOT_FOUND, `Model ${match[1]}/models/${match[2]} not found.`);
    return { parent: match[1]!, model, selector: match[3] ?? null };
  };
  const defaultVersion = (model: ModelState) => [...model.versions.values()].find((v) => v.aliases.includes('default'))!;
  const resolveVersion = (model: ModelState, selector: string | null, name: string) => {
    if (selector === null || selector === '-') return defaultVersion(model);
    const version = model.versions.get(selector) ?? [...model.versions.values()].find((v) => v.aliases.includes(selector));
    if (!version) throw new RpcError(grpc.status.NOT_FOUND, `Model version ${name} not found.`);
    return version;
  };

  /** A version as the Model message: model and version labels merged, as the API returns them. */
  const view = (parent: string, model: ModelState, version: VersionState) => ({
    name: `${parent}/models/${model.id}`,
    versionId: version.versionId,
    versionAliases: [...version.aliases],
    versionCreateTime: version.createTime,
    versionUpdateTime: version.updateTime,
    displayName: model.displayName,
    description: model.description,
    versionDescription: version.versionDescription,
    labels: { ...model.labels, ...version.labels },
    artifactUri: version.artifactUri,
    metadata: version.metadata,
    createTime: model.createTime,
    updateTime: model.updateTime,
  });

  const operation = (parent: string, responseType: string, response: object, metadataType: string) => {
    const name = `${parent}/operations/${nextOperation++}`;
    const op = {
      name,
      done: true,
      metadata: pack(metadataType, { genericMetadata: { createTime: now(), updateTime: now() } }),
      response: pack(responseType, response),
      result: 'response',
    };
    operations.set(name, op);
    return op;
  };

  const checkLabels = (labels: Record<string, string>) => {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(key) || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(value)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid label ${key}=${value}: keys and values are lowercase letters, digits, _ and -, at most 63.`);
      }
    }
    if (Object.keys(labels ?? {}).length > 64) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'At most 64 labels per resource.');
  };

  const applyAliases = (model: ModelState, target: VersionState, aliases: readonly string[]) => {
    for (const entry of aliases) {
      const removing = entry.startsWith('-');
      const alias = removing ? entry.slice(1) : entry;
      if (!ALIAS.test(alias)) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid alias "${alias}": it must match [a-z][a-zA-Z0-9-]{0,126}[a-z0-9].`);
      }
      if (/^\d+$/.test(alias)) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Alias "${alias}" cannot be a version number.`);
      if (removing) {
        if (alias === 'default') throw new RpcError(grpc.status.INVALID_ARGUMENT, 'The default alias cannot be removed; set it on another version instead.');
        target.aliases = target.aliases.filter((a) => a !== alias);
      } else {
        // Applying an alias moves it: an alias names at most one version of a model.
        for (const other of model.versions.values()) other.aliases = other.aliases.filter((a) => a !== alias);
        target.aliases.push(alias);
      }
    }
    const stamp = now();
    target.updateTime = stamp;
    model.updateTime = stamp;
  };

  // ---- ModelService --------------------------------------------------------------
  const modelService = {
    UploadModel(req: { parent: string; parentModel?: string; modelId?: string; model?: Record<string, any> }) {
      parentOf(req.parent);
      const input = req.model ?? {};
      checkLabels(input.labels ?? {});
      let model: ModelState;
      if (req.parentModel) {
        model = parseModelName(req.parentModel).model;
      } else {
        if (!input.displayName) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'model.display_name is required.');
        const id = req.modelId || String(nextModel++);
        if (models.has(id)) throw new RpcError(grpc.status.ALREADY_EXISTS, `Model ${id} already exists.`);
        const stamp = now();
        model = { id, displayName: input.displayName, description: input.description ?? '', labels: {}, createTime: stamp, updateTime: stamp, versions: new Map(), nextVersion: 1 };
        models.set(id, model);
      }
      const stamp = now();
      const version: VersionState = {
        versionId: String(model.nextVersion++),
        aliases: [],
        versionDescription: input.versionDescription ?? '',
        labels: { ...(input.labels ?? {}) },
        artifactUri: input.artifactUri ?? '',
        metadata: input.metadata,
        createTime: stamp,
        updateTime: stamp,
        evaluations: [],
      };
      model.versions.set(version.versionId, version);
      const requested: string[] = input.versionAliases ?? [];
      // The first version is the default; a later one only when it asks for `default`.
      applyAliases(model, version, model.versions.size === 1 && !requested.includes('default') ? ['default', ...requested] : requested);
      return operation(req.parent, 'google.cloud.aiplatform.v1.UploadModelResponse', { model: `${req.parent}/models/${model.id}`, modelVersionId: version.versionId }, 'google.cloud.aiplatform.v1.UploadModelOperationMetadata');
    },

    GetModel(req: { name: string }) {
      const { parent, model, selector } = parseModelName(req.name);
      return view(parent, model, resolveVersion(model, selector, req.name));
    },

    ListModels(req: { parent: string; filter?: string; pageSize?: number; pageToken?: string; orderBy?: string }) {
      const parent = parentOf(req.parent);
      const clauses = parseFilter(req.filter ?? '');
      const matching = [...models.values()]
        .filter((m) => clauses.every((c) => matchesClause(view(parent, m, defaultVersion(m)), c)))
        .sort(ordering(req.orderBy ?? ''));
      return paginate(matching.map((m) => view(parent, m, defaultVersion(m))), req, 'models');
    },

    ListModelVersions(req: { name: string; pageSize?: number; pageToken?: string; filter?: string }) {
      const { parent, model, selector } = parseModelName(req.name);
      if (selector) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'ListModelVersions takes a model name without a version.');
      const clauses = parseFilter(req.filter ?? '');
      const versions = [...model.versions.values()].map((v) => view(parent, model, v)).filter((v) => clauses.every((c) => matchesClause(v, c)));
      return paginate(versions, req, 'models');
    },

    UpdateModel(req: { model?: Record<string, any>; updateMask?: { paths?: string[] } }) {
      const input = req.model ?? {};
      const { parent, model, selector } = parseModelName(input.name);
      const paths = req.updateMask?.paths ?? [];
      if (paths.length === 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'update_mask is required.');
      const versionUpdate = selector !== null && selector !== '-';
      const allowed = versionUpdate ? VERSION_FIELDS : MODEL_FIELDS;
      const misplaced = paths.filter((p) => !allowed.has(p));
      if (misplaced.length) {
        const other = versionUpdate ? MODEL_FIELDS : VERSION_FIELDS;
        const code = misplaced.every((p) => other.has(p)) ? grpc.status.FAILED_PRECONDITION : grpc.status.INVALID_ARGUMENT;
        throw new RpcError(
          code,
          `Cannot update ${misplaced.join(', ')} in a ${versionUpdate ? 'model version' : 'model'} update; one request cannot update both model and version fields.`,
        );
      }
      const version = resolveVersion(model, versionUpdate ? selector : null, input.name);
      if (paths.includes('labels')) checkLabels(input.labels ?? {});
      const stamp = now();
      for (const path of paths) {
        if (path === 'display_name') {
          if (!input.displayName) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'display_name cannot be empty.');
          model.displayName = input.displayName;
        }
        if (path === 'description') model.description = input.description ?? '';
        if (path === 'version_description') version.versionDescription = input.versionDescription ?? '';
        if (path === 'labels') {
          if (versionUpdate) version.labels = { ...(input.labels ?? {}) };
          else model.labels = { ...(input.labels ?? {}) };
        }
      }
      model.updateTime = stamp;
      if (versionUpdate) version.updateTime = stamp;
      return view(parent, model, version);
    },

    MergeVersionAliases(req: { name: string; versionAliases?: string[] }) {
      const { parent, model, selector } = parseModelName(req.name);
      if (!selector || selector === '-') throw new RpcError(grpc.status.INVALID_ARGUMENT, 'MergeVersionAliases needs a version: models/{model}@{version}.');
      const version = resolveVersion(model, selector, req.name);
      applyAliases(model, version, req.versionAliases ?? []);
      return view(parent, model, version);
    },

    DeleteModelVersion(req: { name: string }) {
      const { parent, model, selector } = parseModelName(req.name);
      if (!selector || selector === '-') throw new RpcError(grpc.status.INVALID_ARGUMENT, 'DeleteModelVersion needs a version: models/{model}@{version}.');
      const version = resolveVersion(model, selector, req.name);
      if (model.versions.size === 1) {
        throw new RpcError(grpc.status.FAILED_PRECONDITION, 'Cannot delete the only version of a model; delete the model instead.');
      }
      if (version.aliases.includes('default')) {
        throw new RpcError(grpc.status.FAILED_PRECONDITION, 'Cannot delete the default version; move the default alias first.');
      }
      model.versions.delete(version.versionId);
      return operation(parent, 'google.protobuf.Empty', {}, 'google.cloud.aiplatform.v1.DeleteOperationMetadata');
    },

    DeleteModel(req: { name: string }) {
      const { parent, model, selector } = parseModelName(req.name);
      if (selector) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'DeleteModel takes a model name without a version.');
      models.delete(model.id);
      return operation(parent, 'google.protobuf.Empty', {}, 'google.cloud.aiplatform.v1.DeleteOperationMetadata');
    },

    ImportModelEvaluation(req: { parent: string; modelEvaluation?: Record<string, any> }) {
      const { parent, model, selector } = parseModelName(req.parent);
      const version = resolveVersion(model, selector, req.parent);
      const input = req.modelEvaluation ?? {};
      const evaluation: EvaluationState = {
        name: `${parent}/models/${model.id}@${version.versionId}/evaluations/${nextEvaluation++}`,
        displayName: input.displayName ?? '',
        metricsSchemaUri: input.metricsSchemaUri ?? '',
        metrics: input.metrics,
        metadata: input.metadata,
        createTime: now(),
      };
      version.evaluations.push(evaluation);
      return evaluation;
    },

    ListModelEvaluations(req: { parent: string; pageSize?: number; pageToken?: string }) {
      const { model, selector } = parseModelName(req.parent);
      const version = resolveVersion(model, selector, req.parent);
      return paginate(version.evaluations, req, 'modelEvaluations');
    },
  };

  const operationsService = {
    GetOperation(req: { name: string }) {
      const op = operations.get(req.name);
      if (!op) throw new RpcError(grpc.status.NOT_FOUND, `Operation ${req.name} not found.`);
      return op;
    },
  };

  const server = new grpc.Server();
  const wrap = (service: Record<string, (req: any) => unknown>) =>
    Object.fromEntries(
      Object.entries(service).map(([method, handler]) => [
        method,
        (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          calls.set(method, (calls.get(method) ?? 0) + 1);
          traceContext.push({ method, traceparent: metadataText(call.metadata, 'traceparent'), tracestate: metadataText(call.metadata, 'tracestate') });
          const run = () => {
            if (faults.unavailable) return callback({ code: grpc.status.UNAVAILABLE, details: 'The service is currently unavailable.' });
            try {
              callback(null, handler(call.request));
            } catch (error) {
              if (error instanceof RpcError) callback({ code: error.code, details: error.message });
              else callback({ code: grpc.status.INTERNAL, details: (error as Error).message });
            }
          };
          if (faults.hangMs > 0) setTimeout(run, faults.hangMs);
          else run();
        },
      ]),
    );
  server.addService(loaded.google.cloud.aiplatform.v1.ModelService.service, wrap(modelService) as grpc.UntypedServiceImplementation);
  server.addService(loaded.google.longrunning.Operations.service, wrap(operationsService) as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  return {
    host: '127.0.0.1',
    port,
    faults,
    calls,
    traceContext,
    reset() {
      models.clear();
      operations.clear();
      calls.clear();
      traceContext.length = 0;
      faults.unavailable = false;
      faults.hangMs = 0;
    },
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** order_by as ListModels documents it: display_name, create_time, update_time, each optionally `desc`. */
function ordering(orderBy: string): (a: ModelState, b: ModelState) => number {
  const keys = orderBy
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [field, direction] = part.split(/\s+/);
      if (!['display_name', 'create_time', 'update_time'].includes(field!) || (direction && direction !== 'desc' && direction !== 'asc')) {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, `Unsupported order_by: ${orderBy}`);
      }
      return { field: field!, sign: direction === 'desc' ? -1 : 1 };
    });
  const value = (m: ModelState, field: string) =>
    field === 'display_name' ? m.displayName : field === 'create_time' ? Number(m.createTime.seconds) * 1e9 + m.createTime.nanos : Number(m.updateTime.seconds) * 1e9 + m.updateTime.nanos;
  return (a, b) => {
    for (const { field, sign } of keys) {
      const x = value(a, field);
      const y = value(b, field);
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return Number(a.id) - Number(b.id);
  };
}

/** Page tokens are offsets; the last page carries an empty token. */
function paginate<T>(items: T[], req: { pageSize?: number; pageToken?: string }, field: string) {
  const size = req.pageSize && req.pageSize > 0 ? Math.min(req.pageSize, 1000) : 100;
  let offset = 0;
  if (req.pageToken) {
    offset = Number(Buffer.from(req.pageToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Invalid page token.');
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : '';
  return { [field]: page, nextPageToken: next };
}

type Clause = { field: 'display_name' } | { field: 'label'; key: string };
type ParsedClause = Clause & { value: string };

/**
 * The subset of AIP-160 filters Vertex documents for ListModels: `display_name="..."` and
 * `labels.key="..."` joined by AND; string literals take backslash escapes.
 */
function parseFilter(filter: string): ParsedClause[] {
  const clauses: ParsedClause[] = [];
  let rest = filter.trim();
  while (rest.length) {
    const head = /^(display_name|labels\.([a-z][a-z0-9_-]*))\s*=\s*"/.exec(rest);
    if (!head) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Unsupported filter: ${filter}`);
    let i = head[0].length;
    let value = '';
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] === '\\') {
        i++;
        if (i >= rest.length) break;
      }
      value += rest[i];
    }
    if (rest[i] !== '"') throw new RpcError(grpc.status.INVALID_ARGUMENT, `Unterminated string in filter: ${filter}`);
    clauses.push(head[2] ? { field: 'label', key: head[2], value } : { field: 'display_name', value });
    rest = rest.slice(i + 1).trim();
    if (rest.length) {
      const joiner = /^AND\s+/.exec(rest);
      if (!joiner) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Unsupported filter: ${filter}`);
      rest = rest.slice(joiner[0].length);
    }
  }
  return clauses;
}

function matchesClause(model: { displayName: string; labels: Record<string, string> }, clause: ParsedClause): boolean {
  return clause.field === 'display_name' ? model.displayName === clause.value : model.labels[clause.key] === clause.value;
}
