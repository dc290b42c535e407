export { CustomerEntity } from './customer.entity.js';
export { PersonEntity, PERSON_KINDS, type PersonKind } from './person.entity.js';
export { PersonNameIndexEntity } from './person-name-index.entity.js';
export { SiteEntity, ZoneEntity, ZONE_KINDS, type ZoneKind } from './site.entity.js';
export {
  ReaderEntity,
  ControllerEntity,
  DoorEntity,
  READER_MODELS,
  READER_ROLES,
  FAIL_MODES,
  type ReaderModel,
  type ReaderRole,
  type FailMode,
} from './device.entity.js';
export { ScheduleEntity, AccessLevelEntity, GrantEntity } from './access.entity.js';
export { CardReaderEntity, OsdpBusEntity, CARD_READER_SECURE_MODES, OSDP_BAUD_RATES, type CardReaderSecureMode } from './card-reader.entity.js';

import { CustomerEntity } from './customer.entity.js';
import { PersonEntity } from './person.entity.js';
import { PersonNameIndexEntity } from './person-name-index.entity.js';
import { SiteEntity, ZoneEntity } from './site.entity.js';
import { ReaderEntity, ControllerEntity, DoorEntity } from './device.entity.js';
import { ScheduleEntity, AccessLevelEntity, GrantEntity } from './access.entity.js';
import { CardReaderEntity, OsdpBusEntity } from './card-reader.entity.js';

export const REGISTRY_ENTITIES = [
  CustomerEntity,
  PersonEntity,
  PersonNameIndexEntity,
  SiteEntity,
  ZoneEntity,
  ReaderEntity,
  ControllerEntity,
  DoorEntity,
  ScheduleEntity,
  AccessLevelEntity,
  GrantEntity,
  OsdpBusEntity,
  CardReaderEntity,
];
