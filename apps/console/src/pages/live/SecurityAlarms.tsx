import { Link } from 'react-router';
import type { Schemas } from '../../api';
import { Status } from '../../ui';
import { clockTime } from './model';

/** GET /monitor/security-alarms: an MQTT security alarm (its audit entry), ids and counts only. */
export type SecurityAlarm = Schemas['SecurityAlarmViewDto'];

/** The live stream's security alarm events (not feed rows: the banner shows them). */
export type SecurityAlarmEvent = Schemas['MonitorSecurityAlarmEvent'];

export function isSecurityAlarmEvent(e: unknown): e is SecurityAlarmEvent {
  const t = (e as { type?: unknown } | null)?.type;
  return (t === 'security_alarm' || t === 'security_alarm_acknowledged') && typeof (e as { id?: unknown }).id === 'string';
}

const KIND_LABELS: Record<string, string> = {
  'forged-event': 'Forged event (bad MAC)',
  'forged-reply': 'Forged reply (bad MAC)',
  'forged-state': 'Forged state (bad MAC)',
  'forged-status': 'Forged status (bad MAC)',
  'command-rejected': 'Command rejected by a controller',
  'malformed-message': 'Malformed message',
  'future-timestamp': 'Timestamp in the future',
  'unknown-controller': 'Unknown controller',
  'broker-connection': 'Broker refused a connection',
  'broker-connect': 'Broker refused a login',
  'broker-publish': 'Publish outside its topics',
  'broker-subscribe': 'Subscribe outside its topics',
};

export function securityKindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/**
 * Open MQTT security alarms: a banner above the desk's panels, there only while one is open, so
 * the 1366x768 layout below keeps its room the rest of the time. The audit trail holds the events
 * behind each alarm; only roles that may read it get the link.
 */
export function SecurityAlarmBanner({
  alarms,
  canReadAudit,
  onAcknowledge,
}: {
  alarms: SecurityAlarm[];
  canReadAudit: boolean;
  onAcknowledge: (a: SecurityAlarm) => void;
}) {
  if (alarms.length === 0) return null;
  return (
    <section className="panel live-panel live-security" aria-labelledby="live-security-title">
      <div className="live-security-head">
        <h2 id="live-security-title">
          Security alarms <span className="live-count">({alarms.length})</span>
        </h2>
        <span className="muted">Forged, malformed or refused MQTT messages past the alarm threshold.</span>
        {canReadAudit ? (
          <Link className="live-security-audit" to="/audit?action=mqtt.security_event">
            Security events in the audit trail
          </Link>
        ) : null}
      </div>
      <div className="table-wrap live-security-wrap">
        <table className="live-alarms">
          <thead>
            <tr>
              <th scope="col">Raised</th>
              <th scope="col">Events</th>
              <th scope="col">Kind</th>
              <th scope="col">Source</th>
              <th scope="col">
                <span className="live-sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => {
              const t = clockTime(a.at);
              const kind = securityKindLabel(a.kind);
              return (
                <tr key={a.id} data-security-alarm-id={a.id}>
                  <td className="live-time">
                    <time dateTime={t.iso} title={t.full}>
                      {t.short}
                    </time>
                  </td>
                  <td className="live-nowrap">
                    <Status tone="bad">{`${a.count} in ${a.windowS} s`}</Status>
                  </td>
                  <td>{kind}</td>
                  <td>
                    <code>{a.source}</code>
                  </td>
                  <td className="live-action">
                    <button
                      type="button"
                      className="primary"
                      aria-label={`Acknowledge security alarm: ${a.count} events from ${a.source}`}
                      onClick={() => onAcknowledge(a)}
                    >
                      Acknowledge
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
