import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { Detail } from '../core/index.ts';

/**
 * Names of the fields selected at `path` below the field being resolved, through fragments
 * and inline fragments (directives are not evaluated: a skipped field still counts, which
 * only reads a little more). Used to ask the backend for the details a query selects.
 */
export function selectedFields(info: GraphQLResolveInfo, ...path: string[]): ReadonlySet<string> {
  return remembered(info, `fields ${path.join('.')}`, () =>
    new Set(selectedNodes(info, ...path).flatMap((node) => fieldsOf(node.selectionSet, info).map((field) => field.name.value))),
  );
}

/** The field nodes at `path` below the field being resolved (the field itself for an empty path). */
export function selectedNodes(info: GraphQLResolveInfo, ...path: string[]): readonly FieldNode[] {
  return remembered(info, `nodes ${path.join('.')}`, () => {
    let level: readonly FieldNode[] = info.fieldNodes;
    for (const step of path) level = level.flatMap((node) => fieldsOf(node.selectionSet, info).filter((field) => field.name.value === step));
    return level;
  });
}

/**
 * What a selection holds depends on the document only (directives are not evaluated), and Apollo
 * reuses one parsed document per query text: so each answer is kept per field node, for the exact
 * nodes it was asked about (a field merged with same-named siblings elsewhere is asked again).
 */
const answers = new WeakMap<FieldNode, Map<string, { nodes: readonly FieldNode[]; value: unknown }[]>>();

function remembered<T>(info: GraphQLResolveInfo, question: string, answer: () => T): T {
  const nodes = info.fieldNodes;
  let byQuestion = answers.get(nodes[0]!);
  if (!byQuestion) answers.set(nodes[0]!, (byQuestion = new Map()));
  let known = byQuestion.get(question);
  if (!known) byQuestion.set(question, (known = []));
  const hit = known.find((entry) => entry.nodes.length === nodes.length && entry.nodes.every((node, i) => node === nodes[i]));
  if (hit) return hit.value as T;
  const value = answer();
  known.push({ nodes: [...nodes], value });
  return value;
}

/** The fields a connection's nodes select below one field node. */
export function nodeFieldsOf(node: FieldNode, info: GraphQLResolveInfo): ReadonlySet<string> {
  return nodeFields({ ...info, fieldNodes: [node] });
}

/** Where a Model selection holds versions. */
const VERSION_PATHS = [['versions', 'nodes'], ['versions', 'edges', 'node'], ['version'], ['productionVersion'], ['latestVersions']];

/**
 * What a Model selection needs read with the model row: its tags and aliases when selected, and
 * its aliases too when its versions' aliases are (they come from the model's, see versionShape).
 */
export function modelShape(info: GraphQLResolveInfo): Detail[] {
  const fields = selectedFields(info);
  const versionAliases = VERSION_PATHS.some((path) => selectedFields(info, ...path).has('aliases'));
  return [...(fields.has('tags') ? (['tags'] as const) : []), ...(fields.has('aliases') || versionAliases ? (['aliases'] as const) : [])];
}

/**
 * What a ModelVersion selection needs read with the version rows. Never aliases: a version's
 * aliases come from its model's (one shared lookup), see the `aliases` field.
 */
export function versionShape(info: GraphQLResolveInfo, fields: ReadonlySet<string> = selectedFields(info)): Detail[] {
  // Metrics may live in `metric_*` tags (metricSources) and the card reads the tutorial's tags: read them in the same call.
  return TAG_READERS.some((field) => fields.has(field)) ? ['tags'] : [];
}

const TAG_READERS = ['tags', 'tag', 'metrics', 'metric', 'card'];

/** The fields a connection's nodes select, whether as `nodes` or `edges { node }`. */
export function nodeFields(info: GraphQLResolveInfo): ReadonlySet<string> {
  return remembered(info, 'node fields', () => new Set([...selectedFields(info, 'nodes'), ...selectedFields(info, 'edges', 'node')]));
}

function fieldsOf(selectionSet: SelectionSetNode | undefined, info: GraphQLResolveInfo, seen = new Set<string>()): FieldNode[] {
  if (!selectionSet) return [];
  const fields: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) fields.push(...fieldsOf(selection.selectionSet, info, seen));
    else if (!seen.has(selection.name.value)) {
      // Validation already refused fragment cycles; `seen` keeps a fragment spread many times cheap.
      seen.add(selection.name.value);
      fields.push(...fieldsOf(info.fragments[selection.name.value]?.selectionSet, info, seen));
    }
  }
  return fields;
}
