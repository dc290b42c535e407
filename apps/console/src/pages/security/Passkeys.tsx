import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Api, Schemas } from '../../api';
import { addPasskey } from '../../passkeys';
import { keys, useInvalidate } from '../../queries';
import { Empty, ErrorNotice, Field, formatTime, Loading } from '../../ui';

type PasskeyView = Schemas['PasskeyView'];

/**
 * One's own passkeys: add one (the browser's passkey prompt), see each with its label and last
 * use, remove one. Adding rotates the browser session, so its new CSRF token goes to `onCsrf`.
 */
export function PasskeysPanel({ api, onCsrf, sessionCookie }: { api: Api; onCsrf: (csrfToken: string | null) => void; sessionCookie: boolean }) {
  const invalidate = useInvalidate();
  const [label, setLabel] = useState('');
  // The passkey being removed: the current password confirms it (a session alone is not enough).
  const [removing, setRemoving] = useState<PasskeyView | null>(null);
  const [password, setPassword] = useState('');
  const list = useQuery({ queryKey: keys.ownPasskeys(), queryFn: ({ signal }) => api.get<PasskeyView[]>('/auth/passkeys', undefined, signal) });
  const add = useMutation({
    mutationFn: (l: string) => addPasskey(api, l),
    onSuccess: async (r) => {
      onCsrf(r.csrfToken);
      setLabel('');
      await invalidate(keys.ownPasskeys());
    },
  });
  const remove = useMutation({
    mutationFn: (v: { id: string; password: string }) => api.delete<void>(`/auth/passkeys/${v.id}`, { password: v.password }),
    onSuccess: async () => {
      setRemoving(null);
      setPassword('');
      await invalidate(keys.ownPasskeys());
    },
  });
  const confirmRemoval = (e: FormEvent) => {
    e.preventDefault();
    if (removing) remove.mutate({ id: removing.id, password });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(label.trim());
  };
  return (
    <section className="panel" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="muted">
        A passkey on this computer, your phone or a security key can be your second step instead of the app’s code. The password is still asked for first.
      </p>
      <ErrorNotice error={list.error ?? remove.error} />
      {list.isPending ? <Loading what="Loading passkeys" /> : null}
      {list.data && list.data.length === 0 ? <Empty>No passkey is registered.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="security-sr-only">Your passkeys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="security-sr-only">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((p) => (
                <tr key={p.id}>
                  <td>{p.label}</td>
                  <td>{formatTime(p.createdAt)}</td>
                  <td>{p.lastUsedAt ? formatTime(p.lastUsedAt) : 'never'}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={remove.isPending}
                      onClick={() => {
                        remove.reset();
                        setPassword('');
                        setRemoving(p);
                      }}
                      aria-label={`Remove the passkey ${p.label}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {removing ? (
        <form onSubmit={confirmRemoval} aria-labelledby="passkey-remove-title">
          <h3 id="passkey-remove-title">Remove the passkey {removing.label}</h3>
          <div className="filters">
            <Field label="Your current password" hint="Removing a second step needs the password again">
              {(id) => (
                <input id={id} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
              )}
            </Field>
            <button type="submit" className="danger" disabled={remove.isPending || password === ''}>
              {remove.isPending ? 'Removing…' : 'Remove the passkey'}
            </button>
            <button type="button" onClick={() => setRemoving(null)}>
              Keep it
            </button>
          </div>
        </form>
      ) : null}
      {sessionCookie ? (
        <form onSubmit={submit} aria-labelledby="passkey-add-title">
          <h3 id="passkey-add-title">Add a passkey</h3>
          <ErrorNotice error={add.error} />
          <div className="filters">
            <Field label="Name of the passkey" hint="So you can tell them apart, e.g. desk laptop">
              {(id) => <input id={id} maxLength={64} required value={label} onChange={(e) => setLabel(e.target.value)} />}
            </Field>
            <button type="submit" className="primary" disabled={add.isPending || label.trim() === ''}>
              {add.isPending ? 'Waiting for the passkey…' : 'Add a passkey'}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted">Passkeys are added from a password sign-in, not from an API token.</p>
      )}
    </section>
  );
}
