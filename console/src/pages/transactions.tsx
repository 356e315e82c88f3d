import { useState } from 'preact/hooks';
import { type Page, segment } from '../api';
import { useConsole } from '../context';
import { count, dollars, moment, words } from '../format';
import { href, type Route } from '../router';
import type { Sale } from '../types';
import { Badge, Confirm, ErrorNote, Loading, MoreButton, Notice, PageHeader, showFiltered, Table, useCursorList, useLoad } from '../ui';

export const statusTone = (status: string) => (status === 'awarded' ? 'good' : status === 'reversed' ? 'neutral' : 'warn');

export function TransactionsPage({ route }: { route: Route }) {
  return route.id ? <SaleDetail transactionId={route.id} /> : <SaleList params={route.params} />;
}

function SaleList({ params }: { params: URLSearchParams }) {
  const { api } = useConsole();
  const filter = {
    customer: params.get('customer') ?? '',
    machine: params.get('machine') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
  };
  const list = useCursorList(
    (cursor) =>
      api.get<Page<Sale>>('/admin/transactions', {
        customer: filter.customer,
        machine: filter.customer ? undefined : filter.machine,
        from: filter.from,
        to: filter.to,
        limit: 25,
        cursor,
      }),
    [filter.customer, filter.machine, filter.from, filter.to],
  );
  return (
    <section>
      <PageHeader title="Transactions" />
      <form class="filters" onSubmit={showFiltered('transactions')} aria-label="Filter transactions" data-testid="transaction-filters">
        <label>
          Customer id
          <input name="customer" defaultValue={filter.customer} maxLength={128} autoComplete="off" />
        </label>
        <label>
          Machine
          <input name="machine" defaultValue={filter.machine} maxLength={128} autoComplete="off" />
        </label>
        <label>
          From
          <input type="date" name="from" defaultValue={filter.from} />
        </label>
        <label>
          To
          <input type="date" name="to" defaultValue={filter.to} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {filter.customer && filter.machine ? (
        <p class="muted">A customer's sales are listed across machines; the machine filter applies without a customer.</p>
      ) : null}
      <ErrorNote error={list.error} />
      <SaleTable sales={list.items} testId="transactions" />
      <Loading when={list.loading && list.items.length === 0} />
      <MoreButton list={list} />
    </section>
  );
}

export function SaleTable({ sales, testId }: { sales: Sale[]; testId: string }) {
  return (
    <Table
      caption="Sales"
      testId={testId}
      rows={sales}
      rowKey={(s) => s.transactionId}
      empty="No sales in this range."
      columns={[
        { label: 'Transaction', cell: (s) => <a href={href('transactions', s.transactionId)}>{s.transactionId}</a> },
        { label: 'Date', cell: (s) => moment(s.date) },
        { label: 'Customer', cell: (s) => (s.userId ? <a href={href('customers', s.userId)}>{s.userId}</a> : '—') },
        { label: 'Card', cell: (s) => (s.cardLast4 ? `•••• ${s.cardLast4}` : '—') },
        { label: 'Product', cell: (s) => s.product },
        { label: 'Machine', cell: (s) => s.machineId },
        { label: 'Amount', numeric: true, cell: (s) => dollars(s.amountCents) },
        { label: 'Points', numeric: true, cell: (s) => count(s.points) },
        { label: 'Status', cell: (s) => <Badge tone={statusTone(s.status)}>{words(s.status)}</Badge> },
      ]}
    />
  );
}

function SaleDetail({ transactionId }: { transactionId: string }) {
  const { api, canChange, refreshCounts } = useConsole();
  const sale = useLoad(() => api.get<Sale>(`/admin/transactions/${segment(transactionId)}`), [transactionId]);
  const [reversing, setReversing] = useState(false);
  const [reason, setReason] = useState('refund');
  const [notice, setNotice] = useState<string>();
  const s = sale.data;

  const reverse = async () => {
    const result = await api.post<{ reversed: boolean; alreadyReversed?: boolean; balanceAfter?: number; sale?: Sale }>(
      `/admin/transactions/${segment(transactionId)}/reverse`,
      { reason },
    );
    setNotice(result.reversed ? `Reversed: ${count(s?.points)} point(s) taken back.` : 'This sale was already reversed.');
    await sale.reload();
    refreshCounts();
  };

  return (
    <section>
      <PageHeader title={`Sale ${transactionId}`}>
        <a href={href('transactions')}>All transactions</a>
        {canChange && s && s.status === 'awarded' ? (
          <button type="button" class="danger" onClick={() => setReversing(true)} data-testid="reverse">
            Reverse sale
          </button>
        ) : null}
      </PageHeader>
      {notice ? <Notice testId="notice">{notice}</Notice> : null}
      <ErrorNote error={sale.error} />
      <Loading when={!s && sale.loading} />
      {s ? (
        <>
          <dl class="facts" data-testid="sale-detail">
            <Fact label="Status">
              <Badge tone={statusTone(s.status)} testId="sale-status">
                {words(s.status)}
              </Badge>
            </Fact>
            <Fact label="Date">{moment(s.date)}</Fact>
            <Fact label="Amount">{dollars(s.amountCents)}</Fact>
            <Fact label="Product">{s.product}</Fact>
            <Fact label="Machine">{s.machineId}</Fact>
            <Fact label="Card">{s.cardLast4 ? `•••• ${s.cardLast4}` : '—'}</Fact>
            <Fact label="Customer">{s.userId ? <a href={href('customers', s.userId)}>{s.userId}</a> : '—'}</Fact>
            <Fact label="Points">
              {count(s.points)} ({count(s.purchasePoints)} for the purchase, {count(s.bonusPoints)} bonus
              {s.campaignPoints ? `, ${count(s.campaignPoints)} from campaigns` : ''})
            </Fact>
            {s.campaigns?.length ? (
              <Fact label="Campaigns">
                <ul class="plain" data-testid="sale-campaigns">
                  {s.campaigns.map((c) => (
                    <li key={c.campaignId}>
                      <a href={href('campaigns', c.campaignId)}>{c.campaignId}</a> version {c.version}: {count(c.points)} points
                      {c.punch ? ` (punch card of ${c.punch.of}${c.punch.completed ? ', completed' : ''})` : ''}
                    </li>
                  ))}
                </ul>
              </Fact>
            ) : null}
            <Fact label="Balance after">{count(s.balanceAfter)}</Fact>
            <Fact label="Tier">
              {s.tierBefore && s.tierAfter && s.tierBefore !== s.tierAfter ? `${s.tierBefore} → ${s.tierAfter}` : (s.tierAfter ?? '—')}
            </Fact>
            <Fact label="Source">{s.source ?? '—'}</Fact>
            <Fact label="Received">{moment(s.receivedAt)}</Fact>
            <Fact label="Awarded">{moment(s.awardedAt)}</Fact>
            {s.unmatchedReason ? <Fact label="Unmatched because">{words(s.unmatchedReason)}</Fact> : null}
            {s.status === 'reversed' ? (
              <Fact label="Reversed">
                {moment(s.reversedAt)} {s.reversedBy ? `by ${s.reversedBy}` : ''} {s.reversalReason ? `(${s.reversalReason})` : ''}
              </Fact>
            ) : null}
          </dl>
          {s.achievements?.length ? (
            <>
              <h2>Achievements</h2>
              <ul>
                {s.achievements.map((a) => (
                  <li key={a.type}>{words(a.type)}</li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>Conflicting deliveries</h2>
          {s.conflicts?.length ? (
            <Table
              caption="Deliveries of this transaction id with different content"
              testId="sale-conflicts"
              rows={s.conflicts}
              rowKey={(c) => `${c.detectedAt}${c.incoming?.source}`}
              empty=""
              columns={[
                { label: 'Detected', cell: (c) => moment(c.detectedAt) },
                { label: 'Source', cell: (c) => c.incoming?.source ?? '—' },
                { label: 'Amount', numeric: true, cell: (c) => dollars(c.incoming?.amountCents) },
                { label: 'Product', cell: (c) => c.incoming?.product ?? '—' },
                { label: 'Machine', cell: (c) => c.incoming?.machineId ?? '—' },
              ]}
            />
          ) : (
            <p class="muted">None: every delivery of this sale carried the same content.</p>
          )}
        </>
      ) : null}
      <Confirm
        open={reversing}
        title={`Reverse sale ${transactionId}?`}
        confirmLabel="Reverse sale"
        danger
        onConfirm={reverse}
        onClose={() => setReversing(false)}
      >
        <p>
          The customer loses the {count(s?.points)} point(s) of this sale (and a punch-card bonus it completed). This is recorded in the
          audit trail.
        </p>
        <label>
          Reason
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={500} required data-testid="reverse-reason" />
        </label>
      </Confirm>
    </section>
  );
}

export function Fact({ label, children }: { label: string; children: preact.ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
