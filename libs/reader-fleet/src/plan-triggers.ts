import type { RegistryChange } from '@acs/registry';

/**
 * Whether a registry change can change what some door reader must hold. A plan rereads every
 * template and slot (half a second at 20,000 people, `npm run bench -- scale`), so a bulk import
 * of people or a run of renames must not plan once per row. What a reader holds follows grants,
 * access levels, doors and their readers, zones, people's status and validity and customers'
 * service (personsOnEachReader in @acs/registry); schedules only decide when a grant admits, not
 * whether the finger must be on the reader, and controllers, sites and card hardware hold no
 * template. A new person has no grant and no finger yet: the grant and the enrolment plan.
 */
export function mayMoveTemplates(change: RegistryChange): boolean {
  if (change.contactOnly === true) return false;
  switch (change.kind) {
    case 'schedule':
    case 'site':
    case 'controller':
    case 'osdp_bus':
    case 'card_reader':
      return false;
    case 'person':
      return change.op !== 'created';
    default:
      return true;
  }
}
