import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { iso, isoOrNull, PlainText } from '@acs/http';
import type { StaffAccountEntity } from '../staff-account.entity.js';
import { ACCOUNT_ROLES, type AccountRole, STAFF_ROLES, type StaffRole } from '../roles.js';

export class CreateStaffDto {
  @ApiProperty({ example: 'desk-officer-2', description: 'Login handle: lower-case letters, digits, dot, dash, underscore' })
  @Matches(/^[a-z0-9][a-z0-9._-]{1,63}$/, { message: 'username must be 2-64 characters of a-z, 0-9, dot, dash or underscore' })
  username!: string;

  @ApiProperty({ enum: STAFF_ROLES, example: 'security' })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;

  @ApiPropertyOptional({
    enum: ['token', 'password_reset'],
    default: 'token',
    description: 'token: the response holds a first bearer token; password_reset: a one-time password-reset token instead (a person who signs in)',
  })
  @IsOptional()
  @IsIn(['token', 'password_reset'])
  firstCredential?: 'token' | 'password_reset';
}

export class CreateCustomerAdminDto {
  @ApiProperty({ example: 'acme-it-lead', description: 'Login handle: lower-case letters, digits, dot, dash, underscore' })
  @Matches(/^[a-z0-9][a-z0-9._-]{1,63}$/, { message: 'username must be 2-64 characters of a-z, 0-9, dot, dash or underscore' })
  username!: string;
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
  @ApiProperty({ enum: ACCOUNT_ROLES }) role!: AccountRole;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The customer of a customer_admin; null for staff' }) customerId!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: string | null;
}

/** GET /staff: an account with whether its sign-in is set up (never the secrets). */
export class AccountView extends StaffView {
  @ApiProperty({ description: 'A password has been set (through a reset token)' }) passwordSet!: boolean;
  @ApiProperty({ description: 'TOTP is enrolled' }) totp!: boolean;
  @ApiProperty({ description: 'Number of registered passkeys' }) passkeys!: number;
}

export class IssuedResetView {
  @ApiProperty({ description: 'One-time password-reset token. Shown once; hand it over as /console/password-reset#<token>.', example: 'acsr_Zm9v...' })
  resetToken!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
}

export class CreatedCustomerAdminView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: StaffView }) account!: StaffView;
  @ApiProperty({ type: IssuedResetView }) passwordReset!: IssuedResetView;
}

export class IssuedTokenView {
  @ApiProperty({ description: 'The bearer token. Shown once; store it now.', example: 'acs_Zm9v...' }) token!: string;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
}

export class CreatedStaffView {
  @ApiProperty({ type: StaffView }) staff!: StaffView;
  @ApiPropertyOptional({ type: IssuedTokenView, description: 'With firstCredential=token (the default)' }) token?: IssuedTokenView;
  @ApiPropertyOptional({ type: IssuedResetView, description: 'With firstCredential=password_reset' }) passwordReset?: IssuedResetView;
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

export function staffView(s: StaffAccountEntity): StaffView {
  return { id: s.id, username: s.username, role: s.role, customerId: s.customerId, createdAt: iso(s.createdAt), disabledAt: isoOrNull(s.disabledAt) };
}
