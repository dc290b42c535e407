import { useQuery } from '@tanstack/react-query';
import type { Schemas } from '../../api';
import { keys } from '../../queries';
import { useSession } from '../../session';
import { formatDateTime } from '../../time';
import { ErrorNotice, Status } from '../../ui';

type DeviceLease = Schemas['DeviceLeaseDto'];

/** Leases change on renewal only when their holder does; a few seconds behind is plenty for the desk. */
const POLL_MS = 5_000;

/**
 * Who serves which failover group's readers and controllers (docs/failover.md): the preferred
 * server, the one serving now and since when. Shown only where devices fail over, so a single
 * server's Live page stays as it was.
 */
export function FailoverPanel() {
  const { api } = useSession();
  const q = useQuery({
    queryKey: keys.deviceLeases(),
    queryFn: ({ signal }) => api.get<DeviceLease[]>('/cluster/device-leases', undefined, signal),
    refetchInterval: POLL_MS,
  });
  if (!q.error && (q.data?.length ?? 0) === 0) return null;
  return (
    <section className="panel live-panel" aria-labelledby="live-failover-title">
      <h2 id="live-failover-title">Device failover</h2>
      <ErrorNotice error={q.error} />
      {q.data && q.data.length > 0 ? <LeaseTable rows={q.data} /> : null}
    </section>
  );
}

function LeaseTable({ rows }: { rows: DeviceLease[] }) {
  return (
    <table className="live-readers live-failover">
      <thead>
        <tr>
          <th scope="col">Devices of</th>
          <th scope="col">Served by</th>
          <th scope="col">Since</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((l) => (
          <tr key={l.lease}>
            <th scope="row">
              Server {l.preferredHost}
              <span className="live-sub">Failover group {l.group}</span>
            </th>
            <td>
              Server {l.holder}
              {l.holder !== l.preferredHost ? <span className="live-sub">Taken over</span> : null}
            </td>
            <td>{formatDateTime(l.since)}</td>
            <td>{l.live ? <Status tone="ok">Serving</Status> : <Status tone="bad">Nobody (lease expired)</Status>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
