import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, Route, Routes, useParams } from 'react-router';
import { useSession } from '../session';
import { keys } from '../queries';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Status, formatDate, formatTime } from '../ui';
import { customersQuery, peopleQuery } from './history/records';
import { AddPersonForm } from './people/AddPersonForm';
import { Crumbs } from './people/Crumbs';
import { PersonDetail } from './people/PersonDetail';
import { CUSTOMER_TONE, PERSON_TONE, can, searchable, type Customer, type Person } from './people/model';
import './People.css';

/**
 * Customers → their people → one person. Only ids travel in the URL: the API's name search takes
 * the name as a query parameter (GET …/people?q=), which would put personal data into access
 * logs and browser history, so the page loads the customer's people (decrypted by the server)
 * and filters them here.
 */
export function PeoplePage() {
  return (
    <Routes>
      <Route index element={<CustomerList />} />
      <Route path=":customerId" element={<CustomerPeople />} />
      <Route path=":customerId/:personId" element={<PersonDetail />} />
    </Routes>
  );
}

function CustomerList() {
  const { api } = useSession();
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const customers = useQuery(customersQuery<Customer>(api));
  const shown = useMemo(() => {
    const needle = searchable(filter.trim());
    return (customers.data ?? []).filter(
      (c) => (!status || c.status === status) && (!needle || searchable(c.companyName).includes(needle) || searchable(c.contractRef).includes(needle)),
    );
  }, [customers.data, filter, status]);

  return (
    <>
      <PageHeader title="People" />
      <section className="panel" aria-labelledby="customers-title">
        <h2 id="customers-title">Customers</h2>
        <div className="filters">
          <Field label="Company or contract">{(id) => <input id={id} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />}</Field>
          <Field label="Customer status">
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
                <option value="">Any</option>
                <option value="active">Active</option>
                <option value="upcoming">Upcoming</option>
                <option value="ended">Ended</option>
                <option value="purged">Purged</option>
              </select>
            )}
          </Field>
        </div>
        <ErrorNotice error={customers.error} />
        {customers.isPending ? <Loading what="Loading customers" /> : null}
        {customers.data && shown.length === 0 ? <Empty>No customer matches.</Empty> : null}
        {shown.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="people-sr-only">Customers</caption>
              <thead>
                <tr>
                  <th scope="col">Company</th>
                  <th scope="col">Contract</th>
                  <th scope="col">Status</th>
                  <th scope="col">Service start</th>
                  <th scope="col">Service end</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link to={`/people/${c.id}`}>{c.companyName}</Link>
                    </td>
                    <td>
                      <code>{c.contractRef}</code>
                    </td>
                    <td>
                      <Status tone={CUSTOMER_TONE[c.status] ?? 'idle'}>{c.status}</Status>
                    </td>
                    <td>{formatDate(c.serviceStart)}</td>
                    <td>{c.serviceEnd ? formatDate(c.serviceEnd) : <span className="muted">open-ended</span>}</td>
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

function CustomerPeople() {
  const { customerId = '' } = useParams();
  const { api, principal } = useSession();
  const [filter, setFilter] = useState('');
  const [status, setStatus] = useState('');
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<Person | null>(null);
  const customer = useQuery({ queryKey: keys.customer(customerId), queryFn: ({ signal }) => api.get<Customer>(`/customers/${customerId}`, undefined, signal) });
  const people = useQuery(peopleQuery<Person>(api, customerId));
  const shown = useMemo(() => {
    const needle = searchable(filter.trim());
    return (people.data ?? []).filter((p) => (!status || p.status === status) && (!needle || searchable(p.fullName).includes(needle)));
  }, [people.data, filter, status]);
  const title = customer.data?.companyName ?? 'Customer';

  return (
    <>
      <Crumbs items={[{ label: 'Customers', to: '/people' }, { label: title }]} />
      <PageHeader title={title}>
        {can.addPerson(principal.role) && !adding ? (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add person
          </button>
        ) : null}
      </PageHeader>
      <ErrorNotice error={customer.error} />
      {customer.data ? (
        <p className="customer-facts">
          <Status tone={CUSTOMER_TONE[customer.data.status] ?? 'idle'}>{customer.data.status}</Status> Contract <code>{customer.data.contractRef}</code> ·
          service {formatDate(customer.data.serviceStart)} – {customer.data.serviceEnd ? formatDate(customer.data.serviceEnd) : 'open-ended'}
        </p>
      ) : null}
      {added ? (
        <div className="notice notice-ok" role="status">
          Added <Link to={`/people/${customerId}/${added.id}`}>{added.fullName}</Link>.
        </div>
      ) : null}
      {adding ? (
        <AddPersonForm
          customerId={customerId}
          onCancel={() => setAdding(false)}
          onAdded={(p) => {
            setAdding(false);
            setAdded(p);
          }}
        />
      ) : null}
      <section className="panel" aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        <div className="filters">
          <Field label="Search by name" hint="Filtered in this browser; names are never sent in a URL.">
            {(id) => <input id={id} type="search" value={filter} autoComplete="off" onChange={(e) => setFilter(e.target.value)} />}
          </Field>
          <Field label="Person status">
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
                <option value="">Any</option>
                <option value="active">Active</option>
                <option value="suspended">Suspended</option>
                <option value="restricted">Restricted</option>
              </select>
            )}
          </Field>
        </div>
        <ErrorNotice error={people.error} />
        {people.isPending ? <Loading what="Loading people" /> : null}
        {people.data && shown.length === 0 ? <Empty>{people.data.length === 0 ? 'This customer has no people yet.' : 'No person matches.'}</Empty> : null}
        {shown.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="people-sr-only">People of {title}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Phone</th>
                  <th scope="col">Status</th>
                  <th scope="col">Valid until</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <Link to={`/people/${customerId}/${p.id}`}>{p.fullName}</Link>
                    </td>
                    <td>{p.email ?? <span className="muted">—</span>}</td>
                    <td>{p.phone ?? <span className="muted">—</span>}</td>
                    <td>
                      <Status tone={PERSON_TONE[p.status] ?? 'idle'}>{p.status}</Status>
                    </td>
                    <td>{p.validUntil ? formatTime(p.validUntil) : <span className="muted">no end</span>}</td>
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
