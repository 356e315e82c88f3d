import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AdminApi } from './api';
import type { Session } from './auth';
import { Console, type ConsoleContext } from './context';
import { AnalyticsPage } from './pages/analytics';
import { AuditPage } from './pages/audit';
import { CampaignsPage } from './pages/campaigns';
import { CustomersPage } from './pages/customers';
import { ImportPage } from './pages/import';
import { IntegrationPage } from './pages/integration';
import { NotificationsPage } from './pages/notifications';
import { ReviewPage } from './pages/review';
import { TransactionsPage } from './pages/transactions';
import { href, type Route } from './router';
import type { SyncStatus } from './types';
import { useInterval } from './ui';
import { useRoute } from './use-route';

interface PageEntry {
  id: string;
  label: string;
  adminOnly?: boolean;
  render: (route: Route) => preact.JSX.Element;
}

const PAGES: PageEntry[] = [
  { id: 'integration', label: 'Integration', render: () => <IntegrationPage /> },
  { id: 'transactions', label: 'Transactions', render: (r) => <TransactionsPage route={r} /> },
  { id: 'review', label: 'Review', render: (r) => <ReviewPage route={r} /> },
  { id: 'customers', label: 'Customers', render: (r) => <CustomersPage route={r} /> },
  { id: 'campaigns', label: 'Campaigns', render: (r) => <CampaignsPage route={r} /> },
  { id: 'analytics', label: 'Analytics', render: (r) => <AnalyticsPage route={r} /> },
  { id: 'notifications', label: 'Notifications', render: () => <NotificationsPage /> },
  { id: 'import', label: 'Import', adminOnly: true, render: () => <ImportPage /> },
  { id: 'audit', label: 'Audit', adminOnly: true, render: (r) => <AuditPage route={r} /> },
];

/** The signed-in console: navigation with the work waiting, and the page the address names. */
export function App({ session }: { session: Session }) {
  const operator = session.operator;
  const api = useMemo(() => new AdminApi(session), [session]);
  const route = useRoute();
  const [waiting, setWaiting] = useState<{ review: number } | undefined>();
  const refreshCounts = () => {
    api
      .get<SyncStatus>('/admin/sync/status')
      .then((s) => setWaiting({ review: Math.max(0, s.counts.failures - s.counts.failuresResolved) + s.counts.unmatched }))
      .catch(() => undefined);
  };
  useEffect(refreshCounts, [api]);
  useInterval(refreshCounts, 15_000);
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    // A new page moves the keyboard focus to its title, as a screen reader user expects after navigation.
    main.current?.querySelector<HTMLElement>('[data-page-title]')?.focus();
  }, [route.page, route.id]);

  if (!operator) return null;
  if (!operator.role) {
    return (
      <main class="signed-out">
        <h1>No access yet</h1>
        <p>
          {operator.name} is signed in but belongs to no operator group. An administrator adds operators to <code>admins</code> or{' '}
          <code>viewers</code>.
        </p>
        <button type="button" onClick={() => session.signOut()}>
          Sign out
        </button>
      </main>
    );
  }
  const context: ConsoleContext = { api, operator, canChange: operator.role === 'admin', refreshCounts };
  const visible = PAGES.filter((p) => !p.adminOnly || context.canChange);
  const current = visible.find((p) => p.id === route.page);

  return (
    <Console.Provider value={context}>
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="top-bar">
        <span class="brand">Hi-Vis Loyalty</span>
        <span class="who" data-testid="operator">
          {operator.name} · <span data-testid="role">{operator.role === 'admin' ? 'Admin' : 'Viewer'}</span>
        </span>
        <button type="button" class="secondary" onClick={() => session.signOut()} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <div class="layout">
        <nav class="side-nav" aria-label="Console">
          <ul>
            {visible.map((p) => (
              <li key={p.id}>
                <a href={href(p.id)} aria-current={p.id === current?.id ? 'page' : undefined} data-testid={`nav-${p.id}`}>
                  {p.label}
                  {p.id === 'review' && waiting && waiting.review > 0 ? (
                    <span class="count" data-testid="review-count">
                      {waiting.review}
                      <span class="visually-hidden"> waiting</span>
                    </span>
                  ) : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1} data-testid={`page-${current?.id ?? 'missing'}`}>
          {current ? (
            current.render(route)
          ) : (
            <section>
              <h1 tabIndex={-1} data-page-title>
                Page not found
              </h1>
              <p>
                There is no page “{route.page}” here{PAGES.some((p) => p.id === route.page) ? ' for your role' : ''}.{' '}
                <a href={href('integration')}>Go to Integration</a>.
              </p>
            </section>
          )}
        </main>
      </div>
    </Console.Provider>
  );
}
