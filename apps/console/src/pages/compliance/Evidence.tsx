import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, type Problem } from '../../api';
import { useSession } from '../../session';
import { keys, useInvalidate } from '../../queries';
import { Empty, ErrorNotice, Field, formatTime, Loading, saveBlob, ShortId, Status } from '../../ui';
import { CustomerSelect, customerLabel, type Customer } from '../history/records';
import type { CertificateSummary, LegalHold } from './types';

export function CertificatesView({ customers }: { customers: Customer[] | undefined }) {
  const { api } = useSession();
  const certs = useQuery({ queryKey: keys.certificates(), queryFn: () => api.get<CertificateSummary[]>('/compliance/certificates') });
  const byId = new Map((customers ?? []).map((c) => [c.id, c]));
  return (
    <section className="panel" aria-labelledby="certs-title">
      <h2 id="certs-title">Erasure certificates</h2>
      <p className="muted">Evidence of each erasure: ids, counts and hashes, no personal data.</p>
      <ErrorNotice error={certs.error} />
      {certs.isPending ? <Loading /> : null}
      {certs.data && certs.data.length === 0 ? <Empty>No certificate has been issued yet.</Empty> : null}
      {certs.data && certs.data.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Certificates">
            <thead>
              <tr>
                <th scope="col">Issued</th>
                <th scope="col">Kind</th>
                <th scope="col">Customer</th>
                <th scope="col">Complete</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {certs.data.map((c) => {
                const cust = byId.get(c.customerId);
                return (
                  <tr key={c.id}>
                    <td>
                      <Link to={`/compliance/certificates/${c.id}`}>{formatTime(c.issuedAt)}</Link>
                    </td>
                    <td>{c.kind}</td>
                    <td>{cust ? customerLabel(cust) : <ShortId id={c.customerId} />}</td>
                    <td>{c.complete ? <Status tone="ok">complete</Status> : <Status tone="warn">partial (held)</Status>}</td>
                    <td>
                      <code title={c.hash}>{c.hash.slice(0, 16)}</code>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** The certificate document; the server's X-Certificate-Valid header says whether its hash checks out. */
export function CertificateDetail() {
  const { api } = useSession();
  const { certificateId = '' } = useParams();
  const cert = useQuery({
    queryKey: keys.certificate(certificateId),
    queryFn: async ({ signal }) => {
      const res = await fetch(`/compliance/certificates/${certificateId}`, { headers: api.headers(), signal });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as Partial<Problem>;
        throw new ApiError({ title: body.title ?? res.statusText, status: res.status, code: body.code ?? `http.${res.status}`, ...body } as Problem);
      }
      const text = await res.text();
      return {
        text,
        body: JSON.parse(text) as Record<string, unknown>,
        valid: res.headers.get('x-certificate-valid') === 'true',
        signature: res.headers.get('x-certificate-signature') ?? 'unsigned',
      };
    },
  });
  const b = cert.data?.body;
  const history = b?.history as { events?: number; mode?: string } | null | undefined;
  const counts = {
    ...((b?.counts ?? {}) as Record<string, number>),
    ...(history?.events !== undefined ? { [`history events (${history.mode})`]: history.events } : {}),
  };
  return (
    <section className="panel" aria-labelledby="cert-title">
      <p>
        <Link to="/compliance/certificates">← All certificates</Link>
      </p>
      <h2 id="cert-title">Erasure certificate</h2>
      <ErrorNotice error={cert.error} />
      {cert.isPending ? <Loading /> : null}
      {cert.data && b ? (
        <>
          <p>
            {cert.data.signature === 'valid' ? (
              <Status tone="ok">Signature valid (Ed25519)</Status>
            ) : cert.data.signature === 'unsigned' ? (
              <Status tone="bad">Not signed</Status>
            ) : (
              <Status tone="bad">Signature invalid</Status>
            )}{' '}
            {cert.data.valid ? <Status tone="ok">Certificate valid</Status> : <Status tone="bad">Certificate not valid</Status>}{' '}
            {b.complete ? <Status tone="ok">Complete</Status> : <Status tone="warn">Partial: parts held</Status>}
          </p>
          <dl className="compliance-dl">
            <dt>Certificate</dt>
            <dd>
              <code>{String(b.certificate)}</code>
            </dd>
            <dt>Kind</dt>
            <dd>{String(b.kind)}</dd>
            <dt>Contract reference</dt>
            <dd>{String(b.contractRef ?? '—')}</dd>
            <dt>Customer</dt>
            <dd>
              <code>{String(b.customerId)}</code>
            </dd>
            <dt>Issued</dt>
            <dd>{formatTime(b.issuedAt as string)}</dd>
            <dt>Job</dt>
            <dd>
              <Link to={`/compliance/jobs/${String(b.jobId)}`}>
                <code>{String(b.jobId)}</code>
              </Link>
            </dd>
            <dt>Hash</dt>
            <dd>
              <code>{String(b.hash)}</code>
            </dd>
          </dl>
          {Object.keys(counts).length > 0 ? (
            <>
              <h3>Erased</h3>
              <table aria-label="Erased counts" className="compliance-narrow">
                <tbody>
                  {Object.entries(counts).map(([k, v]) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td>{v}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
          <p>
            <button
              type="button"
              onClick={() => saveBlob(new Blob([cert.data!.text], { type: 'application/json' }), `erasure-certificate-${certificateId}.json`)}
            >
              Download JSON
            </button>
          </p>
          <details>
            <summary>Full document</summary>
            <pre className="compliance-json">{JSON.stringify(b, null, 2)}</pre>
          </details>
        </>
      ) : null}
    </section>
  );
}

/** A hold placed or released changes the holds and what purges may take now. */
const HOLD_CHANGES = [keys.legalHolds(), keys.purgesDue(), ['compliance', 'purge-preview']];

export function HoldsView({ customers, canWrite }: { customers: Customer[] | undefined; canWrite: boolean }) {
  const { api } = useSession();
  const holds = useQuery({ queryKey: keys.legalHolds(), queryFn: () => api.get<LegalHold[]>('/compliance/legal-holds') });
  const invalidate = useInvalidate();
  const byId = new Map((customers ?? []).map((c) => [c.id, c]));
  const [form, setForm] = useState({ customerId: '', personId: '', reason: '', reference: '' });
  const [releasing, setReleasing] = useState<string | null>(null);
  const placeHold = useMutation({
    mutationFn: (body: { customerId: string; personId?: string; reason: string; reference: string }) => api.post('/compliance/legal-holds', body),
    onSuccess: async () => {
      setForm({ customerId: '', personId: '', reason: '', reference: '' });
      await invalidate(...HOLD_CHANGES);
    },
  });
  const error = placeHold.error;
  const busy = placeHold.isPending;

  const place = (e: FormEvent) => {
    e.preventDefault();
    placeHold.mutate({ customerId: form.customerId, personId: form.personId.trim() || undefined, reason: form.reason, reference: form.reference });
  };

  return (
    <>
      {canWrite ? (
        <form className="panel" onSubmit={(e) => void place(e)} aria-labelledby="hold-form-title">
          <h2 id="hold-form-title">Place a legal hold</h2>
          <p className="muted">Held data is kept out of purges and erasures until the hold is released.</p>
          <div className="grid-2">
            <CustomerSelect customers={customers} value={form.customerId} onChange={(customerId) => setForm((f) => ({ ...f, customerId }))} />
            <Field label="Person id (optional)" hint="Only this person; empty holds the whole customer.">
              {(id) => <input id={id} value={form.personId} onChange={(e) => setForm((f) => ({ ...f, personId: e.target.value }))} spellCheck={false} />}
            </Field>
            <Field label="Reason">
              {(id) => (
                <input
                  id={id}
                  required
                  minLength={3}
                  maxLength={500}
                  value={form.reason}
                  onChange={(e) => setForm((f) => ({ ...f, reason: e.target.value }))}
                />
              )}
            </Field>
            <Field label="Authority reference" hint="The case or order number.">
              {(id) => (
                <input id={id} required maxLength={100} value={form.reference} onChange={(e) => setForm((f) => ({ ...f, reference: e.target.value }))} />
              )}
            </Field>
          </div>
          <ErrorNotice error={error} />
          <button type="submit" className="primary" disabled={busy || !form.customerId}>
            Place hold
          </button>
        </form>
      ) : null}
      <section className="panel" aria-labelledby="holds-title">
        <h2 id="holds-title">Legal holds</h2>
        <ErrorNotice error={holds.error} />
        {holds.isPending ? <Loading /> : null}
        {holds.data && holds.data.length === 0 ? <Empty>No legal hold.</Empty> : null}
        {holds.data && holds.data.length > 0 ? (
          <table aria-label="Legal holds">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Scope</th>
                <th scope="col">Reference</th>
                <th scope="col">Reason</th>
                <th scope="col">Placed</th>
                <th scope="col">State</th>
                {canWrite ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {holds.data.map((h) => {
                const c = byId.get(h.customerId);
                return (
                  <tr key={h.id}>
                    <td>{c ? customerLabel(c) : <ShortId id={h.customerId} />}</td>
                    <td>
                      {h.personId ? (
                        <>
                          person <ShortId id={h.personId} />
                        </>
                      ) : (
                        'whole customer'
                      )}
                    </td>
                    <td>{h.reference}</td>
                    <td>{h.reason}</td>
                    <td>
                      {formatTime(h.placedAt)}
                      <div className="muted">{h.placedBy}</div>
                    </td>
                    <td>
                      {h.releasedAt ? (
                        <>
                          <Status tone="idle">released</Status>
                          <div className="muted">
                            {formatTime(h.releasedAt)}: {h.releaseReason}
                          </div>
                        </>
                      ) : (
                        <Status tone="warn">active</Status>
                      )}
                    </td>
                    {canWrite ? (
                      <td>
                        {!h.releasedAt && releasing !== h.id ? (
                          <button type="button" onClick={() => setReleasing(h.id)} aria-label={`Release hold ${h.reference}`}>
                            Release…
                          </button>
                        ) : null}
                        {releasing === h.id ? <ReleaseForm hold={h} onDone={() => setReleasing(null)} onCancel={() => setReleasing(null)} /> : null}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}

function ReleaseForm({ hold, onDone, onCancel }: { hold: LegalHold; onDone: () => void; onCancel: () => void }) {
  const { api } = useSession();
  const [reason, setReason] = useState('');
  const invalidate = useInvalidate();
  const release = useMutation({
    mutationFn: () => api.post(`/compliance/legal-holds/${hold.id}/release`, { reason }),
    onSuccess: async () => {
      await invalidate(...HOLD_CHANGES);
      onDone();
    },
  });
  const error = release.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    release.mutate();
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="compliance-inline">
      <Field label="Release reason">
        {(id) => <input id={id} required minLength={3} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus />}
      </Field>
      <ErrorNotice error={error} />
      <button type="submit" className="primary">
        Release hold
      </button>{' '}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
