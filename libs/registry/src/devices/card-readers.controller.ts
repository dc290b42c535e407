import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, Audited } from '@acs/auth';
import { ApiProblems } from '@acs/http';
import { CONFIGURE, VIEW } from '../common/roles.js';
import {
  CardReaderPageView,
  CardReaderQueryDto,
  CardReaderView,
  CreateCardReaderDto,
  CreateOsdpBusDto,
  OsdpBusPageView,
  OsdpBusQueryDto,
  OsdpBusView,
  UpdateCardReaderDto,
  UpdateOsdpBusDto,
} from './card-reader.dto.js';
import { CardReaderService } from './card-reader.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@ApiProblems()
@Controller('osdp-buses')
export class OsdpBusesController {
  constructor(private readonly cards: CardReaderService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'osdp_bus.create', targetType: 'osdp_bus' })
  @ApiOperation({ summary: 'Register an RS-485 line with OSDP card readers (a serial port or a serial device server)' })
  @ApiCreatedResponse({ type: OsdpBusView })
  create(@Body() dto: CreateOsdpBusDto): Promise<OsdpBusView> {
    return this.cards.createBus(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: OsdpBusPageView })
  list(@Query() q: OsdpBusQueryDto): Promise<OsdpBusPageView> {
    return this.cards.listBuses(q);
  }

  @Get(':busId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: OsdpBusView })
  get(@Param('busId', ParseUUIDPipe) id: string): Promise<OsdpBusView> {
    return this.cards.getBus(id);
  }

  @Patch(':busId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'osdp_bus.update', targetType: 'osdp_bus', targetParam: 'busId' })
  @ApiOkResponse({ type: OsdpBusView })
  update(@Param('busId', ParseUUIDPipe) id: string, @Body() dto: UpdateOsdpBusDto): Promise<OsdpBusView> {
    return this.cards.updateBus(id, dto);
  }

  @Delete(':busId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'osdp_bus.delete', targetType: 'osdp_bus', targetParam: 'busId' })
  async delete(@Param('busId', ParseUUIDPipe) id: string): Promise<void> {
    await this.cards.deleteBus(id);
  }
}

@ApiTags('devices')
@ApiBearerAuth()
@ApiProblems()
@Controller('card-readers')
export class CardReadersController {
  constructor(private readonly cards: CardReaderService) {}

  @Post()
  @Allow(...CONFIGURE)
  @Audited({ action: 'card_reader.create', targetType: 'card_reader' })
  @ApiOperation({ summary: 'Register an OSDP card reader at an address of a bus (in install mode unless told otherwise)' })
  @ApiCreatedResponse({ type: CardReaderView })
  create(@Body() dto: CreateCardReaderDto): Promise<CardReaderView> {
    return this.cards.createCardReader(dto);
  }

  @Get()
  @Allow(...VIEW)
  @ApiOkResponse({ type: CardReaderPageView })
  list(@Query() q: CardReaderQueryDto): Promise<CardReaderPageView> {
    return this.cards.listCardReaders(q);
  }

  @Get(':cardReaderId')
  @Allow(...VIEW)
  @ApiOkResponse({ type: CardReaderView })
  get(@Param('cardReaderId', ParseUUIDPipe) id: string): Promise<CardReaderView> {
    return this.cards.getCardReader(id);
  }

  @Patch(':cardReaderId')
  @Allow(...CONFIGURE)
  @Audited({ action: 'card_reader.update', targetType: 'card_reader', targetParam: 'cardReaderId' })
  @ApiOkResponse({ type: CardReaderView })
  update(@Param('cardReaderId', ParseUUIDPipe) id: string, @Body() dto: UpdateCardReaderDto): Promise<CardReaderView> {
    return this.cards.updateCardReader(id, dto);
  }

  @Post(':cardReaderId/install-mode')
  @HttpCode(200)
  @Allow(...CONFIGURE)
  @Audited({ action: 'card_reader.install_mode', targetType: 'card_reader', targetParam: 'cardReaderId' })
  @ApiOperation({ summary: 'Let the reader set up its Secure Channel once with the default key, then give it a key of its own' })
  @ApiOkResponse({ type: CardReaderView })
  installMode(@Param('cardReaderId', ParseUUIDPipe) id: string): Promise<CardReaderView> {
    return this.cards.setInstallMode(id, true);
  }

  @Delete(':cardReaderId')
  @HttpCode(204)
  @Allow(...CONFIGURE)
  @Audited({ action: 'card_reader.delete', targetType: 'card_reader', targetParam: 'cardReaderId' })
  async delete(@Param('cardReaderId', ParseUUIDPipe) id: string): Promise<void> {
    await this.cards.deleteCardReader(id);
  }
}
