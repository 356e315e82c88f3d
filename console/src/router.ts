/** Hash routes (`#/transactions/TXN-1?machine=VEND-001`): any host can serve the one index.html. */
export interface Route {
  page: string;
  id?: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const [page = '', ...rest] = path.split('/');
  const id = rest.length ? safeDecode(rest.join('/')) : undefined;
  return { page: page || 'integration', id: id || undefined, params: new URLSearchParams(query) };
}

export function href(page: string, id?: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1]))).toString();
  return `#/${page}${id ? `/${encodeURIComponent(id)}` : ''}${query ? `?${query}` : ''}`;
}

export function navigate(to: string): void {
  if (location.hash !== to) location.hash = to;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
