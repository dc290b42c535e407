import { ApiProperty } from '@nestjs/swagger';
import { ALARM_KINDS, ALARM_STATES, DOOR_OVERRIDE_MODES } from './entities.js';

/**
 * What the badge-in routes answer, for the OpenAPI document (and so the console's generated
 * types). The services return plain interfaces (DoorStatusView, AlarmView, ...); these classes
 * only describe them, field for field.
 */

export class DoorStatusViewDto {
  @ApiProperty({ format: 'uuid' }) doorId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ format: 'uuid' }) zoneId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) controllerId!: string | null;
  @ApiProperty({ description: 'online, offline, or no-controller' }) controllerStatus!: string;
  @ApiProperty({ type: 'integer' }) relayChannel!: number;
  @ApiProperty({ type: Boolean, nullable: true, description: 'Door contact; null until the controller reports it' }) open!: boolean | null;
  @ApiProperty({ type: Boolean, nullable: true }) locked!: boolean | null;
  @ApiProperty({ type: String, nullable: true }) controllerMode!: string | null;
  @ApiProperty({ type: String, nullable: true }) controllerAlarm!: string | null;
  @ApiProperty({ type: String, enum: DOOR_OVERRIDE_MODES, nullable: true }) override!: (typeof DOOR_OVERRIDE_MODES)[number] | null;
  @ApiProperty() lockdown!: boolean;
}

export class ReaderLoopViewDto {
  @ApiProperty({ format: 'uuid' }) readerId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) doorId!: string | null;
  @ApiProperty({ enum: ['entry', 'exit'] }) direction!: 'entry' | 'exit';
  @ApiProperty() readerState!: string;
  @ApiProperty({ type: 'integer' }) polls!: number;
  @ApiProperty({ type: 'integer' }) badges!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
}

export class ReasonViewDto {
  @ApiProperty() code!: string;
  @ApiProperty({ description: 'The family of a decision reason, or follow_up' }) family!: string;
  @ApiProperty() description!: string;
}

export class AlarmViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ALARM_KINDS }) kind!: (typeof ALARM_KINDS)[number];
  @ApiProperty({ enum: ALARM_STATES }) state!: (typeof ALARM_STATES)[number];
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) zoneId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) doorId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) controllerId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) attemptId!: string | null;
  @ApiProperty({ type: String, nullable: true }) detail!: string | null;
  @ApiProperty({ format: 'date-time' }) raisedAt!: string;
  @ApiProperty({ type: String, nullable: true }) acknowledgedBy!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) acknowledgedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) ackNote!: string | null;
}

export class ModeChangeDoorDto {
  @ApiProperty({ format: 'uuid' }) doorId!: string;
  @ApiProperty({ description: 'ok, no-controller, or why the controller did not take the mode' }) controller!: string;
}

export class ModeChangeResultDto {
  @ApiProperty({ enum: ['site', 'zone', 'door'] }) scope!: 'site' | 'zone' | 'door';
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['lockdown', 'emergency_release', 'locked'] }) mode!: 'lockdown' | 'emergency_release' | 'locked';
  @ApiProperty() active!: boolean;
  @ApiProperty({ type: [String] }) zoneIds!: string[];
  @ApiProperty({ type: [ModeChangeDoorDto] }) doors!: ModeChangeDoorDto[];
}

/** Server-sent events: one JSON object per `data:` field, its `type` also in the `event:` field. */
export const EVENT_STREAM = {
  description: 'A text/event-stream of monitor events (attempt, follow_up, alarm, door, controller, reader status) and keepalives',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
} as const;
