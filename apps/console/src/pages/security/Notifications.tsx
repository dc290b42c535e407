import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { Schemas } from '../../api';
import { keys, useInvalidate } from '../../queries';
import { useSession } from '../../session';
import { ErrorNotice, Field, Loading } from '../../ui';

type Settings = Schemas['NotificationSettingsView'];
type Kind = Settings['kinds'][number];

const KIND_LABEL: Record<Kind, string> = {
  request_decided: 'A request of ours was approved or refused',
  visitor_arrived: 'A visitor of ours arrived',
  person_denied: 'One of our people was denied entry several times in a row',
  access_ending: "Someone's access ends within 14 days",
};

/**
 * A customer administrator's own e-mail notifications: where they go and which kinds. The mails
 * name people by reference only; the console shows who they are.
 */
export function NotificationsPanel() {
  const { api, principal } = useSession();
  const customerId = principal.customerId ?? '';
  const invalidate = useInvalidate();
  const settings = useQuery({
    queryKey: keys.notificationSettings(customerId),
    queryFn: () => api.get<Settings>(`/customers/${customerId}/notification-settings`),
    enabled: !!customerId,
  });
  // The form starts from the stored settings once they are loaded, and is not shown before: a
  // field typed into while the settings were still loading was overwritten by their arrival, and
  // the empty address saved (a browser test on PostgreSQL, where the load is slower, caught it).
  // Later refetches (after a save, on focus) never overwrite what is being edited.
  const [form, setForm] = useState<{ email: string; kinds: Kind[] } | null>(null);
  useEffect(() => {
    if (settings.data && form === null) setForm({ email: settings.data.email ?? '', kinds: settings.data.kinds });
  }, [settings.data, form]);
  const email = form?.email ?? '';
  const kinds = form?.kinds ?? [];
  const setEmail = (value: string) => setForm((now) => (now ? { ...now, email: value } : now));
  const setKinds = (update: (now: Kind[]) => Kind[]) => setForm((now) => (now ? { ...now, kinds: update(now.kinds) } : now));
  const save = useMutation({
    mutationFn: (body: { email: string | null; kinds: Kind[] }) => api.put<Settings>(`/customers/${customerId}/notification-settings`, body),
    onSuccess: async () => invalidate(keys.notificationSettings(customerId)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ email: email.trim() === '' ? null : email.trim(), kinds });
  };
  const toggle = (k: Kind, on: boolean) => setKinds((now) => (on ? [...now.filter((x) => x !== k), k] : now.filter((x) => x !== k)));
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="notifications-title" noValidate>
      <h2 id="notifications-title">E-mail notifications</h2>
      <p className="muted">Mails name people by their reference only, with a link to this console where you see who it is.</p>
      <ErrorNotice error={settings.error ?? save.error} />
      {settings.isPending ? <Loading what="Loading your notification settings" /> : null}
      {settings.data && !settings.data.sending ? (
        <p className="muted">The datacenter has not turned e-mail on yet: your settings are kept until it does.</p>
      ) : null}
      {save.isSuccess ? <p role="status">Saved.</p> : null}
      {form ? (
        <>
          <Field label="Your e-mail address" hint="Leave empty to receive nothing">
            {(id) => <input id={id} type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <fieldset>
            <legend>Tell me when</legend>
            {(settings.data?.availableKinds ?? []).map((k) => (
              <label key={k} className="checkbox">
                <input type="checkbox" checked={kinds.includes(k)} onChange={(e) => toggle(k, e.target.checked)} /> {KIND_LABEL[k]}
              </label>
            ))}
          </fieldset>
        </>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending || !form}>
          {save.isPending ? 'Saving…' : 'Save notifications'}
        </button>
      </div>
    </form>
  );
}
