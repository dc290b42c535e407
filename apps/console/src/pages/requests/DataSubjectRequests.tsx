import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '../../api';
import { keys, useInvalidate } from '../../queries';
import { useSession } from '../../session';
import { Empty, ErrorNotice, Field, formatTime, Loading, ShortId, Status } from '../../ui';
import { localToIso } from '../history/records';

type DsrCase = Schemas['DsrCaseView'];
type DsrKind = Schemas['FileCustomerCaseDto']['kind'];

const KIND_LABEL: Record<DsrKind, string> = {
  access: 'See the data held (access)',
  portability: 'Receive the data (portability)',
  rectification: 'Correct the data (rectification)',
  erasure: 'Erase the data (erasure)',
  restriction: 'Restrict the processing (restriction)',
  objection: 'Object to the processing (objection)',
};

/**
 * Data-subject requests a customer administrator files on behalf of one of the customer's people
 * (GDPR Art. 15-21). The datacenter's compliance staff answer them within one month of receipt
 * (Art. 12(3)); the deadline is shown with each.
 */
export function DataSubjectRequests({ customerId, people }: { customerId: string; people: Array<{ id: string; fullName: string }> }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const cases = useQuery({
    queryKey: keys.customerCases(customerId),
    queryFn: () => api.get<DsrCase[]>(`/customers/${customerId}/data-subject-requests`),
    enabled: !!customerId,
  });
  const [kind, setKind] = useState<DsrKind>('access');
  const [personId, setPersonId] = useState('');
  const [received, setReceived] = useState('');
  const file = useMutation({
    mutationFn: (body: Record<string, string>) => api.post<DsrCase>(`/customers/${customerId}/data-subject-requests`, body),
    onSuccess: async () => invalidate(keys.customerCases(customerId)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, string> = { kind, personId };
    const at = localToIso(received);
    if (at) body.receivedAt = at;
    file.mutate(body);
  };
  const name = new Map(people.map((p) => [p.id, p.fullName]));
  return (
    <section className="panel" aria-labelledby="dsr-title">
      <h2 id="dsr-title">Data-subject requests</h2>
      <p className="muted">When one of your people asks about their personal data, file it here; the datacenter answers within one month of receipt.</p>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <ErrorNotice error={file.error} />
        {file.data ? <p role="status">Filed: due {formatTime(file.data.dueAt)}.</p> : null}
        <div className="grid-3">
          <Field label="Request">
            {(id) => (
              <select id={id} value={kind} onChange={(e) => setKind(e.target.value as DsrKind)}>
                {Object.entries(KIND_LABEL).map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="On behalf of">
            {(id) => (
              <select id={id} value={personId} onChange={(e) => setPersonId(e.target.value)}>
                <option value="">Choose a person…</option>
                {people.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.fullName}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Received" hint="When the person asked; default now">
            {(id) => <input id={id} type="datetime-local" value={received} onChange={(e) => setReceived(e.target.value)} />}
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={file.isPending || personId === ''}>
            {file.isPending ? 'Filing…' : 'File the request'}
          </button>
        </div>
      </form>
      <ErrorNotice error={cases.error} />
      {cases.isPending ? <Loading what="Loading data-subject requests" /> : null}
      {cases.data && cases.data.length === 0 ? <Empty>No data-subject requests.</Empty> : null}
      {cases.data && cases.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="security-sr-only">Data-subject requests of this customer, soonest deadline first</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Request</th>
                <th scope="col">Received</th>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {cases.data.map((c) => (
                <tr key={c.id} data-case={c.id}>
                  <th scope="row">{name.get(c.personId) ?? <ShortId id={c.personId} />}</th>
                  <td>{KIND_LABEL[c.kind as DsrKind] ?? c.kind}</td>
                  <td>{formatTime(c.receivedAt)}</td>
                  <td>{formatTime(c.dueAt)}</td>
                  <td>
                    <Status tone={c.status === 'open' ? (c.overdue ? 'bad' : 'info') : c.status === 'completed' ? 'ok' : 'idle'}>
                      {c.status === 'open' && c.overdue ? 'overdue' : c.status}
                    </Status>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
