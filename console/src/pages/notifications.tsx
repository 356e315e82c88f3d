import type { Page } from '../api';
import { useConsole } from '../context';
import { count, moment, words } from '../format';
import { href } from '../router';
import type { NotificationEntry } from '../types';
import { ErrorNote, Loading, MoreButton, PageHeader, Table, useCursorList } from '../ui';

/** What customers were told (points, punch cards, bonuses, tiers) and what operators were alerted to. */
export function NotificationsPage() {
  const { api } = useConsole();
  const list = useCursorList((cursor) => api.get<Page<NotificationEntry>>('/admin/notifications', { limit: 25, cursor }), []);
  return (
    <section>
      <PageHeader title="Notifications" />
      <ErrorNote error={list.error} />
      <Table
        caption="Notifications sent"
        testId="notifications"
        rows={list.items}
        rowKey={(n) => n.eventId}
        empty="No notifications in the last 30 days."
        columns={[
          { label: 'When', cell: (n) => moment(n.occurredAt) },
          { label: 'Event', cell: (n) => words(n.eventType) },
          { label: 'Customer', cell: (n) => (n.userId ? <a href={href('customers', n.userId)}>{n.userId}</a> : (n.audience ?? '—')) },
          { label: 'Message', cell: (n) => n.message },
          { label: 'Balance', numeric: true, cell: (n) => count(n.balanceAfter) },
          { label: 'Sent to', cell: (n) => (n.channels ?? []).join(', ') || '—' },
          { label: 'Sale', cell: (n) => (n.transactionId ? <a href={href('transactions', n.transactionId)}>{n.transactionId}</a> : '—') },
        ]}
      />
      <Loading when={list.loading} />
      <MoreButton list={list} />
    </section>
  );
}
