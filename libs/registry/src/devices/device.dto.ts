import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CREDENTIAL_POLICIES, type CredentialPolicy } from '@acs/access-rules';
import { PlainText } from '@acs/http';
import { PageQueryDto } from '../common/paging.js';
import { FAIL_MODES, READER_MODELS, READER_ROLES, type FailMode, type ReaderModel, type ReaderRole } from '../entities/index.js';

const TRANSPORT = /^(\/dev\/[A-Za-z0-9._/:-]{1,200}|tcp:\/\/[A-Za-z0-9.-]{1,200}:\d{1,5})$/;
const HEX32 = /^[0-9A-Fa-f]{8}$/;

export class CreateReaderDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() siteId!: string;
  @ApiProperty({ example: 'Suite 2.14 entry' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiProperty({ enum: READER_MODELS }) @IsIn(READER_MODELS) model!: ReaderModel;
  @ApiProperty({ example: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0', description: 'Serial device path or tcp://host:port of a serial device server' })
  @Matches(TRANSPORT, { message: 'transport must be a /dev/... path or tcp://host:port' })
  transport!: string;
  @ApiPropertyOptional({ example: 'dc1-a', description: "The server instance wired to it (its INSTANCE_ID); 'default' for a single server" })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'host must be 1-64 characters of a-z, 0-9 and dash' })
  host?: string;
  @ApiPropertyOptional({
    example: 'dc1',
    nullable: true,
    type: String,
    description:
      'Failover group: another server instance serving this group takes the device over when its host dies (network devices only); null to keep it on its host',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'failoverGroup must be 1-64 characters of a-z, 0-9 and dash' })
  failoverGroup?: string | null;
  @ApiPropertyOptional({ example: 'FFFFFFFF', description: 'Module address, 8 hex digits (datasheet default FFFFFFFF)' })
  @IsOptional()
  @Matches(HEX32, { message: 'address must be 8 hex digits' })
  address?: string;
  @ApiPropertyOptional({ example: '00000000', description: 'Module password, 8 hex digits; stored encrypted, never returned' })
  @IsOptional()
  @Matches(HEX32, { message: 'password must be 8 hex digits' })
  password?: string;
  @ApiProperty({ enum: READER_ROLES }) @IsIn(READER_ROLES) role!: ReaderRole;
  @ApiPropertyOptional({ example: 200, description: 'Library size to plan with until the device reports its own' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  declaredCapacity?: number;
}

export class UpdateReaderDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(TRANSPORT, { message: 'transport must be a /dev/... path or tcp://host:port' }) transport?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(HEX32, { message: 'address must be 8 hex digits' }) address?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(HEX32, { message: 'password must be 8 hex digits' }) password?: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(10000) declaredCapacity?: number;
  @ApiPropertyOptional({ example: 'dc1-a', description: "The server instance wired to it (its INSTANCE_ID); 'default' for a single server" })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'host must be 1-64 characters of a-z, 0-9 and dash' })
  host?: string;
  @ApiPropertyOptional({
    example: 'dc1',
    nullable: true,
    type: String,
    description:
      'Failover group: another server instance serving this group takes the device over when its host dies (network devices only); null to keep it on its host',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'failoverGroup must be 1-64 characters of a-z, 0-9 and dash' })
  failoverGroup?: string | null;
}

export class ReaderView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: READER_MODELS }) model!: ReaderModel;
  @ApiProperty() transport!: string;
  @ApiProperty({ description: 'Server instance that opens this reader (its preferred instance when it has a failover group)' }) host!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Failover group; null when the reader stays with its host' }) failoverGroup!: string | null;
  @ApiProperty({ example: 'FFFFFFFF' }) address!: string;
  @ApiProperty({ enum: READER_ROLES }) role!: ReaderRole;
  @ApiProperty({ nullable: true, type: Number, description: 'As read from the device' }) capacity!: number | null;
  @ApiProperty() declaredCapacity!: number;
}

export class ReaderPageView {
  @ApiProperty({ type: [ReaderView] }) items!: ReaderView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CreateControllerDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() siteId!: string;
  @ApiProperty({ example: 'Suite 2 controller' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiProperty({ example: 'ams1-ctl-07', description: 'MQTT client id and topic segment' })
  @Matches(/^[a-z0-9][a-z0-9_-]{1,63}$/, { message: 'mqttId must be 2-64 characters of a-z, 0-9, dash or underscore' })
  mqttId!: string;
  @ApiPropertyOptional({ example: 'dc1-a', description: "The server instance wired to it (its INSTANCE_ID); 'default' for a single server" })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'host must be 1-64 characters of a-z, 0-9 and dash' })
  host?: string;
  @ApiPropertyOptional({
    example: 'dc1',
    nullable: true,
    type: String,
    description:
      'Failover group: another server instance serving this group takes the device over when its host dies (network devices only); null to keep it on its host',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'failoverGroup must be 1-64 characters of a-z, 0-9 and dash' })
  failoverGroup?: string | null;
}

export class UpdateControllerDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional({ example: 'dc1-a', description: "The server instance wired to it (its INSTANCE_ID); 'default' for a single server" })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'host must be 1-64 characters of a-z, 0-9 and dash' })
  host?: string;
  @ApiPropertyOptional({
    example: 'dc1',
    nullable: true,
    type: String,
    description:
      'Failover group: another server instance serving this group takes the device over when its host dies (network devices only); null to keep it on its host',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'failoverGroup must be 1-64 characters of a-z, 0-9 and dash' })
  failoverGroup?: string | null;
}

export class ControllerView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) siteId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() mqttId!: string;
  @ApiProperty({ description: "Server instance that handles this controller's events (its preferred instance when it has a failover group)" }) host!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Failover group; null when the controller stays with its host' }) failoverGroup!: string | null;
  @ApiProperty({ format: 'date-time' }) secretsRotatedAt!: string;
}

export class ControllerSecretsView {
  @ApiProperty({ type: ControllerView }) controller!: ControllerView;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Broker username (= mqttId)' }) mqttUsername!: string;
  @ApiProperty({ description: 'Broker password. Shown once.' }) mqttPassword!: string;
  @ApiProperty({ description: 'HMAC-SHA256 command-signing secret, base64. Shown once.' }) signingSecret!: string;
}

export class ControllerPageView {
  @ApiProperty({ type: [ControllerView] }) items!: ControllerView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class CreateDoorDto {
  @ApiProperty({ format: 'uuid', description: 'The zone this door leads into' }) @IsUUID() zoneId!: string;
  @ApiProperty({ example: 'Suite 2.14 main door' }) @PlainText() @MinLength(1) @MaxLength(120) name!: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() entryReaderId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() exitReaderId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() controllerId?: string;
  @ApiPropertyOptional({ default: 1 }) @IsOptional() @IsInt() @Min(1) @Max(64) relayChannel?: number;
  @ApiPropertyOptional({ default: 30, description: 'Seconds before "held open" is raised' }) @IsOptional() @IsInt() @Min(1) @Max(3600) heldOpenSeconds?: number;
  @ApiPropertyOptional({ enum: FAIL_MODES, default: 'secure' }) @IsOptional() @IsIn(FAIL_MODES) failMode?: FailMode;
  @ApiPropertyOptional({ format: 'uuid', description: 'OSDP card reader outside the door' }) @IsOptional() @IsUUID() entryCardReaderId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'OSDP card reader inside the door' }) @IsOptional() @IsUUID() exitCardReaderId?: string;
  @ApiPropertyOptional({ enum: CREDENTIAL_POLICIES, description: "Overrides the zone's credential policy for this door" })
  @IsOptional()
  @IsIn(CREDENTIAL_POLICIES)
  credentialPolicy?: CredentialPolicy;
}

export class UpdateDoorDto {
  @ApiPropertyOptional() @IsOptional() @PlainText() @MinLength(1) @MaxLength(120) name?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsUUID() entryReaderId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsUUID() exitReaderId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsUUID() controllerId?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(64) relayChannel?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(3600) heldOpenSeconds?: number;
  @ApiPropertyOptional({ enum: FAIL_MODES }) @IsOptional() @IsIn(FAIL_MODES) failMode?: FailMode;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsUUID() entryCardReaderId?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsUUID() exitCardReaderId?: string | null;
  @ApiPropertyOptional({ enum: CREDENTIAL_POLICIES, nullable: true, description: "null: the zone's policy" })
  @IsOptional()
  @IsIn(CREDENTIAL_POLICIES)
  credentialPolicy?: CredentialPolicy | null;
}

export class DoorView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) zoneId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) entryReaderId!: string | null;
  @ApiProperty({ nullable: true, type: String }) exitReaderId!: string | null;
  @ApiProperty({ nullable: true, type: String }) controllerId!: string | null;
  @ApiProperty() relayChannel!: number;
  @ApiProperty() heldOpenSeconds!: number;
  @ApiProperty({ enum: FAIL_MODES }) failMode!: FailMode;
  @ApiProperty({ nullable: true, type: String }) entryCardReaderId!: string | null;
  @ApiProperty({ nullable: true, type: String }) exitCardReaderId!: string | null;
  @ApiProperty({ enum: CREDENTIAL_POLICIES, nullable: true, description: "null: the zone's policy" }) credentialPolicy!: CredentialPolicy | null;
}

export class DoorPageView {
  @ApiProperty({ type: [DoorView] }) items!: DoorView[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class DeviceQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() siteId?: string;
}

export class ReaderQueryDto extends DeviceQueryDto {
  @ApiPropertyOptional({ enum: READER_ROLES }) @IsOptional() @IsIn(READER_ROLES) role?: ReaderRole;
}

export class DoorQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() zoneId?: string;
}
