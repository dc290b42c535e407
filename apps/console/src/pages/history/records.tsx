import { useState } from 'react';
import type { Api, Schemas } from '../../api';
import { formatDateTime } from '../../time';
import { Field, useLoad } from '../../ui';

/**
 * Shared by History, Compliance and Audit: the customer list, the door names and a "Load more"
 * list over the API's keyset cursors.
 */
export type Customer = Schemas['CustomerView'];

export function customerLabel(c: Customer): string {
  return `${c.companyName} (${c.contractRef})`;
}

export function useCustomers(api: Api) {
  return useLoad(async () => {
    const list = await api.all<Customer>('/customers', { limit: 200 });
    return list.sort((a, b) => a.companyName.localeCompare(b.companyName));
  }, [api]);
}

/** A select of customers; the value is the id so that only ids travel in URLs. */
export function CustomerSelect({
  customers,
  value,
  onChange,
  label = 'Customer',
}: {
  customers: Customer[] | undefined;
  value: string;
  onChange: (id: string) => void;
  label?: string;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={!customers}>
          <option value="">{customers ? 'Choose a customer…' : 'Loading customers…'}</option>
          {(customers ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {customerLabel(c)}
              {c.status !== 'active' ? ` — ${c.status}` : ''}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

/** `datetime-local` gives local wall time without a zone; the API wants ISO 8601 instants. */
export function localToIso(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * A keyset-paged list: the first page loads when `key` changes, "Load more" follows nextCursor
 * and appends, so rows already read stay where they are.
 */
export function usePaged<T>(fetchPage: (cursor: string | undefined, signal?: AbortSignal) => Promise<{ items: T[]; nextCursor?: string }>, key: unknown[]) {
  const [more, setMore] = useState<{ key: string; items: T[]; cursor: string | undefined } | null>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const keyString = JSON.stringify(key);
  const first = useLoad((signal) => fetchPage(undefined, signal), [keyString]);
  const extra = more && more.key === keyString ? more : null;
  const items = first.data ? [...first.data.items, ...(extra?.items ?? [])] : undefined;
  const cursor = extra ? extra.cursor : first.data?.nextCursor;
  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await fetchPage(cursor);
      setMore({ key: keyString, items: [...(extra?.items ?? []), ...page.items], cursor: page.nextCursor });
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  };
  const reload = () => {
    setMore(null);
    first.reload();
  };
  return { items, error: first.error ?? moreError, loading: first.loading, loadingMore, hasMore: Boolean(cursor), loadMore, reload };
}

/** "N rows shown, more available" and the button that fetches the next keyset page. */
export function LoadMore({ pages, one, many, className }: { pages: ReturnType<typeof usePaged<unknown>>; one: string; many: string; className: string }) {
  const n = pages.items?.length ?? 0;
  return (
    <div className={className}>
      <span className="muted" role="status">
        {n} {n === 1 ? one : many} shown{pages.hasMore ? ', more available' : ''}
      </span>
      {pages.hasMore ? (
        <button type="button" onClick={() => void pages.loadMore()} disabled={pages.loadingMore}>
          {pages.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}

/** A time on the wall clock of the site where it happened (what the guard on the floor saw), 24-hour. */
export function formatSiteTime(value: string, timeZone: string | undefined): string {
  return formatDateTime(value, timeZone);
}

/** Rows in an export, counted from the file: a CSV has a header line, JSON Lines has none. */
export async function countExportRows(blob: Blob, format: 'csv' | 'jsonl'): Promise<number> {
  const text = await blob.text();
  // CSV fields may hold quoted line breaks; the export's fields are ids, codes and times, so lines are rows.
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0).length;
  return format === 'csv' ? Math.max(0, lines - 1) : lines;
}
