import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { ApiProblems, PlainText } from '@acs/http';
import { AvailableWhileDegraded } from '@acs/health';
import { Type } from 'class-transformer';
import { map, merge, interval, type Observable } from 'rxjs';
import { Allow, AllowStaffOrOwnCustomer, Audited, CurrentPrincipal, type Principal } from '@acs/auth';
import { BADGE_IN_DECISION_REASONS, REASON_DESCRIPTIONS, REASON_FAMILIES } from '@acs/access-rules';
import { FOLLOW_UP_REASONS } from '@acs/access-log';
import { AlarmService, type AlarmView } from './alarm.service.js';
import { BadgeInService, type CardReaderStatusView, type DoorStatusView, type ReaderLoopView } from './badge-in.service.js';
import { DoorModesService, type ModeChangeResult } from './door-modes.service.js';
import { ALARM_STATES, type AlarmState } from './entities.js';
import { MonitorBus, type MonitorFilter } from './monitor.js';
import {
  AlarmViewDto,
  ALL_MONITOR_EVENTS,
  ApiMonitorStream,
  DoorStatusViewDto,
  ModeChangeResultDto,
  MonitorAttemptEvent,
  ReaderLoopViewDto,
  CardReaderStateDto,
  ReasonViewDto,
} from './badge-in.responses.js';

const DESK = ['admin', 'security'] as const;
/** Comment lines keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export class MonitorQuery {
  @ApiPropertyOptional() @IsOptional() @IsUUID() siteId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() zoneId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() doorId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() customerId?: string;
}

export class AlarmQuery {
  @ApiPropertyOptional({ enum: ALARM_STATES }) @IsOptional() @IsIn(ALARM_STATES) state?: AlarmState;
  @ApiPropertyOptional() @IsOptional() @IsUUID() siteId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() doorId?: string;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

export class AcknowledgeAlarmDto {
  @ApiPropertyOptional({ description: 'What the desk found (no personal data)' }) @IsOptional() @PlainText() @MaxLength(500) note?: string;
}

export class ModeDto {
  @ApiProperty({ description: 'true to start, false to end' }) @IsBoolean() active!: boolean;
}

function sse(source: Observable<unknown>): Observable<MessageEvent> {
  const events = source.pipe(map((e) => ({ type: (e as { type: string }).type, data: e as object }) as MessageEvent));
  const keepalive = interval(KEEPALIVE_MS).pipe(map(() => ({ type: 'keepalive', data: {} }) as MessageEvent));
  return merge(events, keepalive);
}

/**
 * Live monitoring for the security desk. Server-sent events carry ids only. EventSource cannot
 * send an Authorization header: use a client that can (fetch with a streaming body, curl -N);
 * tokens are never accepted in the query string, where they would end up in access logs.
 */
@ApiTags('badge-in')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class MonitorController {
  constructor(
    private readonly bus: MonitorBus,
    private readonly badgeIn: BadgeInService,
  ) {}

  @Sse('monitor/events')
  @Allow(...DESK)
  @ApiOperation({ summary: 'Live events (attempts, follow-ups, alarms, door, controller and reader status), filtered by site, zone, door, customer' })
  @ApiMonitorStream(...ALL_MONITOR_EVENTS)
  events(@Query() q: MonitorQuery): Observable<MessageEvent> {
    const f: MonitorFilter = { ...q };
    return sse(this.bus.stream(f));
  }

  @Sse('customers/:customerId/monitor/events')
  @AllowStaffOrOwnCustomer('customerId', ...DESK)
  @ApiOperation({ summary: "Live attempts and follow-ups of one customer's people (customer tokens: their own only)" })
  @ApiMonitorStream(MonitorAttemptEvent)
  customerEvents(@Param('customerId', ParseUUIDPipe) customerId: string, @Query() q: MonitorQuery): Observable<MessageEvent> {
    const f: MonitorFilter = { siteId: q.siteId, zoneId: q.zoneId, doorId: q.doorId, onlyCustomer: customerId };
    for (const k of ['siteId', 'zoneId', 'doorId'] as const) if (f[k] === undefined) delete f[k];
    return sse(this.bus.stream(f));
  }

  @Get('monitor/doors')
  @Allow(...DESK)
  @ApiOperation({ summary: 'Every door: controller online, contact, relay, mode, alarm, override, lockdown' })
  @ApiOkResponse({ type: [DoorStatusViewDto] })
  async doors(@Query() q: MonitorQuery): Promise<DoorStatusView[]> {
    await this.badgeIn.wiring();
    return this.badgeIn
      .doorViews()
      .filter((d) => (!q.siteId || d.siteId === q.siteId) && (!q.zoneId || d.zoneId === q.zoneId) && (!q.doorId || d.doorId === q.doorId));
  }

  @Get('monitor/readers')
  @Allow(...DESK)
  @ApiOperation({ summary: 'Every door reader: connection state and identification loop' })
  @ApiOkResponse({ type: [ReaderLoopViewDto] })
  async readers(): Promise<ReaderLoopView[]> {
    await this.badgeIn.wiring();
    return this.badgeIn.readerViews();
  }

  @Get('monitor/card-readers')
  @Allow(...DESK)
  @ApiOperation({ summary: 'Every OSDP card reader: bus state, Secure Channel, tamper, the door it serves' })
  @ApiOkResponse({ type: [CardReaderStateDto] })
  async cardReaders(): Promise<CardReaderStatusView[]> {
    await this.badgeIn.wiring();
    return this.badgeIn.cardReaderViews();
  }

  @Get('badge-in/reasons')
  @Allow('admin', 'security', 'auditor', 'compliance')
  @ApiOperation({ summary: 'The documented reason codes of badge-in decisions and follow-ups' })
  @ApiOkResponse({ type: [ReasonViewDto] })
  reasons(): Array<{ code: string; family: string; description: string }> {
    return [
      ...BADGE_IN_DECISION_REASONS.map((code) => ({ code, family: REASON_FAMILIES[code], description: REASON_DESCRIPTIONS[code] })),
      ...FOLLOW_UP_REASONS.map((code) => ({ code, family: 'follow_up', description: FOLLOW_UP_DESCRIPTIONS[code] })),
    ];
  }
}

const FOLLOW_UP_DESCRIPTIONS: Record<(typeof FOLLOW_UP_REASONS)[number], string> = {
  entered: 'The door opened after the grant: the entry happened.',
  door_unreachable: 'The controller did not confirm the unlock in time (offline, no reply, refused).',
  not_entered: 'The door was unlocked but did not open within the unlock time.',
};

@ApiTags('badge-in')
@ApiBearerAuth()
@ApiProblems()
@Controller('alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmService) {}

  @Get()
  @Allow(...DESK)
  @ApiOperation({ summary: 'Door alarms, newest first (state=open for the desk)' })
  @ApiOkResponse({ type: [AlarmViewDto] })
  list(@Query() q: AlarmQuery): Promise<AlarmView[]> {
    return this.alarms.list(q);
  }

  @Get(':alarmId')
  @Allow(...DESK)
  @ApiOkResponse({ type: AlarmViewDto })
  get(@Param('alarmId', ParseUUIDPipe) id: string): Promise<AlarmView> {
    return this.alarms.get(id);
  }

  @Post(':alarmId/acknowledge')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'alarm.acknowledge', targetType: 'alarm', targetParam: 'alarmId' })
  @ApiOperation({ summary: 'Acknowledge an alarm (once)' })
  @ApiOkResponse({ type: AlarmViewDto })
  acknowledge(@Param('alarmId', ParseUUIDPipe) id: string, @Body() dto: AcknowledgeAlarmDto, @CurrentPrincipal() p: Principal): Promise<AlarmView> {
    return this.alarms.acknowledge(id, p.kind === 'staff' ? p.staffId : null, dto.note ?? null);
  }
}

@ApiTags('badge-in')
@ApiBearerAuth()
@ApiProblems()
@Controller()
export class DoorModesController {
  constructor(private readonly modes: DoorModesService) {}

  @Post('sites/:siteId/lockdown')
  @AvailableWhileDegraded()
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'site.lockdown', targetType: 'site', targetParam: 'siteId' })
  @ApiOperation({ summary: 'Lock down every zone of a site (active: true) or lift it (false)' })
  @ApiOkResponse({ type: ModeChangeResultDto })
  siteLockdown(@Param('siteId', ParseUUIDPipe) siteId: string, @Body() dto: ModeDto): Promise<ModeChangeResult> {
    return this.modes.lockdown({ siteId }, dto.active);
  }

  @Post('zones/:zoneId/lockdown')
  @AvailableWhileDegraded()
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'zone.lockdown', targetType: 'zone', targetParam: 'zoneId' })
  @ApiOperation({ summary: 'Lock down a zone (active: true) or lift it (false)' })
  @ApiOkResponse({ type: ModeChangeResultDto })
  zoneLockdown(@Param('zoneId', ParseUUIDPipe) zoneId: string, @Body() dto: ModeDto): Promise<ModeChangeResult> {
    return this.modes.lockdown({ zoneId }, dto.active);
  }

  @Post('sites/:siteId/emergency-release')
  @AvailableWhileDegraded()
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'site.emergency_release', targetType: 'site', targetParam: 'siteId' })
  @ApiOperation({ summary: 'Release every door of a site for evacuation (active: true) or end it (false)' })
  @ApiOkResponse({ type: ModeChangeResultDto })
  siteRelease(@Param('siteId', ParseUUIDPipe) siteId: string, @Body() dto: ModeDto, @CurrentPrincipal() p: Principal): Promise<ModeChangeResult> {
    return this.modes.emergencyRelease({ siteId }, dto.active, p.kind === 'staff' ? p.staffId : null);
  }

  @Post('doors/:doorId/hold-locked')
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'door.hold_locked', targetType: 'door', targetParam: 'doorId' })
  @ApiOperation({ summary: 'Hold one door locked (active: true; badge-ins denied door_locked) or release the hold (false)' })
  @ApiOkResponse({ type: ModeChangeResultDto })
  holdLocked(@Param('doorId', ParseUUIDPipe) doorId: string, @Body() dto: ModeDto, @CurrentPrincipal() p: Principal): Promise<ModeChangeResult> {
    return this.modes.holdLocked(doorId, dto.active, p.kind === 'staff' ? p.staffId : null);
  }

  @Post('zones/:zoneId/emergency-release')
  @AvailableWhileDegraded()
  @HttpCode(200)
  @Allow(...DESK)
  @Audited({ action: 'zone.emergency_release', targetType: 'zone', targetParam: 'zoneId' })
  @ApiOperation({ summary: 'Release every door of a zone for evacuation (active: true) or end it (false)' })
  @ApiOkResponse({ type: ModeChangeResultDto })
  zoneRelease(@Param('zoneId', ParseUUIDPipe) zoneId: string, @Body() dto: ModeDto, @CurrentPrincipal() p: Principal): Promise<ModeChangeResult> {
    return this.modes.emergencyRelease({ zoneId }, dto.active, p.kind === 'staff' ? p.staffId : null);
  }
}
