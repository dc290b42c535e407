import { Injectable } from '@nestjs/common';
import { AppendTap } from '@acs/database';
import type { AccessEvent } from './model.js';

/**
 * Rows a higher lib writes in the commit of each batch of access events (the SIEM outbox): the
 * same transaction as the events, on both write paths (better-sqlite3's own statements and
 * TypeORM), the degraded-mode replay included. Unconnected, it does nothing.
 */
@Injectable()
export class AccessEventTap extends AppendTap<AccessEvent> {}
