import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsInt, IsOptional, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { NOTIFICATION_KINDS, OUTBOX_STATUSES, type NotificationKind, type OutboxStatus } from './entities.js';

export class SaveNotificationSettingsDto {
  @ApiProperty({ type: String, nullable: true, example: 'it-admin@customer.example', description: 'Where your notifications go; null: none (nothing is sent)' })
  @ValidateIf((o: SaveNotificationSettingsDto) => o.email !== null)
  @IsEmail()
  @MaxLength(254)
  email!: string | null;

  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true, description: 'The kinds you receive' })
  @IsArray()
  @ArrayMaxSize(NOTIFICATION_KINDS.length)
  @IsIn(NOTIFICATION_KINDS, { each: true })
  kinds!: NotificationKind[];
}

export class NotificationSettingsView {
  @ApiProperty({ format: 'uuid' }) staffId!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true }) kinds!: NotificationKind[];
  @ApiProperty({ enum: NOTIFICATION_KINDS, isArray: true }) availableKinds!: NotificationKind[];
  @ApiProperty({ description: 'False while the server has no SMTP server configured: settings are kept, nothing is sent' }) sending!: boolean;
}

export class OutboxQueryDto {
  @ApiPropertyOptional({ enum: OUTBOX_STATUSES }) @IsOptional() @IsIn(OUTBOX_STATUSES) status?: OutboxStatus;
  @ApiPropertyOptional({ minimum: 1, maximum: 500 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

export class OutboxRowView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ format: 'uuid', description: 'The customer administrator addressed' }) staffId!: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind!: NotificationKind;
  @ApiProperty({ enum: OUTBOX_STATUSES }) status!: OutboxStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ format: 'date-time' }) nextAttemptAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Code of the last failure (smtp_<reply code> or a connection error code)' }) lastError!:
    string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: string | null;
}

export class OutboxSummaryView {
  @ApiProperty() pending!: number;
  @ApiProperty() sent!: number;
  @ApiProperty() dead!: number;
  @ApiProperty() dropped!: number;
  @ApiProperty({ description: 'SMTP_URL is set' }) sending!: boolean;
}
