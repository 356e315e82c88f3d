import { useState } from 'preact/hooks';
import { ApiError, type Page, segment } from '../api';
import { useConsole } from '../context';
import { count, moment } from '../format';
import { href, navigate, type Route } from '../router';
import type { Customer, Redemption, RewardOption, Sale } from '../types';
import {
  Badge,
  Confirm,
  ErrorNote,
  formValues,
  Loading,
  MoreButton,
  Notice,
  PageHeader,
  Table,
  useAction,
  useCursorList,
  useLoad,
} from '../ui';
import { CustomerPicker } from './customer-picker';
import { Fact, SaleTable } from './transactions';

/** The profile as the form has it (the API replaces name, email and device; consent stays unless given). */
const profileOf = (values: Record<string, string>, pushEndpoint?: string | null) => ({
  ...(values.name ? { name: values.name } : {}),
  ...(values.email ? { email: values.email } : {}),
  ...(pushEndpoint ? { pushEndpoint } : {}),
  marketingConsent: values.marketingConsent === 'yes',
});

export function CustomersPage({ route }: { route: Route }) {
  return route.id ? <CustomerDetail userId={route.id} /> : <FindCustomer />;
}

function FindCustomer() {
  const { canChange } = useConsole();
  return (
    <section>
      <PageHeader title="Customers" />
      <section class="card" aria-labelledby="find-title">
        <h2 id="find-title">Find a customer</h2>
        <CustomerPicker onPick={(userId) => navigate(href('customers', userId))} />
      </section>
      {canChange ? <CreateCustomer /> : null}
    </section>
  );
}

function CreateCustomer() {
  const { api } = useConsole();
  const { busy, error, run } = useAction();
  const create = (event: Event) => {
    event.preventDefault();
    const values = formValues(event.currentTarget as HTMLFormElement);
    const userId = values.userId ?? '';
    void run(async () => {
      await api.put(`/admin/users/${segment(userId)}`, profileOf(values));
      navigate(href('customers', userId));
    });
  };
  return (
    <section class="card" aria-labelledby="create-title">
      <h2 id="create-title">Add a customer</h2>
      <form onSubmit={create} class="stack" data-testid="create-customer">
        <label>
          Customer id
          <input name="userId" required maxLength={128} pattern="[A-Za-z0-9._:@\-]+" autoComplete="off" />
        </label>
        <label>
          Name
          <input name="name" maxLength={200} autoComplete="off" />
        </label>
        <label>
          Email
          <input name="email" type="email" maxLength={254} autoComplete="off" />
        </label>
        <ConsentBox checked={false} />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Add customer'}
        </button>
      </form>
    </section>
  );
}

function CustomerDetail({ userId }: { userId: string }) {
  const { api, canChange } = useConsole();
  const customer = useLoad(() => api.get<Customer>(`/admin/users/${segment(userId)}`), [userId]);
  const history = useCursorList(
    (cursor) => api.get<Page<Sale>>(`/admin/users/${segment(userId)}/transactions`, { limit: 25, cursor }),
    [userId],
  );
  const redemptions = useCursorList(
    (cursor) => api.get<Page<Redemption>>(`/admin/users/${segment(userId)}/redemptions`, { limit: 25, cursor }),
    [userId],
  );
  const [notice, setNotice] = useState<string>();
  const [unlinking, setUnlinking] = useState<{ cardId: string; last4: string }>();
  const changed = async (message: string) => {
    setNotice(message);
    await customer.reload();
    await history.reload();
    await redemptions.reload();
  };
  const missing = customer.error instanceof ApiError && customer.error.status === 404;
  const gone = customer.error instanceof ApiError && customer.error.status === 410;
  // An erased customer's details stay off the page even though the last load had them.
  const c = gone ? undefined : customer.data;
  const erased = (message: string) => {
    setNotice(message);
    void customer.reload();
  };

  return (
    <section>
      <PageHeader title={c?.name && c.name !== userId ? `${c.name} (${userId})` : `Customer ${userId}`}>
        <a href={href('customers')}>Find another customer</a>
      </PageHeader>
      {notice ? <Notice testId="notice">{notice}</Notice> : null}
      {missing ? <p role="alert">No customer has the id {userId}.</p> : <ErrorNote error={customer.error} />}
      <Loading when={!c && customer.loading} />
      {c ? (
        <>
          <dl class="facts" data-testid="customer-detail">
            <Fact label="Points">
              <span data-testid="customer-points">{count(c.points)}</span>
            </Fact>
            <Fact label="Lifetime points">{count(c.lifetimePoints)}</Fact>
            <Fact label="Tier">
              <span data-testid="customer-tier">{c.tier}</span>
            </Fact>
            <Fact label="Punch card">
              <meter min={0} max={c.punchCard.of} value={c.punchCard.punches} aria-label="Punch card progress" /> {c.punchCard.punches} of{' '}
              {c.punchCard.of} ({c.punchCard.completed} completed, {count(c.punchCard.bonusPoints)} bonus points each)
            </Fact>
            <Fact label="Purchases">{count(c.purchaseCount)}</Fact>
            <Fact label="Email">{c.email ?? '—'}</Fact>
            <Fact label="Marketing messages">
              <span data-testid="customer-consent">
                {c.marketingConsent ? 'agreed' : 'not agreed'}
                {c.marketingConsentAt ? ` (since ${moment(c.marketingConsentAt)})` : ''}
              </span>
            </Fact>
            <Fact label="Customer since">{moment(c.createdAt)}</Fact>
          </dl>
          <section aria-labelledby="cards-title">
            <h2 id="cards-title">Cards</h2>
            {c.cards.length ? (
              <ul class="card-list" data-testid="customer-cards">
                {c.cards.map((card) => (
                  <li key={card.cardId}>
                    •••• {card.last4} <span class="muted">linked {moment(card.linkedAt)}</span>
                    {canChange ? (
                      <button
                        type="button"
                        class="link"
                        onClick={() => setUnlinking(card)}
                        aria-label={`Unlink the card ending ${card.last4}`}
                        data-testid="unlink-card"
                      >
                        Unlink
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">No card linked.</p>
            )}
            {canChange ? <LinkCard userId={userId} onLinked={changed} /> : null}
          </section>
          {canChange ? <Redeem userId={userId} rewards={c.rewards ?? []} onRedeemed={changed} /> : null}
          <Redemptions userId={userId} list={redemptions} canChange={canChange} onReversed={changed} />
          {canChange ? <Adjust userId={userId} onAdjusted={changed} /> : null}
          {canChange ? <EditProfile customer={c} onSaved={changed} /> : null}
          {canChange ? <PersonalData userId={userId} onErased={erased} /> : null}
        </>
      ) : null}
      {gone && canChange && /being erased/.test(customer.error instanceof Error ? customer.error.message : '') ? (
        <PersonalData userId={userId} onErased={erased} resumeOnly />
      ) : null}
      {!missing && !gone ? (
        <section aria-labelledby="history-title">
          <h2 id="history-title">History</h2>
          <ErrorNote error={history.error} />
          <SaleTable sales={history.items} testId="customer-history" />
          <MoreButton list={history} />
        </section>
      ) : null}
      <Confirm
        open={unlinking !== undefined}
        title={`Unlink the card ending ${unlinking?.last4 ?? ''}?`}
        confirmLabel="Unlink card"
        danger
        onConfirm={async () => {
          if (!unlinking) return;
          await api.delete(`/admin/users/${segment(userId)}/cards/${segment(unlinking.cardId)}`);
          await changed(`Card ending ${unlinking.last4} unlinked: its future sales are held as unmatched.`);
        }}
        onClose={() => setUnlinking(undefined)}
      >
        <p>Points already earned stay; sales with this card are no longer credited to this customer.</p>
      </Confirm>
    </section>
  );
}

function LinkCard({ userId, onLinked }: { userId: string; onLinked: (message: string) => Promise<void> }) {
  const { api } = useConsole();
  const { busy, error, run } = useAction();
  const link = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const { cardNumber = '' } = formValues(form);
    void run(async () => {
      const result = await api.post<{ card?: { last4: string }; last4?: string; creditedUnmatchedSales?: unknown[] }>(
        `/admin/users/${segment(userId)}/cards`,
        {
          cardNumber,
        },
      );
      // The number leaves the page as soon as the API has it: only its last four are ever shown again.
      form.reset();
      const last4 = result.card?.last4 ?? result.last4 ?? cardNumber.replace(/\D/g, '').slice(-4);
      const credited = result.creditedUnmatchedSales?.length ?? 0;
      await onLinked(`Card ending ${last4} linked${credited ? `; ${credited} earlier unmatched sale(s) credited` : ''}.`);
    });
  };
  return (
    <form onSubmit={link} class="inline" data-testid="link-card">
      <label>
        Card number
        <input name="cardNumber" required maxLength={64} inputMode="numeric" autoComplete="off" spellcheck={false} />
      </label>
      <button type="submit" class="secondary" disabled={busy}>
        {busy ? 'Linking…' : 'Link card'}
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

function Adjust({ userId, onAdjusted }: { userId: string; onAdjusted: (message: string) => Promise<void> }) {
  const { api } = useConsole();
  // One key per adjustment being written: sending the same form twice (a double click, a retry) applies it once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const { busy, error, run } = useAction();
  const adjust = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const { points = '', reason = '' } = formValues(form);
    void run(async () => {
      const result = await api.post<{ applied: boolean; balance?: number }>(`/admin/users/${segment(userId)}/adjustments`, {
        points: Number(points),
        reason,
        idempotencyKey: key,
      });
      form.reset();
      setKey(crypto.randomUUID());
      await onAdjusted(
        result.applied ? `Adjusted by ${points} point(s); balance ${count(result.balance)}.` : 'This adjustment was already applied.',
      );
    });
  };
  return (
    <section class="card" aria-labelledby="adjust-title">
      <h2 id="adjust-title">Adjust points</h2>
      <form onSubmit={adjust} class="stack" data-testid="adjust">
        <label>
          Points (negative to take away)
          <input name="points" type="number" step={1} min={-1_000_000} max={1_000_000} required />
        </label>
        <label>
          Reason
          <input name="reason" required maxLength={500} />
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Apply adjustment'}
        </button>
      </form>
    </section>
  );
}

function Redeem({
  userId,
  rewards,
  onRedeemed,
}: {
  userId: string;
  rewards: RewardOption[];
  onRedeemed: (message: string) => Promise<void>;
}) {
  const { api } = useConsole();
  // One key per redemption being made: a double click, or sending the same attempt again, redeems once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [issued, setIssued] = useState<Redemption>();
  const { busy, error, run } = useAction();
  const affordable = rewards.filter((r) => r.affordable);
  const redeem = (event: Event) => {
    event.preventDefault();
    const { rewardId = '' } = formValues(event.currentTarget as HTMLFormElement);
    void run(async () => {
      const result = await api.post<{ redeemed: boolean; redemption: Redemption; balance: number }>(
        `/admin/users/${segment(userId)}/redemptions`,
        { rewardId, idempotencyKey: key },
      );
      setKey(crypto.randomUUID());
      setIssued(result.redemption);
      await onRedeemed(
        result.redeemed
          ? `Redeemed ${result.redemption.rewardName} for ${count(result.redemption.points)} points; balance ${count(result.balance)}.`
          : 'This redemption was already made.',
      );
    });
  };
  return (
    <section class="card" aria-labelledby="redeem-title">
      <h2 id="redeem-title">Redeem points</h2>
      {rewards.length ? (
        <form onSubmit={redeem} class="inline" data-testid="redeem">
          <label>
            Reward
            {/* Another reward is another redemption: it gets a key of its own. */}
            <select name="rewardId" required onChange={() => setKey(crypto.randomUUID())} data-testid="redeem-reward">
              {rewards.map((reward) => (
                <option key={reward.id} value={reward.id} disabled={!reward.affordable}>
                  {reward.name}: {count(reward.points)} points{reward.affordable ? '' : ' (not enough points)'}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={busy || affordable.length === 0}>
            {busy ? 'Redeeming…' : 'Redeem'}
          </button>
          <ErrorNote error={error} />
        </form>
      ) : (
        <p class="muted">The program offers no rewards.</p>
      )}
      {issued ? (
        <p class="note success" role="status" data-testid="redemption-code">
          Code for {issued.rewardName}: <strong>{issued.code}</strong> (read it to the customer, or write it on the receipt)
        </p>
      ) : null}
    </section>
  );
}

type RedemptionList = ReturnType<typeof useCursorList<Redemption>>;

function Redemptions({
  userId,
  list,
  canChange,
  onReversed,
}: {
  userId: string;
  list: RedemptionList;
  canChange: boolean;
  onReversed: (message: string) => Promise<void>;
}) {
  const { api } = useConsole();
  const [reversing, setReversing] = useState<Redemption>();
  const [reason, setReason] = useState('');
  return (
    <section aria-labelledby="redemptions-title">
      <h2 id="redemptions-title">Redemptions</h2>
      <ErrorNote error={list.error} />
      <Table
        caption="Rewards redeemed, newest first"
        testId="customer-redemptions"
        rows={list.items}
        rowKey={(r) => r.redemptionId}
        empty={list.loading ? 'Loading…' : 'No redemption yet.'}
        columns={[
          { label: 'When', cell: (r) => moment(r.createdAt) },
          { label: 'Reward', cell: (r) => r.rewardName },
          { label: 'Points', numeric: true, cell: (r) => count(r.points) },
          { label: 'Code', cell: (r) => r.code },
          {
            label: 'Status',
            cell: (r) =>
              r.status === 'issued' ? (
                <Badge tone="good">issued</Badge>
              ) : (
                <span title={r.reversalReason ? `reason: ${r.reversalReason}` : undefined}>
                  <Badge tone="neutral">reversed</Badge> <span class="muted">{moment(r.reversedAt)}</span>
                </span>
              ),
          },
          { label: 'By', cell: (r) => r.madeBy },
          ...(canChange
            ? [
                {
                  label: 'Action',
                  cell: (r: Redemption) =>
                    r.status === 'issued' ? (
                      <button
                        type="button"
                        class="link"
                        onClick={() => setReversing(r)}
                        aria-label={`Reverse the redemption of ${r.rewardName}, code ${r.code}`}
                        data-testid="reverse-redemption"
                      >
                        Reverse
                      </button>
                    ) : null,
                },
              ]
            : []),
        ]}
      />
      <MoreButton list={list} />
      <Confirm
        open={reversing !== undefined}
        title={`Reverse the redemption of ${reversing?.rewardName ?? ''}?`}
        confirmLabel="Reverse redemption"
        danger
        onConfirm={async () => {
          if (!reversing) return;
          const result = await api.post<{ balance: number }>(
            `/admin/users/${segment(userId)}/redemptions/${segment(reversing.redemptionId)}/reverse`,
            { reason },
          );
          setReason('');
          await onReversed(
            `Redemption ${reversing.code} reversed: ${count(reversing.points)} points back; balance ${count(result.balance)}.`,
          );
        }}
        onClose={() => setReversing(undefined)}
      >
        <p>
          Its {count(reversing?.points)} points go back to the balance; the code {reversing?.code} must no longer be honoured.
        </p>
        <label>
          Reason (kept with the redemption and in the audit trail)
          <input
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
            maxLength={500}
            required
            data-testid="reverse-redemption-reason"
          />
        </label>
      </Confirm>
    </section>
  );
}

function EditProfile({ customer, onSaved }: { customer: Customer; onSaved: (message: string) => Promise<void> }) {
  const { api } = useConsole();
  const { busy, error, run } = useAction();
  const save = (event: Event) => {
    event.preventDefault();
    const values = formValues(event.currentTarget as HTMLFormElement);
    void run(async () => {
      await api.put(`/admin/users/${segment(customer.userId)}`, profileOf(values, customer.pushEndpoint));
      await onSaved('Profile saved.');
    });
  };
  return (
    <details class="card">
      <summary>Edit profile</summary>
      <form onSubmit={save} class="stack">
        <label>
          Name
          <input name="name" defaultValue={customer.name ?? ''} maxLength={200} />
        </label>
        <label>
          Email
          <input name="email" type="email" defaultValue={customer.email ?? ''} maxLength={254} />
        </label>
        <ConsentBox checked={customer.marketingConsent} />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          Save profile
        </button>
      </form>
    </details>
  );
}

function ConsentBox({ checked }: { checked: boolean }) {
  return (
    <label class="choice">
      <input type="checkbox" name="marketingConsent" value="yes" defaultChecked={checked} />
      Agrees to marketing messages (points earned); service messages about the account are always sent
    </label>
  );
}

type ExportPart = Record<string, unknown> & { section: string; items?: unknown[]; nextCursor?: string };
/** Each call works up to 20 s: this many is several minutes, enough for a history of hundreds of thousands of sales. */
const MAX_ERASE_CALLS = 30;

type ErasureResult = { complete: boolean; erased?: boolean; alreadyErased?: boolean; moved?: Record<string, number> };

/** The export's parts as one document: the profile's fields, then each section's items in order. */
function exportDocument(userId: string, parts: ExportPart[]) {
  const document: Record<string, unknown> = { userId, exportedAt: parts[0]?.exportedAt };
  for (const { section, items, nextCursor: _next, userId: _id, exportedAt: _at, day: _day, ...fields } of parts) {
    if (items) document[section] = [...((document[section] as unknown[] | undefined) ?? []), ...items];
    else Object.assign(document, fields);
  }
  return document;
}

function download(fileName: string, value: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The customer's rights over their data (admins): a copy of everything held about them, and erasure. */
function PersonalData({ userId, onErased, resumeOnly }: { userId: string; onErased: (message: string) => void; resumeOnly?: boolean }) {
  const { api } = useConsole();
  const exporting = useAction();
  const [progress, setProgress] = useState<string>();
  const [erasing, setErasing] = useState(false);
  const [reason, setReason] = useState('');
  const path = `/admin/users/${segment(userId)}`;

  const exportAll = () =>
    void exporting.run(async () => {
      const parts: ExportPart[] = [];
      let cursor: string | undefined;
      do {
        const part = await api.get<ExportPart>(`${path}/export`, { cursor });
        parts.push(part);
        cursor = part.nextCursor;
        setProgress(`${parts.length} part(s) read…`);
      } while (cursor);
      download(`customer-${userId}-export.json`, exportDocument(userId, parts));
      setProgress(`Exported ${parts.length} part(s) as customer-${userId}-export.json.`);
    });

  const erase = async () => {
    // A long history is erased over several calls, each answering how far it got; past a bound, the operator decides.
    let result: ErasureResult;
    let calls = 0;
    let salesMoved = 0;
    do {
      result = await api.post<ErasureResult>(`${path}/erase`, { reason });
      salesMoved += result.moved?.sales ?? 0;
      calls++;
    } while (!result.complete && calls < MAX_ERASE_CALLS);
    if (!result.complete) {
      onErased(`The erasure of ${userId} is not finished after ${calls} calls: press Finish the erasure to go on.`);
      return;
    }
    setReason('');
    onErased(
      result.alreadyErased
        ? `Customer ${userId} was already erased.`
        : `Customer ${userId} erased: personal data and cards deleted; ${count(salesMoved)} sale(s) kept under a pseudonym.`,
    );
  };

  return (
    <section class="card" aria-labelledby="personal-data-title" data-testid="personal-data">
      <h2 id="personal-data-title">Personal data</h2>
      {resumeOnly ? (
        <p>This customer's erasure was started but not finished.</p>
      ) : (
        <p class="muted">A copy of everything held about the customer (right of access), or its erasure (right to be forgotten).</p>
      )}
      <div class="inline">
        {resumeOnly ? null : (
          <button type="button" class="secondary" onClick={exportAll} disabled={exporting.busy} data-testid="export-customer">
            {exporting.busy ? 'Exporting…' : 'Export data'}
          </button>
        )}
        <button type="button" class="danger" onClick={() => setErasing(true)} data-testid="erase-customer">
          {resumeOnly ? 'Finish the erasure' : 'Erase customer'}
        </button>
      </div>
      {progress ? (
        <p class="muted" role="status" data-testid="export-progress">
          {progress}
        </p>
      ) : null}
      <ErrorNote error={exporting.error} />
      <Confirm
        open={erasing}
        title={`Erase customer ${userId}?`}
        confirmLabel="Erase for good"
        danger
        onConfirm={erase}
        onClose={() => setErasing(false)}
      >
        <p>
          Their name, email, device and cards are deleted and cannot be brought back; their sales stay in the books under a pseudonym, and
          later sales on their cards are held as unmatched.
        </p>
        <label>
          Reason (kept in the audit trail; name no personal data)
          <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} maxLength={500} required data-testid="erase-reason" />
        </label>
      </Confirm>
    </section>
  );
}
