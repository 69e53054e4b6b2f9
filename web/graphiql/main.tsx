import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/graphiql.css';
import './graphiql.css';

/** The console keeps its sign-in here; GraphiQL starts with it in the header editor. */
const token = sessionStorage.getItem('modelgate.token');
const defaultHeaders = JSON.stringify(token ? { Authorization: `Bearer ${token}` } : { Authorization: 'Bearer <API key or token; remove when auth is off>' }, null, 2);

type Params = { query: string; operationName?: string | null; variables?: unknown };

/** Same origin, JSON POST (the gateway refuses form posts and simple GETs): no subscriptions here. */
async function fetcher(params: Params, options?: { headers?: Record<string, string> }) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options?.headers };
  // The placeholder is not a credential: without it the gateway decides (no auth on loopback: just works).
  if (/^Bearer\s*<|^Bearer\s*$/.test(headers.Authorization ?? headers.authorization ?? '')) {
    delete headers.Authorization;
    delete headers.authorization;
  }
  // GraphiQL's own schema fetch may come before the header editor is read: the console's sign-in applies then.
  if (!headers.Authorization && !headers.authorization && token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(new URL('/graphql', location.href), { method: 'POST', headers, body: JSON.stringify(params) });
  return response.json();
}

createRoot(document.getElementById('graphiql')!).render(
  <GraphiQL fetcher={fetcher} defaultHeaders={defaultHeaders} isHeadersEditorEnabled defaultEditorToolsVisibility="headers" />,
);
