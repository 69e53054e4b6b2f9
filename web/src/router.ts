import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/model/local/Churn`): the gateway serves one index.html and needs no fallback route. */
export interface Route {
  page: string;
  params: string[];
  query: URLSearchParams;
}

/** The page a link with a malformed escape (`%E0%A4%A`) opens: it says so instead of throwing. */
export const BAD_LINK = 'bad-link';

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  try {
    const [page = 'registries', ...params] = parts.map(decodeURIComponent);
    return { page, params, query: new URLSearchParams(search) };
  } catch {
    return { page: BAD_LINK, params: [path], query: new URLSearchParams() };
  }
}

export const href = (page: string, params: string[] = [], query?: Record<string, string>): string => {
  const search = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString() : '';
  return `#/${[page, ...params.map(encodeURIComponent)].join('/')}${search ? `?${search}` : ''}`;
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
