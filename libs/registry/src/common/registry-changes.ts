import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';

export type RegistryChangeKind =
  'customer' | 'person' | 'site' | 'zone' | 'reader' | 'controller' | 'door' | 'schedule' | 'access_level' | 'grant' | 'osdp_bus' | 'card_reader';

export interface RegistryChange {
  kind: RegistryChangeKind;
  id: string;
  op: 'created' | 'updated' | 'deleted';
  /** The customer concerned, when there is one (reader planning, history). */
  customerId?: string;
  /** Committed by another server instance and relayed here (not to be relayed again). */
  remote?: boolean;
  /**
   * Only contact data changed (a person's name, e-mail or phone): no fact the access decision or
   * the reader libraries hold. Such a change does not move {@link RegistryChanges.currentVersion},
   * so nothing derived is rebuilt for it (a rebuild rereads whole tables: half a second of the event
   * loop at 20,000 people, `npm run bench -- scale`).
   */
  contactOnly?: boolean;
}

/**
 * Announces committed registry changes so derived state (the decision snapshot, reader library
 * plans) is refreshed. Emitted after the transaction commits, never inside it.
 */
@Injectable()
export class RegistryChanges {
  private readonly emitter = new EventEmitter();
  private version = 0;

  get currentVersion(): number {
    return this.version;
  }

  emit(change: RegistryChange): void {
    if (change.contactOnly !== true) this.version++;
    this.emitter.emit('change', change);
  }

  subscribe(listener: (change: RegistryChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}
