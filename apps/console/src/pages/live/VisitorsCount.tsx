import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { Schemas } from '../../api';
import { keys } from '../../queries';
import { useSession } from '../../session';
import { Status } from '../../ui';

/** Today's visitors at a glance (still expected, inside), linking to the desk's list; re-read every 30 s. */
export function VisitorsCount() {
  const { api } = useSession();
  const count = useQuery({
    queryKey: keys.visitorsTodayCount(),
    queryFn: () => api.get<Schemas['VisitorsTodayCountView']>('/visitors/today/count'),
    refetchInterval: 30_000,
  });
  if (!count.data) return null;
  return (
    <span className="live-requests" data-testid="visitors-today">
      <Link to="/visitors">
        Visitors today: <Status tone="info">{`${count.data.expected} expected`}</Status>{' '}
        <Status tone={count.data.checkedIn > 0 ? 'ok' : 'idle'}>{`${count.data.checkedIn} inside`}</Status>
      </Link>
    </span>
  );
}
