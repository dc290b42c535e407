import { PageHeader } from '../ui';

// PLACEHOLDER: replaced by the Live page.
export function LivePage() {
  return <PageHeader title="Live" />;
}
