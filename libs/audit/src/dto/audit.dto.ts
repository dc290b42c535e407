import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class AuditQueryDto {
  @ApiPropertyOptional() @IsOptional() @Matches(/^[A-Za-z0-9._:-]{1,64}$/) actorId?: string;
  @ApiPropertyOptional({ example: 'staff.create' }) @IsOptional() @Matches(/^[a-z0-9._-]{1,64}$/) action?: string;
  @ApiPropertyOptional({ example: 'staff' }) @IsOptional() @Matches(/^[a-z0-9_-]{1,32}$/) targetType?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^[A-Za-z0-9._:-]{1,64}$/) targetId?: string;
  @ApiPropertyOptional({ enum: ['success', 'failure', 'denied'] }) @IsOptional() @IsIn(['success', 'failure', 'denied']) outcome?:
    'success' | 'failure' | 'denied';
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page' }) @IsOptional() @IsString() cursor?: string;
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditEntryView {
  @ApiProperty() seq!: number;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'staff' }) actorType!: string;
  @ApiProperty({ nullable: true, type: String }) actorId!: string | null;
  @ApiProperty({ nullable: true, type: String }) role!: string | null;
  @ApiProperty({ example: 'staff.create' }) action!: string;
  @ApiProperty({ nullable: true, type: String }) targetType!: string | null;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty({ enum: ['success', 'failure', 'denied'] }) outcome!: string;
  @ApiProperty({ nullable: true, type: String }) requestId!: string | null;
  @ApiProperty({ nullable: true, type: Object, additionalProperties: true }) details!: Record<string, unknown> | null;
  @ApiProperty() hash!: string;
}

export class AuditPageView {
  @ApiProperty({ type: [AuditEntryView] }) items!: AuditEntryView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class ChainVerdictView {
  @ApiProperty() ok!: boolean;
  @ApiProperty() checked!: number;
  @ApiProperty({ nullable: true, type: Number }) headSeq!: number | null;
  @ApiProperty() headHash!: string;
  @ApiPropertyOptional({ type: Object, additionalProperties: true, example: { seq: 42, reason: 'hash-mismatch' } }) firstBreak?: Record<string, unknown>;
  @ApiPropertyOptional({
    type: Object,
    additionalProperties: true,
    description: 'The chain against the newest signed checkpoint',
    example: {
      ok: false,
      checkpoint: { number: 12, at: '2026-12-01T10:00:00.000Z' },
      signature: 'valid',
      problem: 'missing_tail',
      checkpointSeq: 50,
      databaseSeq: 48,
    },
  })
  checkpoint?: Record<string, unknown>;
}
