import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsString, Matches, MaxLength, MinLength } from 'class-validator';

// The credential JSON (WebAuthn §5.1 PublicKeyCredential.toJSON) is checked field by field by
// credentialJson() in passkey-rules.ts: browsers add members over time (e.g. publicKeyAlgorithm),
// which a whitelisting DTO would refuse.
const CREDENTIAL_DOC = {
  type: 'object' as const,
  additionalProperties: true,
  description: 'The PublicKeyCredential as JSON (WebAuthn §5.1 toJSON; what @simplewebauthn/browser returns)',
};

export class PasskeyRegistrationDto {
  @ApiProperty({ description: 'A name of one’s own for the passkey, e.g. "desk laptop"', example: 'desk laptop', maxLength: 64 })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  @Matches(/^[^\p{C}]+$/u, { message: 'label must be printable text' })
  label!: string;

  @ApiProperty(CREDENTIAL_DOC) @IsObject() credential!: Record<string, unknown>;
}

export class PasskeySignInStartDto {
  @ApiProperty({ example: 'desk-officer-2' }) @IsString() @MinLength(1) @MaxLength(64) username!: string;
  @ApiProperty({ format: 'password' }) @IsString() @MinLength(1) @MaxLength(1024) password!: string;
}

export class PasskeySignInDto {
  @ApiProperty({ description: 'The pendingToken of POST /auth/sign-in/passkey/options' })
  @IsString()
  @Matches(/^acsp_[A-Za-z0-9_-]{43}$/)
  pendingToken!: string;

  @ApiProperty(CREDENTIAL_DOC) @IsObject() credential!: Record<string, unknown>;
}

export class PasskeyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ type: [String], description: 'Transports the browser reported (hints only)' }) transports!: string[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt!: string | null;
}

export class PasskeyRegisteredView extends PasskeyView {
  @ApiProperty({ enum: ['active', 'totp_enrolment'], nullable: true, description: 'The new session state when the call came with a session' })
  state!: 'active' | 'totp_enrolment' | null;
  @ApiProperty({ nullable: true, type: String, description: 'The rotated session’s CSRF token, when the call came with a session' })
  csrfToken!: string | null;
}

export class PasskeyCreationOptionsView {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'PublicKeyCredentialCreationOptionsJSON (WebAuthn §5.4) for navigator.credentials.create()',
  })
  options!: Record<string, unknown>;
}

export class PasskeySignInOptionsView {
  @ApiProperty({ description: 'Send back with the assertion; good once, for as long as the options’ timeout' }) pendingToken!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'PublicKeyCredentialRequestOptionsJSON (WebAuthn §5.5) for navigator.credentials.get()',
  })
  options!: Record<string, unknown>;
}

export class PasskeyRemovalDto {
  @ApiProperty({ format: 'password', description: 'The account’s current password: a stolen session alone must not remove a second factor' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}
