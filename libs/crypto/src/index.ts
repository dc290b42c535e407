export { seal, open, randomKey, DecryptionError } from './aead.js';
export { MasterKeyRing, MasterKeyError } from './master-key-ring.js';
export { DataKeyEntity } from './data-key.entity.js';
export { KeyService, KeyDestroyedError } from './key.service.js';
export { CryptoModule } from './crypto.module.js';
export { hashToken, newToken, sha256Hex } from './tokens.js';
export { mosquittoPasswordHash, verifyMosquittoPassword } from './mosquitto-password.js';
