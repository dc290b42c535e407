import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
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

export class CardReaderStateDto {
  @ApiProperty({ format: 'uuid' }) readerId!: string;
  @ApiProperty({ format: 'uuid' }) busId!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['door', 'enrolment'] }) role!: 'door' | 'enrolment';
  @ApiProperty({ type: 'integer', description: 'OSDP address on the bus' }) address!: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) doorId!: string | null;
  @ApiProperty({ enum: ['entry', 'exit'], nullable: true, type: String }) direction!: 'entry' | 'exit' | null;
  @ApiProperty({ description: 'Server instance whose bus it is on' }) host!: string;
  @ApiProperty({ enum: ['online', 'offline', 'untrusted', 'other_instance', 'disabled'] }) state!: string;
  @ApiProperty({ description: 'Secure Channel: scbk (own key), scbk-d (install mode) or plain' }) secure!: string;
  @ApiProperty() tamper!: boolean;
  @ApiProperty({ type: Number, nullable: true, description: 'Epoch ms of the last time it came online' }) lastSeenAt!: number | null;
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

// The monitor stream's events (monitor.ts MonitorEvent), one class per member of the union: the
// `type` enum is the discriminator, also sent as the SSE `event:` field.

export class MonitorAttemptEvent {
  @ApiProperty({ enum: ['attempt', 'follow_up'] }) type!: 'attempt' | 'follow_up';
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) attemptId!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) zoneId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) doorId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) readerId!: string | null;
  @ApiProperty({ enum: ['entry', 'exit'] }) direction!: 'entry' | 'exit';
  @ApiProperty({ enum: ['granted', 'denied'] }) result!: 'granted' | 'denied';
  @ApiProperty({ description: 'A code of GET /badge-in/reasons' }) reason!: string;
  @ApiPropertyOptional() family?: string;
  @ApiPropertyOptional({ type: [String] }) violations?: string[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) customerId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) personId!: string | null;
  @ApiPropertyOptional({
    enum: ['fingerprint', 'card', 'card+pin', 'card+fingerprint', 'pin'],
    description: 'Attempts only: the credentials presented (never a card number)',
  })
  credential?: string;
}

export class MonitorAlarmEvent {
  @ApiProperty({ enum: ['alarm', 'alarm_acknowledged'] }) type!: 'alarm' | 'alarm_acknowledged';
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) zoneId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) doorId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) controllerId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) attemptId!: string | null;
}

export class MonitorDoorEvent {
  @ApiProperty({ enum: ['door'] }) type!: 'door';
  @ApiProperty({ format: 'uuid' }) doorId!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ format: 'uuid' }) zoneId!: string;
  @ApiProperty({ description: "The controller's door event (opened, forced-open, unlocked, ...)" }) event!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
}

export class MonitorControllerEvent {
  @ApiProperty({ enum: ['controller'] }) type!: 'controller';
  @ApiProperty({ format: 'uuid' }) controllerId!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
}

export class MonitorReaderEvent {
  @ApiProperty({ enum: ['reader'] }) type!: 'reader';
  @ApiProperty({ format: 'uuid' }) readerId!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() state!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
}

export class MonitorSecurityAlarmEvent {
  @ApiProperty({ enum: ['security_alarm', 'security_alarm_acknowledged'] }) type!: 'security_alarm' | 'security_alarm_acknowledged';
  @ApiProperty({ format: 'uuid', description: "The alarm's audit entry" }) id!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
  @ApiProperty({ type: 'integer' }) count!: number;
  @ApiProperty({ type: 'integer' }) windowS!: number;
  @ApiProperty() kind!: string;
  @ApiProperty() source!: string;
}

export class MonitorModeEvent {
  @ApiProperty({ enum: ['mode'] }) type!: 'mode';
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) zoneId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) doorId!: string | null;
  @ApiProperty() mode!: string;
  @ApiProperty({ type: 'integer', description: 'Epoch ms' }) at!: number;
}

/**
 * A server-sent event stream whose events' data are these classes (one JSON object per `data:`
 * field), plus a `keepalive` event with empty data every 15 s.
 */
export function ApiMonitorStream(...events: Array<new () => object>): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(...events),
    ApiOkResponse({
      description: "text/event-stream; each event's data is one of these, its `type` also the SSE event name; keepalive events carry {}",
      content: { 'text/event-stream': { schema: { oneOf: events.map((e) => ({ $ref: getSchemaPath(e) })) } } },
    }),
  );
}

export const ALL_MONITOR_EVENTS = [
  MonitorAttemptEvent,
  MonitorAlarmEvent,
  MonitorDoorEvent,
  MonitorControllerEvent,
  MonitorReaderEvent,
  MonitorSecurityAlarmEvent,
  MonitorModeEvent,
];
