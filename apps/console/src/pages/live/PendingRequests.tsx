import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Schemas } from '../../api';
import { keys } from '../../queries';
import { useSession } from '../../session';
import { Status } from '../../ui';

/** How many customer requests wait for a decision, linking to the queue; re-read every 30 s. */
export function PendingRequests() {
  const { api } = useSession();
  const count = useQuery({
    queryKey: keys.pendingRequests(),
    queryFn: () => api.get<Schemas['PendingCountView']>('/access-requests/pending-count'),
    refetchInterval: 30_000,
  });
  if (!count.data) return null;
  return (
    <span className="live-requests" data-testid="pending-requests">
      <Link to="/requests">
        Access requests pending: <Status tone={count.data.pending > 0 ? 'warn' : 'ok'}>{String(count.data.pending)}</Status>
      </Link>
    </span>
  );
}
