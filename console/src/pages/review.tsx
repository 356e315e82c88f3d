import { useState } from 'preact/hooks';
import { type Page, segment } from '../api';
import { useConsole } from '../context';
import { dollars, moment, words } from '../format';
import { href, type Route } from '../router';
import type { Conflict, Failure, Sale } from '../types';
import { Badge, Confirm, ErrorNote, Loading, MoreButton, Notice, PageHeader, Table, useCursorList } from '../ui';
import { CustomerPicker } from './customer-picker';

const TABS = [
  { id: 'failures', label: 'Failures' },
  { id: 'unmatched', label: 'Unmatched sales' },
  { id: 'conflicts', label: 'Conflicts' },
] as const;

/** Work waiting for a person: records that could not be processed, sales no single customer matches, conflicts. */
export function ReviewPage({ route }: { route: Route }) {
  const tab = TABS.find((t) => t.id === route.params.get('tab'))?.id ?? 'failures';
  return (
    <section>
      <PageHeader title="Review" />
      <nav class="tabs" aria-label="Review lists">
        {TABS.map((t) => (
          <a
            key={t.id}
            href={href('review', undefined, { tab: t.id })}
            aria-current={t.id === tab ? 'page' : undefined}
            data-testid={`tab-${t.id}`}
          >
            {t.label}
          </a>
        ))}
      </nav>
      {tab === 'failures' ? <Failures /> : tab === 'unmatched' ? <Unmatched /> : <Conflicts />}
    </section>
  );
}

function Failures() {
  const { api, canChange, refreshCounts } = useConsole();
  const list = useCursorList((cursor) => api.get<Page<Failure>>('/admin/failures', { limit: 25, cursor }), []);
  const [retrying, setRetrying] = useState<Failure>();
  const [notice, setNotice] = useState<string>();
  const retry = async (failure: Failure) => {
    const result = await api.post<{ outcome?: string; status?: string }>(`/admin/failures/${segment(failure.failureId)}/retry`);
    setNotice(`Retried ${failure.transactionId ?? failure.failureId}: ${words(result.outcome ?? result.status ?? 'done')}.`);
    await list.reload();
    refreshCounts();
  };
  return (
    <>
      {notice ? <Notice testId="notice">{notice}</Notice> : null}
      <ErrorNote error={list.error} />
      {list.items.length === 0 && !list.loading ? <p class="muted">Nothing failed in the last days.</p> : null}
      <ul class="cards" data-testid="failures">
        {list.items.map((f) => (
          <li key={f.failureId} class="card" data-testid="failure" data-failure-id={f.failureId}>
            <div class="card-head">
              <Badge tone={f.status === 'open' ? 'bad' : 'good'}>{words(f.status)}</Badge>
              <strong>{f.transactionId ?? 'no transaction id'}</strong>
              <span class="muted">{moment(f.lastSeenAt ?? f.firstSeenAt)}</span>
              {f.occurrences && f.occurrences > 1 ? <span class="muted">seen {f.occurrences} times</span> : null}
            </div>
            <p class="reason" data-testid="failure-reason">
              {f.reason}
            </p>
            <p class="muted">Source: {f.source}</p>
            {f.raw ? (
              <details>
                <summary>Record as received (card numbers masked){f.rawTruncated ? ', shortened' : ''}</summary>
                <pre>{f.raw}</pre>
              </details>
            ) : null}
            {canChange && f.status === 'open' ? (
              f.retryable ? (
                <button type="button" class="secondary" onClick={() => setRetrying(f)} data-testid="retry">
                  Retry
                </button>
              ) : (
                <p class="muted">Not retryable: the input could not be read as a record. Correct it at the source and send it again.</p>
              )
            ) : null}
          </li>
        ))}
      </ul>
      <Loading when={list.loading} />
      <MoreButton list={list} />
      <Confirm
        open={retrying !== undefined}
        title="Retry this record?"
        confirmLabel="Retry"
        onConfirm={() => (retrying ? retry(retrying) : Promise.resolve())}
        onClose={() => setRetrying(undefined)}
      >
        <p>It goes through validation and the award path again; a sale already awarded is not awarded twice.</p>
      </Confirm>
    </>
  );
}

function Unmatched() {
  const { api, canChange, refreshCounts } = useConsole();
  const list = useCursorList((cursor) => api.get<Page<Sale>>('/admin/unmatched', { limit: 25, cursor }), []);
  const [assigning, setAssigning] = useState<Sale>();
  const [assignee, setAssignee] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const assign = async () => {
    if (!assigning || !assignee) throw new Error('choose a customer first');
    const result = await api.post<{ assigned: boolean; alreadyAssigned?: boolean }>(
      `/admin/unmatched/${segment(assigning.transactionId)}/assign`,
      {
        userId: assignee,
      },
    );
    setNotice(
      result.assigned
        ? `${assigning.transactionId} credited to ${assignee}.`
        : `${assigning.transactionId} was already credited to ${assignee}.`,
    );
    await list.reload();
    refreshCounts();
  };
  return (
    <>
      {notice ? <Notice testId="notice">{notice}</Notice> : null}
      <ErrorNote error={list.error} />
      <Table
        caption="Unmatched sales"
        testId="unmatched"
        rows={list.items}
        rowKey={(s) => s.transactionId}
        empty="No sale is waiting for a customer."
        columns={[
          { label: 'Transaction', cell: (s) => <a href={href('transactions', s.transactionId)}>{s.transactionId}</a> },
          { label: 'Date', cell: (s) => moment(s.date) },
          { label: 'Card', cell: (s) => (s.cardLast4 ? `•••• ${s.cardLast4}` : '—') },
          { label: 'Amount', numeric: true, cell: (s) => dollars(s.amountCents) },
          {
            label: 'Why',
            cell: (s) =>
              s.unmatchedReason === 'ambiguous' ? `${s.candidateCount ?? 'several'} customers share this card` : 'unknown card',
          },
          ...(canChange
            ? [
                {
                  label: 'Action',
                  cell: (s: Sale) => (
                    <button
                      type="button"
                      class="secondary"
                      onClick={() => {
                        setAssignee(undefined);
                        setAssigning(s);
                      }}
                      data-testid="assign"
                      aria-label={`Assign ${s.transactionId} to a customer`}
                    >
                      Assign…
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
      <Loading when={list.loading} />
      <MoreButton list={list} />
      <Confirm
        open={assigning !== undefined}
        title={`Credit ${assigning?.transactionId ?? ''} to a customer`}
        confirmLabel="Credit sale"
        onConfirm={assign}
        onClose={() => setAssigning(undefined)}
      >
        <p>
          {dollars(assigning?.amountCents)} at {assigning?.machineId}, card ending {assigning?.cardLast4}. Find the customer:
        </p>
        <CustomerPicker initialCardLast4={assigning?.cardLast4} onPick={setAssignee} picked={assignee} />
      </Confirm>
    </>
  );
}

function Conflicts() {
  const { api } = useConsole();
  const list = useCursorList((cursor) => api.get<Page<Conflict>>('/admin/conflicts', { limit: 25, cursor }), []);
  return (
    <>
      <p class="muted">
        The same transaction id delivered again with different content: the first delivery stands, the others are kept here.
      </p>
      <ErrorNote error={list.error} />
      <Table
        caption="Conflicting deliveries"
        testId="conflicts"
        rows={list.items}
        rowKey={(c) => `${c.transactionId}${c.detectedAt}${c.incoming?.source}`}
        empty="No conflicting deliveries."
        columns={[
          { label: 'Transaction', cell: (c) => <a href={href('transactions', c.transactionId)}>{c.transactionId}</a> },
          { label: 'Detected', cell: (c) => moment(c.detectedAt) },
          { label: 'Source of the different delivery', cell: (c) => c.incoming?.source ?? '—' },
          { label: 'Amount received', numeric: true, cell: (c) => dollars(c.incoming?.amountCents) },
          { label: 'Stored sale', cell: (c) => (c.existingStatus ? words(c.existingStatus) : '—') },
          { label: 'Product received', cell: (c) => c.incoming?.product ?? '—' },
        ]}
      />
      <Loading when={list.loading} />
      <MoreButton list={list} />
    </>
  );
}
