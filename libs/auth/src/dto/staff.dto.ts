import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { PlainText } from '@acs/http';
import { STAFF_ROLES, type StaffRole } from '../roles.js';

export class CreateStaffDto {
  @ApiProperty({ example: 'desk-officer-2', description: 'Login handle: lower-case letters, digits, dot, dash, underscore' })
  @Matches(/^[a-z0-9][a-z0-9._-]{1,63}$/, { message: 'username must be 2-64 characters of a-z, 0-9, dot, dash or underscore' })
  username!: string;

  @ApiProperty({ enum: STAFF_ROLES, example: 'security' })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;
}

export class IssueTokenDto {
  @ApiPropertyOptional({ example: 'enrolment desk terminal', maxLength: 100 })
  @IsOptional()
  @PlainText()
  @MaxLength(100)
  label?: string;

  @ApiPropertyOptional({ example: 30, minimum: 1, maximum: 3650 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  ttlDays?: number;
}

export class StaffView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: STAFF_ROLES }) role!: StaffRole;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: string | null;
}

export class IssuedTokenView {
  @ApiProperty({ description: 'The bearer token. Shown once; store it now.', example: 'acs_Zm9v...' }) token!: string;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
}

export class CreatedStaffView {
  @ApiProperty({ type: StaffView }) staff!: StaffView;
  @ApiProperty({ type: IssuedTokenView }) token!: IssuedTokenView;
  @ApiProperty({ format: 'uuid' }) id!: string;
}

export class TokenView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['staff', 'customer'] }) kind!: 'staff' | 'customer';
  @ApiProperty({ nullable: true, type: String }) staffId!: string | null;
  @ApiProperty({ nullable: true, type: String }) customerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt!: string | null;
}

/** Ids are UUIDs: anything else is refused here rather than reaching a PostgreSQL uuid column (a 500). */
export class TokenQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() staffId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() customerId?: string;
}
