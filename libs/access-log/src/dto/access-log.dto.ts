import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { ACCESS_CREDENTIALS, ACCESS_EVENT_KINDS, ACCESS_RESULTS, REASON_PATTERN } from '../model.js';
import { EXPORT_FORMATS } from '../access-log.exporter.js';

export class AccessEventFilterDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() personId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() doorId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() zoneId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() siteId?: string;
  @ApiPropertyOptional({ enum: ACCESS_RESULTS }) @IsOptional() @IsIn(ACCESS_RESULTS) result?: 'granted' | 'denied';
  @ApiPropertyOptional({ example: 'outside_schedule' }) @IsOptional() @Matches(REASON_PATTERN) reason?: string;
  @ApiPropertyOptional({ enum: ACCESS_EVENT_KINDS }) @IsOptional() @IsIn(ACCESS_EVENT_KINDS) kind?: 'attempt' | 'follow_up';
  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class AccessEventQueryDto extends AccessEventFilterDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' }) @IsOptional() @IsString() cursor?: string;
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** Staff views across customers (a door's history) may narrow to one customer. */
export class DoorAccessEventQueryDto extends AccessEventQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() customerId?: string;
}

export class AccessEventExportQueryDto extends AccessEventFilterDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'csv' }) @IsOptional() @IsIn(EXPORT_FORMATS) format?: 'csv' | 'jsonl';
  @ApiPropertyOptional({ example: 'Europe/Amsterdam', description: "IANA zone for times; default: each event's site zone" })
  @IsOptional()
  @Matches(/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/)
  timeZone?: string;
}

export class AccessTotalsQueryDto {
  @ApiProperty({ format: 'date-time' }) @IsISO8601({ strict: true }) from!: string;
  @ApiProperty({ format: 'date-time' }) @IsISO8601({ strict: true }) to!: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() personId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() doorId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() siteId?: string;
}

export class AccessEventView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;
  @ApiProperty({ nullable: true, type: String }) customerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) personId!: string | null;
  @ApiProperty() siteId!: string;
  @ApiProperty({ nullable: true, type: String }) zoneId!: string | null;
  @ApiProperty({ nullable: true, type: String }) doorId!: string | null;
  @ApiProperty({ nullable: true, type: String }) readerId!: string | null;
  @ApiProperty({ enum: ['entry', 'exit'] }) direction!: string;
  @ApiProperty({ enum: ACCESS_RESULTS }) result!: string;
  @ApiProperty({ example: 'granted' }) reason!: string;
  @ApiProperty({ enum: ACCESS_EVENT_KINDS }) kind!: string;
  @ApiProperty() attemptId!: string;
  @ApiProperty({ description: 'Position in its chain' }) seq!: number;
  @ApiProperty() hash!: string;
  @ApiProperty({
    enum: ACCESS_CREDENTIALS,
    nullable: true,
    description: 'What the attempt was made with (never a card number); null on follow-ups and on attempts recorded before cards and PINs',
  })
  credential!: string | null;
  @ApiProperty({
    description: 'Decided while the database was unreachable (degraded mode): kept in the instance spool first, written here when it was back',
  })
  degraded!: boolean;
}

export class AccessEventPageView {
  @ApiProperty({ type: [AccessEventView] }) items!: AccessEventView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class DoorDayTotalView {
  @ApiProperty({ example: '2026-11-26' }) date!: string;
  @ApiProperty() siteId!: string;
  @ApiProperty({ nullable: true, type: String }) doorId!: string | null;
  @ApiProperty() granted!: number;
  @ApiProperty() denied!: number;
}

export class AccessTotalsView {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty({ type: Object, additionalProperties: { type: 'string' }, description: 'site id → IANA zone whose days are counted' }) timeZones!: Record<
    string,
    string
  >;
  @ApiProperty({ type: [DoorDayTotalView] }) days!: DoorDayTotalView[];
}

export class AccessChainVerdictView {
  @ApiProperty() chainId!: string;
  @ApiProperty() ok!: boolean;
  @ApiProperty() checked!: number;
  @ApiProperty({ nullable: true, type: Number }) headSeq!: number | null;
  @ApiProperty() headHash!: string;
  @ApiPropertyOptional({ type: Object, additionalProperties: true, example: { seq: 42, id: '0193…', reason: 'hash-mismatch' } }) firstBreak?: Record<
    string,
    unknown
  >;
  @ApiPropertyOptional({
    type: Object,
    additionalProperties: true,
    description: 'The chain against the newest signed checkpoint',
    example: {
      ok: false,
      checkpoint: { number: 12, at: '2026-12-01T10:00:00.000Z' },
      signature: 'valid',
      problem: 'missing_tail',
      checkpointSeq: 10,
      databaseSeq: 7,
    },
  })
  checkpoint?: Record<string, unknown>;
}

export class RetentionStatusView {
  @ApiProperty() customerId!: string;
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    example: { mode: 'pseudonymise', graceDays: 0, keepDays: 90, source: 'configuration' },
    description: 'mode until_end_of_service (deleted then) or pseudonymise (persons stripped, kept keepDays)',
  })
  policy!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) serviceEnd!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) appliesAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'until when any of the history is kept' }) keepUntil!: string | null;
  @ApiProperty({ enum: ['retained', 'due', 'pseudonymised', 'applied'] }) state!: string;
  @ApiProperty() events!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) oldestAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) newestAt!: string | null;
}
