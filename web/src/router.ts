import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/model/local/Churn`): the gateway serves one index.html and needs no fallback route. */
export interface Route {
  page: string;
  params: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'registries', ...params] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page, params, query: new URLSearchParams(search) };
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
