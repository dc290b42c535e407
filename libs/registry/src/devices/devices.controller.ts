import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, Audited } from '@acs/auth';
import { CONFIGURE, VIEW } from '../common/roles.js';
import {
  ControllerPageView,
  ControllerSecretsView,
  ControllerView,
  CreateControllerDto,
  CreateDoorDto,
  CreateReaderDto,
  DeviceQueryDto,
  DoorPageView,
  DoorQueryDto,
  DoorView,
  ReaderPageView,
  ReaderQueryDto,
  ReaderView,
  UpdateDoorDto,
  UpdateControllerDto,
  UpdateReaderDto,
} from './device.dto.js';
import { DeviceService } from './device.service.js';
import { ApiProblems } from '@acs/http';

@ApiTags('devices')
@ApiBearerAuth()
@ApiProblems()
@Controller('readers')
export class ReadersController {
  constructor(private readonly devices: DeviceService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'reader.create', targetType: 'reader' })
  @ApiCreatedResponse({ type: ReaderView })
  create(@Body() dto: CreateReaderDto): Promise<ReaderView> {
    return this.devices.createReader(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: ReaderPageView })
  list(@Query() q: ReaderQueryDto): Promise<ReaderPageView> {
    return this.devices.listReaders(q);
  }

  @Get(':readerId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: ReaderView })
  get(@Param('readerId', ParseUUIDPipe) id: string): Promise<ReaderView> {
    return this.devices.getReader(id);
  }

  @Patch(':readerId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'reader.update', targetType: 'reader', targetParam: 'readerId' })
  @ApiOkResponse({ type: ReaderView })
  update(@Param('readerId', ParseUUIDPipe) id: string, @Body() dto: UpdateReaderDto): Promise<ReaderView> {
    return this.devices.updateReader(id, dto);
  }

  @Delete(':readerId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'reader.delete', targetType: 'reader', targetParam: 'readerId' })
  async delete(@Param('readerId', ParseUUIDPipe) id: string): Promise<void> {
    await this.devices.deleteReader(id);
  }
}

@ApiTags('devices')
@ApiBearerAuth()
@ApiProblems()
@Controller('controllers')
export class DoorControllersController {
  constructor(private readonly devices: DeviceService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'controller.create', targetType: 'controller' })
  @ApiOperation({ summary: 'Register a door controller; the response holds its broker password and signing secret, shown once' })
  @ApiCreatedResponse({ type: ControllerSecretsView })
  create(@Body() dto: CreateControllerDto): Promise<ControllerSecretsView> {
    return this.devices.createController(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: ControllerPageView })
  list(@Query() q: DeviceQueryDto): Promise<ControllerPageView> {
    return this.devices.listControllers(q);
  }

  @Get(':controllerId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: ControllerView })
  get(@Param('controllerId', ParseUUIDPipe) id: string): Promise<ControllerView> {
    return this.devices.getController(id);
  }

  @Patch(':controllerId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'controller.update', targetType: 'controller', targetParam: 'controllerId' })
  @ApiOperation({ summary: 'Rename, or move its events to another server instance (host)' })
  @ApiOkResponse({ type: ControllerView })
  update(@Param('controllerId', ParseUUIDPipe) id: string, @Body() dto: UpdateControllerDto): Promise<ControllerView> {
    return this.devices.updateController(id, dto);
  }

  @Post(':controllerId/rotate-secrets')
  @Allow(...CONFIGURE)
  @Audited({ action: 'controller.rotate_secrets', targetType: 'controller', targetParam: 'controllerId' })
  @ApiOperation({ summary: 'New broker password and signing secret, shown once; the old ones stop working' })
  @ApiCreatedResponse({ type: ControllerSecretsView })
  rotate(@Param('controllerId', ParseUUIDPipe) id: string): Promise<ControllerSecretsView> {
    return this.devices.rotateControllerSecrets(id);
  }

  @Delete(':controllerId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'controller.delete', targetType: 'controller', targetParam: 'controllerId' })
  async delete(@Param('controllerId', ParseUUIDPipe) id: string): Promise<void> {
    await this.devices.deleteController(id);
  }
}

@ApiTags('devices')
@ApiBearerAuth()
@ApiProblems()
@Controller('doors')
export class DoorsController {
  constructor(private readonly devices: DeviceService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'door.create', targetType: 'door' })
  @ApiCreatedResponse({ type: DoorView })
  create(@Body() dto: CreateDoorDto): Promise<DoorView> {
    return this.devices.createDoor(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: DoorPageView })
  list(@Query() q: DoorQueryDto): Promise<DoorPageView> {
    return this.devices.listDoors(q);
  }

  @Get(':doorId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: DoorView })
  get(@Param('doorId', ParseUUIDPipe) id: string): Promise<DoorView> {
    return this.devices.getDoor(id);
  }

  @Patch(':doorId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'door.update', targetType: 'door', targetParam: 'doorId' })
  @ApiOkResponse({ type: DoorView })
  update(@Param('doorId', ParseUUIDPipe) id: string, @Body() dto: UpdateDoorDto): Promise<DoorView> {
    return this.devices.updateDoor(id, dto);
  }

  @Delete(':doorId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'door.delete', targetType: 'door', targetParam: 'doorId' })
  async delete(@Param('doorId', ParseUUIDPipe) id: string): Promise<void> {
    await this.devices.deleteDoor(id);
  }
}
