import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_RANGE_DAYS } from '../../shared/admin/request-rules';
import { ROUTES } from '../../shared/admin/routes';
import { ADMIN_API, ADMIN_ROUTES } from '../../shared/topology';

describe('the admin API description', () => {
  const spec = readFileSync(path.join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8');
  /** The text of one operation: from its method line to the next operation or path. */
  const operation = (routeKey: string) => {
    const [method, route] = routeKey.split(' ') as [string, string];
    const block = spec.split(/\n {2}(?=\/admin)/).find((b) => b.startsWith(`${route}:`));
    return block?.split(/\n {4}(?=[a-z]+:)/).find((op) => op.startsWith(`${method.toLowerCase()}:`));
  };

  test.each(ADMIN_ROUTES.map((r) => [r]))('documents %s', (routeKey) => {
    expect(operation(routeKey)).toBeDefined();
  });

  test("the handler implements exactly the topology's routes", () => {
    expect(Object.keys(ROUTES).sort()).toEqual([...ADMIN_ROUTES].sort());
  });

  test('every route with a body documents its 415, every paged or dated route its 400', () => {
    for (const routeKey of ADMIN_ROUTES) {
      const op = operation(routeKey)!;
      if (op.includes('requestBody')) expect([routeKey, op]).toEqual([routeKey, expect.stringContaining("'415'")]);
      if (/parameters\/(cursor|from)/.test(op)) expect([routeKey, op]).toEqual([routeKey, expect.stringContaining("'400'")]);
    }
  });

  test("each operation's x-role is the role the route table gives it", () => {
    for (const { route, role } of ADMIN_API) expect([route, /x-role: (\w+)/.exec(operation(route)!)?.[1]]).toEqual([route, role]);
  });

  test('every operation documents its 401 and 403', () => {
    for (const routeKey of ADMIN_ROUTES) {
      const op = operation(routeKey)!;
      expect([routeKey, op.includes("'401'") && op.includes("'403'")]).toEqual([routeKey, true]);
    }
  });

  test('documents the range limit, the cursor rules, the card id and the re-queue on sync start', () => {
    expect(spec).toContain(`at most **${MAX_RANGE_DAYS} days**`);
    expect(spec).toContain("'invalid cursor'");
    expect(spec).toMatch(/CardId:[\s\S]*unrelated to the\s+card number or its keyed hash/);
    expect(operation('POST /admin/sync/start')).toContain('requeuedFiles');
  });
});
