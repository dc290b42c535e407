import { useId, type ReactNode } from 'react';
import { describeError } from './api';
import { formatDateOnly, formatDateTime } from './time';

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </header>
  );
}

/** A problem from the server, in words, with its stable code for the helpdesk. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const { title, code, fields } = describeError(error);
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong> <code className="code">{code}</code>
      {fields.length > 0 ? <div>Check: {fields.join(', ')}</div> : null}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}

/** A labelled form control; the label is tied to the control for screen readers. */
export function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint ? <small className="muted">{hint}</small> : null}
    </div>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'idle' | 'info';

/** State shown as text and colour (never colour alone). */
export function Status({ tone, children, label }: { tone: Tone; children: ReactNode; label?: string }) {
  return (
    <span className={`status status-${tone}`} aria-label={label}>
      {children}
    </span>
  );
}

/** Date and 24-hour time in the browser's zone (see time.ts). */
export function formatTime(value: string | number | null | undefined): string {
  return formatDateTime(value);
}

export function formatDate(value: string | number | null | undefined): string {
  return formatDateOnly(value);
}

/**
 * Ids are long; the desk needs enough to tell rows apart, the full id on hover. The tail, not
 * the head: UUIDv7 ids begin with their timestamp, so records made together share a head.
 */
export function ShortId({ id }: { id: string | null | undefined }) {
  if (!id) return <span className="muted">—</span>;
  return (
    <code title={id} className="id">
      …{id.slice(-8)}
    </code>
  );
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
