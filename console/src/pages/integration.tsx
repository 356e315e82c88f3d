import { useState } from 'preact/hooks';
import type { Page } from '../api';
import { useConsole } from '../context';
import { age, count, moment, since, words } from '../format';
import { href } from '../router';
import type { ConnectionCheck, Sale, SyncStatus } from '../types';
import { Badge, Confirm, ErrorNote, Loading, Notice, PageHeader, Table, useAction, useInterval, useLoad } from '../ui';
import { SaleTable } from './transactions';

const SOURCE_NAMES: Record<string, string> = {
  files: 'Files (S3 drops)',
  messages: 'Messages (real-time SQS)',
  reconcile: 'Safety net (every 5 minutes)',
};

const QUEUE_NAMES: Record<string, string> = {
  moma: 'Moma messages',
  fileEvents: 'File events',
  momaDlq: 'Moma messages: dead letters',
  fileEventsDlq: 'File events: dead letters',
};

const tone = (state: string) => (state === 'running' ? 'good' : state === 'stopped' ? 'bad' : 'warn');

/** The AWS integration: is the sync running, what it has done, what waits, and whether every connection works. */
export function IntegrationPage() {
  const { api, canChange, refreshCounts } = useConsole();
  const status = useLoad(() => api.get<SyncStatus>('/admin/sync/status'), []);
  const latest = useLoad(() => api.get<Page<Sale>>('/admin/transactions', { limit: 5 }), []);
  const [loadedAt, setLoadedAt] = useState<Date>();
  useInterval(() => void Promise.all([status.reload(), latest.reload()]).then(() => setLoadedAt(new Date())), 5_000);
  const [asking, setAsking] = useState<'start' | 'stop' | 'redrive' | undefined>();
  const [notice, setNotice] = useState<string>();
  const [checks, setChecks] = useState<{ ok: boolean; checks: ConnectionCheck[] }>();
  const { busy: testing, error: testError, run } = useAction();

  const s = status.data;
  const deadLetters = s?.queues.filter((q) => q.name.endsWith('Dlq')).reduce((n, q) => n + q.waiting, 0) ?? 0;

  const change = async (action: 'start' | 'stop') => {
    const result = await api.post<{ state: string; requeuedFiles?: number; requeueComplete?: boolean }>(`/admin/sync/${action}`);
    setNotice(
      action === 'start'
        ? `Sync started${result.requeuedFiles ? `: ${result.requeuedFiles} waiting file(s) sent for processing` : ''}${result.requeueComplete === false ? '; the safety net sends the rest' : ''}.`
        : 'Sync stopped: new sales wait in their queues until it starts again.',
    );
    await status.reload();
    refreshCounts();
  };
  const redrive = async () => {
    const { redrives } = await api.post<{ redrives: { queue: string; messages: number }[] }>('/admin/dlq/redrive', { queue: 'all' });
    const moved = redrives.reduce((n, r) => n + r.messages, 0);
    setNotice(`${count(moved)} dead letter(s) on their way back to their queues.`);
    await status.reload();
  };
  const test = () =>
    run(async () => {
      setChecks(await api.post('/admin/sync/test'));
    });

  return (
    <section>
      <PageHeader title="AWS Integration">
        {s ? (
          <Badge tone={tone(s.state)} testId="sync-state">
            {s.state === 'running' ? 'Running' : s.state === 'stopped' ? 'Stopped' : 'Partly running'}
          </Badge>
        ) : null}
        {canChange ? (
          <>
            <button type="button" onClick={() => setAsking('start')} disabled={!s || s.state === 'running'} data-testid="sync-start">
              Start AWS Sync
            </button>
            <button
              type="button"
              class="danger"
              onClick={() => setAsking('stop')}
              disabled={!s || s.state === 'stopped'}
              data-testid="sync-stop"
            >
              Stop sync
            </button>
            <button type="button" class="secondary" onClick={() => void test()} disabled={testing} data-testid="test-connection">
              {testing ? 'Testing…' : 'Test Connection'}
            </button>
          </>
        ) : null}
      </PageHeader>
      <p class="muted" data-testid="last-update">
        Refreshes every 5 seconds{loadedAt ? ` · last update ${loadedAt.toLocaleTimeString()}` : ''}.
      </p>
      {notice ? <Notice testId="notice">{notice}</Notice> : null}
      <ErrorNote error={status.error} />
      <Loading when={!s && status.loading} />

      {checks || testError ? (
        <section aria-labelledby="checks-title" class="card">
          <h2 id="checks-title">
            Connection test{' '}
            {checks ? (
              <Badge tone={checks.ok ? 'good' : 'bad'} testId="checks-result">
                {checks.ok ? 'All connected' : 'Something is wrong'}
              </Badge>
            ) : null}
          </h2>
          <ErrorNote error={testError} />
          {checks ? (
            <ul class="checks" data-testid="checks">
              {checks.checks.map((c) => (
                <li key={c.name} class={c.ok ? 'ok' : 'failed'} data-testid={`check-${c.name}`} data-ok={String(c.ok)}>
                  <span class="check-mark" aria-hidden="true">
                    {c.ok ? '✓' : '✗'}
                  </span>
                  <strong>{c.name}</strong> <span class="visually-hidden">{c.ok ? 'works' : 'failed'}</span>
                  <span class="check-detail">{c.detail}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}

      {s ? (
        <>
          <div class="tiles">
            {Object.entries(s.sources).map(([name, source]) => (
              <div class="tile" key={name} data-testid={`source-${name}`}>
                <h2>{SOURCE_NAMES[name] ?? name}</h2>
                <Badge tone={tone(source.state)}>{words(source.state)}</Badge>
                <p class="muted" title={moment(source.lastProcessedAt)}>
                  Last processed {since(source.lastProcessedAt)}
                </p>
              </div>
            ))}
          </div>
          <h2>Counts</h2>
          <dl class="counts">
            <Count label="Sales awarded" value={s.counts.transactionsAwarded} testId="count-awarded" />
            <Count label="Points awarded" value={s.counts.pointsAwarded} />
            <Count label="Reversed" value={s.counts.reversed} />
            <Count label="Duplicates ignored" value={s.counts.duplicates} />
            <Count label="Conflicts" value={s.counts.conflicts} />
            <Count label="Failures open" value={Math.max(0, s.counts.failures - s.counts.failuresResolved)} />
            <Count label="Unmatched" value={s.counts.unmatched} />
          </dl>
          <h2>Latest sales</h2>
          <ErrorNote error={latest.error} />
          <SaleTable sales={latest.data?.items ?? []} testId="latest-sales" />
          <p>
            <a href={href('transactions')}>All transactions</a>
          </p>
          <h2>Queues</h2>
          <Table
            caption="Queue depths"
            testId="queues"
            rowKey={(q) => q.name}
            rows={s.queues}
            empty="No queues reported."
            columns={[
              { label: 'Queue', cell: (q) => QUEUE_NAMES[q.name] ?? q.name },
              { label: 'Waiting', numeric: true, cell: (q) => <span data-testid={`queue-${q.name}-waiting`}>{count(q.waiting)}</span> },
              { label: 'In flight', numeric: true, cell: (q) => count(q.inFlight) },
              { label: 'Oldest message', numeric: true, cell: (q) => age(q.oldestMessageAgeSeconds) },
            ]}
          />
          {canChange ? (
            <p>
              <button
                type="button"
                class="secondary"
                disabled={deadLetters === 0}
                onClick={() => setAsking('redrive')}
                data-testid="dlq-redrive"
              >
                Send {count(deadLetters)} dead letter(s) back
              </button>
            </p>
          ) : null}
        </>
      ) : null}

      <Confirm
        open={asking === 'start'}
        title="Start the AWS sync?"
        confirmLabel="Start sync"
        onConfirm={() => change('start')}
        onClose={() => setAsking(undefined)}
      >
        <p>Files and messages waiting since the sync stopped are processed at once; each sale is awarded once.</p>
      </Confirm>
      <Confirm
        open={asking === 'stop'}
        title="Stop the AWS sync?"
        confirmLabel="Stop sync"
        danger
        onConfirm={() => change('stop')}
        onClose={() => setAsking(undefined)}
      >
        <p>No points are awarded while it is stopped. Nothing is lost: Moma's files and messages wait until you start it again.</p>
      </Confirm>
      <Confirm
        open={asking === 'redrive'}
        title="Send the dead letters back?"
        confirmLabel="Send back"
        onConfirm={redrive}
        onClose={() => setAsking(undefined)}
      >
        <p>Messages that failed repeatedly go back to their queues and are processed again; sales already awarded are not awarded twice.</p>
      </Confirm>
    </section>
  );
}

function Count({ label, value, testId }: { label: string; value: number; testId?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-testid={testId}>{count(value)}</dd>
    </div>
  );
}
