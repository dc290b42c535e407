import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../api';
import { keys } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Loading, PageHeader, Status, formatDate } from '../ui';
import { peopleQuery } from './history/records';
import { CUSTOMER_TONE, PERSON_TONE } from './people/model';

type Customer = Schemas['CustomerView'];
type Person = Schemas['PersonView'];

/**
 * A customer administrator's own customer: its contract and its people. Only routes the API
 * opens to the customer's own principal are read (GET /customers/:id, GET /customers/:id/people).
 */
export function OwnCustomerPage() {
  const { api, principal } = useSession();
  const customerId = principal.customerId ?? '';
  const customer = useQuery({ queryKey: keys.customer(customerId), queryFn: () => api.get<Customer>(`/customers/${customerId}`), enabled: !!customerId });
  const people = useQuery({ ...peopleQuery<Person>(api, customerId), enabled: !!customerId });
  return (
    <>
      <PageHeader title={customer.data ? customer.data.companyName : 'Our people'} />
      <ErrorNotice error={customer.error ?? people.error} />
      {customer.data ? (
        <section className="panel" aria-labelledby="contract-title">
          <h2 id="contract-title">Contract</h2>
          <p>
            Contract {customer.data.contractRef}, from {formatDate(customer.data.serviceStart)}
            {customer.data.serviceEnd ? ` to ${formatDate(customer.data.serviceEnd)}` : ''}{' '}
            <Status tone={CUSTOMER_TONE[customer.data.status]}>{customer.data.status}</Status>
          </p>
        </section>
      ) : null}
      <section className="panel" aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        {people.isPending ? <Loading what="Loading people" /> : null}
        {people.data && people.data.length === 0 ? <Empty>No people are registered yet.</Empty> : null}
        {people.data && people.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="security-sr-only">People of this customer</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Valid until</th>
                </tr>
              </thead>
              <tbody>
                {people.data.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">{p.fullName}</th>
                    <td>
                      <Status tone={PERSON_TONE[p.status]}>{p.status}</Status>
                    </td>
                    <td>{p.validUntil ? formatDate(p.validUntil) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
