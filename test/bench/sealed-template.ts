import { FingerprintTemplateEntity, type TemplateVault } from '@acs/reader-fleet';

/**
 * A template row as enrolment stores it (R503 native format, sealed under the customer's key),
 * for benchmark set-ups that write readers' libraries directly instead of enrolling at a desk.
 */
export async function sealedTemplate(
  vault: TemplateVault,
  o: { id: string; personId: string; customerId: string; finger: number; template: Buffer; at: number },
): Promise<FingerprintTemplateEntity> {
  return Object.assign(new FingerprintTemplateEntity(), {
    id: o.id,
    personId: o.personId,
    customerId: o.customerId,
    finger: o.finger,
    templateCt: await vault.seal(o.customerId, o.id, o.template),
    model: 'r503',
    format: 'r503-native',
    size: o.template.length,
    quality: 300,
    enrolledBy: null,
    enrolledAt: o.at,
  });
}
