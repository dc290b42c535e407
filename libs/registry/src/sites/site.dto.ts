import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CREDENTIAL_POLICIES, type CredentialPolicy } from '@acs/access-rules';
import { PlainText } from '@acs/http';
import { PageQueryDto } from '../common/paging.js';
import { ZONE_KINDS, type ZoneKind } from '../entities/index.js';

const APB = ['off', 'soft', 'hard'] as const;

export class CreateSiteDto {
  @ApiProperty({ example: 'AMS-1' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiPropertyOptional({ example: 'Europe/Amsterdam', description: 'IANA time zone; defaults to DEFAULT_TIME_ZONE' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
}

export class UpdateSiteDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) timeZone?: string;
}

export class SiteView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() timeZone!: string;
}

export class SitePageView {
  @ApiProperty({ type: [SiteView] }) items!: SiteView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CreateZoneDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() siteId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Enclosing zone (e.g. the suite of a cage)' }) @IsOptional() @IsUUID() parentZoneId?: string;
  @ApiProperty({ example: 'Suite 2.14' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiProperty({ enum: ZONE_KINDS }) @IsIn(ZONE_KINDS) kind!: ZoneKind;
  @ApiPropertyOptional({ enum: APB, default: 'off', description: 'Needs entry and exit readers on its doors' })
  @IsOptional()
  @IsIn(APB)
  antiPassback?: (typeof APB)[number];
  @ApiPropertyOptional({ example: 'mantrap-1', description: 'Doors in one interlock group: one open at a time' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/)
  interlockGroup?: string;
  @ApiPropertyOptional({ example: 30, description: 'Two distinct authorised people within N seconds' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  twoPersonWindowSeconds?: number;
  @ApiPropertyOptional({
    enum: CREDENTIAL_POLICIES,
    default: 'fingerprint',
    description: "Credentials that open the zone's doors: fingerprint, card, card+pin, card+fingerprint or fingerprint|card (either)",
  })
  @IsOptional()
  @IsIn(CREDENTIAL_POLICIES)
  credentialPolicy?: CredentialPolicy;
}

export class UpdateZoneDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional({ enum: APB }) @IsOptional() @IsIn(APB) antiPassback?: (typeof APB)[number];
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,64}$/) interlockGroup?: string | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(600) twoPersonWindowSeconds?: number | null;
  @ApiPropertyOptional({ description: 'Lockdown: every door into the zone denies' }) @IsOptional() @IsBoolean() lockdown?: boolean;
  @ApiPropertyOptional({ enum: CREDENTIAL_POLICIES }) @IsOptional() @IsIn(CREDENTIAL_POLICIES) credentialPolicy?: CredentialPolicy;
}

export class ZoneQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() siteId?: string;
  @ApiPropertyOptional({ enum: ZONE_KINDS }) @IsOptional() @IsIn(ZONE_KINDS) kind?: ZoneKind;
}

export class ZoneView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parentZoneId!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ZONE_KINDS }) kind!: ZoneKind;
  @ApiProperty({ enum: APB }) antiPassback!: string;
  @ApiProperty({ nullable: true, type: String }) interlockGroup!: string | null;
  @ApiProperty({ nullable: true, type: Number }) twoPersonWindowSeconds!: number | null;
  @ApiProperty() lockdown!: boolean;
  @ApiProperty({ enum: CREDENTIAL_POLICIES }) credentialPolicy!: CredentialPolicy;
}

export class ZonePageView {
  @ApiProperty({ type: [ZoneView] }) items!: ZoneView[];
  @ApiPropertyOptional() nextCursor?: string;
}
