import type { DoorState, EventBody, ReplyBody, TopicKind } from '@acs/door-protocol';

export type DoorCommandErrorCode =
  /** The controller's retained status says offline (its last will fired), or it went offline while we waited. */
  | 'controller-offline'
  /** Published, but no authentic reply within the timeout. */
  | 'no-reply'
  /** The controller answered and refused (see `reply.code`). */
  | 'rejected'
  /** The server itself has no broker connection. */
  | 'broker-unavailable'
  /** No secret for this controller: it is not registered. */
  | 'unknown-controller'
  /** The controller fails over between instances and this one does not hold its lease (now). */
  | 'not-owner'
  | 'invalid-argument';

export class DoorCommandError extends Error {
  constructor(
    readonly code: DoorCommandErrorCode,
    message: string,
    readonly controllerId: string,
    readonly reply?: ReplyBody,
  ) {
    super(message);
    this.name = 'DoorCommandError';
  }
}

export type ControllerStatus = 'online' | 'offline' | 'unknown';

export interface DoorEventRecord {
  controllerId: string;
  epoch: number;
  seq: number;
  type: EventBody['type'];
  door?: number;
  detail?: string;
  /** The controller's clock at the event. */
  occurredAt: Date;
  receivedAt: Date;
}

export type SecurityEventKind =
  | 'forged-event'
  | 'forged-reply'
  | 'forged-state'
  | 'forged-status'
  | 'unknown-controller'
  | 'malformed-message'
  /** A timestamp or epoch beyond the server clock plus MAX_FUTURE_SKEW_MS: refused, never stored. */
  | 'future-timestamp'
  | 'command-rejected';

export interface SecurityEvent {
  kind: SecurityEventKind;
  controllerId?: string;
  topic: string;
  reason: string;
  at: Date;
}

export interface GapNotice {
  controllerId: string;
  epoch: number;
  from: number;
  to: number;
  at: Date;
}

export interface DoorEdgeEvents {
  'door-event': [DoorEventRecord];
  security: [SecurityEvent];
  gap: [GapNotice];
  status: [{ controllerId: string; status: ControllerStatus; at: Date }];
  'door-state': [{ controllerId: string; state: DoorState }];
  /** Every message received on a server subscription, authentic or not, by topic kind (metrics). */
  message: [{ kind: TopicKind }];
}

export interface DoorCommandServiceOptions {
  /** How long a command waits for the reply; default 3000 ms. */
  commandTimeoutMs?: number;
  /** Reply-topic scope (`acs/v1/<id>/reply/<scope>`) when several servers share a broker. */
  replyScope?: string;
  /** Delay before acknowledging received events, so a burst costs one ack; default 20 ms. */
  ackDelayMs?: number;
  /**
   * Keep incoming events (not acknowledged) until `DoorCommandService.releaseEvents`: a resumed
   * session delivers queued events right after CONNACK, before the application's event handlers
   * are attached, and an event handled by nobody but acknowledged would be lost.
   */
  holdEvents?: boolean;
}
