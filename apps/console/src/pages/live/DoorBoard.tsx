import { Empty, Status } from '../../ui';
import type { Directory } from './directory';
import {
  alarmBadge,
  contactBadge,
  controllerBadge,
  lockBadge,
  modeBadge,
  readerBadge,
  type Alarm,
  type Badge,
  type DoorStatus,
  type ReaderLoop,
} from './model';

export type ModeAction =
  | { kind: 'lockdown' | 'emergency-release'; scope: 'site' | 'zone'; id: string; name: string; active: boolean }
  | { kind: 'hold-locked'; scope: 'door'; id: string; name: string; active: boolean };

function Cell({ b }: { b: Badge }) {
  return <Status tone={b.tone}>{b.text}</Status>;
}

interface Group {
  siteId: string;
  siteName: string;
  zones: Array<{ zoneId: string; zoneName: string; doors: DoorStatus[] }>;
}

function groupDoors(doors: DoorStatus[], dir: Directory): Group[] {
  const sites = new Map<string, Group>();
  for (const d of doors) {
    let g = sites.get(d.siteId);
    if (!g) {
      g = { siteId: d.siteId, siteName: dir.sites.get(d.siteId)?.name ?? 'Unnamed site', zones: [] };
      sites.set(d.siteId, g);
    }
    let z = g.zones.find((x) => x.zoneId === d.zoneId);
    if (!z) {
      z = { zoneId: d.zoneId, zoneName: dir.zones.get(d.zoneId)?.name ?? 'Unnamed zone', doors: [] };
      g.zones.push(z);
    }
    z.doors.push(d);
  }
  const byName = (a: { name?: string; siteName?: string; zoneName?: string }, b: typeof a) =>
    (a.siteName ?? a.zoneName ?? a.name ?? '').localeCompare(b.siteName ?? b.zoneName ?? b.name ?? '');
  return [...sites.values()].sort(byName).map((g) => ({
    ...g,
    zones: g.zones.sort(byName).map((z) => ({ ...z, doors: [...z.doors].sort((a, b) => a.name.localeCompare(b.name)) })),
  }));
}

/** Doors by site and zone, every state in words and colour, with the site-wide emergency actions. */
export function DoorBoard({ doors, alarms, dir, onMode }: { doors: DoorStatus[]; alarms: Alarm[]; dir: Directory; onMode: (a: ModeAction) => void }) {
  if (doors.length === 0) return <Empty>No doors are configured.</Empty>;
  return (
    <>
      {groupDoors(doors, dir).map((g) => {
        const all = g.zones.flatMap((z) => z.doors);
        const lockedDown = all.every((d) => d.lockdown);
        const released = all.every((d) => d.override === 'emergency_release');
        return (
          <section key={g.siteId} className="live-site" aria-labelledby={`site-${g.siteId}`}>
            <div className="live-site-head">
              <h3 id={`site-${g.siteId}`}>{g.siteName}</h3>
              <div className="live-site-actions">
                <button
                  type="button"
                  className={lockedDown ? '' : 'danger'}
                  aria-label={`${lockedDown ? 'Lift lockdown of' : 'Lock down'} site ${g.siteName}`}
                  onClick={() => onMode({ kind: 'lockdown', scope: 'site', id: g.siteId, name: g.siteName, active: !lockedDown })}
                >
                  {lockedDown ? 'Lift lockdown' : 'Lock down'}
                </button>
                {/* Opposite actions, so they must not look alike: locking is red, releasing amber with a dashed edge. */}
                <button
                  type="button"
                  className={released ? '' : 'release'}
                  aria-label={`${released ? 'End emergency release of' : 'Emergency release of'} site ${g.siteName}`}
                  onClick={() => onMode({ kind: 'emergency-release', scope: 'site', id: g.siteId, name: g.siteName, active: !released })}
                >
                  {released ? 'End release' : 'Emergency release'}
                </button>
              </div>
            </div>
            {/* Long door names scroll sideways inside the panel rather than push the feed away. */}
            <div className="live-doors-scroll">
              <table className="live-doors" aria-labelledby={`site-${g.siteId}`}>
                <thead>
                  <tr>
                    <th scope="col">Door</th>
                    <th scope="col">Relay</th>
                    <th scope="col">Contact</th>
                    <th scope="col">Mode</th>
                    <th scope="col">Alarm</th>
                    <th scope="col">Controller</th>
                  </tr>
                </thead>
                {g.zones.map((z) => {
                  const zoneDown = z.doors.every((d) => d.lockdown);
                  return (
                    <tbody key={z.zoneId}>
                      <tr className="live-zone">
                        <th scope="rowgroup" colSpan={6}>
                          <span>Zone: {z.zoneName}</span>
                          <button
                            type="button"
                            className="link"
                            aria-label={`${zoneDown ? 'Lift lockdown of' : 'Lock down'} zone ${z.zoneName}`}
                            onClick={() => onMode({ kind: 'lockdown', scope: 'zone', id: z.zoneId, name: z.zoneName, active: !zoneDown })}
                          >
                            {zoneDown ? 'Lift zone lockdown' : 'Lock down zone'}
                          </button>
                        </th>
                      </tr>
                      {z.doors.map((d) => (
                        <tr key={d.doorId} data-door-id={d.doorId}>
                          <th scope="row" className="live-door-name">
                            {/* The door's own action sits behind its name: the row has no room for another button. */}
                            <button
                              type="button"
                              className="link live-door-button"
                              aria-haspopup="dialog"
                              title={d.override === 'locked' ? 'Release the hold on this door' : 'Hold this door locked'}
                              onClick={() => onMode({ kind: 'hold-locked', scope: 'door', id: d.doorId, name: d.name, active: d.override !== 'locked' })}
                            >
                              {d.name}
                            </button>
                          </th>
                          <td>
                            <Cell b={lockBadge(d)} />
                          </td>
                          <td>
                            <Cell b={contactBadge(d)} />
                          </td>
                          <td>
                            <Cell b={modeBadge(d)} />
                          </td>
                          <td>
                            <Cell b={alarmBadge(d, alarms)} />
                          </td>
                          <td>
                            <Cell b={controllerBadge(d.controllerStatus)} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  );
                })}
              </table>
            </div>
          </section>
        );
      })}
    </>
  );
}

export function ReaderTable({ readers, doors, dir }: { readers: ReaderLoop[]; doors: DoorStatus[]; dir: Directory }) {
  if (readers.length === 0) return <Empty>No door readers are configured.</Empty>;
  const rows = [...readers].sort((a, b) => (dir.readers.get(a.readerId)?.name ?? '').localeCompare(dir.readers.get(b.readerId)?.name ?? ''));
  return (
    <table className="live-readers">
      <thead>
        <tr>
          <th scope="col">Reader</th>
          <th scope="col">Door</th>
          <th scope="col">Connection</th>
          <th scope="col">Badge-ins</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const door = doors.find((d) => d.doorId === r.doorId)?.name ?? dir.doors.get(r.doorId ?? '')?.name;
          return (
            <tr key={r.readerId}>
              <th scope="row" className="live-door-name">
                {dir.readers.get(r.readerId)?.name ?? 'Unnamed reader'}
              </th>
              <td>
                {door ?? <span className="muted">—</span>}
                <span className="live-sub">{r.direction === 'exit' ? 'Exit' : 'Entry'}</span>
              </td>
              <td>
                <Cell b={readerBadge(r.readerState)} />
                {r.lastError ? <span className="live-sub live-error">{r.lastError}</span> : null}
              </td>
              <td className="num">{r.badges}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
