import { keepPreviousData, QueryClient, useInfiniteQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import type { Page } from './api';

/**
 * Server data in the console goes through TanStack Query: one cache per signed-in session (the
 * shell makes a new client for each, so nothing read under one token is shown under another),
 * queries keyed per resource below, and changes that invalidate the keys they touch instead of
 * each page reloading its own lists by hand.
 */
export function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A refused or failed read shows its problem at once, as the desk has always seen it;
        // retrying a 403 or a validation error three times would only delay the message.
        retry: false,
        // The desk keeps the console open beside other windows: coming back to it must not
        // fire every list's request again. Live state comes over server-sent events instead.
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
}

/**
 * Query keys, one tree per resource as the API's paths nest them: invalidating a prefix (a
 * customer's people) also invalidates what lies below it (one person, their access).
 */
export const keys = {
  customers: () => ['customers'] as const,
  customer: (customerId: string) => ['customers', customerId] as const,
  people: (customerId: string) => ['customers', customerId, 'people'] as const,
  person: (customerId: string, personId: string) => ['customers', customerId, 'people', personId] as const,
  access: (customerId: string, personId: string) => ['customers', customerId, 'people', personId, 'access'] as const,
  grants: (customerId: string) => ['customers', customerId, 'grants'] as const,
  accessEvents: (customerId: string, filters: unknown) => ['customers', customerId, 'access-events', 'list', filters] as const,
  totals: (customerId: string, query: unknown) => ['customers', customerId, 'access-events', 'totals', query] as const,
  fingerprints: (personId: string) => ['fingerprints', personId] as const,
  accessLevels: () => ['access-levels'] as const,
  accessRequests: (customerId: string, filter?: unknown) =>
    filter === undefined ? (['customers', customerId, 'access-requests'] as const) : (['customers', customerId, 'access-requests', filter] as const),
  requestQueue: (filter?: unknown) => (filter === undefined ? (['access-requests'] as const) : (['access-requests', filter] as const)),
  pendingRequests: () => ['access-requests', 'pending-count'] as const,
  requestableLevels: (customerId: string) => ['customers', customerId, 'requestable-access-levels'] as const,
  /** A customer administrator's own notification settings, and the customer's data-subject cases. */
  enrolmentOf: (customerId: string) => ['customers', customerId, 'enrolment'] as const,
  notificationSettings: (customerId: string) => ['customers', customerId, 'notification-settings'] as const,
  customerCases: (customerId: string) => ['customers', customerId, 'data-subject-requests'] as const,
  visitors: (customerId: string) => ['customers', customerId, 'visitors'] as const,
  visitorsToday: () => ['visitors', 'today'] as const,
  visitorsTodayCount: () => ['visitors', 'today', 'count'] as const,
  preApproved: (customerId: string) => ['customers', customerId, 'pre-approved-access-levels'] as const,
  doors: () => ['doors'] as const,
  sites: () => ['sites'] as const,
  readerLibraries: () => ['reader-libraries'] as const,
  reasons: () => ['badge-in', 'reasons'] as const,
  liveDirectory: () => ['monitor', 'directory'] as const,
  /** Doors with their controllers and the reader loops: read together, shown together. */
  liveBoard: () => ['monitor', 'board'] as const,
  /** OSDP card readers and their bus state (polled: the stream carries none of it). */
  liveCardReaders: () => ['monitor', 'card-readers'] as const,
  /** Failover leases: who serves which group's readers and controllers (polled). */
  deviceLeases: () => ['cluster', 'device-leases'] as const,
  /** Degraded mode: the database unreachable, badge-ins decided from memory (polled). */
  degradedMode: () => ['health', 'degraded'] as const,
  /** A person's cards (masked) and the desk card readers that issue them. */
  cards: (personId: string) => ['cards', personId] as const,
  deskCardReaders: () => ['card-readers', 'enrolment'] as const,
  zones: () => ['zones'] as const,
  openAlarms: () => ['alarms', 'open'] as const,
  openSecurityAlarms: () => ['monitor', 'security-alarms', 'open'] as const,
  auditNames: (role: string) => ['audit', 'names', role] as const,
  audit: (filters: unknown) => ['audit', 'entries', filters] as const,
  certificates: () => ['compliance', 'certificates'] as const,
  certificate: (id: string) => ['compliance', 'certificates', id] as const,
  legalHolds: () => ['compliance', 'legal-holds'] as const,
  requests: (filter?: unknown) => (filter === undefined ? (['compliance', 'requests'] as const) : (['compliance', 'requests', filter] as const)),
  erasures: () => ['compliance', 'erasures'] as const,
  erasure: (jobId: string) => ['compliance', 'erasures', jobId] as const,
  purgesDue: () => ['compliance', 'purges-due'] as const,
  purgePreview: (customerId: string) => ['compliance', 'purge-preview', customerId] as const,
  checkpoints: () => ['compliance', 'checkpoints'] as const,
  undonePurges: () => ['compliance', 'undone-purges'] as const,
  /** The signed-in staff member's own second factor and browser sessions (the Security page). */
  ownTotp: () => ['auth', 'totp'] as const,
  ownSessions: () => ['auth', 'sessions'] as const,
  ownPasskeys: () => ['auth', 'passkeys'] as const,
  /** Every person account, with whether its sign-in is set up (admins' Accounts page). */
  accounts: () => ['staff'] as const,
};

/** Marks what a change touched as stale; mounted queries under those keys read again. */
export function useInvalidate(): (...queryKeys: QueryKey[]) => Promise<void> {
  const client = useQueryClient();
  return async (...queryKeys) => {
    await Promise.all(queryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
  };
}

/**
 * A keyset-paged list: the first page loads when the key changes, "Load more" follows
 * nextCursor and appends, so rows already read stay where they are. While new filters load,
 * the rows of the old ones stay (the table says it is busy) instead of blanking the page.
 */
export function usePaged<T>(queryKey: QueryKey, fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>) {
  const client = useQueryClient();
  const q = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) => fetchPage(pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor || undefined,
    placeholderData: keepPreviousData,
  });
  const reload = async () => {
    // "Refresh" starts over from the newest page, as opening the list does: drop the pages read
    // with "Load more" first, or the refetch would read every one of them again.
    client.setQueryData<{ pages: Page<T>[]; pageParams: Array<string | undefined> }>(queryKey, (d) =>
      d ? { pages: d.pages.slice(0, 1), pageParams: d.pageParams.slice(0, 1) } : d,
    );
    await q.refetch();
  };
  return {
    items: q.data?.pages.flatMap((p) => p.items),
    error: q.error,
    loading: q.isFetching && !q.isFetchingNextPage,
    loadingMore: q.isFetchingNextPage,
    hasMore: q.hasNextPage,
    loadMore: async () => {
      await q.fetchNextPage();
    },
    reload,
  };
}

export type Paged<T> = ReturnType<typeof usePaged<T>>;
