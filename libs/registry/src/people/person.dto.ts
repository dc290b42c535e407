import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PlainText } from '@acs/http';
import type { PersonStatus } from '@acs/access-rules';
import { PageQueryDto } from '../common/paging.js';
import { PERSON_KINDS, type PersonKind } from '../entities/person.entity.js';

export const PERSON_STATUSES = ['active', 'suspended', 'restricted'] as const;

export class CreatePersonDto {
  @ApiProperty({ example: 'Jan de Vries', maxLength: 200 })
  @PlainText()
  @MinLength(1)
  @MaxLength(200)
  fullName!: string;

  @ApiPropertyOptional({ example: 'jan.devries@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '+31 6 12345678' })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{6,32}$/, { message: 'phone must be digits, spaces, brackets or dashes, optionally starting with +' })
  phone?: string;

  @ApiPropertyOptional({ enum: PERSON_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(PERSON_STATUSES)
  status?: PersonStatus;

  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) validFrom?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive end of validity' })
  @IsOptional()
  @IsISO8601({ strict: true })
  validUntil?: string;
}

/** Rectification: any field may be corrected; null clears an optional one. */
export class UpdatePersonDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(200) fullName?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsEmail() @MaxLength(254) email?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{6,32}$/, { message: 'phone must be digits, spaces, brackets or dashes, optionally starting with +' })
  phone?: string | null;
  @ApiPropertyOptional({ enum: PERSON_STATUSES }) @IsOptional() @IsIn(PERSON_STATUSES) status?: PersonStatus;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) @IsOptional() @IsISO8601({ strict: true }) validFrom?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) @IsOptional() @IsISO8601({ strict: true }) validUntil?: string | null;
}

export class PersonQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Name search: each word begins a word of the name, in any order; case- and accent-insensitive ("jose alv" finds "José Álvarez")',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: PERSON_STATUSES }) @IsOptional() @IsIn(PERSON_STATUSES) status?: PersonStatus;
}

export class PersonView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty() fullName!: string;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({ enum: PERSON_STATUSES }) status!: PersonStatus;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) validFrom!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) validUntil!: string | null;
  @ApiProperty({ enum: PERSON_KINDS, description: '`visitor`: made at the security desk for one visit' }) kind!: PersonKind;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'A visitor who must be escorted: their host' })
  escortPersonId!: string | null;
}

export class PersonPageView {
  @ApiProperty({ type: [PersonView] }) items!: PersonView[];
  @ApiPropertyOptional() nextCursor?: string;
}
