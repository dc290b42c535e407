import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { PlainText } from '@acs/http';
import { PageQueryDto } from '../common/paging.js';

export class ContactDto {
  @ApiProperty({ example: 'Jan de Vries', maxLength: 200 })
  @PlainText()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ example: 'jan.devries@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ example: '+31 20 123 4567' })
  @IsOptional()
  @Matches(/^\+?[0-9 ()-]{6,32}$/, { message: 'phone must be digits, spaces, brackets or dashes, optionally starting with +' })
  phone?: string;
}

export class CreateCustomerDto {
  @ApiProperty({ example: 'Acme Hosting B.V.' })
  @PlainText()
  @MinLength(1)
  @MaxLength(200)
  companyName!: string;

  @ApiProperty({ example: 'COLO-2026-0042', description: 'Contract reference, unique' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/, { message: 'contractRef must be 1-64 letters, digits, dot, slash, dash or underscore' })
  contractRef!: string;

  @ApiProperty({ example: '2026-01-01T00:00:00+01:00', format: 'date-time' })
  @IsISO8601({ strict: true })
  serviceStart!: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00+01:00', format: 'date-time', description: 'Unset until notice is given' })
  @IsOptional()
  @IsISO8601({ strict: true })
  serviceEnd?: string;

  @ApiPropertyOptional({ type: ContactDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactDto)
  contact?: ContactDto;
}

export class UpdateCustomerDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(200) companyName?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'Set when notice is given; null withdraws it' })
  @IsOptional()
  @IsISO8601({ strict: true })
  serviceEnd?: string | null;

  @ApiPropertyOptional({ type: ContactDto, nullable: true })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContactDto)
  contact?: ContactDto | null;
}

export const CUSTOMER_STATUSES = ['upcoming', 'active', 'ended', 'purged'] as const;
export type CustomerStatus = (typeof CUSTOMER_STATUSES)[number];

export class CustomerQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CUSTOMER_STATUSES }) @IsOptional() @IsIn(CUSTOMER_STATUSES) status?: CustomerStatus;
  @ApiPropertyOptional({ description: 'Substring of company name or contract reference' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class ContactView {
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
}

export class CustomerView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() companyName!: string;
  @ApiProperty() contractRef!: string;
  @ApiProperty({ format: 'date-time' }) serviceStart!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) serviceEnd!: string | null;
  @ApiProperty({ enum: CUSTOMER_STATUSES }) status!: CustomerStatus;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) purgedAt!: string | null;
  @ApiPropertyOptional({ type: ContactView, nullable: true, description: 'Only on single-customer reads (audited)' })
  contact?: ContactView | null;
}

export class CustomerPageView {
  @ApiProperty({ type: [CustomerView] }) items!: CustomerView[];
  @ApiPropertyOptional() nextCursor?: string;
}
