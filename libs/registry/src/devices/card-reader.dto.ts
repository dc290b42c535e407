import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PlainText } from '@acs/http';
import { PageQueryDto } from '../common/paging.js';
import { CARD_READER_SECURE_MODES, OSDP_BAUD_RATES, READER_ROLES, type CardReaderSecureMode, type ReaderRole } from '../entities/index.js';

const TRANSPORT = /^(\/dev\/[A-Za-z0-9._/:-]{1,200}|tcp:\/\/[A-Za-z0-9.-]{1,200}:\d{1,5})$/;
const HOST = /^[a-z0-9][a-z0-9-]{0,63}$/;
const HOST_MESSAGE = 'host must be 1-64 characters of a-z, 0-9 and dash';

export class CreateOsdpBusDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() siteId!: string;
  @ApiProperty({ example: 'Suite 2 RS-485 line' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiProperty({ example: '/dev/ttyUSB1', description: 'Serial device path or tcp://host:port of a serial device server' })
  @Matches(TRANSPORT, { message: 'transport must be a /dev/... path or tcp://host:port' })
  transport!: string;
  @ApiPropertyOptional({ example: 'dc1-a', description: "The server instance wired to the line (its INSTANCE_ID); 'default' for a single server" })
  @IsOptional()
  @Matches(HOST, { message: HOST_MESSAGE })
  host?: string;
  @ApiPropertyOptional({ enum: OSDP_BAUD_RATES, default: 9600 }) @IsOptional() @IsIn(OSDP_BAUD_RATES) baudRate?: number;
}

export class UpdateOsdpBusDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(TRANSPORT, { message: 'transport must be a /dev/... path or tcp://host:port' }) transport?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(HOST, { message: HOST_MESSAGE }) host?: string;
  @ApiPropertyOptional({ enum: OSDP_BAUD_RATES }) @IsOptional() @IsIn(OSDP_BAUD_RATES) baudRate?: number;
}

export class OsdpBusView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() transport!: string;
  @ApiProperty({ description: 'Server instance that opens the line' }) host!: string;
  @ApiProperty() baudRate!: number;
}

export class OsdpBusPageView {
  @ApiProperty({ type: [OsdpBusView] }) items!: OsdpBusView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CreateCardReaderDto {
  @ApiProperty({ format: 'uuid', description: "The RS-485 line it is on; the reader is at that line's site" }) @IsUUID() busId!: string;
  @ApiProperty({ example: 'Suite 2.14 entry card reader' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiProperty({ example: 1, description: 'OSDP address 0-126' }) @IsInt() @Min(0) @Max(126) address!: number;
  @ApiProperty({ enum: READER_ROLES, description: 'door: badge-in; enrolment: the security desk (issue cards, type PINs)' })
  @IsIn(READER_ROLES)
  role!: ReaderRole;
  @ApiPropertyOptional({ enum: CARD_READER_SECURE_MODES, default: 'required', description: 'Secure Channel use; required unless the reader cannot' })
  @IsOptional()
  @IsIn(CARD_READER_SECURE_MODES)
  secureMode?: CardReaderSecureMode;
  @ApiPropertyOptional({ default: true, description: 'Accept the public default key once to give the reader its own (osdp_KEYSET)' })
  @IsOptional()
  @IsBoolean()
  installMode?: boolean;
}

export class UpdateCardReaderDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(126) address?: number;
  @ApiPropertyOptional({ enum: CARD_READER_SECURE_MODES }) @IsOptional() @IsIn(CARD_READER_SECURE_MODES) secureMode?: CardReaderSecureMode;
}

export class CardReaderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty({ format: 'uuid' }) busId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() address!: number;
  @ApiProperty({ enum: READER_ROLES }) role!: ReaderRole;
  @ApiProperty({ enum: CARD_READER_SECURE_MODES }) secureMode!: CardReaderSecureMode;
  @ApiProperty({ description: 'Waiting to be given its own key under the public default key' }) installMode!: boolean;
  @ApiProperty({ description: 'The reader has its own Secure Channel key (never returned)' }) keySet!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) keySetAt!: string | null;
}

export class CardReaderPageView {
  @ApiProperty({ type: [CardReaderView] }) items!: CardReaderView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CardReaderQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() siteId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() busId?: string;
  @ApiPropertyOptional({ enum: READER_ROLES }) @IsOptional() @IsIn(READER_ROLES) role?: ReaderRole;
}

export class OsdpBusQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() siteId?: string;
}
