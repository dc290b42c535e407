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
  const [email, setEmail] = useState('');
  const [kinds, setKinds] = useState<Kind[]>([]);
  useEffect(() => {
    if (!settings.data) return;
    setEmail(settings.data.email ?? '');
    setKinds(settings.data.kinds);
  }, [settings.data]);
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
      <div className="form-actions">
        <button type="submit" className="primary" disabled={save.isPending || !settings.data}>
          {save.isPending ? 'Saving…' : 'Save notifications'}
        </button>
      </div>
    </form>
  );
}
