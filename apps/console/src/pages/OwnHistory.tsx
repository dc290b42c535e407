import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../api';
import { keys } from '../queries';
import { useSession } from '../session';
import { PageHeader } from '../ui';
import { CustomerHistory } from './History';
import './History.css';

/**
 * A customer administrator's history: the staff History page's panels (filters, totals, export,
 * chain verification) on its own customer only. The access-events routes open to the customer's
 * own principal (AllowStaffOrOwnCustomer), so nothing else is asked for.
 */
export function OwnHistoryPage() {
  const { api, principal } = useSession();
  const customerId = principal.customerId ?? '';
  const customer = useQuery({
    queryKey: keys.customer(customerId),
    queryFn: () => api.get<Schemas['CustomerView']>(`/customers/${customerId}`),
    enabled: !!customerId,
  });
  const name = customer.data?.companyName ?? 'our company';
  return (
    <>
      <PageHeader title="Access history" />
      {customerId ? <CustomerHistory customerId={customerId} customerName={name} canVerify staffLookups={false} /> : null}
    </>
  );
}
