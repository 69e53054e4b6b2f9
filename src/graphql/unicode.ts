import { GraphQLError } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../core/index.ts';

/** `path` names the variable and where in it, e.g. `$description` or `$tags[0].value`. */
function refused(path: string): GraphQLError {
  return new GraphQLError(`Argument ${path} is not well-formed Unicode (it holds a lone surrogate); nothing was run`, {
    extensions: { code: ErrorCode.INVALID_INPUT, reason: 'MALFORMED_UNICODE', details: { argument: path }, http: { status: 400 } },
  });
}

/**
 * Refuses, before any resolver runs, every operation whose variables hold a string (however
 * deeply nested in input objects and lists, object keys included) with a lone surrogate:
 * databases would store it as U+FFFD, so what was hashed, audited or compared would not be
 * what was kept.
 */
export function useWellFormedInput(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        // Literals never get here: graphql-js's lexer already refuses a lone surrogate in a string (INVALID_INPUT, GRAPHQL_PARSE_FAILED).
        async didResolveOperation({ request }) {
          const bad = malformedVariable(request.variables ?? {});
          if (bad !== null) throw refused(bad);
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
