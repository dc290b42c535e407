import { describe, expect, it } from '@jest/globals';
import { routeLabel } from './route-label.js';

describe(routeLabel.name, () => {
  it.each([
    [{ routePath: '/customers/:customerId/people' }, '/customers/0193a000-0000-7000-8000-0000000000c1/people', '/customers/:customerId/people'],
    [{ baseUrl: '/api', routePath: '/people/:id' }, '/api/people/42', '/api/people/:id'],
    [{ routePath: '/' }, '/', '/'],
    [{}, '/console/assets/index-abc.js', '/console/*'],
    [{}, '/console', '/console/*'],
    [{}, '/docs/openapi.json', '/docs/*'],
    [{}, '/people/Marlies%20Zwanenburg', 'unmatched'],
    [{}, '/consoles', 'unmatched'],
    [{ routePath: /regexp/ }, '/x', 'unmatched'],
  ])('%j %s → %s', (matched, path, label) => {
    expect(routeLabel(matched, path)).toBe(label);
  });
});
