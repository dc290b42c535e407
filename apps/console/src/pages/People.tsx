import { PageHeader } from '../ui';

// PLACEHOLDER: replaced by the People page.
export function PeoplePage() {
  return <PageHeader title="People" />;
}
