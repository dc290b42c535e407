import type { SchemaParts } from '@acs/database';
import { DataKeyEntity } from '@acs/crypto';
import { ApiTokenEntity, OIDC_ENTITIES, PASSKEY_ENTITIES, SIGN_IN_ENTITIES, StaffAccountEntity } from '@acs/auth';
import { AuditEntryEntity } from '@acs/audit';
import { REGISTRY_ENTITIES } from '@acs/registry';
import { AccessEventEntity } from '@acs/access-log';
import { READER_FLEET_ENTITIES } from '@acs/reader-fleet';
import { BADGE_IN_ENTITIES } from '@acs/badge-in';
import { COMPLIANCE_ENTITIES } from '@acs/compliance';
import { CLUSTER_ENTITIES } from '@acs/cluster';
import { CREDENTIALS_ENTITIES } from '@acs/credentials';
import { ACCESS_REQUEST_ENTITIES } from '@acs/access-requests';
import { SiemOutboxEntity } from '@acs/siem';
import { NOTIFICATION_ENTITIES } from '@acs/notifications';
import { VISITOR_ENTITIES } from '@acs/visitors';
import { MIGRATIONS } from '../../../migrations/index.js';

/**
 * Every entity and migration of the application, in one place for the server, the CLI and the
 * tests. A context adds its entities here when it adds a migration for them.
 */
export const ENTITIES = [
  DataKeyEntity,
  StaffAccountEntity,
  ApiTokenEntity,
  ...SIGN_IN_ENTITIES,
  ...PASSKEY_ENTITIES,
  ...OIDC_ENTITIES,
  AuditEntryEntity,
  ...REGISTRY_ENTITIES,
  AccessEventEntity,
  ...READER_FLEET_ENTITIES,
  ...COMPLIANCE_ENTITIES,
  ...BADGE_IN_ENTITIES,
  ...CLUSTER_ENTITIES,
  ...CREDENTIALS_ENTITIES,
  ...ACCESS_REQUEST_ENTITIES,
  SiemOutboxEntity,
  ...NOTIFICATION_ENTITIES,
  ...VISITOR_ENTITIES,
];

export const SCHEMA: SchemaParts = { entities: ENTITIES, migrations: MIGRATIONS };
export { MIGRATIONS };
