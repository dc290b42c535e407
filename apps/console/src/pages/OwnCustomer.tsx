import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../api';
import { keys } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Loading, PageHeader, Status, formatDate } from '../ui';
import { peopleQuery } from './history/records';
import { CUSTOMER_TONE, PERSON_TONE } from './people/model';

type Customer = Schemas['CustomerView'];
type Person = Schemas['PersonView'];
type Enrolment = Schemas['PersonEnrolmentView'];

/** "2 fingers, 1 card", or that the person still has to come to the desk. */
function enrolmentText(e: Enrolment | undefined): string {
  if (!e) return 'not enrolled yet';
  const n = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;
  return [e.fingers ? n(e.fingers, 'finger') : '', e.cards ? n(e.cards, 'card') : ''].filter(Boolean).join(', ');
}

/**
 * A customer administrator's own customer: its contract and its people. Only routes the API
 * opens to the customer's own principal are read (GET /customers/:id, GET /customers/:id/people,
 * GET /customers/:id/enrolment: whether each person has been enrolled at the desk).
 */
export function OwnCustomerPage() {
  const { api, principal } = useSession();
  const customerId = principal.customerId ?? '';
  const customer = useQuery({ queryKey: keys.customer(customerId), queryFn: () => api.get<Customer>(`/customers/${customerId}`), enabled: !!customerId });
  const people = useQuery({ ...peopleQuery<Person>(api, customerId), enabled: !!customerId });
  const enrolment = useQuery({
    queryKey: keys.enrolmentOf(customerId),
    queryFn: () => api.get<Enrolment[]>(`/customers/${customerId}/enrolment`),
    enabled: !!customerId,
  });
  const enrolled = new Map((enrolment.data ?? []).map((e) => [e.personId, e]));
  return (
    <>
      <PageHeader title={customer.data ? customer.data.companyName : 'Our people'} />
      <ErrorNotice error={customer.error ?? people.error ?? enrolment.error} />
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
                  <th scope="col">Enrolment</th>
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
                    <td>{enrolment.data ? enrolmentText(enrolled.get(p.id)) : '…'}</td>
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
