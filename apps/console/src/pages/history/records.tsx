import { useQuery } from '@tanstack/react-query';
import type { Api, Schemas } from '../../api';
import { keys, type Paged } from '../../queries';
import { formatDateTime } from '../../time';
import { Field } from '../../ui';

/**
 * Shared by History, Compliance and Audit: the customer list, the door names and the "Load more"
 * button of a list over the API's keyset cursors (usePaged in queries.ts).
 */
export type Customer = Schemas['CustomerView'];

export function customerLabel(c: Customer): string {
  return `${c.companyName} (${c.contractRef})`;
}

/** Every customer, by name (the People page shows the same query in the API's order). */
export function useCustomers(api: Api) {
  return useQuery({ ...customersQuery(api), select: byCompanyName });
}

/** One query for GET /customers; pages that type its rows more narrowly say so with C. */
export function customersQuery<C extends Customer = Customer>(api: Api) {
  return { queryKey: keys.customers(), queryFn: () => api.all<C>('/customers', { limit: 200 }) };
}

/** A customer's people (names decrypted by the server); none without a customer. */
export function peopleQuery<P extends { id: string; fullName: string }>(api: Api, customerId: string) {
  return {
    queryKey: keys.people(customerId),
    queryFn: () => (customerId ? api.all<P>(`/customers/${customerId}/people`, { limit: 200 }) : Promise.resolve([] as P[])),
  };
}

function byCompanyName(list: Customer[]): Customer[] {
  return [...list].sort((a, b) => a.companyName.localeCompare(b.companyName));
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

/** "N rows shown, more available" and the button that fetches the next keyset page. */
export function LoadMore({ pages, one, many, className }: { pages: Paged<unknown>; one: string; many: string; className: string }) {
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
