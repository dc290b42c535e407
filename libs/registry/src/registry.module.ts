import { Module } from '@nestjs/common';
import { AuthModule } from '@acs/auth';
import { AccessLevelsController, GrantsController, SchedulesController } from './access/access.controller.js';
import { AccessService } from './access/access.service.js';
import { CapacityGuard } from './access/capacity.guard.js';
import { EffectiveAccessService } from './access/effective-access.service.js';
import { FingerCountsPort } from './access/finger-counts.port.js';
import { RegistrySnapshotService } from './access/snapshot.js';
import { PersonalData } from './common/personal-data.js';
import { RegistryChanges } from './common/registry-changes.js';
import { CustomersController } from './customers/customers.controller.js';
import { CustomerService } from './customers/customer.service.js';
import { DoorControllersController, DoorsController, ReadersController } from './devices/devices.controller.js';
import { DeviceService } from './devices/device.service.js';
import { CardReaderService } from './devices/card-reader.service.js';
import { CardReadersController, OsdpBusesController } from './devices/card-readers.controller.js';
import { DeviceWiringService } from './devices/device-wiring.service.js';
import { PeopleController } from './people/people.controller.js';
import { PersonDataErasure } from './people/person-data-erasure.js';
import { PersonRecords } from './people/person-records.js';
import { PersonService } from './people/person.service.js';
import { RegistryDirectoryModule } from './registry-directory.module.js';
import { SitesController, ZonesController } from './sites/sites.controller.js';
import { SiteService } from './sites/site.service.js';

const SERVICES = [
  RegistryChanges,
  PersonalData,
  CustomerService,
  PersonService,
  SiteService,
  DeviceService,
  CardReaderService,
  DeviceWiringService,
  AccessService,
  CapacityGuard,
  FingerCountsPort,
  RegistrySnapshotService,
  EffectiveAccessService,
  PersonDataErasure,
  PersonRecords,
];

/** Customers, people, sites, zones, devices, schedules, access levels and grants. */
@Module({
  imports: [AuthModule, RegistryDirectoryModule],
  controllers: [
    CustomersController,
    PeopleController,
    SitesController,
    ZonesController,
    ReadersController,
    DoorControllersController,
    DoorsController,
    OsdpBusesController,
    CardReadersController,
    SchedulesController,
    AccessLevelsController,
    GrantsController,
  ],
  providers: SERVICES,
  exports: [...SERVICES, RegistryDirectoryModule],
})
export class RegistryModule {}

/** The services without HTTP, for the CLI. */
@Module({ imports: [RegistryDirectoryModule], providers: SERVICES, exports: [...SERVICES, RegistryDirectoryModule] })
export class RegistryCoreModule {}
