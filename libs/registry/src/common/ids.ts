import { v7 } from 'uuid';

/** Time-ordered ids (UUIDv7): keyset paging by id returns rows in creation order. */
export function newId(): string {
  return v7();
}
