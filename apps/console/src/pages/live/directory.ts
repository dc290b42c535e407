import { ApiError, type Api } from '../../api';
import { keys } from '../../queries';
import type { Reasons } from '../../reasons';
import type { Customer, DoorStatus, Named, Zone } from './model';

/**
 * Names for the ids the live stream carries. Door, site and reader names are configuration, not
 * personal data, so they are loaded up front; people are looked up one by one (see personNameQuery).
 */
export interface Directory {
  sites: Map<string, Named>;
  zones: Map<string, Zone>;
  doors: Map<string, Named & { zoneId: string }>;
  readers: Map<string, Named>;
  controllers: Map<string, Named>;
  customers: Map<string, Customer>;
  reasons: Reasons;
}

/** `reasons` reads the reason table through the session's query cache (it is read once). */
export async function loadDirectory(api: Api, reasons: () => Promise<Reasons>): Promise<Directory> {
  const q = { limit: 200 };
  const [sites, zones, doors, readers, controllers, customers, reasonTable] = await Promise.all([
    api.all<Named>('/sites', q),
    api.all<Zone>('/zones', q),
    api.all<Named & { zoneId: string }>('/doors', q),
    api.all<Named>('/readers', q),
    api.all<Named>('/controllers', q),
    api.all<Customer>('/customers', q),
    reasons(),
  ]);
  const byId = <T extends { id: string }>(xs: T[]) => new Map(xs.map((x) => [x.id, x]));
  return {
    sites: byId(sites),
    zones: byId(zones),
    doors: byId(doors),
    readers: byId(readers),
    controllers: byId(controllers),
    customers: byId(customers),
    reasons: reasonTable,
  };
}

export function emptyDirectory(): Directory {
  return { sites: new Map(), zones: new Map(), doors: new Map(), readers: new Map(), controllers: new Map(), customers: new Map(), reasons: new Map() };
}

/** Door names also come with /monitor/doors, which knows doors added after the directory loaded. */
export function doorName(dir: Directory, doors: DoorStatus[], id: string | null | undefined): string | null {
  if (!id) return null;
  return dir.doors.get(id)?.name ?? doors.find((d) => d.doorId === id)?.name ?? null;
}

export type PersonLookup = { state: 'found'; name: string } | { state: 'gone' } | { state: 'hidden' } | { state: 'error' };

/**
 * Person names, fetched only for rows the desk actually looks at and kept by id for the session:
 * every read is an audited access to personal data. The id goes in the path; the name never
 * leaves the page. A person who is gone or hidden from this role is an answer and is kept; a
 * failed read is thrown, so it is not kept and the next row that shows the person asks again.
 */
export function personNameQuery(api: Api, customerId: string, personId: string) {
  return {
    queryKey: [...keys.person(customerId, personId), 'name'] as const,
    queryFn: async (): Promise<PersonLookup> => {
      try {
        const person = await api.get<{ fullName: string }>(`/customers/${encodeURIComponent(customerId)}/people/${encodeURIComponent(personId)}`);
        return { state: 'found', name: person.fullName };
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 410)) return { state: 'gone' };
        if (e instanceof ApiError && e.status === 403) return { state: 'hidden' };
        throw e;
      }
    },
    staleTime: Infinity,
  };
}
