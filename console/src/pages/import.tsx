import { useState } from 'preact/hooks';
import { useConsole } from '../context';
import { count, words } from '../format';
import { href } from '../router';
import type { ImportResult } from '../types';
import { Badge, ErrorNote, PageHeader, Table } from '../ui';

const LIMIT_BYTES = 10 * 1024 * 1024;
const HEADER = 'transactionId,date,amount,cardNumber,product,machineId';

const outcomeTone = (outcome: string) => (outcome === 'awarded' ? 'good' : outcome === 'failed' || outcome === 'conflict' ? 'bad' : 'warn');

/** The CSV fallback: drop Moma's export here and see what became of each row. */
export function ImportPage() {
  const { api, refreshCounts } = useConsole();
  const [file, setFile] = useState<{ name: string; size: number }>();
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<ImportResult>();

  const upload = async (chosen: File | undefined) => {
    if (!chosen) return;
    setFile({ name: chosen.name, size: chosen.size });
    setResult(undefined);
    setError(undefined);
    if (chosen.size > LIMIT_BYTES) {
      setError(new Error(`${chosen.name} is ${count(Math.ceil(chosen.size / 1024))} KB; the import takes at most 10 MB: split the file`));
      return;
    }
    setBusy(true);
    try {
      setResult(await api.postText<ImportResult>('/admin/import', 'text/csv', await chosen.text()));
      refreshCounts();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <PageHeader title="Import a CSV" />
      <p>
        Columns, in this order: <code>{HEADER}</code>. Each row goes through the same checks as Moma's files; importing the same file again
        awards nothing twice.
      </p>
      <label
        class={`drop-zone${over ? ' over' : ''}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void upload(e.dataTransfer?.files[0]);
        }}
      >
        <span>Drop a CSV file here, or choose one</span>
        <input
          type="file"
          accept=".csv,text/csv"
          data-testid="csv-file"
          onChange={(e) => {
            const input = e.currentTarget;
            void upload(input.files?.[0]).finally(() => {
              input.value = '';
            });
          }}
        />
      </label>
      {busy ? (
        <p role="status" aria-live="polite" data-testid="import-progress">
          <progress aria-label="Importing" /> Importing {file?.name} ({count(Math.ceil((file?.size ?? 0) / 1024))} KB)…
        </p>
      ) : null}
      <ErrorNote error={error} testId="import-error" />
      {result ? (
        <section aria-labelledby="result-title" data-testid="import-result">
          <h2 id="result-title">
            {file?.name}: {count(result.rows)} row(s)
          </h2>
          <dl class="counts">
            {(['awarded', 'duplicate', 'unmatched', 'conflict', 'failed'] as const).map((o) => (
              <div key={o}>
                <dt>{words(o)}</dt>
                <dd data-testid={`import-${o}`}>{count(result[o])}</dd>
              </div>
            ))}
          </dl>
          <Table
            caption="Outcome of each row"
            testId="import-rows"
            rows={result.outcomes}
            rowKey={(r) => String(r.line)}
            empty="The file had no rows."
            columns={[
              { label: 'Line', numeric: true, cell: (r) => r.line },
              {
                label: 'Transaction',
                cell: (r) => (r.transactionId ? <a href={href('transactions', r.transactionId)}>{r.transactionId}</a> : '—'),
              },
              { label: 'Outcome', cell: (r) => <Badge tone={outcomeTone(r.outcome)}>{words(r.outcome)}</Badge> },
              { label: 'Why', cell: (r) => r.reason ?? '' },
            ]}
          />
          {result.outcomesTruncated ? (
            <p class="muted">The first {count(result.outcomes.length)} rows are listed; the counts cover every row.</p>
          ) : null}
          {result.failed ? (
            <p>
              Failed rows are kept with their reasons in <a href={href('review')}>Review</a>.
            </p>
          ) : null}
        </section>
      ) : null}
    </section>
  );
}
