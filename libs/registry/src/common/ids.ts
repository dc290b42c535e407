import { timeOrderedId } from '@acs/crypto';

/** Time-ordered ids (UUIDv7): keyset paging by id returns rows in creation order. */
export function newId(): string {
  return timeOrderedId();
}
