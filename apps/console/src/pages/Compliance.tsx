import { PageHeader } from '../ui';

// PLACEHOLDER: replaced by the Compliance page.
export function CompliancePage() {
  return <PageHeader title="Compliance" />;
}
