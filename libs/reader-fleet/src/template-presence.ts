import type { EntityManager } from 'typeorm';
import { FingerprintTemplateEntity, ReaderSlotEntity } from './entities.js';
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

/** Who a customer's, person's or single template's slots are on (a reader id and a slot count each). */
export interface ReaderHolding {
  readerId: string;
  slots: number;
}

/**
 * The readers whose bookkeeping still names a slot of the subject (a slot row goes only after
 * ReadIndexTable showed it empty, so a queued delete still counts). The erasure writes this down
 * in the transaction that creates its job: after a restart the fleet's re-planning of an ended
 * customer may clean a reader before the job's first step runs, and the certificate must still
 * name every reader that held the subject when the erasure was asked for.
 */
export async function readersHolding(
  m: EntityManager,
  subject: { personId: string } | { customerId: string } | { templateId: string },
): Promise<ReaderHolding[]> {
  const where =
    'personId' in subject ? { personId: subject.personId } : 'customerId' in subject ? { customerId: subject.customerId } : { templateId: subject.templateId };
  const slots = await m.getRepository(ReaderSlotEntity).find({ where, select: { readerId: true, slot: true } });
  const counts = new Map<string, number>();
  for (const s of slots) counts.set(s.readerId, (counts.get(s.readerId) ?? 0) + 1);
  return [...counts].map(([readerId, n]) => ({ readerId, slots: n })).sort((a, b) => a.readerId.localeCompare(b.readerId));
}
