import { useState } from 'preact/hooks';
import { useConsole } from '../context';
import { count } from '../format';
import { ErrorNote, useAction } from '../ui';

export interface CustomerSummary {
  userId: string;
  name?: string | null;
  tier?: string;
  points?: number;
  cards?: { last4: string }[];
}

/** Finds customers by id or by a card's last four digits, and lets the operator choose one. */
export function CustomerPicker({
  initialCardLast4,
  picked,
  onPick,
}: {
  initialCardLast4?: string;
  picked?: string;
  onPick: (userId: string) => void;
}) {
  const { api } = useConsole();
  const [query, setQuery] = useState(initialCardLast4 ?? '');
  const [found, setFound] = useState<CustomerSummary[]>();
  const { busy: searching, error, run } = useAction();
  const search = () =>
    run(async () => {
      const text = query.trim();
      const byCard = /^\d{4}$/.test(text);
      const page = await api.get<{ items: CustomerSummary[] }>('/admin/users', byCard ? { cardLast4: text } : { userId: text });
      setFound(page.items);
    });
  return (
    <div class="picker">
      <div class="inline">
        <label>
          Customer id or card's last four
          <input
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void search();
              }
            }}
            maxLength={128}
            data-testid="customer-search"
          />
        </label>
        <button
          type="button"
          class="secondary"
          onClick={() => void search()}
          disabled={searching || !query.trim()}
          data-testid="customer-search-go"
        >
          {searching ? 'Searching…' : 'Find'}
        </button>
      </div>
      <ErrorNote error={error} />
      {found ? (
        found.length ? (
          <fieldset>
            <legend>Customers found</legend>
            {found.map((c) => (
              <label key={c.userId} class="choice">
                <input
                  type="radio"
                  name="customer"
                  value={c.userId}
                  checked={picked === c.userId}
                  onChange={() => onPick(c.userId)}
                  required
                />
                <span>
                  <strong>{c.userId}</strong> {c.name && c.name !== c.userId ? `(${c.name})` : ''} · {c.tier ?? ''} · {count(c.points)}{' '}
                  points · cards {(c.cards ?? []).map((card) => `•••• ${card.last4}`).join(', ') || 'none'}
                </span>
              </label>
            ))}
          </fieldset>
        ) : (
          <p class="muted" data-testid="no-customer">
            No customer found.
          </p>
        )
      ) : null}
    </div>
  );
}
