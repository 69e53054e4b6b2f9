import { GraphQLError, visit, type DocumentNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode, describeFlaw, unstorableText, type TextFlaw } from '../core/index.ts';

/** `path` names the variable and where in it, e.g. `$description` or `$tags[0].value`, or a literal. */
function refused(path: string, flaw: TextFlaw): GraphQLError {
  return new GraphQLError(`Argument ${path} ${describeFlaw(flaw)}; nothing was run`, {
    extensions: { code: ErrorCode.INVALID_INPUT, reason: flaw, details: { argument: path }, http: { status: 400 } },
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
        // graphql-js's lexer already refuses a lone surrogate in a literal; a `\u0000` escape it accepts.
        async didResolveOperation({ request, document }) {
          const bad = malformedVariable(request.variables ?? {}) ?? literalWithNul(document);
          if (bad !== null) throw refused(bad.path, bad.flaw);
        },
      };
    },
  };
}

/** Apollo reuses one parsed document per query text: its literals are checked once. */
const checked = new WeakMap<DocumentNode, { path: string; flaw: TextFlaw } | null>();

/** The first string literal in the document holding U+0000, or null. */
function literalWithNul(document: DocumentNode): { path: string; flaw: TextFlaw } | null {
  let found = checked.get(document);
  if (found === undefined) checked.set(document, (found = findLiteralWithNul(document)));
  return found;
}

function findLiteralWithNul(document: DocumentNode): { path: string; flaw: TextFlaw } | null {
  let found: { path: string; flaw: TextFlaw } | null = null;
  visit(document, {
    StringValue(node) {
      if (!found && node.value.includes('\0')) found = { path: `literal at offset ${node.loc?.start ?? 0}`, flaw: 'NUL_CHARACTER' };
    },
  });
  return found;
}

/** The path and flaw of the first unstorable string (or object key) among the variables, or null. */
function malformedVariable(variables: Record<string, unknown>): { path: string; flaw: TextFlaw } | null {
  for (const [name, value] of Object.entries(variables)) {
    const found = unstorableText(value, `$${name}`);
    if (found) return found;
  }
  return null;
}
