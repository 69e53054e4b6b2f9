import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../core/index.ts';

/** Where a string that is not well-formed Unicode was found, e.g. `createModel.description` or `$input.tags[0].value`. */
function refused(path: string): GraphQLError {
  return new GraphQLError(`Argument ${path} is not well-formed Unicode (it holds a lone surrogate); nothing was run`, {
    extensions: { code: ErrorCode.INVALID_INPUT, reason: 'MALFORMED_UNICODE', details: { argument: path }, http: { status: 400 } },
  });
}

/**
 * Refuses, before any resolver runs, every operation with a string argument (a literal or a
 * variable, however deeply nested) that holds a lone surrogate: databases would store it as
 * U+FFFD, so what was hashed, audited or compared would not be what was kept.
 */
export function useWellFormedInput(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          const bad = malformedVariable(request.variables ?? {});
          if (bad !== null) throw refused(bad);
          const fragments = Object.fromEntries(
            document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
          );
          const literal = malformedLiteral(operation?.selectionSet, fragments, new Set());
          if (literal !== null) throw refused(literal);
        },
      };
    },
  };
}

/** The path of the first malformed string (or object key) among the variables, or null. */
function malformedVariable(variables: Record<string, unknown>): string | null {
  const walk = (value: unknown, path: string): string | null => {
    if (typeof value === 'string') return value.isWellFormed() ? null : path;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const found = walk(value[i], `${path}[${i}]`);
        if (found !== null) return found;
      }
      return null;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (!key.isWellFormed()) return `${path}.${JSON.stringify(key)}`;
        const found = walk(inner, `${path}.${key}`);
        if (found !== null) return found;
      }
    }
    return null;
  };
  for (const [name, value] of Object.entries(variables)) {
    const found = walk(value, `$${name}`);
    if (found !== null) return found;
  }
  return null;
}

/** The path (field.argument...) of the first malformed string literal among the operation's arguments, or null. */
function malformedLiteral(set: SelectionSetNode | undefined, fragments: Record<string, FragmentDefinitionNode>, visiting: Set<string>): string | null {
  for (const selection of set?.selections ?? []) {
    if (selection.kind === Kind.FIELD) {
      for (const argument of selection.arguments ?? []) {
        const found = malformedValue(argument.value, `${selection.name.value}.${argument.name.value}`);
        if (found !== null) return found;
      }
      const inner = malformedLiteral(selection.selectionSet, fragments, visiting);
      if (inner !== null) return inner;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const inner = malformedLiteral(selection.selectionSet, fragments, visiting);
      if (inner !== null) return inner;
    } else if (!visiting.has(selection.name.value) && fragments[selection.name.value]) {
      visiting.add(selection.name.value);
      const inner = malformedLiteral(fragments[selection.name.value]!.selectionSet, fragments, visiting);
      if (inner !== null) return inner;
    }
  }
  return null;
}

function malformedValue(value: ValueNode, path: string): string | null {
  if (value.kind === Kind.STRING || value.kind === Kind.ENUM) return value.value.isWellFormed() ? null : path;
  if (value.kind === Kind.LIST) {
    for (let i = 0; i < value.values.length; i++) {
      const found = malformedValue(value.values[i]!, `${path}[${i}]`);
      if (found !== null) return found;
    }
  }
  if (value.kind === Kind.OBJECT) {
    for (const field of value.fields) {
      const found = malformedValue(field.value, `${path}.${field.name.value}`);
      if (found !== null) return found;
    }
  }
  return null;
}
