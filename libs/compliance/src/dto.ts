import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsISO8601, IsOptional, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PlainText } from '@acs/http';
import { DSR_KINDS, DSR_STATUSES, IDENTITY_METHODS, type DsrKind, type IdentityMethod } from './entities.js';

export class PlaceHoldDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() customerId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Hold one person only; omit for the whole customer' }) @IsOptional() @IsUUID() personId?: string;
  @ApiProperty({ maxLength: 500 }) @PlainText() @MinLength(3) @MaxLength(500) reason!: string;
  @ApiProperty({ maxLength: 100, description: "The authority's case or order reference" }) @PlainText() @MinLength(1) @MaxLength(100) reference!: string;
}

export class ReleaseHoldDto {
  @ApiProperty({ maxLength: 500 }) @PlainText() @MinLength(3) @MaxLength(500) reason!: string;
}

export class OpenCaseDto {
  @ApiProperty({ enum: DSR_KINDS }) @IsIn(DSR_KINDS) kind!: DsrKind;
  @ApiProperty({ format: 'uuid' }) @IsUUID() personId!: string;
  @ApiProperty({ format: 'date-time' }) @IsISO8601({ strict: true }) receivedAt!: string;
  @ApiProperty({ enum: IDENTITY_METHODS, description: 'How identity was checked. Never upload or store the ID copy.' })
  @IsIn(IDENTITY_METHODS)
  identityMethod!: IdentityMethod;
}

/** A customer administrator's filing on behalf of one of the customer's people (identity: confirmed by the customer). */
export class FileCustomerCaseDto {
  @ApiProperty({ enum: DSR_KINDS }) @IsIn(DSR_KINDS) kind!: DsrKind;
  @ApiProperty({ format: 'uuid', description: 'A person of the customer' }) @IsUUID() personId!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the person made the request (default: now); the deadline runs from it' })
  @IsOptional()
  @IsISO8601({ strict: true })
  receivedAt?: string;
}

export class ExtendCaseDto {
  @ApiProperty({ maxLength: 500 }) @PlainText() @MinLength(3) @MaxLength(500) reason!: string;
}

export class CloseCaseDto {
  @ApiProperty({ enum: ['completed', 'rejected'] }) @IsIn(['completed', 'rejected']) status!: 'completed' | 'rejected';
  @ApiProperty({ maxLength: 500 }) @PlainText() @MinLength(1) @MaxLength(500) outcome!: string;
}

export class CaseQueryDto {
  @ApiPropertyOptional() @IsOptional() @Transform(({ value }) => value === 'true' || value === true) @IsBoolean() overdue?: boolean;
  @ApiPropertyOptional({ enum: DSR_STATUSES }) @IsOptional() @IsIn(DSR_STATUSES) status?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() personId?: string;
}

export class CaseActionDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The data-subject case this action answers' }) @IsOptional() @IsUUID() caseId?: string;
}

export class RectifyDto extends CaseActionDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(200) fullName?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsEmail() @MaxLength(254) email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{6,32}$/, { message: 'phone must be digits, spaces, brackets or dashes, optionally starting with +' })
  phone?: string | null;
}

export class ExportQueryDto {
  @ApiPropertyOptional({
    enum: ['json', 'csv'],
    description: "csv: one row per value, values exact (no spreadsheet formula escaping: this is the person's own data)",
  })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The open access or portability case this export answers: named in the export and linked in the audit trail',
  })
  @IsOptional()
  @IsUUID()
  caseId?: string;
}

export class JobQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() customerId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() personId?: string;
}
