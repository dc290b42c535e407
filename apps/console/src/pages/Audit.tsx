import { PageHeader } from '../ui';

// PLACEHOLDER: replaced by the Audit page.
export function AuditPage() {
  return <PageHeader title="Audit" />;
}
