import type { Page } from '../api';
import { useConsole } from '../context';
import { moment } from '../format';
import { href, type Route } from '../router';
import type { AuditEntry } from '../types';
import { Badge, ErrorNote, Loading, MoreButton, PageHeader, showFiltered, Table, useCursorList } from '../ui';

/** Who did what to which record, and how it ended: every change and every read of one customer's data. */
export function AuditPage({ route }: { route: Route }) {
  const { api } = useConsole();
  const filter = {
    actor: route.params.get('actor') ?? '',
    target: route.params.get('target') ?? '',
    action: route.params.get('action') ?? '',
  };
  const list = useCursorList(
    (cursor) => api.get<Page<AuditEntry>>('/admin/audit', { ...filter, limit: 25, cursor }),
    [filter.actor, filter.target, filter.action],
  );
  return (
    <section>
      <PageHeader title="Audit trail" />
      <form class="filters" onSubmit={showFiltered('audit')} aria-label="Filter the audit trail">
        <label>
          Actor id
          <input name="actor" defaultValue={filter.actor} maxLength={128} />
        </label>
        <label>
          Target
          <input name="target" defaultValue={filter.target} maxLength={128} placeholder="customer:…" />
        </label>
        <label>
          Action
          <input name="action" defaultValue={filter.action} maxLength={128} placeholder="POST /admin/sync/stop" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={list.error} />
      <Table
        caption="Audit entries"
        testId="audit"
        rows={list.items}
        rowKey={(e) => e.auditId}
        empty="No audit entries match."
        columns={[
          { label: 'When', cell: (e) => moment(e.at) },
          { label: 'Who', cell: (e) => <a href={href('audit', undefined, { actor: e.actorId })}>{e.actorName}</a> },
          { label: 'Action', cell: (e) => <code>{e.action}</code> },
          { label: 'Target', cell: (e) => <a href={href('audit', undefined, { target: e.target })}>{e.target}</a> },
          {
            label: 'Outcome',
            cell: (e) => (
              <Badge tone={e.outcome === 'succeeded' ? 'good' : e.outcome === 'refused' ? 'warn' : 'bad'}>
                {e.outcome} ({e.status})
              </Badge>
            ),
          },
          { label: 'Detail', cell: (e) => e.detail ?? '' },
        ]}
      />
      <Loading when={list.loading} />
      <MoreButton list={list} />
    </section>
  );
}
