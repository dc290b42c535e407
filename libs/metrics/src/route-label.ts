/**
 * The `route` label of an HTTP request: the route template the router matched
 * (`/customers/:customerId/people`), never the concrete path, so no id or name reaches a label
 * and the series stay bounded. Requests no route matched are grouped by the static areas they
 * belong to, else `unmatched`.
 */
export function routeLabel(matched: { baseUrl?: string; routePath?: unknown }, path: string): string {
  if (typeof matched.routePath === 'string') return `${matched.baseUrl ?? ''}${matched.routePath}` || '/';
  if (path === '/console' || path.startsWith('/console/')) return '/console/*';
  if (path === '/docs' || path.startsWith('/docs/')) return '/docs/*';
  return 'unmatched';
}
