import { PageHeader } from '../ui';

// PLACEHOLDER: replaced by the Enrol page.
export function EnrolPage() {
  return <PageHeader title="Enrol" />;
}
