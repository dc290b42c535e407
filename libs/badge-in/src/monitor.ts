import { Injectable } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';

/**
 * What the security desk sees live. Ids only (no names, no biometric data): the console resolves
 * names through the registry API with the viewer's own permissions.
 */
export type MonitorEvent =
  | {
      type: 'attempt' | 'follow_up';
      id: string;
      attemptId: string;
      at: number;
      siteId: string;
      zoneId: string | null;
      doorId: string | null;
      readerId: string | null;
      direction: 'entry' | 'exit';
      result: 'granted' | 'denied';
      reason: string;
      family?: string;
      violations?: string[];
      customerId: string | null;
      personId: string | null;
      /** What the attempt was made with (fingerprint, card, card+pin, ...); never a card number. */
      credential?: string;
    }
  | {
      type: 'alarm' | 'alarm_acknowledged';
      id: string;
      kind: string;
      at: number;
      siteId: string;
      zoneId: string | null;
      doorId: string | null;
      controllerId: string | null;
      attemptId: string | null;
      customerId?: undefined;
    }
  | { type: 'door'; doorId: string; siteId: string; zoneId: string; event: string; at: number; customerId?: undefined }
  | { type: 'controller'; controllerId: string; siteId: string; status: string; at: number; zoneId?: undefined; doorId?: undefined; customerId?: undefined }
  | { type: 'reader'; readerId: string; siteId: string; state: string; at: number; zoneId?: undefined; doorId?: undefined; customerId?: undefined }
  | {
      /** MQTT security events past SECURITY_ALARM_THRESHOLD a minute; `id` is the alarm's audit entry. Not tied to a site. */
      type: 'security_alarm' | 'security_alarm_acknowledged';
      id: string;
      at: number;
      count: number;
      windowS: number;
      kind: string;
      source: string;
      siteId?: undefined;
      zoneId?: undefined;
      doorId?: undefined;
      customerId?: undefined;
    }
  | { type: 'mode'; siteId: string; zoneId: string | null; doorId: string | null; mode: string; at: number; customerId?: undefined };

export interface MonitorFilter {
  siteId?: string;
  zoneId?: string;
  doorId?: string;
  customerId?: string;
  /** A customer token: only attempts and follow-ups of that customer's people. */
  onlyCustomer?: string;
}

export function isSecurityAlarm(e: MonitorEvent): boolean {
  return e.type === 'security_alarm' || e.type === 'security_alarm_acknowledged';
}

export function matchesFilter(e: MonitorEvent, f: MonitorFilter): boolean {
  if (f.onlyCustomer !== undefined) {
    if (e.type !== 'attempt' && e.type !== 'follow_up') return false;
    if (e.customerId !== f.onlyCustomer) return false;
  }
  // The broker and the controllers' messages are everybody's concern: every desk view shows them.
  if (isSecurityAlarm(e)) return f.customerId === undefined;
  if (f.siteId !== undefined && e.siteId !== f.siteId) return false;
  if (f.zoneId !== undefined && ('zoneId' in e ? e.zoneId : undefined) !== f.zoneId) return false;
  if (f.doorId !== undefined && ('doorId' in e ? e.doorId : undefined) !== f.doorId) return false;
  if (f.customerId !== undefined && e.customerId !== f.customerId) return false;
  return true;
}

/**
 * In-process fan-out of live events; slow SSE clients are buffered by rxjs per subscriber.
 * Events raised here also go to the other server instances (MonitorClusterRelay), so a desk
 * behind a load balancer sees every door whichever instance it reached.
 */
@Injectable()
export class MonitorBus {
  private readonly subject = new Subject<MonitorEvent>();
  private readonly localListeners = new Set<(e: MonitorEvent) => void>();
  /** Latest connection state of readers wired to other instances, as their notices reported it. */
  private readonly remoteReaders = new Map<string, string>();

  /** An event of this instance. */
  publish(event: MonitorEvent): void {
    for (const l of this.localListeners) l(event);
    this.subject.next(event);
  }

  /** An event another instance raised: shown here, not passed on again. */
  publishRemote(event: MonitorEvent): void {
    if (event.type === 'reader') this.remoteReaders.set(event.readerId, event.state);
    this.subject.next(event);
  }

  remoteReaderState(readerId: string): string | undefined {
    return this.remoteReaders.get(readerId);
  }

  onLocal(listener: (e: MonitorEvent) => void): () => void {
    this.localListeners.add(listener);
    return () => this.localListeners.delete(listener);
  }

  stream(f: MonitorFilter): Observable<MonitorEvent> {
    return this.subject.asObservable().pipe(filter((e) => matchesFilter(e, f)));
  }

  complete(): void {
    this.subject.complete();
  }
}
