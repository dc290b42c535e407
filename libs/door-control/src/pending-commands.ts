import type { RepliedCommandBody, ReplyBody } from '@acs/door-protocol';
import { DoorCommandError } from './door-command.types.js';

type Cmd = RepliedCommandBody['cmd'];

interface Pending {
  controllerId: string;
  cmd: Cmd;
  timer: NodeJS.Timeout;
  resolve: (reply: ReplyBody) => void;
  reject: (err: DoorCommandError) => void;
}

/**
 * Commands published and waiting for their reply, by request id. Each ends exactly once: by its
 * reply, its timeout, its controller going offline, a failed publish, or the service stopping;
 * whatever comes later for the same request id finds nothing and is ignored.
 */
export class PendingCommands {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly timeoutMs: number,
    /** The controller's status as the timeout message reports it. */
    private readonly statusOf: (controllerId: string) => string,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Registered before publishing: the reply can overtake our PUBACK. */
  wait(requestId: string, controllerId: string, cmd: Cmd): Promise<ReplyBody> {
    return new Promise<ReplyBody>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new DoorCommandError(
            'no-reply',
            `controller ${controllerId} did not reply to ${cmd} within ${this.timeoutMs} ms (status ${this.statusOf(controllerId)})`,
            controllerId,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(requestId, { controllerId, cmd, timer, resolve, reject });
    });
  }

  /**
   * Ends the command this authentic reply answers. Unknown request ids are QoS 1 duplicates, late
   * replies after a timeout, or "replayed" answers to a duplicate delivery of an already executed
   * command: all harmless, all ignored (false).
   */
  settle(controllerId: string, reply: ReplyBody): boolean {
    // Another controller cannot answer for this one: its command keeps waiting.
    if (this.pending.get(reply.requestId)?.controllerId !== controllerId) return false;
    const p = this.take(reply.requestId)!;
    if (reply.ok) p.resolve(reply);
    else
      p.reject(
        new DoorCommandError(
          'rejected',
          `controller ${controllerId} rejected ${p.cmd}: ${reply.code}${reply.reason ? ` (${reply.reason})` : ''}`,
          controllerId,
          reply,
        ),
      );
    return true;
  }

  publishFailed(requestId: string, reason: string): void {
    const p = this.take(requestId);
    p?.reject(new DoorCommandError('broker-unavailable', `publishing ${p.cmd} for ${p.controllerId} failed: ${reason}`, p.controllerId));
  }

  controllerOffline(controllerId: string): void {
    for (const [id, p] of this.pending) {
      if (p.controllerId !== controllerId) continue;
      this.take(id);
      p.reject(new DoorCommandError('controller-offline', `controller ${controllerId} went offline before replying to ${p.cmd}`, controllerId));
    }
  }

  stopped(): void {
    for (const [id, p] of this.pending) {
      this.take(id);
      p.reject(new DoorCommandError('broker-unavailable', 'door command service stopped', p.controllerId));
    }
  }

  private take(requestId: string): Pending | undefined {
    const p = this.pending.get(requestId);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(requestId);
    return p;
  }
}
