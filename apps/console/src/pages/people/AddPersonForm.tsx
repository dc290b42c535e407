import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { keys, useInvalidate } from '../../queries';
import { useSession } from '../../session';
import { ErrorNotice } from '../../ui';
import { FieldWithError } from './FieldWithError';
import { fieldErrors, type Person } from './model';

/**
 * The server validates (class-validator) and answers problem+json with the failing fields; the
 * form shows each message under its own field instead of duplicating the rules here.
 */
export function AddPersonForm({ customerId, onAdded, onCancel }: { customerId: string; onAdded: (p: Person) => void; onCancel: () => void }) {
  const { api } = useSession();
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const invalidate = useInvalidate();
  const add = useMutation({
    mutationFn: (body: Record<string, string>) => api.post<Person>(`/customers/${customerId}/people`, body),
    onSuccess: async (p) => {
      await invalidate(keys.people(customerId));
      onAdded(p);
    },
  });
  const error = add.error;
  const busy = add.isPending;
  const errors = fieldErrors(error);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    // Take the clerk straight to the first field the server refused.
    if (error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [error]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, string> = { fullName: fullName.trim() };
    if (email.trim()) body.email = email.trim();
    if (phone.trim()) body.phone = phone.trim();
    add.mutate(body);
  };

  return (
    <section className="panel" aria-labelledby="add-person-title">
      <h2 id="add-person-title">Add person</h2>
      {/* noValidate: the browser's own e-mail check would hide the server's field message. */}
      <form ref={form} noValidate onSubmit={(e) => void submit(e)} className="add-person">
        <ErrorNotice error={error} />
        <div className="grid-3">
          <FieldWithError label="Full name" error={errors.fullName}>
            {(id, a11y) => <input id={id} name="fullName" autoComplete="off" value={fullName} onChange={(e) => setFullName(e.target.value)} {...a11y} />}
          </FieldWithError>
          <FieldWithError label="E-mail" hint="Optional" error={errors.email}>
            {(id, a11y) => <input id={id} name="email" type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} {...a11y} />}
          </FieldWithError>
          <FieldWithError label="Phone" hint="Optional, e.g. +31 6 12345678" error={errors.phone}>
            {(id, a11y) => <input id={id} name="phone" type="tel" autoComplete="off" value={phone} onChange={(e) => setPhone(e.target.value)} {...a11y} />}
          </FieldWithError>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save person'}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
