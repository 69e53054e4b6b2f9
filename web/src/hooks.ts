import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, request } from './api.ts';

export interface Loaded<R> {
  data: R | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Runs a typed query whenever its variables change (compared as JSON); a stale answer never replaces a newer one. */
export function useQuery<R, V>(document: TypedDocumentNode<R, V>, variables: V, skip = false): Loaded<R> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data: R | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: !skip });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (skip) return;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    request(document, variables).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: unknown) => current && setState({ data: null, error: toApiError(error), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [key, round, skip]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

export const toApiError = (error: unknown): ApiError =>
  error instanceof ApiError ? error : new ApiError(error instanceof Error ? error.message : String(error), 'INTERNAL', null, null, null);
