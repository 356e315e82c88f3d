import { useState } from 'preact/hooks';
import { segment } from '../api';
import { useConsole } from '../context';
import { count, moment } from '../format';
import { href, navigate, type Route } from '../router';
import type { CampaignDefinition, CampaignHistory, CampaignList, CampaignView } from '../types';
import { Badge, Confirm, ErrorNote, formValues, Loading, Notice, PageHeader, Table, useAction, useLoad } from '../ui';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const statusTone = (status: CampaignView['status']) => (status === 'active' ? 'good' : status === 'scheduled' ? 'warn' : 'neutral');

export function describeReward(reward: CampaignDefinition['reward']): string {
  if (reward.kind === 'multiplier') return `${reward.factor}× points`;
  if (reward.kind === 'bonus') return `+${count(reward.points)} points`;
  return `every ${reward.purchases}th: +${count(reward.bonusPoints)} points`;
}

export function describeConditions({ when, caps }: CampaignDefinition): string {
  const parts = [
    when.products ? `products ${when.products.join(', ')}` : 'any product',
    when.machines ? `at ${when.machines.join(', ')}` : 'any machine',
  ];
  if (when.daysOfWeek) parts.push(when.daysOfWeek.map((d) => DAYS[d - 1]).join(' '));
  if (when.hours) parts.push(`${when.hours.from}:00–${when.hours.to}:00`);
  if (when.dates) parts.push(`${when.dates.from ?? '…'} to ${when.dates.to ?? '…'}`);
  if (caps?.perCustomerPerDay) parts.push(`at most ${count(caps.perCustomerPerDay)} a day`);
  if (caps?.perCustomer) parts.push(`at most ${count(caps.perCustomer)} each`);
  return parts.join(' · ');
}

/** Earning rules on top of the program: list, create, change (a new version) and end. */
export function CampaignsPage({ route }: { route: Route }) {
  return route.id ? <CampaignDetail campaignId={route.id} /> : <CampaignIndex />;
}

function CampaignIndex() {
  const { api, canChange } = useConsole();
  const list = useLoad(() => api.get<CampaignList>('/admin/campaigns'), [api]);
  const [created, setCreated] = useState<string>();
  return (
    <section>
      <PageHeader title="Campaigns" />
      <p>
        A sale earns a campaign's points when it meets every condition, in the program's time zone{' '}
        <strong>{list.data?.timeZone ?? '…'}</strong>. A change takes effect {list.data?.takesEffectAfterSeconds ?? '…'} s after it is
        saved; sales are always awarded under the campaigns in force at their date.
      </p>
      <ErrorNote error={list.error} />
      {created ? <Notice testId="campaign-created">Created {created}.</Notice> : null}
      <Table
        caption="Campaigns"
        testId="campaigns"
        rows={list.data?.items ?? []}
        rowKey={(c) => c.id}
        empty="No campaigns yet."
        columns={[
          { label: 'Name', cell: (c) => <a href={href('campaigns', c.id)}>{c.name}</a> },
          { label: 'Status', cell: (c) => <Badge tone={statusTone(c.status)}>{c.status}</Badge> },
          { label: 'Reward', cell: (c) => describeReward(c.reward) },
          { label: 'When', cell: (c) => describeConditions(c) },
          { label: 'Stacking', cell: (c) => (c.stacking === 'best_of' ? 'best of' : 'adds') },
          { label: 'Version', numeric: true, cell: (c) => c.version },
          { label: 'In force from', cell: (c) => moment(c.validFrom) },
        ]}
      />
      <Loading when={list.loading} />
      {canChange && list.data ? (
        <section class="card" aria-labelledby="new-campaign-title">
          <h2 id="new-campaign-title">New campaign</h2>
          <CampaignForm
            groups={list.data.machineGroups}
            submitLabel="Create campaign"
            onSave={async (definition) => {
              const saved = await api.post<CampaignHistory>('/admin/campaigns', definition);
              setCreated(saved.current.name);
              await list.reload();
            }}
          />
        </section>
      ) : null}
    </section>
  );
}

function CampaignDetail({ campaignId }: { campaignId: string }) {
  const { api, canChange } = useConsole();
  const history = useLoad(() => api.get<CampaignHistory>(`/admin/campaigns/${segment(campaignId)}`), [api, campaignId]);
  const settings = useLoad(() => api.get<CampaignList>('/admin/campaigns'), [api]);
  const [ending, setEnding] = useState(false);
  const [message, setMessage] = useState<string>();
  const current = history.data?.current;
  const open = current && current.validTo === null;
  return (
    <section>
      <PageHeader title={current?.name ?? 'Campaign'}>
        <a href={href('campaigns')}>All campaigns</a>
        {canChange && open ? (
          <button type="button" class="danger" onClick={() => setEnding(true)} data-testid="end-campaign">
            End campaign
          </button>
        ) : null}
      </PageHeader>
      <ErrorNote error={history.error} />
      {message ? <Notice testId="campaign-saved">{message}</Notice> : null}
      <Loading when={history.loading} />
      {current ? (
        <>
          <p>
            <Badge tone={statusTone(current.status)} testId="campaign-status">
              {current.status}
            </Badge>{' '}
            {describeReward(current.reward)} · {describeConditions(current)}
          </p>
          <Table
            caption="Versions"
            testId="campaign-versions"
            rows={history.data?.versions ?? []}
            rowKey={(v) => String(v.version)}
            empty="No versions."
            columns={[
              { label: 'Version', numeric: true, cell: (v) => v.version },
              { label: 'Reward', cell: (v) => describeReward(v.reward) },
              { label: 'When', cell: (v) => describeConditions(v) },
              { label: 'In force', cell: (v) => `${moment(v.validFrom)} – ${v.validTo ? moment(v.validTo) : 'now'}` },
              { label: 'Saved by', cell: (v) => `${v.savedBy}, ${moment(v.savedAt)}` },
            ]}
          />
          {canChange && open && settings.data ? (
            <section class="card" aria-labelledby="change-campaign-title">
              <h2 id="change-campaign-title">Change (saved as version {current.version + 1})</h2>
              <CampaignForm
                key={current.version}
                initial={current}
                groups={settings.data.machineGroups}
                submitLabel="Save new version"
                onSave={async (definition) => {
                  await api.put(`/admin/campaigns/${segment(campaignId)}`, { ...definition, expectedVersion: current.version });
                  setMessage(`Saved version ${current.version + 1}.`);
                  await history.reload();
                }}
              />
            </section>
          ) : null}
          <Confirm
            open={ending}
            title={`End “${current.name}”?`}
            confirmLabel="End campaign"
            danger
            onClose={() => setEnding(false)}
            onConfirm={async () => {
              await api.post(`/admin/campaigns/${segment(campaignId)}/end`, { expectedVersion: current.version });
              setMessage('The campaign ends shortly; sales dated after that earn nothing from it.');
              await history.reload();
            }}
          >
            <p>Sales dated from a few seconds from now earn nothing from it. Sales before keep what they earned.</p>
          </Confirm>
        </>
      ) : null}
      {!current && !history.loading ? (
        <p>
          <a href={href('campaigns')} onClick={() => navigate(href('campaigns'))}>
            Back to the campaigns
          </a>
        </p>
      ) : null}
    </section>
  );
}

const list = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
const wholeOrUndefined = (text: string | undefined) => (text ? Number(text) : undefined);

/** The definition the form describes: only the conditions given, as the API takes them. */
function definitionOf(values: Record<string, string>, days: number[]): CampaignDefinition {
  const kind = values.kind as CampaignDefinition['reward']['kind'];
  const reward: CampaignDefinition['reward'] =
    kind === 'multiplier'
      ? { kind, factor: Number(values.factor) }
      : kind === 'bonus'
        ? { kind, points: Number(values.points) }
        : { kind: 'punch_card', purchases: Number(values.purchases), bonusPoints: Number(values.bonusPoints) };
  const products = list(values.products);
  const machines = list(values.machines);
  const hasHours = values.hoursFrom !== '' && values.hoursTo !== '' && values.hoursFrom !== undefined && values.hoursTo !== undefined;
  const caps = { perCustomerPerDay: wholeOrUndefined(values.capPerDay), perCustomer: wholeOrUndefined(values.capTotal) };
  return {
    name: values.name ?? '',
    reward,
    when: {
      ...(products.length ? { products } : {}),
      ...(machines.length ? { machines } : {}),
      ...(days.length ? { daysOfWeek: days } : {}),
      ...(hasHours ? { hours: { from: Number(values.hoursFrom), to: Number(values.hoursTo) } } : {}),
      ...(values.dateFrom || values.dateTo
        ? { dates: { ...(values.dateFrom ? { from: values.dateFrom } : {}), ...(values.dateTo ? { to: values.dateTo } : {}) } }
        : {}),
    },
    ...(caps.perCustomerPerDay || caps.perCustomer ? { caps } : {}),
    stacking: kind === 'punch_card' ? 'additive' : (values.stacking as CampaignDefinition['stacking']),
  };
}

function CampaignForm({
  initial,
  groups,
  submitLabel,
  onSave,
}: {
  initial?: CampaignDefinition;
  groups: Record<string, string[]>;
  submitLabel: string;
  onSave: (definition: CampaignDefinition) => Promise<void>;
}) {
  const [kind, setKind] = useState<CampaignDefinition['reward']['kind']>(initial?.reward.kind ?? 'multiplier');
  const [days, setDays] = useState<number[]>(initial?.when.daysOfWeek ?? []);
  const { busy, error, run } = useAction();
  const reward = initial?.reward;
  const groupNames = Object.keys(groups);
  const save = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const definition = definitionOf(formValues(form), [...days].sort());
    void run(async () => {
      await onSave(definition);
      if (!initial) {
        form.reset();
        setDays([]);
        setKind('multiplier');
      }
    });
  };
  return (
    <form onSubmit={save} class="stack campaign-form" data-testid="campaign-form">
      <label>
        Name
        <input name="name" required maxLength={80} defaultValue={initial?.name} autoComplete="off" />
      </label>
      <fieldset>
        <legend>Reward</legend>
        <label>
          Kind
          <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as typeof kind)} data-testid="reward-kind">
            <option value="multiplier">Multiply the sale's points</option>
            <option value="bonus">Bonus points per sale</option>
            <option value="punch_card">Punch card: bonus every Nth sale</option>
          </select>
        </label>
        {kind === 'multiplier' ? (
          <label>
            Factor (2 doubles the points)
            <input
              name="factor"
              type="number"
              min={1.01}
              max={25}
              step={0.01}
              required
              defaultValue={reward?.kind === 'multiplier' ? String(reward.factor) : '2'}
            />
          </label>
        ) : null}
        {kind === 'bonus' ? (
          <label>
            Bonus points
            <input
              name="points"
              type="number"
              min={1}
              max={100_000}
              step={1}
              required
              defaultValue={reward?.kind === 'bonus' ? String(reward.points) : ''}
            />
          </label>
        ) : null}
        {kind === 'punch_card' ? (
          <>
            <label>
              Purchases per card
              <input
                name="purchases"
                type="number"
                min={2}
                max={100}
                step={1}
                required
                defaultValue={reward?.kind === 'punch_card' ? String(reward.purchases) : '7'}
              />
            </label>
            <label>
              Bonus points when the card fills
              <input
                name="bonusPoints"
                type="number"
                min={1}
                max={100_000}
                step={1}
                required
                defaultValue={reward?.kind === 'punch_card' ? String(reward.bonusPoints) : ''}
              />
            </label>
          </>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>When (leave a field empty for no condition)</legend>
        <label>
          Products (comma-separated; * matches any text, e.g. *coffee*)
          <input name="products" maxLength={4_000} defaultValue={initial?.when.products?.join(', ')} autoComplete="off" />
        </label>
        <label>
          Machines (comma-separated ids{groupNames.length ? `, or ${groupNames.map((g) => `group:${g}`).join(', ')}` : ''})
          <input name="machines" maxLength={13_000} defaultValue={initial?.when.machines?.join(', ')} autoComplete="off" />
        </label>
        <fieldset class="inline">
          <legend>Days of the week (none: every day)</legend>
          {DAYS.map((label, i) => (
            <label class="choice" key={label}>
              <input
                type="checkbox"
                checked={days.includes(i + 1)}
                onChange={(e) => setDays((now) => (e.currentTarget.checked ? [...now, i + 1] : now.filter((d) => d !== i + 1)))}
                data-testid={`day-${i + 1}`}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <div class="inline">
          <label>
            From hour (0–23)
            <input
              name="hoursFrom"
              type="number"
              min={0}
              max={23}
              step={1}
              defaultValue={initial?.when.hours ? String(initial.when.hours.from) : ''}
            />
          </label>
          <label>
            To hour (1–24, excluded)
            <input
              name="hoursTo"
              type="number"
              min={0}
              max={24}
              step={1}
              defaultValue={initial?.when.hours ? String(initial.when.hours.to) : ''}
            />
          </label>
        </div>
        <div class="inline">
          <label>
            First day
            <input name="dateFrom" type="date" defaultValue={initial?.when.dates?.from} />
          </label>
          <label>
            Last day
            <input name="dateTo" type="date" defaultValue={initial?.when.dates?.to} />
          </label>
        </div>
      </fieldset>
      <fieldset>
        <legend>Limits</legend>
        <div class="inline">
          <label>
            Most points per customer per day
            <input name="capPerDay" type="number" min={1} step={1} defaultValue={initial?.caps?.perCustomerPerDay?.toString()} />
          </label>
          <label>
            Most points per customer in all
            <input name="capTotal" type="number" min={1} step={1} defaultValue={initial?.caps?.perCustomer?.toString()} />
          </label>
        </div>
        {kind !== 'punch_card' ? (
          <label>
            With other campaigns
            <select name="stacking" defaultValue={initial?.stacking ?? 'additive'}>
              <option value="additive">Adds to the others</option>
              <option value="best_of">Best of: only the best-of campaign giving most counts</option>
            </select>
          </label>
        ) : null}
      </fieldset>
      <ErrorNote error={error} />
      <button type="submit" disabled={busy} data-testid="save-campaign">
        {busy ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
}
