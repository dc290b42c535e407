import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowStaffOrOwnCustomer, Audited } from '@acs/auth';
import { PageQueryDto } from '../common/paging.js';
import { CONFIGURE, PEOPLE_READ, VIEW } from '../common/roles.js';
import {
  AccessLevelPageView,
  AccessLevelView,
  AtQueryDto,
  CreateAccessLevelDto,
  CreateGrantDto,
  CreateScheduleDto,
  CustomerZoneView,
  DoorAccessView,
  GrantPageView,
  GrantQueryDto,
  GrantView,
  PersonAccessView,
  ReaderLoadView,
  SchedulePageView,
  ScheduleView,
  UpdateAccessLevelDto,
  UpdateGrantDto,
  UpdateScheduleDto,
} from './access.dto.js';
import { AccessService } from './access.service.js';
import { EffectiveAccessService } from './effective-access.service.js';
import { ApiProblems } from '@acs/http';

const at = (q: AtQueryDto): number | undefined => (q.at ? Date.parse(q.at) : undefined);

@ApiTags('access')
@ApiBearerAuth()
@ApiProblems()
@Controller('schedules')
export class SchedulesController {
  constructor(private readonly access: AccessService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'schedule.create', targetType: 'schedule' })
  @ApiCreatedResponse({ type: ScheduleView })
  create(@Body() dto: CreateScheduleDto): Promise<ScheduleView> {
    return this.access.createSchedule(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: SchedulePageView })
  list(@Query() q: PageQueryDto): Promise<SchedulePageView> {
    return this.access.listSchedules(q);
  }

  @Get(':scheduleId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: ScheduleView })
  get(@Param('scheduleId', ParseUUIDPipe) id: string): Promise<ScheduleView> {
    return this.access.getSchedule(id);
  }

  @Patch(':scheduleId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'schedule.update', targetType: 'schedule', targetParam: 'scheduleId' })
  @ApiOkResponse({ type: ScheduleView })
  update(@Param('scheduleId', ParseUUIDPipe) id: string, @Body() dto: UpdateScheduleDto): Promise<ScheduleView> {
    return this.access.updateSchedule(id, dto);
  }

  @Delete(':scheduleId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'schedule.delete', targetType: 'schedule', targetParam: 'scheduleId' })
  async delete(@Param('scheduleId', ParseUUIDPipe) id: string): Promise<void> {
    await this.access.deleteSchedule(id);
  }
}

@ApiTags('access')
@ApiBearerAuth()
@ApiProblems()
@Controller('access-levels')
export class AccessLevelsController {
  constructor(private readonly access: AccessService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'access_level.create', targetType: 'access_level' })
  @ApiCreatedResponse({ type: AccessLevelView })
  create(@Body() dto: CreateAccessLevelDto): Promise<AccessLevelView> {
    return this.access.createAccessLevel(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: AccessLevelPageView })
  list(@Query() q: PageQueryDto): Promise<AccessLevelPageView> {
    return this.access.listAccessLevels(q);
  }

  @Get(':accessLevelId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: AccessLevelView })
  get(@Param('accessLevelId', ParseUUIDPipe) id: string): Promise<AccessLevelView> {
    return this.access.getAccessLevel(id);
  }

  @Patch(':accessLevelId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'access_level.update', targetType: 'access_level', targetParam: 'accessLevelId' })
  @ApiOkResponse({ type: AccessLevelView })
  update(@Param('accessLevelId', ParseUUIDPipe) id: string, @Body() dto: UpdateAccessLevelDto): Promise<AccessLevelView> {
    return this.access.updateAccessLevel(id, dto);
  }

  @Delete(':accessLevelId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'access_level.delete', targetType: 'access_level', targetParam: 'accessLevelId' })
  async delete(@Param('accessLevelId', ParseUUIDPipe) id: string): Promise<void> {
    await this.access.deleteAccessLevel(id);
  }
}

@ApiTags('access')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class GrantsController {
  constructor(
    private readonly access: AccessService,
    private readonly effective: EffectiveAccessService,
  ) {}

  @Post('grants')
  @Allow(...CONFIGURE)
  @Audited({ action: 'grant.create', targetType: 'grant' })
  @ApiOperation({ summary: 'Grant an access level to a customer or one person; refused with 409 if a reader could not hold the templates' })
  @ApiCreatedResponse({ type: GrantView })
  create(@Body() dto: CreateGrantDto): Promise<GrantView> {
    return this.access.createGrant(dto);
  }

  @Get('grants')
  @Allow(...VIEW)
  @ApiOkResponse({ type: GrantPageView })
  list(@Query() q: GrantQueryDto): Promise<GrantPageView> {
    return this.access.listGrants(q);
  }

  @Get('grants/:grantId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: GrantView })
  get(@Param('grantId', ParseUUIDPipe) id: string): Promise<GrantView> {
    return this.access.getGrant(id);
  }

  @Patch('grants/:grantId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'grant.update', targetType: 'grant', targetParam: 'grantId' })
  @ApiOkResponse({ type: GrantView })
  update(@Param('grantId', ParseUUIDPipe) id: string, @Body() dto: UpdateGrantDto): Promise<GrantView> {
    return this.access.updateGrant(id, dto);
  }

  @Delete('grants/:grantId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'grant.delete', targetType: 'grant', targetParam: 'grantId' })
  async delete(@Param('grantId', ParseUUIDPipe) id: string): Promise<void> {
    await this.access.deleteGrant(id);
  }

  @Get('customers/:customerId/grants')
  @AllowStaffOrOwnCustomer('customerId', ...VIEW)
  @ApiOkResponse({ type: GrantPageView })
  customerGrants(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: PageQueryDto): Promise<GrantPageView> {
    return this.access.listGrants({ ...q, customerId });
  }

  @Get('customers/:customerId/zones')
  @AllowStaffOrOwnCustomer('customerId', ...VIEW)
  @ApiOperation({ summary: "Zones the customer's grants open" })
  @ApiOkResponse({ type: [CustomerZoneView] })
  customerZones(@Param('customerId', ParseUUIDPipe) customerId: string): Promise<CustomerZoneView[]> {
    return this.effective.zonesOfCustomer(customerId);
  }

  @Get('customers/:customerId/people/:personId/access')
  @AllowStaffOrOwnCustomer('customerId', ...PEOPLE_READ)
  @Audited({ action: 'person.access.read', targetType: 'person', targetParam: 'personId' })
  @ApiOperation({ summary: 'Which doors this person may open at an instant (default now), and why' })
  @ApiOkResponse({ type: [DoorAccessView] })
  personAccess(
    @Param('customerId', ParseUUIDPipe) customerId: string,
    @Param('personId', ParseUUIDPipe) personId: string,
    @Query() q: AtQueryDto,
  ): Promise<DoorAccessView[]> {
    return this.effective.doorsForPerson(customerId, personId, at(q));
  }

  @Get('doors/:doorId/access')
  @Allow(...VIEW)
  @Audited({ action: 'door.access.read', targetType: 'door', targetParam: 'doorId' })
  @ApiOperation({ summary: 'Who may open this door at an instant (default now), and why' })
  @ApiOkResponse({ type: [PersonAccessView] })
  doorAccess(@Param('doorId', ParseUUIDPipe) doorId: string, @Query() q: AtQueryDto): Promise<PersonAccessView[]> {
    return this.effective.whoMayOpen(doorId, at(q));
  }

  @Get('reader-loads')
  @Allow(...VIEW)
  @ApiOperation({ summary: 'Templates each door reader must hold against its capacity' })
  @ApiOkResponse({ type: [ReaderLoadView] })
  readerLoads(): Promise<ReaderLoadView[]> {
    return this.effective.readerLoads();
  }
}
