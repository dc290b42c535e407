import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

// Lengths here only bound the input; the password policy (min length, common list) is applied
// by PasswordService with its own problem codes.
const MAX_PASSWORD = 1024;

export class SignInDto {
  @ApiProperty({ example: 'desk-officer-2' }) @IsString() @MinLength(1) @MaxLength(64) username!: string;
  @ApiProperty({ format: 'password' }) @IsString() @MinLength(1) @MaxLength(MAX_PASSWORD) password!: string;
  @ApiPropertyOptional({ description: 'Six-digit TOTP code, when the account has a second factor', example: '123456' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'totpCode must be six digits' })
  totpCode?: string;
  @ApiPropertyOptional({ description: 'A one-time recovery code instead of totpCode', example: '1a2b-3c4d-5e6f-7a8b' })
  @IsOptional()
  @Matches(/^[0-9a-fA-F -]{16,24}$/, { message: 'recoveryCode must be the 16 hex digits shown at enrolment' })
  recoveryCode?: string;
}

export class SignedInView {
  @ApiProperty({ format: 'uuid' }) staffId!: string;
  @ApiProperty({
    enum: ['active', 'totp_enrolment'],
    description: '`totp_enrolment`: only the enrolment routes and sign-out work until a second factor is confirmed',
  })
  state!: 'active' | 'totp_enrolment';
  @ApiProperty({ description: 'Send as the X-CSRF-Token header on every state-changing request made with the session cookie' })
  csrfToken!: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'Absolute end of the session' }) expiresAt!: string;
}

export class SessionView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['active', 'totp_enrolment'] }) state!: 'active' | 'totp_enrolment';
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) lastSeenAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ description: 'The session this request came with' }) current!: boolean;
}

export class CurrentSessionView extends SessionView {
  @ApiProperty({ description: 'The CSRF token of this session (for a page reloaded after sign-in)' }) csrfToken!: string;
}

export class SignedOutView {
  @ApiProperty({ type: 'integer', description: 'Sessions ended by this call' }) revoked!: number;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' }) @IsString() @MinLength(1) @MaxLength(MAX_PASSWORD) currentPassword!: string;
  @ApiProperty({ format: 'password' }) @IsString() @MinLength(1) @MaxLength(MAX_PASSWORD) newPassword!: string;
}

export class CompleteResetDto {
  @ApiProperty({ description: 'The one-time token an administrator was shown' }) @IsString() @Matches(/^acsr_[A-Za-z0-9_-]{43}$/) token!: string;
  @ApiProperty({ format: 'password' }) @IsString() @MinLength(1) @MaxLength(MAX_PASSWORD) newPassword!: string;
}

export class PasswordResetIssuedView {
  @ApiProperty({ format: 'uuid' }) staffId!: string;
  @ApiProperty({ description: 'One-time reset token. Shown once; hand it to the person over a trusted channel.' }) resetToken!: string;
  @ApiProperty({ type: String, format: 'date-time' }) expiresAt!: string;
}

export class PasswordChangedView {
  @ApiProperty({ format: 'uuid' }) staffId!: string;
  @ApiProperty({ type: 'integer', description: 'Other sessions ended' }) revokedSessions!: number;
}

export class TotpCodeDto {
  @ApiPropertyOptional({ example: '123456' }) @IsOptional() @Matches(/^\d{6}$/, { message: 'code must be six digits' }) code?: string;
  @ApiPropertyOptional({ description: 'A recovery code instead of a TOTP code (disable only)' })
  @IsOptional()
  @Matches(/^[0-9a-fA-F -]{16,24}$/, { message: 'recoveryCode must be the 16 hex digits shown at enrolment' })
  recoveryCode?: string;
}

export class TotpEnrolmentView {
  @ApiProperty({ description: 'otpauth:// URI holding the secret. Shown once.' }) otpauthUri!: string;
  @ApiProperty({ description: 'The same URI as a QR code (data:image/png;base64,...)' }) qrCodeDataUrl!: string;
}

export class TotpEnrolledView {
  @ApiProperty({ type: [String], description: 'One-time recovery codes. Shown once; store them offline.' }) recoveryCodes!: string[];
  @ApiProperty({ enum: ['active', 'totp_enrolment'], nullable: true, description: 'The new session state when the call came with a session' })
  state!: 'active' | 'totp_enrolment' | null;
  @ApiProperty({ nullable: true, type: String, description: 'The rotated session’s CSRF token, when the call came with a session' })
  csrfToken!: string | null;
}

export class TotpStatusView {
  @ApiProperty({ format: 'uuid' }) staffId!: string;
  @ApiProperty() enrolled!: boolean;
}
