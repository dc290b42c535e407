import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsISO8601, IsOptional, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { PlainText } from '@acs/http';
import { REQUEST_KINDS, REQUEST_STATUSES, type EnrolmentState, type RequestKind, type RequestStatus } from './access-request.entity.js';

/**
 * One shape for the three kinds, told apart by `kind`: `add_person` needs `fullName` (and may ask
 * for an access level at once), `grant` needs `personId` and `accessLevelId`, `remove` needs
 * `personId` (and `accessLevelId` to end only that level).
 */
export class FileAccessRequestDto {
  @ApiProperty({ enum: REQUEST_KINDS })
  @IsIn(REQUEST_KINDS)
  kind!: RequestKind;

  @ApiPropertyOptional({ example: 'Jan de Vries', maxLength: 200, description: 'add_person only' })
  @ValidateIf((o: FileAccessRequestDto) => o.kind === 'add_person')
  @PlainText()
  @MinLength(1)
  @MaxLength(200)
  fullName?: string;

  @ApiPropertyOptional({ example: 'jan.devries@example.com', description: 'add_person only' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'grant and remove: a person of the customer' })
  @ValidateIf((o: FileAccessRequestDto) => o.kind !== 'add_person')
  @IsUUID()
  personId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'grant: required; add_person: optional; remove: only this level' })
  @ValidateIf((o: FileAccessRequestDto) => o.kind === 'grant' || o.accessLevelId !== undefined)
  @IsUUID()
  accessLevelId?: string;

  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) validFrom?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive end of the access asked for' })
  @IsOptional()
  @IsISO8601({ strict: true })
  validUntil?: string;
}

export class DecideAccessRequestDto {
  @ApiPropertyOptional({ maxLength: 500, description: 'Shown to the customer; required to refuse' })
  @IsOptional()
  @PlainText()
  @MinLength(1)
  @MaxLength(500)
  reason?: string;
}

export class RefuseAccessRequestDto {
  @ApiProperty({ maxLength: 500, description: 'Shown to the customer' })
  @PlainText()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}

export class AccessRequestQueryDto {
  @ApiPropertyOptional({ enum: REQUEST_STATUSES }) @IsOptional() @IsIn(REQUEST_STATUSES) status?: RequestStatus;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class PreApprovedLevelsDto {
  @ApiProperty({ type: [String], format: 'uuid', maxItems: 200 })
  @IsArray()
  @ArrayMaxSize(200)
  @IsUUID('all', { each: true })
  accessLevelIds!: string[];
}

export class AccessRequestView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ enum: REQUEST_KINDS }) kind!: RequestKind;
  @ApiProperty({ enum: REQUEST_STATUSES }) status!: RequestStatus;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) personId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'A new person not yet created (add_person, until approved)' }) fullName!: string | null;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) accessLevelId!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) validFrom!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) validUntil!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) requestedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) decidedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) decidedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty() preApproved!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) grantId!: string | null;
  @ApiProperty({ nullable: true, type: Number }) revokedGrants!: number | null;
  @ApiProperty({ nullable: true, enum: ['invited'], type: String }) enrolment!: EnrolmentState | null;
}

export class AccessRequestPageView {
  @ApiProperty({ type: [AccessRequestView] }) items!: AccessRequestView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class PendingCountView {
  @ApiProperty() pending!: number;
}

export class RequestableLevelView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) zoneIds!: string[];
  @ApiProperty({ description: 'A grant request for this level applies at once' }) preApproved!: boolean;
}

export class PreApprovedLevelsView {
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ type: [String] }) accessLevelIds!: string[];
}
