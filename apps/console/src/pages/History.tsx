import { PageHeader } from '../ui';

// PLACEHOLDER: replaced by the History page.
export function HistoryPage() {
  return <PageHeader title="History" />;
}
