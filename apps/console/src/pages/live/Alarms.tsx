import { Status } from '../../ui';
import { doorName, type Directory } from './directory';
import { alarmLabel, clockTime, type Alarm, type DoorStatus } from './model';

export function AlarmTable({ alarms, dir, doors, onAcknowledge }: { alarms: Alarm[]; dir: Directory; doors: DoorStatus[]; onAcknowledge: (a: Alarm) => void }) {
  if (alarms.length === 0) {
    return (
      <p className="live-no-alarms">
        <Status tone="ok">No open alarms</Status>
      </p>
    );
  }
  return (
    <div className="table-wrap live-alarms-wrap">
      <table className="live-alarms">
        <thead>
          <tr>
            <th scope="col">Raised</th>
            <th scope="col">Alarm</th>
            <th scope="col">Where</th>
            <th scope="col">
              <span className="live-sr-only">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {alarms.map((a) => {
            const t = clockTime(a.raisedAt);
            const where =
              doorName(dir, doors, a.doorId) ??
              (a.controllerId ? dir.controllers.get(a.controllerId)?.name : null) ??
              (a.zoneId ? dir.zones.get(a.zoneId)?.name : null) ??
              'Unknown';
            const label = alarmLabel(a.kind);
            return (
              <tr key={a.id} data-alarm-id={a.id}>
                <td className="live-time">
                  <time dateTime={t.iso} title={t.full}>
                    {t.short}
                  </time>
                </td>
                <td>
                  <Status tone="bad">{label}</Status>
                  {a.detail ? <span className="live-sub">{a.detail}</span> : null}
                </td>
                <td>
                  {where}
                  <span className="live-sub">{dir.sites.get(a.siteId)?.name}</span>
                </td>
                <td className="live-action">
                  <button type="button" className="primary" aria-label={`Acknowledge: ${label} at ${where}`} onClick={() => onAcknowledge(a)}>
                    Acknowledge
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
