import { useQuery } from '@tanstack/react-query';
import { cardReaderBadge, secureBadge, type CardReaderState } from '../../credentials';
import { keys } from '../../queries';
import { useSession } from '../../session';
import { ErrorNotice, Status } from '../../ui';
import { doorName, type Directory } from './directory';
import type { DoorStatus } from './model';

/**
 * The stream carries no card reader events (their bus state lives in the instance that opens the
 * bus), so the panel reads GET /monitor/card-readers again every few seconds while it is shown.
 */
const POLL_MS = 5_000;

export function CardReaderPanel({ dir, doors }: { dir: Directory; doors: DoorStatus[] }) {
  const { api } = useSession();
  const q = useQuery({
    queryKey: keys.liveCardReaders(),
    queryFn: ({ signal }) => api.get<CardReaderState[]>('/monitor/card-readers', undefined, signal),
    refetchInterval: POLL_MS,
  });
  // A site without card readers keeps the Live page as it was: the panel would only push the
  // fingerprint readers below the fold on a laptop screen.
  if (!q.error && (q.data?.length ?? 0) === 0) return null;
  return (
    <section className="panel live-panel" aria-labelledby="live-card-readers-title">
      <h2 id="live-card-readers-title">Card readers (OSDP)</h2>
      <ErrorNotice error={q.error} />
      <div className="live-scroll live-scroll-readers">{q.data && q.data.length > 0 ? <CardReaderTable rows={q.data} dir={dir} doors={doors} /> : null}</div>
    </section>
  );
}

function CardReaderTable({ rows, dir, doors }: { rows: CardReaderState[]; dir: Directory; doors: DoorStatus[] }) {
  const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name));
  const many = dir.sites.size > 1;
  return (
    <table className="live-readers live-card-readers">
      <thead>
        <tr>
          <th scope="col">Card reader</th>
          <th scope="col">Door</th>
          <th scope="col">Bus state</th>
          <th scope="col">Secure Channel</th>
          <th scope="col">Tamper</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((r) => {
          const state = cardReaderBadge(r.state);
          // A Secure Channel is only a fact while the reader answers; offline it has none to show.
          const secure = r.state === 'online' ? secureBadge(r.secure) : null;
          return (
            <tr key={r.readerId}>
              <th scope="row" className="live-door-name">
                {r.name}
                <span className="live-sub">
                  Address {r.address}
                  {r.role === 'enrolment' ? ' · desk' : ''}
                  {many ? ` · ${dir.sites.get(r.siteId)?.name ?? ''}` : ''}
                </span>
              </th>
              <td>
                {r.doorId ? (
                  (doorName(dir, doors, r.doorId) ?? 'Unknown door')
                ) : (
                  <span className="muted">{r.role === 'enrolment' ? 'Security desk' : '—'}</span>
                )}
                {r.doorId && r.direction ? <span className="live-sub">{r.direction === 'exit' ? 'Exit' : 'Entry'}</span> : null}
              </td>
              <td>
                <Status tone={state.tone}>{state.text}</Status>
                {r.state === 'other_instance' ? <span className="live-sub">Server {r.host}</span> : null}
              </td>
              <td>{secure ? <Status tone={secure.tone}>{secure.text}</Status> : <span className="muted">No session</span>}</td>
              <td>{r.tamper ? <Status tone="bad">Tamper</Status> : <Status tone="ok">None</Status>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
