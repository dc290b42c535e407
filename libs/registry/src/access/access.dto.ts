import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { PlainText } from '@acs/http';
import type { IsoWeekday } from '@acs/access-rules';
import { PageQueryDto } from '../common/paging.js';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export class WeeklyWindowDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 7, description: 'ISO weekday, 1 = Monday', example: 1 })
  @IsIn([1, 2, 3, 4, 5, 6, 7])
  day!: IsoWeekday;

  @ApiProperty({ example: '07:00' }) @Matches(HHMM, { message: 'start must be HH:mm' }) start!: string;
  @ApiProperty({ example: '19:00', description: 'Exclusive; 24:00 = end of day' }) @Matches(HHMM, { message: 'end must be HH:mm or 24:00' }) end!: string;
}

export class CreateScheduleDto {
  @ApiProperty({ example: 'Office hours' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiPropertyOptional({ example: 'Europe/Amsterdam' }) @IsOptional() @IsString() @MaxLength(64) timeZone?: string;
  @ApiProperty({ type: [WeeklyWindowDto] })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => WeeklyWindowDto)
  windows!: WeeklyWindowDto[];
  @ApiPropertyOptional({ type: [String], example: ['2026-12-25'], description: 'Local dates on which the weekly windows do not apply' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(366)
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true, message: 'holidays must be YYYY-MM-DD' })
  holidays?: string[];
  @ApiPropertyOptional({ type: [WeeklyWindowDto], description: 'Windows on holidays (day ignored); none = closed' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => WeeklyWindowDto)
  holidayWindows?: WeeklyWindowDto[];
}

export class UpdateScheduleDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) timeZone?: string;
  @ApiPropertyOptional({ type: [WeeklyWindowDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => WeeklyWindowDto)
  windows?: WeeklyWindowDto[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(366)
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true, message: 'holidays must be YYYY-MM-DD' })
  holidays?: string[];
  @ApiPropertyOptional({ type: [WeeklyWindowDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => WeeklyWindowDto)
  holidayWindows?: WeeklyWindowDto[];
}

export class ScheduleView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() timeZone!: string;
  @ApiProperty({ type: [WeeklyWindowDto] }) windows!: WeeklyWindowDto[];
  @ApiProperty({ type: [String] }) holidays!: string[];
  @ApiProperty({ type: [WeeklyWindowDto] }) holidayWindows!: WeeklyWindowDto[];
}

export class SchedulePageView {
  @ApiProperty({ type: [ScheduleView] }) items!: ScheduleView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CreateAccessLevelDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() siteId!: string;
  @ApiProperty({ example: 'Acme suite 2.14, office hours' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'None = at all times' }) @IsOptional() @IsUUID() scheduleId?: string;
  @ApiPropertyOptional({ type: [String], format: 'uuid' }) @IsOptional() @IsArray() @ArrayMaxSize(500) @IsUUID('all', { each: true }) zoneIds?: string[];
  @ApiPropertyOptional({ type: [String], format: 'uuid' }) @IsOptional() @IsArray() @ArrayMaxSize(500) @IsUUID('all', { each: true }) doorIds?: string[];
}

export class UpdateAccessLevelDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsUUID() scheduleId?: string | null;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(500) @IsUUID('all', { each: true }) zoneIds?: string[];
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(500) @IsUUID('all', { each: true }) doorIds?: string[];
}

export class AccessLevelView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) scheduleId!: string | null;
  @ApiProperty({ type: [String] }) zoneIds!: string[];
  @ApiProperty({ type: [String] }) doorIds!: string[];
}

export class AccessLevelPageView {
  @ApiProperty({ type: [AccessLevelView] }) items!: AccessLevelView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CreateGrantDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() accessLevelId!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() customerId!: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'One person of the customer; none = the whole customer' }) @IsOptional() @IsUUID() personId?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601({ strict: true }) validFrom?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive' }) @IsOptional() @IsISO8601({ strict: true }) validUntil?: string;
}

export class UpdateGrantDto {
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) @IsOptional() @IsISO8601({ strict: true }) validFrom?: string | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true }) @IsOptional() @IsISO8601({ strict: true }) validUntil?: string | null;
}

export class GrantView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) accessLevelId!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
  @ApiProperty({ nullable: true, type: String }) personId!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) validFrom!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) validUntil!: string | null;
}

export class GrantPageView {
  @ApiProperty({ type: [GrantView] }) items!: GrantView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class GrantQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() customerId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() personId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() accessLevelId?: string;
}

export class AtQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'The instant to evaluate; default now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class AccessAnswerView {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ example: 'granted' }) reason!: string;
  @ApiPropertyOptional() grantId?: string;
  @ApiPropertyOptional() accessLevelId?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When this answer next changes, if known' }) until?: string;
}

export class DoorAccessView extends AccessAnswerView {
  @ApiProperty({ format: 'uuid' }) doorId!: string;
  @ApiProperty() doorName!: string;
}

export class PersonAccessView extends AccessAnswerView {
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty({ format: 'uuid' }) customerId!: string;
}

export class ReaderLoadView {
  @ApiProperty({ format: 'uuid' }) readerId!: string;
  @ApiProperty() readerName!: string;
  @ApiProperty() capacity!: number;
  @ApiProperty({ description: 'Templates the reader must hold for everyone who may open its doors' }) required!: number;
  @ApiProperty() persons!: number;
}

export class CustomerZoneView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'suite' }) kind!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
}
