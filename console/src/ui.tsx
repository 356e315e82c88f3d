import type { ComponentChildren, TargetedEvent } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, type Page } from './api';
import { href, navigate } from './router';

export const messageOf = (error: unknown) =>
  error instanceof ApiError ? error.explanation : error instanceof Error ? error.message : String(error);

/** An error as the API stated it, announced to screen readers. */
export function ErrorNote({ error, testId = 'error' }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <p class="note error" role="alert" data-testid={testId}>
      {messageOf(error)}
    </p>
  );
}

export function Notice({ children, testId }: { children: ComponentChildren; testId?: string }) {
  return (
    <p class="note success" role="status" data-testid={testId}>
      {children}
    </p>
  );
}

/** One request's life: its data, its error, whether it is under way, and a way to run it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const run = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    void run();
  }, [run]);
  return { ...state, reload: run };
}

/** Runs `tick` every `ms` while the page is visible. */
export function useInterval(tick: () => void, ms: number) {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    const id = window.setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => window.clearInterval(id);
  }, [ms]);
}

/** A list read page by page with the API's cursors: the first page on load, the next on "Show more". */
export function useCursorList<T>(loadPage: (cursor?: string) => Promise<Page<T>>, deps: unknown[]) {
  const [state, setState] = useState<{ items: T[]; cursor?: string; error?: unknown; loading: boolean; done: boolean }>({
    items: [],
    loading: true,
    done: false,
  });
  const generation = useRef(0);
  const fetchPage = useCallback(async (cursor: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    try {
      const page = await loadPage(cursor);
      if (mine !== generation.current) return;
      setState((s) => ({
        items: append ? [...s.items, ...page.items] : page.items,
        cursor: page.nextCursor,
        loading: false,
        done: !page.nextCursor,
      }));
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    void fetchPage(undefined, false);
  }, [fetchPage]);
  return {
    ...state,
    more: () => fetchPage(state.cursor, true),
    reload: () => fetchPage(undefined, false),
  };
}

export function MoreButton({ list }: { list: { loading: boolean; done: boolean; more: () => unknown; items: unknown[] } }) {
  if (list.done) return list.items.length ? <p class="muted end-of-list">End of the list.</p> : null;
  return (
    <button type="button" class="secondary" onClick={() => list.more()} disabled={list.loading} data-testid="more">
      {list.loading ? 'Loading…' : 'Show more'}
    </button>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? (
    <p class="muted" role="status" aria-live="polite">
      Loading…
    </p>
  ) : null;
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  numeric?: boolean;
}

export function Table<T>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
  testId,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty: string;
  testId?: string;
}) {
  return (
    <div class="table-wrap">
      <table data-testid={testId}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={c.numeric ? 'num' : undefined} key={c.label}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="muted">
                {empty}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c) => (
                  <td class={c.numeric ? 'num' : undefined} key={c.label}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A change that needs a second thought: a modal dialog (Escape or Cancel closes it) that runs `onConfirm`, shows
 * its progress and the API's error, and closes when it succeeds.
 */
export function Confirm({
  open,
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children?: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      setError(undefined);
      element.showModal();
    }
    if (!open && element.open) element.close();
  }, [open]);
  const submit = async (event: TargetedEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} onClose={onClose} aria-labelledby={titleId} data-testid="confirm-dialog">
      <form onSubmit={submit}>
        <h2 id={titleId} class="dialog-title">
          {title}
        </h2>
        {children}
        <ErrorNote error={error} testId="confirm-error" />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={danger ? 'danger' : undefined} disabled={busy} data-testid="confirm">
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function Badge({
  tone,
  children,
  testId,
}: {
  tone: 'good' | 'bad' | 'warn' | 'neutral';
  children: ComponentChildren;
  testId?: string;
}) {
  return (
    <span class={`badge ${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1 tabIndex={-1} data-page-title>
        {title}
      </h1>
      <div class="page-actions">{children}</div>
    </header>
  );
}

/** Form fields read as a plain record. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, name) => {
    if (typeof value === 'string') values[name] = value.trim();
  });
  return values;
}

/** A form's submit handler that shows `page` with the form's fields as its filters (bookmarkable, back-button friendly). */
export const showFiltered = (page: string) => (event: Event) => {
  event.preventDefault();
  navigate(href(page, undefined, formValues(event.currentTarget as HTMLFormElement)));
};

/** An operator's action in progress: whether it runs, and the error it ended with. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
