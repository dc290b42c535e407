import { useQuery } from '@tanstack/react-query';
import type { Api, Schemas } from '../../api';
import { keys } from '../../queries';

type Degraded = Schemas['DegradedView'];

/** Polled rather than streamed: the banner must show even when the stream cannot be opened. */
const POLL_MS = 2000;

function age(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${seconds % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Degraded mode (docs/failover.md): the database is unreachable, the doors admit from the server's
 * memory and record each attempt in the instance's spool, until the window ends (then they fail secure).
 */
export function DegradedBanner({ api }: { api: Api }) {
  const q = useQuery({ queryKey: keys.degradedMode(), queryFn: () => api.get<Degraded>('/health/degraded'), refetchInterval: POLL_MS, retry: false });
  const d = q.data;
  if (!d?.degraded) return null;
  const left = d.windowSeconds - d.ageSeconds;
  return (
    <div className="notice notice-error live-degraded" role="alert" data-testid="degraded-banner">
      <strong>Degraded mode:</strong> the database has been unreachable for {age(d.ageSeconds)}.{' '}
      {d.windowSeconds === 0 || left <= 0
        ? 'Doors fail secure: nobody is admitted until it is back.'
        : `Doors admit from memory and attempts are kept locally for ${age(left)} more; changes (enrolment, grants, registry) are refused.`}
    </div>
  );
}
