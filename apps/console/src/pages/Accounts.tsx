import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '../api';
import { keys, useInvalidate } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Status, formatTime } from '../ui';
import { customersQuery } from './history/records';

type Account = Schemas['AccountView'];
type Customer = Schemas['CustomerView'];
type Role = Account['role'];

const STAFF_ROLE_LABELS: Array<[Exclude<Role, 'customer_admin'>, string]> = [
  ['admin', 'Administrator'],
  ['security', 'Security'],
  ['compliance', 'Compliance'],
  ['auditor', 'Auditor'],
];
const CUSTOMER_ADMIN = 'customer_admin';

/** A one-time link handed to the person, shown once: the token rides after '#', which no server or proxy log sees. */
interface Handover {
  username: string;
  link: string;
  expiresAt: string;
}

function resetLink(token: string): string {
  return `${window.location.origin}/console/password-reset#${token}`;
}

function secondFactor(a: Account): string {
  const parts = [a.totp ? 'Authenticator app' : null, a.passkeys > 0 ? `${a.passkeys} passkey${a.passkeys === 1 ? '' : 's'}` : null].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'None';
}

/**
 * Person accounts for administrators: staff and customer administrators, whether each has set a
 * password and a second factor, new accounts and one-time reset links (shown once), disable and
 * enable. Mirrors the admin-only routes under /staff and POST /customers/:id/admins.
 */
export function AccountsPage() {
  const { api, principal } = useSession();
  const accounts = useQuery({ queryKey: keys.accounts(), queryFn: () => api.get<Account[]>('/staff') });
  const customers = useQuery(customersQuery<Customer>(api));
  const [handover, setHandover] = useState<Handover | null>(null);
  const customerName = new Map((customers.data ?? []).map((c) => [c.id, c.companyName]));
  return (
    <>
      <PageHeader title="Accounts" />
      <p className="muted">
        People who sign in to this console: datacenter staff, and customer administrators who see only their own customer. A new account signs in once its
        person has set a password through the one-time link shown here.
      </p>
      {handover ? <HandoverPanel handover={handover} onDone={() => setHandover(null)} /> : null}
      <CreateAccount customers={customers.data ?? []} onCreated={setHandover} />
      <section className="panel" aria-labelledby="accounts-title">
        <h2 id="accounts-title">All accounts</h2>
        <ErrorNotice error={accounts.error ?? customers.error} />
        {accounts.isPending ? <Loading what="Loading accounts" /> : null}
        {accounts.data && accounts.data.length === 0 ? <Empty>There are no accounts.</Empty> : null}
        {accounts.data && accounts.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="security-sr-only">Accounts</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Role</th>
                  <th scope="col">Password</th>
                  <th scope="col">Second factor</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="security-sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {accounts.data.map((a) => (
                  <AccountRow
                    key={a.id}
                    account={a}
                    own={a.id === principal.staffId}
                    customerName={a.customerId ? (customerName.get(a.customerId) ?? a.customerId) : null}
                    onReset={setHandover}
                  />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function AccountRow({
  account: a,
  own,
  customerName,
  onReset,
}: {
  account: Account;
  own: boolean;
  customerName: string | null;
  onReset: (h: Handover) => void;
}) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const reset = useMutation({
    mutationFn: () => api.post<Schemas['PasswordResetIssuedView']>(`/staff/${a.id}/password-reset`),
    onSuccess: (r) => onReset({ username: a.username, link: resetLink(r.resetToken), expiresAt: r.expiresAt }),
  });
  const toggle = useMutation({
    mutationFn: () => api.post<Schemas['StaffView']>(`/staff/${a.id}/${a.disabledAt ? 'enable' : 'disable'}`),
    onSuccess: () => invalidate(keys.accounts()),
  });
  const roleLabel = a.role === CUSTOMER_ADMIN ? `Customer administrator of ${customerName ?? 'an unknown customer'}` : a.role;
  return (
    <tr>
      <th scope="row">{a.username}</th>
      <td>{roleLabel}</td>
      <td>{a.passwordSet ? <Status tone="ok">Set</Status> : <Status tone="warn">Not set yet</Status>}</td>
      <td>{secondFactor(a)}</td>
      <td>{a.disabledAt ? <Status tone="bad">Disabled {formatTime(a.disabledAt)}</Status> : <Status tone="ok">Active</Status>}</td>
      <td>
        <button
          type="button"
          disabled={reset.isPending || a.disabledAt !== null}
          onClick={() => reset.mutate()}
          aria-label={`Issue a reset link for ${a.username}`}
        >
          Reset link
        </button>{' '}
        {own ? null : (
          <button
            type="button"
            className={a.disabledAt ? undefined : 'danger'}
            disabled={toggle.isPending}
            onClick={() => toggle.mutate()}
            aria-label={`${a.disabledAt ? 'Enable' : 'Disable'} ${a.username}`}
          >
            {a.disabledAt ? 'Enable' : 'Disable'}
          </button>
        )}
        <ErrorNotice error={reset.error ?? toggle.error} />
      </td>
    </tr>
  );
}

function CreateAccount({ customers, onCreated }: { customers: Customer[]; onCreated: (h: Handover) => void }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>(CUSTOMER_ADMIN);
  const [customerId, setCustomerId] = useState('');
  const open = customers.filter((c) => c.status !== 'purged');
  const create = useMutation({
    mutationFn: async (): Promise<Handover> => {
      if (role === CUSTOMER_ADMIN) {
        const r = await api.post<Schemas['CreatedCustomerAdminView']>(`/customers/${customerId}/admins`, { username });
        return { username, link: resetLink(r.passwordReset.resetToken), expiresAt: r.passwordReset.expiresAt };
      }
      const r = await api.post<Schemas['CreatedStaffView']>('/staff', { username, role, firstCredential: 'password_reset' });
      return { username, link: resetLink(r.passwordReset!.resetToken), expiresAt: r.passwordReset!.expiresAt };
    },
    onSuccess: async (h) => {
      onCreated(h);
      setUsername('');
      await invalidate(keys.accounts());
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="create-account-title">
      <h2 id="create-account-title">New account</h2>
      <div className="grid-3">
        <Field label="Username" hint="2–64 characters: a–z, 0–9, dot, dash, underscore">
          {(id) => <input id={id} name="username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" required />}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value={CUSTOMER_ADMIN}>Customer administrator</option>
              {STAFF_ROLE_LABELS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label} (staff)
                </option>
              ))}
            </select>
          )}
        </Field>
        {role === CUSTOMER_ADMIN ? (
          <Field label="Customer">
            {(id) => (
              <select id={id} value={customerId} onChange={(e) => setCustomerId(e.target.value)} required>
                <option value="">Choose a customer</option>
                {open.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.companyName}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
      </div>
      <ErrorNotice error={create.error} />
      <p>
        <button type="submit" className="primary" disabled={create.isPending || !username || (role === CUSTOMER_ADMIN && !customerId)}>
          {create.isPending ? 'Creating…' : 'Create account'}
        </button>
      </p>
    </form>
  );
}

function HandoverPanel({ handover, onDone }: { handover: Handover; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(handover.link).catch(() => undefined);
    setCopied(true);
  };
  return (
    <section className="panel notice-ok" aria-labelledby="handover-title">
      <h2 id="handover-title">Reset link for {handover.username}</h2>
      <p role="status">
        Shown once: hand it to the person over a channel you trust. It sets their password once and works until {formatTime(handover.expiresAt)}; a newer link
        cancels it.
      </p>
      <Field label="Reset link">{(id) => <input id={id} readOnly value={handover.link} onFocus={(e) => e.target.select()} size={80} />}</Field>
      <p>
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy link'}
        </button>{' '}
        <button type="button" onClick={onDone}>
          Done
        </button>
      </p>
    </section>
  );
}
