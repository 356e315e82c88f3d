import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_ROUTES } from '../../shared/topology';
import { ROUTES } from '../../shared/admin/api';

describe('the admin API description', () => {
  const spec = readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8');

  test.each(ADMIN_ROUTES.map((r) => [r]))('documents %s', (routeKey) => {
    const [method, route] = routeKey.split(' ') as [string, string];
    const block = spec.split(/\n  (?=\/admin)/).find((b) => b.startsWith(`${route}:`));
    expect(block).toBeDefined();
    expect(block).toMatch(new RegExp(`\\n    ${method.toLowerCase()}:`));
  });

  test('the handler implements exactly the topology\'s routes', () => {
    expect(Object.keys(ROUTES).sort()).toEqual([...ADMIN_ROUTES].sort());
  });
});
