import type { EntityManager } from 'typeorm';
import { FingerprintTemplateEntity } from './entities.js';
import type { TemplateOwner } from './template-vault.js';

/**
 * How many stored templates a customer or person has (a count, never a template): the erasure
 * records it before it starts, and acsctl checks with it whether a restored backup brought
 * templates back. TemplateVault.countStoredTemplates calls this for code inside Nest; acsctl
 * calls it without a container. Other libs call this, never
 * FingerprintTemplateEntity.
 */
export function countTemplates(m: EntityManager, owner: TemplateOwner): Promise<number> {
  return m.getRepository(FingerprintTemplateEntity).countBy('customerId' in owner ? { customerId: owner.customerId } : { personId: owner.personId });
}
