export { CredentialsModule } from './credentials.module.js';
export { CardCredentialEntity, CREDENTIALS_ENTITIES } from './card-credential.entity.js';
export { CARD_BITS, CARD_FORMATS, canonicalCardBytes, cardHint, checkCardRead, type CardFormat, type CardRead } from './card-read.js';
export {
  CredentialService,
  CREDENTIAL_OPTIONS,
  DEFAULT_CREDENTIAL_OPTIONS,
  credentialScope,
  type CardView,
  type CredentialCounts,
  type CredentialOptions,
  type CredentialSubject,
  type IssueCard,
  type ResolvedCard,
} from './credential.service.js';
