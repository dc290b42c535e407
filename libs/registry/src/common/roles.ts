import type { StaffRole } from '@acs/auth';

/** Who configures the site: admins and the security desk. */
export const CONFIGURE: StaffRole[] = ['admin', 'security'];
/** Who may look at the configuration: every staff role. */
export const VIEW: StaffRole[] = ['admin', 'security', 'compliance', 'auditor'];
/** Who handles people's records (enrolment desk, compliance for rectification). */
export const PEOPLE_WRITE: StaffRole[] = ['admin', 'security', 'compliance'];
export const PEOPLE_READ: StaffRole[] = ['admin', 'security', 'compliance', 'auditor'];
