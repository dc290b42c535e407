import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { actorOf, Allow, Audited, type AuthenticatedRequest } from '@acs/auth';
import { SecurityAlarmService } from './security-alarms.service.js';
import { ApiProblems } from '@acs/http';

export class AcknowledgeSecurityAlarmDto {
  // The acknowledgement lives in the audit trail, which keeps identifiers and codes only.
  @ApiPropertyOptional({ description: 'A ticket or incident reference (letters, digits and ._:/+- only, no free text)', example: 'INC-4711' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:/+-]{1,80}$/)
  note?: string;
}

export class SecurityAlarmViewDto {
  @ApiProperty({ format: 'uuid', description: "The alarm's audit entry (action mqtt.security_alarm)" }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'MQTT security events within the window when the alarm was raised' }) count!: number;
  @ApiProperty({ example: 60 }) windowS!: number;
  @ApiProperty({ example: 'forged-event', description: 'Kind of the event that crossed the threshold' }) kind!: string;
  @ApiProperty({ example: 'ctl-hall-a', description: 'Its source: controller or broker client id, or address' }) source!: string;
  @ApiProperty({ enum: ['open', 'acknowledged'] }) state!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) acknowledgedAt!: string | null;
}

/** MQTT security alarms (issue 16) for the security desk: the same roles as door alarms. */
@ApiTags('badge-in')
@ApiBearerAuth()
@ApiProblems()
@Controller('monitor/security-alarms')
export class SecurityAlarmsController {
  constructor(private readonly alarms: SecurityAlarmService) {}

  @Get()
  @Allow('admin', 'security')
  @ApiOperation({ summary: 'MQTT security alarms of the last 24 hours, newest first (open until acknowledged)' })
  @ApiOkResponse({ type: [SecurityAlarmViewDto] })
  list(): Promise<SecurityAlarmViewDto[]> {
    return this.alarms.recent();
  }

  @Post(':alarmId/acknowledge')
  @HttpCode(200)
  @Allow('admin', 'security')
  // The call itself (refusals included), like every state-changing route; the service records the
  // acknowledgement with its reference as mqtt.security_alarm_acknowledge.
  @Audited({ action: 'security_alarm.acknowledge', targetType: 'audit_entry', targetParam: 'alarmId' })
  @ApiOperation({ summary: 'Acknowledge a security alarm (once; recorded as mqtt.security_alarm_acknowledge)' })
  @ApiOkResponse({ type: SecurityAlarmViewDto })
  acknowledge(
    @Param('alarmId', ParseUUIDPipe) id: string,
    @Body() dto: AcknowledgeSecurityAlarmDto,
    @Req() req: AuthenticatedRequest,
  ): Promise<SecurityAlarmViewDto> {
    return this.alarms.acknowledge(id, actorOf(req.principal), dto.note ?? null, req.id !== undefined ? String(req.id) : null);
  }
}
