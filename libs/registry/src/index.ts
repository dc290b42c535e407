export {
  ControllerEntity,
  CustomerEntity,
  DoorEntity,
  PersonEntity,
  PERSON_KINDS,
  type PersonKind,
  ReaderEntity,
  type ReaderModel,
  type ReaderRole,
  REGISTRY_ENTITIES,
  SiteEntity,
} from './entities/index.js';
export { RegistryModule, RegistryCoreModule } from './registry.module.js';
export { RegistryChanges, type RegistryChange, type RegistryChangeKind } from './common/registry-changes.js';
export { PersonalData, customerScope, SYSTEM_SCOPE } from './common/personal-data.js';
export { CustomerService } from './customers/customer.service.js';
export { customerStatus } from './customers/customer-status.js';
export { PersonService, searchable } from './people/person.service.js';
export { matchesWords, nameWords } from './people/name-index.js';
export { PersonDataErasure, type PersonDataSubject, type PersonDataErased, type ErasableCustomer, type SealedValue } from './people/person-data-erasure.js';
export { findErasableCustomer, purgedCustomerIds, countPersonRows } from './customers/erasure-reads.js';
export { PersonRecords, type PersonRecord, type GrantRecord } from './people/person-records.js';
export { SiteService } from './sites/site.service.js';
export { DeviceService, DEFAULT_CAPACITY } from './devices/device.service.js';
export { CardReaderService, type FleetBus } from './devices/card-reader.service.js';
export { CARD_READER_SECURE_MODES, OSDP_BAUD_RATES, type CardReaderSecureMode } from './entities/index.js';
export { DeviceWiringService, type DeviceWiring, type DoorWiringRow } from './devices/device-wiring.service.js';
export { mqttIdReservedBy } from './devices/mqtt-id.js';
export { ReaderDirectory, type FleetReader, type DoorReaders } from './devices/reader-directory.js';
export { TenancyDirectory, tenancyIds, type CustomerTerm, type TenancyIds } from './customers/tenancy-directory.js';
export { RegistryDirectoryModule } from './registry-directory.module.js';
export { AccessService } from './access/access.service.js';
export { grantsEndingBetween, type EndingGrant } from './access/grant-reads.js';
export { EffectiveAccessService } from './access/effective-access.service.js';
export { RegistrySnapshotService, loadSnapshot } from './access/snapshot.js';
export { personsOnEachReader, readerLoads, RESERVED_TEMPLATES_PER_PERSON, type ReaderLoad } from './access/capacity.js';
export { CapacityGuard } from './access/capacity.guard.js';
export { FingerCountsPort, type EnrolledFingerCounts } from './access/finger-counts.port.js';
